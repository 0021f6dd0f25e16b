//! Payment server functions.

use leptos::prelude::*;

use crate::error::AppError;
use crate::orders::types::OrderView;

#[cfg(feature = "ssr")]
use {
    crate::accounts::auth, crate::accounts::types::Role, crate::catalog::api::parse_id,
    crate::orders::store, crate::orders::types::OrderStatus, crate::server::app_state,
};

/// Sends the shopper to the payment page of their unpaid order.
#[server(endpoint = "payments/pay")]
pub async fn pay_order(order_id: String) -> Result<String, AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    let oid = parse_id(&order_id)?;
    let order = store::find(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    if order.user_id != user.id {
        return Err(AppError::NotFound);
    }
    match order.status {
        OrderStatus::AwaitingPayment => {}
        OrderStatus::Cancelled => {
            return Err(AppError::Conflict(
                "This order was cancelled, so it cannot be paid. Please place a new order.".into(),
            ))
        }
        _ => return Err(AppError::Conflict("This order is already paid.".into())),
    }
    if order.reserved_until.timestamp_millis() <= mongodb::bson::DateTime::now().timestamp_millis()
    {
        crate::orders::service::cancel_unpaid(
            &state.db,
            &oid,
            "system",
            "Payment was not received in time; the stock was released.",
        )
        .await?;
        return Err(AppError::Conflict(
            "The time to pay this order has run out and its items were released. Please place a new order.".into(),
        ));
    }
    let url = crate::payments::service::checkout_url(&state, &order).await?;
    crate::server::redirect(&url);
    Ok(url)
}

/// The order with its payment state brought up to date (asks Stripe when the
/// webhook has not arrived yet). Owner or admin only.
#[server(endpoint = "payments/status")]
pub async fn order_payment_status(order_id: String) -> Result<OrderView, AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    let oid = parse_id(&order_id)?;
    let order = store::find(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    if order.user_id != user.id && user.role != Role::Admin {
        return Err(AppError::NotFound);
    }
    if order.status == OrderStatus::AwaitingPayment && order.payment.session_id.is_some() {
        if let Err(e) = crate::payments::service::reconcile(&state, &order).await {
            tracing::info!(order_id = %oid, "could not check the payment with Stripe yet: {e}");
        }
        let fresh = store::find(&state.db, &oid)
            .await?
            .ok_or(AppError::NotFound)?;
        return Ok(fresh.view());
    }
    Ok(order.view())
}
