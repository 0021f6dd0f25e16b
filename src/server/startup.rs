//! Preparing the database in the background (every feature's indexes, the search
//! index), starting the background workers, and answering 503 until it is done.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};
use mongodb::Database;

use super::AppState;
use crate::kernel::db;

/// Every schema migration of the shop, in the order they run (see `kernel::migrate`).
pub fn migrations() -> Vec<crate::kernel::migrate::Migration> {
    use crate::kernel::migrate::Migration;
    vec![
        Migration {
            id: "2026-11-products-to-variants",
            run: |db| Box::pin(crate::catalog::migrate::products_to_variants(db)),
        },
        Migration {
            id: "2026-11-cart-lines-to-variants",
            run: |db| Box::pin(crate::cart::store::lines_to_variants(db)),
        },
        Migration {
            id: "2026-11-order-lines-to-variants",
            run: |db| Box::pin(crate::orders::store::lines_to_variants(db)),
        },
        Migration {
            id: "2026-11-picture-widths",
            run: |db| Box::pin(crate::catalog::migrate::pictures_to_widths(db)),
        },
    ]
}

/// Brings a database up to date: runs pending migrations (one instance at a
/// time), then creates every index. What both the server and one-off commands do
/// before touching data.
pub async fn prepare_database(db: &Database, instance: &str) -> Result<(), String> {
    crate::kernel::migrate::run_pending(db, &migrations(), instance)
        .await
        .map_err(|e| format!("a schema migration failed: {e}"))?;
    ensure_indexes(db)
        .await
        .map_err(|e| format!("creating indexes failed: {}", db::short_reason(&e)))
}

/// Every index creator of the shop, in one list (nothing else knows them all).
pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    crate::kernel::session::ensure_indexes(db).await?;
    crate::kernel::ratelimit::ensure_indexes(db).await?;
    crate::kernel::mail::ensure_indexes(db).await?;
    crate::accounts::ensure_indexes(db).await?;
    crate::catalog::ensure_indexes(db).await?;
    crate::cart::ensure_indexes(db).await?;
    crate::orders::ensure_indexes(db).await?;
    crate::payments::ensure_indexes(db).await?;
    Ok(())
}

/// Waits for the database, creates indexes, builds the search index, starts the
/// workers, then marks the shop ready. Retries forever with a clear log line: a
/// database that is down at start is not a crash.
pub fn spawn_database_preparation(state: AppState) {
    tokio::spawn(async move {
        let mut attempt = 1u32;
        loop {
            match prepare(&state).await {
                Ok(()) => {
                    state.core.readiness.set_ready();
                    tracing::info!("database ready; the shop is serving");
                    return;
                }
                Err(reason) => {
                    let wait = db::backoff(attempt);
                    tracing::warn!(
                        attempt,
                        retry_in_secs = wait.as_secs(),
                        "database not ready: {reason}"
                    );
                    state
                        .core
                        .readiness
                        .set_waiting(&format!("waiting for the database: {reason}"));
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    });
}

async fn prepare(state: &AppState) -> Result<(), String> {
    let core = &state.core;
    db::ping(&core.db, std::time::Duration::from_secs(5)).await?;
    prepare_database(&core.db, &core.instance).await?;
    let readiness = core.readiness.clone();
    let progress = move |n: u64| {
        readiness.set_waiting(&format!("building the search index: {n} products read"));
    };
    crate::catalog::sync::start(
        core.db.clone(),
        state.catalog.search.clone(),
        state.catalog.sync.clone(),
        &progress,
    )
    .await
    .map_err(|e| format!("building the search index failed: {e}"))?;
    if core.settings.mail_worker {
        core.mailer.spawn_worker(core.settings.clone());
    }
    crate::orders::service::spawn_sweeper(core.clone(), state.payments.clone());
    crate::kernel::clock::load(&core.db)
        .await
        .map_err(|e| format!("reading the shop's time zone failed: {e}"))?;
    crate::kernel::clock::spawn_refresher(core.db.clone());
    Ok(())
}

/// Until the database is prepared, pages answer 503 (health checks and static files pass).
pub async fn readiness_gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.core.readiness.is_ready() {
        return next.run(req).await;
    }
    let path = req.uri().path();
    let passes = path == "/healthz"
        || path == "/readyz"
        || path.starts_with("/pkg/")
        || path.starts_with("/favicon");
    if passes {
        return next.run(req).await;
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::RETRY_AFTER, "5"),
        ],
        STARTING_HTML,
    )
        .into_response()
}

const STARTING_HTML: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Starting up · oxcart</title>\
<meta name=\"description\" content=\"The shop is starting and will be available shortly.\">\
<link rel=\"stylesheet\" href=\"/pkg/oxcart.css\"></head><body><main id=\"main\">\
<section class=\"notice-page\"><h1>The shop is starting up</h1>\
<p>We are connecting to the database. Please try again in a few seconds.</p>\
</section></main></body></html>";
