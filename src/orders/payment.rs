//! Payments as the order side sees them: a port ([`PaymentGateway`]) that the
//! payment adapter implements (Stripe, in `payments`), and what happens to an
//! order when a payment arrives or a checkout expires.
//!
//! Every state change caused by a payment goes through [`payment_received`] or
//! [`checkout_expired`], which are idempotent: a webhook delivered ten times, a
//! webhook racing the shopper's return, and events out of order all end in the
//! same state, with one confirmation e-mail.

use std::sync::Arc;

use async_trait::async_trait;
use mongodb::bson::{oid::ObjectId, DateTime};

use super::service;
use super::store::{self, Order, Paid, PaymentUpdate};
use super::types::OrderStatus;
use crate::kernel::{Core, Error, Result};
use crate::shared::{Actor, AppError};

/// A checkout page at the payment provider for one order.
#[derive(Debug, Clone)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
    pub expires_at: DateTime,
    /// What the provider will charge, in minor units, as it computed it.
    pub amount_total: Option<i64>,
}

/// A payment the provider confirmed.
#[derive(Debug, Clone)]
pub struct PaymentReceived {
    pub order_id: ObjectId,
    pub session_id: String,
    /// Minor units, as charged.
    pub amount: i64,
    /// Lower-case ISO code, as charged.
    pub currency: String,
    pub payment_intent: Option<String>,
}

/// What the provider says about a checkout.
#[derive(Debug, Clone)]
pub enum CheckoutState {
    Paid(PaymentReceived),
    Expired,
    Open,
}

/// The payment provider, as orders need it. Implemented by `payments::StripeGateway`
/// (real Stripe, or the local test double: one code path), built once at start.
#[async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Opens a checkout page for exactly the order's lines and total. Calling it
    /// twice for the same order gives the same page (idempotent per order).
    async fn open_checkout(&self, order: &Order, back: &ReturnUrls) -> Result<CheckoutSession>;
    /// Closes a checkout page so nobody pays for released stock (best effort).
    async fn close_checkout(&self, session_id: &str) -> Result<()>;
    /// Asks the provider about a checkout (when its notification has not arrived).
    async fn checkout_state(&self, session_id: &str) -> Result<CheckoutState>;
    /// Refunds a payment in full; returns the refund's reference.
    async fn refund(&self, order_id: &ObjectId, payment_intent: &str) -> Result<String>;
}

/// Where the payment page sends the shopper back to.
#[derive(Debug, Clone)]
pub struct ReturnUrls {
    /// After paying; the provider may add its session id (see the adapter).
    pub success: String,
    /// When the shopper leaves the payment page without paying.
    pub cancel: String,
}

/// The purpose of signed guest order links.
pub const GUEST_ORDER: &str = "guest-order";

/// The signed query of a guest order's links (`token=…`), empty for account orders.
pub async fn guest_query(core: &Core, order: &Order) -> Result<String> {
    if order.user_id.is_some() {
        return Ok(String::new());
    }
    let key = crate::kernel::links::key(core).await?;
    Ok(format!(
        "token={}",
        crate::kernel::links::sign(&key, GUEST_ORDER, &order.id.to_hex())
    ))
}

/// The order's own page: the account's order page, or the guest's signed link.
pub async fn order_url(core: &Core, order: &Order) -> Result<String> {
    let base = core.settings.base_url();
    let id = order.id.to_hex();
    Ok(if order.user_id.is_some() {
        format!("{base}/account/orders/{id}")
    } else {
        format!("{base}/order/{id}?{}", guest_query(core, order).await?)
    })
}

async fn return_urls(core: &Core, order: &Order) -> Result<ReturnUrls> {
    let base = core.settings.base_url();
    let id = order.id.to_hex();
    let token = guest_query(core, order).await?;
    let and_token = if token.is_empty() {
        String::new()
    } else {
        format!("&{token}")
    };
    let page = order_url(core, order).await?;
    let sep = if page.contains('?') { '&' } else { '?' };
    Ok(ReturnUrls {
        success: format!("{base}/checkout/success?order={id}{and_token}"),
        cancel: format!("{page}{sep}payment=cancelled"),
    })
}

