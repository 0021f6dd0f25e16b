//! Checkout and orders: server-side totals, no overselling under concurrency,
//! all-or-nothing reservations, idempotency, lifecycle, IDOR.

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use oxcart::orders::types::{CheckoutData, OrderPage, OrderStatus, OrderView};
use serde_json::Value;

use crate::catalog::make_product;
use crate::helpers::{spawn_app, spawn_app_alone, Browser, TestApp, STRONG_PASSWORD};

pub const ADDRESS: &[(&str, &str)] = &[
    ("address[name]", "Robin Reed"),
    ("address[line1]", "12 Orchard Lane"),
    ("address[line2]", ""),
    ("address[city]", "Springfield"),
    ("address[region]", "CA"),
    ("address[postal_code]", "12345"),
    ("address[country]", "US"),
];

pub async fn checkout_key(b: &Browser) -> String {
    let data: CheckoutData = b.call_ok("checkout/data", &[]).await;
    data.cart.checkout_key
}

/// Places an order for what is in the cart; returns the raw response.
pub async fn place(b: &Browser, key: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = ADDRESS.to_vec();
    form.push(("checkout_key", key));
    form.extend_from_slice(extra);
    b.call("checkout/place-order", &form).await
}

pub async fn place_ok(b: &Browser) -> String {
    let key = checkout_key(b).await;
    let res = place(b, &key, &[]).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap()
}

pub async fn stock_of(app: &TestApp, id: &str) -> i64 {
    app.state
        .core
        .db
        .collection::<Document>("products")
        .find_one(doc! { "_id": ObjectId::parse_str(id).unwrap() })
        .await
        .unwrap()
        .unwrap()
        .get_i64("stock")
        .unwrap()
}

async fn order_count(app: &TestApp) -> u64 {
    app.state
        .core
        .db
        .collection::<Document>("orders")
        .count_documents(doc! {})
        .await
        .unwrap()
}

