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

pub use crate::shared::picture::{Picture, PLACEHOLDER_IMAGE};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageView {
    pub id: String,
    pub picture: Picture,
}

/// The original file of a picture (as uploaded; CSV exports link to it).
pub fn image_url(id: &str) -> String {
    format!("/images/{id}")
}

/// A product as a card in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCard {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// The lowest price of its variants ("from" when they differ).
    pub price: Money,
    /// Variants have different prices: the card says "from".
    pub price_varies: bool,
    /// What the cheapest variant cost before its sale, if it is on sale.
    pub compare_at: Option<Money>,
    /// Units of all variants together.
    pub stock: i64,
    /// Sold in options (sizes, colours): the shopper chooses on the product page.
    pub has_options: bool,
    pub picture: Picture,
    pub category_name: String,
    pub status: ProductStatus,
}

impl ProductCard {
    /// "$12.00", or "from $12.00" when variants differ in price.
    pub fn price_label(&self) -> String {
        if self.price_varies {
            format!("from {}", self.price)
        } else {
            self.price.to_string()
        }
    }
}

/// One option a product is sold in (Size, Colour, Material), values in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OptionView {
    pub name: String,
    pub values: Vec<String>,
}

/// One variant (a combination that is sold), as the shop shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariantView {
    pub id: String,
    pub sku: String,
    /// One value per option, in the product's option order (none for the default variant).
    pub options: Vec<String>,
    pub price: Money,
    pub compare_at: Option<Money>,
    pub stock: i64,
    pub weight_grams: Option<i64>,
    /// The picture shown for this variant (one of the product's pictures).
    pub image_id: Option<String>,
}

impl VariantView {
    /// "Size: M · Colour: Red" for a product with these `options`.
    pub fn label(&self, options: &[OptionView]) -> String {
        variant_label(options, &self.options)
    }

    pub fn on_sale(&self) -> bool {
        self.compare_at
            .is_some_and(|c| c.minor() > self.price.minor())
    }
}

/// "Size: M · Colour: Red" (empty for a product without options).
pub fn variant_label(options: &[OptionView], values: &[String]) -> String {
    options
        .iter()
        .zip(values)
        .map(|(o, v)| format!("{}: {v}", o.name))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Everything a product page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// The lowest variant price.
    pub price: Money,
    /// Units of all variants together.
    pub stock: i64,
    pub options: Vec<OptionView>,
    /// At least one: a product without options has one default variant.
    pub variants: Vec<VariantView>,
    pub status: ProductStatus,
    pub featured: bool,
    pub category: Option<CategoryView>,
    pub breadcrumbs: Vec<CategoryView>,
    pub tags: Vec<String>,
    pub images: Vec<ImageView>,
    pub created_at: String,
    pub updated_at: String,
    /// "More from this category" (product pages only).
    #[serde(default)]
    pub related: Vec<ProductCard>,
    /// schema.org `Product` with its offers, as JSON-LD for search engines
    /// (product pages only; `<` escaped so it cannot end its script element).
    #[serde(default)]
    pub structured_data: String,
}

impl ProductDetail {
    /// The variant with exactly these option values.
    pub fn variant_with(&self, values: &[String]) -> Option<&VariantView> {
        self.variants.iter().find(|v| v.options == values)
    }

    pub fn variant_by_sku(&self, sku: &str) -> Option<&VariantView> {
        self.variants
            .iter()
            .find(|v| v.sku.eq_ignore_ascii_case(sku))
    }

    /// The variant shown first: the first one in stock, else the first.
    pub fn default_variant(&self) -> Option<&VariantView> {
        self.variants
            .iter()
            .find(|v| v.stock > 0)
            .or_else(|| self.variants.first())
    }

    pub fn has_options(&self) -> bool {
        !self.options.is_empty()
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

/// One value of an option facet (Size: M) with the number of matching products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionValueFacet {
    pub value: String,
    pub count: u64,
    pub selected: bool,
}

/// An option (Size, Colour) as a filter, with its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionFacet {
    pub name: String,
    pub values: Vec<OptionValueFacet>,
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
    /// Option filters (Size, Colour, ...) for the products found.
    pub options: Vec<OptionFacet>,
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
