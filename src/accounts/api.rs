//! Account server functions. Each is a public HTTP endpoint under `/api/accounts/`
//! and checks who is calling itself.

use leptos::prelude::*;

use super::types::{SessionSummary, UserView};
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use {
    super::types::{safe_next, DisplayName, Email, Password},
    super::{auth, password, store},
    crate::kernel::auth::Caller,
    crate::kernel::web::{client_ip, redirect},
    crate::kernel::{core as app_state, ratelimit, Core},
    crate::shared::FormErrors,
};

/// What the browser may know about the person calling.
#[cfg(feature = "ssr")]
fn view_of(caller: Caller) -> UserView {
    UserView {
        id: caller.id.to_hex(),
        email: caller.email,
        name: caller.name,
        role: caller.role,
    }
}

/// Who is signed in and how many items are in the cart (for the header).
#[server(endpoint = "accounts/summary")]
pub async fn header_summary() -> Result<SessionSummary, AppError> {
    let caller = crate::kernel::auth::current_caller().await?;
    let cart_items = crate::cart::api::item_count_of_request().await?;
    Ok(SessionSummary {
        user: caller.map(view_of),
        cart_items,
    })
}

/// The signed-in person, or `Unauthorized`.
#[server(endpoint = "accounts/me")]
pub async fn me() -> Result<UserView, AppError> {
    Ok(view_of(crate::kernel::auth::require_user().await?))
}

/// The signed-in admin, or `Unauthorized` / `Forbidden`.
#[server(endpoint = "accounts/admin-gate")]
pub async fn admin_gate() -> Result<UserView, AppError> {
    Ok(view_of(crate::kernel::auth::require_admin().await?))
}

#[server(endpoint = "accounts/register")]
pub async fn register(
    name: String,
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let state = app_state()?;
    let db = &state.db;
    let ip = client_ip(state.settings.trust_proxy).await;
    // Reserved before any work, so simultaneous sign-ups are all counted; given back
    // when no account was created.
    let attempt = ratelimit::reserve(
        db,
        &format!("register:ip:{ip}"),
        ratelimit::REGISTER_PER_ADDRESS,
    )
    .await?;
    let result = register_reserved(&state, &name, &email, &password).await;
    if result.is_err() {
        ratelimit::release(db, &attempt).await?;
    }
    let user = result?;
    auth::sign_in(&state, &user).await?;
    redirect(&safe_next(next.as_deref(), "/account"));
    Ok(())
}

/// Creates an account (name, e-mail, password checked as at sign-up); the caller
/// reserves the rate-limit attempt and signs the person in.
#[cfg(feature = "ssr")]
pub async fn register_reserved(
    state: &Core,
    name: &str,
    email: &str,
    password: &str,
) -> Result<store::User, AppError> {
    let db = &state.db;

    let keep = |e: AppError| e.keeping(&[("name", name), ("email", email)]);
    let mut errors = FormErrors::new();
    let display_name = errors.check("name", DisplayName::parse(name));
    let parsed_email = errors.check("email", Email::parse(email));
    if let Some(pw) = errors.check("password", Password::parse(password)) {
        if let Err(msg) = password::check_strength(&pw, &[email, name]) {
            errors.add("password", msg);
        }
    }
    errors.into_result().map_err(keep)?;
    let (Some(display_name), Some(email_v)) = (display_name, parsed_email) else {
        return Err(crate::kernel::Error::internal("validated fields missing").into());
    };
    let pw = Password::parse(password).map_err(|m| keep(AppError::field("password", m)))?;

    if store::find_by_email(db, &email_v).await?.is_some() {
        return Err(keep(AppError::field(
            "email",
            "An account with this e-mail address already exists. Sign in instead, or reset your password.",
        )));
    }
    let hash = password::hash(&pw).await?;
    let user = store::create_user(
        db,
        &email_v,
        display_name.as_str(),
        hash,
        super::types::Role::Customer,
    )
    .await
    .map_err(|e| keep(e.into()))?;
    tracing::info!(user_id = %user.id, "account registered");
    Ok(user)
}

#[server(endpoint = "accounts/login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let state = app_state()?;
    let db = &state.db;
    let keep = |e: AppError| e.keeping(&[("email", &email)]);

    let mut errors = FormErrors::new();
    let parsed = errors.check("email", Email::parse(&email));
    if password.is_empty() {
        errors.add("password", "Enter your password.");
    }
    errors.into_result().map_err(keep)?;
    let Some(email_v) = parsed else {
        return Err(crate::kernel::Error::internal("validated e-mail missing").into());
    };

    // Both attempts are reserved before the password is checked, so simultaneous
    // guesses are counted one by one; a successful sign-in gives them back.
    let ip = client_ip(state.settings.trust_proxy).await;
    let account_key = format!("login:account:{}", email_v.as_str());
    let account_attempt =
        ratelimit::reserve(db, &account_key, ratelimit::LOGIN_PER_ACCOUNT).await?;
    let ip_attempt =
        match ratelimit::reserve(db, &format!("login:ip:{ip}"), ratelimit::LOGIN_PER_ADDRESS).await
        {
            Ok(a) => a,
            Err(e) => {
                ratelimit::release(db, &account_attempt).await?;
                return Err(e.into());
            }
        };

    let user = store::find_by_email(db, &email_v).await?;
    let ok = password::verify(&password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    let user = match (ok, user) {
        (true, Some(user)) => user,
        _ => {
            tracing::info!("failed sign-in attempt");
            return Err(AppError::InvalidCredentials {
                email: email.trim().to_string(),
            });
        }
    };
    ratelimit::clear(db, &account_key).await?;
    ratelimit::release(db, &ip_attempt).await?;
    auth::sign_in(&state, &user).await?;
    tracing::info!(user_id = %user.id, "signed in");
    redirect(&safe_next(next.as_deref(), "/account"));
    Ok(())
}

