//! Checkout rules over HTTP: shipping zones and methods, taxes, discount codes with
//! limits that hold under a race, and the payment page charging the order total.

use mongodb::bson::{doc, oid::ObjectId, Document};
use oxcart::orders::rules::{CodeView, Quote, ZoneView};
use oxcart::orders::types::OrderView;
use serde_json::Value;

use crate::catalog::make_product;
use crate::helpers::{spawn_app, spawn_app_alone, spawn_app_with_stripe, Browser, TestApp};
use crate::orders::{checkout_key, many_customers, place, ADDRESS};

/// A zone made by the admin through the server functions; returns it.
async fn zone(
    admin: &Browser,
    name: &str,
    countries: &str,
    methods: &[&[(&str, &str)]],
) -> ZoneView {
    let id: String = admin
        .call_ok(
            "admin/shipping/zone/create",
            &[("name", name), ("countries", countries)],
        )
        .await;
    for m in methods {
        let mut form: Vec<(&str, &str)> = vec![("zone_id", &id)];
        form.extend_from_slice(m);
        let res = admin.call("admin/shipping/method/add", &form).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    let zones: Vec<ZoneView> = admin.call_ok("admin/shipping/list", &[]).await;
    zones.into_iter().find(|z| z.id == id).unwrap()
}

/// A customer with `qty` × a product of `price` (minor units) in the cart.
async fn shopper_with(app: &TestApp, price: i64, qty: &str) -> (Browser, String) {
    let p = make_product(
        app,
        &format!("Rule Thing {}", &ObjectId::new().to_hex()[18..]),
        price,
        10_000,
    )
    .await;
    let (b, _) = app.customer().await;
    b.call_ok::<Value>("cart/add", &[("product_id", &p), ("quantity", qty)])
        .await;
    (b, p)
}

/// Places the cart (US, California, unless `extra` says otherwise).
async fn place_with(b: &Browser, extra: &[(&str, &str)]) -> (u16, Value) {
    let key = checkout_key(b).await;
    let mut form: Vec<(&str, &str)> = ADDRESS
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .copied()
        .collect();
    form.extend_from_slice(extra);
    form.push(("checkout_key", &key));
    let res = b.call("checkout/place-order", &form).await;
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    (status, body)
}

async fn order(b: &Browser, body: &Value) -> OrderView {
    b.call_ok("orders/get", &[("id", body.as_str().unwrap())])
        .await
}

fn field_error(body: &Value) -> (String, String) {
    let f = &body["error"]["Invalid"]["fields"][0];
    (
        f["field"].as_str().unwrap_or("").into(),
        f["message"].as_str().unwrap_or("").into(),
    )
}

fn method_id(z: &ZoneView, name: &str) -> String {
    z.methods
        .iter()
        .find(|m| m.name == name)
        .unwrap()
        .id
        .clone()
}

#[tokio::test]
async fn shipping_methods_follow_the_address_and_go_on_the_order() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let us = zone(
        &admin,
        "United States",
        "United States",
        &[
            &[
                ("name", "Standard"),
                ("estimate", "3–5 days"),
                ("kind", "free_above"),
                ("price", "5.00"),
                ("free_from", "100.00"),
            ],
            &[("name", "Express"), ("kind", "flat"), ("price", "15.00")],
            &[
                ("name", "Parcel"),
                ("kind", "weight"),
                ("tiers", "1000: 7.00, 5000: 12.00"),
            ],
        ],
    )
    .await;
    assert_eq!(us.methods.len(), 3);

    let (b, p) = shopper_with(&app, 4_000, "1").await;
    let q: Quote = b
        .call_ok("checkout/quote", &[("country", "US"), ("region", "CA")])
        .await;
    let names: Vec<&str> = q.methods.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Standard", "Parcel", "Express"], "cheapest first");
    assert_eq!(
        q.shipping_id.as_deref(),
        Some(method_id(&us, "Standard").as_str())
    );
    assert_eq!(q.total.to_string(), "$45.00");

    // No method chosen: a clear field error, nothing ordered.
    let (status, body) = place_with(&b, &[]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(field_error(&body).0, "shipping");

    // A country no zone covers.
    let (status, body) = place_with(
        &b,
        &[
            ("address[country]", "DE"),
            ("address[region]", ""),
            ("address[postal_code]", "10115"),
            ("shipping", &method_id(&us, "Express")),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (field, message) = field_error(&body);
    assert_eq!(field, "country");
    assert!(
        message.contains("We do not deliver to Germany"),
        "{message}"
    );

    let express = method_id(&us, "Express");
    let (status, body) = place_with(&b, &[("shipping", &express)]).await;
    assert_eq!(status, 200, "{body}");
    let o = order(&b, &body).await;
    assert_eq!(o.shipping_method.as_deref(), Some("Express"));
    assert_eq!(o.shipping.to_string(), "$15.00");
    assert_eq!(o.total.to_string(), "$55.00");

    // Heavy parcels: only the tiers that fit are offered; too heavy for every tier, none.
    app.state
        .core
        .db
        .collection::<Document>("products")
        .update_one(
            doc! { "_id": ObjectId::parse_str(&p).unwrap() },
            doc! { "$set": { "variants.0.weight_grams": 3_000_i64 } },
        )
        .await
        .unwrap();
    b.call_ok::<Value>("cart/add", &[("product_id", &p), ("quantity", "1")])
        .await;
    let q: Quote = b
        .call_ok("checkout/quote", &[("country", "US"), ("region", "CA")])
        .await;
    let parcel = q.methods.iter().find(|m| m.name == "Parcel").unwrap();
    assert_eq!(
        parcel.price.to_string(),
        "$12.00",
        "3 kg falls in the 5 kg tier"
    );
    b.call_ok::<Value>("cart/add", &[("product_id", &p), ("quantity", "1")])
        .await;
    let q: Quote = b
        .call_ok("checkout/quote", &[("country", "US"), ("region", "CA")])
        .await;
    assert!(
        q.methods.iter().all(|m| m.name != "Parcel"),
        "6 kg is over every tier"
    );
    // The free-above threshold compares the subtotal: 2 × $40 < $100 ≤ 3 × $40.
    let standard = |q: &Quote| {
        q.methods
            .iter()
            .find(|m| m.name == "Standard")
            .unwrap()
            .price
    };
    assert_eq!(standard(&q).to_string(), "$5.00");
    b.call_ok::<Value>("cart/add", &[("product_id", &p), ("quantity", "1")])
        .await;
    let q: Quote = b
        .call_ok("checkout/quote", &[("country", "US"), ("region", "CA")])
        .await;
    assert!(standard(&q).is_zero(), "{q:?}");
}

#[tokio::test]
async fn tax_is_added_or_included_as_the_shop_sets_it() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let res = admin
        .call(
            "admin/taxes/add",
            &[
                ("country", "US"),
                ("region", "California"),
                ("name", "Sales tax"),
                ("rate", "7.25"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // A second rate for the same place is refused; a bad rate too.
    let res = admin
        .call(
            "admin/taxes/add",
            &[
                ("country", "US"),
                ("region", "CA"),
                ("name", "Sales tax"),
                ("rate", "8"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = admin
        .call(
            "admin/taxes/add",
            &[
                ("country", "US"),
                ("region", ""),
                ("name", "Tax"),
                ("rate", "lots"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);

    // US style: added on top of $40.00 → $2.90.
    let (b, _) = shopper_with(&app, 4_000, "1").await;
    let (status, body) = place_with(&b, &[]).await;
    assert_eq!(status, 200, "{body}");
    let o = order(&b, &body).await;
    assert_eq!(
        (o.tax.to_string(), o.total.to_string()),
        ("$2.90".into(), "$42.90".into())
    );
    assert_eq!(o.tax_name, "Sales tax 7.25 %");
    assert!(!o.tax_included);

    // Another state has no rate.
    let (b, _) = shopper_with(&app, 4_000, "1").await;
    let (status, body) = place_with(&b, &[("address[region]", "NY")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(order(&b, &body).await.total.to_string(), "$40.00");

    // EU style: prices include it; $40.00 holds $2.70 of tax and the total stays.
    let res = admin
        .call("admin/taxes/setting", &[("mode", "included")])
        .await;
    assert_eq!(res.status(), 200);
    let (b, _) = shopper_with(&app, 4_000, "1").await;
    let (status, body) = place_with(&b, &[]).await;
    assert_eq!(status, 200, "{body}");
    let o = order(&b, &body).await;
    assert_eq!(
        (o.tax.to_string(), o.total.to_string()),
        ("$2.70".into(), "$40.00".into())
    );
    assert!(o.tax_included);
}

async fn create_code(admin: &Browser, fields: &[(&str, &str)]) -> reqwest::Response {
    let named: Vec<(String, &str)> = fields
        .iter()
        .map(|(k, v)| (format!("form[{k}]"), *v))
        .collect();
    let form: Vec<(&str, &str)> = named.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    admin.call("admin/discounts/create", &form).await
}

#[tokio::test]
async fn discount_codes_apply_with_their_rules_and_clear_messages() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let ok = |r: reqwest::Response| async move {
        let s = r.status();
        assert_eq!(s, 200, "{}", r.text().await.unwrap());
    };
    ok(create_code(
        &admin,
        &[
            ("code", "save10"),
            ("kind", "percent"),
            ("value", "10"),
            ("min_subtotal", "30.00"),
            ("per_customer_limit", "1"),
        ],
    )
    .await)
    .await;
    ok(create_code(
        &admin,
        &[
            ("code", "FIVE"),
            ("kind", "fixed"),
            ("value", "5.00"),
            ("ends_at", "2020-01-01T00:00"),
        ],
    )
    .await)
    .await;
    ok(create_code(
        &admin,
        &[("code", "SLEEPY"), ("kind", "fixed"), ("value", "5.00")],
    )
    .await)
    .await;

    // The admin's mistakes are field errors.
    for (fields, field) in [
        (
            vec![("code", "bad code"), ("kind", "percent"), ("value", "10")],
            "code",
        ),
        (
            vec![("code", "HUGE"), ("kind", "percent"), ("value", "150")],
            "value",
        ),
        (
            vec![("code", "SAVE10"), ("kind", "percent"), ("value", "5")],
            "code",
        ),
        (
            vec![
                ("code", "LATER"),
                ("kind", "fixed"),
                ("value", "1"),
                ("starts_at", "2030-01-01T00:00"),
                ("ends_at", "2029-01-01T00:00"),
            ],
            "ends_at",
        ),
    ] {
        let res = create_code(&admin, &fields).await;
        assert_eq!(res.status(), 422, "{fields:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(field_error(&body).0, field, "{body}");
    }
    let codes: Vec<CodeView> = admin.call_ok("admin/discounts/list", &[]).await;
    let sleepy = codes.iter().find(|c| c.code == "SLEEPY").unwrap();
    assert_eq!(
        admin
            .call(
                "admin/discounts/pause",
                &[("id", &sleepy.id), ("paused", "yes")]
            )
            .await
            .status(),
        200
    );

    // 10 % of $40.00, typed in lower case.
    let (b, _) = shopper_with(&app, 4_000, "1").await;
    let (status, body) = place_with(&b, &[("discount_code", "save10")]).await;
    assert_eq!(status, 200, "{body}");
    let o = order(&b, &body).await;
    assert_eq!(
        (o.discount.to_string(), o.total.to_string()),
        ("$4.00".into(), "$36.00".into())
    );
    assert_eq!(o.discount_code.as_deref(), Some("SAVE10"));

    // Once per customer.
    b.call_ok::<Value>(
        "cart/add",
        &[
            ("product_id", &make_product(&app, "Again", 4_000, 5).await),
            ("quantity", "1"),
        ],
    )
    .await;
    let (status, body) = place_with(&b, &[("discount_code", "SAVE10")]).await;
    assert_eq!(status, 422, "{body}");
    let (field, message) = field_error(&body);
    assert_eq!(field, "discount_code");
    assert!(message.contains("already used"), "{message}");

    for (price, code, says) in [
        (2_000, "SAVE10", "at least $30.00"),
        (4_000, "FIVE", "has expired"),
        (4_000, "SLEEPY", "not active"),
        (4_000, "NOSUCH", "do not know"),
    ] {
        let (b, _) = shopper_with(&app, price, "1").await;
        let q: Quote = b
            .call_ok(
                "checkout/quote",
                &[("country", "US"), ("region", "CA"), ("discount_code", code)],
            )
            .await;
        assert!(
            !q.code_ok && q.code_message.as_deref().unwrap_or("").contains(says),
            "{code}: {q:?}"
        );
        assert_eq!(
            q.total.to_string(),
            format!("${}.00", price / 100),
            "the quote leaves a refused code out"
        );
        let (status, body) = place_with(&b, &[("discount_code", code)]).await;
        assert_eq!(status, 422, "{code}: {body}");
        let (field, message) = field_error(&body);
        assert!(
            field == "discount_code" && message.contains(says),
            "{code}: {message}"
        );
    }
    // Nothing was counted for refused attempts.
    let codes: Vec<CodeView> = admin.call_ok("admin/discounts/list", &[]).await;
    assert_eq!(codes.iter().find(|c| c.code == "SAVE10").unwrap().used, 1);
}

#[tokio::test]
async fn free_shipping_codes_drop_the_shipping_charge() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let us = zone(
        &admin,
        "US",
        "US",
        &[&[("name", "Standard"), ("kind", "flat"), ("price", "6.50")]],
    )
    .await;
    let res = create_code(&admin, &[("code", "SHIPFREE"), ("kind", "free_shipping")]).await;
    assert_eq!(res.status(), 200);
    let (b, _) = shopper_with(&app, 1_000, "2").await;
    let (status, body) = place_with(
        &b,
        &[
            ("shipping", &method_id(&us, "Standard")),
            ("discount_code", "shipfree"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let o = order(&b, &body).await;
    assert!(o.shipping.is_zero() && o.discount.is_zero());
    assert_eq!(o.total.to_string(), "$20.00");
}

#[tokio::test]
async fn a_code_limited_to_50_uses_is_used_exactly_50_times_by_200_racing_buyers() {
    let app = spawn_app_alone().await;
    let (admin, _) = app.admin().await;
    let res = create_code(
        &admin,
        &[
            ("code", "RUSH50"),
            ("kind", "percent"),
            ("value", "20"),
            ("usage_limit", "50"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let p = make_product(&app, "Rush Item", 1_000, 1_000).await;
    let buyers = many_customers(&app, 200).await;
    for b in &buyers {
        b.call_ok::<Value>("cart/add", &[("product_id", &p), ("quantity", "1")])
            .await;
    }
    let mut keys = Vec::new();
    for b in &buyers {
        keys.push(checkout_key(b).await);
    }
    let attempts = buyers.iter().zip(&keys).map(|(b, k)| async move {
        let res = place(b, k, &[("discount_code", "RUSH50")]).await;
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    });
    let results = futures::future::join_all(attempts).await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let told = results
        .iter()
        .filter(|(s, body)| {
            *s == 422 && body.contains("discount_code") && body.contains("as often as it may be")
        })
        .count();
    assert_eq!(ok, 50, "exactly the code's limit");
    assert_eq!(
        told,
        150,
        "{:?}",
        results.iter().find(|(s, _)| *s != 200 && *s != 422)
    );
    let code = app
        .state
        .core
        .db
        .collection::<Document>("discount_codes")
        .find_one(doc! { "code": "RUSH50" })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(code.get_i64("used").unwrap(), 50);
    assert_eq!(code.get_i64("left").unwrap(), 0);
    // The refused buyers' units went back.
    assert_eq!(crate::orders::stock_of(&app, &p).await, 950);
}

#[tokio::test]
async fn an_unpaid_order_that_is_cancelled_gives_its_code_use_back() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let res = create_code(
        &admin,
        &[
            ("code", "ONLYONE"),
            ("kind", "fixed"),
            ("value", "3.00"),
            ("usage_limit", "1"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let (first, _) = shopper_with(&app, 2_000, "1").await;
    let (status, body) = place_with(&first, &[("discount_code", "ONLYONE")]).await;
    assert_eq!(status, 200, "{body}");
    let (second, _) = shopper_with(&app, 2_000, "1").await;
    let (status, refused) = place_with(&second, &[("discount_code", "ONLYONE")]).await;
    assert_eq!(status, 422, "{refused}");

    let res = first
        .call("orders/cancel", &[("id", body.as_str().unwrap())])
        .await;
    assert_eq!(res.status(), 200);
    let (status, body) = place_with(&second, &[("discount_code", "ONLYONE")]).await;
    assert_eq!(status, 200, "the use came back: {body}");
    assert_eq!(order(&second, &body).await.total.to_string(), "$17.00");
}

#[tokio::test]
async fn the_payment_page_charges_the_order_total_with_shipping_tax_and_discount() {
    let (app, stripe) = spawn_app_with_stripe().await;
    let (admin, _) = app.admin().await;
    let us = zone(
        &admin,
        "US",
        "US",
        &[&[("name", "Standard"), ("kind", "flat"), ("price", "4.99")]],
    )
    .await;
    assert_eq!(
        admin
            .call(
                "admin/taxes/add",
                &[
                    ("country", "US"),
                    ("region", "CA"),
                    ("name", "Sales tax"),
                    ("rate", "8.875")
                ]
            )
            .await
            .status(),
        200
    );
    assert_eq!(
        create_code(
            &admin,
            &[("code", "THIRD"), ("kind", "percent"), ("value", "33.33")]
        )
        .await
        .status(),
        200
    );
    // Awkward amounts: 3 × $3.33 = $9.99; a third off is $3.33 (3.32967 → 3.33).
    let (b, _) = shopper_with(&app, 333, "3").await;
    let (status, body) = place_with(
        &b,
        &[
            ("shipping", &method_id(&us, "Standard")),
            ("discount_code", "THIRD"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let o = order(&b, &body).await;
    // (9.99 − 3.33 + 4.99) × 8.875 % = 1.0339… → $1.03; total 6.66 + 4.99 + 1.03.
    assert_eq!(o.discount.to_string(), "$3.33");
    assert_eq!(o.tax.to_string(), "$1.03");
    assert_eq!(o.total.to_string(), "$12.68");

    // Placing opened the payment page already; its amount is the order total.
    let doc = app
        .state
        .core
        .db
        .collection::<Document>("orders")
        .find_one(doc! { "_id": ObjectId::parse_str(body.as_str().unwrap()).unwrap() })
        .await
        .unwrap()
        .unwrap();
    let url = doc
        .get_document("payment")
        .unwrap()
        .get_str("session_url")
        .unwrap()
        .to_string();
    let id = url.rsplit('/').next().unwrap();
    let session: Value = reqwest::Client::new()
        .get(format!("{stripe}/v1/checkout/sessions/{id}"))
        .bearer_auth(crate::helpers::STRIPE_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session["amount_total"].as_i64(), Some(o.total.minor()));
    let page = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(
        page.contains("$12.68")
            && page.contains("Shipping: Standard")
            && page.contains("Sales tax"),
        "{page}"
    );

    // Paid: the webhook's amount check passes.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(&url)
        .form(&[
            ("card_number", "4242 4242 4242 4242"),
            ("expiry", "12 / 34"),
            ("cvc", "123"),
            ("name", "Robin Reed"),
            ("email", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let paid: OrderView = b
        .call_ok("payments/status", &[("order_id", body.as_str().unwrap())])
        .await;
    assert_eq!(paid.status, oxcart::orders::types::OrderStatus::Paid);
}
