//! Structured logs: one line per request with method, path, status, latency and request id.

use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::{header, StatusCode};
use tracing_subscriber::EnvFilter;

use crate::kernel::config::LogFormat;

/// Installs the global subscriber. `RUST_LOG` overrides the default filter.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tantivy=warn,mongodb=warn,hyper=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Logs each request once it is answered. Only the path is logged, never the query
/// string (it can carry reset tokens or search terms) nor any header or body.
pub async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(%method, %path, status, latency_ms, %request_id, "request");
    } else if path == "/healthz" || path == "/readyz" || path.starts_with("/pkg/") {
        tracing::debug!(%method, %path, status, latency_ms, %request_id, "request");
    } else {
        tracing::info!(%method, %path, status, latency_ms, %request_id, "request");
    }
    res
}

/// What a request that panicked gets: a plain page, the detail stays in the log.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = if let Some(s) = err.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = err.downcast_ref::<&str>() {
        s.to_string()
    } else {
        "unknown panic".to_string()
    };
    tracing::error!(panic = %detail, "request handler panicked");
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Body::from(ERROR_HTML))
        .expect("static response")
}

const ERROR_HTML: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Something went wrong · oxcart</title>\
<meta name=\"description\" content=\"An unexpected error happened in the shop.\">\
<link rel=\"stylesheet\" href=\"/pkg/oxcart.css\"></head><body><main id=\"main\">\
<section class=\"notice-page\"><h1>Something went wrong</h1>\
<p>Something went wrong on our side. Please try again.</p>\
<p><a href=\"/\">Go to the home page</a></p></section></main></body></html>";
