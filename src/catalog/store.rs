//! The `products` and `categories` collections. The only place that queries them,
//! including stock: reservations are recorded on the product itself, atomically
//! with the stock change, so stock can never go below zero and no reservation is lost.

use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, DateTime};
use mongodb::options::ReturnDocument;
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::types::{
    image_url, CategoryView, ImageView, ProductCard, ProductDetail, ProductStatus, ValidProduct,
    PLACEHOLDER_IMAGE,
};
use crate::kernel::db::{display_time, on_unique};
use crate::kernel::{DbContext, Error, Result};
use crate::shared::{Currency, Money, Slug};

pub const PRODUCTS: &str = "products";
pub const CATEGORIES: &str = "categories";
/// The unique index on category slugs.
pub const CATEGORY_SLUG_INDEX: &str = "slug_unique";
const CATEGORY_SLUG_TAKEN: &str = "Another category already uses this web address (slug).";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProductImage {
    pub id: ObjectId,
    pub alt: String,
    pub content_type: String,
}

/// Stock held for an order that is not paid yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reservation {
    pub order_id: ObjectId,
    pub qty: i64,
    pub at: DateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Product {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub name: String,
    pub slug: Slug,
    #[serde(default)]
    pub description: String,
    /// Minor units of `currency` (see [`Product::price`]).
    pub price: i64,
    pub currency: Currency,
    pub category_id: Option<ObjectId>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub stock: i64,
    pub status: ProductStatus,
    #[serde(default)]
    pub featured: bool,
    #[serde(default)]
    pub images: Vec<ProductImage>,
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
    /// The price of one unit.
    pub fn price(&self) -> Money {
        Money::new(self.price, self.currency)
    }

    pub fn first_image(&self) -> (String, String) {
        match self.images.first() {
            Some(img) => (
                image_url(&img.id.to_hex()),
                alt_or_name(&img.alt, &self.name),
            ),
            None => (
                PLACEHOLDER_IMAGE.to_string(),
                format!("{} (no photo yet)", self.name),
            ),
        }
    }

    pub fn card(&self, category_name: &str) -> ProductCard {
        let (image_url, image_alt) = self.first_image();
        ProductCard {
            id: self.id.to_hex(),
            slug: self.slug.to_string(),
            name: self.name.clone(),
            price: self.price(),
            stock: self.stock,
            image_url,
            image_alt,
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
                    url: image_url(&i.id.to_hex()),
                    alt: alt_or_name(&i.alt, &self.name),
                })
                .collect(),
            created_at: display_time(self.created_at),
            updated_at: display_time(self.updated_at),
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

pub async fn insert_product(db: &Database, product: &Product) -> Result<()> {
    products(db)
        .insert_one(product)
        .await
        .map_err(|e| on_unique(e, PRODUCT_SLUG_INDEX, "slug", SLUG_TAKEN))?;
    Ok(())
}

pub fn new_product(valid: &ValidProduct, category_id: Option<ObjectId>) -> Product {
    let now = DateTime::now();
    Product {
        id: ObjectId::new(),
        name: valid.name.clone(),
        slug: valid.slug.clone(),
        description: valid.description.clone(),
        price: valid.price.minor(),
        currency: valid.price.currency(),
        category_id,
        tags: valid.tags.clone(),
        stock: valid.stock,
        status: valid.status,
        featured: valid.featured,
        images: Vec::new(),
        reservations: Vec::new(),
        created_at: now,
        updated_at: now,
    }
}

/// Saves the edited fields. Stock is set as an absolute number only if nobody
/// changed it since the form was loaded (`expected_stock`), so an admin's save
/// never overwrites units sold meanwhile.
pub async fn update_product(
    db: &Database,
    id: &ObjectId,
    valid: &ValidProduct,
    category_id: Option<ObjectId>,
    expected_stock: Option<i64>,
) -> Result<Option<Product>> {
    let mut set = doc! {
        "name": &valid.name,
        "slug": valid.slug.as_str(),
        "description": &valid.description,
        "price": valid.price.minor(),
        "category_id": category_id,
        "tags": &valid.tags,
        "status": valid.status.as_str(),
        "featured": valid.featured,
        "updated_at": DateTime::now(),
    };
    let mut filter = doc! { "_id": id };
    if let Some(expected) = expected_stock {
        if expected != valid.stock {
            set.insert("stock", valid.stock);
            filter.insert("stock", expected);
        }
    }
    let updated = products(db)
        .find_one_and_update(filter, doc! { "$set": set })
        .return_document(ReturnDocument::After)
        .await
        .map_err(|e| on_unique(e, PRODUCT_SLUG_INDEX, "slug", SLUG_TAKEN))?;
    Ok(updated)
}

pub async fn set_status(db: &Database, id: &ObjectId, status: ProductStatus) -> Result<bool> {
    let res = products(db)
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "status": status.as_str(), "updated_at": DateTime::now() } },
        )
        .await?;
    Ok(res.matched_count == 1)
}

