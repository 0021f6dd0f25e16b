//! A storefront or admin search: parsed from the URL, and written back into it.

use serde::{Deserialize, Serialize};

use crate::shared::domain::is_valid_slug;
use crate::shared::text::url_encode;
use crate::shared::{AppError, Currency, FormErrors, Money};

/// Products per storefront page.
pub const PER_PAGE: u32 = 24;
/// Deepest page anyone may ask for (deeper pages are refused with a message).
pub const MAX_PAGE: u32 = 400;
pub const MAX_QUERY_CHARS: usize = 200;
/// Largest stock a product may have.
pub const MAX_STOCK: i64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    Newest,
    /// Admin list: least stock first.
    StockAsc,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "" | "relevance" => Sort::Relevance,
            "price_asc" => Sort::PriceAsc,
            "price_desc" => Sort::PriceDesc,
            "newest" => Sort::Newest,
            "stock_asc" => Sort::StockAsc,
            _ => return None,
        })
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::PriceAsc => "price_asc",
            Sort::PriceDesc => "price_desc",
            Sort::Newest => "newest",
            Sort::StockAsc => "stock_asc",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Sort::Relevance => "Best match",
            Sort::PriceAsc => "Price: low to high",
            Sort::PriceDesc => "Price: high to low",
            Sort::Newest => "Newest",
            Sort::StockAsc => "Stock: lowest first",
        }
    }
}

/// Which products a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Storefront: only active products.
    #[default]
    Active,
    Archived,
    All,
}

/// A validated search: what `/products?...` (or the admin list) asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct SearchQuery {
    pub q: String,
    /// Category slug; includes its sub-categories.
    pub category: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub in_stock: bool,
    pub sort: Sort,
    pub page: u32,
    pub per_page: u32,
    pub status: StatusFilter,
    /// Only featured products (home page; never taken from the URL).
    #[serde(default)]
    pub featured_only: bool,
    /// Option filters: (option name, accepted values), both lower case, sorted. A
    /// product matches when one of its variants has one of the values of every
    /// named option (and is in stock, with `in_stock`).
    #[serde(default)]
    pub options: Vec<(String, Vec<String>)>,
}

/// Most option filters one search may carry.
pub const MAX_OPTION_FILTERS: usize = 12;

/// The raw query-string values, exactly as they came in the URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SearchParams {
    pub q: Option<String>,
    pub category: Option<String>,
    pub min_price: Option<String>,
    pub max_price: Option<String>,
    pub in_stock: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
    pub status: Option<String>,
    /// Option filters as `Name:Value` (the `f` parameter, repeated).
    #[serde(default)]
    pub options: Option<Vec<String>>,
}

/// Reads `Name:Value` option filters into (name, values) pairs, lower case and sorted.
pub fn parse_option_filters(raw: &[String]) -> Result<Vec<(String, Vec<String>)>, String> {
    if raw.len() > MAX_OPTION_FILTERS {
        return Err(format!(
            "Choose at most {MAX_OPTION_FILTERS} option filters at once."
        ));
    }
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for r in raw {
        let Some((name, value)) = r.split_once(':') else {
            return Err("An option filter looks like Size:M.".into());
        };
        let (name, value) = (name.trim().to_lowercase(), value.trim().to_lowercase());
        if name.is_empty()
            || value.is_empty()
            || name.chars().count() > 40
            || value.chars().count() > 60
            || crate::shared::text::has_stray_control(&name, false)
            || crate::shared::text::has_stray_control(&value, false)
        {
            return Err("That option filter is not valid.".into());
        }
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => {
                if !values.contains(&value) {
                    values.push(value);
                }
            }
            None => out.push((name, vec![value])),
        }
    }
    for (_, values) in &mut out {
        values.sort();
    }
    out.sort();
    Ok(out)
}

