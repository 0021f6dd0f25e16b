//! Attacks from outside: hostile text in the page head, limits raced by
//! simultaneous requests, open and crashing redirects after sign-in.

use std::sync::Arc;

use mongodb::bson::{doc, Document};
use oxcart::cart::types::CartView;
use serde_json::Value;
use tokio::sync::Barrier;

use crate::catalog::make_product;
use crate::helpers::{spawn_app, unique_email, Browser, TestApp, STRONG_PASSWORD};

const HOSTILE_TITLE: &str =
    r#"</title><meta http-equiv="refresh" content="0;url=https://evil.example/">"#;

/// The `<head>` of an HTML page.
fn head_of(html: &str) -> &str {
    let end = html.find("</head>").expect("the page has a head");
    &html[..end]
}

/// Fires `n` requests made by `make` at the same moment (a barrier releases them together).
async fn together<F, Fut>(n: usize, make: F) -> Vec<reqwest::Response>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = reqwest::Response> + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let fut = make(i);
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            fut.await
        }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.expect("request task"));
    }
    out
}

fn login_request(
    b: &Browser,
    email: &str,
    password: &str,
) -> impl std::future::Future<Output = reqwest::Response> + Send + 'static {
    let req = b
        .client
        .post(b.url("/api/accounts/login"))
        .form(&[("email", email), ("password", password)]);
    async move { req.send().await.unwrap() }
}

#[tokio::test]
async fn a_search_term_never_becomes_markup_in_the_page_head() {
    let app = spawn_app().await;
    let url = format!(
        "/products?q={}",
        oxcart::shared::text::url_encode(HOSTILE_TITLE)
    );
    let res = app.get(&url).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let head = head_of(&html);
    assert!(
        !head.contains("http-equiv=\"refresh\""),
        "a live refresh tag reached the head: {head}"
    );
    assert_eq!(head.matches("</title>").count(), 1, "{head}");
    assert!(head.contains("&lt;/title&gt;"), "{head}");
}

#[tokio::test]
async fn a_product_name_never_becomes_markup_in_the_page_head() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let id: String = admin
        .call_ok(
            "admin/products/save",
            &[
                ("form[name]", HOSTILE_TITLE),
                ("form[slug]", "hostile-title"),
                ("form[description]", "</title><script>alert(1)</script>"),
                ("form[price]", "12"),
                ("form[category_id]", ""),
                ("form[tags]", ""),
                ("form[stock]", "3"),
                ("form[status]", "active"),
            ],
        )
        .await;
    for path in [
        "/products/hostile-title".to_string(),
        format!("/admin/products/{id}"),
    ] {
        let res = admin.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.unwrap();
        let head = head_of(&html);
        assert!(!head.contains("http-equiv=\"refresh\""), "{path}: {head}");
        assert!(!head.contains("<script>alert"), "{path}: {head}");
        assert_eq!(head.matches("</title>").count(), 1, "{path}: {head}");
        // The body shows the name as text.
        assert!(html.contains("&lt;/title&gt;&lt;meta"), "{path}");
    }
}

#[tokio::test]
async fn simultaneous_wrong_passwords_are_each_counted() {
    let app = spawn_app().await;
    let (_, email) = app.customer().await;
    let b = app.browser();
    // 30 wrong passwords and the right one, all at once, from one address.
    let answers = together(31, |i| {
        let pw = if i == 15 {
            STRONG_PASSWORD.to_string()
        } else {
            format!("wrong guess number {i}")
        };
        login_request(&b, &email, &pw)
    })
    .await;
    let limited = answers.iter().filter(|r| r.status() == 429).count();
    let checked = answers.len() - limited;
    assert_eq!(
        checked,
        5,
        "exactly the per-account limit may be checked; statuses: {:?}",
        answers
            .iter()
            .map(|r| r.status().as_u16())
            .collect::<Vec<_>>()
    );
    for r in answers.iter().filter(|r| r.status() == 429) {
        assert!(r.headers().get("retry-after").is_some());
    }
}

#[tokio::test]
async fn simultaneous_sign_ups_and_reset_requests_are_each_counted() {
    let app = spawn_app().await;
    let b = app.browser();
    let answers = together(24, |_| {
        let req = b.client.post(b.url("/api/accounts/register")).form(&[
            ("name", "Rita Racer".to_string()),
            ("email", unique_email("racer")),
            ("password", STRONG_PASSWORD.to_string()),
        ]);
        async move { req.send().await.unwrap() }
    })
    .await;
    let ok = answers.iter().filter(|r| r.status().is_success()).count();
    let limited = answers.iter().filter(|r| r.status() == 429).count();
    assert_eq!((ok, limited), (20, 4), "20 sign-ups per address per hour");
    let users = app
        .state
        .core
        .db
        .collection::<Document>("users")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(users, 20);

    let email = unique_email("resetter");
    let answers = together(9, |_| {
        let req = b
            .client
            .post(b.url("/api/accounts/forgot-password"))
            .form(&[("email", email.as_str())]);
        async move { req.send().await.unwrap() }
    })
    .await;
    let ok = answers.iter().filter(|r| r.status() == 200).count();
    let limited = answers.iter().filter(|r| r.status() == 429).count();
    assert_eq!((ok, limited), (5, 4), "5 reset requests per account");
}

