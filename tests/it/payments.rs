//! Payments against the local Stripe over real HTTP: sessions with the order's
//! amounts, the hosted page with test cards, verified and idempotent webhooks,
//! expiry and refunds.

use mongodb::bson::{doc, oid::ObjectId, Document};
use oxcart::orders::types::{OrderStatus, OrderView};
use oxcart_stripe_local::signature_header;
use serde_json::{json, Value};

use crate::catalog::make_product;
use crate::helpers::{spawn_app_with_stripe, Browser, TestApp, STRIPE_KEY, WEBHOOK_SECRET};
use crate::orders::{place_ok, stock_of};

/// A customer with a placed order of `qty` × a new product; returns the order id and product id.
async fn order_for(
    app: &TestApp,
    price: i64,
    stock: i64,
    qty: &str,
) -> (Browser, String, String, String) {
    let product = make_product(
        app,
        &format!("Paid Thing {}", &ObjectId::new().to_hex()[18..]),
        price,
        stock,
    )
    .await;
    let (b, email) = app.customer().await;
    b.call_ok::<Value>("cart/add", &[("product_id", &product), ("quantity", qty)])
        .await;
    let order = place_ok(&b).await;
    (b, order, product, email)
}

/// Starts payment; returns the hosted page URL.
async fn pay(b: &Browser, order: &str) -> String {
    let res = b.call("payments/pay", &[("order_id", order)]).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn session_of(stripe: &str, url: &str) -> Value {
    let id = url.rsplit('/').next().unwrap();
    reqwest::Client::new()
        .get(format!("{stripe}/v1/checkout/sessions/{id}"))
        .bearer_auth(STRIPE_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn submit_card(url: &str, card: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(url)
        .form(&[
            ("card_number", card),
            ("expiry", "12 / 34"),
            ("cvc", "123"),
            ("name", "Robin Reed"),
            ("email", ""),
        ])
        .send()
        .await
        .unwrap()
}

async fn status_of(b: &Browser, order: &str) -> OrderStatus {
    let o: OrderView = b.call_ok("orders/get", &[("id", order)]).await;
    o.status
}

#[tokio::test]
async fn checkout_session_carries_the_orders_exact_amounts() {
    let (app, stripe) = spawn_app_with_stripe().await;
    let (b, order, _, email) = order_for(&app, 1999, 10, "3").await;
    let url = pay(&b, &order).await;
    assert!(url.starts_with(&format!("{stripe}/pay/cs_test_")), "{url}");
    let session = session_of(&stripe, &url).await;
    assert_eq!(session["amount_total"], 3 * 1999);
    assert_eq!(session["currency"], "usd");
    assert_eq!(session["mode"], "payment");
    assert_eq!(session["metadata"]["order_id"], order);
    assert_eq!(session["customer_email"], email);
    // Paying again reuses the same session (idempotent).
    assert_eq!(pay(&b, &order).await, url);
}

#[tokio::test]
async fn paying_with_the_test_card_marks_the_order_paid_and_mails_once() {
    let (app, _stripe) = spawn_app_with_stripe().await;
    let inbox = app.inbox();
    let (b, order, product, email) = order_for(&app, 2500, 5, "2").await;
    let url = pay(&b, &order).await;
    let page = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(page.contains("$50.00"), "hosted page shows the total");

    let res = submit_card(&url, "4242 4242 4242 4242").await;
    assert_eq!(res.status(), 303);
    let success = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        success.starts_with(&app.url(&format!(
            "/checkout/success?order={order}&session_id=cs_test_"
        ))),
        "{success}"
    );

    assert_eq!(status_of(&b, &order).await, OrderStatus::Paid);
    let html = b
        .get(&success.replace(&app.address, ""))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Your payment was received"),
        "success page shows paid"
    );
    let mail = inbox.wait_for(&email, "is confirmed", 1).await;
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("OX-") && text.contains("$50.00") && text.contains("12 Orchard Lane"),
        "{text}"
    );
    // Units are sold: stock stays reduced, no reservation left behind.
    assert_eq!(stock_of(&app, &product).await, 3);
    let p = app
        .state
        .core
        .db
        .collection::<Document>("products")
        .find_one(doc! { "_id": ObjectId::parse_str(&product).unwrap() })
        .await
        .unwrap()
        .unwrap();
    assert!(p.get_array("reservations").unwrap().is_empty());
    // Nothing else is queued: exactly one confirmation.
    assert_eq!(inbox.count(&email, "is confirmed").await, 1);
}

