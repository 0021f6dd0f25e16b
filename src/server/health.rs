//! `/healthz` and `/readyz`.
//!
//! - `/healthz`: the process is alive (200 whenever it answers at all), with
//!   `"serving": true` once start-up is done. Balancers route on that flag; a
//!   liveness probe only needs the 200.
//! - `/readyz`: start-up is done and the database answers (503 with the reason
//!   otherwise). For start-up scripts and orchestrators.

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use serde_json::json;

use super::AppState;

pub async fn healthz(State(state): State<AppState>) -> Response {
    Json(json!({ "status": "ok", "serving": state.core.readiness.is_ready() })).into_response()
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    if !state.core.readiness.is_ready() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "starting", "reason": state.core.readiness.reason() })),
        )
            .into_response();
    }
    match crate::kernel::db::ping(&state.core.db, Duration::from_secs(2)).await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": format!("database: {reason}") })),
        )
            .into_response(),
    }
}
