//! The admin dashboard's figures, checked against orders placed here, with days
//! counted in the shop's time zone; the time-zone setting; admins only.

use mongodb::bson::{doc, oid::ObjectId, DateTime};
use oxcart::orders::dashboard::Dashboard;
use oxcart::orders::types::OrderStatus;
use serde_json::Value;

use crate::catalog::make_product;
use crate::helpers::{spawn_app, Browser, TestApp};
use crate::orders::place_ok;

async fn order_of(b: &Browser, product: &str, qty: &str) -> ObjectId {
    b.call_ok::<Value>("cart/add", &[("product_id", product), ("quantity", qty)])
        .await;
    ObjectId::parse_str(place_ok(b).await).unwrap()
}

async fn pay(app: &TestApp, id: &ObjectId) {
    oxcart::orders::store::transition(
        &app.state.core.db,
        id,
        &[OrderStatus::AwaitingPayment],
        OrderStatus::Paid,
        &oxcart::shared::Actor::PaymentProvider,
        "test",
        oxcart::orders::store::PaymentUpdate::none(),
    )
    .await
    .unwrap()
    .unwrap();
}

async fn placed_at(app: &TestApp, id: &ObjectId, at: DateTime) {
    app.state
        .core
        .db
        .collection::<mongodb::bson::Document>("orders")
        .update_one(doc! { "_id": id }, doc! { "$set": { "created_at": at } })
        .await
        .unwrap();
}

const DAY_MS: i64 = 86_400_000;

#[tokio::test]
async fn dashboard_figures_follow_the_orders_in_the_shops_time_zone() {
    let app = spawn_app().await;
    let lamp = make_product(&app, "Dash Lamp", 1000, 100).await;
    let chair = make_product(&app, "Dash Chair", 2500, 100).await;
    let (admin, _) = app.admin().await;
    let (b, _) = app.customer().await;

    // Only admins see the figures or change the zone.
    assert_eq!(b.call("admin/dashboard", &[]).await.status(), 403);
    assert_eq!(
        app.browser().call("admin/dashboard", &[]).await.status(),
        401
    );
    assert_eq!(
        b.call("admin/settings/timezone", &[("timezone", "Asia/Tokyo")])
            .await
            .status(),
        403
    );
    let bad = admin
        .call(
            "admin/settings/timezone",
            &[("timezone", "Mars/Olympus_Mons")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("Choose a time zone"));
    assert_eq!(
        admin
            .call("admin/settings/timezone", &[("timezone", "Asia/Tokyo")])
            .await
            .status(),
        200
    );

    // Days in Tokyo: the first minute of Tokyo's today is still yesterday in UTC.
    let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
    let today = jiff::Timestamp::now().to_zoned(tokyo.clone()).date();
    let start_of_today = today.to_zoned(tokyo).unwrap().timestamp().as_millisecond();
    let early_today = DateTime::from_millis(start_of_today + 60_000);
    let late_yesterday = DateTime::from_millis(start_of_today - 60_000);

    // Paid today (early, Tokyo time): 2 lamps = $20.00.
    let o1 = order_of(&b, &lamp, "2").await;
    pay(&app, &o1).await;
    placed_at(&app, &o1, early_today).await;
    // Paid and shipped, yesterday in Tokyo: 1 chair = $25.00.
    let o2 = order_of(&b, &chair, "1").await;
    pay(&app, &o2).await;
    placed_at(&app, &o2, late_yesterday).await;
    // Paid ten days ago: 3 chairs = $75.00.
    let o3 = order_of(&b, &chair, "3").await;
    pay(&app, &o3).await;
    placed_at(
        &app,
        &o3,
        DateTime::from_millis(start_of_today - 10 * DAY_MS + 3_600_000),
    )
    .await;
    // Paid 45 days ago: outside every window.
    let o4 = order_of(&b, &lamp, "5").await;
    pay(&app, &o4).await;
    placed_at(
        &app,
        &o4,
        DateTime::from_millis(start_of_today - 45 * DAY_MS),
    )
    .await;
    // Not revenue: unpaid, and cancelled.
    let _unpaid = order_of(&b, &lamp, "1").await;
    let cancelled = order_of(&b, &chair, "1").await;
    assert_eq!(
        b.call("orders/cancel", &[("id", &cancelled.to_hex())])
            .await
            .status(),
        200
    );
    assert_eq!(
        admin
            .call(
                "admin/orders/status",
                &[("id", &o2.to_hex()), ("status", "shipped")]
            )
            .await
            .status(),
        200
    );

    let d: Dashboard = admin.call_ok("admin/dashboard", &[]).await;
    assert_eq!(d.timezone, "Asia/Tokyo");
    let figures: Vec<(String, i64, u64)> = d
        .periods
        .iter()
        .map(|p| (p.label.clone(), p.revenue.minor(), p.orders))
        .collect();
    assert_eq!(
        figures,
        vec![
            ("Today".to_string(), 2000, 1),
            ("Last 7 days".to_string(), 4500, 2),
            ("Last 30 days".to_string(), 12000, 3),
        ]
    );
    assert_eq!(d.days.len(), 30);
    assert_eq!(d.days.last().unwrap().date, today.to_string());
    assert_eq!(d.days.last().unwrap().revenue.minor(), 2000);
    assert_eq!(d.days[28].revenue.minor(), 2500, "yesterday in Tokyo");
    assert_eq!(d.days.iter().map(|x| x.revenue.minor()).sum::<i64>(), 12000);
    // Best sellers: chairs (4 units) before lamps (2) in the last 30 days.
    let top: Vec<(String, u64, i64)> = d
        .top_products
        .iter()
        .map(|t| (t.name.clone(), t.units, t.revenue.minor()))
        .collect();
    assert_eq!(
        top,
        vec![
            ("Dash Chair".to_string(), 4, 10000),
            ("Dash Lamp".to_string(), 2, 2000)
        ]
    );
    // Waiting to ship: the paid ones not shipped (o1, o3, o4), oldest first.
    assert_eq!(d.to_ship_count, 3);
    let waiting: Vec<String> = d.to_ship.iter().map(|o| o.id.clone()).collect();
    assert_eq!(waiting, vec![o4.to_hex(), o3.to_hex(), o1.to_hex()]);
    assert_eq!(d.awaiting_payment, 1);

    // The page shows the same figures, with the chart and its table, without JavaScript.
    let html = admin.get("/admin").await.text().await.unwrap();
    assert!(html.contains("$120.00"), "30-day revenue on the page");
    assert!(html.contains("<svg"), "the chart is drawn on the server");
    assert!(html.contains("Show the figures as a table"));
    assert!(html.contains("Dash Chair"));
}

#[tokio::test]
async fn low_stock_lists_the_emptiest_variants() {
    let app = spawn_app().await;
    make_product(&app, "Plenty Lamp", 1000, 50).await;
    make_product(&app, "Last One Lamp", 1000, 1).await;
    make_product(&app, "Gone Lamp", 1000, 0).await;
    let (admin, _) = app.admin().await;
    let d: Dashboard = admin.call_ok("admin/dashboard", &[]).await;
    let low: Vec<(String, i64)> = d
        .low_stock
        .iter()
        .map(|l| (l.name.clone(), l.stock))
        .collect();
    assert_eq!(
        low,
        vec![
            ("Gone Lamp".to_string(), 0),
            ("Last One Lamp".to_string(), 1)
        ]
    );
}
