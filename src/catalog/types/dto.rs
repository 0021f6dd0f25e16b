//! What the catalog's server functions answer: categories, product cards and
//! pages, search results with facets, the home page.

use serde::{Deserialize, Serialize};

use crate::shared::{Currency, Money};

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
    pub price: Money,
    pub stock: i64,
    pub image_url: String,
    pub image_alt: String,
    pub category_name: String,
    pub status: ProductStatus,
}

/// Everything a product page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub price: Money,
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

/// How many are left, in words a shopper understands.
pub fn stock_label(stock: i64) -> (&'static str, String) {
    match stock {
        s if s <= 0 => ("stock-out", "Out of stock".to_string()),
        s if s <= 5 => ("stock-low", format!("Only {s} left")),
        _ => ("stock-in", "In stock".to_string()),
    }
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub currency: Currency,
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
