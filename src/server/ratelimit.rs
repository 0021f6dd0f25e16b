//! Sliding-window attempt counters in MongoDB, so limits hold across every app instance.
//! Each attempt is one small document that a TTL index removes after its window.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::extract::ConnectInfo;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::{Database, IndexModel};

use crate::error::AppError;

pub const COLLECTION: &str = "rate_limit_attempts";

/// A limit: at most `max` attempts per `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u64,
    pub window: Duration,
}

pub const LOGIN_PER_ACCOUNT: Limit = Limit {
    max: 5,
    window: Duration::from_secs(15 * 60),
};
pub const LOGIN_PER_ADDRESS: Limit = Limit {
    max: 20,
    window: Duration::from_secs(15 * 60),
};
pub const RESET_PER_ACCOUNT: Limit = Limit {
    max: 5,
    window: Duration::from_secs(15 * 60),
};
pub const RESET_PER_ADDRESS: Limit = Limit {
    max: 20,
    window: Duration::from_secs(15 * 60),
};
pub const REGISTER_PER_ADDRESS: Limit = Limit {
    max: 20,
    window: Duration::from_secs(60 * 60),
};

pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let coll = db.collection::<Document>(COLLECTION);
    coll.create_index(
        IndexModel::builder()
            .keys(doc! { "key": 1, "at": 1 })
            .options(IndexOptions::builder().name("key_at".to_string()).build())
            .build(),
    )
    .await?;
    coll.create_index(
        IndexModel::builder()
            .keys(doc! { "expires_at": 1 })
            .options(
                IndexOptions::builder()
                    .name("expires_at_ttl".to_string())
                    .expire_after(Duration::from_secs(0))
                    .build(),
            )
            .build(),
    )
    .await?;
    Ok(())
}

/// Fails with `RateLimited` (saying when to try again) if `key` already used its limit.
pub async fn check(db: &Database, key: &str, limit: Limit) -> Result<(), AppError> {
    let coll = db.collection::<Document>(COLLECTION);
    let now = DateTime::now().timestamp_millis();
    let since = DateTime::from_millis(now - limit.window.as_millis() as i64);
    let filter = doc! { "key": key, "at": { "$gt": since } };
    let count = coll.count_documents(filter.clone()).await?;
    if count < limit.max {
        return Ok(());
    }
    // The window frees up when the oldest attempt inside it ages out.
    let oldest = coll
        .find_one(filter)
        .sort(doc! { "at": 1 })
        .await?
        .and_then(|d| d.get_datetime("at").ok().copied());
    let retry_after_ms = oldest
        .map(|t| t.timestamp_millis() + limit.window.as_millis() as i64 - now)
        .unwrap_or(limit.window.as_millis() as i64);
    Err(AppError::RateLimited {
        retry_after_secs: (retry_after_ms.max(1000) as u64).div_ceil(1000),
    })
}

/// Counts one attempt against `key`.
pub async fn record(db: &Database, key: &str, limit: Limit) -> Result<(), AppError> {
    let now = DateTime::now();
    let expires = DateTime::from_millis(now.timestamp_millis() + limit.window.as_millis() as i64);
    db.collection::<Document>(COLLECTION)
        .insert_one(doc! { "key": key, "at": now, "expires_at": expires })
        .await?;
    Ok(())
}

/// Forgets the attempts of `key` (e.g. an account's failures after it signs in).
pub async fn clear(db: &Database, key: &str) -> Result<(), AppError> {
    db.collection::<Document>(COLLECTION)
        .delete_many(doc! { "key": key })
        .await?;
    Ok(())
}

/// The client's address: the socket peer, or the first `X-Forwarded-For` hop when
/// the operator said a trusted proxy sets it.
pub async fn client_ip(trust_proxy: bool) -> IpAddr {
    if trust_proxy {
        if let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() {
            if let Some(ip) = forwarded_ip(&parts.headers) {
                return ip;
            }
        }
    }
    match leptos_axum::extract::<ConnectInfo<SocketAddr>>().await {
        Ok(ConnectInfo(addr)) => addr.ip(),
        Err(_) => IpAddr::from([0, 0, 0, 0]),
    }
}

pub fn forwarded_ip(headers: &http::HeaderMap) -> Option<IpAddr> {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        // The right-most hop is the one our own proxy appended; earlier ones are client-supplied.
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse().ok())
}
