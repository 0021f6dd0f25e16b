//! The shell: server-rendered pages, 404, security headers, config errors.

use std::process::Command;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn home_page_is_rendered_on_the_server() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert!(res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\""), "lang attribute");
    assert!(html.contains("<title>"), "a title");
    assert!(html.contains("name=\"description\""), "a meta description");
    assert!(
        html.contains("action=\"/products\""),
        "search form posts to /products"
    );
    assert!(html.contains("/pkg/oxcart.js"), "hydration script");
}

#[tokio::test]
async fn unknown_page_is_a_real_404() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("Page not found"));
    assert!(html.contains("<title>Page not found"));
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    let h = res.headers().clone();
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
    assert!(h.get("referrer-policy").is_some());
    let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(
        csp.contains("script-src 'self' 'nonce-"),
        "nonce-based CSP: {csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    let html = res.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "inline script carries the nonce"
    );
}

#[tokio::test]
async fn cross_origin_post_is_refused() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/anything"))
        .header("origin", "https://evil.example")
        .body("x=1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("another website"));
}

#[tokio::test]
async fn oversized_body_gets_413_with_a_message() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/anything"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("too large"));
}

fn oxcart_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_oxcart"))
}

#[test]
fn bad_setting_stops_start_with_a_message_naming_it() {
    let out = oxcart_bin()
        .arg("check-config")
        .env("OXCART_SITE_ADDR", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("site_addr"), "{err}");
    assert!(err.contains("OXCART_SITE_ADDR"), "{err}");
}

#[test]
fn config_file_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("oxcart-cfg-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    std::fs::write(&path, "smtp_port = \"seventy\"\n").unwrap();
    let out = oxcart_bin()
        .arg("check-config")
        .env("OXCART_CONFIG", &path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("smtp_port") && err.contains("bad.toml"),
        "{err}"
    );
}

#[test]
fn secrets_are_not_printed() {
    let out = oxcart_bin()
        .arg("check-config")
        .env("MONGODB_URI", "mongodb://ann:hunter2secret@127.0.0.1:1/")
        .output()
        .unwrap();
    assert!(out.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("hunter2secret"), "{all}");
    assert!(all.contains("ann:****@"), "{all}");
}

#[test]
fn help_explains_each_command() {
    let out = oxcart_bin().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("serve") && text.contains("check-config"),
        "{text}"
    );
}

#[tokio::test]
async fn the_bundle_is_served_precompressed_and_kept_by_browsers_for_a_year() {
    use std::io::Read;
    let site = std::env::temp_dir().join(format!(
        "oxcart-site-{}",
        mongodb::bson::oid::ObjectId::new()
    ));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let js = "export function hydrate() { return 'oxcart'; }\n".repeat(200);
    let hashed = "oxcart.AbCdEfGhIjKlMnOpQr_-12.js";
    std::fs::write(pkg.join(hashed), &js).unwrap();
    std::fs::write(pkg.join("plain.js"), "let a = 1;").unwrap();
    oxcart::server::assets::compress_dir(&pkg).unwrap();
    let app = spawn_app_with(&[("OXCART_SITE_ROOT", site.to_str().unwrap())]).await;
    let fetch = |path: String, encoding: Option<&'static str>| {
        let client = crate::helpers::new_client();
        let url = app.url(&path);
        async move {
            let mut req = client.get(url);
            if let Some(e) = encoding {
                req = req.header("accept-encoding", e);
            }
            req.send().await.unwrap()
        }
    };
    let header = |res: &reqwest::Response, name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };

    let br = fetch(format!("/pkg/{hashed}"), Some("br, gzip")).await;
    assert_eq!(br.status(), 200);
    assert_eq!(header(&br, "content-encoding"), "br");
    assert_eq!(
        header(&br, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&br, "vary")
        .to_lowercase()
        .contains("accept-encoding"));
    let mut unpacked = Vec::new();
    brotli::BrotliDecompress(
        &mut std::io::Cursor::new(br.bytes().await.unwrap()),
        &mut unpacked,
    )
    .unwrap();
    assert_eq!(unpacked, js.as_bytes());

    let gz = fetch(format!("/pkg/{hashed}"), Some("gzip")).await;
    assert_eq!(header(&gz, "content-encoding"), "gzip");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::io::Cursor::new(gz.bytes().await.unwrap()))
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, js);

    let raw = fetch(format!("/pkg/{hashed}"), None).await;
    assert_eq!(header(&raw, "content-encoding"), "");
    assert_eq!(raw.text().await.unwrap(), js);

    // A file without a content hash in its name must be checked again.
    let plain = fetch("/pkg/plain.js".into(), None).await;
    assert_eq!(
        header(&plain, "cache-control"),
        "public, max-age=300, must-revalidate"
    );
    // Pages are never kept by browsers or proxies.
    assert_eq!(
        header(&fetch("/".into(), None).await, "cache-control"),
        "no-store"
    );
    assert_eq!(fetch("/pkg/missing.js".into(), None).await.status(), 404);
    std::fs::remove_dir_all(&site).unwrap();
}
