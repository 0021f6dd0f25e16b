//! Checkout and order server functions. Shoppers see only their own orders
//! (anyone else's is "not found", so ids cannot be probed); admins see all.

use leptos::prelude::*;

use super::types::{AddressForm, CheckoutData, OrderPage, OrderView};
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use {
    super::payment::{self, Payments},
    super::service,
    super::store,
    super::types::OrderStatus,
    crate::kernel::auth,
    crate::kernel::db::parse_id,
    crate::kernel::web::{context, redirect},
    crate::kernel::{core as app_state, Core},
    crate::shared::{Actor, OrderNumber},
    mongodb::bson::{doc, Document},
};

/// The core services and the payment gateway of this request.
#[cfg(feature = "ssr")]
fn services() -> crate::kernel::Result<(Core, Payments)> {
    Ok((app_state()?, context::<Payments>()?))
}

#[cfg(feature = "ssr")]
const PER_PAGE: u32 = 20;

/// The cart to check out, priced on the server, plus the last address used.
#[server(endpoint = "checkout/data")]
pub async fn checkout_details() -> Result<CheckoutData, AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    let owner = crate::cart::store::Owner::User(user.id);
    let cart = crate::cart::store::find(&state.db, &owner).await?;
    let view = crate::cart::store::view(&state.db, cart.as_ref(), state.currency()).await?;
    let address = store::last_for_user(&state.db, &user.id)
        .await?
        .map(|o| o.address);
    Ok(CheckoutData {
        cart: view,
        address,
        email: user.email,
        name: user.name,
    })
}

/// Places the order and sends the shopper on to pay it (the order page when the
/// payment provider cannot be reached). Totals are computed here from the database.
#[server(endpoint = "checkout/place-order")]
pub async fn place_order(
    address: AddressForm,
    shipping: Option<String>,
    discount_code: Option<String>,
    checkout_key: String,
) -> Result<String, AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    let choice = service::CheckoutChoice {
        shipping_id: shipping.unwrap_or_default(),
        discount_code: discount_code.unwrap_or_default(),
    };
    // A refused form comes back with everything typed, the choices included.
    let keep = |e: AppError| {
        let mut kept = address.kept();
        kept.push(("shipping", choice.shipping_id.clone()));
        kept.push(("discount_code", choice.discount_code.clone()));
        let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
        e.keeping(&refs)
    };
    let address = address.validate().map_err(keep)?;
    if checkout_key.trim().is_empty() || checkout_key.len() > 100 {
        return Err(AppError::BadRequest(
            "The checkout form is incomplete. Reload the page and try again.".into(),
        ));
    }
    let order = match service::place_order(&state, &user, address, &choice, &checkout_key).await {
        Ok(o) => o,
        Err(crate::kernel::Error::App(e @ AppError::Invalid(_))) => return Err(keep(e)),
        Err(e) => return Err(e.into()),
    };
    let id = order.id.to_hex();
    // One step to pay: straight on to the payment page. Should the provider not
    // answer, the order stands and its page offers "Pay now" to try again.
    let to = match context::<Payments>() {
        Ok(payments) => match payment::checkout_url(&state, &payments, &order).await {
            Ok(url) => url,
            Err(e) => {
                tracing::warn!(order = %order.number, error = %e, "the payment page could not be opened after placing");
                format!("/account/orders/{id}?placed=1")
            }
        },
        Err(_) => format!("/account/orders/{id}?placed=1"),
    };
    redirect(&to);
    Ok(id)
}

#[server(endpoint = "orders/mine")]
pub async fn my_orders(page: Option<u32>) -> Result<OrderPage, AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    let page = page.unwrap_or(1).clamp(1, 10_000);
    let (orders, total) =
        store::list(&state.db, doc! { "user_id": user.id }, page, PER_PAGE).await?;
    Ok(OrderPage {
        orders: orders.iter().map(|o| o.summary()).collect(),
        total,
        page,
        pages: total.div_ceil(PER_PAGE as u64) as u32,
    })
}

/// One order: its owner or an admin; anyone else gets "not found".
#[server(endpoint = "orders/get")]
pub async fn order_detail(id: String) -> Result<OrderView, AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let order = store::find(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    if order.user_id != user.id && !user.is_admin() {
        return Err(AppError::NotFound);
    }
    Ok(order.view(user.is_admin() && order.user_id != user.id))
}

