//! Who is calling: the one check every server function and handler uses.
//!
//! The session says which account signed in; the account itself is read fresh on
//! every request through the [`Directory`] (implemented by `accounts`, provided
//! at start), so a role change or a deleted account takes effect at once. Features
//! that need to know the caller depend on this, not on `accounts`.

use std::sync::Arc;

use async_trait::async_trait;
use mongodb::bson::{oid::ObjectId, DateTime};
use tower_sessions::Session;

use super::error::Result;
use super::session::{SIGNED_IN_AT_KEY, TOUCHED_AT_KEY, USER_ID_KEY};
use crate::shared::{Actor, AppError, Role};

/// The signed-in person, as every feature needs to know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub id: ObjectId,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// How this person appears in a history: as a customer or as the shop.
    pub fn actor(&self) -> Actor {
        match self.role {
            Role::Admin => Actor::Admin(self.id.to_hex()),
            Role::Customer => Actor::Customer(self.id.to_hex()),
        }
    }
}

/// Finds accounts by id (implemented by `accounts`).
#[async_trait]
pub trait Directory: Send + Sync {
    async fn find_caller(&self, id: &ObjectId) -> Result<Option<Caller>>;
}

/// The directory as it travels in the request context.
pub type SharedDirectory = Arc<dyn Directory>;

/// The signed-in person of this request, or `None` for a guest.
pub async fn current_caller() -> Result<Option<Caller>> {
    let session = super::session::current().await?;
    let directory = super::web::context::<SharedDirectory>()?;
    let settings = super::web::context::<super::Core>()?.settings;
    caller_of(&session, directory.as_ref(), settings.session_max_days).await
}

/// Like [`current_caller`], for handlers that hold the session and services themselves.
pub async fn caller_of(
    session: &Session,
    directory: &dyn Directory,
    max_days: i64,
) -> Result<Option<Caller>> {
    let Some(id) = signed_in_id(session, max_days).await? else {
        return Ok(None);
    };
    match directory.find_caller(&id).await? {
        Some(caller) => Ok(Some(caller)),
        None => {
            // The account is gone: end this session.
            session.flush().await?;
            Ok(None)
        }
    }
}

/// The signed-in admin of `session`, for handlers outside server functions:
/// `Unauthorized` when nobody is signed in, `Forbidden` for anyone else.
pub async fn admin_of(
    session: &Session,
    directory: &dyn Directory,
    max_days: i64,
) -> std::result::Result<Caller, AppError> {
    let caller = caller_of(session, directory, max_days)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if !caller.is_admin() {
        return Err(AppError::Forbidden);
    }
    Ok(caller)
}

/// The account id this session is signed in as, if the sign-in is still valid:
/// however active, a sign-in ends after `max_days` (then sign in again).
pub async fn signed_in_id(session: &Session, max_days: i64) -> Result<Option<ObjectId>> {
    let Some(id) = session.get::<String>(USER_ID_KEY).await? else {
        return Ok(None);
    };
    let Ok(oid) = ObjectId::parse_str(&id) else {
        session.flush().await?;
        return Ok(None);
    };
    let now = unix_now();
    match session.get::<i64>(SIGNED_IN_AT_KEY).await? {
        Some(at) if now - at > max_days * 86_400 => {
            session.flush().await?;
            return Ok(None);
        }
        Some(_) => {}
        // Sessions from before this was recorded count from now.
        None => session.insert(SIGNED_IN_AT_KEY, now).await?,
    }
    touch(session).await?;
    Ok(Some(oid))
}

fn unix_now() -> i64 {
    DateTime::now().timestamp_millis() / 1000
}

/// Sessions expire after the idle time, counted from their last save. An active
/// shopper's session is saved again at most once an hour, which slides its expiry
/// without a database write on every request.
async fn touch(session: &Session) -> Result<()> {
    const TOUCH_EVERY_SECS: i64 = 3600;
    let now = unix_now();
    let last: Option<i64> = session.get(TOUCHED_AT_KEY).await?;
    if last.is_none_or(|t| now - t >= TOUCH_EVERY_SECS) {
        session.insert(TOUCHED_AT_KEY, now).await?;
    }
    Ok(())
}

/// Records a sign-in in the session. Call after cycling the session id.
pub async fn mark_signed_in(session: &Session, user_id: &ObjectId) -> Result<()> {
    let now = unix_now();
    session.insert(USER_ID_KEY, user_id.to_hex()).await?;
    session.insert(TOUCHED_AT_KEY, now).await?;
    session.insert(SIGNED_IN_AT_KEY, now).await?;
    Ok(())
}

/// The signed-in person, or `Unauthorized`.
pub async fn require_user() -> Result<Caller> {
    Ok(current_caller().await?.ok_or(AppError::Unauthorized)?)
}

/// The signed-in admin: `Unauthorized` for guests, `Forbidden` for customers.
pub async fn require_admin() -> Result<Caller> {
    let caller = require_user().await?;
    if caller.is_admin() {
        Ok(caller)
    } else {
        Err(AppError::Forbidden.into())
    }
}
