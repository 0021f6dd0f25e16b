//! What server functions and pages need from the web layer: the shop's services
//! from the request context, redirects that never panic, the response status,
//! the page's Content-Security-Policy, and the client's address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use leptos::prelude::use_context;

use super::error::{Error, Result};

/// A service the composition root put into the request context (the core
/// services, the catalog, the payment gateway, the account directory).
pub fn context<T: Clone + Send + Sync + 'static>() -> Result<T> {
    use_context::<T>().ok_or_else(|| {
        Error::internal(format!(
            "{} missing from the request context",
            std::any::type_name::<T>()
        ))
    })
}

/// Redirects the current server-function call (a plain form post gets a 302, the
/// app a redirect header). Never panics: `leptos_axum::redirect` would on a location
/// that is not a valid header value, so such a location is logged and replaced by
/// `/`. Locations built from input must be checked first (`accounts::types::safe_next`).
pub fn redirect(location: &str) {
    if HeaderValue::from_str(location).is_ok() {
        leptos_axum::redirect(location);
    } else {
        tracing::error!("refused to redirect to a location that is not a valid header value");
        leptos_axum::redirect("/");
    }
}

/// A redirect response for plain axum handlers, with the same guarantee as [`redirect`].
pub fn redirect_response(location: &str) -> Response {
    if HeaderValue::from_str(location).is_ok() {
        axum::response::Redirect::to(location).into_response()
    } else {
        tracing::error!("refused to redirect to a location that is not a valid header value");
        axum::response::Redirect::to("/").into_response()
    }
}

/// Sets the HTTP status of the page being rendered.
pub fn set_status(code: u16) {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    }
}

/// True when the request asks for an HTML page (a browser's form post or page
/// load), not a JSON answer.
pub fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// True when a plain HTML form (no JavaScript) made this request.
pub fn is_plain_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|p| accepts_html(&p.headers))
}

/// Called while rendering a page: a CSP that allows only our own scripts plus the
/// inline hydration script carrying this response's nonce, and forms that may go
/// to the payment page.
pub fn set_page_csp() {
    let Some(res) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let nonce = leptos::nonce::use_nonce()
        .map(|n| format!(" 'nonce-{n}'"))
        .unwrap_or_default();
    let form_action = use_context::<super::Core>()
        .map(|core| match &core.settings.stripe.api_base {
            Some(url) => format!(" {}", url.origin().ascii_serialization()),
            None => " https://checkout.stripe.com".to_string(),
        })
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
         base-uri 'self'; frame-ancestors 'none'; form-action 'self'{form_action}"
    );
    if let Ok(v) = HeaderValue::from_str(&policy) {
        res.insert_header(header::CONTENT_SECURITY_POLICY, v);
    }
}

/// The client's address: the socket peer, or the right-most `X-Forwarded-For` hop
/// when the operator said a trusted proxy sets it.
pub async fn client_ip(trust_proxy: bool) -> IpAddr {
    if trust_proxy {
        if let Some(parts) = use_context::<http::request::Parts>() {
            if let Some(ip) = forwarded_ip(&parts.headers) {
                return ip;
            }
        }
    }
    match leptos_axum::extract::<ConnectInfo<SocketAddr>>().await {
        Ok(ConnectInfo(addr)) => addr.ip(),
        Err(_) => IpAddr::from([0, 0, 0, 0]),
    }
}

pub fn forwarded_ip(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        // The right-most hop is the one our own proxy appended; earlier ones are client-supplied.
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse().ok())
}
