//! The Stripe adapter: implements the order side's payment port through
//! async-stripe, for real Stripe and the local test double alike (only the base URL
//! and keys differ). One client, built at start.

use std::collections::HashMap;

use crate::orders::pricing::{charge, ChargeLine, Totals};
use async_trait::async_trait;
use mongodb::bson::{oid::ObjectId, DateTime};
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    ExpireCheckoutSession, ProductData, RetrieveCheckoutSession,
};
use stripe_core::refund::CreateRefund;
use stripe_shared::{
    CheckoutSession, CheckoutSessionMode, CheckoutSessionPaymentStatus, CheckoutSessionStatus,
};

use crate::kernel::config::StripeSettings;
use crate::kernel::{Error, Result};
use crate::orders::payment::{
    CheckoutSession as OrderCheckout, CheckoutState, PaymentGateway, PaymentReceived, ReturnUrls,
};
use crate::orders::store::Order;
use crate::shared::AppError;

/// Stripe, as the shop's payment gateway.
pub struct StripeGateway {
    /// `None` when no secret key is configured: every payment call then answers
    /// "temporarily unavailable" with a log line saying why.
    client: Option<Client>,
}

impl StripeGateway {
    /// Builds the one client (no network I/O).
    pub fn new(settings: &StripeSettings) -> Result<StripeGateway> {
        if settings.secret_key.is_empty() {
            return Ok(StripeGateway { client: None });
        }
        let mut builder = ClientBuilder::new(settings.secret_key.expose())
            .timeout(std::time::Duration::from_secs(20));
        if let Some(base) = &settings.api_base {
            let mut url = base.to_string();
            if !url.ends_with('/') {
                url.push('/');
            }
            builder = builder.url(url);
        }
        let client = builder
            .build()
            .map_err(|e| Error::internal(format!("building the Stripe client: {e}")))?;
        Ok(StripeGateway {
            client: Some(client),
        })
    }

    fn client(&self) -> Result<&Client> {
        self.client.as_ref().ok_or_else(|| {
            tracing::error!("payments are not configured: set STRIPE_SECRET_KEY");
            Error::App(AppError::Unavailable)
        })
    }
}

fn stripe_error(context: &'static str, e: StripeError) -> Error {
    let unreachable = matches!(e, StripeError::Timeout | StripeError::ClientError(_));
    Error::Payment {
        context,
        unreachable,
        source: Box::new(e),
    }
}

fn idempotency_key(key: String) -> Result<IdempotencyKey> {
    IdempotencyKey::new(key).map_err(|e| Error::internal(format!("idempotency key: {e:?}")))
}

/// What the order side needs to know about a paid session.
fn received(session: &CheckoutSession) -> Option<PaymentReceived> {
    Some(PaymentReceived {
        order_id: order_id_of(session)?,
        session_id: session.id.as_str().to_string(),
        amount: session.amount_total.unwrap_or(-1),
        currency: session
            .currency
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        payment_intent: payment_intent_of(session),
    })
}

