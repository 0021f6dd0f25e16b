//! Keeps this instance's search index in step with MongoDB.
//!
//! One change stream on the database, filtered to `products`, `categories` and
//! `catalog_sync_marks`, tells us what changed: changed products are re-read and
//! upserted or deleted (so event order and duplicates do not matter); a category
//! change rebuilds the index (names and paths of many products change). The stream
//! is opened *before* a full build, so nothing written during the build is missed.
//! After a dropped stream we resume from the last token; if the resume point is
//! gone, we rebuild from scratch. A batch that cannot be applied is retried, never
//! dropped.
//!
//! [`SyncHandle::flush`] writes a mark and waits until this instance's stream has
//! passed it: everything written before the call is then in the index. Tests use it
//! instead of waiting and polling.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};
use mongodb::change_stream::event::{ChangeStreamEvent, OperationType, ResumeToken};
use mongodb::change_stream::ChangeStream;
use mongodb::Database;
use tokio::sync::oneshot;

use super::search::SearchIndex;
use super::store;
use crate::kernel::db::backoff;
use crate::kernel::{Error, Result};

/// Marks written by [`SyncHandle::flush`]; a TTL index removes them after an hour.
pub const MARKS: &str = "catalog_sync_marks";
/// Products read per batch by a full build.
const BUILD_BATCH: i64 = 5000;

/// Waiters for flush marks of this instance.
#[derive(Default)]
pub struct SyncHandle {
    waiters: Mutex<HashMap<String, oneshot::Sender<()>>>,
}

impl SyncHandle {
    /// Returns once every write made before the call is in this instance's index
    /// (or fails after `limit`).
    pub async fn flush(&self, db: &Database, limit: Duration) -> Result<()> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id.clone(), tx);
        let written = db
            .collection::<Document>(MARKS)
            .insert_one(doc! { "_id": &id, "at": DateTime::now() })
            .await;
        if let Err(e) = written {
            self.lock().remove(&id);
            return Err(e.into());
        }
        match tokio::time::timeout(limit, rx).await {
            Ok(Ok(())) => Ok(()),
            _ => {
                self.lock().remove(&id);
                Err(Error::internal(format!(
                    "the search index did not catch up within {} ms",
                    limit.as_millis()
                )))
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<()>>> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn passed(&self, marks: &[String]) {
        let mut waiters = self.lock();
        for m in marks {
            if let Some(tx) = waiters.remove(m) {
                let _ = tx.send(());
            }
        }
    }
}

pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
    db.collection::<Document>(MARKS)
        .create_index(crate::kernel::db::ttl_index(
            "at",
            "at_ttl",
            Duration::from_secs(3600),
        ))
        .await?;
    Ok(())
}