/// The gateway as it travels in the request context and the app state.
pub type Payments = Arc<dyn PaymentGateway>;

/// The checkout page for an unpaid order: the open one if it has a minute left,
/// else a new one. Amounts always come from the order, and the provider's total
/// must equal it to the cent.
pub async fn checkout_url(core: &Core, payments: &Payments, order: &Order) -> Result<String> {
    let now = DateTime::now().timestamp_millis();
    if let (Some(url), Some(expires)) =
        (&order.payment.session_url, order.payment.session_expires_at)
    {
        if expires.timestamp_millis() > now + 60_000 {
            return Ok(url.clone());
        }
    }
    let back = return_urls(core, order).await?;
    let session = payments.open_checkout(order, &back).await?;
    if session.amount_total.is_some_and(|t| t != order.total) {
        return Err(Error::internal(format!(
            "the payment provider computed {:?} for order {} but the order says {}",
            session.amount_total, order.number, order.total
        )));
    }
    store::update_payment(
        &core.db,
        &order.id,
        PaymentUpdate {
            checkout: Some((session.id.clone(), session.url.clone(), session.expires_at)),
            ..PaymentUpdate::none()
        },
    )
    .await?;
    Ok(session.url)
}

/// Asks the provider about the order's checkout and applies a completed payment
/// now (so the shopper sees "paid" even before the notification arrives).
pub async fn reconcile(core: &Core, payments: &Payments, order: &Order) -> Result<()> {
    if order.status != OrderStatus::AwaitingPayment {
        return Ok(());
    }
    let Some(session_id) = &order.payment.session_id else {
        return Ok(());
    };
    if let CheckoutState::Paid(received) = payments.checkout_state(session_id).await? {
        payment_received(core, payments, &received).await?;
    }
    Ok(())
}

