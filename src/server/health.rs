//! `/healthz` (the process is up) and `/readyz` (the shop can serve: database answers).

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use serde_json::json;

use super::AppState;

pub async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
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
