//! The `orders`, `checkout_claims` and `counters` collections. The only place
//! that queries them. Status changes are conditional updates, so of two racing
//! changes exactly one wins.

use std::time::Duration;

use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use super::types::{Address, HistoryEntry, OrderLineView, OrderStatus, OrderSummary, OrderView};
use crate::kernel::db::display_time;
use crate::kernel::{DbContext, Error, Result};
use crate::shared::{Actor, Currency, Money, OrderNumber, Quantity};

pub const ORDERS: &str = "orders";
pub const CLAIMS: &str = "checkout_claims";
pub const COUNTERS: &str = "counters";

/// What was sold, frozen at checkout: deleting or repricing a product never changes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: ObjectId,
    /// The variant sold (lines from before variants get their product's only
    /// variant from the migration).
    pub variant_id: ObjectId,
    /// The SKU and options as they were when sold.
    #[serde(default)]
    pub sku: String,
    /// "Size: M · Colour: Red" (empty for a product without options).
    #[serde(default)]
    pub variant_label: String,
    pub slug: String,
    pub name: String,
    /// Minor units of the order's currency.
    pub unit_price: i64,
    pub quantity: Quantity,
    /// Minor units of the order's currency.
    pub line_total: i64,
    /// The picture as it was when sold (none on orders from before pictures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<crate::shared::Picture>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct History {
    pub status: OrderStatus,
    pub at: DateTime,
    pub actor: Actor,
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

