//! The `products` and `categories` collections. The only place that queries them,
//! including stock: reservations are recorded on the product itself, atomically
//! with the stock change, so stock can never go below zero and no reservation is lost.

use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, DateTime};
use mongodb::options::ReturnDocument;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::types::{
    image_url, CategoryView, ImageView, OptionView, Picture, ProductCard, ProductDetail,
    ProductStatus, ValidProduct, VariantView,
};
use crate::kernel::db::{display_time, on_unique};
use crate::kernel::{DbContext, Error, Result};
use crate::shared::{Currency, Money, Sku, Slug};

pub const PRODUCTS: &str = "products";
pub const CATEGORIES: &str = "categories";
/// The unique index on category slugs.
pub const CATEGORY_SLUG_INDEX: &str = "slug_unique";
const CATEGORY_SLUG_TAKEN: &str = "Another category already uses this web address (slug).";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductImage {
    pub id: ObjectId,
    pub alt: String,
    /// The original's type (`image/svg+xml` for a drawn demo picture with no original kept).
    pub content_type: String,
    /// Content hash naming the resized files (`<key>-<width>.webp`). Missing on
    /// pictures saved before resizing: the `picture_widths` migration makes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub widths: Vec<u32>,
    #[serde(default)]
    pub width: u32,
    #[serde(default)]
    pub height: u32,
}

impl ProductImage {
    /// How pages show it, with `fallback_alt` when it has no description.
    pub fn picture(&self, fallback_alt: &str) -> Picture {
        Picture {
            key: self.key.clone().unwrap_or_default(),
            widths: self.widths.clone(),
            width: self.width,
            height: self.height,
            alt: alt_or_name(&self.alt, fallback_alt),
            legacy: self.key.is_none().then(|| image_url(&self.id.to_hex())),
        }
    }
}

/// Stock held for an order that is not paid yet: `qty` units of one variant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reservation {
    pub order_id: ObjectId,
    /// Missing only on reservations made before variants (the migration fills it).
    #[serde(default)]
    pub variant_id: Option<ObjectId>,
    pub qty: i64,
    pub at: DateTime,
}

/// An option a product is sold in (Size, Colour, Material), with its values in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductOption {
    pub name: String,
    pub values: Vec<String>,
}

