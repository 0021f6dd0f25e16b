//! Product variants: the migration of today's data, the admin's options, variant
//! table, bulk changes and stock history, search and facets by option value, the
//! per-variant oversell race, cart and order lines, and CSV import and export.

use std::time::Duration;

use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};
use oxcart::cart::types::CartView;
use oxcart::catalog::store::{self, Product, ProductOption, Variant};
use oxcart::catalog::types::{
    ImportJobView, ImportStatus, ProductDetail, ProductStatus, SearchQuery, StockHistory,
};
use oxcart::orders::types::OrderView;
use oxcart::shared::{Currency, Sku, Slug};
use serde_json::Value;

use crate::helpers::{eventually, spawn_app, spawn_app_alone, Browser, TestApp};
use crate::orders::{checkout_key, many_customers, place, place_ok};

/// A product with options and every combination, inserted straight into the
/// database and the index. `stock(values)` gives each variant's units.
pub async fn make_variant_product(
    app: &TestApp,
    name: &str,
    options: &[(&str, &[&str])],
    price: i64,
    stock: impl Fn(&[String]) -> i64,
) -> Product {
    let base: String = name
        .split_whitespace()
        .map(|w| w.chars().next().unwrap())
        .collect::<String>()
        + &ObjectId::new().to_hex()[18..];
    let mut combos: Vec<Vec<String>> = vec![vec![]];
    for (_, values) in options {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut n = c.clone();
                    n.push(v.to_string());
                    n
                })
            })
            .collect();
    }
    let variants: Vec<Variant> = combos
        .into_iter()
        .map(|values| Variant {
            id: ObjectId::new(),
            sku: store::variant_sku(&base, &values),
            stock: stock(&values),
            options: values,
            price,
            compare_at: None,
            weight_grams: Some(250),
            image_id: None,
        })
        .collect();
    let now = DateTime::now();
    let p = Product {
        id: ObjectId::new(),
        name: name.to_string(),
        slug: Slug::parse(&format!(
            "{}-{}",
            oxcart::shared::domain::slugify(name),
            &ObjectId::new().to_hex()[18..]
        ))
        .unwrap(),
        description: format!("A {name}."),
        price,
        currency: Currency::Usd,
        category_id: None,
        tags: vec![],
        stock: variants.iter().map(|v| v.stock).sum(),
        status: ProductStatus::Active,
        featured: false,
        images: vec![],
        options: options
            .iter()
            .map(|(n, vs)| ProductOption {
                name: n.to_string(),
                values: vs.iter().map(|v| v.to_string()).collect(),
            })
            .collect(),
        variants,
        reservations: vec![],
        created_at: now,
        updated_at: now,
    };
    store::insert_product(&app.state.core.db, &p).await.unwrap();
    oxcart::catalog::sync::refresh(&app.state.core.db, &app.state.catalog.search, &[p.id])
        .await
        .unwrap();
    p
}

fn variant_with<'a>(p: &'a Product, values: &[&str]) -> &'a Variant {
    p.variants
        .iter()
        .find(|v| {
            v.options
                .iter()
                .map(String::as_str)
                .eq(values.iter().copied())
        })
        .unwrap()
}

async fn product(app: &TestApp, id: &ObjectId) -> Product {
    store::find_by_id(&app.state.core.db, id)
        .await
        .unwrap()
        .unwrap()
}

// ---------- migration ----------