impl SearchParams {
    /// Parses and validates; every problem becomes a clear message (status 400).
    pub fn parse(&self, currency: Currency) -> Result<SearchQuery, AppError> {
        let mut errors = FormErrors::new();
        let q = self.q.clone().unwrap_or_default();
        let q = q.trim().to_string();
        if q.chars().count() > MAX_QUERY_CHARS {
            errors.add(
                "q",
                format!("Search terms can be at most {MAX_QUERY_CHARS} characters long."),
            );
        }
        let category = self
            .category
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string());
        if category.as_deref().is_some_and(|c| !is_valid_slug(c)) {
            errors.add("category", "That category does not exist.");
        }
        let price = |field: &str, v: &Option<String>, errors: &mut FormErrors| -> Option<i64> {
            let v = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
            match Money::parse(v, currency) {
                Ok(p) => Some(p.minor()),
                Err(e) => {
                    errors.add(field, e);
                    None
                }
            }
        };
        let min_price = price("min_price", &self.min_price, &mut errors);
        let max_price = price("max_price", &self.max_price, &mut errors);
        if let (Some(lo), Some(hi)) = (min_price, max_price) {
            if lo > hi {
                errors.add(
                    "max_price",
                    "The highest price must not be below the lowest.",
                );
            }
        }
        let in_stock = matches!(
            self.in_stock.as_deref().map(str::trim),
            Some("1" | "true" | "on" | "yes")
        );
        let sort = match self.sort.as_deref().map(str::trim) {
            None => {
                if q.is_empty() {
                    Sort::Newest
                } else {
                    Sort::Relevance
                }
            }
            Some(s) => Sort::parse(s).unwrap_or_else(|| {
                errors.add("sort", "That sort order does not exist.");
                Sort::Relevance
            }),
        };
        let page = match self.page.as_deref().map(str::trim) {
            None | Some("") => 1,
            Some(p) => {
                match p.parse::<u64>() {
                    Ok(n) if (1..=MAX_PAGE as u64).contains(&n) => n as u32,
                    Ok(0) => {
                        errors.add("page", "Page numbers start at 1.");
                        1
                    }
                    Ok(_) => {
                        errors.add("page", format!("Pages go up to {MAX_PAGE} at most; narrow your search to see more."));
                        1
                    }
                    Err(_) => {
                        errors.add("page", "The page must be a whole number from 1 up.");
                        1
                    }
                }
            }
        };
        let status = match self.status.as_deref().map(str::trim) {
            None | Some("") | Some("active") => StatusFilter::Active,
            Some("archived") => StatusFilter::Archived,
            Some("all") => StatusFilter::All,
            Some(_) => {
                errors.add("status", "That status does not exist.");
                StatusFilter::Active
            }
        };
        let options = match parse_option_filters(self.options.as_deref().unwrap_or(&[])) {
            Ok(o) => o,
            Err(e) => {
                errors.add("options", e);
                Vec::new()
            }
        };
        errors.into_result()?;
        Ok(SearchQuery {
            q,
            category,
            min_price,
            max_price,
            in_stock,
            sort,
            page,
            per_page: PER_PAGE,
            status,
            featured_only: false,
            options,
        })
    }
}

impl SearchQuery {
    /// The query string for this search at another page (for links).
    pub fn to_query_string(&self, page: u32, currency: Currency) -> String {
        let mut parts: Vec<(String, String)> = Vec::new();
        if !self.q.is_empty() {
            parts.push(("q".into(), self.q.clone()));
        }
        if let Some(c) = &self.category {
            parts.push(("category".into(), c.clone()));
        }
        if let Some(p) = self.min_price {
            parts.push(("min_price".into(), Money::new(p, currency).to_input()));
        }
        if let Some(p) = self.max_price {
            parts.push(("max_price".into(), Money::new(p, currency).to_input()));
        }
        if self.in_stock {
            parts.push(("in_stock".into(), "1".into()));
        }
        for (name, values) in &self.options {
            for v in values {
                parts.push(("f".into(), format!("{name}:{v}")));
            }
        }
        parts.push(("sort".into(), self.sort.as_str().into()));
        if self.status != StatusFilter::Active {
            let s = match self.status {
                StatusFilter::Archived => "archived",
                _ => "all",
            };
            parts.push(("status".into(), s.into()));
        }
        if page > 1 {
            parts.push(("page".into(), page.to_string()));
        }
        parts
            .iter()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Reads the search parameters from the URL.
pub fn params_from_query(m: &leptos_router::params::ParamsMap) -> SearchParams {
    SearchParams {
        q: m.get("q"),
        category: m.get("category"),
        min_price: m.get("min_price"),
        max_price: m.get("max_price"),
        in_stock: m.get("in_stock"),
        sort: m.get("sort"),
        page: m.get("page"),
        status: m.get("status"),
        options: m.get_all("f"),
    }
}

/// The URL query for a set of search parameters.
pub fn encode_params(p: &SearchParams) -> String {
    let mut parts = Vec::new();
    let mut push = |k: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", url_encode(v)));
        }
    };
    push("q", &p.q);
    push("category", &p.category);
    push("min_price", &p.min_price);
    push("max_price", &p.max_price);
    push("in_stock", &p.in_stock);
    push("sort", &p.sort);
    push("status", &p.status);
    for f in p.options.iter().flatten() {
        push("f", &Some(f.clone()));
    }
    push("page", &p.page);
    parts.join("&")
}
