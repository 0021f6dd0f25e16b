//! Catalog types shared by the server and the browser, and the parsing of
//! everything a person can type into a catalog form or a search URL.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, FormErrors};
use crate::money::{format_minor, parse_price};

/// Products per storefront page.
pub const PER_PAGE: u32 = 24;
/// Deepest page anyone may ask for (deeper pages are refused with a message).
pub const MAX_PAGE: u32 = 400;
pub const MAX_QUERY_CHARS: usize = 200;
/// Largest stock a product may have.
pub const MAX_STOCK: i64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    #[default]
    Active,
    Archived,
}

impl ProductStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryView {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub parent_id: Option<String>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageView {
    pub id: String,
    pub url: String,
    pub alt: String,
}

/// Where a product picture comes from: its image, or the shop's placeholder.
pub const PLACEHOLDER_IMAGE: &str = "/placeholder.svg";

pub fn image_url(id: &str) -> String {
    format!("/images/{id}")
}

/// A product as a card in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCard {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub price: i64,
    pub currency: String,
    pub stock: i64,
    pub image_url: String,
    pub image_alt: String,
    pub category_name: String,
    pub status: ProductStatus,
}

impl ProductCard {
    pub fn price_display(&self) -> String {
        format_minor(self.price, &self.currency)
    }
}

/// Everything a product page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub price: i64,
    pub currency: String,
    pub stock: i64,
    pub status: ProductStatus,
    pub featured: bool,
    pub category: Option<CategoryView>,
    pub breadcrumbs: Vec<CategoryView>,
    pub tags: Vec<String>,
    pub images: Vec<ImageView>,
    pub created_at: String,
    pub updated_at: String,
}

impl ProductDetail {
    pub fn price_display(&self) -> String {
        format_minor(self.price, &self.currency)
    }
}

/// How many are left, in words a shopper understands.
pub fn stock_label(stock: i64) -> (&'static str, String) {
    match stock {
        s if s <= 0 => ("stock-out", "Out of stock".to_string()),
        s if s <= 5 => ("stock-low", format!("Only {s} left")),
        _ => ("stock-in", "In stock".to_string()),
    }
}

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
}

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
}

impl SearchParams {
    /// Parses and validates; every problem becomes a clear message (status 400).
    pub fn parse(&self, currency: &str) -> Result<SearchQuery, AppError> {
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
            match parse_price(v, currency) {
                Ok(p) => Some(p),
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
        })
    }
}

impl SearchQuery {
    /// The query string for this search at another page (for links).
    pub fn to_query_string(&self, page: u32, currency: &str) -> String {
        let mut parts: Vec<(String, String)> = Vec::new();
        if !self.q.is_empty() {
            parts.push(("q".into(), self.q.clone()));
        }
        if let Some(c) = &self.category {
            parts.push(("category".into(), c.clone()));
        }
        if let Some(p) = self.min_price {
            parts.push((
                "min_price".into(),
                crate::money::minor_to_input(p, currency),
            ));
        }
        if let Some(p) = self.max_price {
            parts.push((
                "max_price".into(),
                crate::money::minor_to_input(p, currency),
            ));
        }
        if self.in_stock {
            parts.push(("in_stock".into(), "1".into()));
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

/// Percent-encodes a query-string value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryFacet {
    pub slug: String,
    pub name: String,
    pub count: u64,
    pub depth: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceBand {
    pub label: String,
    /// Inclusive lower bound in minor units.
    pub min: Option<i64>,
    /// Inclusive upper bound in minor units.
    pub max: Option<i64>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SearchResults {
    pub currency: String,
    pub items: Vec<ProductCard>,
    pub total: u64,
    pub page: u32,
    pub pages: u32,
    pub categories: Vec<CategoryFacet>,
    pub price_bands: Vec<PriceBand>,
    /// When nothing matched every word, these are the results for any word.
    pub relaxed: bool,
    /// Things to try when the search found nothing.
    pub suggestions: Vec<String>,
}

/// The price bands (upper bounds in major units) offered as filters.
pub const PRICE_BAND_EDGES: &[i64] = &[25, 50, 100, 250, 500];

/// A product as an admin types it (all text, parsed on the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProductForm {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub price: String,
    pub category_id: String,
    pub tags: String,
    pub stock: String,
    pub status: String,
    pub featured: Option<String>,
}

/// A product after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidProduct {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub price: i64,
    pub category_id: Option<String>,
    pub tags: Vec<String>,
    pub stock: i64,
    pub status: ProductStatus,
    pub featured: bool,
}

/// True when `s` holds a control character a person cannot have meant: none at all
/// in one-line fields; in multi-line fields only line breaks and tabs are allowed.
pub fn has_stray_control(s: &str, multiline: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
}

pub fn is_valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 120
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// "Oak Desk Lamp!" → "oak-desk-lamp".
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in s.chars().flat_map(|c| c.to_lowercase()) {
        let mapped = match c {
            'a'..='z' | '0'..='9' => Some(c),
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => Some('a'),
            'è' | 'é' | 'ê' | 'ë' => Some('e'),
            'ì' | 'í' | 'î' | 'ï' => Some('i'),
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'ø' => Some('o'),
            'ù' | 'ú' | 'û' | 'ü' => Some('u'),
            'ç' => Some('c'),
            'ñ' => Some('n'),
            _ => None,
        };
        match mapped {
            Some(m) => {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push(m);
            }
            None => dash = true,
        }
        if out.len() >= 100 {
            break;
        }
    }
    out.trim_matches('-').to_string()
}

impl ProductForm {
    pub fn kept(&self) -> Vec<(&'static str, String)> {
        vec![
            ("name", self.name.clone()),
            ("slug", self.slug.clone()),
            ("description", self.description.clone()),
            ("price", self.price.clone()),
            ("category_id", self.category_id.clone()),
            ("tags", self.tags.clone()),
            ("stock", self.stock.clone()),
            ("status", self.status.clone()),
            ("featured", self.featured.clone().unwrap_or_default()),
        ]
    }