/// Builds the whole index from the database (categories first), reading products
/// in batches by `_id`. A batch that fails is retried where it stopped, so a slow
/// or briefly unreachable database delays the build but does not restart it.
/// `progress` hears the number of products read so far.
pub async fn full_build(
    db: &Database,
    index: &SearchIndex,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<u64> {
    let categories = retrying("reading the categories", || store::list_categories(db)).await?;
    index.set_categories(&categories);
    let mut after: Option<ObjectId> = None;
    let mut first = true;
    let mut total = 0u64;
    loop {
        let batch = retrying("reading products for the search index", || {
            store::products_after(db, after, BUILD_BATCH)
        })
        .await?;
        index.add_batch_uncommitted(&batch, first)?;
        first = false;
        total += batch.len() as u64;
        progress(total);
        match batch.last() {
            Some(p) if batch.len() as i64 == BUILD_BATCH => after = Some(p.id),
            _ => break,
        }
    }
    index.commit()?;
    Ok(total)
}

/// Runs `op` until it succeeds; database outages are waited out with a log line
/// per attempt, anything else fails at once.
async fn retrying<T, F, Fut>(what: &str, mut op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut attempt = 0u32;
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_unavailable() || matches!(e, Error::Database { .. }) => {
                attempt += 1;
                if attempt > 30 {
                    return Err(e);
                }
                let wait = backoff(attempt.min(4));
                tracing::warn!(
                    attempt,
                    "{what} failed ({e}); retrying in {}s",
                    wait.as_secs()
                );
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Re-reads the given products and applies them to the index.
pub async fn refresh(db: &Database, index: &SearchIndex, ids: &[ObjectId]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let found = store::find_by_ids(db, ids).await?;
    let missing: Vec<ObjectId> = ids
        .iter()
        .filter(|id| !found.iter().any(|p| p.id == **id))
        .copied()
        .collect();
    index.apply(&found, &missing)
}

type Stream = ChangeStream<ChangeStreamEvent<Document>>;

async fn open_stream(db: &Database, resume: Option<ResumeToken>) -> Result<Stream> {
    Ok(db
        .watch()
        .pipeline([doc! { "$match": { "ns.coll": { "$in": [
            store::PRODUCTS, store::CATEGORIES, MARKS,
        ] } } }])
        .resume_after(resume)
        .max_await_time(Duration::from_millis(250))
        .await?)
}

/// Errors after which a resume token is useless.
fn resume_point_lost(err: &Error) -> bool {
    let Error::Database { source, .. } = err else {
        return false;
    };
    // 260 InvalidResumeToken, 280 ChangeStreamFatalError, 286 ChangeStreamHistoryLost
    let code = match source.kind.as_ref() {
        mongodb::error::ErrorKind::Command(c) => Some(c.code),
        _ => None,
    };
    matches!(code, Some(260 | 280 | 286))
        || source.contains_label("NonResumableChangeStreamError")
        || source.to_string().to_lowercase().contains("resume")
}

/// Opens the stream, builds the index, then follows changes forever.
/// Returns after the first build so start-up can wait for it.
pub async fn start(
    db: Database,
    index: Arc<SearchIndex>,
    handle: Arc<SyncHandle>,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<()> {
    let stream = open_stream(&db, None).await?;
    let started = std::time::Instant::now();
    let count = full_build(&db, &index, progress).await?;
    tracing::info!(
        products = count,
        ms = started.elapsed().as_millis() as u64,
        "search index built"
    );
    tokio::spawn(follow(db, index, handle, stream));
    Ok(())
}

async fn follow(
    db: Database,
    index: Arc<SearchIndex>,
    handle: Arc<SyncHandle>,
    mut stream: Stream,
) {
    let mut attempt = 0u32;
    loop {
        let Err(err) = pump(&db, &index, &handle, &mut stream).await;
        attempt += 1;
        let token = stream.resume_token();
        let wait = backoff(attempt.min(5));
        tracing::warn!(
            attempt,
            "search sync stream failed: {err}; reopening in {}s",
            wait.as_secs()
        );
        tokio::time::sleep(wait).await;
        let reopened = if resume_point_lost(&err) {
            Err(err)
        } else {
            open_stream(&db, token).await
        };
        stream = match reopened {
            Ok(s) => {
                attempt = 0;
                s
            }
            Err(e) => {
                tracing::warn!("cannot resume the search sync ({e}); rebuilding the index");
                match resync(&db, &index).await {
                    Ok(s) => {
                        attempt = 0;
                        s
                    }
                    Err(e) => {
                        tracing::warn!("search resync failed: {e}");
                        continue;
                    }
                }
            }
        };
    }
}

/// A fresh stream plus a full rebuild (stream first, so no change slips through).
async fn resync(db: &Database, index: &SearchIndex) -> Result<Stream> {
    let stream = open_stream(db, None).await?;
    let n = full_build(db, index, &|_| {}).await?;
    tracing::info!(products = n, "search index rebuilt");
    Ok(stream)
}

/// What a batch of events asks for.
#[derive(Default)]
struct Changes {
    products: Vec<ObjectId>,
    rebuild: bool,
    marks: Vec<String>,
}

impl Changes {
    fn add(&mut self, ev: &ChangeStreamEvent<Document>) {
        let coll = ev.ns.as_ref().and_then(|n| n.coll.as_deref()).unwrap_or("");
        let key = ev.document_key.as_ref().and_then(|k| k.get("_id"));
        match (coll, &ev.operation_type, key) {
            (MARKS, OperationType::Insert, Some(Bson::String(id))) => self.marks.push(id.clone()),
            (MARKS, ..) => {}
            (
                store::PRODUCTS,
                OperationType::Insert
                | OperationType::Update
                | OperationType::Replace
                | OperationType::Delete,
                Some(Bson::ObjectId(id)),
            ) => {
                if !self.products.contains(id) {
                    self.products.push(*id);
                }
            }
            // Category edits, and drops or renames of either collection.
            _ => self.rebuild = true,
        }
    }
}

/// Reads events and applies them in small batches until the stream errors. A batch
/// that cannot be applied is retried until it is: the index never silently drifts.
async fn pump(
    db: &Database,
    index: &SearchIndex,
    handle: &SyncHandle,
    stream: &mut Stream,
) -> Result<std::convert::Infallible> {
    loop {
        let Some(first) = stream.next_if_any().await? else {
            if !stream.is_alive() {
                // Closed by the server (the database was dropped or renamed): a
                // closed stream answers "nothing" at once, forever. Reopen it.
                return Err(Error::internal(
                    "the change stream was closed by the server",
                ));
            }
            continue;
        };
        let mut changes = Changes::default();
        changes.add(&first);
        // Gather whatever else is already waiting (bounded), then apply once.
        while changes.products.len() < 500 {
            match tokio::time::timeout(Duration::from_millis(20), stream.next_if_any()).await {
                Ok(Ok(Some(ev))) => changes.add(&ev),
                Ok(Ok(None)) | Err(_) => break,
                Ok(Err(e)) => return Err(e.into()),
            }
        }
        let mut attempt = 0u32;
        loop {
            let applied = if changes.rebuild {
                full_build(db, index, &|_| {}).await.map(|_| ())
            } else {
                refresh(db, index, &changes.products).await
            };
            match applied {
                Ok(()) => break,
                Err(e) => {
                    attempt += 1;
                    let wait = backoff(attempt.min(4));
                    tracing::warn!(
                        attempt,
                        "applying catalog changes to the search index failed ({e}); retrying in {}s",
                        wait.as_secs()
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
        handle.passed(&changes.marks);
    }
}