#[async_trait]
impl PaymentGateway for StripeGateway {
    async fn open_checkout(&self, order: &Order, back: &ReturnUrls) -> Result<OrderCheckout> {
        let client = self.client()?;
        let now = DateTime::now().timestamp_millis();
        let cur: stripe_types::Currency = order.currency.code().parse().map_err(|_| {
            Error::internal(format!(
                "Stripe does not know the currency {}",
                order.currency
            ))
        })?;
        // The goods (with any discount spread over them), shipping and added tax:
        // together exactly the order total (see `orders::pricing::charge`).
        let goods: Vec<ChargeLine> = order
            .lines
            .iter()
            .map(|l| ChargeLine {
                name: if l.variant_label.is_empty() {
                    l.name.clone()
                } else {
                    format!("{} ({})", l.name, l.variant_label)
                },
                unit_amount: l.unit_price,
                quantity: u64::from(l.quantity),
            })
            .collect();
        let totals = Totals {
            subtotal: order.subtotal,
            discount: order.discount,
            shipping: order.shipping,
            tax: order.tax,
            tax_included: order.tax_included,
            total: order.total,
        };
        let shipping_name = order
            .shipping_method
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_else(|| "Delivery".into());
        let discount_note = order
            .discount_code
            .as_deref()
            .map(|c| format!("with code {c}"))
            .unwrap_or_default();
        let line_items: Vec<CreateCheckoutSessionLineItems> = charge(
            &goods,
            &totals,
            &shipping_name,
            &order.tax_name,
            &discount_note,
        )
        .into_iter()
        .map(|l| {
            let mut price = CreateCheckoutSessionLineItemsPriceData::new(cur.clone());
            price.unit_amount = Some(l.unit_amount);
            price.product_data = Some(ProductData::new(l.name));
            let mut item = CreateCheckoutSessionLineItems::new();
            item.price_data = Some(price);
            item.quantity = Some(l.quantity);
            item
        })
        .collect();
        let mut metadata = HashMap::new();
        metadata.insert("order_id".to_string(), order.id.to_hex());
        metadata.insert("order_number".to_string(), order.number.to_string());
        // Stripe keeps a session open 30 minutes to 24 hours; the sweeper closes it
        // explicitly when the reservation ends.
        let expires_at = (order.reserved_until.timestamp_millis() / 1000)
            .max(now / 1000 + 31 * 60)
            .min(now / 1000 + 23 * 3600);
        let session: CheckoutSession = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Payment)
            .line_items(line_items)
            .success_url(format!(
                "{}&session_id={{CHECKOUT_SESSION_ID}}",
                back.success
            ))
            .cancel_url(back.cancel.clone())
            .client_reference_id(order.id.to_hex())
            .customer_email(order.email.clone())
            .metadata(metadata)
            .expires_at(expires_at)
            .customize()
            .request_strategy(RequestStrategy::Idempotent(idempotency_key(format!(
                "oxcart-checkout-{}",
                order.id.to_hex()
            ))?))
            .send(client)
            .await
            .map_err(|e| stripe_error("creating a Stripe Checkout session", e))?;
        let url = session.url.clone().ok_or_else(|| {
            Error::internal(format!("Stripe session {} has no URL", session.id.as_str()))
        })?;
        Ok(OrderCheckout {
            id: session.id.as_str().to_string(),
            url,
            expires_at: DateTime::from_millis(session.expires_at * 1000),
            amount_total: session.amount_total,
        })
    }

    async fn close_checkout(&self, session_id: &str) -> Result<()> {
        let client = self.client()?;
        ExpireCheckoutSession::new(session_id)
            .send(client)
            .await
            .map_err(|e| stripe_error("expiring a Stripe Checkout session", e))?;
        Ok(())
    }

    async fn checkout_state(&self, session_id: &str) -> Result<CheckoutState> {
        let client = self.client()?;
        let session = RetrieveCheckoutSession::new(session_id)
            .send(client)
            .await
            .map_err(|e| stripe_error("retrieving a Stripe Checkout session", e))?;
        Ok(state_of(&session))
    }

    async fn refund(&self, order_id: &ObjectId, payment_intent: &str) -> Result<String> {
        let client = self.client()?;
        let refund = CreateRefund::new()
            .payment_intent(payment_intent.to_string())
            .customize()
            .request_strategy(RequestStrategy::Idempotent(idempotency_key(format!(
                "oxcart-refund-{}",
                order_id.to_hex()
            ))?))
            .send(client)
            .await
            .map_err(|e| stripe_error("creating a Stripe refund", e))?;
        Ok(refund.id.as_str().to_string())
    }
}

/// A session as the order side reads it.
pub fn state_of(session: &CheckoutSession) -> CheckoutState {
    if session.status == Some(CheckoutSessionStatus::Complete)
        && session.payment_status == CheckoutSessionPaymentStatus::Paid
    {
        if let Some(r) = received(session) {
            return CheckoutState::Paid(r);
        }
    }
    if session.status == Some(CheckoutSessionStatus::Expired) {
        return CheckoutState::Expired;
    }
    CheckoutState::Open
}

/// The payment the session carries, when it is paid.
pub fn paid(session: &CheckoutSession) -> Option<PaymentReceived> {
    received(session)
}

pub fn order_id_of(session: &CheckoutSession) -> Option<ObjectId> {
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
