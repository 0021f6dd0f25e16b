//! CSV import and export of the catalog: the work itself (shared by the admin and
//! the `oxcart products import|export` commands), import jobs in `import_jobs`
//! (an upload answers at once; the import runs in the background and records its
//! progress, which the admin page shows), and the download of the export.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::csv::{self, Plan, PlannedProduct, RowError};
use super::store::{self, Product};
use super::types::{ImportJobView, ImportLine, ImportStatus};
use super::Catalog;
use crate::kernel::auth::SharedDirectory;
use crate::kernel::db::display_time;
use crate::kernel::{Core, DbContext, Error, Result};
use crate::shared::{AppError, Currency};

pub const JOBS: &str = "import_jobs";
/// Largest file the admin may upload.
pub const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;
/// A running job that has not reported for this long was interrupted.
const STALE_AFTER: Duration = Duration::from_secs(60);
/// How often a running job records its progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(300);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportJob {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub status: ImportStatus,
    pub file_name: String,
    pub by: String,
    #[serde(default)]
    pub rows: i64,
    #[serde(default)]
    pub products_total: i64,
    #[serde(default)]
    pub products_done: i64,
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub updated: i64,
    #[serde(default)]
    pub errors: Vec<JobError>,
    #[serde(default)]
    pub error_count: i64,
    pub started_at: DateTime,
    pub heartbeat_at: DateTime,
    #[serde(default)]
    pub finished_at: Option<DateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobError {
    pub line: i64,
    pub message: String,
}

fn jobs(db: &Database) -> Collection<ImportJob> {
    db.collection(JOBS)
}

pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
    jobs(db)
        .create_index(crate::kernel::db::index(
            doc! { "started_at": -1 },
            "started_at",
            false,
        ))
        .await?;
    Ok(())
}

impl ImportJob {
    pub fn view(&self) -> ImportJobView {
        let running = matches!(
            self.status,
            ImportStatus::Checking | ImportStatus::Importing
        );
        let stale = running
            && DateTime::now().timestamp_millis() - self.heartbeat_at.timestamp_millis()
                > STALE_AFTER.as_millis() as i64;
        ImportJobView {
            id: self.id.to_hex(),
            status: if stale {
                ImportStatus::Interrupted
            } else {
                self.status
            },
            file_name: self.file_name.clone(),
            by: self.by.clone(),
            rows: self.rows,
            products_total: self.products_total,
            products_done: self.products_done,
            created: self.created,
            updated: self.updated,
            errors: self
                .errors
                .iter()
                .map(|e| ImportLine {
                    line: e.line,
                    message: e.message.clone(),
                })
                .collect(),
            error_count: self.error_count,
            started_at: display_time(self.started_at),
            finished_at: self.finished_at.map(display_time),
        }
    }
}

pub async fn find_job(db: &Database, id: &ObjectId) -> Result<Option<ImportJob>> {
    jobs(db)
        .find_one(doc! { "_id": id })
        .await
        .context("reading an import job")
}

pub async fn recent_jobs(db: &Database, limit: i64) -> Result<Vec<ImportJob>> {
    jobs(db)
        .find(doc! {})
        .sort(doc! { "started_at": -1 })
        .limit(limit)
        .await
        .context("reading import jobs")?
        .try_collect()
        .await
        .context("reading import jobs")
}

async fn set_job(db: &Database, id: &ObjectId, set: Document) -> Result<()> {
    let mut set = set;
    set.insert("heartbeat_at", DateTime::now());
    jobs(db)
        .update_one(doc! { "_id": id }, doc! { "$set": set })
        .await
        .context("recording an import's progress")?;
    Ok(())
}

fn errors_bson(errors: &[RowError]) -> Vec<Document> {
    errors
        .iter()
        .take(csv::MAX_LISTED_ERRORS)
        .map(|e| doc! { "line": e.line as i64, "message": &e.message })
        .collect()
}

// ---------- the work ----------

/// The outcome of checking a file.
pub enum Checked {
    Ready(Plan, HashMap<String, Product>),
    Invalid(Vec<RowError>),
}

