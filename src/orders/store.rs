//! The `orders`, `checkout_claims` and `counters` collections. The only place
//! that queries them. Status changes are conditional updates, so of two racing
//! changes exactly one wins.

use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use super::types::{Address, HistoryEntry, OrderLineView, OrderStatus, OrderSummary, OrderView};
use crate::db::display_time;
use crate::error::AppError;

pub const ORDERS: &str = "orders";
pub const CLAIMS: &str = "checkout_claims";
pub const COUNTERS: &str = "counters";

/// What was sold, frozen at checkout: deleting or repricing a product never changes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: ObjectId,
    pub slug: String,
    pub name: String,
    pub unit_price: i64,
    pub quantity: i64,
    pub line_total: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct History {
    pub status: OrderStatus,
    pub at: DateTime,
    /// `customer:<id>`, `admin:<id>`, `stripe` or `system`.
    pub actor: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Payment {
    pub session_id: Option<String>,
    pub session_url: Option<String>,
    pub session_expires_at: Option<DateTime>,
    pub payment_intent: Option<String>,
    pub paid_at: Option<DateTime>,
    pub amount_paid: Option<i64>,
    pub refund_id: Option<String>,
    pub refunded_at: Option<DateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub number: String,
    pub user_id: ObjectId,
    pub email: String,
    pub customer_name: String,
    pub status: OrderStatus,
    pub lines: Vec<OrderLine>,
    pub subtotal: i64,
    pub shipping: i64,
    pub total: i64,
    pub currency: String,
    pub address: Address,
    pub checkout_key: String,
    /// Unpaid orders give their stock back after this.
    pub reserved_until: DateTime,
    #[serde(default)]
    pub payment: Payment,
    pub history: Vec<History>,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

impl Order {
    pub fn view(&self) -> OrderView {
        OrderView {
            id: self.id.to_hex(),
            number: self.number.clone(),
            status: self.status,
            lines: self
                .lines
                .iter()
                .map(|l| OrderLineView {
                    product_id: l.product_id.to_hex(),
                    slug: l.slug.clone(),
                    name: l.name.clone(),
                    unit_price: l.unit_price,
                    quantity: l.quantity,
                    line_total: l.line_total,
                })
                .collect(),
            subtotal: self.subtotal,
            shipping: self.shipping,
            total: self.total,
            currency: self.currency.clone(),
            address: self.address.clone(),
            email: self.email.clone(),
            customer_name: self.customer_name.clone(),
            placed_at: display_time(self.created_at),
            history: self
                .history
                .iter()
                .map(|h| HistoryEntry {
                    status: h.status,
                    at: display_time(h.at),
                    actor: actor_label(&h.actor),
                    note: h.note.clone(),
                })
                .collect(),
            pay_by: (self.status == OrderStatus::AwaitingPayment)
                .then(|| display_time(self.reserved_until)),
            refunded: self.payment.refund_id.is_some(),
            payment_reference: self.payment.payment_intent.clone(),
        }
    }

    pub fn summary(&self) -> OrderSummary {
        OrderSummary {
            id: self.id.to_hex(),
            number: self.number.clone(),
            status: self.status,
            total: self.total,
            currency: self.currency.clone(),
            item_count: self.lines.iter().map(|l| l.quantity).sum(),
            placed_at: display_time(self.created_at),
            email: self.email.clone(),
        }
    }
}

fn actor_label(actor: &str) -> String {
    match actor.split_once(':') {
        Some(("customer", _)) => "you".into(),
        Some(("admin", _)) => "the shop".into(),
        _ if actor == "stripe" => "payment provider".into(),
        _ => "automatic".into(),
    }
}

pub fn orders(db: &Database) -> Collection<Order> {
    db.collection(ORDERS)
}

pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let o = db.collection::<Document>(ORDERS);
    let idx = |keys: Document, name: &str, unique: bool| {
        IndexModel::builder()
            .keys(keys)
            .options(
                IndexOptions::builder()
                    .name(name.to_string())
                    .unique(unique)
                    .build(),
            )
            .build()
    };
    o.create_index(idx(doc! { "number": 1 }, "number_unique", true))
        .await?;
    o.create_index(idx(
        doc! { "user_id": 1, "created_at": -1 },
        "user_created",
        false,
    ))
    .await?;
    o.create_index(idx(
        doc! { "status": 1, "created_at": -1 },
        "status_created",
        false,
    ))
    .await?;
    o.create_index(idx(
        doc! { "status": 1, "reserved_until": 1 },
        "status_reserved_until",
        false,
    ))
    .await?;
    o.create_index(idx(
        doc! { "email": 1, "created_at": -1 },
        "email_created",
        false,
    ))
    .await?;
    o.create_index(idx(
        doc! { "payment.session_id": 1 },
        "payment_session",
        false,
    ))
    .await?;
    o.create_index(idx(doc! { "created_at": -1 }, "created", false))
        .await?;
    let c = db.collection::<Document>(CLAIMS);
    c.create_index(
        IndexModel::builder()
            .keys(doc! { "expires_at": 1 })
            .options(
                IndexOptions::builder()
                    .name("expires_at_ttl".to_string())
                    .expire_after(std::time::Duration::from_secs(0))
                    .build(),
            )
            .build(),
    )
    .await?;
    Ok(())
}

/// The next human order number: `OX-000123`. Numbers only ever increase, so
/// none is reused, even when an order fails after taking one.
pub async fn next_number(db: &Database) -> Result<String, AppError> {
    let counter = db
        .collection::<Document>(COUNTERS)
        .find_one_and_update(
            doc! { "_id": "order_number" },
            doc! { "$inc": { "seq": 1_i64 } },
        )
        .upsert(true)
        .return_document(ReturnDocument::After)
        .await?
        .ok_or(AppError::Internal)?;
    let seq = counter
        .get_i64("seq")
        .unwrap_or_else(|_| counter.get_i32("seq").map(i64::from).unwrap_or(0));
    Ok(format!("OX-{seq:06}"))
}

pub async fn insert(db: &Database, order: &Order) -> Result<(), AppError> {
    orders(db).insert_one(order).await?;
    Ok(())
}

pub async fn find(db: &Database, id: &ObjectId) -> Result<Option<Order>, AppError> {
    Ok(orders(db).find_one(doc! { "_id": id }).await?)
}

pub async fn find_by_session(db: &Database, session_id: &str) -> Result<Option<Order>, AppError> {
    Ok(orders(db)
        .find_one(doc! { "payment.session_id": session_id })
        .await?)
}

pub async fn last_for_user(db: &Database, user_id: &ObjectId) -> Result<Option<Order>, AppError> {
    Ok(orders(db)
        .find_one(doc! { "user_id": user_id })
        .sort(doc! { "created_at": -1 })
        .await?)
}

/// A page of orders matching `filter`, newest first.
pub async fn list(
    db: &Database,
    filter: Document,
    page: u32,
    per_page: u32,
) -> Result<(Vec<Order>, u64), AppError> {
    let total = orders(db).count_documents(filter.clone()).await?;
    let items = orders(db)
        .find(filter)
        .sort(doc! { "created_at": -1 })
        .skip(((page.max(1) - 1) * per_page) as u64)
        .limit(per_page as i64)
        .await?
        .try_collect()
        .await?;
    Ok((items, total))
}

/// Moves an order from one of `from` to `to`, recording who did it. Returns the
/// updated order, or `None` if it was not in one of those states (someone else won).
pub async fn transition(
    db: &Database,
    id: &ObjectId,
    from: &[OrderStatus],
    to: OrderStatus,
    actor: &str,
    note: &str,
    extra: Document,
) -> Result<Option<Order>, AppError> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let now = DateTime::now();
    let mut set = doc! { "status": to.as_str(), "updated_at": now };
    set.extend(extra);
    Ok(orders(db)
        .find_one_and_update(
            doc! { "_id": id, "status": { "$in": from } },
            doc! {
                "$set": set,
                "$push": { "history": { "status": to.as_str(), "at": now, "actor": actor, "note": note } },
            },
        )
        .return_document(ReturnDocument::After)
        .await?)
}

