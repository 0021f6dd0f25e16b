//! Placing orders (stock reserved all-or-nothing, one order per checkout) and
//! giving stock back when orders are cancelled or never paid.

use std::time::Duration;

use mongodb::bson::{oid::ObjectId, DateTime};
use mongodb::Database;

use super::payment::Payments;
use super::store::{self, History, Order, OrderLine, Payment, PaymentUpdate};
use super::types::{Address, OrderStatus};
use crate::cart::store::{self as cart_store, Owner};
use crate::catalog::store as catalog;
use crate::catalog::types::ProductStatus;
use crate::kernel::auth::Caller;
use crate::kernel::{Core, Error, Result};
use crate::shared::{Actor, AppError};

/// Places an order for the signed-in user from their cart as it was when the
/// checkout page was shown (`checkout_key` = cart id and version).
///
/// - Prices and totals come from the database, never from the browser.
/// - Stock for every line is reserved atomically per product; if any line is
///   short, every reservation made so far is given back and nothing is ordered.
/// - The same checkout submitted twice (double click, retry, two tabs) yields the
///   same single order.
pub async fn place_order(
    state: &Core,
    user: &Caller,
    address: Address,
    checkout_key: &str,
) -> Result<Order> {
    let db = &state.db;
    let owner = Owner::User(user.id);
    let claim_key = format!("{}:{}", user.id.to_hex(), checkout_key.trim());
    let order_id = ObjectId::new();

    if let Some(existing) = store::claim(db, &claim_key, &order_id).await? {
        return wait_for_claimed_order(db, &claim_key, existing.order_id).await;
    }
    match place_claimed(state, user, &owner, address, checkout_key, order_id).await {
        Ok(order) => {
            store::complete_claim(db, &claim_key).await?;
            Ok(order)
        }
        Err(e) => {
            // Free the key so the shopper can fix the cart and try again.
            if let Err(drop_err) = store::drop_claim(db, &claim_key).await {
                tracing::warn!("could not free a checkout key: {drop_err}");
            }
            Err(e)
        }
    }
}