#[tokio::test]
async fn totals_are_computed_on_the_server_whatever_the_browser_sends() {
    let app = spawn_app().await;
    let a = make_product(&app, "Real Price Teapot", 2599, 10).await;
    let (b, email) = app.customer().await;
    b.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "3")])
        .await;
    let key = checkout_key(&b).await;
    let res = place(
        &b,
        &key,
        &[
            ("total", "1"),
            ("subtotal", "1"),
            ("price", "1"),
            ("lines[0][unit_price]", "1"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let id: String = res.json().await.unwrap();
    let order: OrderView = b.call_ok("orders/get", &[("id", &id)]).await;
    assert_eq!(order.total.minor(), 3 * 2599);
    assert_eq!(order.lines[0].unit_price.minor(), 2599);
    assert_eq!(order.total.currency().code(), "usd");
    assert_eq!(order.status, OrderStatus::AwaitingPayment);
    assert_eq!(order.email, email);
    assert!(order.number.to_string().starts_with("OX-"));
    assert_eq!(stock_of(&app, &a).await, 7, "reserved");
    // The cart is emptied and the order is in the history.
    let cart: oxcart::cart::types::CartView = b.call_ok("cart/get", &[]).await;
    assert!(cart.is_empty());
    let mine: OrderPage = b.call_ok("orders/mine", &[]).await;
    assert_eq!(mine.orders[0].id, id);
}

/// Creates `n` signed-in customers quickly (one password hash for all).
pub async fn many_customers(app: &TestApp, n: usize) -> Vec<Browser> {
    let hash = oxcart::accounts::password::hash(
        &oxcart::accounts::types::Password::parse(STRONG_PASSWORD).unwrap(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    for i in 0..n {
        let email = format!("buyer{i}.{}@example.com", &app.db_name[5..13]);
        oxcart::accounts::store::create_user(
            &app.state.core.db,
            &oxcart::accounts::types::Email::parse(&email).unwrap(),
            "Buyer",
            hash.clone(),
            oxcart::accounts::types::Role::Customer,
        )
        .await
        .unwrap();
        out.push((email, app.browser()));
    }
    // In groups: more sign-ins at once from one address than its limit allows
    // would be refused (each is counted while it is being checked).
    for group in out.chunks(10) {
        let logins = group.iter().map(|(email, b)| async move {
            let res = b.login(email, STRONG_PASSWORD).await;
            assert_eq!(res.status(), 200);
        });
        futures::future::join_all(logins).await;
    }
    out.into_iter().map(|(_, b)| b).collect()
}

#[tokio::test]
async fn concurrent_checkouts_never_sell_more_than_stock() {
    let app = spawn_app_alone().await;
    let product = make_product(&app, "Limited Edition Print", 4500, 50).await;
    let buyers = many_customers(&app, 200).await;
    for b in &buyers {
        b.call_ok::<Value>("cart/add", &[("product_id", &product), ("quantity", "1")])
            .await;
    }
    let mut keys = Vec::new();
    for b in &buyers {
        keys.push(checkout_key(b).await);
    }
    let attempts = buyers.iter().zip(&keys).map(|(b, k)| async move {
        let res = place(b, k, &[]).await;
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    });
    let results = futures::future::join_all(attempts).await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let sold_out = results
        .iter()
        .filter(|(s, body)| *s == 409 && body.contains("sold out"))
        .count();
    assert_eq!(ok, 50, "exactly the stock was sold");
    assert_eq!(
        sold_out,
        150,
        "everyone else was told it is sold out: {:?}",
        results.iter().find(|(s, _)| *s != 200 && *s != 409)
    );
    assert_eq!(stock_of(&app, &product).await, 0);
    assert_eq!(order_count(&app).await, 50);
}

#[tokio::test]
async fn an_order_with_one_short_line_reserves_nothing() {
    let app = spawn_app().await;
    let plenty = make_product(&app, "Plentiful Spoon", 300, 10).await;
    let scarce = make_product(&app, "Scarce Ladle", 900, 3).await;
    let (b, _) = app.customer().await;
    b.call_ok::<Value>("cart/add", &[("product_id", &plenty), ("quantity", "2")])
        .await;
    b.call_ok::<Value>("cart/add", &[("product_id", &scarce), ("quantity", "3")])
        .await;
    // Someone else buys two ladles meanwhile.
    app.state
        .core
        .db
        .collection::<Document>("products")
        .update_one(
            doc! { "_id": ObjectId::parse_str(&scarce).unwrap() },
            doc! { "$set": { "stock": 1_i64, "variants.0.stock": 1_i64 } },
        )
        .await
        .unwrap();
    let key = checkout_key(&b).await;
    let res = place(&b, &key, &[]).await;
    assert_eq!(res.status(), 409);
    let text = res.text().await.unwrap();
    assert!(text.contains("Scarce Ladle"), "names the product: {text}");
    assert_eq!(stock_of(&app, &plenty).await, 10, "nothing stays reserved");
    assert_eq!(stock_of(&app, &scarce).await, 1);
    assert_eq!(order_count(&app).await, 0);
    let held = app
        .state
        .core
        .db
        .collection::<Document>("products")
        .count_documents(doc! { "reservations.0": { "$exists": true } })
        .await
        .unwrap();
    assert_eq!(held, 0);
    // The cart is intact for another try.
    let cart: oxcart::cart::types::CartView = b.call_ok("cart/get", &[]).await;
    assert_eq!(cart.lines.len(), 2);
}

#[tokio::test]
async fn the_same_checkout_twice_makes_one_order() {
    let app = spawn_app().await;
    let a = make_product(&app, "Double Click Clock", 1500, 10).await;
    let (b, _) = app.customer().await;
    b.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "1")])
        .await;
    let key = checkout_key(&b).await;
    // Two at once (double click) and one later (retry / second tab).
    let (r1, r2) = tokio::join!(place(&b, &key, &[]), place(&b, &key, &[]));
    let id1: String = r1.json().await.unwrap();
    let id2: String = r2.json().await.unwrap();
    let r3 = place(&b, &key, &[]).await;
    assert_eq!(r3.status(), 200);
    let id3: String = r3.json().await.unwrap();
    assert_eq!(id1, id2);
    assert_eq!(id1, id3);
    assert_eq!(order_count(&app).await, 1);
    assert_eq!(stock_of(&app, &a).await, 9);
}

#[tokio::test]
async fn invalid_addresses_get_field_errors() {
    let app = spawn_app().await;
    let a = make_product(&app, "Address Test", 100, 10).await;
    let (b, _) = app.customer().await;
    b.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "1")])
        .await;
    let key = checkout_key(&b).await;
    let long_name = "n".repeat(500);
    let cases: Vec<(&str, &str, &str)> = vec![
        ("address[name]", "", "name"),
        ("address[line1]", "", "line1"),
        ("address[city]", "", "city"),
        ("address[postal_code]", "ABCDE", "postal_code"),
        ("address[region]", "", "region"),
        ("address[region]", "Atlantis", "region"),
        ("address[country]", "XX", "country"),
        ("address[name]", &long_name, "name"),
    ];
    for (key_name, value, field) in cases {
        let mut form: Vec<(&str, &str)> = ADDRESS
            .iter()
            .filter(|(k, _)| *k != key_name)
            .copied()
            .collect();
        form.push((key_name, value));
        form.push(("checkout_key", &key));
        let res = b.call("checkout/place-order", &form).await;
        assert_eq!(res.status(), 422, "{key_name}={value}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            body["error"]["Invalid"]["fields"][0]["field"], field,
            "{body}"
        );
    }
    assert_eq!(order_count(&app).await, 0);
}