/// The shipping method an order was placed with, as it was then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingChoice {
    pub id: ObjectId,
    pub name: String,
    #[serde(default)]
    pub estimate: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub number: OrderNumber,
    /// The account that placed it; none for a guest's order (until the guest
    /// makes an account from it).
    pub user_id: Option<ObjectId>,
    pub email: String,
    pub customer_name: String,
    pub status: OrderStatus,
    pub lines: Vec<OrderLine>,
    /// Amounts in minor units of `currency` (see [`Order::money`]).
    pub subtotal: i64,
    /// Taken off the goods by a discount code (0 before codes existed).
    #[serde(default)]
    pub discount: i64,
    pub shipping: i64,
    /// Tax: part of `total` when `tax_included`, else added to it (0 before taxes existed).
    #[serde(default)]
    pub tax: i64,
    #[serde(default)]
    pub tax_included: bool,
    /// "Sales tax 7.25 %"; empty without tax.
    #[serde(default)]
    pub tax_name: String,
    pub total: i64,
    pub currency: Currency,
    /// How it is shipped (none for orders from before shipping methods, and in a
    /// shop without zones, where shipping is free).
    #[serde(default)]
    pub shipping_method: Option<ShippingChoice>,
    /// The discount code used, as typed by the shop ("SAVE10").
    #[serde(default)]
    pub discount_code: Option<String>,
    /// The guest cart a guest's order was made from (to empty it after a crash).
    #[serde(default)]
    pub guest_cart: Option<String>,
    /// Weight of the parcel in grams (variants without a weight count 0).
    #[serde(default)]
    pub weight_grams: i64,
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
    /// The cart this order was placed from.
    pub fn cart_owner(&self) -> crate::cart::store::Owner {
        match (self.user_id, &self.guest_cart) {
            (Some(id), _) => crate::cart::store::Owner::User(id),
            (None, Some(key)) => crate::cart::store::Owner::Guest(key.clone()),
            (None, None) => crate::cart::store::Owner::Guest(String::new()),
        }
    }

    /// Whether `user` placed it (or had it moved to their account).
    pub fn belongs_to(&self, user: &ObjectId) -> bool {
        self.user_id.as_ref() == Some(user)
    }

    /// An amount of this order's currency.
    pub fn money(&self, minor: i64) -> Money {
        Money::new(minor, self.currency)
    }

    /// The order as its owner (`viewer_is_admin` false) or the shop sees it.
    pub fn view(&self, viewer_is_admin: bool) -> OrderView {
        OrderView {
            id: self.id.to_hex(),
            number: self.number,
            status: self.status,
            lines: self
                .lines
                .iter()
                .map(|l| OrderLineView {
                    product_id: l.product_id.to_hex(),
                    sku: l.sku.clone(),
                    variant_label: l.variant_label.clone(),
                    slug: l.slug.clone(),
                    name: l.name.clone(),
                    unit_price: self.money(l.unit_price),
                    quantity: l.quantity,
                    line_total: self.money(l.line_total),
                    picture: l
                        .picture
                        .clone()
                        .unwrap_or_else(|| crate::shared::Picture::placeholder(l.name.clone())),
                })
                .collect(),
            subtotal: self.money(self.subtotal),
            discount: self.money(self.discount),
            discount_code: self.discount_code.clone(),
            shipping: self.money(self.shipping),
            shipping_method: self.shipping_method.as_ref().map(|m| m.name.clone()),
            shipping_estimate: self
                .shipping_method
                .as_ref()
                .map(|m| m.estimate.clone())
                .unwrap_or_default(),
            tax: self.money(self.tax),
            tax_included: self.tax_included,
            tax_name: self.tax_name.clone(),
            total: self.money(self.total),
            address: self.address.clone(),
            email: self.email.clone(),
            customer_name: self.customer_name.clone(),
            guest: self.user_id.is_none(),
            placed_at: display_time(self.created_at),
            history: self
                .history
                .iter()
                .map(|h| HistoryEntry {
                    status: h.status,
                    at: display_time(h.at),
                    actor: h.actor.label(viewer_is_admin).to_string(),
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
            number: self.number,
            status: self.status,
            total: self.money(self.total),
            item_count: self.lines.iter().map(|l| l.quantity.get()).sum(),
            placed_at: display_time(self.created_at),
            email: self.email.clone(),
        }
    }
}

pub fn orders(db: &Database) -> Collection<Order> {
    db.collection(ORDERS)
}

pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
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
    c.create_index(idx(
        doc! { "done": 1, "lease_until": 1 },
        "done_lease",
        false,
    ))
    .await?;
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
/// none is reused, even when an order fails after taking one. A counter that is
/// not a positive integer is an error, never a made-up number.
pub async fn next_number(db: &Database) -> Result<OrderNumber> {
    let mut counter = None;
    // An upsert that raced another one may come back empty: ask again.
    for _ in 0..3 {
        counter = db
            .collection::<Document>(COUNTERS)
            .find_one_and_update(
                doc! { "_id": "order_number" },
                doc! { "$inc": { "seq": 1_i64 } },
            )
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await?;
        if counter.is_some() {
            break;
        }
    }
    let counter = counter.ok_or_else(|| Error::internal("the order counter was not returned"))?;
    let seq = match counter.get("seq") {
        Some(mongodb::bson::Bson::Int64(n)) => *n,
        Some(mongodb::bson::Bson::Int32(n)) => i64::from(*n),
        other => {
            return Err(Error::internal(format!(
                "the order counter holds {other:?}, not a whole number"
            )))
        }
    };
    u64::try_from(seq)
        .ok()
        .and_then(OrderNumber::new)
        .ok_or_else(|| Error::internal(format!("the order counter is out of range ({seq})")))
}

pub async fn insert(db: &Database, order: &Order) -> Result<()> {
    orders(db)
        .insert_one(order)
        .await
        .context("writing a new order")?;
    Ok(())
}

pub async fn find(db: &Database, id: &ObjectId) -> Result<Option<Order>> {
    Ok(orders(db).find_one(doc! { "_id": id }).await?)
}

pub async fn find_by_session(db: &Database, session_id: &str) -> Result<Option<Order>> {
    Ok(orders(db)
        .find_one(doc! { "payment.session_id": session_id })
        .await?)
}

/// How many orders were placed as a guest with `email` (not in any account).
pub async fn guest_order_count(db: &Database, email: &str) -> Result<u64> {
    db.collection::<Document>(ORDERS)
        .count_documents(doc! { "user_id": null, "email": email.to_lowercase() })
        .await
        .context("counting guest orders")
}

/// Moves every guest order placed with `email` into the account `user_id`.
pub async fn claim_guest_orders(db: &Database, email: &str, user_id: &ObjectId) -> Result<u64> {
    let res = db
        .collection::<Document>(ORDERS)
        .update_many(
            doc! { "user_id": null, "email": email.to_lowercase() },
            doc! { "$set": { "user_id": user_id, "updated_at": DateTime::now() } },
        )
        .await
        .context("moving guest orders to an account")?;
    Ok(res.modified_count)
}

/// Moves a guest's order to the account `user_id` (only if it is still a guest's).
pub async fn move_to_account(
    db: &Database,
    order_id: &ObjectId,
    user_id: &ObjectId,
) -> Result<bool> {
    let res = db
        .collection::<Document>(ORDERS)
        .update_one(
            doc! { "_id": order_id, "user_id": null },
            doc! { "$set": { "user_id": user_id, "updated_at": DateTime::now() } },
        )
        .await
        .context("moving an order to an account")?;
    Ok(res.modified_count == 1)
}

pub async fn last_for_user(db: &Database, user_id: &ObjectId) -> Result<Option<Order>> {
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
) -> Result<(Vec<Order>, u64)> {
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
    actor: &Actor,
    note: &str,
    payment: PaymentUpdate,
) -> Result<Option<Order>> {
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let now = DateTime::now();
    let mut set = doc! { "status": to.as_str(), "updated_at": now };
    set.extend(payment.into_set());
    let actor = actor.to_string();
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

/// Changes to an order's payment record, written with a status change or alone.
/// Only the fields that are `Some` are written.
#[derive(Debug, Clone, Default)]
pub struct PaymentUpdate {
    pub checkout: Option<(String, String, DateTime)>,
    pub paid: Option<Paid>,
    pub refund_id: Option<String>,
    pub payment_intent: Option<String>,
}

/// A payment that arrived: reference, amount and the checkout it came through.
#[derive(Debug, Clone)]
pub struct Paid {
    pub payment_intent: Option<String>,
    pub amount: i64,
    pub session_id: String,
}

impl PaymentUpdate {
    pub fn none() -> Self {
        Self::default()
    }

    fn into_set(self) -> Document {
        let mut set = Document::new();
        if let Some((id, url, expires)) = self.checkout {
            set.insert("payment.session_id", id);
            set.insert("payment.session_url", url);
            set.insert("payment.session_expires_at", expires);
        }
        if let Some(p) = self.paid {
            set.insert("payment.payment_intent", p.payment_intent);
            set.insert("payment.paid_at", DateTime::now());
            set.insert("payment.amount_paid", p.amount);
            set.insert("payment.session_id", p.session_id);
        }
        if let Some(intent) = self.payment_intent {
            set.insert("payment.payment_intent", intent);
        }
        if let Some(refund) = self.refund_id {
            set.insert("payment.refund_id", refund);
            set.insert("payment.refunded_at", DateTime::now());
        }
        set
    }
}

/// Writes payment details without changing the status.
pub async fn update_payment(db: &Database, id: &ObjectId, update: PaymentUpdate) -> Result<()> {
    let mut set = update.into_set();
    set.insert("updated_at", DateTime::now());
    orders(db)
        .update_one(doc! { "_id": id }, doc! { "$set": set })
        .await?;
    Ok(())
}

/// Unpaid orders whose reservation time is over.
pub async fn overdue(db: &Database, now: DateTime, limit: i64) -> Result<Vec<Order>> {
    Ok(orders(db)
        .find(doc! {
            "status": OrderStatus::AwaitingPayment.as_str(),
            "reserved_until": { "$lt": now },
        })
        .limit(limit)
        .await?
        .try_collect()
        .await?)
}

// ---------- checkout claims (idempotency, as leases) ----------

/// One checkout being placed. Whoever holds the lease (until `lease_until`) places
/// the order with `order_id`; when the holder dies, the lease lapses and a retry
/// or the recovery pass takes over the same order id, so the checkout ends with
/// one order or none, never two. Done claims stay a day (a TTL index sweeps them).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claim {
    #[serde(rename = "_id")]
    pub key: String,
    pub order_id: ObjectId,
    pub done: bool,
    pub created_at: DateTime,
    pub expires_at: DateTime,
    /// Until when the holder may work on it (claims from before leases have none:
    /// they count as lapsed).
    #[serde(default)]
    pub lease_until: Option<DateTime>,
    #[serde(default)]
    pub holder: Option<String>,
}

impl Claim {
    /// True when nobody may be working on it any more.
    pub fn lapsed(&self, now: DateTime) -> bool {
        !self.done && self.lease_until.is_none_or(|t| t < now)
    }
}

/// The right to work on one claim, until its lease lapses.
#[derive(Debug, Clone)]
pub struct Lease {
    pub key: String,
    pub order_id: ObjectId,
    holder: String,
}

/// What taking a checkout key gave.
#[derive(Debug)]
pub enum ClaimOutcome {
    /// We hold the lease: place (or finish placing) this order.
    Mine(Lease),
    /// Someone else holds it, or it is done.
    Taken(Claim),
}

fn claims(db: &Database) -> Collection<Claim> {
    db.collection(CLAIMS)
}

/// A holder: the instance, and a random part that tells its attempts apart.
fn holder_name(instance: &str) -> String {
    format!("{instance}/{}", uuid::Uuid::new_v4().simple())
}

fn lease_end(lease: Duration) -> DateTime {
    DateTime::from_millis(DateTime::now().timestamp_millis() + lease.as_millis() as i64)
}

/// Takes the key for this checkout: a new claim with a new order id, or a lapsed
/// claim (its holder died) taken over with its order id.
pub async fn acquire_claim(
    db: &Database,
    key: &str,
    lease: Duration,
    instance: &str,
) -> Result<ClaimOutcome> {
    let now = DateTime::now();
    let holder = holder_name(instance);
    let fresh = Claim {
        key: key.to_string(),
        order_id: ObjectId::new(),
        done: false,
        created_at: now,
        expires_at: DateTime::from_millis(now.timestamp_millis() + 24 * 3600 * 1000),
        lease_until: Some(lease_end(lease)),
        holder: Some(holder.clone()),
    };
    match claims(db).insert_one(&fresh).await {
        Ok(_) => {
            return Ok(ClaimOutcome::Mine(Lease {
                key: key.to_string(),
                order_id: fresh.order_id,
                holder,
            }))
        }
        Err(e) if crate::kernel::db::is_duplicate_key(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let Some(existing) = find_claim(db, key).await? else {
        // Dropped at this very moment: the caller tries again.
        return Ok(ClaimOutcome::Taken(Claim {
            done: false,
            ..fresh
        }));
    };
    if !existing.lapsed(now) {
        return Ok(ClaimOutcome::Taken(existing));
    }
    match take_over(db, &existing, lease, instance).await? {
        Some(lease) => Ok(ClaimOutcome::Mine(lease)),
        None => Ok(ClaimOutcome::Taken(
            find_claim(db, key).await?.unwrap_or(existing),
        )),
    }
}

/// Takes over a lapsed claim (one caller wins however many try at once).
pub async fn take_over(
    db: &Database,
    claim: &Claim,
    lease: Duration,
    instance: &str,
) -> Result<Option<Lease>> {
    let now = DateTime::now();
    let holder = holder_name(instance);
    let res = claims(db)
        .update_one(
            doc! {
                "_id": &claim.key,
                "done": false,
                "$or": [
                    { "lease_until": { "$lt": now } },
                    { "lease_until": null },
                ],
            },
            doc! { "$set": { "holder": &holder, "lease_until": lease_end(lease) } },
        )
        .await
        .context("taking over a checkout")?;
    Ok((res.modified_count == 1).then(|| Lease {
        key: claim.key.clone(),
        order_id: claim.order_id,
        holder,
    }))
}

pub async fn find_claim(db: &Database, key: &str) -> Result<Option<Claim>> {
    Ok(claims(db).find_one(doc! { "_id": key }).await?)
}

/// Extends the lease while the holder is still working; false when it no longer
/// holds the claim (it lapsed and someone took it over).
pub async fn renew_claim(db: &Database, lease: &Lease, by: Duration) -> Result<bool> {
    let res = claims(db)
        .update_one(
            doc! { "_id": &lease.key, "holder": &lease.holder, "done": false },
            doc! { "$set": { "lease_until": lease_end(by) } },
        )
        .await
        .context("renewing a checkout lease")?;
    Ok(res.matched_count == 1)
}

/// The order was placed: the claim is done (while we still hold it).
pub async fn complete_claim(db: &Database, lease: &Lease) -> Result<()> {
    claims(db)
        .update_one(
            doc! { "_id": &lease.key, "holder": &lease.holder },
            doc! { "$set": { "done": true, "lease_until": null } },
        )
        .await?;
    Ok(())
}

/// Frees the key after a placement that failed for good, so the shopper can fix
/// the cart and try again (only while we still hold it).
pub async fn drop_claim(db: &Database, lease: &Lease) -> Result<()> {
    claims(db)
        .delete_one(doc! { "_id": &lease.key, "holder": &lease.holder, "done": false })
        .await?;
    Ok(())
}

/// Claims whose holder stopped before finishing (lease lapsed), oldest first.
pub async fn lapsed_claims(db: &Database, now: DateTime, limit: i64) -> Result<Vec<Claim>> {
    Ok(claims(db)
        .find(doc! {
            "done": false,
            "$or": [ { "lease_until": { "$lt": now } }, { "lease_until": null } ],
        })
        .sort(doc! { "created_at": 1 })
        .limit(limit)
        .await?
        .try_collect()
        .await?)
}

/// Migration: order lines from before variants name the variant their product
/// now has (its only one) and its SKU. What was sold, at what price, stays as it
/// was; a line whose product is gone keeps the product id as its variant id.
pub async fn lines_to_variants(db: Database) -> Result<u64> {
    use mongodb::bson::Bson;
    let coll = db.collection::<Document>(ORDERS);
    let mut cursor = coll
        .find(doc! { "lines": { "$elemMatch": { "variant_id": { "$exists": false } } } })
        .await
        .context("finding orders from before variants")?;
    let mut changed = 0;
    while let Some(order) = cursor.try_next().await? {
        let Ok(id) = order.get_object_id("_id") else {
            continue;
        };
        let lines = order
            .get_array("lines")
            .map(|a| a.to_vec())
            .unwrap_or_default();
        let product_ids: Vec<ObjectId> = lines
            .iter()
            .filter_map(|l| l.as_document()?.get_object_id("product_id").ok())
            .collect();
        let defaults = crate::catalog::migrate::default_variants(&db, &product_ids).await?;
        let next: Vec<Bson> = lines
            .iter()
            .cloned()
            .map(|line| match line {
                Bson::Document(mut d) if !d.contains_key("variant_id") => {
                    let pid = d.get_object_id("product_id").ok();
                    match (defaults.iter().find(|(p, _, _)| Some(*p) == pid), pid) {
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
                    Bson::Document(d)
                }
                other => other,
            })
            .collect();
        let res = coll
            .update_one(
                doc! { "_id": id, "lines": lines },
                doc! { "$set": { "lines": next } },
            )
            .await
            .context("moving an order to variants")?;
        changed += res.modified_count;
    }
    Ok(changed)
}
