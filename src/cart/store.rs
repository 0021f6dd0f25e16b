//! The `carts` collection: one cart per account, one per guest session. The only
//! place that queries it. Every change is a single atomic update; `version`
//! increases with each change, so a checkout can tell which cart content it saw.

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use super::types::{CartLine, CartView, MAX_CART_LINES, MAX_LINE_QUANTITY};
use crate::catalog::store as catalog;
use crate::catalog::types::ProductStatus;
use crate::kernel::{DbContext, Error, Result};
use crate::shared::{AppError, Currency, Money, Quantity};

pub const COLLECTION: &str = "carts";
/// Guest carts are forgotten after this long without changes.
const GUEST_CART_DAYS: i64 = 30;

/// One cart line: units of one variant of a product.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CartItem {
    pub product_id: ObjectId,
    /// The variant in the cart (lines from before variants get their product's
    /// only variant from the migration).
    pub variant_id: ObjectId,
    /// What the variant was when added (shown if it is no longer sold).
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub variant_label: String,
    pub quantity: Quantity,
    /// The price when added, to tell the shopper if it changed.
    pub price_at_add: i64,
    pub added_at: DateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cart {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<ObjectId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_key: Option<String>,
    #[serde(default)]
    pub items: Vec<CartItem>,
    #[serde(default)]
    pub version: i64,
    pub updated_at: DateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime>,
}

/// Whose cart: an account's, or a guest browser's (by the key in its session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    User(ObjectId),
    Guest(String),
}

impl Owner {
    fn filter(&self) -> Document {
        match self {
            Owner::User(id) => doc! { "user_id": id },
            Owner::Guest(key) => doc! { "guest_key": key },
        }
    }

    /// Fields a new cart gets besides the owner (which comes from the filter).
    fn on_insert(&self) -> Document {
        doc! { "_id": ObjectId::new() }
    }

    fn touch(&self) -> Document {
        let now = DateTime::now();
        let mut d = doc! { "updated_at": now };
        if let Owner::Guest(_) = self {
            d.insert(
                "expires_at",
                DateTime::from_millis(now.timestamp_millis() + GUEST_CART_DAYS * 86_400_000),
            );
        }
        d
    }
}

fn carts(db: &Database) -> Collection<Cart> {
    db.collection(COLLECTION)
}

pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
    let c = db.collection::<Document>(COLLECTION);
    for (keys, name) in [
        (doc! { "user_id": 1 }, "user_unique"),
        (doc! { "guest_key": 1 }, "guest_unique"),
    ] {
        c.create_index(
            IndexModel::builder()
                .keys(keys)
                .options(
                    IndexOptions::builder()
                        .unique(true)
                        .sparse(true)
                        .name(name.to_string())
                        .build(),
                )
                .build(),
        )
        .await?;
    }
    c.create_index(crate::kernel::db::ttl_index(
        "expires_at",
        "expires_at_ttl",
        std::time::Duration::ZERO,
    ))
    .await?;
    Ok(())
}

pub async fn find(db: &Database, owner: &Owner) -> Result<Option<Cart>> {
    carts(db)
        .find_one(owner.filter())
        .await
        .context("reading a cart")
}

/// Number of units in `owner`'s cart (for the header).
pub async fn item_count(db: &Database, owner: &Owner) -> Result<u32> {
    Ok(find(db, owner)
        .await?
        .map(|c| c.items.iter().map(|i| i.quantity.get()).sum())
        .unwrap_or(0))
}

// ---------- changes ----------

