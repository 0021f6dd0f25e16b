//! Checkout and order server functions. Shoppers see only their own orders
//! (anyone else's is "not found", so ids cannot be probed); admins see all.

use leptos::prelude::*;

use super::types::{AddressForm, CheckoutData, OrderPage, OrderView, SavedAddress};
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use {
    super::payment::{self, Payments},
    super::service,
    super::store,
    super::types::OrderStatus,
    crate::kernel::auth,
    crate::kernel::db::parse_id,
    crate::kernel::ratelimit,
    crate::kernel::web::{client_ip, context, redirect},
    crate::kernel::{core as app_state, Core},
    crate::shared::{Actor, OrderNumber},
    crate::shared::{Email, FormErrors},
    mongodb::bson::{doc, Document},
};

/// The core services and the payment gateway of this request.
#[cfg(feature = "ssr")]
fn services() -> crate::kernel::Result<(Core, Payments)> {
    Ok((app_state()?, context::<Payments>()?))
}

#[cfg(feature = "ssr")]
const PER_PAGE: u32 = 20;

/// The cart to check out, priced on the server, plus the last address used: the
/// account's, or the guest browser's cart.
#[server(endpoint = "checkout/data")]
pub async fn checkout_details(address_id: Option<String>) -> Result<CheckoutData, AppError> {
    let state = app_state()?;
    let Some(user) = auth::current_caller().await? else {
        let owner = crate::cart::api::owner_of_request(false).await?;
        let cart = match &owner {
            Some(o) => crate::cart::store::find(&state.db, o).await?,
            None => None,
        };
        let view = crate::cart::store::view(&state.db, cart.as_ref(), state.currency()).await?;
        return Ok(CheckoutData {
            cart: view,
            address: None,
            email: String::new(),
            name: String::new(),
            signed_in: false,
            saved: Vec::new(),
        });
    };
    let owner = crate::cart::store::Owner::User(user.id);
    let cart = crate::cart::store::find(&state.db, &owner).await?;
    let view = crate::cart::store::view(&state.db, cart.as_ref(), state.currency()).await?;
    // The address chosen from the book, else the default one, else the last used.
    let saved = super::book::list(&state.db, &user.id).await?;
    let chosen = address_id
        .as_deref()
        .and_then(|id| saved.iter().find(|s| s.id == id))
        .or_else(|| saved.iter().find(|s| s.default))
        .map(|s| s.address.clone());
    let address = match chosen {
        Some(a) => Some(a),
        None => store::last_for_user(&state.db, &user.id)
            .await?
            .map(|o| o.address),
    };
    Ok(CheckoutData {
        cart: view,
        address,
        email: user.email,
        name: user.name,
        signed_in: true,
        saved,
    })
}