#[tokio::test]
async fn a_declined_card_leaves_the_order_unpaid_and_retryable() {
    let (app, _stripe) = spawn_app_with_stripe().await;
    let (b, order, _, _) = order_for(&app, 1000, 5, "1").await;
    let url = pay(&b, &order).await;
    let declined = submit_card(&url, "4000 0000 0000 0002").await;
    assert_eq!(declined.status(), 402);
    assert!(declined
        .text()
        .await
        .unwrap()
        .contains("Your card was declined."));
    assert_eq!(status_of(&b, &order).await, OrderStatus::AwaitingPayment);
    let cancelled_return = b
        .get(&format!("/account/orders/{order}?payment=cancelled"))
        .await
        .text()
        .await
        .unwrap();
    assert!(cancelled_return.contains("Pay now"));
    // Retry works.
    let again = pay(&b, &order).await;
    assert_eq!(submit_card(&again, "4242424242424242").await.status(), 303);
    assert_eq!(status_of(&b, &order).await, OrderStatus::Paid);
}

/// A completed-session event for `order`, built like Stripe would.
async fn completed_event(stripe: &str, b: &Browser, order: &str) -> String {
    let url = pay(b, order).await;
    let mut session = session_of(stripe, &url).await;
    session["status"] = json!("complete");
    session["payment_status"] = json!("paid");
    session["payment_intent"] = json!("pi_test_manual");
    json!({
        "id": format!("evt_test_{}", ObjectId::new().to_hex()),
        "object": "event",
        "api_version": stripe_shared_version(),
        "created": now(),
        "data": { "object": session },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": "checkout.session.completed",
    })
    .to_string()
}

