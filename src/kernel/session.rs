//! Sessions stored in MongoDB, so every app instance behind a load balancer
//! sees the same sessions. Expired sessions are removed by a TTL index.
//!
//! Every key the shop keeps in a session is named here (the web layer owns them):
//! who is signed in and since when, and which guest cart belongs to the browser.

use async_trait::async_trait;
use mongodb::bson::{self, doc, DateTime as BsonDateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, SessionManagerLayer};

use rand::RngCore;
use tower_sessions::Session;

use super::config::Settings;
use super::error::{Error, Result};

pub const COLLECTION: &str = "sessions";
/// The cookie that carries the session id over plain http (local runs).
pub const COOKIE_NAME: &str = "oxcart_session";
/// Its name over https: the `__Host-` prefix makes browsers accept it only when it
/// is Secure, has `Path=/` and no `Domain`, so a sibling subdomain cannot plant one.
pub const SECURE_COOKIE_NAME: &str = "__Host-oxcart_session";
/// Session key holding the signed-in user's id (hex ObjectId).
pub const USER_ID_KEY: &str = "user_id";
/// Session key: when this session was signed in (unix seconds).
pub const SIGNED_IN_AT_KEY: &str = "signed_in_at";
/// Session key: when the session was last saved to slide its expiry (unix seconds).
pub const TOUCHED_AT_KEY: &str = "touched_at";
/// Session key of a guest's cart.
pub const GUEST_CART_KEY: &str = "guest_cart";

#[derive(Debug, Serialize, Deserialize)]
struct SessionDoc {
    #[serde(rename = "_id")]
    id: String,
    data: Document,
    expires_at: BsonDateTime,
    /// Copied out of `data` so all sessions of one user can be ended at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MongoSessionStore {
    sessions: Collection<SessionDoc>,
}

impl MongoSessionStore {
    pub fn new(db: &Database) -> Self {
        MongoSessionStore {
            sessions: db.collection(COLLECTION),
        }
    }

    fn to_doc(record: &Record) -> session_store::Result<SessionDoc> {
        let data = bson::to_document(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let user_id = record
            .data
            .get(USER_ID_KEY)
            .and_then(|v| v.as_str())
            .map(str::to_string);
        Ok(SessionDoc {
            id: record.id.to_string(),
            data,
            expires_at: to_bson_time(record.expiry_date),
            user_id,
        })
    }
}

fn to_bson_time(t: OffsetDateTime) -> BsonDateTime {
    BsonDateTime::from_millis((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn backend(e: mongodb::error::Error) -> session_store::Error {
    session_store::Error::Backend(super::db::short_reason(&e))
}

#[async_trait]
impl SessionStore for MongoSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh random id; on the (astronomically unlikely) collision, draw again.
        loop {
            let doc = Self::to_doc(record)?;
            match self.sessions.insert_one(&doc).await {
                Ok(_) => return Ok(()),
                Err(e) if super::db::is_duplicate_key(&e) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let doc = Self::to_doc(record)?;
        self.sessions
            .replace_one(doc! { "_id": &doc.id }, &doc)
            .upsert(true)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let found = self
            .sessions
            .find_one(doc! {
                "_id": id.to_string(),
                "expires_at": { "$gt": BsonDateTime::now() },
            })
            .await
            .map_err(backend)?;
        let Some(doc) = found else { return Ok(None) };
        let data = bson::from_document(doc.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp_nanos(
            doc.expires_at.timestamp_millis() as i128 * 1_000_000,
        )
        .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.sessions
            .delete_one(doc! { "_id": id.to_string() })
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// Ends every session of a user (after a password reset or change).
pub async fn end_all_for_user(
    db: &Database,
    user_id: &str,
    except_session: Option<&str>,
) -> Result<u64> {
    let mut filter = doc! { "user_id": user_id };
    if let Some(keep) = except_session {
        filter.insert("_id", doc! { "$ne": keep });
    }
    let res = db
        .collection::<Document>(COLLECTION)
        .delete_many(filter)
        .await?;
    Ok(res.deleted_count)
}

/// Live sessions of a user, not counting `except_session`.
pub async fn count_for_user(
    db: &Database,
    user_id: &str,
    except_session: Option<&str>,
) -> Result<u64> {
    let mut filter = doc! { "user_id": user_id, "expires_at": { "$gt": BsonDateTime::now() } };
    if let Some(skip) = except_session {
        filter.insert("_id", doc! { "$ne": skip });
    }
    Ok(db
        .collection::<Document>(COLLECTION)
        .count_documents(filter)
        .await?)
}

pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
    let sessions = db.collection::<Document>(COLLECTION);
    sessions
        .create_index(
            IndexModel::builder()
                .keys(doc! { "expires_at": 1 })
                .options(
                    IndexOptions::builder()
                        .name("expires_at_ttl".to_string())
                        .expire_after(std::time::Duration::from_secs(0))
                        .build(),
                )
                .build(),
        )
        .await?;
    sessions
        .create_index(
            IndexModel::builder()
                .keys(doc! { "user_id": 1 })
                .options(
                    IndexOptions::builder()
                        .name("user_id".to_string())
                        .sparse(true)
                        .build(),
                )
                .build(),
        )
        .await?;
    Ok(())
}

/// The session layer: HttpOnly, SameSite=Lax, Secure when served over https,
/// expiring after the configured idle time.
pub fn layer(db: &Database, settings: &Settings) -> SessionManagerLayer<MongoSessionStore> {
    SessionManagerLayer::new(MongoSessionStore::new(db))
        .with_name(if settings.secure_cookies {
            SECURE_COOKIE_NAME
        } else {
            COOKIE_NAME
        })
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
            settings.session_idle_minutes,
        )))
}

/// The session of the current request (server functions and pages).
pub async fn current() -> Result<Session> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| Error::internal(format!("no session on this request: {e}")))
}

/// The guest cart key of this browser, if it has one.
pub async fn guest_cart_key(session: &Session) -> Result<Option<String>> {
    Ok(session.get::<String>(GUEST_CART_KEY).await?)
}

/// The guest's cart key, created on first use (only then does a guest get a session).
pub async fn ensure_guest_cart_key(session: &Session) -> Result<String> {
    if let Some(k) = guest_cart_key(session).await? {
        return Ok(k);
    }
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let key = hex::encode(bytes);
    session.insert(GUEST_CART_KEY, &key).await?;
    Ok(key)
}

/// Forgets the guest cart (after it was merged into an account's cart).
pub async fn forget_guest_cart(session: &Session) -> Result<()> {
    session.remove::<String>(GUEST_CART_KEY).await?;
    Ok(())
}