#[tokio::test]
async fn todays_products_carts_and_orders_move_to_variants_with_nothing_lost() {
    let app = spawn_app().await;
    let db = &app.state.core.db;
    let (lamp, mug, gone) = (ObjectId::new(), ObjectId::new(), ObjectId::new());
    let (order_paid, order_unpaid) = (ObjectId::new(), ObjectId::new());
    let now = DateTime::now();
    // Products in today's shape: one price and one stock, no variants; one stored
    // with 32-bit numbers as older code did; the lamp holds a reservation.
    db.collection::<Document>("products")
        .insert_many([
            doc! {
                "_id": lamp, "name": "Old Lamp", "slug": "old-lamp", "description": "Bright.",
                "price": 2500_i64, "currency": "usd", "category_id": Bson::Null, "tags": ["light"],
                "stock": 7_i64, "status": "active", "featured": true, "images": [],
                "reservations": [ { "order_id": order_unpaid, "qty": 2_i64, "at": now } ],
                "created_at": now, "updated_at": now,
            },
            doc! {
                "_id": mug, "name": "Old Mug", "slug": "old-mug", "description": "",
                "price": 900_i32, "currency": "usd", "category_id": Bson::Null, "tags": [],
                "stock": 12_i32, "status": "archived", "featured": false, "images": [],
                "reservations": [], "created_at": now, "updated_at": now,
            },
        ])
        .await
        .unwrap();
    // A cart with a line of each, and one of a product deleted since.
    let cart = ObjectId::new();
    db.collection::<Document>("carts")
        .insert_one(doc! {
            "_id": cart, "guest_key": "old-guest-cart", "version": 3_i64, "updated_at": now,
            "items": [
                { "product_id": lamp, "quantity": 2_i64, "price_at_add": 2500_i64, "added_at": now },
                { "product_id": mug, "quantity": 1_i64, "price_at_add": 900_i64, "added_at": now },
                { "product_id": gone, "quantity": 4_i64, "price_at_add": 100_i64, "added_at": now },
            ],
        })
        .await
        .unwrap();
    // Orders in today's shape.
    let user = ObjectId::new();
    let order = |id: ObjectId, status: &str, product: ObjectId, qty: i64| {
        doc! {
            "_id": id, "number": format!("OX-{:06}", if status == "paid" { 901 } else { 902 }),
            "user_id": user, "email": "old@example.com", "customer_name": "Old Customer",
            "status": status,
            "lines": [ { "product_id": product, "slug": "x", "name": "Old thing",
                         "unit_price": 2500_i64, "quantity": qty, "line_total": 2500_i64 * qty } ],
            "subtotal": 2500_i64 * qty, "shipping": 0_i64, "total": 2500_i64 * qty, "currency": "usd",
            "address": { "name": "Old Customer", "line1": "1 Old Street", "line2": "", "city": "Oldtown",
                         "postal_code": "12345", "country": "US" },
            "checkout_key": format!("k{id}"), "reserved_until": now, "payment": {},
            "history": [ { "status": status, "at": now, "actor": "system", "note": "" } ],
            "created_at": now, "updated_at": now,
        }
    };
    db.collection::<Document>("orders")
        .insert_many([
            order(order_paid, "paid", gone, 1),
            order(order_unpaid, "awaiting_payment", lamp, 2),
        ])
        .await
        .unwrap();

    // The shop starts on this data: migrations run by themselves.
    db.collection::<Document>("migrations")
        .delete_many(doc! {})
        .await
        .unwrap();
    oxcart::server::startup::prepare_database(db, "test-instance")
        .await
        .unwrap();

    let lamp_now = product(&app, &lamp).await;
    assert_eq!(lamp_now.variants.len(), 1);
    let v = &lamp_now.variants[0];
    assert_eq!((v.price, v.stock, v.sku.as_str()), (2500, 7, "OLD-LAMP"));
    assert!(lamp_now.options.is_empty());
    assert_eq!((lamp_now.price, lamp_now.stock), (2500, 7));
    assert_eq!(lamp_now.name, "Old Lamp");
    assert_eq!(lamp_now.tags, vec!["light"]);
    assert!(lamp_now.featured);
    assert_eq!(lamp_now.reservations.len(), 1, "the reservation is kept");
    assert_eq!(lamp_now.reservations[0].variant_id, Some(v.id));
    let mug_now = product(&app, &mug).await;
    assert_eq!(
        (mug_now.variants[0].price, mug_now.variants[0].stock),
        (900, 12)
    );
    assert_eq!(mug_now.status, ProductStatus::Archived);

    let cart_doc = db
        .collection::<Document>("carts")
        .find_one(doc! { "_id": cart })
        .await
        .unwrap()
        .unwrap();
    let items = cart_doc.get_array("items").unwrap();
    assert_eq!(items.len(), 3, "every line is kept");
    let item = |i: usize| items[i].as_document().unwrap();
    assert_eq!(item(0).get_object_id("variant_id").unwrap(), v.id);
    assert_eq!(item(0).get_i64("quantity").unwrap(), 2);
    assert_eq!(
        item(1).get_object_id("variant_id").unwrap(),
        mug_now.variants[0].id
    );
    assert_eq!(
        item(2).get_i64("quantity").unwrap(),
        4,
        "a gone product's line stays"
    );

    let orders = db.collection::<Document>("orders");
    let unpaid = orders
        .find_one(doc! { "_id": order_unpaid })
        .await
        .unwrap()
        .unwrap();
    let line = unpaid.get_array("lines").unwrap()[0]
        .as_document()
        .unwrap()
        .clone();
    assert_eq!(line.get_object_id("variant_id").unwrap(), v.id);
    assert_eq!(line.get_str("sku").unwrap(), "OLD-LAMP");
    assert_eq!(line.get_i64("unit_price").unwrap(), 2500);
    let paid = orders
        .find_one(doc! { "_id": order_paid })
        .await
        .unwrap()
        .unwrap();
    let paid_line = paid.get_array("lines").unwrap()[0]
        .as_document()
        .unwrap()
        .clone();
    assert_eq!(paid_line.get_str("name").unwrap(), "Old thing");
    assert_eq!(paid.get_i64("total").unwrap(), 2500);

    // Running again changes nothing (already recorded; and idempotent if forced).
    let again = oxcart::kernel::migrate::run_pending(
        db,
        &oxcart::server::startup::migrations(),
        "test-instance",
    )
    .await
    .unwrap();
    assert!(again.is_empty());
    assert_eq!(
        oxcart::catalog::migrate::products_to_variants(db.clone())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        oxcart::cart::store::lines_to_variants(db.clone())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        oxcart::orders::store::lines_to_variants(db.clone())
            .await
            .unwrap(),
        0
    );

    // The migrated data works: the cancelled unpaid order gives its stock back to
    // the variant, and the guest cart prices from the variants.
    oxcart::orders::service::release_reserved_stock(
        db,
        &oxcart::orders::store::find(db, &order_unpaid)
            .await
            .unwrap()
            .unwrap(),
    )
    .await;
    let lamp_after = product(&app, &lamp).await;
    assert_eq!(lamp_after.variants[0].stock, 9);
    assert_eq!(lamp_after.stock, 9);
    let c = oxcart::cart::store::find(
        db,
        &oxcart::cart::store::Owner::Guest("old-guest-cart".into()),
    )
    .await
    .unwrap()
    .unwrap();
    let view = oxcart::cart::store::view(db, Some(&c), Currency::Usd)
        .await
        .unwrap();
    assert_eq!(view.lines.len(), 3);
    assert!(
        view.lines[2].problem.is_some(),
        "the gone product is flagged, not dropped"
    );
}