/// Signs in with `next` as a browser without JavaScript does; returns the redirect target.
async fn sign_in_location(app: &TestApp, email: &str, next: &str) -> (u16, String) {
    let b = app.browser();
    let res = b
        .post_form(
            "/api/accounts/login",
            "/login",
            &[
                ("email", email),
                ("password", STRONG_PASSWORD),
                ("next", next),
            ],
        )
        .await;
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    if status == 302 {
        // The sign-in took effect.
        assert!(
            b.summary().await.user.is_some(),
            "not signed in after {next:?}"
        );
    }
    (status, location)
}

#[tokio::test]
async fn sign_in_never_redirects_to_another_site() {
    let app = spawn_app().await;
    let (_, email) = app.customer().await;
    for hostile in [
        "/\t/evil.example/",
        "/%09/evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/%2F%2Fevil.example",
        "/ /evil.example",
        "/\r\n/evil.example",
        "evil.example",
    ] {
        let (status, location) = sign_in_location(&app, &email, hostile).await;
        assert_eq!(status, 302, "{hostile:?}");
        assert_eq!(location, "/", "{hostile:?} led to {location:?}");
    }
    // A real path of the shop is kept, query included.
    let (_, location) = sign_in_location(&app, &email, "/products?q=lamp&page=2").await;
    assert_eq!(location, "/products?q=lamp&page=2");
    // No `next`: the account page.
    let (_, location) = sign_in_location(&app, &email, "").await;
    assert_eq!(location, "/account");
}

#[tokio::test]
async fn control_characters_in_next_never_crash_sign_in_or_sign_up() {
    let app = spawn_app().await;
    let (_, email) = app.customer().await;
    for next in [
        "/\u{1}",
        "/\u{0}",
        "/\u{1b}[31m",
        "/\u{7f}",
        "/%01",
        "/a\u{85}b",
    ] {
        let (status, location) = sign_in_location(&app, &email, next).await;
        assert_eq!(status, 302, "{next:?}");
        assert_eq!(location, "/", "{next:?}");
    }
    let b = app.browser();
    let res = b
        .post_form(
            "/api/accounts/register",
            "/register",
            &[
                ("name", "Cora Control"),
                ("email", &unique_email("control")),
                ("password", STRONG_PASSWORD),
                ("next", "/\u{1}"),
            ],
        )
        .await;
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/");
    assert!(b.summary().await.user.is_some());
}

#[tokio::test]
async fn simultaneous_adds_never_pass_the_per_line_limit() {
    let app = spawn_app().await;
    let product = make_product(&app, "Racing Mug", 500, 1000).await;
    let b = app.browser();
    // Give the guest a cart first, so every add below targets the same cart.
    b.call_ok::<Value>("cart/add", &[("product_id", &product), ("quantity", "1")])
        .await;
    let answers = together(8, |_| {
        let req = b
            .client
            .post(b.url("/api/cart/add"))
            .form(&[("product_id", product.as_str()), ("quantity", "60")]);
        async move { req.send().await.unwrap() }
    })
    .await;
    let ok = answers.iter().filter(|r| r.status() == 200).count();
    assert_eq!(ok, 1, "only one add of 60 fits next to the 1 already there");
    for r in answers.into_iter().filter(|r| r.status() != 200) {
        assert_eq!(r.status(), 422);
        let body: Value = r.json().await.unwrap();
        assert!(
            body["message"].as_str().is_some(),
            "a clear message: {body}"
        );
    }
    let cart: CartView = b.call_ok("cart/get", &[]).await;
    assert_eq!(cart.lines.len(), 1);
    assert_eq!(cart.lines[0].quantity.get(), 61);
}

#[tokio::test]
async fn simultaneous_adds_of_new_products_never_pass_the_line_count() {
    let app = spawn_app().await;
    let max = oxcart::cart::types::MAX_CART_LINES;
    let mut ids = Vec::new();
    for i in 0..max + 6 {
        ids.push(make_product(&app, &format!("Line Filler {i}"), 100, 10).await);
    }
    let b = app.browser();
    for id in &ids[..max - 2] {
        b.call_ok::<Value>("cart/add", &[("product_id", id), ("quantity", "1")])
            .await;
    }
    let rest: Vec<String> = ids[max - 2..].to_vec();
    let answers = together(rest.len(), |i| {
        let req = b
            .client
            .post(b.url("/api/cart/add"))
            .form(&[("product_id", rest[i].as_str()), ("quantity", "1")]);
        async move { req.send().await.unwrap() }
    })
    .await;
    let ok = answers.iter().filter(|r| r.status() == 200).count();
    assert_eq!(ok, 2, "two more lines fit");
    assert!(answers
        .iter()
        .all(|r| r.status() == 200 || r.status() == 409));
    let cart: CartView = b.call_ok("cart/get", &[]).await;
    assert_eq!(cart.lines.len(), max);
}

#[tokio::test]
async fn an_image_upload_to_a_mangled_product_path_gets_a_clear_answer() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let res = admin
        .client
        .post(app.url("/admin/products/%0D%0AX-Evil:%201/images"))
        .header("accept", "text/html")
        .header("origin", &app.address)
        .multipart(reqwest::multipart::Form::new().text("alt", "x"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    assert!(res.headers().get("x-evil").is_none());
}
