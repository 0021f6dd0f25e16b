//! Checkout and order server functions. Shoppers see only their own orders
//! (anyone else's is "not found", so ids cannot be probed); admins see all.

use leptos::prelude::*;

use super::types::{AddressForm, CheckoutData, OrderPage, OrderView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::service,
    super::store,
    super::types::OrderStatus,
    crate::accounts::auth,
    crate::accounts::types::Role,
    crate::catalog::api::parse_id,
    crate::server::app_state,
    mongodb::bson::{doc, Document},
};

#[cfg(feature = "ssr")]
const PER_PAGE: u32 = 20;

/// The cart to check out, priced on the server, plus the last address used.
#[server(endpoint = "checkout/data")]
pub async fn checkout_details() -> Result<CheckoutData, AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    let owner = crate::cart::store::Owner::User(user.id);
    let cart = crate::cart::store::find(&state.db, &owner).await?;
    let view = crate::cart::store::view(&state.db, cart.as_ref(), &state.settings.currency).await?;
    let address = store::last_for_user(&state.db, &user.id)
        .await?
        .map(|o| o.address);
    Ok(CheckoutData {
        cart: view,
        address,
        email: user.email,
    })
}

/// Places the order and shows it. Totals are computed here from the database.
#[server(endpoint = "checkout/place-order")]
pub async fn place_order(address: AddressForm, checkout_key: String) -> Result<String, AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    let address = address.validate()?;
    if checkout_key.trim().is_empty() || checkout_key.len() > 100 {
        return Err(AppError::BadRequest(
            "The checkout form is incomplete. Reload the page and try again.".into(),
        ));
    }
    let order = service::place_order(&state, &user, address, &checkout_key).await?;
    let id = order.id.to_hex();
    crate::server::redirect(&format!("/account/orders/{id}?placed=1"));
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
    if order.user_id != user.id && user.role != Role::Admin {
        return Err(AppError::NotFound);
    }
    Ok(order.view())
}

/// A shopper may cancel their own order while it is unpaid.
#[server(endpoint = "orders/cancel")]
pub async fn cancel_my_order(id: String) -> Result<(), AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let order = store::find(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    if order.user_id != user.id {
        return Err(AppError::NotFound);
    }
    let cancelled = service::cancel_unpaid(
        &state.db,
        &oid,
        &format!("customer:{}", user.id.to_hex()),
        "Cancelled by the customer",
    )
    .await?
    .ok_or_else(|| {
        AppError::Conflict(
            "Only an unpaid order can be cancelled here. Contact us about paid orders.".into(),
        )
    })?;
    crate::payments::service::expire_checkout_session(&state, &cancelled).await;
    Ok(())
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
        let upper = q.to_uppercase();
        let digits = upper.trim_start_matches("OX-").trim_start_matches("OX");
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && digits.len() <= 12 {
            let n: u64 = digits.parse().unwrap_or(0);
            filter.insert("number", format!("OX-{n:06}"));
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
    let state = app_state()?;
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
    let actor = format!("admin:{}", admin.id.to_hex());
    match (order.status, to) {
        (OrderStatus::AwaitingPayment, OrderStatus::Cancelled) => {
            let cancelled =
                service::cancel_unpaid(&state.db, &oid, &actor, "Cancelled by the shop")
                    .await?
                    .ok_or_else(|| {
                        AppError::Conflict(
                            "The order changed meanwhile; reload and try again.".into(),
                        )
                    })?;
            crate::payments::service::expire_checkout_session(&state, &cancelled).await;
        }
        (OrderStatus::Paid, OrderStatus::Cancelled) => {
            crate::payments::service::refund_and_cancel(&state, &order, &actor).await?;
        }
        (from, to) => {
            store::transition(&state.db, &oid, &[from], to, &actor, "", doc! {})
                .await?
                .ok_or_else(|| {
                    AppError::Conflict("The order changed meanwhile; reload and try again.".into())
                })?;
        }
    }
    Ok(())
}