#[server(endpoint = "accounts/logout")]
pub async fn logout() -> Result<(), AppError> {
    auth::sign_out().await?;
    redirect("/");
    Ok(())
}

/// Changes name and e-mail; the current password is required.
#[server(endpoint = "accounts/profile")]
pub async fn update_profile(
    name: String,
    email: String,
    current_password: String,
) -> Result<String, AppError> {
    let user = auth::require_account().await?;
    let state = app_state()?;
    let keep = |e: AppError| e.keeping(&[("name", &name), ("email", &email)]);
    let mut errors = FormErrors::new();
    let display_name = errors.check("name", DisplayName::parse(&name));
    let parsed_email = errors.check("email", Email::parse(&email));
    if current_password.is_empty() {
        errors.add(
            "current_password",
            "Enter your current password to save changes.",
        );
    }
    errors.into_result().map_err(keep)?;
    let (Some(display_name), Some(email_v)) = (display_name, parsed_email) else {
        return Err(crate::kernel::Error::internal("validated fields missing").into());
    };
    auth::confirm_password(&state, &user, &current_password)
        .await
        .map_err(|e| keep(e.into()))?;
    store::update_profile(&state.db, &user.id, display_name.as_str(), &email_v)
        .await
        .map_err(|e| keep(e.into()))?;
    Ok("Your details were saved.".to_string())
}

/// Sets a new password; the current one is required. Other devices are signed out.
#[server(endpoint = "accounts/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<String, AppError> {
    let user = auth::require_account().await?;
    let state = app_state()?;
    let mut errors = FormErrors::new();
    if current_password.is_empty() {
        errors.add("current_password", "Enter your current password.");
    }
    if let Some(pw) = errors.check("new_password", Password::parse(&new_password)) {
        if let Err(msg) = password::check_strength(&pw, &[&user.email, &user.name]) {
            errors.add("new_password", msg);
        }
    }
    errors.into_result()?;
    auth::confirm_password(&state, &user, &current_password).await?;
    let pw = Password::parse(&new_password).map_err(|m| AppError::field("new_password", m))?;
    let hash = password::hash(&pw).await?;
    store::set_password_hash(&state.db, &user.id, hash).await?;
    store::invalidate_resets(&state.db, &user.id).await?;
    let session = crate::kernel::session::current().await?;
    session
        .cycle_id()
        .await
        .map_err(crate::kernel::Error::from)?;
    auth::end_other_sessions(&state, &user).await?;
    auth::notify_password_changed(&state, &user).await?;
    Ok("Your password was changed. Other devices were signed out.".to_string())
}

/// How many other browsers and devices are signed in to this account.
#[server(endpoint = "accounts/sessions")]
pub async fn other_sessions() -> Result<u64, AppError> {
    let user = auth::require_account().await?;
    let state = app_state()?;
    Ok(auth::count_other_sessions(&state, &user).await?)
}

/// Signs out every other browser and device; this one stays signed in.
#[server(endpoint = "accounts/sign-out-elsewhere")]
pub async fn sign_out_elsewhere() -> Result<String, AppError> {
    let user = auth::require_account().await?;
    let state = app_state()?;
    let ended = auth::end_sessions_elsewhere(&state, &user).await?;
    Ok(match ended {
        0 => "No other browser or device was signed in.".to_string(),
        1 => "Signed out 1 other browser or device.".to_string(),
        n => format!("Signed out {n} other browsers and devices."),
    })
}

/// Always answers the same way, whether or not the address has an account.
#[server(endpoint = "accounts/forgot-password")]
pub async fn request_password_reset(email: String) -> Result<String, AppError> {
    let state = app_state()?;
    let db = &state.db;
    let email_v = Email::parse(&email)
        .map_err(|m| AppError::field("email", m).keeping(&[("email", &email)]))?;
    let ip = client_ip(state.settings.trust_proxy).await;
    let account_attempt = ratelimit::reserve(
        db,
        &format!("reset:account:{}", email_v.as_str()),
        ratelimit::RESET_PER_ACCOUNT,
    )
    .await?;
    if let Err(e) =
        ratelimit::reserve(db, &format!("reset:ip:{ip}"), ratelimit::RESET_PER_ADDRESS).await
    {
        ratelimit::release(db, &account_attempt).await?;
        return Err(e.into());
    }

    if let Some(user) = store::find_by_email(db, &email_v).await? {
        auth::send_reset_link(&state, &user).await?;
    }
    Ok(format!(
        "If an account exists for {}, we have sent it a link to choose a new password. \
         The link works once, for one hour.",
        email_v.as_str()
    ))
}

#[server(endpoint = "accounts/reset-password")]
pub async fn reset_password(token: String, new_password: String) -> Result<(), AppError> {
    let state = app_state()?;
    auth::reset_password_with_token(&state, &token, &new_password).await?;
    redirect("/login?reset=done");
    Ok(())
}