// ---------- admin ----------

async fn create_product(admin: &Browser, name: &str, price: &str, stock: &str) -> String {
    admin
        .call_ok::<String>(
            "admin/products/save",
            &[
                ("form[name]", name),
                ("form[slug]", ""),
                ("form[description]", "Soft and warm."),
                ("form[price]", price),
                ("form[category_id]", ""),
                ("form[tags]", ""),
                ("form[stock]", stock),
                ("form[status]", "active"),
            ],
        )
        .await
}

fn table_form(p: &ProductDetail) -> Vec<(String, String)> {
    let mut form = vec![("id".to_string(), p.id.clone())];
    for (i, v) in p.variants.iter().enumerate() {
        let key = |f: &str| format!("variants[rows][{i}][{f}]");
        form.push((key("id"), v.id.clone()));
        form.push((key("sku"), v.sku.clone()));
        form.push((key("price"), v.price.to_input()));
        form.push((
            key("compare_at"),
            v.compare_at.map(|c| c.to_input()).unwrap_or_default(),
        ));
        form.push((key("weight"), String::new()));
        form.push((key("image_id"), String::new()));
    }
    form
}

fn refs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn set(form: &mut [(String, String)], key: &str, value: &str) {
    form.iter_mut().find(|(k, _)| k == key).unwrap().1 = value.to_string();
}

