//! The HTTP status and headers of the page being rendered (a no-op in the browser).

/// Sets the HTTP status of the page being rendered on the server.
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(
            http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// Adds `Retry-After` to the page being rendered on the server (503 and 429 pages).
pub fn set_retry_after(secs: u64) {
    #[cfg(feature = "ssr")]
    if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(v) = http::HeaderValue::from_str(&secs.to_string()) {
            res.insert_header(http::header::RETRY_AFTER, v);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = secs;
}