/// A shopper may cancel their own order while it is unpaid.
#[server(endpoint = "orders/cancel")]
pub async fn cancel_my_order(id: String) -> Result<(), AppError> {
    let user = auth::require_user().await?;
    let (state, payments) = services()?;
    let oid = parse_id(&id)?;
    let order = store::find(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    if order.user_id != user.id {
        return Err(AppError::NotFound);
    }
    service::end_unpaid(
        &state,
        &payments,
        &oid,
        &Actor::Customer(user.id.to_hex()),
        "Cancelled by the customer",
    )
    .await?
    .ok_or_else(|| {
        AppError::Conflict(
            "Only an unpaid order can be cancelled here. Contact us about paid orders.".into(),
        )
    })?;
    Ok(())
}

/// Sends the shopper to the payment page of their unpaid order.
#[server(endpoint = "payments/pay")]
pub async fn pay_order(order_id: String) -> Result<String, AppError> {
    let user = auth::require_user().await?;
    let (state, payments) = services()?;
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
        service::end_unpaid(
            &state,
            &payments,
            &oid,
            &Actor::System,
            service::EXPIRED_NOTE,
        )
        .await?;
        return Err(AppError::Conflict(
            "The time to pay this order has run out and its items were released. Please place a new order.".into(),
        ));
    }
    let url = payment::checkout_url(&state, &payments, &order).await?;
    redirect(&url);
    Ok(url)
}

/// The order with its payment state brought up to date (asks the payment provider
/// when its notification has not arrived yet). Owner or admin only.
#[server(endpoint = "payments/status")]
pub async fn order_payment_status(order_id: String) -> Result<OrderView, AppError> {
    let user = auth::require_user().await?;
    let (state, payments) = services()?;
    let oid = parse_id(&order_id)?;
    let order = store::find(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    if order.user_id != user.id && !user.is_admin() {
        return Err(AppError::NotFound);
    }
    let by_admin = user.is_admin() && order.user_id != user.id;
    if order.status == OrderStatus::AwaitingPayment && order.payment.session_id.is_some() {
        if let Err(e) = payment::reconcile(&state, &payments, &order).await {
            tracing::info!(order_id = %oid, "could not check the payment with the provider yet: {e}");
        }
        let fresh = store::find(&state.db, &oid)
            .await?
            .ok_or(AppError::NotFound)?;
        return Ok(fresh.view(by_admin));
    }
    Ok(order.view(by_admin))
}

// ---------- admin ----------

#[server(endpoint = "admin/orders/list")]
pub async fn admin_orders(
    status: Option<String>,
    q: Option<String>,
    page: Option<String>,
) -> Result<OrderPage, AppError> {
    auth::require_admin().await?;
    let state = app_state()?;
    let mut filter = Document::new();
    if let Some(s) = status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "all")
    {
        let st = OrderStatus::parse(s)
            .ok_or_else(|| AppError::BadRequest("That status does not exist.".into()))?;
        filter.insert("status", st.as_str());
    }
    if let Some(q) = q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if q.len() > 200 {
            return Err(AppError::BadRequest("The search is too long.".into()));
        }
        if let Some(number) = OrderNumber::parse(q) {
            filter.insert("number", number.to_string());
        } else {
            // E-mail: exact, or the beginning of the address (uses the index).
            let escaped: String = q
                .to_lowercase()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '@' {
                        c.to_string()
                    } else {
                        format!("\\{c}")
                    }
                })
                .collect();
            filter.insert("email", doc! { "$regex": format!("^{escaped}") });
        }
    }
    let page = match page.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 1,
        Some(p) => p
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| {
                AppError::BadRequest("The page must be a whole number from 1 up.".into())
            })?,
    };
    let (orders, total) = store::list(&state.db, filter, page, PER_PAGE).await?;
    Ok(OrderPage {
        orders: orders.iter().map(|o| o.summary()).collect(),
        total,
        page,
        pages: total.div_ceil(PER_PAGE as u64) as u32,
    })
}

/// Moves an order along: shipped, delivered, or cancelled (a paid order is
/// refunded through the payment provider first).
#[server(endpoint = "admin/orders/status")]
pub async fn admin_set_order_status(id: String, status: String) -> Result<(), AppError> {
    let admin = auth::require_admin().await?;
    let (state, payments) = services()?;
    let oid = parse_id(&id)?;
    let to = OrderStatus::parse(status.trim())
        .ok_or_else(|| AppError::BadRequest("That status does not exist.".into()))?;
    let order = store::find(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    if !order.status.can_become(to) {
        return Err(AppError::Conflict(format!(
            "An order that is {} cannot become {}.",
            order.status.label().to_lowercase(),
            to.label().to_lowercase()
        )));
    }
    let actor = admin.actor();
    let changed =
        || AppError::Conflict("The order changed meanwhile; reload and try again.".into());
    match (order.status, to) {
        (OrderStatus::AwaitingPayment, OrderStatus::Cancelled) => {
            service::end_unpaid(&state, &payments, &oid, &actor, "Cancelled by the shop")
                .await?
                .ok_or_else(changed)?;
        }
        (OrderStatus::Paid, OrderStatus::Cancelled) => {
            payment::refund_and_cancel(&state, &payments, &order, &actor).await?;
        }
        (from, to) => {
            store::transition(
                &state.db,
                &oid,
                &[from],
                to,
                &actor,
                "",
                store::PaymentUpdate::none(),
            )
            .await?
            .ok_or_else(changed)?;
        }
    }
    Ok(())
}