/// Reads and checks a whole file, against itself and the database. Writes nothing.
pub async fn check_file(db: &Database, text: &str, currency: Currency) -> Result<Checked> {
    let rows = match csv::read(text) {
        Ok(r) => r,
        Err(e) => return Ok(Checked::Invalid(e)),
    };
    // Every problem at once: the rows that read well are also checked against
    // the database, even when others are wrong.
    let (plan, mut errors) = csv::check(&rows, currency);
    match csv::check_against_database(db, &plan).await? {
        Ok(existing) if errors.is_empty() => Ok(Checked::Ready(plan, existing)),
        Ok(_) => Ok(Checked::Invalid(errors)),
        Err(more) => {
            errors.extend(more);
            errors.sort_by_key(|e| e.line);
            Ok(Checked::Invalid(errors))
        }
    }
}

/// What an import did.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub created: u64,
    pub updated: u64,
    /// Products that could not be written because the catalog changed under the
    /// import (another admin, at the same moment): named with their line.
    pub errors: Vec<RowError>,
}

/// New products are written this many at a time.
const INSERT_BATCH: usize = 200;

/// Writes a checked plan, calling `progress(done, total)`. New products go in in
/// batches; an existing product is updated on its own, conditionally (retried if
/// an order or an admin changed it meanwhile).
pub async fn apply(
    db: &Database,
    plan: &Plan,
    existing: &HashMap<String, Product>,
    currency: Currency,
    by: &str,
    mut progress: impl FnMut(u64, u64),
) -> Result<Outcome> {
    let mut categories = store::list_categories(db).await?;
    let mut out = Outcome::default();
    let total = plan.products.len() as u64;
    let mut pending: Vec<(u64, Product)> = Vec::new();
    let mut done = 0u64;
    for planned in &plan.products {
        match existing.get(planned.slug.as_str()) {
            None => {
                pending.push((
                    planned.line,
                    new_product(db, planned, currency, &mut categories).await?,
                ));
                if pending.len() >= INSERT_BATCH {
                    done += insert_batch(db, &mut pending, &mut out).await?;
                    progress(done, total);
                }
            }
            Some(_) => {
                if !pending.is_empty() {
                    done += insert_batch(db, &mut pending, &mut out).await?;
                }
                match update_one(db, planned, by, &mut categories).await {
                    Ok(()) => out.updated += 1,
                    Err(Error::App(e)) => out.errors.push(RowError {
                        line: planned.line,
                        message: format!("{}: {e}", planned.slug),
                    }),
                    Err(e) => return Err(e),
                }
                done += 1;
                progress(done, total);
            }
        }
    }
    if !pending.is_empty() {
        done += insert_batch(db, &mut pending, &mut out).await?;
        progress(done, total);
    }
    Ok(out)
}

/// Inserts the pending new products; one that cannot go in (its handle or a SKU
/// was taken meanwhile) is reported, the others are written.
async fn insert_batch(
    db: &Database,
    pending: &mut Vec<(u64, Product)>,
    out: &mut Outcome,
) -> Result<u64> {
    let batch = std::mem::take(pending);
    let products: Vec<&Product> = batch.iter().map(|(_, p)| p).collect();
    match store::products(db)
        .insert_many(products)
        .ordered(false)
        .await
    {
        Ok(r) => out.created += r.inserted_ids.len() as u64,
        Err(e) => match e.kind.as_ref() {
            mongodb::error::ErrorKind::InsertMany(m) => {
                let failed: Vec<usize> = m
                    .write_errors
                    .as_ref()
                    .map(|w| w.iter().map(|w| w.index).collect())
                    .unwrap_or_default();
                if failed.is_empty() {
                    return Err(e).context("importing products");
                }
                out.created += (batch.len() - failed.len()) as u64;
                for i in failed {
                    if let Some((line, p)) = batch.get(i) {
                        out.errors.push(RowError {
                            line: *line,
                            message: format!("{}: its handle or a SKU was taken by another product during the import", p.slug),
                        });
                    }
                }
            }
            _ => return Err(e).context("importing products"),
        },
    }
    Ok(batch.len() as u64)
}

