//! The middleware around every request: security headers, the cross-origin check
//! for state-changing requests, cache headers, and the clear answers Leptos and
//! tower-http do not give by themselves (status codes of failed server functions,
//! oversized bodies).

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};

use super::AppState;
use crate::kernel::error::{http_status, retry_after};
use crate::shared::AppError;

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
    if state.core.settings.public_url.scheme() == "https" {
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}

/// Paths that are authenticated by other means (a signature) and are called by other sites.
fn exempt_from_origin_check(path: &str) -> bool {
    path == crate::payments::WEBHOOK_PATH
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
    let public_origin = state.core.settings.public_origin();
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
    AppError::PayloadTooLarge(format!(
        "requests to this shop may be at most {} KB",
        super::router::MAX_FORM_BODY / 1024
    ))
    .into_response()
}

/// Leptos answers every failed server function with 500. Our error type knows its
/// status: read it back from the body so callers see 400/401/403/404/409/422/429/503.
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_server_fn
        || res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    };
    if let Some(err) = crate::shared::error::decode_error_body(&bytes) {
        parts.status = http_status(&err);
        if let Some(secs) = retry_after(&err) {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                parts.headers.insert(header::RETRY_AFTER, v);
            }
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A server-function form posted without JavaScript is sent back to its page
/// (Leptos redirects to the Referer, with `__err` on failure). On success this
/// adds `__done=<server function path>` to that address, so the page can say
/// what happened (`ui::forms::success_message`) instead of showing itself
/// unchanged. Redirects elsewhere (after signing in, to payment) are left alone.
pub async fn mark_done(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let candidate = req.method() == Method::POST
        && path.starts_with("/api/")
        && crate::kernel::web::accepts_html(req.headers());
    let referer_path = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.parse::<http::Uri>().ok())
        .map(|u| u.path().to_string());
    let mut res = next.run(req).await;
    if !candidate || res.status() != StatusCode::FOUND {
        return res;
    }
    let Some(location) = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|l| l.parse::<http::Uri>().ok())
    else {
        return res;
    };
    let failed = location
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("__err=")));
    if failed || referer_path.as_deref() != Some(location.path()) {
        return res;
    }
    let mut query: Vec<&str> = location
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| {
            let key = kv.split_once('=').map_or(*kv, |(k, _)| k);
            !kv.is_empty() && !matches!(key, "__err" | "__path" | "__done")
        })
        .collect();
    let done = format!(
        "{}={}",
        crate::ui::forms::DONE_PARAM,
        crate::shared::text::url_encode(&path)
    );
    query.push(&done);
    // The origin stays as Leptos wrote it: a bare path beginning "//" would
    // otherwise read as another host.
    let origin = match (location.scheme_str(), location.authority()) {
        (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
        _ if location.path().starts_with("//") || location.path().starts_with("/\\") => return res,
        _ => String::new(),
    };
    let to = format!("{origin}{}?{}", location.path(), query.join("&"));
    if let Ok(v) = HeaderValue::from_str(&to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A picture over the limit gets a clear answer (and the form a redirect back).
pub async fn explain_upload_too_large(req: Request, next: Next) -> Response {
    let wants_html = crate::kernel::web::accepts_html(req.headers());
    let path = req.uri().path();
    let product_form = path == "/admin/products/save";
    let back = if product_form {
        // The product form: back to the page it was sent from (same origin only;
        // cross-origin posts are refused before this).
        req.headers()
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| r.parse::<http::Uri>().ok())
            .map(|u| u.path().to_string())
            .filter(|p| p.starts_with("/admin/products/"))
            .unwrap_or_else(|| "/admin/products/new".to_string())
    } else {
        path.trim_end_matches("/images").to_string()
    };
    let res = next.run(req).await;
    if res.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return res;
    }
    let message = format!(
        "pictures may be at most {} MB",
        crate::catalog::images::MAX_IMAGE_BYTES / (1024 * 1024)
    );
    if wants_html && product_form {
        crate::kernel::web::redirect_response(&crate::catalog::editor::with_error(
            &back,
            AppError::field(
                "pictures",
                format!(
                    "That was too much to send at once: one save takes at most {} pictures of up to {} MB each. Nothing was saved.",
                    crate::catalog::api::MAX_PICTURES_PER_SAVE,
                    crate::catalog::images::MAX_IMAGE_BYTES / (1024 * 1024)
                ),
            ),
        ))
    } else if wants_html {
        crate::kernel::web::redirect_response(&format!(
            "{back}?image_error={}",
            crate::shared::text::url_encode(&format!("That file is too large: {message}."))
        ))
    } else {
        AppError::PayloadTooLarge(message).into_response()
    }
}