/// A confirmed payment: the order becomes paid (once), its reserved units become
/// sold, and the confirmation e-mail is queued (once). A payment whose amount or
/// currency differs from the order's is refused and logged.
pub async fn payment_received(
    core: &Core,
    payments: &Payments,
    received: &PaymentReceived,
) -> Result<Order> {
    let db = &core.db;
    let order = store::find(db, &received.order_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if received.amount != order.total
        || !received
            .currency
            .eq_ignore_ascii_case(order.currency.code())
    {
        tracing::error!(
            order_id = %order.id,
            paid = received.amount,
            expected = order.total,
            "payment amount does not match the order; not marking it paid"
        );
        return Err(
            AppError::BadRequest("The paid amount does not match the order.".into()).into(),
        );
    }
    let paid_update = || PaymentUpdate {
        paid: Some(Paid {
            payment_intent: received.payment_intent.clone(),
            amount: received.amount,
            session_id: received.session_id.clone(),
        }),
        ..PaymentUpdate::none()
    };
    let paid = match store::transition(
        db,
        &order.id,
        &[OrderStatus::AwaitingPayment],
        OrderStatus::Paid,
        &Actor::PaymentProvider,
        "Payment received",
        paid_update(),
    )
    .await?
    {
        Some(o) => o,
        None => {
            let current = store::find(db, &order.id)
                .await?
                .ok_or(AppError::NotFound)?;
            match current.status {
                OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered => current,
                OrderStatus::Cancelled => {
                    return paid_after_cancellation(core, payments, current, received).await
                }
                OrderStatus::AwaitingPayment => {
                    return Err(AppError::Conflict("order changed; retry".into()).into())
                }
            }
        }
    };
    for line in &paid.lines {
        crate::catalog::store::commit_reservation(db, &line.product_id, &paid.id).await?;
    }
    super::rules_store::commit_code(db, &paid.id).await?;
    queue_confirmation(core, &paid).await?;
    Ok(paid)
}

/// Money arrived for an order we had already cancelled (the shopper paid at the
/// last second). Take the units again if they are still there; otherwise refund.
async fn paid_after_cancellation(
    core: &Core,
    payments: &Payments,
    order: Order,
    received: &PaymentReceived,
) -> Result<Order> {
    let db = &core.db;
    if order.payment.refund_id.is_some() || order.payment.paid_at.is_some() {
        return Ok(order); // already handled
    }
    let mut taken = Vec::new();
    let mut all = true;
    for line in &order.lines {
        if crate::catalog::store::reserve_stock(
            db,
            &line.product_id,
            &line.variant_id,
            &order.id,
            line.quantity.as_i64(),
        )
        .await?
        {
            taken.push(line);
        } else {
            all = false;
            break;
        }
    }
    if all {
        let update = PaymentUpdate {
            paid: Some(Paid {
                payment_intent: received.payment_intent.clone(),
                amount: received.amount,
                session_id: received.session_id.clone(),
            }),
            ..PaymentUpdate::none()
        };
        if let Some(paid) = store::transition(
            db,
            &order.id,
            &[OrderStatus::Cancelled],
            OrderStatus::Paid,
            &Actor::PaymentProvider,
            "Payment arrived after the reservation ended; the items were still available",
            update,
        )
        .await?
        {
            for line in &paid.lines {
                crate::catalog::store::commit_reservation(db, &line.product_id, &paid.id).await?;
            }
            queue_confirmation(core, &paid).await?;
            return Ok(paid);
        }
    }
    for line in taken {
        crate::catalog::store::release_reservation(
            db,
            &line.product_id,
            &line.variant_id,
            &order.id,
            line.quantity.as_i64(),
        )
        .await?;
    }
    let Some(intent) = received.payment_intent.clone() else {
        tracing::error!(order_id = %order.id, "paid after cancellation but no payment reference to refund");
        return Ok(order);
    };
    let refund_id = payments.refund(&order.id, &intent).await?;
    store::update_payment(
        db,
        &order.id,
        PaymentUpdate {
            payment_intent: Some(intent),
            refund_id: Some(refund_id),
            ..PaymentUpdate::none()
        },
    )
    .await?;
    tracing::warn!(order_id = %order.id, "payment arrived after cancellation and was refunded");
    Ok(order)
}

/// The shop cancels a paid order: refund through the provider first, then cancel
/// and put the units back.
pub async fn refund_and_cancel(
    core: &Core,
    payments: &Payments,
    order: &Order,
    actor: &Actor,
) -> Result<Order> {
    let intent = order
        .payment
        .payment_intent
        .clone()
        .ok_or_else(|| AppError::Conflict("This order has no payment to refund.".into()))?;
    let refund_id = match &order.payment.refund_id {
        Some(r) => r.clone(),
        None => payments.refund(&order.id, &intent).await?,
    };
    let cancelled = store::transition(
        &core.db,
        &order.id,
        &[OrderStatus::Paid],
        OrderStatus::Cancelled,
        actor,
        &format!("Cancelled and refunded ({refund_id})"),
        PaymentUpdate {
            refund_id: Some(refund_id.clone()),
            ..PaymentUpdate::none()
        },
    )
    .await?;
    match cancelled {
        Some(o) => {
            service::restock_paid(&core.db, &o).await?;
            tracing::info!(order_id = %o.id, "paid order cancelled and refunded");
            Ok(o)
        }
        None => {
            tracing::error!(order_id = %order.id, refund = %refund_id, "refunded, but the order changed before it could be cancelled");
            Err(AppError::Conflict(
                "The refund was made, but the order changed meanwhile. Reload and check it.".into(),
            )
            .into())
        }
    }
}

/// A checkout expired at the provider: cancel the order if it is still unpaid on
/// that checkout, and give its stock back.
pub async fn checkout_expired(core: &Core, order_id: &ObjectId, session_id: &str) -> Result<()> {
    let order = store::find(&core.db, order_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let same_session = order.payment.session_id.as_deref() == Some(session_id);
    if order.status == OrderStatus::AwaitingPayment && same_session {
        service::cancel_unpaid(
            &core.db,
            &order.id,
            &Actor::PaymentProvider,
            "The payment session expired; the stock was released.",
        )
        .await?;
    }
    Ok(())
}

/// The order confirmation, queued exactly once per order.
pub async fn queue_confirmation(core: &Core, order: &Order) -> Result<()> {
    let link = order_url(core, order).await?;
    let draft = super::mail::order_confirmation(&core.settings.shop_name, &link, order);
    core.mailer
        .queue(
            draft,
            Some(format!("order-confirmation:{}", order.id.to_hex())),
        )
        .await?;
    Ok(())
}
