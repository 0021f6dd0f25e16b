//! Sliding-window attempt limits in MongoDB, so they hold across every app instance
//! and under simultaneous requests.
//!
//! Each key (e.g. `login:account:<email>`) is one document holding the times of its
//! most recent attempts (at most `max` of them). An attempt is *reserved* before the
//! work it guards is done, with one conditional update: it is added only while fewer
//! than `max` attempts fall inside the window, so N parallel attempts count as N and
//! the (N+1)-th is refused, whatever the interleaving. An attempt that turns out not
//! to count (a successful sign-in) is released again.

use std::time::Duration;

use mongodb::bson::{doc, DateTime, Document};
use mongodb::Database;

use super::error::Result;
use crate::shared::AppError;

pub const COLLECTION: &str = "rate_limits";
/// Where attempts were kept before limits became atomic (one document per attempt).
/// Nothing reads it any more; its TTL index empties it within one window.
pub const LEGACY_COLLECTION: &str = "rate_limit_attempts";

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
/// Orders placed without an account, per address.
pub const GUEST_ORDER_PER_ADDRESS: Limit = Limit {
    max: 30,
    window: Duration::from_secs(60 * 60),
};
pub const REGISTER_PER_ADDRESS: Limit = Limit {
    max: 20,
    window: Duration::from_secs(60 * 60),
};

pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
    db.collection::<Document>(COLLECTION)
        .create_index(super::db::ttl_index(
            "expires_at",
            "expires_at_ttl",
            Duration::ZERO,
        ))
        .await?;
    Ok(())
}

/// One reserved attempt; pass it to [`release`] if it should not count after all.
#[derive(Debug, Clone)]
pub struct Attempt {
    key: String,
    id: String,
}

fn window_ms(limit: Limit) -> i64 {
    i64::try_from(limit.window.as_millis()).unwrap_or(i64::MAX)
}

/// Reserves one attempt against `key`, or fails with `RateLimited` (saying when
/// to try again) when `key` already used its limit inside the window.
pub async fn reserve(db: &Database, key: &str, limit: Limit) -> Result<Attempt> {
    let coll = db.collection::<Document>(COLLECTION);
    let now = DateTime::now();
    let since = DateTime::from_millis(now.timestamp_millis() - window_ms(limit));
    let max = limit.max.max(1);
    let id = uuid::Uuid::new_v4().simple().to_string();
    // Room for one more: fewer than `max` attempts kept, or the oldest kept one is
    // outside the window (attempts are kept oldest first, at most `max` of them).
    let room = doc! { "$or": [
        { format!("attempts.{}", max - 1): { "$exists": false } },
        { "attempts.0.at": { "$lte": since } },
    ] };
    let mut filter = doc! { "_id": key };
    filter.extend(room);
    let update = doc! {
        "$push": { "attempts": {
            "$each": [ { "at": now, "id": &id } ],
            "$sort": { "at": 1 },
            "$slice": -(max as i64),
        } },
        "$set": { "expires_at": DateTime::from_millis(now.timestamp_millis() + window_ms(limit)) },
    };
    let attempt = Attempt {
        key: key.to_string(),
        id,
    };
    // With upsert, a key seen for the first time is created by the same update. A
    // duplicate-key error means the document exists but has no room (or another
    // request created it at this very moment): decide once more without upsert.
    match coll
        .update_one(filter.clone(), update.clone())
        .upsert(true)
        .await
    {
        Ok(_) => return Ok(attempt),
        Err(e) if super::db::is_duplicate_key(&e) => {}
        Err(e) => return Err(e.into()),
    }
    if coll.update_one(filter, update).await?.matched_count == 1 {
        return Ok(attempt);
    }
    Err(refused(db, key, limit, now).await?.into())
}

/// The `RateLimited` error for a full key: the window frees up when the oldest
/// attempt inside it ages out.
async fn refused(db: &Database, key: &str, limit: Limit, now: DateTime) -> Result<AppError> {
    let oldest = db
        .collection::<Document>(COLLECTION)
        .find_one(doc! { "_id": key })
        .await?
        .and_then(|d| {
            d.get_array("attempts")
                .ok()
                .and_then(|a| a.first())
                .and_then(|a| a.as_document())
                .and_then(|a| a.get_datetime("at").ok().copied())
        });
    let retry_after_ms = oldest
        .map(|t| t.timestamp_millis() + window_ms(limit) - now.timestamp_millis())
        .unwrap_or(window_ms(limit));
    Ok(AppError::RateLimited {
        retry_after_secs: (retry_after_ms.max(1000) as u64).div_ceil(1000),
    })
}

/// Takes back a reserved attempt that should not count (e.g. the sign-in succeeded).
pub async fn release(db: &Database, attempt: &Attempt) -> Result<()> {
    db.collection::<Document>(COLLECTION)
        .update_one(
            doc! { "_id": &attempt.key },
            doc! { "$pull": { "attempts": { "id": &attempt.id } } },
        )
        .await?;
    Ok(())
}

/// Forgets every attempt of `key` (e.g. an account's failures after it signs in).
pub async fn clear(db: &Database, key: &str) -> Result<()> {
    db.collection::<Document>(COLLECTION)
        .delete_one(doc! { "_id": key })
        .await?;
    Ok(())
}
