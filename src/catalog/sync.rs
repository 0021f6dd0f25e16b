//! Keeps this instance's search index in step with MongoDB.
//!
//! A change stream on `products` (and one on `categories`) tells us which
//! products changed; we re-read those from the database and upsert or delete
//! them, so event order and duplicates do not matter. The stream is opened
//! *before* a full build, so nothing written during the build is missed. After a
//! dropped stream we resume from the last token; if the resume point is gone, we
//! rebuild from scratch.

use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::change_stream::event::{ChangeStreamEvent, OperationType, ResumeToken};
use mongodb::change_stream::ChangeStream;
use mongodb::Database;

use super::search::SearchIndex;
use super::store::{self, Product};
use crate::error::AppError;

/// Builds the whole index from the database (categories first).
pub async fn full_build(db: &Database, index: &SearchIndex) -> Result<u64, AppError> {
    let categories = store::list_categories(db).await?;
    index.set_categories(&categories);
    let mut cursor = store::products(db).find(doc! {}).batch_size(1000).await?;
    let mut batch: Vec<Product> = Vec::with_capacity(1000);
    let mut first = true;
    let mut total = 0u64;
    while let Some(p) = cursor.try_next().await? {
        batch.push(p);
        if batch.len() == 1000 {
            index.add_batch_uncommitted(&batch, first)?;
            first = false;
            total += batch.len() as u64;
            batch.clear();
        }
    }
    total += batch.len() as u64;
    index.add_batch_uncommitted(&batch, first)?;
    index.commit()?;
    Ok(total)
}

/// Re-reads the given products and applies them to the index.
pub async fn refresh(db: &Database, index: &SearchIndex, ids: &[ObjectId]) -> Result<(), AppError> {
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

async fn open_stream(
    db: &Database,
    collection: &str,
    resume: Option<ResumeToken>,
) -> Result<ChangeStream<ChangeStreamEvent<Document>>, mongodb::error::Error> {
    db.collection::<Document>(collection)
        .watch()
        .resume_after(resume)
        .max_await_time(Duration::from_millis(250))
        .await
}

/// Errors after which a resume token is useless.
fn resume_point_lost(err: &mongodb::error::Error) -> bool {
    // 260 InvalidResumeToken, 280 ChangeStreamFatalError, 286 ChangeStreamHistoryLost
    let code = match err.kind.as_ref() {
        mongodb::error::ErrorKind::Command(c) => Some(c.code),
        _ => None,
    };
    matches!(code, Some(260 | 280 | 286))
        || err.contains_label("NonResumableChangeStreamError")
        || err.to_string().to_lowercase().contains("resume")
}

/// Opens the streams, builds the index, then follows changes forever.
/// Returns after the first build so start-up can wait for it.
pub async fn start(db: Database, index: Arc<SearchIndex>) -> Result<(), AppError> {
    let products_stream = open_stream(&db, store::PRODUCTS, None).await?;
    let categories_stream = open_stream(&db, store::CATEGORIES, None).await?;
    let started = std::time::Instant::now();
    let count = full_build(&db, &index).await?;
    tracing::info!(
        products = count,
        ms = started.elapsed().as_millis() as u64,
        "search index built"
    );
    tokio::spawn(follow_products(db.clone(), index.clone(), products_stream));
    tokio::spawn(follow_categories(db, index, categories_stream));
    Ok(())
}

async fn follow_products(
    db: Database,
    index: Arc<SearchIndex>,
    mut stream: ChangeStream<ChangeStreamEvent<Document>>,
) {
    let mut attempt = 0u32;
    loop {
        match pump(&db, &index, &mut stream).await {
            Ok(()) => {}
            Err(err) => {
                attempt += 1;
                let token = stream.resume_token();
                let wait = crate::db::backoff(attempt.min(5));
                tracing::warn!(
                    attempt,
                    "search sync stream failed: {}; reopening in {}s",
                    crate::db::short_reason(&err),
                    wait.as_secs()
                );
                tokio::time::sleep(wait).await;
                let reopened = if resume_point_lost(&err) {
                    Err(err)
                } else {
                    open_stream(&db, store::PRODUCTS, token).await
                };
                stream = match reopened {
                    Ok(s) => {
                        attempt = 0;
                        s
                    }
                    Err(e) => {
                        tracing::warn!(
                            "cannot resume the search sync ({}); rebuilding the index",
                            crate::db::short_reason(&e)
                        );
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
    }
}

/// A fresh stream plus a full rebuild (stream first, so no change slips through).
async fn resync(
    db: &Database,
    index: &SearchIndex,
) -> Result<ChangeStream<ChangeStreamEvent<Document>>, AppError> {
    let stream = open_stream(db, store::PRODUCTS, None).await?;
    let n = full_build(db, index).await?;
    tracing::info!(products = n, "search index rebuilt");
    Ok(stream)
}

/// Reads events and applies them in small batches until the stream errors.
async fn pump(
    db: &Database,
    index: &SearchIndex,
    stream: &mut ChangeStream<ChangeStreamEvent<Document>>,
) -> Result<(), mongodb::error::Error> {
    loop {
        let Some(first) = stream.next_if_any().await? else {
            continue;
        };
        let mut ids = Vec::new();
        let mut rebuild = collect_id(&first, &mut ids);
        // Gather whatever else is already waiting (bounded), then apply once.
        while ids.len() < 500 {
            match tokio::time::timeout(Duration::from_millis(20), stream.next_if_any()).await {
                Ok(Ok(Some(ev))) => rebuild |= collect_id(&ev, &mut ids),
                Ok(Ok(None)) | Err(_) => break,
                Ok(Err(e)) => return Err(e),
            }
        }
        let result = if rebuild {
            full_build(db, index).await.map(|_| ())
        } else {
            refresh(db, index, &ids).await
        };
        if let Err(e) = result {
            tracing::warn!("applying product changes to the search index failed: {e}");
        }
    }
}

/// Adds the changed product's id; true when the whole collection changed (drop etc.).
fn collect_id(ev: &ChangeStreamEvent<Document>, ids: &mut Vec<ObjectId>) -> bool {
    match ev.operation_type {
        OperationType::Insert
        | OperationType::Update
        | OperationType::Replace
        | OperationType::Delete => {
            if let Some(id) = ev
                .document_key
                .as_ref()
                .and_then(|k| k.get_object_id("_id").ok())
            {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            false
        }
        _ => true,
    }
}

/// Category renames and moves change every product in them: rebuild.
async fn follow_categories(
    db: Database,
    index: Arc<SearchIndex>,
    mut stream: ChangeStream<ChangeStreamEvent<Document>>,
) {
    loop {
        match stream.next_if_any().await {
            Ok(Some(_)) => {
                // Let a burst of edits settle, drain it, rebuild once.
                tokio::time::sleep(Duration::from_millis(50)).await;
                while let Ok(Ok(Some(_))) =
                    tokio::time::timeout(Duration::from_millis(10), stream.next_if_any()).await
                {
                }
                if let Err(e) = full_build(&db, &index).await {
                    tracing::warn!(
                        "rebuilding the search index after a category change failed: {e}"
                    );
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(
                    "category sync stream failed: {}; reopening",
                    crate::db::short_reason(&e)
                );
                tokio::time::sleep(Duration::from_secs(2)).await;
                let token = stream.resume_token();
                match open_stream(&db, store::CATEGORIES, token).await {
                    Ok(s) => stream = s,
                    Err(_) => {
                        if let Ok(s) = open_stream(&db, store::CATEGORIES, None).await {
                            stream = s;
                            let _ = full_build(&db, &index).await;
                        }
                    }
                }
            }
        }
    }
}
