//! A database outage while the shop runs: pages that need the database answer the
//! shop's 503 page with Retry-After within one short deadline, never a 200 that
//! shows a signed-in shopper as signed out; pages served from memory keep working
//! for guests; everything comes back by itself.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::catalog::make_product;
use crate::helpers::{eventually, spawn_app_unready, DatabaseServer};

#[tokio::test]
async fn during_an_outage_pages_answer_503_quickly_and_never_pretend_a_sign_out() {
    let mut db = DatabaseServer::new();
    db.start().await;
    let app = spawn_app_unready(&db.uri(), &[]).await;
    app.wait_ready(Duration::from_secs(30)).await;
    let product = make_product(&app, "Outage Teapot", 3200, 5).await;
    let (shopper, _) = app.customer().await;
    shopper
        .call_ok::<Value>("cart/add", &[("product_id", &product), ("quantity", "1")])
        .await;
    let guest = app.browser();
    guest
        .call_ok::<Value>("cart/add", &[("product_id", &product), ("quantity", "2")])
        .await;
    let stranger = app.browser();

    db.stop().await;

    // A page that needs the database: the shop's 503 page, quickly, with Retry-After.
    for (who, b, path) in [
        ("shopper", &shopper, "/account"),
        ("shopper", &shopper, "/account/orders"),
        ("guest with a cart", &guest, "/cart"),
    ] {
        let started = Instant::now();
        let res = b.get(path).await;
        let took = started.elapsed();
        assert_eq!(res.status(), 503, "{who} {path}");
        assert!(res.headers().get("retry-after").is_some(), "{who} {path}");
        let html = res.text().await.unwrap();
        assert!(
            html.to_lowercase().contains("temporarily unavailable"),
            "{who} {path}: {html}"
        );
        assert!(
            took < Duration::from_millis(4500),
            "{who} {path} took {took:?}"
        );
    }

    // A page served from memory still works; a signed-in shopper is not shown as
    // signed out while the shop cannot tell.
    let res = shopper.get("/products?q=teapot").await;
    let status = res.status();
    let html = res.text().await.unwrap();
    if status == 200 {
        assert!(html.contains("Outage Teapot"), "{html}");
        assert!(
            !html.contains("href=\"/login\""),
            "a signed-in shopper must not see a sign-in link: {html}"
        );
        assert!(html.contains("Account temporarily unavailable"), "{html}");
    } else {
        assert_eq!(status, 503);
    }
    // A new visitor browses the catalog from memory.
    let res = stranger.get("/products?q=teapot").await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Outage Teapot"));
    assert_eq!(stranger.get("/").await.status(), 200);

    // The app's calls get a 503 with Retry-After too.
    let res = shopper.call("cart/get", &[]).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().get("retry-after").is_some());

    db.start().await;
    let back = eventually(Duration::from_secs(30), || async {
        shopper.get("/account").await.status() == 200
    })
    .await;
    assert!(
        back,
        "the shop did not recover after the database came back"
    );
    let cart: oxcart::cart::types::CartView = guest.call_ok("cart/get", &[]).await;
    assert_eq!(cart.lines.len(), 1, "the guest's cart survived");
}
