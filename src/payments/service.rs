//! Stripe Checkout through async-stripe: one code path for real Stripe and the
//! local test double; only the base URL and keys differ.
//!
//! Every state change caused by a payment goes through [`mark_paid`] or
//! [`session_expired`], which are idempotent: a webhook delivered ten times, a
//! webhook racing the shopper's return, and events out of order all end in the
//! same state, with one confirmation e-mail.

use std::collections::HashMap;

use mongodb::bson::{doc, oid::ObjectId, DateTime};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    ExpireCheckoutSession, ProductData, RetrieveCheckoutSession,
};
use stripe_core::refund::CreateRefund;
use stripe_shared::{
    CheckoutSession, CheckoutSessionMode, CheckoutSessionPaymentStatus, CheckoutSessionStatus,
};

use crate::error::AppError;
use crate::orders::service as order_service;
use crate::orders::store::{self as order_store, Order};
use crate::orders::types::OrderStatus;
use crate::server::AppState;

/// The Stripe client, or `Unavailable` when no key is configured.
pub fn client(state: &AppState) -> Result<Client, AppError> {
    let stripe = &state.settings.stripe;
    if stripe.secret_key.is_empty() {
        tracing::error!("payments are not configured: set STRIPE_SECRET_KEY");
        return Err(AppError::Unavailable);
    }
    let mut builder =
        ClientBuilder::new(stripe.secret_key.expose()).timeout(std::time::Duration::from_secs(20));
    if let Some(base) = &stripe.api_base {
        let mut url = base.to_string();
        if !url.ends_with('/') {
            url.push('/');
        }
        builder = builder.url(url);
    }
    builder
        .build()
        .map_err(|e| AppError::internal("building the Stripe client", e))
}

fn stripe_error(context: &str, e: StripeError) -> AppError {
    match e {
        StripeError::Timeout | StripeError::ClientError(_) => {
            tracing::warn!("{context}: payment provider unreachable: {e}");
            AppError::Unavailable
        }
        other => AppError::internal(context, other),
    }
}

fn currency(code: &str) -> Result<stripe_types::Currency, AppError> {
    code.parse()
        .map_err(|_| AppError::internal("unsupported currency for Stripe", code))
}

/// The Checkout page for an unpaid order: the open session if there is one, else a
/// new one (the idempotency key is derived from the order, so two clicks at once
/// make one session). Amounts always come from the order.
pub async fn checkout_url(state: &AppState, order: &Order) -> Result<String, AppError> {
    let now = DateTime::now().timestamp_millis();
    if let (Some(url), Some(expires)) =
        (&order.payment.session_url, order.payment.session_expires_at)
    {
        if expires.timestamp_millis() > now + 60_000 {
            return Ok(url.clone());
        }
    }
    let client = client(state)?;
    let base = state.settings.base_url();
    let cur = currency(&order.currency)?;
    let line_items: Vec<CreateCheckoutSessionLineItems> = order
        .lines
        .iter()
        .map(|l| {
            let mut price = CreateCheckoutSessionLineItemsPriceData::new(cur.clone());
            price.unit_amount = Some(l.unit_price);
            price.product_data = Some(ProductData::new(l.name.clone()));
            let mut item = CreateCheckoutSessionLineItems::new();
            item.price_data = Some(price);
            item.quantity = Some(l.quantity as u64);
            item
        })
        .collect();
    let mut metadata = HashMap::new();
    metadata.insert("order_id".to_string(), order.id.to_hex());
    metadata.insert("order_number".to_string(), order.number.clone());
    // Stripe keeps a session open 30 minutes to 24 hours; our sweeper expires it
    // explicitly when the reservation ends.
    let expires_at = (order.reserved_until.timestamp_millis() / 1000)
        .max(now / 1000 + 31 * 60)
        .min(now / 1000 + 23 * 3600);
    let key = IdempotencyKey::new(format!("oxcart-checkout-{}", order.id.to_hex()))
        .map_err(|e| AppError::internal("idempotency key", format!("{e:?}")))?;
    let session: CheckoutSession = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .line_items(line_items)
        .success_url(format!(
            "{base}/checkout/success?order={}&session_id={{CHECKOUT_SESSION_ID}}",
            order.id.to_hex()
        ))
        .cancel_url(format!(
            "{base}/account/orders/{}?payment=cancelled",
            order.id.to_hex()
        ))
        .client_reference_id(order.id.to_hex())
        .customer_email(order.email.clone())
        .metadata(metadata)
        .expires_at(expires_at)
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key))
        .send(&client)
        .await
        .map_err(|e| stripe_error("creating a Stripe Checkout session", e))?;
    let url = session
        .url
        .clone()
        .ok_or_else(|| AppError::internal("Stripe session without a URL", session.id.as_str()))?;
    if session.amount_total.is_some_and(|t| t != order.total) {
        return Err(AppError::internal(
            "Stripe computed a different total than the order",
            format!("{:?} vs {}", session.amount_total, order.total),
        ));
    }
    order_store::set_fields(
        &state.db,
        &order.id,
        doc! {
            "payment.session_id": session.id.as_str(),
            "payment.session_url": &url,
            "payment.session_expires_at": DateTime::from_millis(session.expires_at * 1000),
        },
    )
    .await?;
    Ok(url)
}