pub async fn set_fields(db: &Database, id: &ObjectId, set: Document) -> Result<(), AppError> {
    orders(db)
        .update_one(doc! { "_id": id }, doc! { "$set": set })
        .await?;
    Ok(())
}

/// Unpaid orders whose reservation time is over.
pub async fn overdue(db: &Database, now: DateTime, limit: i64) -> Result<Vec<Order>, AppError> {
    Ok(orders(db)
        .find(doc! { "status": "awaiting_payment", "reserved_until": { "$lt": now } })
        .limit(limit)
        .await?
        .try_collect()
        .await?)
}

// ---------- checkout claims (idempotency) ----------

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claim {
    #[serde(rename = "_id")]
    pub key: String,
    pub order_id: ObjectId,
    pub done: bool,
    pub created_at: DateTime,
    pub expires_at: DateTime,
}

fn claims(db: &Database) -> Collection<Claim> {
    db.collection(CLAIMS)
}

/// Takes the key for this checkout. `Ok(None)` when we got it; `Ok(Some(claim))`
/// when another request already holds it.
pub async fn claim(
    db: &Database,
    key: &str,
    order_id: &ObjectId,
) -> Result<Option<Claim>, AppError> {
    let now = DateTime::now();
    let c = Claim {
        key: key.to_string(),
        order_id: *order_id,
        done: false,
        created_at: now,
        expires_at: DateTime::from_millis(now.timestamp_millis() + 24 * 3600 * 1000),
    };
    match claims(db).insert_one(&c).await {
        Ok(_) => Ok(None),
        Err(e) if crate::db::is_duplicate_key(&e) => {
            Ok(claims(db).find_one(doc! { "_id": key }).await?)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn find_claim(db: &Database, key: &str) -> Result<Option<Claim>, AppError> {
    Ok(claims(db).find_one(doc! { "_id": key }).await?)
}

pub async fn complete_claim(db: &Database, key: &str) -> Result<(), AppError> {
    claims(db)
        .update_one(doc! { "_id": key }, doc! { "$set": { "done": true } })
        .await?;
    Ok(())
}

/// Frees the key after a failed attempt, so the shopper can try again.
pub async fn drop_claim(db: &Database, key: &str) -> Result<(), AppError> {
    claims(db).delete_one(doc! { "_id": key }).await?;
    Ok(())
}
