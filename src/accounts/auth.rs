//! Who is calling: the one helper every server function uses, plus sign-in,
//! sign-out and password-reset mechanics.

use base64::Engine as _;
use mongodb::bson::{oid::ObjectId, DateTime};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tower_sessions::Session;

use super::password;
use super::store::{self, PasswordReset, User};
use super::types::{Password, Role};
use crate::error::{AppError, FormErrors};
use crate::server::sessions::USER_ID_KEY;
use crate::server::{app_state, ratelimit, AppState};

/// How long a reset link works.
pub const RESET_TOKEN_TTL_MS: i64 = 60 * 60 * 1000;

/// The session of the current request.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!("no session on this request: {e}");
        AppError::Internal
    })
}

/// The signed-in user, read fresh from the database (so a role change or a
/// deleted account takes effect at once), or `None` for a guest.
pub async fn current_user() -> Result<Option<User>, AppError> {
    let session = session().await?;
    let state = app_state()?;
    user_from_session(&state, &session).await
}

/// Like [`current_user`], for plain axum handlers that hold the session themselves.
pub async fn user_from_session(
    state: &AppState,
    session: &Session,
) -> Result<Option<User>, AppError> {
    let Some(id) = session.get::<String>(USER_ID_KEY).await? else {
        return Ok(None);
    };
    let Ok(oid) = ObjectId::parse_str(&id) else {
        session.flush().await?;
        return Ok(None);
    };
    // However active, a sign-in ends after `session_max_days` (then sign in again).
    let now = DateTime::now().timestamp_millis() / 1000;
    match session.get::<i64>(SIGNED_IN_AT_KEY).await? {
        Some(at) if now - at > state.settings.session_max_days * 86_400 => {
            session.flush().await?;
            return Ok(None);
        }
        Some(_) => {}
        // Sessions from before this was recorded count from now.
        None => session.insert(SIGNED_IN_AT_KEY, now).await?,
    }
    let user = store::find_by_id(&state.db, &oid).await?;
    if user.is_none() {
        // The account is gone: end this session.
        session.flush().await?;
        return Ok(None);
    }
    touch(session).await?;
    Ok(user)
}

/// Session key: when this session was signed in (unix seconds).
pub const SIGNED_IN_AT_KEY: &str = "signed_in_at";

/// Sessions expire after the idle time, counted from their last save. An active
/// shopper's session is saved again at most once an hour, which slides its expiry
/// without a database write on every request.
async fn touch(session: &Session) -> Result<(), AppError> {
    const TOUCH_EVERY_SECS: i64 = 3600;
    let now = DateTime::now().timestamp_millis() / 1000;
    let last: Option<i64> = session.get(TOUCHED_AT_KEY).await?;
    if last.is_none_or(|t| now - t >= TOUCH_EVERY_SECS) {
        session.insert(TOUCHED_AT_KEY, now).await?;
    }
    Ok(())
}

const TOUCHED_AT_KEY: &str = "touched_at";

/// The signed-in user, or `Unauthorized`.
pub async fn require_user() -> Result<User, AppError> {
    current_user().await?.ok_or(AppError::Unauthorized)
}

/// The signed-in admin: `Unauthorized` for guests, `Forbidden` for customers.
pub async fn require_admin() -> Result<User, AppError> {
    let user = require_user().await?;
    if user.role == Role::Admin {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Starts a signed-in session: a new session id (against fixation), then the
/// guest cart is merged into the account's cart.
pub async fn sign_in(user: &User) -> Result<(), AppError> {
    let session = session().await?;
    let guest_cart = crate::cart::store::guest_cart_key(&session).await?;
    session.cycle_id().await?;
    session.insert(USER_ID_KEY, user.id.to_hex()).await?;
    let now = DateTime::now().timestamp_millis() / 1000;
    session.insert(TOUCHED_AT_KEY, now).await?;
    session.insert(SIGNED_IN_AT_KEY, now).await?;
    if let Some(key) = guest_cart {
        let state = app_state()?;
        crate::cart::store::merge_guest_into_user(&state.db, &key, &user.id).await?;
        crate::cart::store::forget_guest_cart(&session).await?;
    }
    Ok(())
}

/// Ends the session: deleted from the store, cookie removed.
pub async fn sign_out() -> Result<(), AppError> {
    let session = session().await?;
    session.flush().await?;
    Ok(())
}

/// Checks the current password of a signed-in user (for sensitive changes),
/// under the same per-account limit as sign-in.
pub async fn confirm_password(state: &AppState, user: &User, given: &str) -> Result<(), AppError> {
    let key = format!("login:account:{}", user.email);
    let attempt = ratelimit::reserve(&state.db, &key, ratelimit::LOGIN_PER_ACCOUNT).await?;
    if password::verify(given, Some(user.password_hash.clone())).await? {
        ratelimit::release(&state.db, &attempt).await?;
        Ok(())
    } else {
        Err(AppError::field(
            "current_password",
            "That is not your current password.",
        ))
    }
}

/// Signs out every other device of this user. Call after cycling the current
/// session's id: the current session is saved under its new id when the
/// response is sent, so it survives; every stored session of the user does not.
pub async fn end_other_sessions(state: &AppState, user: &User) -> Result<(), AppError> {
    crate::server::sessions::end_all_for_user(&state.db, &user.id.to_hex(), None).await?;
    Ok(())
}

/// How many other signed-in sessions (browsers, devices) this user has.
pub async fn count_other_sessions(state: &AppState, user: &User) -> Result<u64, AppError> {
    let session = session().await?;
    let current = session.id().map(|id| id.to_string());
    Ok(
        crate::server::sessions::count_for_user(&state.db, &user.id.to_hex(), current.as_deref())
            .await?,
    )
}

/// Signs this user out of every other browser and device; this one stays signed in.
pub async fn end_sessions_elsewhere(state: &AppState, user: &User) -> Result<u64, AppError> {
    let session = session().await?;
    let Some(current) = session.id().map(|id| id.to_string()) else {
        return Ok(0);
    };
    Ok(
        crate::server::sessions::end_all_for_user(&state.db, &user.id.to_hex(), Some(&current))
            .await?,
    )
}

pub async fn notify_password_changed(state: &AppState, user: &User) -> Result<(), AppError> {
    let draft = crate::mail::templates::password_changed(
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
pub async fn send_reset_link(state: &AppState, user: &User) -> Result<(), AppError> {
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
    let draft = crate::mail::templates::password_reset(
        &state.settings.shop_name,
        &user.email,
        &user.name,
        &link,
    );
    state.mailer.queue(draft, None).await?;
    Ok(())
}

const BAD_TOKEN: &str =
    "This reset link is not valid: it may have been used already or be more than an hour old. Ask for a new one.";

/// Checks the new password first (a weak one must not burn the token), then consumes
/// the token atomically, sets the password, ends every session of the user and
/// tells them by mail.
pub async fn reset_password_with_token(
    state: &AppState,
    token: &str,
    new_password: &str,
) -> Result<(), AppError> {
    let token = token.trim();
    if token.is_empty() || token.len() > 128 {
        return Err(AppError::BadRequest(BAD_TOKEN.into()));
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
    crate::server::sessions::end_all_for_user(&state.db, &consumed.user_id.to_hex(), None).await?;
    // The browser that reset the password is signed out too.
    if let Ok(session) = session().await {
        session.flush().await?;
    }
    notify_password_changed(state, &user).await?;
    tracing::info!(user_id = %user.id, "password reset");
    Ok(())
}
