//! A guest's order after checkout: its page behind the signed link from the
//! confirmation mail, and "create an account with one click", which moves the order
//! into the new account. Here because it joins accounts and orders, which know
//! nothing of each other.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::orders::pages::OrderPage;
use crate::shared::AppError;
use crate::ui::forms::{FormAlert, TextField};

#[cfg(feature = "ssr")]
use {
    crate::kernel::db::parse_id,
    crate::kernel::web::{client_ip, redirect},
    crate::kernel::{auth, core as app_state, links, ratelimit},
    crate::orders::{payment::GUEST_ORDER, store as orders},
};

/// Creates an account for the e-mail address of the guest order `order_id` (the
/// signed `token` of its link proves the mailbox) and moves the order into it; or,
/// for a shopper already signed in with that address, just moves the order.
#[server(endpoint = "accounts/from-guest-order")]
pub async fn account_from_order(
    order_id: String,
    token: String,
    password: Option<String>,
) -> Result<(), AppError> {
    let state = app_state()?;
    let db = &state.db;
    let oid = parse_id(&order_id)?;
    let key = links::key(&state).await?;
    if !links::verify(&key, GUEST_ORDER, &oid.to_hex(), &token) {
        return Err(AppError::NotFound);
    }
    let order = orders::find(db, &oid).await?.ok_or(AppError::NotFound)?;
    if order.user_id.is_some() {
        return Err(AppError::Conflict(
            "This order is in an account already. Sign in to see it.".into(),
        ));
    }
    let page = format!("/account/orders/{}", oid.to_hex());
    if let Some(user) = auth::current_caller().await? {
        if !user.email.eq_ignore_ascii_case(&order.email) {
            return Err(AppError::Conflict(format!(
                "You are signed in as {}, but this order was placed with {}. Sign out and create or open the account for {} instead.",
                user.email, order.email, order.email
            )));
        }
        orders::move_to_account(db, &oid, &user.id).await?;
        redirect(&page);
        return Ok(());
    }
    let email = crate::shared::Email::parse(&order.email).map_err(AppError::BadRequest)?;
    if crate::accounts::store::find_by_email(db, &email)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(format!(
            "There is an account for {} already. Sign in, then open this order's link again to add it to your account.",
            order.email
        )));
    }
    let ip = client_ip(state.settings.trust_proxy).await;
    let attempt = ratelimit::reserve(
        db,
        &format!("register:ip:{ip}"),
        ratelimit::REGISTER_PER_ADDRESS,
    )
    .await?;
    let created = crate::accounts::api::register_reserved(
        &state,
        &order.customer_name,
        &order.email,
        password.as_deref().unwrap_or(""),
    )
    .await;
    let user = match created {
        Ok(u) => u,
        Err(e) => {
            ratelimit::release(db, &attempt).await?;
            return Err(e);
        }
    };
    orders::move_to_account(db, &oid, &user.id).await?;
    crate::accounts::auth::sign_in(&state, &user).await?;
    redirect(&page);
    Ok(())
}

/// `/order/:id?token=…`: the order page for a guest, with the account offer.
#[component]
pub fn GuestOrderPage() -> impl IntoView {
    view! {
        <OrderPage />
        <GuestAccountOffer />
    }
}

#[component]
fn GuestAccountOffer() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = params.with_untracked(|p| p.get("id").unwrap_or_default());
    let token = query.with_untracked(|q| q.get("token").unwrap_or_default());
    let action = ServerAction::<AccountFromOrder>::new();
    let err = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let field = move |name: &'static str| {
        Signal::derive(move || err.get().and_then(|e| e.field_message(name)))
    };
    (!token.is_empty()).then(|| {
        view! {
            <section class="summary-box account-offer" aria-labelledby="offer-title">
                <h2 id="offer-title">"Keep this order in an account"</h2>
                <p>"Choose a password and we make an account with this order's e-mail address and name: this order moves into it, and next time your address is filled in."</p>
                <ActionForm action=action attr:class="stacked" attr:novalidate=true>
                    <FormAlert error=err />
                    <input type="hidden" name="order_id" value=id />
                    <input type="hidden" name="token" value=token />
                    <TextField name="password" id_prefix="offer-" kind="password" label="Password" autocomplete="new-password"
                        hint="At least 8 characters; a few unusual words work well." error=field("password") />
                    <button type="submit" disabled=move || action.pending().get()>"Create my account"</button>
                </ActionForm>
                <p class="muted">"Already have an account with this address? Sign in, then open this page again and press the button: the order moves to it."</p>
            </section>
        }
    })
}