/// A new product as the file describes it.
async fn new_product(
    db: &Database,
    planned: &PlannedProduct,
    currency: Currency,
    categories: &mut Vec<Category>,
) -> Result<Product> {
    let category_id = match &planned.category_path {
        Some(path) if !path.is_empty() => csv::category_for_path(db, path, categories).await?,
        _ => None,
    };
    let variants = csv::merged_variants(planned, None);
    let now = DateTime::now();
    Ok(Product {
        id: ObjectId::new(),
        name: planned.name.clone().unwrap_or_default(),
        slug: planned.slug.clone(),
        description: planned.description.clone().unwrap_or_default(),
        price: variants.iter().map(|v| v.price).min().unwrap_or(0),
        currency,
        category_id,
        tags: planned.tags.clone().unwrap_or_default(),
        stock: variants.iter().map(|v| v.stock).sum(),
        status: planned.status.unwrap_or_default(),
        featured: planned.featured.unwrap_or(false),
        images: Vec::new(),
        options: planned.options.clone(),
        variants,
        reservations: Vec::new(),
        created_at: now,
        updated_at: now,
    })
}

/// Updates an existing product: read fresh, merge, write if nothing moved meanwhile.
async fn update_one(
    db: &Database,
    planned: &PlannedProduct,
    by: &str,
    categories: &mut Vec<Category>,
) -> Result<()> {
    let category_id = match &planned.category_path {
        Some(path) if !path.is_empty() => Some(csv::category_for_path(db, path, categories).await?),
        Some(_) => Some(None),
        None => None,
    };
    for _ in 0..8 {
        let current = store::find_by_slug(db, &planned.slug)
            .await?
            .ok_or_else(|| AppError::Conflict("it was deleted during the import".into()))?;
        let variants = csv::merged_variants(planned, Some(&current));
        let mut set = doc! {};
        if let Some(name) = &planned.name {
            set.insert("name", name);
        }
        if let Some(d) = &planned.description {
            set.insert("description", d);
        }
        if let Some(tags) = &planned.tags {
            set.insert("tags", tags);
        }
        if let Some(s) = planned.status {
            set.insert("status", s.as_str());
        }
        if let Some(f) = planned.featured {
            set.insert("featured", f);
        }
        if let Some(c) = category_id {
            set.insert("category_id", c);
        }
        let saved = store::replace_variants_and(
            db,
            &current,
            &planned.options,
            &variants,
            current.stock,
            set,
        )
        .await?;
        if let Some(saved) = saved {
            for v in &saved.variants {
                let before = current.variant(&v.id).map(|o| o.stock).unwrap_or(0);
                if v.stock != before {
                    super::stock::record(
                        db,
                        saved.id,
                        v.id,
                        v.sku.as_str(),
                        v.stock - before,
                        v.stock,
                        by,
                        "CSV import",
                    )
                    .await?;
                }
            }
            return Ok(());
        }
    }
    Err(AppError::Conflict(
        "it kept changing during the import (orders or another admin); import it again".into(),
    )
    .into())
}

use super::store::Category;

/// Writes the whole catalog as CSV to `w`, calling `progress(done)` per product.
pub async fn export<W: std::io::Write>(
    db: &Database,
    w: W,
    base_url: &str,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    let categories = store::list_categories(db).await?;
    let mut writer = ::csv::Writer::from_writer(w);
    csv::write_header(&mut writer)?;
    let mut after = None;
    let mut done = 0;
    loop {
        let batch = store::products_after(db, after, 500).await?;
        let Some(last) = batch.last() else {
            break;
        };
        after = Some(last.id);
        for p in &batch {
            csv::write_product(&mut writer, p, &categories, base_url)?;
            done += 1;
        }
        progress(done);
    }
    writer
        .flush()
        .map_err(|e| Error::internal_from("writing the export", e))?;
    Ok(done)
}

// ---------- jobs ----------