/// Places an order to `fields` (over the US address); returns the status and body.
async fn place_to(app: &TestApp, fields: &[(&str, &str)]) -> (u16, Value) {
    let a = make_product(app, "Address Rules", 100, 10).await;
    let (b, _) = app.customer().await;
    b.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "1")])
        .await;
    let key = checkout_key(&b).await;
    let mut form: Vec<(&str, &str)> = ADDRESS
        .iter()
        .filter(|(k, _)| !fields.iter().any(|(f, _)| f == k))
        .copied()
        .collect();
    form.extend_from_slice(fields);
    form.push(("checkout_key", &key));
    let res = b.call("checkout/place-order", &form).await;
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    if status == 200 {
        let id = body.as_str().unwrap().to_string();
        let order: OrderView = b.call_ok("orders/get", &[("id", &id)]).await;
        return (status, serde_json::to_value(order.address).unwrap());
    }
    (status, body)
}

#[tokio::test]
async fn addresses_follow_the_rules_of_their_country() {
    let app = spawn_app().await;
    // A US state by name is stored as its code; the address prints the US way.
    let (status, addr) = place_to(&app, &[("address[region]", "california")]).await;
    assert_eq!(status, 200, "{addr}");
    assert_eq!(addr["region"], "CA");
    let lines: oxcart::orders::types::Address = serde_json::from_value(addr).unwrap();
    assert_eq!(lines.lines()[2], "SPRINGFIELD, CA 12345");

    // Canada: province from its list, postal code "A1A 1A1" in any case and spacing.
    let (status, addr) = place_to(
        &app,
        &[
            ("address[country]", "CA"),
            ("address[region]", "ON"),
            ("address[postal_code]", " k1a  0b1 "),
            ("address[city]", "Ottawa"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{addr}");
    assert_eq!(addr["postal_code"], "K1A 0B1");

    // Japan has no city field: the street line carries it; prefecture by name.
    let (status, addr) = place_to(
        &app,
        &[
            ("address[country]", "JP"),
            ("address[region]", "Tokyo"),
            ("address[postal_code]", "154-0023"),
            ("address[city]", ""),
        ],
    )
    .await;
    assert_eq!(status, 200, "{addr}");
    assert_eq!(addr["city"], "");

    // Germany has no region: whatever was sent for one is not kept.
    let (status, addr) = place_to(
        &app,
        &[
            ("address[country]", "DE"),
            ("address[postal_code]", "10115"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{addr}");
    assert_eq!(addr["region"], "");

    // A British postcode of the wrong shape is refused with an example.
    let (status, body) = place_to(
        &app,
        &[("address[country]", "GB"), ("address[postal_code]", "NOPE")],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let msg = body["error"]["Invalid"]["fields"][0]["message"]
        .as_str()
        .unwrap();
    assert_eq!(
        body["error"]["Invalid"]["fields"][0]["field"],
        "postal_code"
    );
    assert!(
        msg.contains("United Kingdom") && msg.contains("EC1Y 8SY"),
        "{msg}"
    );

    // Canada's province must come from its list.
    let (status, body) = place_to(
        &app,
        &[
            ("address[country]", "CA"),
            ("address[region]", "Texas"),
            ("address[postal_code]", "K1A 0B1"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["Invalid"]["fields"][0]["field"], "region");
}

#[tokio::test]
async fn orders_saved_before_regions_existed_still_read() {
    let app = spawn_app().await;
    let a = make_product(&app, "Old Address", 100, 10).await;
    let (b, _) = app.customer().await;
    b.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "1")])
        .await;
    let id = place_ok(&b).await;
    // The address as orders stored it before: no region field at all.
    app.state
        .core
        .db
        .collection::<Document>("orders")
        .update_one(
            doc! { "_id": ObjectId::parse_str(&id).unwrap() },
            doc! { "$unset": { "address.region": "" } },
        )
        .await
        .unwrap();
    let order: OrderView = b.call_ok("orders/get", &[("id", &id)]).await;
    assert_eq!(order.address.region, "");
    assert_eq!(order.address.city, "Springfield");
}

#[tokio::test]
async fn another_customers_order_is_not_found() {
    let app = spawn_app().await;
    let a = make_product(&app, "Private Order Item", 100, 10).await;
    let (owner, _) = app.customer().await;
    owner
        .call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "1")])
        .await;
    let id = place_ok(&owner).await;
    let (stranger, _) = app.customer().await;
    assert_eq!(
        stranger.call("orders/get", &[("id", &id)]).await.status(),
        404
    );
    assert_eq!(
        stranger
            .call("orders/cancel", &[("id", &id)])
            .await
            .status(),
        404
    );
    assert_eq!(
        stranger
            .call("payments/pay", &[("order_id", &id)])
            .await
            .status(),
        404
    );
    assert_eq!(
        stranger
            .get(&format!("/account/orders/{id}"))
            .await
            .status(),
        404
    );
    // Same answer as for an id that does not exist at all.
    assert_eq!(
        stranger
            .call("orders/get", &[("id", &ObjectId::new().to_hex())])
            .await
            .status(),
        404
    );
    // A guest is asked to sign in.
    assert_eq!(
        app.browser()
            .call("orders/get", &[("id", &id)])
            .await
            .status(),
        401
    );
    // The admin sees it.
    let (admin, _) = app.admin().await;
    assert_eq!(admin.call("orders/get", &[("id", &id)]).await.status(), 200);
}

#[tokio::test]
async fn order_lifecycle_allows_only_valid_moves_and_records_them() {
    let app = spawn_app().await;
    let a = make_product(&app, "Lifecycle Lamp", 1000, 10).await;
    let (b, _) = app.customer().await;
    b.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "2")])
        .await;
    let id = place_ok(&b).await;
    let (admin, _) = app.admin().await;
    // Unpaid orders cannot ship.
    let res = admin
        .call("admin/orders/status", &[("id", &id), ("status", "shipped")])
        .await;
    assert_eq!(res.status(), 409);
    // Pretend the payment arrived.
    oxcart::orders::store::transition(
        &app.state.core.db,
        &ObjectId::parse_str(&id).unwrap(),
        &[OrderStatus::AwaitingPayment],
        OrderStatus::Paid,
        &oxcart::shared::Actor::PaymentProvider,
        "test",
        oxcart::orders::store::PaymentUpdate::none(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        admin
            .call("admin/orders/status", &[("id", &id), ("status", "shipped")])
            .await
            .status(),
        200
    );
    assert_eq!(
        admin
            .call("admin/orders/status", &[("id", &id), ("status", "paid")])
            .await
            .status(),
        409
    );
    assert_eq!(
        admin
            .call(
                "admin/orders/status",
                &[("id", &id), ("status", "cancelled")]
            )
            .await
            .status(),
        409
    );
    assert_eq!(
        admin
            .call(
                "admin/orders/status",
                &[("id", &id), ("status", "delivered")]
            )
            .await
            .status(),
        200
    );
    assert_eq!(
        admin
            .call(
                "admin/orders/status",
                &[("id", &id), ("status", "nonsense")]
            )
            .await
            .status(),
        400
    );
    let order: OrderView = b.call_ok("orders/get", &[("id", &id)]).await;
    assert_eq!(order.status, OrderStatus::Delivered);
    let statuses: Vec<OrderStatus> = order.history.iter().map(|h| h.status).collect();
    assert_eq!(
        statuses,
        vec![
            OrderStatus::AwaitingPayment,
            OrderStatus::Paid,
            OrderStatus::Shipped,
            OrderStatus::Delivered
        ]
    );
    assert_eq!(order.history[2].actor, "the shop");
    // The shopper's page shows the new status.
    let page = b
        .get(&format!("/account/orders/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Delivered"));
}

#[tokio::test]
async fn cancelling_an_unpaid_order_gives_the_stock_back() {
    let app = spawn_app().await;
    let a = make_product(&app, "Returnable Rug", 8000, 4).await;
    let (b, _) = app.customer().await;
    b.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "3")])
        .await;
    let id = place_ok(&b).await;
    assert_eq!(stock_of(&app, &a).await, 1);
    assert_eq!(b.call("orders/cancel", &[("id", &id)]).await.status(), 200);
    assert_eq!(stock_of(&app, &a).await, 4);
    // Twice does not give it back twice.
    assert_eq!(b.call("orders/cancel", &[("id", &id)]).await.status(), 409);
    assert_eq!(stock_of(&app, &a).await, 4);
    let order: OrderView = b.call_ok("orders/get", &[("id", &id)]).await;
    assert_eq!(order.status, OrderStatus::Cancelled);
}

