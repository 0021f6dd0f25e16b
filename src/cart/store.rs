//! The `carts` collection: one cart per account, one per guest session. The only
//! place that queries it. Every change is a single atomic update; `version`
//! increases with each change, so a checkout can tell which cart content it saw.

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::types::{CartLine, CartView, MAX_CART_LINES, MAX_LINE_QUANTITY};
use crate::accounts::store::User;
use crate::catalog::store as catalog;
use crate::catalog::types::ProductStatus;
use crate::error::AppError;

pub const COLLECTION: &str = "carts";
/// Session key of a guest's cart.
pub const GUEST_CART_KEY: &str = "guest_cart";
/// Guest carts are forgotten after this long without changes.
const GUEST_CART_DAYS: i64 = 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CartItem {
    pub product_id: ObjectId,
    pub quantity: i64,
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

/// Whose cart.
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

    fn on_insert(&self) -> Document {
        let mut d = self.filter();
        d.insert("_id", ObjectId::new());
        d
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

pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
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
    c.create_index(
        IndexModel::builder()
            .keys(doc! { "expires_at": 1 })
            .options(
                IndexOptions::builder()
                    .expire_after(std::time::Duration::from_secs(0))
                    .name("expires_at_ttl".to_string())
                    .build(),
            )
            .build(),
    )
    .await?;
    Ok(())
}

// ---------- guest identity in the session ----------

pub async fn guest_cart_key(session: &Session) -> Result<Option<String>, AppError> {
    Ok(session.get::<String>(GUEST_CART_KEY).await?)
}

/// The guest's cart key, created on first use (only then does a guest get a session).
pub async fn ensure_guest_key(session: &Session) -> Result<String, AppError> {
    if let Some(k) = guest_cart_key(session).await? {
        return Ok(k);
    }
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let key = hex::encode(bytes);
    session.insert(GUEST_CART_KEY, &key).await?;
    Ok(key)
}

pub async fn forget_guest_cart(session: &Session) -> Result<(), AppError> {
    session.remove::<String>(GUEST_CART_KEY).await?;
    Ok(())
}

/// The owner for this request: the account if signed in, else the guest session.
pub async fn owner_for(
    user: Option<&User>,
    session: &Session,
    create: bool,
) -> Result<Option<Owner>, AppError> {
    if let Some(u) = user {
        return Ok(Some(Owner::User(u.id)));
    }
    if create {
        Ok(Some(Owner::Guest(ensure_guest_key(session).await?)))
    } else {
        Ok(guest_cart_key(session).await?.map(Owner::Guest))
    }
}

pub async fn find(db: &Database, owner: &Owner) -> Result<Option<Cart>, AppError> {
    Ok(carts(db).find_one(owner.filter()).await?)
}

/// Number of units in the cart of the current request (for the header).
pub async fn item_count_for_request(user: Option<&User>) -> Result<u32, AppError> {
    let session = crate::accounts::auth::session().await?;
    let Some(owner) = owner_for(user, &session, false).await? else {
        return Ok(0);
    };
    let state = crate::server::app_state()?;
    Ok(find(&state.db, &owner)
        .await?
        .map(|c| c.items.iter().map(|i| i.quantity.max(0) as u32).sum())
        .unwrap_or(0))
}

// ---------- changes ----------

/// Adds `qty` units, never beyond what is in stock or the per-line maximum.
/// Returns the quantity of this product now in the cart and the cart's unit count.
///
/// The bounds are part of the update itself: the line grows only if it still has
/// room for `qty` more (at most [`MAX_LINE_QUANTITY`] and the stock), and a new line
/// is added only while the cart has fewer than [`MAX_CART_LINES`] lines. Two adds
/// at the same moment therefore can never pass a bound together.
pub async fn add(
    db: &Database,
    owner: &Owner,
    product: &catalog::Product,
    qty: i64,
) -> Result<(i64, u32), AppError> {
    let cap = MAX_LINE_QUANTITY.min(product.stock);
    for _ in 0..4 {
        // The line exists and has room: add to it.
        let mut f = owner.filter();
        f.insert(
            "items",
            doc! { "$elemMatch": { "product_id": product.id, "quantity": { "$lte": cap - qty } } },
        );
        let updated = carts(db)
            .find_one_and_update(
                f,
                doc! { "$inc": { "items.$[line].quantity": qty, "version": 1 }, "$set": owner.touch() },
            )
            .array_filters(vec![doc! { "line.product_id": product.id }])
            .return_document(ReturnDocument::After)
            .await?;
        if let Some(cart) = updated {
            return Ok(counts_after(&cart, &product.id));
        }
        // No such line (or no cart yet): push it while there is room for a line,
        // creating the cart if needed.
        let mut f = owner.filter();
        f.insert("items.product_id", doc! { "$ne": product.id });
        f.insert(
            format!("items.{}", MAX_CART_LINES - 1),
            doc! { "$exists": false },
        );
        let item = mongodb::bson::to_bson(&CartItem {
            product_id: product.id,
            quantity: qty,
            price_at_add: product.price,
            added_at: DateTime::now(),
        })
        .map_err(|e| AppError::internal("cart item", e))?;
        let mut insert = owner.on_insert();
        insert.remove(match owner {
            Owner::User(_) => "user_id",
            Owner::Guest(_) => "guest_key",
        });
        if qty <= cap {
            match carts(db)
                .find_one_and_update(
                    f,
                    doc! {
                        "$push": { "items": item },
                        "$inc": { "version": 1 },
                        "$set": owner.touch(),
                        "$setOnInsert": insert,
                    },
                )
                .upsert(true)
                .return_document(ReturnDocument::After)
                .await
            {
                Ok(Some(cart)) => return Ok(counts_after(&cart, &product.id)),
                Ok(None) => return Err(AppError::Internal),
                // The cart exists but the line is there (or the cart is full), or
                // someone created the cart at this very moment: look and decide.
                Err(e) if crate::db::is_duplicate_key(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let current = find(db, owner).await?;
        let in_cart = current
            .as_ref()
            .and_then(|c| c.items.iter().find(|i| i.product_id == product.id))
            .map(|i| i.quantity);
        match in_cart {
            Some(have) if have + qty > cap => return Err(over_limit(product, have, qty)),
            None if qty > cap => return Err(over_limit(product, 0, qty)),
            None if current
                .as_ref()
                .is_some_and(|c| c.items.len() >= MAX_CART_LINES) =>
            {
                return Err(AppError::Conflict(format!(
                    "Your cart can hold at most {MAX_CART_LINES} different products."
                )))
            }
            // The cart changed between the two updates: try again.
            _ => continue,
        }
    }
    Err(AppError::Conflict(
        "Your cart was being changed at the same time; please try again.".into(),
    ))
}

/// Units of `product_id` in the cart and units in the whole cart.
fn counts_after(cart: &Cart, product_id: &ObjectId) -> (i64, u32) {
    let in_cart = cart
        .items
        .iter()
        .find(|i| i.product_id == *product_id)
        .map(|i| i.quantity)
        .unwrap_or(0);
    let units = cart
        .items
        .iter()
        .map(|i| u32::try_from(i.quantity.max(0)).unwrap_or(0))
        .sum();
    (in_cart, units)
}

/// Why `qty` more units of a product cannot go into a line that holds `have`.
fn over_limit(product: &catalog::Product, have: i64, qty: i64) -> AppError {
    if have + qty > MAX_LINE_QUANTITY {
        return AppError::field(
            "quantity",
            format!("You can have at most {MAX_LINE_QUANTITY} of one product in your cart (you have {have})."),
        );
    }
    let msg = match (product.stock, have) {
        (s, _) if s <= 0 => format!("Sorry, {} is sold out.", product.name),
        (s, 0) => format!("Only {s} left of {}.", product.name),
        (s, c) => format!(
            "Only {s} left of {}, and you already have {c} in your cart.",
            product.name
        ),
    };
    AppError::field("quantity", msg)
}

/// Sets a line's quantity (0 removes it). False if the line was not there.
pub async fn set_quantity(
    db: &Database,
    owner: &Owner,
    product_id: &ObjectId,
    qty: i64,
) -> Result<bool, AppError> {
    if qty == 0 {
        return remove(db, owner, product_id).await;
    }
    let mut f = owner.filter();
    f.insert("items.product_id", product_id);
    let mut set = owner.touch();
    set.insert("items.$.quantity", qty);
    let res = carts(db)
        .update_one(f, doc! { "$set": set, "$inc": { "version": 1 } })
        .await?;
    Ok(res.matched_count == 1)
}

pub async fn remove(db: &Database, owner: &Owner, product_id: &ObjectId) -> Result<bool, AppError> {
    let mut f = owner.filter();
    f.insert("items.product_id", product_id);
    let res = carts(db)
        .update_one(
            f,
            doc! {
                "$pull": { "items": { "product_id": product_id } },
                "$inc": { "version": 1 },
                "$set": owner.touch(),
            },
        )
        .await?;
    Ok(res.modified_count == 1)
}

pub async fn clear(db: &Database, owner: &Owner) -> Result<(), AppError> {
    carts(db)
        .update_one(
            owner.filter(),
            doc! { "$set": { "items": [], "updated_at": DateTime::now() }, "$inc": { "version": 1 } },
        )
        .await?;
    Ok(())
}

/// Empties the cart only if it is still at `version` (checkout saw exactly this content).
pub async fn clear_if_version(
    db: &Database,
    owner: &Owner,
    version: i64,
) -> Result<bool, AppError> {
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
) -> Result<(), AppError> {
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
            .and_then(|c| c.items.iter().find(|i| i.product_id == item.product_id))
            .map(|i| i.quantity)
            .unwrap_or(0);
        // Cap at stock, but never below what the account already had.
        let cap = products
            .iter()
            .find(|p| p.id == item.product_id)
            .map(|p| p.stock.max(0))
            .unwrap_or(item.quantity)
            .min(MAX_LINE_QUANTITY)
            .max(in_user);
        let merged = (in_user + item.quantity).min(cap).max(in_user);
        if in_user > 0 {
            if merged != in_user {
                set_quantity(db, &user, &item.product_id, merged).await?;
            }
        } else {
            // A line the account did not have: keep it even if the product is gone or
            // sold out now (the cart page explains), so nothing the shopper chose is lost.
            let qty = if merged > 0 { merged } else { item.quantity };
            push_line(db, &user, item, qty).await?;
        }
    }
    carts(db).delete_one(doc! { "_id": guest_cart.id }).await?;
    Ok(())
}

async fn push_line(
    db: &Database,
    owner: &Owner,
    item: &CartItem,
    qty: i64,
) -> Result<(), AppError> {
    let mut f = owner.filter();
    f.insert("items.product_id", doc! { "$ne": item.product_id });
    let line = mongodb::bson::to_bson(&CartItem {
        quantity: qty,
        ..item.clone()
    })
    .map_err(|e| AppError::internal("cart item", e))?;
    let mut insert = owner.on_insert();
    insert.remove(match owner {
        Owner::User(_) => "user_id",
        Owner::Guest(_) => "guest_key",
    });
    match carts(db)
        .update_one(
            f,
            doc! { "$push": { "items": line }, "$inc": { "version": 1 }, "$set": owner.touch(), "$setOnInsert": insert },
        )
        .upsert(true)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if crate::db::is_duplicate_key(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Prices the cart from current product data (never from anything the browser sent).
pub async fn view(
    db: &Database,
    cart: Option<&Cart>,
    currency: &str,
) -> Result<CartView, AppError> {
    let Some(cart) = cart else {
        return Ok(CartView {
            currency: currency.to_string(),
            ..CartView::default()
        });
    };
    let ids: Vec<ObjectId> = cart.items.iter().map(|i| i.product_id).collect();
    let products = catalog::find_by_ids(db, &ids).await?;
    let mut lines = Vec::with_capacity(cart.items.len());
    let mut subtotal = 0i64;
    let mut count = 0u32;
    for item in &cart.items {
        count += item.quantity.max(0) as u32;
        let Some(p) = products.iter().find(|p| p.id == item.product_id) else {
            lines.push(CartLine {
                product_id: item.product_id.to_hex(),
                slug: String::new(),
                name: "A product that is no longer sold".into(),
                image_url: crate::catalog::types::PLACEHOLDER_IMAGE.into(),
                image_alt: "No longer available".into(),
                quantity: item.quantity,
                unit_price: item.price_at_add,
                line_total: 0,
                stock: 0,
                previous_price: None,
                problem: Some("This product is no longer sold. Remove it to continue.".into()),
                available: false,
            });
            continue;
        };
        let (image_url, image_alt) = p.first_image();
        let problem = if p.status != ProductStatus::Active {
            Some("This product is no longer sold. Remove it to continue.".to_string())
        } else if p.stock <= 0 {
            Some("Sold out since you added it. Remove it to continue.".to_string())
        } else if item.quantity > p.stock {
            Some(format!(
                "Only {} left: lower the quantity to continue.",
                p.stock
            ))
        } else {
            None
        };
        let available = problem.is_none();
        let line_total = if available {
            p.price * item.quantity
        } else {
            0
        };
        subtotal += line_total;
        lines.push(CartLine {
            product_id: p.id.to_hex(),
            slug: p.slug.clone(),
            name: p.name.clone(),
            image_url,
            image_alt,
            quantity: item.quantity,
            unit_price: p.price,
            line_total,
            stock: p.stock,
            previous_price: (p.price != item.price_at_add).then_some(item.price_at_add),
            problem,
            available,
        });
    }
    Ok(CartView {
        lines,
        currency: currency.to_string(),
        subtotal,
        item_count: count,
        checkout_key: format!("{}:{}", cart.id.to_hex(), cart.version),
    })
}