/// Adds `qty` units of a variant to the owner's cart in one conditional write:
/// the filter admits the cart only if the line has room for `qty` more (at most
/// [`MAX_LINE_QUANTITY`] and the variant's stock) or, without the line, the cart
/// has room for another line; the update (a pipeline, atomic on the cart) then
/// grows the line or appends it, creating the cart if there is none. A match
/// therefore means the units were added, and two adds at the same moment can
/// never pass a bound together. Only a refusal reads the cart, to say why.
/// Returns the units of the variant now in the cart and the units in the cart.
pub async fn add(
    db: &Database,
    owner: &Owner,
    product: &catalog::Product,
    variant: &catalog::Variant,
    qty: Quantity,
) -> Result<(Quantity, u32)> {
    let cap = i64::from(MAX_LINE_QUANTITY).min(variant.stock);
    let q = qty.as_i64();
    let item = mongodb::bson::to_document(&CartItem {
        product_id: product.id,
        variant_id: variant.id,
        sku: variant.sku.to_string(),
        variant_label: product.variant_label(variant),
        quantity: qty,
        price_at_add: variant.price,
        added_at: DateTime::now(),
    })
    .map_err(|e| Error::internal_from("encoding a cart line", e))?;
    let items = doc! { "$ifNull": ["$items", []] };
    let has_line = doc! {
        "$in": [variant.id, { "$map": { "input": items.clone(), "as": "l", "in": "$$l.variant_id" } }]
    };
    let grown = doc! { "$map": { "input": items.clone(), "as": "l", "in": { "$cond": [
        { "$eq": ["$$l.variant_id", variant.id] },
        { "$mergeObjects": ["$$l", { "quantity": { "$add": ["$$l.quantity", q] } }] },
        "$$l",
    ] } } };
    // `$literal`: text in the line (a label, a SKU) is never read as an expression.
    let pushed = doc! { "$concatArrays": [items, [{ "$literal": item }]] };
    let mut set = owner.touch();
    set.insert("items", doc! { "$cond": [has_line, grown, pushed] });
    set.insert(
        "version",
        doc! { "$add": [{ "$ifNull": ["$version", 0] }, 1] },
    );
    let mut filter = owner.filter();
    filter.insert(
        "$or",
        vec![
            doc! { "items": { "$elemMatch": { "variant_id": variant.id, "quantity": { "$lte": cap - q } } } },
            doc! {
                "items.variant_id": { "$ne": variant.id },
                format!("items.{}", MAX_CART_LINES - 1): { "$exists": false },
            },
        ],
    );
    for _ in 0..3 {
        if q <= cap {
            match carts(db)
                .find_one_and_update(filter.clone(), vec![doc! { "$set": set.clone() }])
                .upsert(true)
                .return_document(ReturnDocument::After)
                .await
            {
                Ok(Some(cart)) => {
                    let in_cart = cart
                        .items
                        .iter()
                        .find(|i| i.variant_id == variant.id)
                        .map(|i| i.quantity)
                        .unwrap_or(qty);
                    return Ok((in_cart, cart.items.iter().map(|i| i.quantity.get()).sum()));
                }
                Ok(None) => return Err(Error::internal("an upserted cart was not returned")),
                // The cart exists and admits no more of this (or was created by
                // another add at this very moment): look and decide.
                Err(e) if crate::kernel::db::is_duplicate_key(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let current = find(db, owner).await?;
        let lines = current.as_ref().map(|c| c.items.as_slice()).unwrap_or(&[]);
        match lines.iter().find(|i| i.variant_id == variant.id) {
            Some(line) if line.quantity.as_i64() + q > cap => {
                return Err(over_limit(product, variant, line.quantity.as_i64(), q).into())
            }
            None if q > cap => return Err(over_limit(product, variant, 0, q).into()),
            None if lines.len() >= MAX_CART_LINES => {
                return Err(AppError::Conflict(format!(
                    "Your cart can hold at most {MAX_CART_LINES} different products."
                ))
                .into())
            }
            // The cart changed between the write and the read: try again.
            _ => continue,
        }
    }
    Err(AppError::Conflict(
        "Your cart was being changed at the same time; please try again.".into(),
    )
    .into())
}

fn line_bson(item: &CartItem) -> Result<mongodb::bson::Bson> {
    mongodb::bson::to_bson(item).map_err(|e| Error::internal_from("encoding a cart line", e))
}

/// Why `qty` more units of a variant cannot go into a line that holds `have`.
fn over_limit(
    product: &catalog::Product,
    variant: &catalog::Variant,
    have: i64,
    qty: i64,
) -> AppError {
    if have + qty > i64::from(MAX_LINE_QUANTITY) {
        return AppError::field(
            "quantity",
            format!("You can have at most {MAX_LINE_QUANTITY} of one product in your cart (you have {have})."),
        );
    }
    let label = product.variant_label(variant);
    let what = if label.is_empty() {
        product.name.clone()
    } else {
        format!("{} ({label})", product.name)
    };
    AppError::field("quantity", sold_out_message(&what, variant.stock, have))
}

/// "Sorry, X is sold out." / "Only 3 left of X." for `what` with `stock` left.
pub fn sold_out_message(what: &str, stock: i64, have: i64) -> String {
    match (stock, have) {
        (s, _) if s <= 0 => format!("Sorry, {what} is sold out."),
        (s, 0) => format!("Only {s} left of {what}."),
        (s, c) => format!("Only {s} left of {what}, and you already have {c} in your cart."),
    }
}

/// Sets a line's quantity (0 removes it). False if the line was not there.
pub async fn set_quantity(
    db: &Database,
    owner: &Owner,
    variant_id: &ObjectId,
    qty: Quantity,
) -> Result<bool> {
    if qty.is_zero() {
        return remove(db, owner, variant_id).await;
    }
    let mut f = owner.filter();
    f.insert("items.variant_id", variant_id);
    let mut set = owner.touch();
    set.insert("items.$.quantity", qty.as_i64());
    let res = carts(db)
        .update_one(f, doc! { "$set": set, "$inc": { "version": 1 } })
        .await?;
    Ok(res.matched_count == 1)
}

pub async fn remove(db: &Database, owner: &Owner, variant_id: &ObjectId) -> Result<bool> {
    let mut f = owner.filter();
    f.insert("items.variant_id", variant_id);
    let res = carts(db)
        .update_one(
            f,
            doc! {
                "$pull": { "items": { "variant_id": variant_id } },
                "$inc": { "version": 1 },
                "$set": owner.touch(),
            },
        )
        .await?;
    Ok(res.modified_count == 1)
}

pub async fn clear(db: &Database, owner: &Owner) -> Result<()> {
    carts(db)
        .update_one(
            owner.filter(),
            doc! { "$set": { "items": [], "updated_at": DateTime::now() }, "$inc": { "version": 1 } },
        )
        .await?;
    Ok(())
}

/// Empties the cart only if it is still at `version` (checkout saw exactly this content).
pub async fn clear_if_version(db: &Database, owner: &Owner, version: i64) -> Result<bool> {
    let mut f = owner.filter();
    f.insert("version", version);
    let res = carts(db)
        .update_one(
            f,
            doc! { "$set": { "items": [], "updated_at": DateTime::now() }, "$inc": { "version": 1 } },
        )
        .await?;
    Ok(res.modified_count == 1)
}

/// At sign-in: moves every guest line into the account's cart. Quantities add up,
/// capped at stock (and the per-line maximum); nothing in either cart is lost.
pub async fn merge_guest_into_user(
    db: &Database,
    guest_key: &str,
    user_id: &ObjectId,
) -> Result<()> {
    let guest = Owner::Guest(guest_key.to_string());
    let Some(guest_cart) = find(db, &guest).await? else {
        return Ok(());
    };
    if guest_cart.items.is_empty() {
        carts(db).delete_one(doc! { "_id": guest_cart.id }).await?;
        return Ok(());
    }
    let user = Owner::User(*user_id);
    let user_cart = find(db, &user).await?;
    let ids: Vec<ObjectId> = guest_cart.items.iter().map(|i| i.product_id).collect();
    let products = catalog::find_by_ids(db, &ids).await?;
    for item in &guest_cart.items {
        let in_user = user_cart
            .as_ref()
            .and_then(|c| c.items.iter().find(|i| i.variant_id == item.variant_id))
            .map(|i| i.quantity.get())
            .unwrap_or(0);
        // Cap at stock, but never below what the account already had.
        let stock = products
            .iter()
            .find(|p| p.id == item.product_id)
            .and_then(|p| p.variant(&item.variant_id))
            .map(|v| u32::try_from(v.stock.max(0)).unwrap_or(u32::MAX))
            .unwrap_or(item.quantity.get());
        let cap = stock.min(MAX_LINE_QUANTITY).max(in_user);
        let merged = in_user
            .saturating_add(item.quantity.get())
            .min(cap)
            .max(in_user);
        if in_user > 0 {
            if merged != in_user {
                let q = Quantity::new(merged).ok_or_else(|| Error::internal("merged quantity"))?;
                set_quantity(db, &user, &item.variant_id, q).await?;
            }
        } else {
            // A line the account did not have: keep it even if the product is gone or
            // sold out now (the cart page explains), so nothing the shopper chose is lost.
            let qty = if merged > 0 {
                Quantity::new(merged).unwrap_or(item.quantity)
            } else {
                item.quantity
            };
            push_line(db, &user, item, qty).await?;
        }
    }
    carts(db).delete_one(doc! { "_id": guest_cart.id }).await?;
    Ok(())
}

async fn push_line(db: &Database, owner: &Owner, item: &CartItem, qty: Quantity) -> Result<()> {
    let mut f = owner.filter();
    f.insert("items.variant_id", doc! { "$ne": item.variant_id });
    let line = line_bson(&CartItem {
        quantity: qty,
        ..item.clone()
    })?;
    match carts(db)
        .update_one(
            f,
            doc! { "$push": { "items": line }, "$inc": { "version": 1 }, "$set": owner.touch(), "$setOnInsert": owner.on_insert() },
        )
        .upsert(true)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if crate::kernel::db::is_duplicate_key(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Prices the cart from current product data (never from anything the browser sent).
pub async fn view(db: &Database, cart: Option<&Cart>, currency: Currency) -> Result<CartView> {
    let Some(cart) = cart else {
        return Ok(CartView::empty(currency));
    };
    let ids: Vec<ObjectId> = cart.items.iter().map(|i| i.product_id).collect();
    let products = catalog::find_by_ids(db, &ids).await?;
    let mut lines = Vec::with_capacity(cart.items.len());
    let mut subtotal = Money::zero(currency);
    let mut count = 0u32;
    for item in &cart.items {
        count += item.quantity.get();
        let found = products
            .iter()
            .find(|p| p.id == item.product_id)
            .and_then(|p| p.variant(&item.variant_id).map(|v| (p, v)));
        let Some((p, v)) = found else {
            let gone = products.iter().find(|p| p.id == item.product_id);
            let (name, problem) = match gone {
                Some(p) => (
                    p.name.clone(),
                    "This choice is no longer sold. Remove it to continue.",
                ),
                None => (
                    "A product that is no longer sold".to_string(),
                    "This product is no longer sold. Remove it to continue.",
                ),
            };
            lines.push(CartLine {
                product_id: item.product_id.to_hex(),
                variant_id: item.variant_id.to_hex(),
                sku: item.sku.clone(),
                variant_label: item.variant_label.clone(),
                slug: gone.map(|p| p.slug.to_string()).unwrap_or_default(),
                name,
                picture: crate::catalog::types::Picture::placeholder("No longer available".into()),
                quantity: item.quantity,
                unit_price: Money::new(item.price_at_add, currency),
                line_total: Money::zero(currency),
                stock: 0,
                previous_price: None,
                problem: Some(problem.into()),
                available: false,
            });
            continue;
        };
        let picture = p.variant_image(v);
        let problem = if p.status != ProductStatus::Active {
            Some("This product is no longer sold. Remove it to continue.".to_string())
        } else if p.currency != currency {
            Some("This product is priced in another currency. Remove it to continue.".to_string())
        } else if v.stock <= 0 {
            Some("Sold out since you added it. Remove it to continue.".to_string())
        } else if item.quantity.as_i64() > v.stock {
            Some(format!(
                "Only {} left: lower the quantity to continue.",
                v.stock
            ))
        } else {
            None
        };
        let available = problem.is_none();
        let unit_price = p.money(v.price);
        let line_total = if available {
            unit_price
                .checked_mul(u64::from(item.quantity))
                .ok_or_else(|| Error::internal("a cart line total overflowed"))?
        } else {
            Money::zero(currency)
        };
        subtotal = subtotal
            .checked_add(line_total)
            .ok_or_else(|| Error::internal("the cart subtotal overflowed"))?;
        lines.push(CartLine {
            product_id: p.id.to_hex(),
            variant_id: v.id.to_hex(),
            sku: v.sku.to_string(),
            variant_label: p.variant_label(v),
            slug: p.slug.to_string(),
            name: p.name.clone(),
            picture,
            quantity: item.quantity,
            unit_price,
            line_total,
            stock: v.stock,
            previous_price: (v.price != item.price_at_add)
                .then(|| Money::new(item.price_at_add, p.currency)),
            problem,
            available,
        });
    }
    Ok(CartView {
        lines,
        subtotal,
        item_count: count,
        checkout_key: format!("{}:{}", cart.id.to_hex(), cart.version),
    })
}

/// Migration: cart lines from before variants name their product's only variant
/// (a line whose product is gone keeps the product id in its place, so the cart
/// page shows it as no longer sold and nothing the shopper chose is dropped).
pub async fn lines_to_variants(db: Database) -> Result<u64> {
    use futures::TryStreamExt;
    let coll = db.collection::<Document>(COLLECTION);
    let mut cursor = coll
        .find(doc! { "items": { "$elemMatch": { "variant_id": { "$exists": false } } } })
        .await
        .context("finding carts from before variants")?;
    let mut changed = 0;
    while let Some(cart) = cursor.try_next().await? {
        let Ok(id) = cart.get_object_id("_id") else {
            continue;
        };
        let items = cart
            .get_array("items")
            .map(|a| a.to_vec())
            .unwrap_or_default();
        let product_ids: Vec<ObjectId> = items
            .iter()
            .filter_map(|i| i.as_document()?.get_object_id("product_id").ok())
            .collect();
        let defaults = crate::catalog::migrate::default_variants(&db, &product_ids).await?;
        let next: Vec<mongodb::bson::Bson> = items
            .iter()
            .cloned()
            .map(|item| match item {
                mongodb::bson::Bson::Document(mut d) if !d.contains_key("variant_id") => {
                    let pid = d.get_object_id("product_id").ok();
                    let found = defaults.iter().find(|(p, _, _)| Some(*p) == pid);
                    match (found, pid) {
                        (Some((_, vid, sku)), _) => {
                            d.insert("variant_id", *vid);
                            d.insert("sku", sku.clone());
                        }
                        (None, Some(pid)) => {
                            d.insert("variant_id", pid);
                            d.insert("sku", "");
                        }
                        (None, None) => {}
                    }
                    d.insert("variant_label", "");
                    mongodb::bson::Bson::Document(d)
                }
                other => other,
            })
            .collect();
        let res = coll
            .update_one(
                doc! { "_id": id, "items": items },
                doc! { "$set": { "items": next } },
            )
            .await
            .context("moving a cart to variants")?;
        changed += res.modified_count;
    }
    Ok(changed)
}