    /// Validates every field; field errors carry the entered values back.
    pub fn validate(&self, currency: &str) -> Result<ValidProduct, AppError> {
        let mut errors = FormErrors::new();
        let name = self.name.trim().to_string();
        if name.is_empty() {
            errors.add("name", "Enter the product name.");
        } else if name.chars().count() > 120 {
            errors.add("name", "Use at most 120 characters.");
        } else if name.chars().any(|c| c.is_control()) {
            errors.add("name", "The name contains characters we cannot use.");
        }
        let slug_in = self.slug.trim().to_lowercase();
        let slug = if slug_in.is_empty() {
            slugify(&name)
        } else {
            slug_in
        };
        if !name.is_empty() && !is_valid_slug(&slug) {
            errors.add(
                "slug",
                "Use lower-case letters, digits and dashes only (like oak-desk-lamp).",
            );
        }
        let description = self.description.trim().to_string();
        if description.chars().count() > 5000 {
            errors.add("description", "Use at most 5,000 characters.");
        } else if has_stray_control(&description, true) {
            errors.add(
                "description",
                "The description contains characters we cannot use.",
            );
        }
        let price = errors.check("price", parse_price(&self.price, currency));
        let category_id = Some(self.category_id.trim().to_string()).filter(|s| !s.is_empty());
        if category_id
            .as_deref()
            .is_some_and(|c| c.len() != 24 || !c.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            errors.add("category_id", "Choose a category from the list.");
        }
        let mut tags: Vec<String> = self
            .tags
            .split(',')
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        tags.dedup();
        if tags.len() > 20 {
            errors.add("tags", "Use at most 20 tags.");
        } else if tags.iter().any(|t| t.chars().count() > 40) {
            errors.add("tags", "Each tag can be at most 40 characters.");
        } else if tags.iter().any(|t| has_stray_control(t, false)) {
            errors.add("tags", "A tag contains characters we cannot use.");
        }
        let stock = match self.stock.trim().parse::<i64>() {
            Ok(s) if s < 0 => {
                errors.add("stock", "Stock cannot be negative.");
                None
            }
            Ok(s) if s > MAX_STOCK => {
                errors.add("stock", format!("Stock can be at most {MAX_STOCK}."));
                None
            }
            Ok(s) => Some(s),
            Err(_) if self.stock.trim().is_empty() => {
                errors.add("stock", "Enter how many are in stock (0 or more).");
                None
            }
            Err(_) => {
                errors.add("stock", "Enter a whole number, like 12.");
                None
            }
        };
        let status = match self.status.trim() {
            "" | "active" => ProductStatus::Active,
            "archived" => ProductStatus::Archived,
            _ => {
                errors.add("status", "Choose active or archived.");
                ProductStatus::Active
            }
        };
        let featured = matches!(self.featured.as_deref(), Some("on" | "true" | "1" | "yes"));
        let kept = self.kept();
        if !errors.is_empty() {
            let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
            return Err(AppError::Invalid(errors).keeping(&refs));
        }
        Ok(ValidProduct {
            name,
            slug,
            description,
            price: price.unwrap_or_default(),
            category_id,
            tags,
            stock: stock.unwrap_or_default(),
            status,
            featured,
        })
    }
}

/// A product row in the admin list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminProductRow {
    pub card: ProductCard,
    pub updated_at: String,
}

/// What the home page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct HomeData {
    pub featured: Vec<ProductCard>,
    pub newest: Vec<ProductCard>,
    pub categories: Vec<CategoryView>,
}