/// One combination of option values that is sold, with its own SKU, price and stock.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Variant {
    pub id: ObjectId,
    pub sku: Sku,
    /// One value per option, in the product's option order (none for the default
    /// variant of a product without options).
    #[serde(default)]
    pub options: Vec<String>,
    /// Minor units of the product's currency.
    pub price: i64,
    /// What it cost before a sale (minor units), shown crossed out.
    #[serde(default)]
    pub compare_at: Option<i64>,
    pub stock: i64,
    #[serde(default)]
    pub weight_grams: Option<i64>,
    /// The picture for this variant: one of the product's pictures.
    #[serde(default)]
    pub image_id: Option<ObjectId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Product {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub name: String,
    pub slug: Slug,
    #[serde(default)]
    pub description: String,
    /// The lowest variant price (minor units), kept on the document for sorting;
    /// see [`Product::price`].
    pub price: i64,
    pub currency: Currency,
    pub category_id: Option<ObjectId>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Units of all variants together, changed in the same update as a variant's.
    pub stock: i64,
    pub status: ProductStatus,
    #[serde(default)]
    pub featured: bool,
    #[serde(default)]
    pub images: Vec<ProductImage>,
    #[serde(default)]
    pub options: Vec<ProductOption>,
    /// At least one after the variants migration.
    #[serde(default)]
    pub variants: Vec<Variant>,
    #[serde(default)]
    pub reservations: Vec<Reservation>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Category {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub name: String,
    pub slug: Slug,
    pub parent_id: Option<ObjectId>,
    #[serde(default)]
    pub description: String,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

impl Category {
    pub fn view(&self) -> CategoryView {
        CategoryView {
            id: self.id.to_hex(),
            name: self.name.clone(),
            slug: self.slug.to_string(),
            parent_id: self.parent_id.map(|p| p.to_hex()),
            description: self.description.clone(),
        }
    }
}

impl Product {
    /// The lowest price of its variants.
    pub fn price(&self) -> Money {
        Money::new(self.price, self.currency)
    }

    /// An amount in this product's currency.
    pub fn money(&self, minor: i64) -> Money {
        Money::new(minor, self.currency)
    }

    pub fn variant(&self, id: &ObjectId) -> Option<&Variant> {
        self.variants.iter().find(|v| v.id == *id)
    }

    /// The variant a shopper chose: by id, else by option values (one per option,
    /// compared without regard to case), else the product's only variant. The
    /// error says what to do, for the person.
    pub fn resolve_variant(
        &self,
        id: Option<&ObjectId>,
        chosen: &[Option<String>],
    ) -> std::result::Result<&Variant, String> {
        if let Some(id) = id {
            return self
                .variant(id)
                .ok_or_else(|| "That choice is no longer sold. Choose another.".to_string());
        }
        if self.variants.len() == 1 && self.options.is_empty() {
            return Ok(&self.variants[0]);
        }
        let values: Vec<&str> = chosen
            .iter()
            .take(self.options.len())
            .map(|c| c.as_deref().map(str::trim).unwrap_or(""))
            .collect();
        let missing: Vec<&str> = self
            .options
            .iter()
            .zip(values.iter().chain(std::iter::repeat(&"")))
            .filter(|(_, v)| v.is_empty())
            .map(|(o, _)| o.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(format!("Choose {}.", missing.join(" and ").to_lowercase()));
        }
        self.variants
            .iter()
            .find(|v| {
                v.options.len() == values.len()
                    && v.options.iter().zip(&values).all(|(a, b)| {
                        a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
                    })
            })
            .ok_or_else(|| "This combination is not available. Choose another.".to_string())
    }

    /// The only variant of a product without options.
    pub fn default_variant(&self) -> Option<&Variant> {
        match self.variants.as_slice() {
            [only] if self.options.is_empty() => Some(only),
            _ => None,
        }
    }

    /// "Size: M · Colour: Red" for one of its variants.
    pub fn variant_label(&self, variant: &Variant) -> String {
        self.options
            .iter()
            .zip(&variant.options)
            .map(|(o, v)| format!("{}: {v}", o.name))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// The picture of a variant: its own, else the product's first.
    pub fn variant_image(&self, variant: &Variant) -> Picture {
        match variant
            .image_id
            .and_then(|id| self.images.iter().find(|i| i.id == id))
        {
            Some(img) => img.picture(&self.name),
            None => self.first_image(),
        }
    }

    /// Whether its variants differ in price (cards say "from").
    pub fn price_varies(&self) -> bool {
        self.variants.iter().any(|v| v.price != self.price)
    }

    /// The cheapest variant's sale: what it cost before, when it is on sale.
    pub fn compare_at(&self) -> Option<Money> {
        self.variants
            .iter()
            .filter(|v| v.price == self.price)
            .filter_map(|v| v.compare_at.filter(|c| *c > v.price))
            .max()
            .map(|c| self.money(c))
    }

    /// Whether any variant is on sale.
    pub fn on_sale(&self) -> bool {
        self.variants
            .iter()
            .any(|v| v.compare_at.is_some_and(|c| c > v.price))
    }

    pub fn variant_views(&self) -> Vec<VariantView> {
        self.variants
            .iter()
            .map(|v| VariantView {
                id: v.id.to_hex(),
                sku: v.sku.to_string(),
                options: v.options.clone(),
                price: self.money(v.price),
                compare_at: v.compare_at.map(|c| self.money(c)),
                stock: v.stock,
                weight_grams: v.weight_grams,
                image_id: v.image_id.map(|i| i.to_hex()),
            })
            .collect()
    }

    pub fn option_views(&self) -> Vec<OptionView> {
        self.options
            .iter()
            .map(|o| OptionView {
                name: o.name.clone(),
                values: o.values.clone(),
            })
            .collect()
    }

    pub fn first_image(&self) -> Picture {
        match self.images.first() {
            Some(img) => img.picture(&self.name),
            None => Picture::placeholder(format!("{} (no photo yet)", self.name)),
        }
    }

    pub fn card(&self, category_name: &str) -> ProductCard {
        let picture = self.first_image();
        ProductCard {
            id: self.id.to_hex(),
            slug: self.slug.to_string(),
            name: self.name.clone(),
            price: self.price(),
            price_varies: self.price_varies(),
            compare_at: self.compare_at(),
            stock: self.stock,
            has_options: !self.options.is_empty(),
            picture,
            category_name: category_name.to_string(),
            status: self.status,
        }
    }

    pub fn detail(
        &self,
        category: Option<CategoryView>,
        breadcrumbs: Vec<CategoryView>,
    ) -> ProductDetail {
        ProductDetail {
            id: self.id.to_hex(),
            slug: self.slug.to_string(),
            name: self.name.clone(),
            description: self.description.clone(),
            price: self.price(),
            stock: self.stock,
            options: self.option_views(),
            variants: self.variant_views(),
            status: self.status,
            featured: self.featured,
            category,
            breadcrumbs,
            tags: self.tags.clone(),
            images: self
                .images
                .iter()
                .map(|i| ImageView {
                    id: i.id.to_hex(),
                    picture: i.picture(&self.name),
                })
                .collect(),
            created_at: display_time(self.created_at),
            updated_at: display_time(self.updated_at),
            related: Vec::new(),
            structured_data: String::new(),
        }
    }
}

fn alt_or_name(alt: &str, name: &str) -> String {
    if alt.trim().is_empty() {
        name.to_string()
    } else {
        alt.to_string()
    }
}

pub fn products(db: &Database) -> Collection<Product> {
    db.collection(PRODUCTS)
}

pub fn categories(db: &Database) -> Collection<Category> {
    db.collection(CATEGORIES)
}

pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
    let p = products(db);
    p.create_index(crate::kernel::db::index(
        doc! { "slug": 1 },
        "slug_unique",
        true,
    ))
    .await?;
    p.create_index(crate::kernel::db::index(
        doc! { "category_id": 1 },
        "category_id",
        false,
    ))
    .await?;
    p.create_index(crate::kernel::db::index(
        doc! { "status": 1, "created_at": -1 },
        "status_created",
        false,
    ))
    .await?;
    p.create_index(crate::kernel::db::index(
        doc! { "status": 1, "featured": 1 },
        "status_featured",
        false,
    ))
    .await?;
    p.create_index(crate::kernel::db::index(
        doc! { "reservations.order_id": 1 },
        "reservation_order",
        false,
    ))
    .await?;
    p.create_index(crate::kernel::db::index(
        doc! { "reservations.at": 1 },
        "reservation_at",
        false,
    ))
    .await?;
    p.create_index(crate::kernel::db::index(
        doc! { "variants.id": 1 },
        "variant_id",
        false,
    ))
    .await?;
    // A picture's address by id (pictures without a kept original) and the check
    // whether a picture's files are still used when one is removed.
    p.create_index(crate::kernel::db::index(
        doc! { "images.id": 1 },
        "image_id",
        false,
    ))
    .await?;
    p.create_index(crate::kernel::db::index(
        doc! { "images.key": 1 },
        "image_key",
        false,
    ))
    .await?;
    // Unique across products (a product's own variants are checked when saved);
    // sparse, so products not yet migrated to variants do not collide.
    p.create_index(
        mongodb::IndexModel::builder()
            .keys(doc! { "variants.sku": 1 })
            .options(
                mongodb::options::IndexOptions::builder()
                    .name(VARIANT_SKU_INDEX.to_string())
                    .unique(true)
                    .sparse(true)
                    .build(),
            )
            .build(),
    )
    .await?;
    let c = categories(db);
    c.create_index(crate::kernel::db::index(
        doc! { "slug": 1 },
        "slug_unique",
        true,
    ))
    .await?;
    c.create_index(crate::kernel::db::index(
        doc! { "parent_id": 1 },
        "parent_id",
        false,
    ))
    .await?;
    Ok(())
}

// ---------- categories ----------

pub async fn list_categories(db: &Database) -> Result<Vec<Category>> {
    Ok(categories(db)
        .find(doc! {})
        .sort(doc! { "name": 1 })
        .await?
        .try_collect()
        .await?)
}

pub async fn find_category(db: &Database, id: &ObjectId) -> Result<Option<Category>> {
    Ok(categories(db).find_one(doc! { "_id": id }).await?)
}

pub async fn insert_category(db: &Database, category: &Category) -> Result<()> {
    categories(db)
        .insert_one(category)
        .await
        .map_err(|e| on_unique(e, CATEGORY_SLUG_INDEX, "slug", CATEGORY_SLUG_TAKEN))?;
    Ok(())
}

pub async fn update_category(
    db: &Database,
    id: &ObjectId,
    name: &str,
    slug: &str,
    parent_id: Option<ObjectId>,
    description: &str,
) -> Result<bool> {
    let res = categories(db)
        .update_one(
            doc! { "_id": id },
            doc! { "$set": {
                "name": name, "slug": slug, "parent_id": parent_id,
                "description": description, "updated_at": DateTime::now(),
            } },
        )
        .await
        .map_err(|e| on_unique(e, CATEGORY_SLUG_INDEX, "slug", CATEGORY_SLUG_TAKEN))?;
    Ok(res.matched_count == 1)
}

pub async fn delete_category(db: &Database, id: &ObjectId) -> Result<bool> {
    Ok(categories(db)
        .delete_one(doc! { "_id": id })
        .await?
        .deleted_count
        == 1)
}

pub async fn count_products_in_category(db: &Database, id: &ObjectId) -> Result<u64> {
    Ok(products(db)
        .count_documents(doc! { "category_id": id })
        .await?)
}

pub async fn count_children(db: &Database, id: &ObjectId) -> Result<u64> {
    Ok(categories(db)
        .count_documents(doc! { "parent_id": id })
        .await?)
}

// ---------- products ----------

pub async fn find_by_slug(db: &Database, slug: &Slug) -> Result<Option<Product>> {
    Ok(products(db)
        .find_one(doc! { "slug": slug.as_str() })
        .await?)
}

pub async fn find_by_id(db: &Database, id: &ObjectId) -> Result<Option<Product>> {
    Ok(products(db).find_one(doc! { "_id": id }).await?)
}

/// The product one of whose variants has this id.
pub async fn find_by_variant(db: &Database, variant_id: &ObjectId) -> Result<Option<Product>> {
    Ok(products(db)
        .find_one(doc! { "variants.id": variant_id })
        .await?)
}

/// The product one of whose variants has this SKU.
pub async fn find_by_sku(db: &Database, sku: &Sku) -> Result<Option<Product>> {
    Ok(products(db)
        .find_one(doc! { "variants.sku": sku.as_str() })
        .await?)
}

/// Up to `limit` products after `after` in `_id` order (resumable full reads).
pub async fn products_after(
    db: &Database,
    after: Option<ObjectId>,
    limit: i64,
) -> Result<Vec<Product>> {
    let filter = match after {
        Some(id) => doc! { "_id": { "$gt": id } },
        None => doc! {},
    };
    products(db)
        .find(filter)
        .sort(doc! { "_id": 1 })
        .limit(limit)
        .await
        .context("reading a batch of products")?
        .try_collect()
        .await
        .context("reading a batch of products")
}

pub async fn find_by_ids(db: &Database, ids: &[ObjectId]) -> Result<Vec<Product>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(products(db)
        .find(doc! { "_id": { "$in": ids } })
        .await?
        .try_collect()
        .await?)
}

const SLUG_TAKEN: &str = "Another product already uses this web address (slug).";
/// The unique index on product slugs.
pub const PRODUCT_SLUG_INDEX: &str = "slug_unique";
/// The unique index on variant SKUs, across the catalog.
pub const VARIANT_SKU_INDEX: &str = "variant_sku_unique";
const SKU_TAKEN: &str = "Another product already uses this SKU.";

/// A product write's duplicate-key errors, as field messages.
fn on_product_unique(e: mongodb::error::Error) -> Error {
    match crate::kernel::db::duplicate_key_index(&e).as_deref() {
        Some(VARIANT_SKU_INDEX) => on_unique(e, VARIANT_SKU_INDEX, "sku", SKU_TAKEN),
        _ => on_unique(e, PRODUCT_SLUG_INDEX, "slug", SLUG_TAKEN),
    }
}

pub async fn insert_product(db: &Database, product: &Product) -> Result<()> {
    products(db)
        .insert_one(product)
        .await
        .map_err(on_product_unique)?;
    Ok(())
}

/// The SKU a product's only variant gets when the admin gives none: its slug.
pub fn sku_from_slug(slug: &Slug) -> Sku {
    let upper: String = slug
        .as_str()
        .to_uppercase()
        .chars()
        .take(Sku::MAX_CHARS)
        .collect();
    Sku::parse(&upper).unwrap_or_else(|_| Sku::parse("ITEM").expect("a valid SKU"))
}

/// A new product with one default variant (price, stock and SKU from the form).
pub fn new_product(
    valid: &ValidProduct,
    currency: Currency,
    category_id: Option<ObjectId>,
) -> Product {
    let now = DateTime::now();
    let price = valid.price.map(|p| p.minor()).unwrap_or(0);
    let stock = valid.stock.unwrap_or(0);
    Product {
        id: ObjectId::new(),
        name: valid.name.clone(),
        slug: valid.slug.clone(),
        description: valid.description.clone(),
        price,
        currency,
        category_id,
        tags: valid.tags.clone(),
        stock,
        status: valid.status,
        featured: valid.featured,
        images: Vec::new(),
        options: Vec::new(),
        variants: vec![Variant {
            id: ObjectId::new(),
            sku: valid
                .sku
                .clone()
                .unwrap_or_else(|| sku_from_slug(&valid.slug)),
            options: Vec::new(),
            price,
            compare_at: None,
            stock,
            weight_grams: None,
            image_id: None,
        }],
        reservations: Vec::new(),
        created_at: now,
        updated_at: now,
    }
}

/// Saves the edited product fields and adds `new_images` in the same write. For
/// a product without options, the form's price and SKU go to its one variant.
/// Stock is not part of it: it changes only through stock adjustments (kept in
/// the history) and orders. None when the product is gone or its one variant was
/// replaced meanwhile.
pub async fn update_product(
    db: &Database,
    current: &Product,
    valid: &ValidProduct,
    category_id: Option<ObjectId>,
    new_images: &[ProductImage],
) -> Result<Option<Product>> {
    let mut set = doc! {
        "name": &valid.name,
        "slug": valid.slug.as_str(),
        "description": &valid.description,
        "category_id": category_id,
        "tags": &valid.tags,
        "status": valid.status.as_str(),
        "featured": valid.featured,
        "updated_at": DateTime::now(),
    };
    let mut filter = doc! { "_id": current.id };
    if current.options.is_empty() && current.variants.len() == 1 {
        // The product's one variant; it must still be the one the form showed.
        filter.insert("variants.0.id", current.variants[0].id);
        if let Some(price) = valid.price {
            set.insert("price", price.minor());
            set.insert("variants.0.price", price.minor());
        }
        if let Some(sku) = &valid.sku {
            set.insert("variants.0.sku", sku.as_str());
        }
    }
    let mut update = doc! { "$set": set };
    if !new_images.is_empty() {
        let imgs = mongodb::bson::to_bson(new_images)
            .map_err(|e| Error::internal_from("encoding product pictures", e))?;
        update.insert("$push", doc! { "images": { "$each": imgs } });
    }
    let updated = products(db)
        .find_one_and_update(filter, update)
        .return_document(ReturnDocument::After)
        .await
        .map_err(on_product_unique)?;
    Ok(updated)
}

/// Takes pictures off a product; variants that showed one fall back to the
/// product's first. The product as saved, None when it is gone.
pub async fn pull_images(
    db: &Database,
    id: &ObjectId,
    image_ids: &[ObjectId],
) -> Result<Option<Product>> {
    let updated = products(db)
        .find_one_and_update(
            doc! { "_id": id },
            doc! {
                "$pull": { "images": { "id": { "$in": image_ids } } },
                "$set": { "updated_at": DateTime::now() },
            },
        )
        .return_document(ReturnDocument::After)
        .await?;
    Ok(updated)
}

/// The variants for new options: every combination of their values, in order.
/// A combination the product already sells keeps its variant (id, SKU, price,
/// stock, picture); a new one gets a SKU made from the product's first SKU and its
/// values, the product's lowest price and no stock. With no options, the product
/// keeps one variant (its first, or a new one).
pub fn build_matrix(product: &Product, options: &[ProductOption]) -> Vec<Variant> {
    let mut combos: Vec<Vec<String>> = vec![Vec::new()];
    for o in options {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                o.values.iter().map(move |v| {
                    let mut next = c.clone();
                    next.push(v.clone());
                    next
                })
            })
            .collect();
    }
    let same = |a: &[String], b: &[String]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_lowercase() == y.to_lowercase())
    };
    let base = product
        .variants
        .first()
        .map(|v| sku_base(&v.sku, &v.options))
        .unwrap_or_else(|| sku_from_slug(&product.slug).to_string());
    let mut used: Vec<String> = Vec::new();
    combos
        .into_iter()
        .map(|values| {
            let existing = product.variants.iter().find(|v| {
                same(&v.options, &values)
                    // Going from no options to some: the old default variant
                    // becomes the first combination.
                    || (v.options.is_empty() && product.variants.len() == 1 && !used.contains(&v.sku.to_string()))
            });
            let variant = match existing {
                Some(v) => Variant {
                    options: values.clone(),
                    ..v.clone()
                },
                None => Variant {
                    id: ObjectId::new(),
                    sku: variant_sku(&base, &values),
                    options: values.clone(),
                    price: product.price,
                    compare_at: None,
                    stock: 0,
                    weight_grams: product.variants.first().and_then(|v| v.weight_grams),
                    image_id: None,
                },
            };
            used.push(variant.sku.to_string());
            variant
        })
        .collect()
}