/// Starts a background import of `text`; returns the job id at once.
pub async fn start_job(core: &Core, text: String, file_name: &str, by: &str) -> Result<ObjectId> {
    let now = DateTime::now();
    let job = ImportJob {
        id: ObjectId::new(),
        status: ImportStatus::Checking,
        file_name: file_name.chars().take(200).collect(),
        by: by.to_string(),
        rows: 0,
        products_total: 0,
        products_done: 0,
        created: 0,
        updated: 0,
        errors: Vec::new(),
        error_count: 0,
        started_at: now,
        heartbeat_at: now,
        finished_at: None,
    };
    jobs(&core.db)
        .insert_one(&job)
        .await
        .context("starting an import")?;
    let (db, currency, by, id) = (
        core.db.clone(),
        core.settings.currency,
        by.to_string(),
        job.id,
    );
    tokio::spawn(async move {
        if let Err(e) = run_job(&db, &id, &text, currency, &by).await {
            tracing::error!(job = %id, "an import failed: {e}");
            let _ = set_job(
                &db,
                &id,
                doc! {
                    "status": ImportStatus::Failed.as_str(),
                    "finished_at": DateTime::now(),
                    "errors": [ { "line": 0i64, "message": "The import stopped because of a server problem; what was written so far stays. Importing the same file again completes it." } ],
                    "error_count": 1i64,
                },
            )
            .await;
        }
    });
    Ok(job.id)
}

async fn run_job(
    db: &Database,
    id: &ObjectId,
    text: &str,
    currency: Currency,
    by: &str,
) -> Result<()> {
    let (plan, existing) = match check_file(db, text, currency).await? {
        Checked::Invalid(errors) => {
            set_job(
                db,
                id,
                doc! {
                    "status": ImportStatus::Invalid.as_str(),
                    "errors": errors_bson(&errors),
                    "error_count": errors.len() as i64,
                    "finished_at": DateTime::now(),
                },
            )
            .await?;
            return Ok(());
        }
        Checked::Ready(plan, existing) => (plan, existing),
    };
    set_job(
        db,
        id,
        doc! {
            "status": ImportStatus::Importing.as_str(),
            "rows": plan.rows as i64,
            "products_total": plan.products.len() as i64,
        },
    )
    .await?;
    // Progress is recorded from a separate task so writes are never held up.
    let (tx, mut rx) = tokio::sync::watch::channel(0u64);
    let reporter = {
        let (db, id) = (db.clone(), *id);
        tokio::spawn(async move {
            let mut last = Instant::now() - PROGRESS_EVERY;
            while rx.changed().await.is_ok() {
                if last.elapsed() < PROGRESS_EVERY {
                    tokio::time::sleep(PROGRESS_EVERY - last.elapsed()).await;
                }
                let done = *rx.borrow_and_update();
                let _ = set_job(&db, &id, doc! { "products_done": done as i64 }).await;
                last = Instant::now();
            }
        })
    };
    let outcome = apply(db, &plan, &existing, currency, by, |done, _| {
        let _ = tx.send(done);
    })
    .await;
    drop(tx);
    let _ = reporter.await;
    let outcome = outcome?;
    set_job(
        db,
        id,
        doc! {
            "status": ImportStatus::Done.as_str(),
            "products_done": plan.products.len() as i64,
            "created": outcome.created as i64,
            "updated": outcome.updated as i64,
            "errors": errors_bson(&outcome.errors),
            "error_count": outcome.errors.len() as i64,
            "finished_at": DateTime::now(),
        },
    )
    .await?;
    tracing::info!(job = %id, created = outcome.created, updated = outcome.updated, "import done");
    Ok(())
}

// ---------- HTTP ----------