fn stripe_shared_version() -> String {
    "2026-09-30.endive".to_string()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn deliver(app: &TestApp, body: &str, signature: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/stripe/webhook"))
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn forged_stale_or_unknown_webhooks_are_refused_and_change_nothing() {
    let (app, stripe) = spawn_app_with_stripe().await;
    let (b, order, _, _) = order_for(&app, 1500, 5, "1").await;
    let body = completed_event(&stripe, &b, &order).await;

    let forged = deliver(
        &app,
        &body,
        &signature_header("whsec_wrong_secret", now(), &body),
    )
    .await;
    assert_eq!(forged.status(), 400);
    let tampered = deliver(
        &app,
        &body.replace("1500", "1"),
        &signature_header(WEBHOOK_SECRET, now(), &body),
    )
    .await;
    assert_eq!(tampered.status(), 400);
    let stale = deliver(
        &app,
        &body,
        &signature_header(WEBHOOK_SECRET, now() - 3600, &body),
    )
    .await;
    assert_eq!(stale.status(), 400);
    assert!(stale.text().await.unwrap().contains("too old"));
    let missing = reqwest::Client::new()
        .post(app.url("/stripe/webhook"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    assert_eq!(status_of(&b, &order).await, OrderStatus::AwaitingPayment);

    let unknown = body.replace(&order, &ObjectId::new().to_hex());
    let res = deliver(
        &app,
        &unknown,
        &signature_header(WEBHOOK_SECRET, now(), &unknown),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("unknown order"));
    assert_eq!(status_of(&b, &order).await, OrderStatus::AwaitingPayment);
}

#[tokio::test]
async fn the_same_event_ten_times_pays_once_and_mails_once() {
    let (app, stripe) = spawn_app_with_stripe().await;
    let inbox = app.inbox();
    let (b, order, _, email) = order_for(&app, 4200, 5, "1").await;
    let body = completed_event(&stripe, &b, &order).await;
    let sends = (0..10).map(|_| {
        let body = body.clone();
        let app = &app;
        async move {
            deliver(app, &body, &signature_header(WEBHOOK_SECRET, now(), &body))
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(sends).await;
    assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    let o: OrderView = b.call_ok("orders/get", &[("id", &order)]).await;
    assert_eq!(o.status, OrderStatus::Paid);
    let paid_entries = o
        .history
        .iter()
        .filter(|h| h.status == OrderStatus::Paid)
        .count();
    assert_eq!(paid_entries, 1);
    inbox.wait_for(&email, "is confirmed", 1).await;
    assert_eq!(inbox.count(&email, "is confirmed").await, 1);
}

#[tokio::test]
async fn an_expired_session_cancels_the_order_and_gives_the_stock_back() {
    let (app, stripe) = spawn_app_with_stripe().await;
    let (b, order, product, _) = order_for(&app, 700, 6, "4").await;
    assert_eq!(stock_of(&app, &product).await, 2);
    let url = pay(&b, &order).await;
    let id = url.rsplit('/').next().unwrap();
    let res = reqwest::Client::new()
        .post(format!("{stripe}/v1/checkout/sessions/{id}/expire"))
        .bearer_auth(STRIPE_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // The local Stripe delivers the "expired" event before it answers.
    assert_eq!(status_of(&b, &order).await, OrderStatus::Cancelled);
    assert_eq!(stock_of(&app, &product).await, 6);
    // An out-of-order "completed" for a session that expired does not resurrect stock twice.
    assert_eq!(
        b.call("payments/pay", &[("order_id", &order)])
            .await
            .status(),
        409
    );
}

#[tokio::test]
async fn the_reservation_sweeper_expires_the_payment_page_too() {
    let (app, stripe) = spawn_app_with_stripe().await;
    let (b, order, product, _) = order_for(&app, 700, 6, "1").await;
    let url = pay(&b, &order).await;
    let past = mongodb::bson::DateTime::from_millis(
        mongodb::bson::DateTime::now().timestamp_millis() - 1000,
    );
    app.state
        .core
        .db
        .collection::<Document>("orders")
        .update_one(
            doc! { "_id": ObjectId::parse_str(&order).unwrap() },
            doc! { "$set": { "reserved_until": past } },
        )
        .await
        .unwrap();
    oxcart::orders::service::sweep(&app.state.core, &app.state.payments)
        .await
        .unwrap();
    assert_eq!(status_of(&b, &order).await, OrderStatus::Cancelled);
    assert_eq!(stock_of(&app, &product).await, 6);
    let session = session_of(&stripe, &url).await;
    assert_eq!(session["status"], "expired");
}

#[tokio::test]
async fn cancelling_a_paid_order_refunds_it() {
    let (app, _stripe) = spawn_app_with_stripe().await;
    let (b, order, product, _) = order_for(&app, 3300, 5, "2").await;
    let url = pay(&b, &order).await;
    assert_eq!(submit_card(&url, "4242424242424242").await.status(), 303);
    assert_eq!(status_of(&b, &order).await, OrderStatus::Paid);
    assert_eq!(stock_of(&app, &product).await, 3);
    let (admin, _) = app.admin().await;
    let res = admin
        .call(
            "admin/orders/status",
            &[("id", &order), ("status", "cancelled")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let o: OrderView = b.call_ok("orders/get", &[("id", &order)]).await;
    assert_eq!(o.status, OrderStatus::Cancelled);
    assert!(o.refunded);
    assert!(o.history.last().unwrap().note.contains("re_test_"));
    assert_eq!(stock_of(&app, &product).await, 5, "units back on the shelf");
}