#[tokio::test]
async fn admins_build_the_variant_matrix_and_edit_every_variant() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let id = create_product(&admin, "Wool Hoodie", "40.00", "6").await;
    let options = |n1: &str, v1: &str, n2: &str, v2: &str| {
        vec![
            ("id", id.clone()),
            ("options[name1]", n1.to_string()),
            ("options[values1]", v1.to_string()),
            ("options[name2]", n2.to_string()),
            ("options[values2]", v2.to_string()),
        ]
    };
    let call = |form: Vec<(&'static str, String)>| {
        let admin = &admin;
        async move {
            let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.call("admin/products/options", &f).await
        }
    };
    // Bad options are field errors.
    let res = call(options("Size", "S, s", "", "")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("listed twice"));
    let res = call(options("Size", "", "", "")).await;
    assert_eq!(res.status(), 422);

    // Size × Colour: six variants; the old default variant (6 in stock) becomes
    // the first combination, the others start empty.
    let res = call(options("Size", "S, M, L", "Colour", "Red, Blue")).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let p: ProductDetail = admin.call_ok("admin/products/get", &[("id", &id)]).await;
    assert_eq!(p.variants.len(), 6);
    assert_eq!(p.options[1].values, vec!["Red", "Blue"]);
    assert_eq!(p.variants[0].options, vec!["S", "Red"]);
    assert_eq!(p.variants[0].stock, 6);
    assert_eq!(p.stock, 6);
    let skus: std::collections::HashSet<&str> = p.variants.iter().map(|v| v.sku.as_str()).collect();
    assert_eq!(skus.len(), 6, "every SKU differs: {skus:?}");
    assert!(
        p.variants[5].sku.ends_with("-L-BLUE"),
        "{}",
        p.variants[5].sku
    );

    // Duplicate SKU in the table: a field error on that row, nothing saved.
    let mut form = table_form(&p);
    let first_sku = p.variants[0].sku.clone();
    set(&mut form, "variants[rows][1][sku]", &first_sku);
    let res = admin.call("admin/products/variants", &refs(&form)).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body.to_string().contains("variant-1-sku"), "{body}");
    // A SKU another product has: a field error too.
    let other = crate::catalog::make_product(&app, "Other Thing", 100, 1).await;
    let other_sku = product(&app, &ObjectId::parse_str(&other).unwrap())
        .await
        .variants[0]
        .sku
        .to_string();
    let mut form = table_form(&p);
    set(&mut form, "variants[rows][2][sku]", &other_sku);
    let res = admin.call("admin/products/variants", &refs(&form)).await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("variant-2-sku") && body.contains("already uses this SKU"),
        "{body}"
    );
    // A sale price below the price is refused.
    let mut form = table_form(&p);
    set(&mut form, "variants[rows][0][compare_at]", "10.00");
    assert_eq!(
        admin
            .call("admin/products/variants", &refs(&form))
            .await
            .status(),
        422
    );

    // A valid table: per-variant prices, a sale. Stock is not part of the table:
    // a stock typed into the request changes nothing (stock changes only through
    // adjustments, each with its history entry).
    let mut form = table_form(&p);
    set(&mut form, "variants[rows][4][price]", "44.00");
    set(&mut form, "variants[rows][4][compare_at]", "55.00");
    set(&mut form, "variants[rows][4][sku]", "hoodie-l-red");
    form.push(("variants[rows][4][stock]".into(), "99".into()));
    let res = admin.call("admin/products/variants", &refs(&form)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let p: ProductDetail = admin.call_ok("admin/products/get", &[("id", &id)]).await;
    let l_red = p.variant_with(&["L".into(), "Red".into()]).unwrap();
    assert_eq!(
        (l_red.price.minor(), l_red.stock, l_red.sku.as_str()),
        (4400, 0, "HOODIE-L-RED")
    );
    assert!(l_red.on_sale());
    assert_eq!(p.stock, 6);
    assert_eq!(p.price.minor(), 4000, "the product shows its lowest price");
    let l_red_id = l_red.id.clone();
    let n: i64 = admin
        .call_ok(
            "admin/products/stock",
            &[("id", &id), ("variant_id", &l_red_id), ("delta", "3")],
        )
        .await;
    assert_eq!(n, 3);
    let p: ProductDetail = admin.call_ok("admin/products/get", &[("id", &id)]).await;
    assert_eq!(p.stock, 9);

    // The table was loaded before a sale changed stock: saving it keeps the
    // sale (the table does not carry stock, so it cannot overwrite it).
    let stale = table_form(&p);
    let first_stock = p.variants[0].stock;
    app.state
        .core
        .db
        .collection::<Document>("products")
        .update_one(
            doc! { "_id": ObjectId::parse_str(&id).unwrap() },
            doc! { "$inc": { "variants.0.stock": -1_i64, "stock": -1_i64 } },
        )
        .await
        .unwrap();
    let res = admin.call("admin/products/variants", &refs(&stale)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let after: ProductDetail = admin.call_ok("admin/products/get", &[("id", &id)]).await;
    assert_eq!(after.variants[0].stock, first_stock - 1);
    assert_eq!(after.stock, 8);

    // Bulk: every price, then stock added to every variant.
    let bulk = |action: &'static str, value: &'static str| {
        let admin = &admin;
        let id = id.clone();
        async move {
            admin
                .call(
                    "admin/products/variants-bulk",
                    &[("id", &id), ("action", action), ("value", value)],
                )
                .await
        }
    };
    assert_eq!(bulk("price", "abc").await.status(), 422);
    assert_eq!(bulk("price", "39.00").await.status(), 200);
    assert_eq!(bulk("stock", "5").await.status(), 200);
    let p: ProductDetail = admin.call_ok("admin/products/get", &[("id", &id)]).await;
    assert!(p.variants.iter().all(|v| v.price.minor() == 3900));
    let l_red = p.variant_with(&["L".into(), "Red".into()]).unwrap();
    assert!(
        l_red.compare_at.is_some(),
        "55.00 is still above 39.00: still a sale"
    );
    assert_eq!(l_red.stock, 8);
    assert_eq!(p.stock, 8 + 5 * 6);

    // One variant's stock, with a note; never below zero.
    let m_blue = p
        .variant_with(&["M".into(), "Blue".into()])
        .unwrap()
        .id
        .clone();
    let res = admin
        .call(
            "admin/products/stock",
            &[("id", &id), ("variant_id", &m_blue), ("delta", "-9")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let n: i64 = admin
        .call_ok(
            "admin/products/stock",
            &[
                ("id", &id),
                ("variant_id", &m_blue),
                ("delta", "+10"),
                ("note", "Delivery from the mill"),
            ],
        )
        .await;
    assert_eq!(n, 15);
    // Without a variant, a product with several is refused clearly.
    let res = admin
        .call("admin/products/stock", &[("id", &id), ("delta", "1")])
        .await;
    assert_eq!(res.status(), 422);
    let history: StockHistory = admin
        .call_ok("admin/products/stock-history", &[("id", &id)])
        .await;
    let newest = &history.entries[0];
    assert_eq!((newest.delta, newest.stock_after), (10, 15));
    assert_eq!(newest.note, "Delivery from the mill");
    assert_eq!(newest.by, "Ada Admin");
    assert!(history
        .entries
        .iter()
        .any(|e| e.note == "Added to every variant"));
    assert!(history
        .entries
        .iter()
        .any(|e| e.sku == "HOODIE-L-RED" && e.delta == 3));

    // A shopper buys an L/Red and pays; then the admin removes "L": the order
    // keeps what was sold. An unpaid order holding a variant stops its removal.
    let (shopper, _) = app.customer().await;
    shopper
        .call_ok::<Value>(
            "cart/add",
            &[
                ("product_id", &p.id),
                ("option1", "L"),
                ("option2", "red"),
                ("quantity", "2"),
            ],
        )
        .await;
    let order_id = place_ok(&shopper).await;
    let res = call(options("Size", "S, M", "Colour", "Red, Blue")).await;
    assert_eq!(res.status(), 422, "unpaid orders hold L/Red");
    assert!(res.text().await.unwrap().contains("HOODIE-L-RED"));
    app.state
        .core
        .db
        .collection::<Document>("orders")
        .update_one(
            doc! { "_id": ObjectId::parse_str(&order_id).unwrap() },
            doc! { "$set": { "status": "paid" } },
        )
        .await
        .unwrap();
    oxcart::catalog::store::commit_reservation(
        &app.state.core.db,
        &ObjectId::parse_str(&id).unwrap(),
        &ObjectId::parse_str(&order_id).unwrap(),
    )
    .await
    .unwrap();
    let res = call(options("Size", "S, M", "Colour", "Red, Blue")).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let p: ProductDetail = admin.call_ok("admin/products/get", &[("id", &id)]).await;
    assert_eq!(p.variants.len(), 4);
    let order: OrderView = shopper.call_ok("orders/get", &[("id", &order_id)]).await;
    assert_eq!(order.lines[0].sku, "HOODIE-L-RED");
    assert_eq!(order.lines[0].variant_label, "Size: L · Colour: Red");
    assert_eq!(order.lines[0].unit_price.minor(), 3900);
    let page = shopper
        .get(&format!("/account/orders/{order_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Size: L · Colour: Red") && page.contains("HOODIE-L-RED"));
}

// ---------- storefront: search, facets, product page, cart ----------

#[tokio::test]
async fn option_values_are_searchable_and_facets_count_per_variant() {
    let app = spawn_app().await;
    // In stock: a red S and a blue M; the red M and the blue S are sold out.
    let hoodie = make_variant_product(
        &app,
        "Trail Hoodie",
        &[("Size", &["S", "M"]), ("Colour", &["Red", "Blue"])],
        5000,
        |v| match (v[0].as_str(), v[1].as_str()) {
            ("S", "Red") => 2,
            ("M", "Blue") => 4,
            _ => 0,
        },
    )
    .await;
    let tee = make_variant_product(
        &app,
        "Trail Tee",
        &[("Colour", &["Red", "Green"])],
        2000,
        |_| 5,
    )
    .await;
    let _plain = crate::catalog::make_product(&app, "Trail Map", 900, 3).await;
    let search = |q: &str, options: Vec<(&str, Vec<&str>)>, in_stock: bool| {
        app.state
            .catalog
            .search
            .search(&SearchQuery {
                q: q.to_string(),
                page: 1,
                per_page: 20,
                in_stock,
                options: options
                    .into_iter()
                    .map(|(n, vs)| (n.to_string(), vs.into_iter().map(String::from).collect()))
                    .collect(),
                ..Default::default()
            })
            .unwrap()
    };
    let ids = |r: &oxcart::catalog::types::SearchResults| {
        let mut v: Vec<String> = r.items.iter().map(|c| c.id.clone()).collect();
        v.sort();
        v
    };
    // "red hoodie" finds the hoodie by its colour.
    let r = search("red hoodie", vec![], false);
    assert_eq!(
        r.items.first().map(|c| c.id.clone()),
        Some(hoodie.id.to_hex())
    );
    assert!(!r.relaxed);
    // Facets: Colour and Size with counts over the products found.
    let r = search("trail", vec![], false);
    assert_eq!(r.total, 3);
    let facet = |r: &oxcart::catalog::types::SearchResults, name: &str, value: &str| {
        r.options
            .iter()
            .find(|o| o.name == name)
            .and_then(|o| o.values.iter().find(|v| v.value == value))
            .map(|v| v.count)
            .unwrap_or(0)
    };
    assert_eq!(facet(&r, "Colour", "Red"), 2);
    assert_eq!(facet(&r, "Colour", "Green"), 1);
    assert_eq!(facet(&r, "Size", "M"), 1);
    // A filter matches a product when one of its variants does.
    let r = search("trail", vec![("colour", vec!["red"])], false);
    let mut want = vec![hoodie.id.to_hex(), tee.id.to_hex()];
    want.sort();
    assert_eq!(ids(&r), want);
    // Several options: the same variant must have them all. In stock, the hoodie
    // has an M and a red, but no red M: "M and Red" finds nothing; "M and Blue"
    // finds it.
    let r = search("", vec![("colour", vec!["red"]), ("size", vec!["m"])], true);
    assert_eq!(r.total, 0);
    let r = search(
        "",
        vec![("colour", vec!["blue"]), ("size", vec!["m"])],
        true,
    );
    assert_eq!(ids(&r), vec![hoodie.id.to_hex()]);
    let r = search(
        "",
        vec![("colour", vec!["red"]), ("size", vec!["m"])],
        false,
    );
    assert_eq!(
        ids(&r),
        vec![hoodie.id.to_hex()],
        "sold out, but sold in M/Red"
    );
    // In stock is per variant: a blue S is sold out, a red S is not.
    let r = search(
        "",
        vec![("colour", vec!["blue"]), ("size", vec!["s"])],
        true,
    );
    assert_eq!(r.total, 0);
    let r = search("", vec![("colour", vec!["red"])], true);
    assert_eq!(ids(&r), want);
    // Two values of one option: either.
    let r = search("", vec![("colour", vec!["green", "blue"])], false);
    assert_eq!(r.total, 2);
    // The facet counts of other values ignore this option's own filter, so a
    // shopper can see what choosing another colour gives.
    assert_eq!(facet(&r, "Colour", "Red"), 2);
    assert!(r
        .options
        .iter()
        .any(|o| o.values.iter().any(|v| v.selected && v.value == "Green")));

    // Through HTTP, as the listing page's links make them.
    let b = app.browser();
    let page = b
        .get("/products?q=trail&f=colour%3Ared")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Trail Hoodie") && page.contains("Trail Tee"));
    assert!(!page.contains("Trail Map"));
    assert!(page.contains("✓ Red"), "the chosen value is marked");
    let bad = b.get("/products?f=nonsense").await;
    assert!(bad.status().is_client_error(), "{}", bad.status());
    // Cards: "from" when prices differ, and a sale badge.
    assert!(page.contains("Choose options"));
}

#[tokio::test]
async fn the_product_page_links_each_variant_and_works_without_javascript() {
    let app = spawn_app().await;
    let p = make_variant_product(
        &app,
        "Canvas Jacket",
        &[("Size", &["S", "M"]), ("Colour", &["Olive", "Black"])],
        8000,
        |v| if v[0] == "S" && v[1] == "Black" { 0 } else { 2 },
    )
    .await;
    let b = app.browser();
    // ?variant=SKU shows that variant chosen; option values in the address win.
    let s_black = variant_with(&p, &["S", "Black"]);
    let page = b
        .get(&format!("/products/{}?variant={}", p.slug, s_black.sku))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Out of stock"), "S/Black is sold out");
    assert!(
        page.contains(r#"value="Black" checked"#)
            || page.contains(r#"checked="" value="Black""#)
            || page.contains("value=\"Black\" checked=\"\""),
        "Black is chosen"
    );
    let page = b
        .get(&format!("/products/{}?option1=M&option2=Black", p.slug))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Only 2 left"));
    assert!(page.contains(&variant_with(&p, &["M", "Black"]).sku.to_string()));
    assert!(
        page.contains("Show price and availability"),
        "the no-JavaScript reload button"
    );
    assert!(
        page.contains("(sold out)"),
        "S is marked as sold out with Black"
    );

    // Without JavaScript: the form posts the radio values; the stale variant id
    // the page carried is overruled by them.
    let res = b
        .post_form(
            "/api/cart/add",
            &format!("/products/{}", p.slug),
            &[
                ("product_id", &p.id.to_hex()),
                ("variant_id", &s_black.id.to_hex()),
                ("option1", "M"),
                ("option2", "Olive"),
                ("quantity", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 302);
    let cart: CartView = b.call_ok("cart/get", &[]).await;
    assert_eq!(cart.lines.len(), 1);
    assert_eq!(cart.lines[0].variant_label, "Size: M · Colour: Olive");
    assert_eq!(
        cart.lines[0].sku,
        variant_with(&p, &["M", "Olive"]).sku.to_string()
    );
    // A sold-out or missing combination cannot be bought.
    let res = b
        .call(
            "cart/add",
            &[
                ("product_id", &p.id.to_hex()),
                ("option1", "S"),
                ("option2", "Black"),
                ("quantity", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("sold out"));
    let res = b
        .call(
            "cart/add",
            &[
                ("product_id", &p.id.to_hex()),
                ("option1", "XL"),
                ("option2", "Black"),
                ("quantity", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("not available"));
    let res = b
        .call(
            "cart/add",
            &[("product_id", &p.id.to_hex()), ("quantity", "1")],
        )
        .await;
    assert_eq!(res.status(), 422, "a product with options needs a choice");
    assert!(res.text().await.unwrap().contains("Choose size and colour"));
    // Two variants of one product are two lines.
    b.call_ok::<Value>(
        "cart/add",
        &[
            ("product_id", &p.id.to_hex()),
            ("option1", "S"),
            ("option2", "Olive"),
            ("quantity", "2"),
        ],
    )
    .await;
    let cart: CartView = b.call_ok("cart/get", &[]).await;
    assert_eq!(cart.lines.len(), 2);
    assert_eq!(cart.subtotal.minor(), 3 * 8000);
}

#[tokio::test]
async fn two_hundred_buyers_racing_for_fifty_units_of_one_variant_never_oversell() {
    let app = spawn_app_alone().await;
    let p = make_variant_product(
        &app,
        "Race Sneaker",
        &[("Size", &["42", "43"])],
        9000,
        |v| if v[0] == "42" { 50 } else { 500 },
    )
    .await;
    let size_42 = variant_with(&p, &["42"]).id;
    let size_43 = variant_with(&p, &["43"]).id;
    let buyers = many_customers(&app, 200).await;
    for b in &buyers {
        b.call_ok::<Value>(
            "cart/add",
            &[
                ("product_id", &p.id.to_hex()),
                ("variant_id", &size_42.to_hex()),
                ("quantity", "1"),
            ],
        )
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
        .filter(|(s, body)| *s == 409 && body.contains("sold out") && body.contains("Size: 42"))
        .count();
    assert_eq!(ok, 50, "exactly the variant's stock was sold");
    assert_eq!(
        sold_out,
        150,
        "{:?}",
        results.iter().find(|(s, _)| *s != 200 && *s != 409)
    );
    let after = product(&app, &p.id).await;
    assert_eq!(after.variant(&size_42).unwrap().stock, 0);
    assert_eq!(
        after.variant(&size_43).unwrap().stock,
        500,
        "the other size is untouched"
    );
    assert_eq!(after.stock, 500);
    assert_eq!(after.reservations.len(), 50);
    assert!(after
        .reservations
        .iter()
        .all(|r| r.variant_id == Some(size_42)));
}

// ---------- CSV ----------

async fn upload(admin: &Browser, name: &str, text: &str) -> String {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(text.as_bytes().to_vec()).file_name(name.to_string()),
    );
    let res = admin
        .client
        .post(admin.url("/admin/products/import/upload"))
        .header("origin", &admin.base)
        .header("accept", "text/html")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let to = res.headers()["location"].to_str().unwrap().to_string();
    to.split("job=").nth(1).unwrap().to_string()
}

async fn finished_job(admin: &Browser, id: &str) -> ImportJobView {
    let last = std::sync::Mutex::new(None);
    let finished = eventually(Duration::from_secs(120), || async {
        let job: ImportJobView = admin
            .call_ok("admin/products/import-job", &[("id", id)])
            .await;
        let done = !job.status.is_running();
        *last.lock().unwrap() = Some(job);
        done
    })
    .await;
    let job = last.lock().unwrap().take().unwrap();
    assert!(finished, "the import did not finish: {job:?}");
    job
}

/// The catalog as the shop shows it, without ids and times.
async fn catalog_snapshot(app: &TestApp) -> Vec<String> {
    use futures::TryStreamExt;
    let db = &app.state.core.db;
    let categories = store::list_categories(db).await.unwrap();
    let mut out: Vec<String> = store::products(db)
        .find(doc! {})
        .await
        .unwrap()
        .try_collect::<Vec<Product>>()
        .await
        .unwrap()
        .into_iter()
        .map(|p| {
            let variants: Vec<String> = p
                .variants
                .iter()
                .map(|v| {
                    format!(
                        "{}|{:?}|{}|{:?}|{}|{:?}",
                        v.sku, v.options, v.price, v.compare_at, v.stock, v.weight_grams
                    )
                })
                .collect();
            format!(
                "{}|{}|{:?}|{}|{:?}|{:?}|{}|{:?}|{}|{}|{:?}",
                p.slug,
                p.name,
                p.description,
                oxcart::catalog::csv::category_path(&categories, p.category_id),
                p.tags,
                p.status,
                p.featured,
                p.options,
                p.price,
                p.stock,
                variants
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn csv_export_then_import_into_an_empty_shop_gives_the_same_catalog() {
    let source = spawn_app().await;
    oxcart::catalog::seed::run(&source.state.core.db, 120, Currency::Usd, false, false)
        .await
        .unwrap();
    // Text that CSV and HTML must carry: quotes, commas, new lines, ampersands.
    source
        .state
        .core
        .db
        .collection::<Document>("products")
        .update_one(
            doc! {},
            doc! { "$set": { "description": "Line one, \"quoted\" & <b>bold</b>\nLine two" } },
        )
        .await
        .unwrap();
    let (admin, _) = source.admin().await;
    let res = admin.get("/admin/products/export.csv").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("Handle,Title,Body (HTML)"));
    let variant_rows: usize = {
        use futures::TryStreamExt;
        store::products(&source.state.core.db)
            .find(doc! {})
            .await
            .unwrap()
            .try_collect::<Vec<Product>>()
            .await
            .unwrap()
            .iter()
            .map(|p| p.variants.len())
            .sum()
    };
    assert!(variant_rows > 120, "the seed has variant products");
    // A guest cannot download it.
    assert_eq!(
        source
            .browser()
            .get("/admin/products/export.csv")
            .await
            .status(),
        401
    );

    let target = spawn_app().await;
    let (admin2, _) = target.admin().await;
    let job = upload(&admin2, "catalog.csv", &csv).await;
    let job = finished_job(&admin2, &job).await;
    assert_eq!(job.status, ImportStatus::Done, "{job:?}");
    assert_eq!((job.created, job.updated, job.error_count), (120, 0, 0));
    assert_eq!(
        catalog_snapshot(&source).await,
        catalog_snapshot(&target).await
    );

    // Importing the same file again changes nothing but counts as updates.
    let job = upload(&admin2, "catalog.csv", &csv).await;
    let job = finished_job(&admin2, &job).await;
    assert_eq!((job.created, job.updated), (0, 120));
    assert_eq!(
        catalog_snapshot(&source).await,
        catalog_snapshot(&target).await
    );
}

#[tokio::test]
async fn an_invalid_csv_is_reported_by_line_and_nothing_is_written() {
    let app = spawn_app().await;
    let existing = crate::catalog::make_product(&app, "Kept Lamp", 1500, 4).await;
    let kept_sku = product(&app, &ObjectId::parse_str(&existing).unwrap())
        .await
        .variants[0]
        .sku
        .to_string();
    let (admin, _) = app.admin().await;
    let before = catalog_snapshot(&app).await;
    let file = format!(
        "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty\n\
         good-shirt,Good Shirt,Size,S,GS-S,20.00,4\n\
         good-shirt,,,M,GS-M,20.00,4\n\
         bad-shirt,Bad Shirt,Size,S,BS-S,twenty,4\n\
         bad-shirt,,,S,BS-S2,20.00,-2\n\
         stolen-sku,Stolen,,,{kept_sku},5.00,1\n"
    );
    let job = upload(&admin, "bad.csv", &file).await;
    let job = finished_job(&admin, &job).await;
    assert_eq!(job.status, ImportStatus::Invalid);
    let has = |line: i64, text: &str| {
        job.errors
            .iter()
            .any(|e| e.line == line && e.message.contains(text))
    };
    assert!(has(4, "Variant Price"), "{:?}", job.errors);
    assert!(has(5, "Variant Inventory Qty"), "{:?}", job.errors);
    assert!(has(5, "same options"), "{:?}", job.errors);
    assert!(has(6, "belongs to another product"), "{:?}", job.errors);
    assert_eq!(job.error_count as usize, job.errors.len());
    assert_eq!(catalog_snapshot(&app).await, before, "nothing was written");
    // The admin page lists them by line.
    let page = admin
        .get(&format!("/admin/products/import?job={}", job.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Nothing was written") && page.contains("Variant Price"));

    // Not a CSV with the needed columns, and not text at all.
    let job = upload(&admin, "notes.txt", "just some words\n").await;
    let job = finished_job(&admin, &job).await;
    assert_eq!(job.status, ImportStatus::Invalid);
    assert!(job.errors[0].message.contains("Handle"));
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(vec![0xff, 0xfe, 0x00, 0x41]).file_name("x.csv"),
    );
    let res = admin
        .client
        .post(admin.url("/admin/products/import/upload"))
        .header("origin", &admin.base)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("UTF-8"));
    // Customers cannot import.
    let (customer, _) = app.customer().await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(file.into_bytes()).file_name("x.csv"),
    );
    let res = customer
        .client
        .post(customer.url("/admin/products/import/upload"))
        .header("origin", &customer.base)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(catalog_snapshot(&app).await, before);
}

#[tokio::test]
async fn a_large_import_runs_in_the_background_and_reports_progress() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    // 10,000 rows: 2,000 products in 5 sizes.
    let mut file = String::from(
        "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty\n",
    );
    for p in 0..2000 {
        for (i, size) in ["XS", "S", "M", "L", "XL"].iter().enumerate() {
            if i == 0 {
                file.push_str(&format!(
                    "bulk-tee-{p},Bulk Tee {p},Size,{size},BT-{p}-{size},19.00,{i}\n"
                ));
            } else {
                file.push_str(&format!("bulk-tee-{p},,,{size},BT-{p}-{size},19.00,{i}\n"));
            }
        }
    }
    let started = std::time::Instant::now();
    let job = upload(&admin, "big.csv", &file).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the upload answers at once"
    );
    let first: ImportJobView = admin
        .call_ok("admin/products/import-job", &[("id", &job)])
        .await;
    assert!(first.status.is_running() || first.status == ImportStatus::Done);
    let page = admin
        .get(&format!("/admin/products/import?job={job}"))
        .await
        .text()
        .await
        .unwrap();
    if first.status.is_running() {
        assert!(
            page.contains(r#"http-equiv="refresh""#),
            "the page follows the import"
        );
    }
    let done = finished_job(&admin, &job).await;
    assert_eq!(done.status, ImportStatus::Done, "{done:?}");
    assert_eq!(
        (done.rows, done.created, done.products_done),
        (10_000, 2000, 2000)
    );
    let count = store::products(&app.state.core.db)
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(count, 2000);
    let p = store::find_by_sku(&app.state.core.db, &Sku::parse("BT-1999-XL").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.variants.len(), 5);
    assert_eq!(p.stock, 1 + 2 + 3 + 4);
}
