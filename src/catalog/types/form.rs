//! The product form as an admin types it, and its validation.

use serde::{Deserialize, Serialize};

use super::dto::ProductStatus;
use super::query::MAX_STOCK;
use crate::shared::domain::slugify;
use crate::shared::text::has_stray_control;
use crate::shared::{AppError, Currency, FormErrors, Money, Sku, Slug};

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
    /// The SKU of a product without options (made from the name when empty).
    #[serde(default)]
    pub sku: Option<String>,
}

/// A product after validation. Price, stock and SKU belong to the product's one
/// variant; a product with options leaves them out (its variants have their own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidProduct {
    pub name: String,
    pub slug: Slug,
    pub description: String,
    pub price: Option<Money>,
    pub category_id: Option<String>,
    pub tags: Vec<String>,
    pub stock: Option<i64>,
    pub sku: Option<Sku>,
    pub status: ProductStatus,
    pub featured: bool,
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
            ("sku", self.sku.clone().unwrap_or_default()),
        ]
    }

    /// Validates every field of a new product or one without options (price and
    /// stock required); field errors carry the entered values back.
    pub fn validate(&self, currency: Currency) -> Result<ValidProduct, AppError> {
        self.validate_for(currency, true, true)
    }

    /// Validates; with `single_variant` false (a product with options) price and
    /// stock may be left empty: its variants carry them.
    /// With `with_stock` false (editing a saved product, whose stock changes only
    /// through stock adjustments) the stock field is ignored.
    pub fn validate_for(
        &self,
        currency: Currency,
        single_variant: bool,
        with_stock: bool,
    ) -> Result<ValidProduct, AppError> {
        let mut errors = FormErrors::new();
        let name = self.name.trim().to_string();
        if name.is_empty() {
            errors.add("name", "Enter the product name.");
        } else if name.chars().count() > 120 {
            errors.add("name", "Use at most 120 characters.");
        } else if has_stray_control(&name, false) {
            errors.add("name", "The name contains characters we cannot use.");
        }
        let slug_in = self.slug.trim().to_lowercase();
        let slug = if slug_in.is_empty() {
            slugify(&name)
        } else {
            slug_in
        };
        let slug = if name.is_empty() {
            None
        } else {
            errors.check("slug", Slug::parse(&slug))
        };
        let description = self.description.trim().to_string();
        if description.chars().count() > 5000 {
            errors.add("description", "Use at most 5,000 characters.");
        } else if has_stray_control(&description, true) {
            errors.add(
                "description",
                "The description contains characters we cannot use.",
            );
        }
        let price = if !single_variant && self.price.trim().is_empty() {
            None
        } else {
            errors.check("price", Money::parse(&self.price, currency))
        };
        let sku = match self.sku.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(raw) => errors.check("sku", Sku::parse(raw)),
            None => None,
        };
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
            _ if !with_stock => None,
            Ok(s) if s < 0 => {
                errors.add("stock", "Stock cannot be negative.");
                None
            }
            Ok(s) if s > MAX_STOCK => {
                errors.add("stock", format!("Stock can be at most {MAX_STOCK}."));
                None
            }
            Ok(s) => Some(s),
            Err(_) if self.stock.trim().is_empty() && !single_variant => None,
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
        let (Some(slug), true) = (slug, errors.is_empty()) else {
            if errors.is_empty() {
                errors.add("name", "Enter the product name.");
            }
            let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
            return Err(AppError::Invalid(errors).keeping(&refs));
        };
        Ok(ValidProduct {
            name,
            slug,
            description,
            price,
            category_id,
            tags,
            stock,
            sku,
            status,
            featured,
        })
    }
}
