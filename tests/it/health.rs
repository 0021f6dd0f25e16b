//! Liveness and readiness, including a database that goes away and comes back.

use std::time::Duration;

use crate::helpers::{eventually, spawn_app, spawn_app_unready, DatabaseServer};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_is_ready_when_the_database_answers() {
    let app = spawn_app().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readyz_follows_the_database_down_and_up_again() {
    let mut db = DatabaseServer::new();
    db.start().await;
    let app = spawn_app_unready(&db.uri(), &[]).await;
    app.wait_ready(Duration::from_secs(30)).await;
    assert_eq!(app.get("/readyz").await.status(), 200);

    db.stop().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert!(
        body["reason"].as_str().unwrap().starts_with("database"),
        "reason names the database: {body}"
    );
    // Liveness is not readiness: the process is still fine.
    assert_eq!(app.get("/healthz").await.status(), 200);

    db.start().await;
    let back = eventually(Duration::from_secs(30), || async {
        app.get("/readyz").await.status() == 200
    })
    .await;
    assert!(back, "readyz did not recover after the database came back");
}

#[tokio::test]
async fn database_down_at_start_serves_503_until_it_comes_up() {
    let mut db = DatabaseServer::new();
    let app = spawn_app_unready(&db.uri(), &[]).await;

    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "starting");
    let page = app.get("/").await;
    assert_eq!(page.status(), 503);
    assert!(page.text().await.unwrap().contains("starting up"));
    assert_eq!(app.get("/healthz").await.status(), 200);

    db.start().await;
    app.wait_ready(Duration::from_secs(40)).await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    assert_eq!(app.get("/").await.status(), 200);
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let app = spawn_app().await;
    let res = app.get("/healthz").await;
    let id = res
        .headers()
        .get("x-request-id")
        .expect("x-request-id header");
    assert!(!id.is_empty());
}