/// Another request holds this checkout: wait for it to finish and show its order.
async fn wait_for_claimed_order(db: &Database, key: &str, order_id: ObjectId) -> Result<Order> {
    for _ in 0..100 {
        if let Some(order) = store::find(db, &order_id).await? {
            return Ok(order);
        }
        match store::find_claim(db, key).await? {
            None => {
                return Err(AppError::Conflict(
                    "This order could not be placed. Please review your cart and try again.".into(),
                )
                .into())
            }
            Some(c) if c.done => {}
            Some(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(AppError::Conflict(
        "Your order is still being placed. Check your orders in a moment.".into(),
    )
    .into())
}

async fn place_claimed(
    state: &Core,
    user: &Caller,
    owner: &Owner,
    address: Address,
    checkout_key: &str,
    order_id: ObjectId,
) -> Result<Order> {
    let db = &state.db;
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
    for item in &cart.items {
        let p = products
            .iter()
            .find(|p| p.id == item.product_id && p.status == ProductStatus::Active)
            .ok_or_else(|| {
                AppError::Conflict(
                    "A product in your cart is no longer sold. Remove it from your cart to continue.".into(),
                )
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
        let line_total = p
            .price()
            .checked_mul(u64::from(item.quantity))
            .ok_or_else(|| Error::internal("an order line total overflowed"))?;
        lines.push(OrderLine {
            product_id: p.id,
            slug: p.slug.to_string(),
            name: p.name.clone(),
            unit_price: p.price,
            quantity: item.quantity,
            line_total: line_total.minor(),
        });
    }
    let subtotal = crate::shared::Money::sum(
        currency,
        lines
            .iter()
            .map(|l| crate::shared::Money::new(l.line_total, currency)),
    )
    .ok_or_else(|| Error::internal("an order subtotal overflowed"))?;
    let shipping = crate::shared::Money::zero(currency);
    let total = subtotal
        .checked_add(shipping)
        .ok_or_else(|| Error::internal("an order total overflowed"))?;

    // Reserve every line, or none.
    let mut reserved: Vec<&OrderLine> = Vec::new();
    for line in &lines {
        let ok =
            match catalog::reserve_stock(db, &line.product_id, &order_id, line.quantity.as_i64())
                .await
            {
                Ok(ok) => ok,
                Err(e) => {
                    release_lines(db, &order_id, &reserved).await;
                    return Err(e);
                }
            };
        if !ok {
            release_lines(db, &order_id, &reserved).await;
            // How many are left, for the message (a product deleted meanwhile has none).
            let left = catalog::find_by_id(db, &line.product_id)
                .await?
                .map(|p| p.stock)
                .unwrap_or(0);
            let msg = if left <= 0 {
                format!(
                    "Sorry, {} is sold out. Remove it from your cart to continue.",
                    line.name
                )
            } else {
                format!(
                    "Sorry, only {left} of {} {} left. Lower the quantity in your cart to continue.",
                    line.name,
                    if left == 1 { "is" } else { "are" }
                )
            };
            return Err(AppError::Conflict(msg).into());
        }
        reserved.push(line);
    }

    let now = DateTime::now();
    let number = match store::next_number(db).await {
        Ok(n) => n,
        Err(e) => {
            release_lines(db, &order_id, &reserved).await;
            return Err(e);
        }
    };
    let reserved_until =
        DateTime::from_millis(now.timestamp_millis() + state.settings.reservation_minutes * 60_000);
    let order = Order {
        id: order_id,
        number,
        user_id: user.id,
        email: user.email.clone(),
        customer_name: user.name.clone(),
        status: OrderStatus::AwaitingPayment,
        lines,
        subtotal: subtotal.minor(),
        shipping: shipping.minor(),
        total: total.minor(),
        currency,
        address,
        checkout_key: checkout_key.to_string(),
        reserved_until,
        payment: Payment::default(),
        history: vec![History {
            status: OrderStatus::AwaitingPayment,
            at: now,
            actor: Actor::Customer(user.id.to_hex()),
            note: "Order placed".into(),
        }],
        created_at: now,
        updated_at: now,
    };
    if let Err(e) = store::insert(db, &order).await {
        let lines: Vec<&OrderLine> = order.lines.iter().collect();
        release_lines(db, &order_id, &lines).await;
        return Err(e);
    }
    // The cart is done; only empty it if it is still the content we ordered.
    cart_store::clear_if_version(db, owner, cart.version).await?;
    tracing::info!(order_id = %order.id, number = %order.number, total = order.total, "order placed");
    Ok(order)
}

async fn release_lines(db: &Database, order_id: &ObjectId, lines: &[&OrderLine]) {
    for line in lines {
        if let Err(e) =
            catalog::release_reservation(db, &line.product_id, order_id, line.quantity.as_i64())
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
        if !catalog::release_reservation(db, &line.product_id, &order.id, qty).await? {
            catalog::restock(db, &line.product_id, qty).await?;
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
            tokio::time::sleep(Duration::from_secs(15)).await;
        }
    });
}

pub async fn sweep(core: &Core, payments: &Payments) -> Result<()> {
    let db = &core.db;
    let now = DateTime::now();
    for order in store::overdue(db, now, 200).await? {
        if let Some(cancelled) =
            end_unpaid(core, payments, &order.id, &Actor::System, EXPIRED_NOTE).await?
        {
            tracing::info!(order_id = %cancelled.id, "unpaid order expired");
        }
    }
    // Reservations older than a placement could take whose order is missing or closed.
    let before = DateTime::from_millis(now.timestamp_millis() - 10 * 60_000);
    for (product_id, order_id, qty) in catalog::stale_reservations(db, before, 500).await? {
        match store::find(db, &order_id).await?.map(|o| o.status) {
            // Still waiting for payment: the overdue check above handles it.
            Some(OrderStatus::AwaitingPayment) => {}
            // Sold: the units stay sold, the record goes.
            Some(OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered) => {
                catalog::commit_reservation(db, &product_id, &order_id).await?;
            }
            // Cancelled, or the order was never written: the units come back.
            Some(OrderStatus::Cancelled) | None => {
                if catalog::release_reservation(db, &product_id, &order_id, qty).await? {
                    tracing::info!(order_id = %order_id, product_id = %product_id, "released an orphaned reservation");
                }
            }
        }
    }
    Ok(())
}