#[tokio::test]
async fn unpaid_orders_expire_and_release_their_stock() {
    let app = spawn_app().await;
    let a = make_product(&app, "Expiring Hat", 2000, 5).await;
    let (b, _) = app.customer().await;
    b.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "2")])
        .await;
    let id = place_ok(&b).await;
    assert_eq!(stock_of(&app, &a).await, 3);
    let past = DateTime::from_millis(DateTime::now().timestamp_millis() - 1000);
    app.state
        .core
        .db
        .collection::<Document>("orders")
        .update_one(
            doc! { "_id": ObjectId::parse_str(&id).unwrap() },
            doc! { "$set": { "reserved_until": past } },
        )
        .await
        .unwrap();
    oxcart::orders::service::sweep(&app.state.core, &app.state.payments)
        .await
        .unwrap();
    assert_eq!(stock_of(&app, &a).await, 5);
    let order: OrderView = b.call_ok("orders/get", &[("id", &id)]).await;
    assert_eq!(order.status, OrderStatus::Cancelled);
    assert_eq!(order.history.last().unwrap().actor, "automatic");
}

#[tokio::test]
async fn order_numbers_are_unique_and_increasing() {
    let app = spawn_app().await;
    let a = make_product(&app, "Numbered Pen", 100, 100).await;
    let (b, _) = app.customer().await;
    let mut numbers = Vec::new();
    for _ in 0..3 {
        b.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "1")])
            .await;
        let id = place_ok(&b).await;
        let o: OrderView = b.call_ok("orders/get", &[("id", &id)]).await;
        numbers.push(o.number.to_string());
    }
    assert_eq!(numbers, vec!["OX-000001", "OX-000002", "OX-000003"]);
    let (admin, _) = app.admin().await;
    let found: OrderPage = admin.call_ok("admin/orders/list", &[("q", "2")]).await;
    assert_eq!(found.orders.len(), 1);
    assert_eq!(found.orders[0].number.to_string(), "OX-000002");
    let by_status: OrderPage = admin
        .call_ok("admin/orders/list", &[("status", "paid")])
        .await;
    assert_eq!(by_status.total, 0);
}

