//! Placing orders (stock reserved all-or-nothing, one order per checkout) and
//! giving stock back when orders are cancelled or never paid.

use std::time::Duration;

use mongodb::bson::{oid::ObjectId, DateTime};
use mongodb::Database;

use super::payment::Payments;
use super::rules_store;
use super::store::{self, ClaimOutcome, History, Lease, Order, OrderLine, Payment, PaymentUpdate};
use super::types::{Address, OrderStatus};
use crate::cart::store::{self as cart_store, Owner};
use crate::catalog::store as catalog;
use crate::catalog::types::ProductStatus;
use crate::kernel::auth::Caller;
use crate::kernel::{Core, Error, Result};
use crate::shared::{Actor, AppError};

/// How long a checkout's holder may go without renewing its lease before others
/// may take the checkout over: a holder that died is replaced within this.
pub const CHECKOUT_LEASE: Duration = Duration::from_secs(8);
/// A live holder renews its lease this often, however long the placement takes
/// (most placements finish long before the first renewal).
const LEASE_RENEWAL: Duration = Duration::from_secs(4);
/// The longest one placement may run (a slow database under a rush of buyers); it
/// stays inside the request's deadline.
pub const PLACEMENT_DEADLINE: Duration = Duration::from_secs(20);
/// How long a second press waits for a placement in progress before answering.
const WAIT_FOR_OTHER: Duration = Duration::from_millis(1500);

/// The points a placement passes, in order. An observer hears each one (the
/// crash tests stop a placement at every one of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// This request holds the checkout's lease.
    Claimed,
    /// Line `n` (from 0) has its stock reserved.
    Reserved(usize),
    /// The order document exists.
    OrderWritten,
    /// The claim is marked done.
    ClaimDone,
}

/// Places an order for the buyer (an account or a guest) from their cart as it was when the
/// checkout page was shown (`checkout_key` = cart id and version).
///
/// - Prices and totals come from the database, never from the browser.
/// - Stock for every line is reserved atomically per product; if any line is
///   short, every reservation is given back and nothing is ordered.
/// - The same checkout submitted twice (double click, retry, two tabs) yields the
///   same single order.
/// - Crash-safe: the checkout is a lease on a durable claim that names the order
///   id up front, and every step is idempotent for that id. If the process dies
///   at any point, a retry after the lease lapses (or the recovery pass) takes the
///   claim over and finishes the same order, or gives every reserved unit back.
pub async fn place_order(
    state: &Core,
    buyer: &Buyer,
    address: Address,
    choice: &CheckoutChoice,
    checkout_key: &str,
) -> Result<Order> {
    place_order_observed(state, buyer, address, choice, checkout_key, &|_| {}).await
}

/// Who is buying: an account, or a guest with an e-mail address and the guest
/// cart of their browser.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub user_id: Option<ObjectId>,
    pub email: String,
    pub name: String,
    /// The cart the order is made from.
    pub owner: Owner,
}

impl Buyer {
    /// The signed-in account, buying from its cart.
    pub fn account(c: &Caller) -> Buyer {
        Buyer {
            user_id: Some(c.id),
            email: c.email.clone(),
            name: c.name.clone(),
            owner: Owner::User(c.id),
        }
    }

    /// Names this buyer in checkout claims and per-customer code limits: the
    /// account id, or the guest's e-mail address (so a code once per customer is
    /// once per address for guests).
    pub fn key(&self) -> String {
        match self.user_id {
            Some(id) => id.to_hex(),
            None => format!("guest:{}", self.email.to_lowercase()),
        }
    }
}

/// What a checkout asks for besides the address.
#[derive(Debug, Clone, Default)]
pub struct CheckoutChoice {
    /// The shipping method's id (empty in a shop without zones).
    pub shipping_id: String,
    /// A discount code as typed, or empty.
    pub discount_code: String,
}

