//! `POST /stripe/webhook`: verified (signature and age), applied exactly once.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use mongodb::bson::{doc, DateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::{Database, IndexModel};
use serde_json::json;
use stripe_webhook::{EventObject, Webhook, WebhookError};

use super::stripe::{order_id_of, paid};
use crate::kernel::{Core, Error};
use crate::orders::payment::{self, Payments};
use crate::shared::AppError;

pub const EVENTS: &str = "stripe_events";

pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
    db.collection::<Document>(EVENTS)
        .create_index(
            IndexModel::builder()
                .keys(doc! { "received_at": 1 })
                .options(
                    IndexOptions::builder()
                        .name("received_at_ttl".to_string())
                        .expire_after(std::time::Duration::from_secs(60 * 24 * 3600))
                        .build(),
                )
                .build(),
        )
        .await?;
    Ok(())
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

pub async fn receive(
    State(state): State<Core>,
    State(payments): State<Payments>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let secret = state.settings.stripe.webhook_secret.expose();
    if secret.is_empty() {
        tracing::error!("a Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set");
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "webhooks are not configured",
        );
    }
    let Some(signature) = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return refuse(StatusCode::BAD_REQUEST, "missing Stripe-Signature header");
    };
    let Ok(payload) = std::str::from_utf8(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "the body is not UTF-8");
    };
    let event = match Webhook::construct_event(payload, signature, secret) {
        Ok(e) => e,
        Err(e) => {
            let reason = match e {
                WebhookError::BadSignature | WebhookError::BadHeader(_) | WebhookError::BadKey => {
                    "invalid signature"
                }
                WebhookError::BadTimestamp(_) => {
                    "the signature timestamp is too old or in the future"
                }
                _ => "the event could not be read",
            };
            tracing::warn!("refused a Stripe webhook: {reason}");
            return refuse(StatusCode::BAD_REQUEST, reason);
        }
    };
    let event_id = event.id.as_str().to_string();
    let events = state.db.collection::<Document>(EVENTS);
    match events.find_one(doc! { "_id": &event_id }).await {
        Ok(Some(_)) => {
            return (
                StatusCode::OK,
                axum::Json(json!({ "received": true, "duplicate": true })),
            )
                .into_response()
        }
        Ok(None) => {}
        Err(e) => return Error::from(e).into_response(),
    }

    let paid_session = |session: &stripe_shared::CheckoutSession| paid(session);
    let result: Result<(), Error> = match &event.data.object {
        EventObject::CheckoutSessionCompleted(session)
            if session.payment_status == stripe_shared::CheckoutSessionPaymentStatus::Paid =>
        {
            match paid_session(session) {
                Some(r) => payment::payment_received(&state, &payments, &r)
                    .await
                    .map(|_| ()),
                None => Err(AppError::NotFound.into()),
            }
        }
        EventObject::CheckoutSessionAsyncPaymentSucceeded(session) => match paid_session(session) {
            Some(r) => payment::payment_received(&state, &payments, &r)
                .await
                .map(|_| ()),
            None => Err(AppError::NotFound.into()),
        },
        EventObject::CheckoutSessionExpired(session) => match order_id_of(session) {
            Some(order_id) => {
                payment::checkout_expired(&state, &order_id, session.id.as_str()).await
            }
            None => Err(AppError::NotFound.into()),
        },
        _ => Ok(()),
    };
    match result {
        Ok(()) => {}
        Err(Error::App(AppError::NotFound)) => {
            tracing::warn!(event_id = %event_id, "Stripe event for an unknown order");
            return refuse(StatusCode::BAD_REQUEST, "unknown order");
        }
        Err(Error::App(e @ AppError::BadRequest(_))) => {
            return refuse(StatusCode::BAD_REQUEST, &e.to_string())
        }
        // Anything else: answer 5xx so Stripe retries; handling is idempotent.
        Err(e) => return e.into_response(),
    }
    // Remember the event so a redelivery is answered at once. If this write fails,
    // Stripe is told to deliver again: applying it twice changes nothing.
    match events
        .insert_one(
            doc! { "_id": &event_id, "type": event.type_.as_str(), "received_at": DateTime::now() },
        )
        .await
    {
        Ok(_) => {}
        Err(e) if crate::kernel::db::is_duplicate_key(&e) => {}
        Err(e) => return Error::from(e).into_response(),
    }
    (StatusCode::OK, axum::Json(json!({ "received": true }))).into_response()
}
