//! Preparing the database in the background, and answering 503 until it is done.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};

use super::AppState;
use crate::db;

/// Waits for the database, creates indexes, then marks the shop ready. Retries
/// forever with a clear log line: a database that is down at start is not a crash.
pub fn spawn_database_preparation(state: AppState) {
    tokio::spawn(async move {
        let mut attempt = 1u32;
        loop {
            match prepare(&state).await {
                Ok(()) => {
                    state.readiness.set_ready();
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
    db::ping(&state.db, std::time::Duration::from_secs(5)).await?;
    db::ensure_indexes(&state.db)
        .await
        .map_err(|e| format!("creating indexes failed: {}", db::short_reason(&e)))?;
    crate::catalog::sync::start(state.db.clone(), state.search.clone())
        .await
        .map_err(|e| format!("building the search index failed: {e}"))?;
    state.mailer.spawn_worker(state.settings.clone());
    crate::orders::service::spawn_sweeper(state.clone());
    Ok(())
}

/// Until the database is prepared, pages answer 503 (health checks and static files pass).
pub async fn readiness_gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.readiness.is_ready() {
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
