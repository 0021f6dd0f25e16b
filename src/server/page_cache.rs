//! Rendered catalog pages for visitors without a session, kept in memory.
//!
//! The home page, the listing and search pages and product pages read only this
//! instance's in-memory catalog, so for a visitor with no session (no cart, not
//! signed in) the same address renders the same page until the catalog changes.
//! Such a page is rendered once, kept with the catalog generation it was made
//! from, and served again while that generation is current: any product or
//! category change (seen through the change stream within a second) makes every
//! kept page stale. Each answer gets a fresh CSP nonce, swapped into the kept
//! page, so no two answers share one. Requests with a session cookie (a cart, an
//! account) are always rendered, and nothing here is cacheable by browsers or
//! proxies (`Cache-Control: no-store` stays).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};

use super::AppState;

/// At most this many pages are kept (the oldest half goes when it is full).
const MAX_PAGES: usize = 1_000;
/// The largest page read for keeping (catalog pages are far smaller).
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

#[derive(Default)]
pub struct PageCache {
    pages: Mutex<Pages>,
}

#[derive(Default)]
struct Pages {
    by_key: HashMap<String, Arc<Kept>>,
    /// The serial of the next page kept.
    next: u64,
}

struct Kept {
    generation: u64,
    /// In order of keeping, for dropping the oldest.
    serial: u64,
    headers: HeaderMap,
    body: Bytes,
    /// The nonce the page was rendered with (swapped for a fresh one per answer).
    nonce: Option<String>,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageCache").finish_non_exhaustive()
    }
}

/// Catalog pages: the same for every visitor without a session.
fn cacheable_path(path: &str) -> bool {
    path == "/"
        || path == "/products"
        || path
            .strip_prefix("/products/")
            .is_some_and(|slug| !slug.is_empty() && !slug.contains('/'))
}

fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| {
            let name = c.trim().split('=').next().unwrap_or("");
            name == crate::kernel::session::COOKIE_NAME
                || name == crate::kernel::session::SECURE_COOKIE_NAME
        })
}

/// The nonce in a page's CSP header (`'nonce-…'`).
fn nonce_of(headers: &HeaderMap) -> Option<String> {
    let csp = headers
        .get(header::CONTENT_SECURITY_POLICY)?
        .to_str()
        .ok()?;
    let start = csp.find("'nonce-")? + "'nonce-".len();
    let len = csp[start..].find('\'')?;
    Some(csp[start..start + len].to_string())
}

fn fresh_nonce() -> String {
    use base64::Engine;
    let bytes: [u8; 18] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn swap(bytes: &[u8], old: &str, new: &str) -> Vec<u8> {
    let old = old.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(i) = find(rest, old) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(new.as_bytes());
        rest = &rest[i + old.len()..];
    }
    out.extend_from_slice(rest);
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl PageCache {
    fn get(&self, key: &str, generation: u64) -> Option<Arc<Kept>> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages
            .by_key
            .get(key)
            .filter(|k| k.generation == generation)
            .cloned()
    }

    fn keep(&self, key: String, mut kept: Kept) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.by_key.len() >= MAX_PAGES && !pages.by_key.contains_key(&key) {
            let mut serials: Vec<u64> = pages.by_key.values().map(|k| k.serial).collect();
            serials.sort_unstable();
            let cut = serials[serials.len() / 2];
            pages.by_key.retain(|_, k| k.serial > cut);
        }
        kept.serial = pages.next;
        pages.next += 1;
        pages.by_key.insert(key, Arc::new(kept));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.pages.lock().unwrap().by_key.len()
    }
}

fn answer(kept: &Kept) -> Response {
    let (body, csp) = match &kept.nonce {
        Some(old) => {
            let new = fresh_nonce();
            let body = Bytes::from(swap(&kept.body, old, &new));
            let csp = kept
                .headers
                .get(header::CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| HeaderValue::from_str(&v.replace(old.as_str(), &new)).ok());
            (body, csp)
        }
        None => (kept.body.clone(), None),
    };
    let mut res = Response::new(Body::from(body));
    *res.headers_mut() = kept.headers.clone();
    if let Some(csp) = csp {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    res
}

/// Serves a kept page when there is a current one; keeps what it renders.
pub async fn serve(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET
        || !cacheable_path(req.uri().path())
        || has_session_cookie(req.headers())
    {
        return next.run(req).await;
    }
    let key = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let search = &state.catalog.search;
    let generation = search.generation();
    let cache = &state.pages;
    if let Some(kept) = cache.get(&key, generation) {
        return answer(&kept);
    }
    let res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if res.status() != StatusCode::OK || !html || res.headers().contains_key(header::SET_COOKIE) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!("a page could not be read for keeping: {e}");
            let mut res = Response::new(Body::from("The page could not be sent; reload it."));
            *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            return res;
        }
    };
    let kept = Kept {
        generation,
        serial: 0,
        nonce: nonce_of(&parts.headers),
        headers: parts.headers.clone(),
        body: bytes.clone(),
    };
    cache.keep(key, kept);
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_catalog_pages_without_a_session_are_kept() {
        assert!(cacheable_path("/"));
        assert!(cacheable_path("/products"));
        assert!(cacheable_path("/products/oak-lamp"));
        assert!(!cacheable_path("/products/"));
        assert!(!cacheable_path("/products/oak-lamp/reviews"));
        assert!(!cacheable_path("/cart"));
        assert!(!cacheable_path("/admin/products"));
        let mut h = HeaderMap::new();
        assert!(!has_session_cookie(&h));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; oxcart_session=abc"),
        );
        assert!(has_session_cookie(&h));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("oxcart_sessionx=1"),
        );
        assert!(!has_session_cookie(&h));
    }

    #[test]
    fn every_answer_gets_its_own_nonce() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("script-src 'self' 'nonce-AAAA1111' 'wasm-unsafe-eval'"),
        );
        assert_eq!(nonce_of(&headers).as_deref(), Some("AAAA1111"));
        let kept = Kept {
            generation: 1,
            serial: 1,
            nonce: nonce_of(&headers),
            headers,
            body: Bytes::from_static(b"<script nonce=\"AAAA1111\">a</script><p>AAAA1111</p>"),
        };
        let one = answer(&kept);
        let two = answer(&kept);
        let csp = |r: &Response| {
            r.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_string()
        };
        let (n1, n2) = (
            nonce_of(one.headers()).unwrap(),
            nonce_of(two.headers()).unwrap(),
        );
        assert_ne!(n1, n2);
        assert_ne!(n1, "AAAA1111");
        assert!(csp(&one).contains(&format!("'nonce-{n1}'")));
        assert_eq!(
            swap(b"x AAAA1111 y AAAA1111", "AAAA1111", &n1),
            format!("x {n1} y {n1}").into_bytes()
        );
    }

    #[test]
    fn a_full_cache_drops_its_oldest_half() {
        let cache = PageCache::default();
        for i in 0..MAX_PAGES + 1 {
            cache.keep(
                format!("/products/p{i}"),
                Kept {
                    generation: 7,
                    serial: 0,
                    nonce: None,
                    headers: HeaderMap::new(),
                    body: Bytes::from_static(b"page"),
                },
            );
        }
        assert!(cache.len() <= MAX_PAGES / 2 + 1);
        assert!(cache.get(&format!("/products/p{MAX_PAGES}"), 7).is_some());
        assert!(cache.get("/products/p0", 7).is_none());
        assert!(
            cache.get(&format!("/products/p{MAX_PAGES}"), 8).is_none(),
            "another generation is stale"
        );
    }
}