/// Places the order and sends the shopper on to pay it (the order page when the
/// payment provider cannot be reached). Totals are computed here from the database.
/// Guests give an e-mail address; their order page is a signed link.
#[server(endpoint = "checkout/place-order")]
pub async fn place_order(
    address: AddressForm,
    email: Option<String>,
    shipping: Option<String>,
    discount_code: Option<String>,
    save_address: Option<String>,
    checkout_key: String,
) -> Result<String, AppError> {
    let state = app_state()?;
    let caller = auth::current_caller().await?;
    let choice = service::CheckoutChoice {
        shipping_id: shipping.unwrap_or_default(),
        discount_code: discount_code.unwrap_or_default(),
    };
    let email_in = email.unwrap_or_default();
    // A refused form comes back with everything typed, the choices included.
    let keep = |e: AppError| {
        let mut kept = address.kept();
        kept.push(("shipping", choice.shipping_id.clone()));
        kept.push(("discount_code", choice.discount_code.clone()));
        kept.push(("email", email_in.clone()));
        let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
        e.keeping(&refs)
    };
    let guest_email = match &caller {
        Some(_) => None,
        None => match Email::parse(&email_in) {
            Ok(e) => Some(e),
            Err(m) => {
                // Report the address's problems too, in one go.
                let mut errors = match address.validate() {
                    Err(AppError::Invalid(f)) => f,
                    _ => FormErrors::new(),
                };
                errors.add("email", m);
                return Err(keep(AppError::Invalid(errors)));
            }
        },
    };
    let address = address.validate().map_err(keep)?;
    if checkout_key.trim().is_empty() || checkout_key.len() > 100 {
        return Err(AppError::BadRequest(
            "The checkout form is incomplete. Reload the page and try again.".into(),
        ));
    }
    let buyer = match (&caller, guest_email) {
        (Some(user), _) => service::Buyer::account(user),
        (None, Some(email)) => {
            // Guest orders per address are limited like sign-ups.
            let ip = client_ip(state.settings.trust_proxy).await;
            ratelimit::reserve(
                &state.db,
                &format!("guest-order:ip:{ip}"),
                ratelimit::GUEST_ORDER_PER_ADDRESS,
            )
            .await?;
            let owner = crate::cart::api::owner_of_request(false)
                .await?
                .ok_or_else(|| AppError::Conflict("Your cart is empty.".into()))?;
            service::Buyer {
                user_id: None,
                email: email.as_str().to_string(),
                name: address.name.clone(),
                owner,
            }
        }
        (None, None) => return Err(crate::kernel::Error::internal("guest e-mail missing").into()),
    };
    let to_save = (save_address.is_some() && caller.is_some()).then(|| address.clone());
    let order = match service::place_order(&state, &buyer, address, &choice, &checkout_key).await {
        Ok(o) => o,
        Err(crate::kernel::Error::App(e @ AppError::Invalid(_))) => return Err(keep(e)),
        Err(e) => return Err(e.into()),
    };
    if let (Some(a), Some(user)) = (to_save, &caller) {
        // The order stands either way; a full book is said on the address page.
        if let Err(e) = super::book::add(&state.db, &user.id, &a, false).await {
            tracing::info!("the address was not saved: {e}");
        }
    }
    let id = order.id.to_hex();
    // One step to pay: straight on to the payment page. Should the provider not
    // answer, the order stands and its page offers "Pay now" to try again.
    let own_page = || async {
        let token = payment::guest_query(&state, &order).await?;
        Ok::<String, crate::kernel::Error>(if token.is_empty() {
            format!("/account/orders/{id}?placed=1")
        } else {
            format!("/order/{id}?{token}&placed=1")
        })
    };
    let to = match context::<Payments>() {
        Ok(payments) => match payment::checkout_url(&state, &payments, &order).await {
            Ok(url) => url,
            Err(e) => {
                tracing::warn!(order = %order.number, error = %e, "the payment page could not be opened after placing");
                own_page().await?
            }
        },
        Err(_) => own_page().await?,
    };
    redirect(&to);
    Ok(id)
}

/// The signed-in shopper's address book.
#[server(endpoint = "addresses/list")]
pub async fn my_addresses() -> Result<Vec<SavedAddress>, AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    Ok(super::book::list(&state.db, &user.id).await?)
}

/// Saves an address into the book (`make_default` "on" to make it the default).
#[server(endpoint = "addresses/add")]
pub async fn add_address(
    address: AddressForm,
    make_default: Option<String>,
) -> Result<(), AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    let a = address.validate()?;
    super::book::add(&state.db, &user.id, &a, make_default.is_some()).await?;
    Ok(())
}

/// `action` "default" makes the address the default; "delete" deletes it.
#[server(endpoint = "addresses/change")]
pub async fn change_address(id: String, action: String) -> Result<(), AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let done = match action.as_str() {
        "default" => super::book::set_default(&state.db, &user.id, &oid).await?,
        "delete" => super::book::delete(&state.db, &user.id, &oid).await?,
        _ => return Err(AppError::BadRequest("Unknown change.".into())),
    };
    if !done {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The order `order_id` if the caller may see it: its account (or an admin), or
/// anyone with its signed link (`token`). Anyone else gets "not found", so ids
/// cannot be probed. Also says whether the shop is looking at a customer's order.
#[cfg(feature = "ssr")]
async fn viewable(
    state: &Core,
    order_id: &str,
    token: Option<&str>,
) -> Result<(store::Order, bool), AppError> {
    let oid = parse_id(order_id)?;
    if let Some(t) = token.map(str::trim).filter(|t| !t.is_empty()) {
        let key = crate::kernel::links::key(state).await?;
        if !crate::kernel::links::verify(&key, payment::GUEST_ORDER, &oid.to_hex(), t) {
            return Err(AppError::NotFound);
        }
        let order = store::find(&state.db, &oid)
            .await?
            .ok_or(AppError::NotFound)?;
        return Ok((order, false));
    }
    let user = auth::require_user().await?;
    let order = store::find(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    if order.belongs_to(&user.id) {
        Ok((order, false))
    } else if user.is_admin() {
        Ok((order, true))
    } else {
        Err(AppError::NotFound)
    }
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
        guest_orders: store::guest_order_count(&state.db, &user.email).await?,
    })
}

/// The purpose of the signed link that moves guest orders into an account.
#[cfg(feature = "ssr")]
const CLAIM_ORDERS: &str = "claim-guest-orders";

