//! Schema migrations that run by themselves at start, before the shop serves.
//!
//! Each migration has a stable id and is idempotent (it changes only documents
//! still in the old shape), so running it twice, or on two instances at once,
//! is harmless. The `migrations` collection records which ones are done; a lease
//! on a lock document keeps the instances of a shop from doing the work twice.

use std::time::Duration;

use futures::future::BoxFuture;
use mongodb::bson::{doc, DateTime, Document};
use mongodb::Database;

use super::error::{Error, Result};

pub const COLLECTION: &str = "migrations";
const LOCK_ID: &str = "lock";
const LOCK_LEASE: Duration = Duration::from_secs(120);

/// One migration: an id that never changes, and the work (returns how many
/// documents it changed).
pub struct Migration {
    pub id: &'static str,
    pub run: fn(Database) -> BoxFuture<'static, Result<u64>>,
}

/// Runs every migration not yet recorded, in order. Returns what ran and how many
/// documents each changed.
pub async fn run_pending(
    db: &Database,
    migrations: &[Migration],
    instance: &str,
) -> Result<Vec<(&'static str, u64)>> {
    let coll = db.collection::<Document>(COLLECTION);
    let done: Vec<String> = {
        use futures::TryStreamExt;
        coll.find(doc! { "applied_at": { "$exists": true } })
            .await?
            .try_collect::<Vec<_>>()
            .await?
            .into_iter()
            .filter_map(|d| d.get_str("_id").ok().map(str::to_string))
            .collect()
    };
    let pending: Vec<&Migration> = migrations
        .iter()
        .filter(|m| !done.iter().any(|d| d == m.id))
        .collect();
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    take_lock(db, instance).await?;
    let mut ran = Vec::new();
    let result = async {
        for m in pending {
            // Another instance may have finished it while we waited for the lock.
            if coll
                .find_one(doc! { "_id": m.id, "applied_at": { "$exists": true } })
                .await?
                .is_some()
            {
                continue;
            }
            tracing::info!(migration = m.id, "running a schema migration");
            let changed = (m.run)(db.clone()).await?;
            coll.update_one(
                doc! { "_id": m.id },
                doc! { "$set": { "applied_at": DateTime::now(), "changed": changed as i64, "by": instance } },
            )
            .upsert(true)
            .await?;
            tracing::info!(migration = m.id, changed, "schema migration done");
            ran.push((m.id, changed));
        }
        Ok::<_, Error>(())
    }
    .await;
    release_lock(db, instance).await?;
    result?;
    Ok(ran)
}

async fn take_lock(db: &Database, instance: &str) -> Result<()> {
    let coll = db.collection::<Document>(COLLECTION);
    let mut attempt = 0u32;
    loop {
        let now = DateTime::now();
        let until = DateTime::from_millis(now.timestamp_millis() + LOCK_LEASE.as_millis() as i64);
        let res = coll
            .update_one(
                doc! { "_id": LOCK_ID, "$or": [ { "until": { "$lt": now } }, { "holder": instance } ] },
                doc! { "$set": { "holder": instance, "until": until } },
            )
            .upsert(true)
            .await;
        match res {
            Ok(_) => return Ok(()),
            // Held by another instance (the upsert collided with its document).
            Err(e) if super::db::is_duplicate_key(&e) => {
                if attempt.is_multiple_of(10) {
                    tracing::info!("waiting for another instance to finish the schema migrations");
                }
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

async fn release_lock(db: &Database, instance: &str) -> Result<()> {
    db.collection::<Document>(COLLECTION)
        .delete_one(doc! { "_id": LOCK_ID, "holder": instance })
        .await?;
    Ok(())
}