/// The part of a SKU before its option values ("TEE" of "TEE-RED-M").
fn sku_base(sku: &Sku, values: &[String]) -> String {
    let mut base = sku.as_str().to_string();
    for v in values.iter().rev() {
        let suffix = format!("-{}", sku_word(v));
        if let Some(stripped) = base.strip_suffix(&suffix) {
            base = stripped.to_string();
        }
    }
    base
}

/// An option value as a SKU part: "Midnight blue" → "MIDNIGHT-BLUE".
fn sku_word(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// `BASE-V1-V2`, cut to the longest SKU allowed.
pub fn variant_sku(base: &str, values: &[String]) -> Sku {
    let mut s = base.to_string();
    for v in values {
        let w = sku_word(v);
        if !w.is_empty() {
            s.push('-');
            s.push_str(&w);
        }
    }
    let s: String = s.chars().take(Sku::MAX_CHARS).collect();
    Sku::parse(s.trim_end_matches('-')).unwrap_or_else(|_| Sku::parse("ITEM").expect("a valid SKU"))
}

/// Replaces a product's options and variants, as edited in the admin's variant
/// table. Conditional on the variants the editor started from, on no removed
/// variant being held by unpaid orders, and on stock not having moved since
/// (`expected_stock`): the caller computed the new total.
pub async fn replace_variants(
    db: &Database,
    product: &Product,
    options: &[ProductOption],
    variants: &[Variant],
    expected_stock: i64,
) -> Result<Option<Product>> {
    replace_variants_and(db, product, options, variants, expected_stock, doc! {}).await
}

/// [`replace_variants`], also setting the product fields in `set` (an import).
pub async fn replace_variants_and(
    db: &Database,
    product: &Product,
    options: &[ProductOption],
    variants: &[Variant],
    expected_stock: i64,
    set: mongodb::bson::Document,
) -> Result<Option<Product>> {
    let price = variants.iter().map(|v| v.price).min().unwrap_or(0);
    let stock: i64 = variants.iter().map(|v| v.stock).sum();
    let ids: Vec<ObjectId> = product.variants.iter().map(|v| v.id).collect();
    let options_bson = mongodb::bson::to_bson(options)
        .map_err(|e| Error::internal_from("encoding product options", e))?;
    let variants_bson = mongodb::bson::to_bson(variants)
        .map_err(|e| Error::internal_from("encoding variants", e))?;
    let kept: Vec<ObjectId> = variants.iter().map(|v| v.id).collect();
    let mut filter = doc! {
        "_id": product.id,
        "stock": expected_stock,
        "variants": { "$size": ids.len() as i64 },
    };
    // Every variant the editor started from is still there (an `$and` of
    // equalities rather than `$all`, which not every server applies to paths
    // through arrays of documents).
    if !ids.is_empty() {
        let each: Vec<mongodb::bson::Document> =
            ids.iter().map(|id| doc! { "variants.id": id }).collect();
        filter.insert("$and", each);
    }
    // A variant that unpaid orders hold may not disappear.
    let removed: Vec<ObjectId> = ids
        .iter()
        .filter(|id| !kept.contains(id))
        .copied()
        .collect();
    if !removed.is_empty() {
        filter.insert("reservations.variant_id", doc! { "$nin": removed });
    }
    let mut all = set;
    all.insert("options", options_bson);
    all.insert("variants", variants_bson);
    all.insert("price", price);
    all.insert("stock", stock);
    all.insert("updated_at", DateTime::now());
    let updated = products(db)
        .find_one_and_update(filter, doc! { "$set": all })
        .return_document(ReturnDocument::After)
        .await
        .map_err(on_product_unique)?;
    Ok(updated)
}

pub async fn delete_product(db: &Database, id: &ObjectId) -> Result<Option<Product>> {
    Ok(products(db).find_one_and_delete(doc! { "_id": id }).await?)
}

/// Adds `delta` (may be negative) to one variant's stock (and the product's total),
/// never below zero or above the maximum. Returns the variant's new stock, or `None`
/// if the change would break those bounds (or the variant is gone).
pub async fn adjust_stock(
    db: &Database,
    id: &ObjectId,
    variant_id: &ObjectId,
    delta: i64,
) -> Result<Option<i64>> {
    let bound = if delta < 0 {
        doc! { "$gte": -delta }
    } else {
        doc! { "$lte": super::types::MAX_STOCK - delta }
    };
    let updated = products(db)
        .find_one_and_update(
            doc! { "_id": id, "variants": { "$elemMatch": { "id": variant_id, "stock": bound } } },
            doc! {
                "$inc": { "variants.$[v].stock": delta, "stock": delta },
                "$set": { "updated_at": DateTime::now() },
            },
        )
        .array_filters(vec![doc! { "v.id": variant_id }])
        .return_document(ReturnDocument::After)
        .await
        .context("adjusting a variant's stock")?;
    Ok(updated.and_then(|p| p.variant(variant_id).map(|v| v.stock)))
}

/// Variants of active products with `at_most` units or fewer, fewest first
/// (`limit` of them), with their product.
pub async fn low_stock(
    db: &Database,
    at_most: i64,
    limit: usize,
) -> Result<Vec<(Product, Variant)>> {
    let found: Vec<Product> = products(db)
        .find(doc! { "status": "active", "variants.stock": { "$lte": at_most } })
        .limit(200)
        .await?
        .try_collect()
        .await?;
    let mut low: Vec<(Product, Variant)> = found
        .iter()
        .flat_map(|p| {
            p.variants
                .iter()
                .filter(|v| v.stock <= at_most)
                .map(move |v| (p.clone(), v.clone()))
        })
        .collect();
    low.sort_by(|a, b| {
        a.1.stock
            .cmp(&b.1.stock)
            .then_with(|| a.0.name.cmp(&b.0.name))
    });
    low.truncate(limit);
    Ok(low)
}

pub async fn push_image(db: &Database, id: &ObjectId, image: &ProductImage) -> Result<bool> {
    let img = mongodb::bson::to_bson(image)
        .map_err(|e| Error::internal_from("encoding a product picture", e))?;
    let res = products(db)
        .update_one(
            doc! { "_id": id },
            doc! { "$push": { "images": img }, "$set": { "updated_at": DateTime::now() } },
        )
        .await?;
    Ok(res.matched_count == 1)
}

pub async fn pull_image(db: &Database, id: &ObjectId, image_id: &ObjectId) -> Result<bool> {
    let res = products(db)
        .update_one(
            doc! { "_id": id },
            doc! { "$pull": { "images": { "id": image_id } }, "$set": { "updated_at": DateTime::now() } },
        )
        .await?;
    Ok(res.modified_count == 1)
}

// ---------- stock reservations ----------

/// Takes `qty` units of one variant for an order, atomically with recording the
/// reservation. False when the product is not active, the variant has fewer than
/// `qty` units, or the order already holds this variant (nothing is taken twice).
pub async fn reserve_stock(
    db: &Database,
    product_id: &ObjectId,
    variant_id: &ObjectId,
    order_id: &ObjectId,
    qty: i64,
) -> Result<bool> {
    let res = products(db)
        .update_one(
            doc! {
                "_id": product_id,
                "status": ProductStatus::Active.as_str(),
                "variants": { "$elemMatch": { "id": variant_id, "stock": { "$gte": qty } } },
                "reservations": { "$not": { "$elemMatch": { "order_id": order_id, "variant_id": variant_id } } },
            },
            doc! {
                "$inc": { "variants.$[v].stock": -qty, "stock": -qty },
                "$push": { "reservations": {
                    "order_id": order_id, "variant_id": variant_id, "qty": qty, "at": DateTime::now(),
                } },
            },
        )
        .array_filters(vec![doc! { "v.id": variant_id }])
        .await
        .context("reserving stock for an order")?;
    Ok(res.modified_count == 1)
}

/// Whether `order_id` already holds a reservation of the variant (a placement
/// that was interrupted and is being completed reserves nothing twice).
pub async fn holds_reservation(
    db: &Database,
    product_id: &ObjectId,
    variant_id: &ObjectId,
    order_id: &ObjectId,
) -> Result<bool> {
    Ok(products(db)
        .count_documents(doc! {
            "_id": product_id,
            "reservations": { "$elemMatch": { "order_id": order_id, "variant_id": variant_id } },
        })
        .await
        .context("looking for an order's reservation")?
        > 0)
}

/// A reservation as the order side needs it: which product and variant, how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub product_id: ObjectId,
    pub variant_id: ObjectId,
    pub order_id: ObjectId,
    pub qty: i64,
}