/// Mails the signed-in shopper a link that moves the orders they placed as a guest
/// with the same e-mail address into their account. The mail proves the address
/// is theirs: an account alone does not (nobody checked its address at sign-up).
#[server(endpoint = "orders/claim-request")]
pub async fn request_guest_orders() -> Result<(), AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    let ip = client_ip(state.settings.trust_proxy).await;
    ratelimit::reserve(
        &state.db,
        &format!("claim:ip:{ip}"),
        ratelimit::RESET_PER_ADDRESS,
    )
    .await?;
    let n = store::guest_order_count(&state.db, &user.email).await?;
    if n == 0 {
        return Err(AppError::Conflict("There are no orders to add.".into()));
    }
    let key = crate::kernel::links::key(&state).await?;
    let token = crate::kernel::links::sign(
        &key,
        CLAIM_ORDERS,
        &format!("{}:{}", user.id.to_hex(), user.email),
    );
    let link = format!("{}/account/orders?claim={token}", state.settings.base_url());
    let shop = &state.settings.shop_name;
    let subject = format!("Add your earlier {shop} orders to your account");
    let text = format!(
        "Hello {},\n\nYou placed {n} order{} with {shop} as a guest with this e-mail address. \
         To see {} in your account, open this link while signed in and press the button:\n\n{link}\n\n\
         If you did not ask for this, ignore this mail.\n\n— {shop}\n",
        user.name,
        if n == 1 { "" } else { "s" },
        if n == 1 { "it" } else { "them" },
    );
    let esc = crate::shared::text::escape_html;
    let html = crate::kernel::mail::html_page(
        &subject,
        &format!(
            "<p>Hello {},</p><p>You placed orders with {} as a guest with this e-mail address. \
             To see them in your account, open this link while signed in and press the button:</p>\
             <p><a href=\"{}\">Add my orders</a></p><p>If you did not ask for this, ignore this mail.</p>",
            esc(&user.name),
            esc(shop),
            esc(&link)
        ),
    );
    state
        .mailer
        .queue(
            crate::kernel::mail::Draft {
                to: user.email.clone(),
                subject,
                text,
                html,
            },
            None,
        )
        .await?;
    Ok(())
}

/// Moves the guest orders of the signed-in shopper's e-mail address into the
/// account, with the token of the mailed link. Returns how many moved.
#[server(endpoint = "orders/claim")]
pub async fn claim_guest_orders(token: String) -> Result<u64, AppError> {
    let user = auth::require_user().await?;
    let state = app_state()?;
    let key = crate::kernel::links::key(&state).await?;
    let value = format!("{}:{}", user.id.to_hex(), user.email);
    if !crate::kernel::links::verify(&key, CLAIM_ORDERS, &value, &token) {
        return Err(AppError::BadRequest(
            "This link is not valid for the account you are signed in to. Ask for a new one on your orders page.".into(),
        ));
    }
    Ok(store::claim_guest_orders(&state.db, &user.email, &user.id).await?)
}

/// One order: its owner or an admin, or anyone with its signed link; anyone else
/// gets "not found".
#[server(endpoint = "orders/get")]
pub async fn order_detail(id: String, token: Option<String>) -> Result<OrderView, AppError> {
    let state = app_state()?;
    let (order, by_admin) = viewable(&state, &id, token.as_deref()).await?;
    Ok(order.view(by_admin))
}

/// A shopper may cancel their own order while it is unpaid (a guest through the
/// signed link).
#[server(endpoint = "orders/cancel")]
pub async fn cancel_my_order(id: String, token: Option<String>) -> Result<(), AppError> {
    let (state, payments) = services()?;
    let (order, by_admin) = viewable(&state, &id, token.as_deref()).await?;
    if by_admin {
        return Err(AppError::NotFound);
    }
    let actor = match order.user_id {
        Some(u) => Actor::Customer(u.to_hex()),
        None => Actor::Customer("guest".into()),
    };
    service::end_unpaid(
        &state,
        &payments,
        &order.id,
        &actor,
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
pub async fn pay_order(order_id: String, token: Option<String>) -> Result<String, AppError> {
    let (state, payments) = services()?;
    let (order, by_admin) = viewable(&state, &order_id, token.as_deref()).await?;
    if by_admin {
        return Err(AppError::NotFound);
    }
    let oid = order.id;
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
pub async fn order_payment_status(
    order_id: String,
    token: Option<String>,
) -> Result<OrderView, AppError> {
    let (state, payments) = services()?;
    let (order, by_admin) = viewable(&state, &order_id, token.as_deref()).await?;
    let oid = order.id;
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

/// One order as the shop sees it (the customer is "the customer", whoever placed
/// it). Admins only.
#[server(endpoint = "admin/orders/get")]
pub async fn admin_order_detail(id: String) -> Result<OrderView, AppError> {
    auth::require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let order = store::find(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(order.view(true))
}

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
        guest_orders: 0,
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