#[tokio::test]
async fn guests_need_an_email_address_to_check_out() {
    let app = spawn_app().await;
    let res = app.get("/checkout").await;
    assert_eq!(res.status(), 200);
    let mut form = ADDRESS.to_vec();
    form.push(("checkout_key", "anything:1"));
    let res = app.browser().call("checkout/place-order", &form).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["error"]["Invalid"]["fields"][0]["field"], "email",
        "{body}"
    );
}

#[tokio::test]
async fn deleting_a_product_never_breaks_its_orders() {
    let app = spawn_app().await;
    let a = make_product(&app, "Ephemeral Widget", 1234, 5).await;
    let (b, _) = app.customer().await;
    b.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "1")])
        .await;
    let id = place_ok(&b).await;
    b.call_ok::<Value>("orders/cancel", &[("id", &id)]).await;
    let (admin, _) = app.admin().await;
    assert_eq!(
        admin
            .call("admin/products/delete", &[("id", &a), ("confirm", "yes")])
            .await
            .status(),
        200
    );
    let order: OrderView = b.call_ok("orders/get", &[("id", &id)]).await;
    assert_eq!(order.lines[0].name, "Ephemeral Widget");
    assert_eq!(order.lines[0].unit_price.minor(), 1234);
}

#[tokio::test]
async fn the_address_book_fills_checkout_and_keeps_to_its_owner() {
    let app = spawn_app().await;
    let (b, _) = app.customer().await;
    // Saved from checkout, and by hand with a bad field first.
    let a = make_product(&app, "Book Item", 500, 10).await;
    b.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "1")])
        .await;
    let key = checkout_key(&b).await;
    assert_eq!(
        place(&b, &key, &[("save_address", "on")]).await.status(),
        200
    );
    let mut second: Vec<(&str, &str)> = ADDRESS
        .iter()
        .filter(|(k, _)| !["address[line1]", "address[region]", "address[postal_code]"].contains(k))
        .copied()
        .collect();
    second.extend([
        ("address[line1]", "7 Harbour Street"),
        ("address[region]", "NY"),
        ("address[postal_code]", "10001"),
    ]);
    let mut bad = second.clone();
    bad.retain(|(k, _)| *k != "address[postal_code]");
    bad.push(("address[postal_code]", "ABC"));
    assert_eq!(b.call("addresses/add", &bad).await.status(), 422);
    second.push(("make_default", "on"));
    assert_eq!(b.call("addresses/add", &second).await.status(), 200);
    let book: Vec<oxcart::orders::types::SavedAddress> = b.call_ok("addresses/list", &[]).await;
    assert_eq!(book.len(), 2);
    assert!(
        book[0].default && book[0].address.line1 == "7 Harbour Street",
        "the default comes first"
    );

    // Checkout fills in the default; another one by its id.
    b.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "1")])
        .await;
    let data: CheckoutData = b.call_ok("checkout/data", &[]).await;
    assert_eq!(data.address.unwrap().line1, "7 Harbour Street");
    let data: CheckoutData = b
        .call_ok("checkout/data", &[("address_id", &book[1].id)])
        .await;
    assert_eq!(data.address.unwrap().line1, "12 Orchard Lane");

    // Nobody else can change or use them.
    let (other, _) = app.customer().await;
    assert_eq!(
        other
            .call(
                "addresses/change",
                &[("id", &book[0].id), ("action", "delete")]
            )
            .await
            .status(),
        404
    );
    let data: CheckoutData = other
        .call_ok("checkout/data", &[("address_id", &book[0].id)])
        .await;
    assert!(data.address.is_none());

    // Deleting the default makes the other one the default.
    assert_eq!(
        b.call(
            "addresses/change",
            &[("id", &book[0].id), ("action", "delete")]
        )
        .await
        .status(),
        200
    );
    let book: Vec<oxcart::orders::types::SavedAddress> = b.call_ok("addresses/list", &[]).await;
    assert_eq!(book.len(), 1);
    assert!(book[0].default);
}