/// The bundle's content-hashed files are cached for a year; other static files
/// may be cached but must be revalidated; pages and API answers are private to
/// the person.
pub async fn cache_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let mut res = next.run(req).await;
    if res.headers().contains_key(header::CACHE_CONTROL) {
        return res;
    }
    let value = match path.strip_prefix("/pkg/") {
        // Named by content: a new build has new names.
        Some(file) if super::assets::is_content_hashed(file.rsplit('/').next().unwrap_or(file)) => {
            "public, max-age=31536000, immutable"
        }
        Some(_) => "public, max-age=300, must-revalidate",
        None if path.starts_with("/favicon") => "public, max-age=300, must-revalidate",
        None => "no-store",
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    if path.starts_with("/pkg/") {
        // The same address answers brotli, gzip or plain bytes.
        res.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    res
}

/// How long a page or server function may take before the shop answers 503.
/// Database calls give up after `kernel::db::SERVER_SELECTION_TIMEOUT` (2 s), so a
/// page that needs an unreachable database fails fast, and one deadline caps
/// pages that would otherwise wait for several calls in turn.
pub const PAGE_DEADLINE: Duration = Duration::from_secs(4);
/// For calls that talk to the payment provider (its own timeout is 20 s).
pub const PAYMENT_DEADLINE: Duration = Duration::from_secs(25);

fn deadline_for(path: &str) -> Option<Duration> {
    if path == "/admin/products/save"
        || (path.starts_with("/admin/products/") && path.ends_with("/images"))
    {
        // Uploads stream the body: the client's network speed is not ours to cap.
        return None;
    }
    match path {
        "/api/payments/pay" | "/api/admin/orders/status" | "/api/checkout/place-order" => {
            Some(PAYMENT_DEADLINE)
        }
        p if p == crate::payments::WEBHOOK_PATH => Some(PAYMENT_DEADLINE),
        _ => Some(PAGE_DEADLINE),
    }
}

/// Every request answers within its deadline: when the database does not answer,
/// the person gets the "temporarily unavailable" page (or error) with
/// `Retry-After` instead of a page that hangs.
pub async fn deadline(req: Request, next: Next) -> Response {
    let Some(limit) = deadline_for(req.uri().path()) else {
        return next.run(req).await;
    };
    let api = req.uri().path().starts_with("/api/");
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(
                deadline_ms = limit.as_millis() as u64,
                "request ran out of time; answering 503"
            );
            unavailable(api)
        }
    }
}

/// The 503 answer: the shop's page for people, the error JSON for the app.
pub fn unavailable(api: bool) -> Response {
    use leptos::server_fn::Encodes;
    let retry = crate::kernel::error::UNAVAILABLE_RETRY_SECS.to_string();
    if api {
        let body = crate::shared::error::ErrorJson::encode(&AppError::Unavailable)
            .map(|b| b.to_vec())
            .unwrap_or_default();
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (header::RETRY_AFTER, retry),
            ],
            body,
        )
            .into_response();
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (header::RETRY_AFTER, retry),
        ],
        UNAVAILABLE_HTML,
    )
        .into_response()
}

const UNAVAILABLE_HTML: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Temporarily unavailable · oxcart</title>\
<meta name=\"description\" content=\"The shop is temporarily unavailable.\">\
<link rel=\"stylesheet\" href=\"/pkg/oxcart.css\"></head><body><main id=\"main\">\
<section class=\"notice-page\"><h1>Temporarily unavailable</h1>\
<p>The shop cannot reach its database right now. Nothing you did was lost; please try again in a moment.</p>\
<p><a href=\"/\">Go to the home page</a></p></section></main></body></html>";