/// Asks Stripe about the order's session and applies a completed payment now
/// (so the shopper sees "paid" even before the webhook arrives).
pub async fn reconcile(state: &AppState, order: &Order) -> Result<(), AppError> {
    if order.status != OrderStatus::AwaitingPayment {
        return Ok(());
    }
    let Some(session_id) = &order.payment.session_id else {
        return Ok(());
    };
    let client = client(state)?;
    let session = RetrieveCheckoutSession::new(session_id.as_str())
        .send(&client)
        .await
        .map_err(|e| stripe_error("retrieving a Stripe Checkout session", e))?;
    if session.status == Some(CheckoutSessionStatus::Complete)
        && session.payment_status == CheckoutSessionPaymentStatus::Paid
    {
        mark_paid(state, &session, "stripe").await?;
    }
    Ok(())
}

fn order_id_of(session: &CheckoutSession) -> Option<ObjectId> {
    session
        .metadata
        .as_ref()
        .and_then(|m| m.get("order_id"))
        .or(session.client_reference_id.as_ref())
        .and_then(|id| ObjectId::parse_str(id).ok())
}

fn payment_intent_of(session: &CheckoutSession) -> Option<String> {
    session
        .payment_intent
        .as_ref()
        .map(|p| p.id().as_str().to_string())
}

/// A completed, paid session: the order becomes paid (once), its reserved units
/// become sold, and the confirmation e-mail is queued (once).
pub async fn mark_paid(
    state: &AppState,
    session: &CheckoutSession,
    actor: &str,
) -> Result<Order, AppError> {
    let db = &state.db;
    let order_id = order_id_of(session).ok_or(AppError::NotFound)?;
    let order = order_store::find(db, &order_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let amount = session.amount_total.unwrap_or(-1);
    let paid_currency = session
        .currency
        .as_ref()
        .map(|c| c.to_string())
        .unwrap_or_default();
    if amount != order.total || !paid_currency.eq_ignore_ascii_case(&order.currency) {
        tracing::error!(
            order_id = %order.id,
            paid = amount,
            expected = order.total,
            "payment amount does not match the order; not marking it paid"
        );
        return Err(AppError::BadRequest(
            "The paid amount does not match the order.".into(),
        ));
    }
    let payment_intent = payment_intent_of(session);
    let extra = doc! {
        "payment.payment_intent": payment_intent.clone(),
        "payment.paid_at": DateTime::now(),
        "payment.amount_paid": amount,
        "payment.session_id": session.id.as_str(),
    };
    let paid = match order_store::transition(
        db,
        &order.id,
        &[OrderStatus::AwaitingPayment],
        OrderStatus::Paid,
        actor,
        "Payment received",
        extra.clone(),
    )
    .await?
    {
        Some(o) => o,
        None => {
            let current = order_store::find(db, &order.id)
                .await?
                .ok_or(AppError::NotFound)?;
            match current.status {
                OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered => current,
                OrderStatus::Cancelled => {
                    return paid_after_cancellation(state, current, extra, actor).await
                }
                OrderStatus::AwaitingPayment => {
                    return Err(AppError::Conflict("order changed; retry".into()))
                }
            }
        }
    };
    for line in &paid.lines {
        crate::catalog::store::commit_reservation(db, &line.product_id, &paid.id).await?;
    }
    queue_confirmation(state, &paid).await?;
    Ok(paid)
}

/// Money arrived for an order we had already cancelled (the shopper paid at the
/// last second). Take the units again if they are still there; otherwise refund.
async fn paid_after_cancellation(
    state: &AppState,
    order: Order,
    extra: mongodb::bson::Document,
    actor: &str,
) -> Result<Order, AppError> {
    let db = &state.db;
    if order.payment.refund_id.is_some() || order.payment.paid_at.is_some() {
        return Ok(order); // already handled
    }
    let mut taken = Vec::new();
    let mut all = true;
    for line in &order.lines {
        if crate::catalog::store::reserve_stock(db, &line.product_id, &order.id, line.quantity)
            .await?
        {
            taken.push(line);
        } else {
            all = false;
            break;
        }
    }
    if all {
        if let Some(paid) = order_store::transition(
            db,
            &order.id,
            &[OrderStatus::Cancelled],
            OrderStatus::Paid,
            actor,
            "Payment arrived after the reservation ended; the items were still available",
            extra.clone(),
        )
        .await?
        {
            for line in &paid.lines {
                crate::catalog::store::commit_reservation(db, &line.product_id, &paid.id).await?;
            }
            queue_confirmation(state, &paid).await?;
            return Ok(paid);
        }
    }
    for line in taken {
        crate::catalog::store::release_reservation(db, &line.product_id, &order.id, line.quantity)
            .await?;
    }
    let Some(intent) = extra
        .get_str("payment.payment_intent")
        .ok()
        .map(str::to_string)
    else {
        tracing::error!(order_id = %order.id, "paid after cancellation but no payment reference to refund");
        return Ok(order);
    };
    let refund_id = refund(state, &order.id, &intent).await?;
    order_store::set_fields(
        db,
        &order.id,
        doc! {
            "payment.payment_intent": &intent,
            "payment.refund_id": &refund_id,
            "payment.refunded_at": DateTime::now(),
        },
    )
    .await?;
    tracing::warn!(order_id = %order.id, "payment arrived after cancellation and was refunded");
    Ok(order)
}

async fn refund(
    state: &AppState,
    order_id: &ObjectId,
    payment_intent: &str,
) -> Result<String, AppError> {
    let client = client(state)?;
    let key = IdempotencyKey::new(format!("oxcart-refund-{}", order_id.to_hex()))
        .map_err(|e| AppError::internal("idempotency key", format!("{e:?}")))?;
    let refund = CreateRefund::new()
        .payment_intent(payment_intent.to_string())
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key))
        .send(&client)
        .await
        .map_err(|e| stripe_error("creating a Stripe refund", e))?;
    Ok(refund.id.as_str().to_string())
}