pub async fn delete_product(db: &Database, id: &ObjectId) -> Result<Option<Product>> {
    Ok(products(db).find_one_and_delete(doc! { "_id": id }).await?)
}

/// Adds `delta` (may be negative) to the stock, never below zero or above the maximum.
/// Returns the new stock, or `None` if the change would break those bounds.
pub async fn adjust_stock(db: &Database, id: &ObjectId, delta: i64) -> Result<Option<i64>> {
    let mut filter = doc! { "_id": id };
    if delta < 0 {
        filter.insert("stock", doc! { "$gte": -delta });
    } else {
        filter.insert("stock", doc! { "$lte": super::types::MAX_STOCK - delta });
    }
    let updated = products(db)
        .find_one_and_update(
            filter,
            doc! { "$inc": { "stock": delta }, "$set": { "updated_at": DateTime::now() } },
        )
        .return_document(ReturnDocument::After)
        .await?;
    Ok(updated.map(|p| p.stock))
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

/// Takes `qty` units for an order, atomically with recording the reservation.
/// False when the product is not active or has fewer than `qty` units.
pub async fn reserve_stock(
    db: &Database,
    product_id: &ObjectId,
    order_id: &ObjectId,
    qty: i64,
) -> Result<bool> {
    let res = products(db)
        .update_one(
            doc! {
                "_id": product_id,
                "status": ProductStatus::Active.as_str(),
                "stock": { "$gte": qty },
                "reservations.order_id": { "$ne": order_id },
            },
            doc! {
                "$inc": { "stock": -qty },
                "$push": { "reservations": { "order_id": order_id, "qty": qty, "at": DateTime::now() } },
            },
        )
        .await
        .context("reserving stock for an order")?;
    Ok(res.modified_count == 1)
}

/// Whether `order_id` already holds a reservation on the product (a placement
/// that was interrupted and is being completed reserves nothing twice).
pub async fn holds_reservation(
    db: &Database,
    product_id: &ObjectId,
    order_id: &ObjectId,
) -> Result<bool> {
    Ok(products(db)
        .count_documents(doc! { "_id": product_id, "reservations.order_id": order_id })
        .await
        .context("looking for an order's reservation")?
        > 0)
}

/// Every reservation an order holds, as (product, units): what to give back when
/// its placement is abandoned.
pub async fn reservations_of(db: &Database, order_id: &ObjectId) -> Result<Vec<(ObjectId, i64)>> {
    #[derive(Deserialize)]
    struct Held {
        #[serde(rename = "_id")]
        id: ObjectId,
        #[serde(default)]
        reservations: Vec<Reservation>,
    }
    let mut cursor = db
        .collection::<Held>(PRODUCTS)
        .find(doc! { "reservations.order_id": order_id })
        .projection(doc! { "reservations": 1 })
        .await
        .context("finding an order's reservations")?;
    let mut out = Vec::new();
    while let Some(p) = cursor.try_next().await? {
        for r in p.reservations.iter().filter(|r| r.order_id == *order_id) {
            out.push((p.id, r.qty));
        }
    }
    Ok(out)
}

/// Gives an order's reserved units back. Idempotent: only an existing
/// reservation is released, so a retry or a second caller changes nothing.
pub async fn release_reservation(
    db: &Database,
    product_id: &ObjectId,
    order_id: &ObjectId,
    qty: i64,
) -> Result<bool> {
    let res = products(db)
        .update_one(
            doc! { "_id": product_id, "reservations": { "$elemMatch": { "order_id": order_id, "qty": qty } } },
            doc! {
                "$inc": { "stock": qty },
                "$pull": { "reservations": { "order_id": order_id } },
            },
        )
        .await?;
    Ok(res.modified_count == 1)
}

/// The order was paid: its units are sold, the reservation record goes away.
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
/// guarantees it runs once (it won the order's status change).
pub async fn restock(db: &Database, product_id: &ObjectId, qty: i64) -> Result<()> {
    products(db)
        .update_one(
            doc! { "_id": product_id },
            doc! { "$inc": { "stock": qty }, "$set": { "updated_at": DateTime::now() } },
        )
        .await?;
    Ok(())
}

/// Reservations older than `before`, as (product, order, qty), for the sweeper.
pub async fn stale_reservations(
    db: &Database,
    before: DateTime,
    limit: usize,
) -> Result<Vec<(ObjectId, ObjectId, i64)>> {
    #[derive(Deserialize)]
    struct Held {
        #[serde(rename = "_id")]
        id: ObjectId,
        #[serde(default)]
        reservations: Vec<Reservation>,
    }
    let mut cursor = db
        .collection::<Held>(PRODUCTS)
        .find(doc! { "reservations.at": { "$lt": before } })
        .projection(doc! { "reservations": 1 })
        .await?;
    let mut out = Vec::new();
    while let Some(p) = cursor.try_next().await? {
        for r in &p.reservations {
            if r.at < before {
                out.push((p.id, r.order_id, r.qty));
            }
        }
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}