/// [`place_order`], telling `observe` each [`Step`] it passes.
pub async fn place_order_observed(
    state: &Core,
    buyer: &Buyer,
    address: Address,
    choice: &CheckoutChoice,
    checkout_key: &str,
    observe: &(dyn Fn(Step) + Send + Sync),
) -> Result<Order> {
    let db = &state.db;
    let claim_key = format!("{}:{}", buyer.key(), checkout_key.trim());
    let waited_since = std::time::Instant::now();
    loop {
        match store::acquire_claim(db, &claim_key, CHECKOUT_LEASE, &state.instance).await? {
            ClaimOutcome::Mine(lease) => {
                return run_placement(state, buyer, address, choice, checkout_key, lease, observe)
                    .await
            }
            ClaimOutcome::Taken(claim) => {
                if let Some(order) = store::find(db, &claim.order_id).await? {
                    // Placed already (perhaps by a holder that stopped before
                    // emptying the cart): empty it if it still holds that content.
                    if let Some(version) = order
                        .checkout_key
                        .rsplit(':')
                        .next()
                        .and_then(|v| v.parse::<i64>().ok())
                    {
                        cart_store::clear_if_version(db, &buyer.owner, version).await?;
                    }
                    return Ok(order);
                }
                if claim.done {
                    return Err(Error::internal(format!(
                        "checkout {} is done but its order {} is missing",
                        claim.key, claim.order_id
                    )));
                }
                if waited_since.elapsed() >= WAIT_FOR_OTHER {
                    let left = claim
                        .lease_until
                        .map(|t| (t.timestamp_millis() - DateTime::now().timestamp_millis()) / 1000)
                        .unwrap_or(0)
                        .max(1);
                    return Err(AppError::Conflict(format!(
                        "Your order is still being placed. Press again in {left} second{} to see it.",
                        if left == 1 { "" } else { "s" }
                    ))
                    .into());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Places (or finishes placing) the leased order within [`PLACEMENT_DEADLINE`].
/// A definite "no" (sold out, cart changed) gives the reserved units back and
/// frees the key; a failure of the database or the deadline leaves the claim for
/// a retry or the recovery pass, which resolve it either way.
async fn run_placement(
    state: &Core,
    buyer: &Buyer,
    address: Address,
    choice: &CheckoutChoice,
    checkout_key: &str,
    lease: Lease,
    observe: &(dyn Fn(Step) + Send + Sync),
) -> Result<Order> {
    let db = &state.db;
    observe(Step::Claimed);
    let owner = buyer.owner.clone();
    let placing = place_claimed(
        state,
        buyer,
        &owner,
        address,
        choice,
        checkout_key,
        lease.order_id,
        observe,
    );
    // While placing, keep the lease: renew it every few seconds. Losing it means
    // this holder was taken for dead; it stops at once.
    let keep_lease = async {
        loop {
            tokio::time::sleep(LEASE_RENEWAL).await;
            match store::renew_claim(db, &lease, CHECKOUT_LEASE).await {
                Ok(true) => {}
                Ok(false) => {
                    return Error::internal(format!(
                        "lost the lease on checkout {} while placing it",
                        lease.key
                    ))
                }
                Err(e) => return e,
            }
        }
    };
    let placed = tokio::time::timeout(PLACEMENT_DEADLINE, async {
        tokio::select! {
            placed = placing => placed,
            lost = keep_lease => Err(lost),
        }
    })
    .await;
    match placed {
        Ok(Ok((order, cart_version))) => {
            store::complete_claim(db, &lease).await?;
            observe(Step::ClaimDone);
            if let Some(version) = cart_version {
                // The cart is done; only empty it if it is still the content we ordered.
                cart_store::clear_if_version(db, &owner, version).await?;
            }
            Ok(order)
        }
        Ok(Err(Error::App(
            refusal @ (AppError::Conflict(_) | AppError::Invalid(_) | AppError::BadRequest(_)),
        ))) => {
            release_order(db, &lease.order_id).await?;
            store::drop_claim(db, &lease).await?;
            Err(refusal.into())
        }
        Ok(Err(e)) => Err(e),
        Err(_) => {
            tracing::warn!(order_id = %lease.order_id, "placing an order ran out of time; the recovery pass will finish or undo it");
            Err(AppError::Unavailable.into())
        }
    }
}

/// Gives back every unit `order_id` holds (idempotent).
async fn release_order(db: &Database, order_id: &ObjectId) -> Result<()> {
    for held in catalog::reservations_of(db, order_id).await? {
        catalog::release_reservation(db, &held.product_id, &held.variant_id, order_id, held.qty)
            .await?;
    }
    rules_store::release_code(db, order_id).await
}

/// Idempotent for `order_id`: an order that already exists is returned as it is,
/// a line already reserved for it is not reserved twice. Returns the order and,
/// when this call created it, the cart version to empty.
#[allow(clippy::too_many_arguments)]
async fn place_claimed(
    state: &Core,
    buyer: &Buyer,
    owner: &Owner,
    address: Address,
    choice: &CheckoutChoice,
    checkout_key: &str,
    order_id: ObjectId,
    observe: &(dyn Fn(Step) + Send + Sync),
) -> Result<(Order, Option<i64>)> {
    let db = &state.db;
    if let Some(existing) = store::find(db, &order_id).await? {
        // Written by an earlier holder that stopped before emptying the cart.
        let version = existing
            .checkout_key
            .rsplit(':')
            .next()
            .and_then(|v| v.parse::<i64>().ok());
        return Ok((existing, version));
    }
    let cart = cart_store::find(db, owner).await?;
    let Some(cart) = cart.filter(|c| !c.items.is_empty()) else {
        return Err(AppError::Conflict("Your cart is empty.".into()).into());
    };
    let current_key = format!("{}:{}", cart.id.to_hex(), cart.version);
    if current_key != checkout_key.trim() {
        return Err(AppError::Conflict(
            "Your cart changed (perhaps in another tab). Please review it and place the order again.".into(),
        )
        .into());
    }

    // Price every line from the database.
    let currency = state.currency();
    let ids: Vec<ObjectId> = cart.items.iter().map(|i| i.product_id).collect();
    let products = catalog::find_by_ids(db, &ids).await?;
    let mut lines = Vec::with_capacity(cart.items.len());
    let mut weight_grams: i64 = 0;
    for item in &cart.items {
        let p = products
            .iter()
            .find(|p| p.id == item.product_id && p.status == ProductStatus::Active)
            .ok_or_else(|| {
                AppError::Conflict(
                    "A product in your cart is no longer sold. Remove it from your cart to continue.".into(),
                )
            })?;
        let v = p.variant(&item.variant_id).ok_or_else(|| {
            AppError::Conflict(format!(
                "{} is no longer sold in the choice in your cart. Remove it from your cart to continue.",
                p.name
            ))
        })?;
        if item.quantity.is_zero() {
            return Err(
                AppError::Conflict("Your cart has a line without a quantity.".into()).into(),
            );
        }
        if p.currency != currency {
            return Err(Error::internal(format!(
                "product {} is priced in {}, the shop sells in {}",
                p.id, p.currency, currency
            )));
        }
        weight_grams = weight_grams.saturating_add(
            v.weight_grams
                .unwrap_or(0)
                .max(0)
                .saturating_mul(item.quantity.as_i64()),
        );
        let line_total = p
            .money(v.price)
            .checked_mul(u64::from(item.quantity))
            .ok_or_else(|| Error::internal("an order line total overflowed"))?;
        lines.push(OrderLine {
            product_id: p.id,
            variant_id: v.id,
            sku: v.sku.to_string(),
            variant_label: p.variant_label(v),
            slug: p.slug.to_string(),
            name: p.name.clone(),
            unit_price: v.price,
            quantity: item.quantity,
            line_total: line_total.minor(),
            picture: Some(p.variant_image(v)),
        });
    }
    let subtotal = crate::shared::Money::sum(
        currency,
        lines
            .iter()
            .map(|l| crate::shared::Money::new(l.line_total, currency)),
    )
    .ok_or_else(|| Error::internal("an order subtotal overflowed"))?;
    // Shipping, discount and tax from the shop's rules, for this address.
    let customer = buyer.key();
    let rules = rules_store::Rules::load(db).await?;
    let (priced, problems) = rules_store::price(
        db,
        &rules,
        currency,
        rules_store::CartAmounts {
            subtotal: subtotal.minor(),
            weight_grams,
        },
        rules_store::place_of(&address),
        &rules_store::Choice {
            shipping_id: &choice.shipping_id,
            code: &choice.discount_code,
            customer: &customer,
        },
        true,
    )
    .await?;
    let priced = match priced {
        Some(p) if problems.is_empty() => p,
        _ => return Err(AppError::Invalid(problems).into()),
    };

    // Reserve every line (a line this order already holds counts as reserved).
    for (n, line) in lines.iter().enumerate() {
        let qty = line.quantity.as_i64();
        let reserved =
            catalog::reserve_stock(db, &line.product_id, &line.variant_id, &order_id, qty).await?
                || catalog::holds_reservation(db, &line.product_id, &line.variant_id, &order_id)
                    .await?;
        if !reserved {
            // How many are left, for the message (a variant deleted meanwhile has none).
            let left = catalog::find_by_id(db, &line.product_id)
                .await?
                .and_then(|p| p.variant(&line.variant_id).map(|v| v.stock))
                .unwrap_or(0);
            let what = if line.variant_label.is_empty() {
                line.name.clone()
            } else {
                format!("{} ({})", line.name, line.variant_label)
            };
            let msg = if left <= 0 {
                format!("Sorry, {what} is sold out. Remove it from your cart to continue.")
            } else {
                format!(
                    "Sorry, only {left} of {what} {} left. Lower the quantity in your cart to continue.",
                    if left == 1 { "is" } else { "are" }
                )
            };
            return Err(AppError::Conflict(msg).into());
        }
        observe(Step::Reserved(n));
    }
    // The code's use, counted against its limits in the same way (the check and
    // the count are one update; a retry of this order never counts twice).
    if let Some(code) = &priced.code {
        if !rules_store::hold_code(db, code, &order_id, &customer).await? {
            return Err(AppError::field(
                "discount_code",
                format!(
                    "The code {} has just been used as often as it may be. Remove it to continue.",
                    code.code
                ),
            )
            .into());
        }
    }

    let now = DateTime::now();
    let number = store::next_number(db).await?;
    let reserved_until =
        DateTime::from_millis(now.timestamp_millis() + state.settings.reservation_minutes * 60_000);
    let order = Order {
        id: order_id,
        number,
        user_id: buyer.user_id,
        email: buyer.email.clone(),
        customer_name: buyer.name.clone(),
        guest_cart: match &buyer.owner {
            Owner::Guest(key) if buyer.user_id.is_none() => Some(key.clone()),
            _ => None,
        },
        status: OrderStatus::AwaitingPayment,
        lines,
        subtotal: priced.totals.subtotal,
        discount: priced.totals.discount,
        shipping: priced.totals.shipping,
        tax: priced.totals.tax,
        tax_included: priced.totals.tax_included,
        tax_name: priced.tax_name.clone(),
        total: priced.totals.total,
        currency,
        shipping_method: priced.method.as_ref().map(|m| store::ShippingChoice {
            id: m.id,
            name: m.name.clone(),
            estimate: m.estimate.clone(),
        }),
        discount_code: priced.code.as_ref().map(|c| c.code.clone()),
        weight_grams,
        address,
        checkout_key: checkout_key.to_string(),
        reserved_until,
        payment: Payment::default(),
        history: vec![History {
            status: OrderStatus::AwaitingPayment,
            at: now,
            actor: Actor::Customer(match buyer.user_id {
                Some(id) => id.to_hex(),
                None => "guest".into(),
            }),
            note: "Order placed".into(),
        }],
        created_at: now,
        updated_at: now,
    };
    match store::insert(db, &order).await {
        Ok(()) => {}
        // Another holder of this checkout wrote it a moment ago: that is the order.
        Err(Error::Database { source, .. }) if crate::kernel::db::is_duplicate_key(&source) => {
            let existing = store::find(db, &order_id)
                .await?
                .ok_or_else(|| Error::internal("a duplicate order vanished"))?;
            return Ok((existing, None));
        }
        Err(e) => return Err(e),
    }
    observe(Step::OrderWritten);
    tracing::info!(order_id = %order.id, number = %order.number, total = order.total, "order placed");
    Ok((order, Some(cart.version)))
}

/// Resolves checkouts whose holder died (lease lapsed): the order exists, so the
/// claim is done; or it does not, so every unit it reserved goes back and the key
/// is freed. Safe on every instance at once: one takes each claim over.
pub async fn recover_checkouts(core: &Core) -> Result<usize> {
    let db = &core.db;
    let mut resolved = 0;
    for claim in store::lapsed_claims(db, DateTime::now(), 100).await? {
        let Some(lease) = store::take_over(db, &claim, CHECKOUT_LEASE, &core.instance).await?
        else {
            continue;
        };
        if let Some(order) = store::find(db, &lease.order_id).await? {
            store::complete_claim(db, &lease).await?;
            if let Some(version) = order
                .checkout_key
                .rsplit(':')
                .next()
                .and_then(|v| v.parse::<i64>().ok())
            {
                cart_store::clear_if_version(db, &order.cart_owner(), version).await?;
            }
            tracing::info!(order_id = %lease.order_id, "recovered an interrupted checkout: its order exists");
        } else {
            release_order(db, &lease.order_id).await?;
            store::drop_claim(db, &lease).await?;
            tracing::info!(order_id = %lease.order_id, "recovered an interrupted checkout: its reserved stock was given back");
        }
        resolved += 1;
    }
    Ok(resolved)
}

async fn release_lines(db: &Database, order_id: &ObjectId, lines: &[&OrderLine]) {
    for line in lines {
        if let Err(e) = catalog::release_reservation(
            db,
            &line.product_id,
            &line.variant_id,
            order_id,
            line.quantity.as_i64(),
        )
        .await
        {
            // The sweeper will release it later: reservations of unknown orders expire.
            tracing::warn!(order_id = %order_id, "could not release a reservation now: {e}");
        }
    }
}

/// Gives back the stock an unpaid order reserved (idempotent).
pub async fn release_reserved_stock(db: &Database, order: &Order) {
    let lines: Vec<&OrderLine> = order.lines.iter().collect();
    release_lines(db, &order.id, &lines).await;
}

/// Puts the units of a paid-then-cancelled order back on the shelf.
/// Call only from the request that won the paid → cancelled change.
pub async fn restock_paid(db: &Database, order: &Order) -> Result<()> {
    for line in &order.lines {
        let qty = line.quantity.as_i64();
        // A leftover reservation (payment committed but not yet pulled) is released
        // instead; otherwise the units come back as plain stock.
        if !catalog::release_reservation(db, &line.product_id, &line.variant_id, &order.id, qty)
            .await?
        {
            catalog::restock(db, &line.product_id, &line.variant_id, qty).await?;
        }
    }
    Ok(())
}

/// Cancels an unpaid order and gives its stock back. `None` if it was not unpaid.
pub async fn cancel_unpaid(
    db: &Database,
    order_id: &ObjectId,
    actor: &Actor,
    note: &str,
) -> Result<Option<Order>> {
    let Some(order) = store::transition(
        db,
        order_id,
        &[OrderStatus::AwaitingPayment],
        OrderStatus::Cancelled,
        actor,
        note,
        PaymentUpdate::none(),
    )
    .await?
    else {
        return Ok(None);
    };
    release_reserved_stock(db, &order).await;
    if let Err(e) = rules_store::release_code(db, &order.id).await {
        // The order is cancelled; its code use is given back by the next sweep.
        tracing::warn!(order_id = %order.id, "could not give a code use back now: {e}");
    }
    Ok(Some(order))
}

/// The one way an unpaid order ends without payment (timed out, or cancelled by
/// the shopper or the shop): cancelled, its stock given back, and its payment page
/// closed so nobody pays for released stock. `None` if it was not unpaid.
pub async fn end_unpaid(
    core: &Core,
    payments: &Payments,
    order_id: &ObjectId,
    actor: &Actor,
    note: &str,
) -> Result<Option<Order>> {
    let Some(cancelled) = cancel_unpaid(&core.db, order_id, actor, note).await? else {
        return Ok(None);
    };
    if let Some(session_id) = &cancelled.payment.session_id {
        if let Err(e) = payments.close_checkout(session_id).await {
            tracing::info!(order_id = %cancelled.id, "could not close the payment page (it may be closed already): {e}");
        }
    }
    Ok(Some(cancelled))
}

/// The note an order gets when its time to pay runs out.
pub const EXPIRED_NOTE: &str = "Payment was not received in time; the stock was released.";

/// Background work on every instance: expire unpaid orders after the
/// reservation time, and release reservations whose order never came to be.
pub fn spawn_sweeper(core: Core, payments: Payments) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = sweep(&core, &payments).await {
                tracing::warn!("order sweeper: {e}");
            }
            tokio::time::sleep(SWEEP_EVERY).await;
        }
    });
}

/// How often every instance looks for expired orders and interrupted checkouts.
pub const SWEEP_EVERY: Duration = Duration::from_secs(5);

pub async fn sweep(core: &Core, payments: &Payments) -> Result<()> {
    recover_checkouts(core).await?;
    let db = &core.db;
    let now = DateTime::now();
    for order in store::overdue(db, now, 200).await? {
        if let Some(cancelled) =
            end_unpaid(core, payments, &order.id, &Actor::System, EXPIRED_NOTE).await?
        {
            tracing::info!(order_id = %cancelled.id, "unpaid order expired");
        }
    }
    // Code uses held by orders that ended, or that never came to be.
    let before_ms = now.timestamp_millis() - 10 * 60_000;
    for order_id in rules_store::holding_orders(db, 500).await? {
        match store::find(db, &order_id).await?.map(|o| o.status) {
            Some(OrderStatus::AwaitingPayment) => {}
            Some(OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered) => {
                rules_store::commit_code(db, &order_id).await?;
            }
            Some(OrderStatus::Cancelled) => rules_store::release_code(db, &order_id).await?,
            None if order_id.timestamp().timestamp_millis() < before_ms => {
                rules_store::release_code(db, &order_id).await?;
            }
            None => {}
        }
    }
    // Reservations older than a placement could take whose order is missing or closed.
    let before = DateTime::from_millis(now.timestamp_millis() - 10 * 60_000);
    for held in catalog::stale_reservations(db, before, 500).await? {
        let (product_id, order_id) = (held.product_id, held.order_id);
        match store::find(db, &order_id).await?.map(|o| o.status) {
            // Still waiting for payment: the overdue check above handles it.
            Some(OrderStatus::AwaitingPayment) => {}
            // Sold: the units stay sold, the record goes.
            Some(OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered) => {
                catalog::commit_reservation(db, &product_id, &order_id).await?;
            }
            // Cancelled, or the order was never written: the units come back.
            Some(OrderStatus::Cancelled) | None => {
                if catalog::release_reservation(
                    db,
                    &product_id,
                    &held.variant_id,
                    &order_id,
                    held.qty,
                )
                .await?
                {
                    tracing::info!(order_id = %order_id, product_id = %product_id, "released an orphaned reservation");
                }
            }
        }
    }
    Ok(())
}
