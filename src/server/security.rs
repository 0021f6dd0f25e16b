//! Response security headers, the page Content-Security-Policy, and the
//! cross-origin check for state-changing requests.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};

use super::AppState;

/// Headers every response carries (unless a handler set its own).
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(
        h,
        header::REFERRER_POLICY,
        "strict-origin-when-cross-origin",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        h,
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    // Non-page responses (static files, JSON) get the strictest policy.
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; img-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    if state.settings.public_url.scheme() == "https" {
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}

/// Called while rendering a page: sets a CSP that allows only our own scripts plus
/// the inline hydration script carrying this response's nonce.
pub fn set_page_csp() {
    use leptos::prelude::use_context;
    let Some(res) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let nonce = leptos::nonce::use_nonce()
        .map(|n| format!(" 'nonce-{n}'"))
        .unwrap_or_default();
    let form_action = use_context::<AppState>()
        .map(|s| payment_form_action(&s))
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

/// Forms may redirect to the payment page (Stripe Checkout, or the local test double).
fn payment_form_action(state: &AppState) -> String {
    match &state.settings.stripe.api_base {
        Some(url) => format!(" {}", url.origin().ascii_serialization()),
        None => " https://checkout.stripe.com".to_string(),
    }
}

/// Paths that are authenticated by other means (a signature) and are called by other sites.
fn exempt_from_origin_check(path: &str) -> bool {
    path == "/stripe/webhook"
}

/// Refuses state-changing requests that a browser sent from another site
/// (Origin, then Referer, then Sec-Fetch-Site), on top of SameSite cookies.
pub async fn refuse_cross_origin(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if safe || exempt_from_origin_check(req.uri().path()) {
        return next.run(req).await;
    }
    let public_origin = state.settings.public_origin();
    if is_same_origin(req.headers(), &public_origin) {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), "refused a cross-origin state-changing request");
        (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "This request came from another website and was refused to protect your account. \
             If you submitted a form, go back to the shop, reload the page and try again.",
        )
            .into_response()
    }
}

/// True when the request was sent by a page of this shop (or by a non-browser client,
/// which sends none of these headers and cannot carry a victim's cookies).
pub fn is_same_origin(headers: &HeaderMap, public_origin: &str) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let matches = |origin: &str| -> bool {
        if origin == public_origin {
            return true;
        }
        // Same host as the request was sent to (covers localhost vs 127.0.0.1,
        // and TLS terminated by a proxy in front of us).
        match url::Url::parse(origin) {
            Ok(u) => {
                let Some(h) = u.host_str() else { return false };
                let origin_host = match u.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_string(),
                };
                !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
            }
            Err(_) => false,
        }
    };
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin.to_str().map(matches).unwrap_or(false);
    }
    if let Some(referer) = headers.get(header::REFERER) {
        return referer
            .to_str()
            .ok()
            .and_then(|r| url::Url::parse(r).ok())
            .map(|u| matches(&u.origin().ascii_serialization()))
            .unwrap_or(false);
    }
    !matches!(
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
        Some("cross-site") | Some("same-site")
    )
}

/// tower-http answers an oversized body with a bare 413; say what happened.
pub async fn explain_too_large(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::PAYLOAD_TOO_LARGE
        || res.headers().contains_key(header::CONTENT_TYPE)
            && res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
    {
        return res;
    }
    crate::error::AppError::PayloadTooLarge(format!(
        "requests to this shop may be at most {} KB",
        super::MAX_FORM_BODY / 1024
    ))
    .into_response()
}