/// POST /admin/products/import/upload (multipart, field `file`): starts an import and
/// sends the browser to its progress page.
pub async fn upload(
    State(core): State<Core>,
    State(_catalog): State<Catalog>,
    State(directory): State<SharedDirectory>,
    session: Session,
    headers: HeaderMap,
    multipart: std::result::Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let wants_html = crate::kernel::web::accepts_html(&headers);
    let result: std::result::Result<ObjectId, AppError> = async {
        let admin = crate::kernel::auth::admin_of(
            &session,
            directory.as_ref(),
            core.settings.session_max_days,
        )
        .await?;
        let mut multipart = multipart.map_err(|_| {
            AppError::BadRequest("Send the file as a multipart form with a `file` field.".into())
        })?;
        let mut text: Option<(String, String)> = None;
        while let Some(mut field) = multipart.next_field().await.map_err(|_| {
            AppError::BadRequest("The upload was interrupted or damaged; try again.".into())
        })? {
            if field.name() != Some("file") {
                continue;
            }
            let name = field.file_name().unwrap_or("products.csv").to_string();
            let mut data = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|_| {
                AppError::BadRequest("The upload was interrupted or damaged; try again.".into())
            })? {
                if data.len() + chunk.len() > MAX_UPLOAD_BYTES {
                    return Err(AppError::field(
                        "file",
                        format!(
                            "The file is larger than {} MB; split it.",
                            MAX_UPLOAD_BYTES / 1024 / 1024
                        ),
                    ));
                }
                data.extend_from_slice(&chunk);
            }
            let body = String::from_utf8(data).map_err(|_| {
                AppError::field(
                    "file",
                    "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.",
                )
            })?;
            text = Some((name, body));
        }
        let (name, body) = text
            .filter(|(_, b)| !b.trim().is_empty())
            .ok_or_else(|| AppError::field("file", "Choose a CSV file to import."))?;
        Ok(start_job(&core, body, &name, &admin.name).await?)
    }
    .await;
    match result {
        Ok(id) => {
            let to = format!("/admin/products/import?job={}", id.to_hex());
            if wants_html {
                crate::kernel::web::redirect_response(&to)
            } else {
                (StatusCode::ACCEPTED, [(header::LOCATION, to)], id.to_hex()).into_response()
            }
        }
        Err(e) if wants_html => {
            let msg = e.field_message("file").unwrap_or_else(|| e.to_string());
            crate::kernel::web::redirect_response(&format!(
                "/admin/products/import?error={}",
                crate::shared::text::url_encode(&msg)
            ))
        }
        Err(e) => e.into_response(),
    }
}

/// GET /admin/products/export.csv: the whole catalog, one row per variant.
pub async fn download(
    State(core): State<Core>,
    State(directory): State<SharedDirectory>,
    session: Session,
) -> Response {
    if let Err(e) =
        crate::kernel::auth::admin_of(&session, directory.as_ref(), core.settings.session_max_days)
            .await
    {
        return e.into_response();
    }
    let base = core
        .settings
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_string();
    let (tx, rx) = tokio::sync::mpsc::channel::<std::result::Result<Vec<u8>, std::io::Error>>(4);
    let db = core.db.clone();
    tokio::spawn(async move {
        // Written in pieces: each batch of products goes out as it is read.
        #[derive(Clone, Default)]
        struct Chunked(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Chunked {
            fn take(&self) -> Vec<u8> {
                std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
            }
        }
        impl std::io::Write for Chunked {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let categories = match store::list_categories(&db).await {
            Ok(c) => c,
            Err(e) => {
                let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                return;
            }
        };
        let buffer = Chunked::default();
        let mut writer = ::csv::Writer::from_writer(buffer.clone());
        let _ = csv::write_header(&mut writer);
        let mut after = None;
        loop {
            let batch = match store::products_after(&db, after, 500).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!("the export stopped: {e}");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            let Some(last) = batch.last() else {
                break;
            };
            after = Some(last.id);
            for p in &batch {
                if csv::write_product(&mut writer, p, &categories, &base).is_err() {
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            }
            let _ = writer.flush();
            let chunk = buffer.take();
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
        }
        let _ = writer.flush();
        let rest = buffer.take();
        let _ = tx.send(Ok(rest)).await;
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let date = time::OffsetDateTime::now_utc().date();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"products-{date}.csv\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}
