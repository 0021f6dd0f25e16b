//! Signing in and out, confirming the current password, ending sessions and the
//! password-reset mechanics. "Who is calling" itself is `kernel::auth`; this module
//! adds what needs the full account.

use base64::Engine as _;
use mongodb::bson::DateTime;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::password;
use super::store::{self, PasswordReset, User};
use super::types::Password;
use crate::kernel::{self, ratelimit, session, Core, Result};
use crate::shared::{AppError, FormErrors};

/// How long a reset link works.
pub const RESET_TOKEN_TTL_MS: i64 = 60 * 60 * 1000;

/// The signed-in account with everything stored about it, or `Unauthorized`.
pub async fn require_account() -> Result<User> {
    let caller = kernel::auth::require_user().await?;
    let core = kernel::core()?;
    Ok(store::find_by_id(&core.db, &caller.id)
        .await?
        .ok_or(AppError::Unauthorized)?)
}

/// Starts a signed-in session: a new session id (against fixation), then the
/// guest cart is merged into the account's cart.
pub async fn sign_in(core: &Core, user: &User) -> Result<()> {
    let session = session::current().await?;
    let guest_cart = session::guest_cart_key(&session).await?;
    session.cycle_id().await?;
    kernel::auth::mark_signed_in(&session, &user.id).await?;
    if let Some(key) = guest_cart {
        crate::cart::store::merge_guest_into_user(&core.db, &key, &user.id).await?;
        session::forget_guest_cart(&session).await?;
    }
    Ok(())
}

/// Ends the session: deleted from the store, cookie removed.
pub async fn sign_out() -> Result<()> {
    let session = session::current().await?;
    session.flush().await?;
    Ok(())
}

/// Checks the current password of a signed-in user (for sensitive changes),
/// under the same per-account limit as sign-in.
pub async fn confirm_password(state: &Core, user: &User, given: &str) -> Result<()> {
    let key = format!("login:account:{}", user.email);
    let attempt = ratelimit::reserve(&state.db, &key, ratelimit::LOGIN_PER_ACCOUNT).await?;
    if password::verify(given, Some(user.password_hash.clone())).await? {
        ratelimit::release(&state.db, &attempt).await?;
        Ok(())
    } else {
        Err(AppError::field("current_password", "That is not your current password.").into())
    }
}

/// Signs out every other device of this user. Call after cycling the current
/// session's id: the current session is saved under its new id when the
/// response is sent, so it survives; every stored session of the user does not.
pub async fn end_other_sessions(state: &Core, user: &User) -> Result<()> {
    session::end_all_for_user(&state.db, &user.id.to_hex(), None).await?;
    Ok(())
}

/// How many other signed-in sessions (browsers, devices) this user has.
pub async fn count_other_sessions(state: &Core, user: &User) -> Result<u64> {
    let current = session::current().await?.id().map(|id| id.to_string());
    session::count_for_user(&state.db, &user.id.to_hex(), current.as_deref()).await
}

/// Signs this user out of every other browser and device; this one stays signed in.
pub async fn end_sessions_elsewhere(state: &Core, user: &User) -> Result<u64> {
    let Some(current) = session::current().await?.id().map(|id| id.to_string()) else {
        return Ok(0);
    };
    session::end_all_for_user(&state.db, &user.id.to_hex(), Some(&current)).await
}

pub async fn notify_password_changed(state: &Core, user: &User) -> Result<()> {
    let draft = super::mail::password_changed(
        &state.settings.shop_name,
        &user.email,
        &user.name,
        &format!("{}/forgot-password", state.settings.base_url()),
    );
    state.mailer.queue(draft, None).await?;
    Ok(())
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a single-use token (256 random bits, stored only as a hash) and mails the link.
pub async fn send_reset_link(state: &Core, user: &User) -> Result<()> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let now = DateTime::now();
    store::insert_reset(
        &state.db,
        &PasswordReset {
            token_hash: hash_token(&token),
            user_id: user.id,
            expires_at: DateTime::from_millis(now.timestamp_millis() + RESET_TOKEN_TTL_MS),
            used_at: None,
            created_at: now,
        },
    )
    .await?;
    let link = format!("{}/reset-password?token={token}", state.settings.base_url());
    let draft =
        super::mail::password_reset(&state.settings.shop_name, &user.email, &user.name, &link);
    state.mailer.queue(draft, None).await?;
    Ok(())
}

const BAD_TOKEN: &str =
    "This reset link is not valid: it may have been used already or be more than an hour old. Ask for a new one.";

/// Checks the new password first (a weak one must not burn the token), then consumes
/// the token atomically, sets the password, ends every session of the user and
/// tells them by mail.
pub async fn reset_password_with_token(
    state: &Core,
    token: &str,
    new_password: &str,
) -> Result<()> {
    let token = token.trim();
    if token.is_empty() || token.len() > 128 {
        return Err(AppError::BadRequest(BAD_TOKEN.into()).into());
    }
    let hash = hash_token(token);
    let pending = store::find_unused_reset(&state.db, &hash)
        .await?
        .ok_or_else(|| AppError::BadRequest(BAD_TOKEN.into()))?;
    let user = store::find_by_id(&state.db, &pending.user_id)
        .await?
        .ok_or_else(|| AppError::BadRequest(BAD_TOKEN.into()))?;

    let mut errors = FormErrors::new();
    if let Some(pw) = errors.check("new_password", Password::parse(new_password)) {
        if let Err(msg) = password::check_strength(&pw, &[&user.email, &user.name]) {
            errors.add("new_password", msg);
        }
    }
    errors.into_result()?;
    let pw = Password::parse(new_password).map_err(|m| AppError::field("new_password", m))?;
    let new_hash = password::hash(&pw).await?;

    // Only one request can consume the token.
    let consumed = store::consume_reset(&state.db, &hash)
        .await?
        .ok_or_else(|| AppError::BadRequest(BAD_TOKEN.into()))?;
    store::set_password_hash(&state.db, &consumed.user_id, new_hash).await?;
    store::invalidate_resets(&state.db, &consumed.user_id).await?;
    session::end_all_for_user(&state.db, &consumed.user_id.to_hex(), None).await?;
    // The browser that reset the password is signed out too.
    if let Ok(session) = session::current().await {
        session.flush().await?;
    }
    notify_password_changed(state, &user).await?;
    tracing::info!(user_id = %user.id, "password reset");
    Ok(())
}