#[derive(Deserialize)]
struct Reservations {
    #[serde(rename = "_id")]
    id: ObjectId,
    #[serde(default)]
    reservations: Vec<Reservation>,
}

/// Every reservation an order holds: what to give back when its placement is
/// abandoned.
pub async fn reservations_of(db: &Database, order_id: &ObjectId) -> Result<Vec<Held>> {
    let mut cursor = db
        .collection::<Reservations>(PRODUCTS)
        .find(doc! { "reservations.order_id": order_id })
        .projection(doc! { "reservations": 1 })
        .await
        .context("finding an order's reservations")?;
    let mut out = Vec::new();
    while let Some(p) = cursor.try_next().await? {
        for r in p.reservations.iter().filter(|r| r.order_id == *order_id) {
            if let Some(variant_id) = r.variant_id {
                out.push(Held {
                    product_id: p.id,
                    variant_id,
                    order_id: r.order_id,
                    qty: r.qty,
                });
            }
        }
    }
    Ok(out)
}

/// Gives an order's reserved units of one variant back. Idempotent: only an
/// existing reservation is released, so a retry or a second caller changes nothing.
pub async fn release_reservation(
    db: &Database,
    product_id: &ObjectId,
    variant_id: &ObjectId,
    order_id: &ObjectId,
    qty: i64,
) -> Result<bool> {
    let res = products(db)
        .update_one(
            doc! {
                "_id": product_id,
                "reservations": { "$elemMatch": { "order_id": order_id, "variant_id": variant_id, "qty": qty } },
            },
            doc! {
                "$inc": { "variants.$[v].stock": qty, "stock": qty },
                "$pull": { "reservations": { "order_id": order_id, "variant_id": variant_id } },
            },
        )
        .array_filters(vec![doc! { "v.id": variant_id }])
        .await
        .context("releasing reserved stock")?;
    Ok(res.modified_count == 1)
}

