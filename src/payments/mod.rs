//! Payments through Stripe: the adapter that implements the order side's payment
//! port (`orders::payment::PaymentGateway`), and the webhook Stripe calls.

pub mod stripe;
pub mod webhook;

pub use stripe::StripeGateway;
pub use webhook::ensure_indexes;

use crate::kernel::Core;
use crate::orders::payment::Payments;

/// `POST /stripe/webhook` (authenticated by its signature, not by the origin check).
pub fn routes<S>() -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
    Core: axum::extract::FromRef<S>,
    Payments: axum::extract::FromRef<S>,
{
    axum::Router::new().route("/stripe/webhook", axum::routing::post(webhook::receive))
}

/// The path the origin check must let through.
pub const WEBHOOK_PATH: &str = "/stripe/webhook";