/// An admin cancels a paid order: refund through Stripe first, then cancel and
/// put the units back.
pub async fn refund_and_cancel(
    state: &AppState,
    order: &Order,
    actor: &str,
) -> Result<Order, AppError> {
    let intent = order
        .payment
        .payment_intent
        .clone()
        .ok_or_else(|| AppError::Conflict("This order has no payment to refund.".into()))?;
    let refund_id = match &order.payment.refund_id {
        Some(r) => r.clone(),
        None => refund(state, &order.id, &intent).await?,
    };
    let cancelled = order_store::transition(
        &state.db,
        &order.id,
        &[OrderStatus::Paid],
        OrderStatus::Cancelled,
        actor,
        &format!("Cancelled and refunded ({refund_id})"),
        doc! { "payment.refund_id": &refund_id, "payment.refunded_at": DateTime::now() },
    )
    .await?;
    match cancelled {
        Some(o) => {
            order_service::restock_paid(&state.db, &o).await?;
            tracing::info!(order_id = %o.id, "paid order cancelled and refunded");
            Ok(o)
        }
        None => {
            tracing::error!(order_id = %order.id, refund = %refund_id, "refunded, but the order changed before it could be cancelled");
            Err(AppError::Conflict(
                "The refund was made, but the order changed meanwhile. Reload and check it.".into(),
            ))
        }
    }
}

/// A session expired at Stripe: cancel the order if it is still unpaid on that session.
pub async fn session_expired(state: &AppState, session: &CheckoutSession) -> Result<(), AppError> {
    let order_id = order_id_of(session).ok_or(AppError::NotFound)?;
    let order = order_store::find(&state.db, &order_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let same_session = order.payment.session_id.as_deref() == Some(session.id.as_str());
    if order.status == OrderStatus::AwaitingPayment && same_session {
        order_service::cancel_unpaid(
            &state.db,
            &order.id,
            "stripe",
            "The payment session expired; the stock was released.",
        )
        .await?;
    }
    Ok(())
}

/// Closes the order's open payment page (best effort) so nobody pays for
/// released stock. Stripe then sends `checkout.session.expired`.
pub async fn expire_checkout_session(state: &AppState, order: &Order) {
    let Some(session_id) = order.payment.session_id.clone() else {
        return;
    };
    let Ok(client) = client(state) else {
        return;
    };
    if let Err(e) = ExpireCheckoutSession::new(session_id.as_str())
        .send(&client)
        .await
    {
        tracing::info!(order_id = %order.id, "could not expire the payment session (it may be closed already): {e}");
    }
}

/// The order confirmation, queued exactly once per order.
pub async fn queue_confirmation(state: &AppState, order: &Order) -> Result<(), AppError> {
    let draft = crate::mail::templates::order_confirmation(
        &state.settings.shop_name,
        &state.settings.base_url(),
        order,
    );
    state
        .mailer
        .queue(
            draft,
            Some(format!("order-confirmation:{}", order.id.to_hex())),
        )
        .await?;
    Ok(())
}