/// The order was paid: its units are sold, its reservation records go away.
pub async fn commit_reservation(
    db: &Database,
    product_id: &ObjectId,
    order_id: &ObjectId,
) -> Result<bool> {
    let res = products(db)
        .update_one(
            doc! { "_id": product_id, "reservations.order_id": order_id },
            doc! { "$pull": { "reservations": { "order_id": order_id } } },
        )
        .await?;
    Ok(res.modified_count == 1)
}

/// Puts units back after a paid order was cancelled before shipping. The caller
/// guarantees it runs once (it won the order's status change). A variant that no
/// longer exists gets nothing back (its units are gone with it).
pub async fn restock(
    db: &Database,
    product_id: &ObjectId,
    variant_id: &ObjectId,
    qty: i64,
) -> Result<()> {
    products(db)
        .update_one(
            doc! { "_id": product_id, "variants.id": variant_id },
            doc! {
                "$inc": { "variants.$[v].stock": qty, "stock": qty },
                "$set": { "updated_at": DateTime::now() },
            },
        )
        .array_filters(vec![doc! { "v.id": variant_id }])
        .await?;
    Ok(())
}

/// Reservations older than `before`, for the sweeper.
pub async fn stale_reservations(
    db: &Database,
    before: DateTime,
    limit: usize,
) -> Result<Vec<Held>> {
    let mut cursor = db
        .collection::<Reservations>(PRODUCTS)
        .find(doc! { "reservations.at": { "$lt": before } })
        .projection(doc! { "reservations": 1 })
        .await?;
    let mut out = Vec::new();
    while let Some(p) = cursor.try_next().await? {
        for r in &p.reservations {
            if let (true, Some(variant_id)) = (r.at < before, r.variant_id) {
                out.push(Held {
                    product_id: p.id,
                    variant_id,
                    order_id: r.order_id,
                    qty: r.qty,
                });
            }
        }
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}
