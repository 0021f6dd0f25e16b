//! The cart: guest and account carts, merge at sign-in, validation, server-side prices.

use mongodb::bson::{doc, oid::ObjectId};
use oxcart::cart::types::CartView;
use serde_json::Value;

use crate::catalog::make_product;
use crate::helpers::{spawn_app, unique_email, STRONG_PASSWORD};

#[tokio::test]
async fn guest_cart_merges_into_the_account_at_sign_in_and_nothing_is_lost() {
    let app = spawn_app().await;
    let a = make_product(&app, "Merge Mug", 1200, 10).await;
    let b = make_product(&app, "Merge Plate", 900, 10).await;
    let c = make_product(&app, "Merge Bowl", 700, 10).await;

    // The account already has A×1 and C×2 from an earlier visit.
    let (user, email) = app.customer().await;
    user.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "1")])
        .await;
    user.call_ok::<Value>("cart/add", &[("product_id", &c), ("quantity", "2")])
        .await;

    // As a guest, on another device: A×2 and B×1.
    let guest = app.browser();
    guest
        .call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "2")])
        .await;
    guest
        .call_ok::<Value>("cart/add", &[("product_id", &b), ("quantity", "1")])
        .await;
    assert_eq!(guest.summary().await.cart_items, 3);

    assert_eq!(guest.login(&email, STRONG_PASSWORD).await.status(), 200);
    let cart: CartView = guest.call_ok("cart/get", &[]).await;
    let qty = |id: &str| {
        cart.lines
            .iter()
            .find(|l| l.product_id == id)
            .map(|l| l.quantity.get())
    };
    assert_eq!(qty(&a), Some(3), "quantities add up");
    assert_eq!(qty(&b), Some(1), "guest-only line kept");
    assert_eq!(qty(&c), Some(2), "account-only line kept");
    assert_eq!(cart.item_count, 6);
    assert_eq!(guest.summary().await.cart_items, 6);
    // The guest cart is gone.
    let carts = app
        .state
        .core
        .db
        .collection::<mongodb::bson::Document>("carts")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(carts, 1);
}

#[tokio::test]
async fn merged_quantities_are_capped_at_stock() {
    let app = spawn_app().await;
    let a = make_product(&app, "Scarce Vase", 5000, 3).await;
    let (user, email) = app.customer().await;
    user.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "2")])
        .await;
    let guest = app.browser();
    guest
        .call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "3")])
        .await;
    guest.login(&email, STRONG_PASSWORD).await;
    let cart: CartView = guest.call_ok("cart/get", &[]).await;
    assert_eq!(cart.lines[0].quantity.get(), 3);
}

#[tokio::test]
async fn registering_keeps_the_guest_cart() {
    let app = spawn_app().await;
    let a = make_product(&app, "Welcome Tea", 800, 5).await;
    let guest = app.browser();
    guest
        .call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "2")])
        .await;
    let res = guest
        .register("New Person", &unique_email("new"), STRONG_PASSWORD)
        .await;
    assert_eq!(res.status(), 200);
    let cart: CartView = guest.call_ok("cart/get", &[]).await;
    assert_eq!(cart.lines.len(), 1);
    assert_eq!(cart.lines[0].quantity.get(), 2);
}

#[tokio::test]
async fn invalid_quantities_get_clear_field_errors_and_add_nothing() {
    let app = spawn_app().await;
    let a = make_product(&app, "Quantity Test", 500, 5).await;
    let b = app.browser();
    for bad in [
        "0",
        "-1",
        "1000000000",
        "two",
        "1.5",
        "99999999999999999999999",
    ] {
        let res = b
            .call("cart/add", &[("product_id", &a), ("quantity", bad)])
            .await;
        assert_eq!(res.status(), 422, "quantity {bad:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            body["error"]["Invalid"]["fields"][0]["field"], "quantity",
            "{bad:?}: {body}"
        );
    }
    let more_than_stock = b
        .call("cart/add", &[("product_id", &a), ("quantity", "6")])
        .await;
    assert_eq!(more_than_stock.status(), 422);
    assert!(more_than_stock
        .text()
        .await
        .unwrap()
        .contains("Only 5 left"));
    let unknown = b
        .call(
            "cart/add",
            &[("product_id", &ObjectId::new().to_hex()), ("quantity", "1")],
        )
        .await;
    assert_eq!(unknown.status(), 409);
    let garbage_id = b
        .call("cart/add", &[("product_id", "$where"), ("quantity", "1")])
        .await;
    assert_eq!(garbage_id.status(), 404);
    let cart: CartView = b.call_ok("cart/get", &[]).await;
    assert!(cart.is_empty());
}

#[tokio::test]
async fn prices_come_from_the_database_and_changes_are_flagged() {
    let app = spawn_app().await;
    let a = make_product(&app, "Honest Price Kettle", 3000, 5).await;
    let b = app.browser();
    // Extra fields claiming a price are ignored.
    let res = b
        .call(
            "cart/add",
            &[
                ("product_id", &a),
                ("quantity", "2"),
                ("price", "1"),
                ("unit_price", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let cart: CartView = b.call_ok("cart/get", &[]).await;
    assert_eq!(cart.subtotal.minor(), 6000);
    app.state
        .core
        .db
        .collection::<mongodb::bson::Document>("products")
        .update_one(
            doc! { "_id": ObjectId::parse_str(&a).unwrap() },
            doc! { "$set": { "price": 3500_i64, "variants.0.price": 3500_i64 } },
        )
        .await
        .unwrap();
    let cart: CartView = b.call_ok("cart/get", &[]).await;
    assert_eq!(cart.subtotal.minor(), 7000);
    assert_eq!(cart.lines[0].previous_price.map(|p| p.minor()), Some(3000));
    let res = b.get("/cart").await;
    let status = res.status();
    let page = res.text().await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Price changed from $30.00 to $35.00"),
        "{page}"
    );

    // Sold out since it was added: flagged, excluded from the total.
    app.state
        .core
        .db
        .collection::<mongodb::bson::Document>("products")
        .update_one(
            doc! { "_id": ObjectId::parse_str(&a).unwrap() },
            doc! { "$set": { "stock": 0_i64, "variants.0.stock": 0_i64 } },
        )
        .await
        .unwrap();
    let cart: CartView = b.call_ok("cart/get", &[]).await;
    assert!(cart.lines[0]
        .problem
        .as_deref()
        .unwrap()
        .contains("Sold out"));
    assert_eq!(cart.subtotal.minor(), 0);
}

#[tokio::test]
async fn update_remove_and_empty_the_cart() {
    let app = spawn_app().await;
    let a = make_product(&app, "Cart Item One", 100, 50).await;
    let c = make_product(&app, "Cart Item Two", 200, 50).await;
    let b = app.browser();
    b.call_ok::<Value>("cart/add", &[("product_id", &a), ("quantity", "1")])
        .await;
    b.call_ok::<Value>("cart/add", &[("product_id", &c), ("quantity", "1")])
        .await;
    let (a, c) = (
        crate::catalog::variant_of(&app, &a).await,
        crate::catalog::variant_of(&app, &c).await,
    );
    assert_eq!(
        b.call("cart/update", &[("variant_id", &a), ("quantity", "4")])
            .await
            .status(),
        200
    );
    assert_eq!(
        b.call("cart/update", &[("variant_id", &a), ("quantity", "-3")])
            .await
            .status(),
        422
    );
    assert_eq!(
        b.call("cart/update", &[("variant_id", &a), ("quantity", "51")])
            .await
            .status(),
        422
    );
    let cart: CartView = b.call_ok("cart/get", &[]).await;
    assert_eq!(cart.subtotal.minor(), 4 * 100 + 200);
    assert_eq!(
        b.call("cart/update", &[("variant_id", &c), ("quantity", "0")])
            .await
            .status(),
        200
    );
    let cart: CartView = b.call_ok("cart/get", &[]).await;
    assert_eq!(cart.lines.len(), 1);
    assert_eq!(
        b.call("cart/remove", &[("variant_id", &a)]).await.status(),
        200
    );
    let c_product = store_product_of(&app, &c).await;
    b.call_ok::<Value>("cart/add", &[("product_id", &c_product), ("quantity", "2")])
        .await;
    assert_eq!(b.call("cart/clear", &[]).await.status(), 200);
    let cart: CartView = b.call_ok("cart/get", &[]).await;
    assert!(cart.is_empty());
}

#[tokio::test]
async fn adding_without_javascript_goes_to_the_cart_page() {
    let app = spawn_app().await;
    let a = make_product(&app, "No Script Candle", 1500, 5).await;
    let b = app.browser();
    let res = b
        .post_form(
            "/api/cart/add",
            "/products",
            &[("product_id", &a), ("quantity", "1")],
        )
        .await;
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/cart?added=1");
    let res = b.get("/cart?added=1").await;
    let status = res.status();
    let page = res.text().await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("No Script Candle"), "{page}");
    assert!(page.contains("The product was added to your cart."));
}

/// The product a variant belongs to.
async fn store_product_of(app: &crate::helpers::TestApp, variant_id: &str) -> String {
    oxcart::catalog::store::find_by_variant(
        &app.state.core.db,
        &mongodb::bson::oid::ObjectId::parse_str(variant_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .id
    .to_hex()
}

#[tokio::test]
async fn adds_fired_together_never_pass_the_stock_or_the_line_limit() {
    let app = spawn_app().await;
    let first = make_product(&app, "Race Opener", 500, 50).await;
    let scarce = make_product(&app, "Race Scarce Lamp", 900, 5).await;
    let b = app.browser();
    // The cart (and the browser's session) exist before the race.
    b.call_ok::<Value>("cart/add", &[("product_id", &first), ("quantity", "1")])
        .await;
    let answers = futures::future::join_all((0..20).map(|_| {
        let b = &b;
        let scarce = scarce.clone();
        async move {
            b.call("cart/add", &[("product_id", &scarce), ("quantity", "1")])
                .await
                .status()
                .as_u16()
        }
    }))
    .await;
    let added = answers.iter().filter(|s| **s == 200).count();
    let refused = answers.iter().filter(|s| **s == 422).count();
    assert_eq!((added, refused), (5, 15), "{answers:?}");
    let cart: CartView = b.call_ok("cart/get", &[]).await;
    let line = cart
        .lines
        .iter()
        .find(|l| l.product_id == scarce)
        .expect("the scarce lamp is in the cart");
    assert_eq!(line.quantity.get(), 5, "exactly the stock, never more");
    assert_eq!(cart.lines.len(), 2);
}

#[tokio::test]
async fn a_product_this_instance_has_not_indexed_yet_can_still_be_bought() {
    let app = spawn_app().await;
    let id = make_product(&app, "Fresh From Another Instance", 700, 3).await;
    // As if another instance had just created it: the database has it, this
    // instance's memory does not (yet).
    app.state
        .catalog
        .search
        .apply(&[], &[ObjectId::parse_str(&id).unwrap()])
        .unwrap();
    let b = app.browser();
    let added: Value = b
        .call_ok("cart/add", &[("product_id", &id), ("quantity", "2")])
        .await;
    assert_eq!(added["quantity_in_cart"], 2);
    let cart: CartView = b.call_ok("cart/get", &[]).await;
    let variant = cart.lines[0].variant_id.clone();
    let res = b
        .call(
            "cart/update",
            &[("variant_id", &variant), ("quantity", "4")],
        )
        .await;
    assert_eq!(
        res.status(),
        422,
        "the database's stock (3) still bounds it"
    );
    let res = b
        .call(
            "cart/update",
            &[("variant_id", &variant), ("quantity", "3")],
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_cart_add_or_update_is_one_session_read_and_one_cart_write() {
    let app = spawn_app().await;
    let mug = make_product(&app, "Round Trip Mug", 800, 50).await;
    let plate = make_product(&app, "Round Trip Plate", 900, 50).await;
    let shopper = app.browser();
    // The first add also creates the guest's session; the ones after are measured.
    shopper
        .call_ok::<Value>("cart/add", &[("product_id", &mug), ("quantity", "1")])
        .await;
    let counts = app.state.core.db_commands.clone();
    let trips = move || ["sessions", "carts", "products", "users"].map(|c| counts.get(c));
    let cost = |before: [u64; 4], after: [u64; 4]| [0, 1, 2, 3].map(|i| after[i] - before[i]);

    // A new line, then more of a line: one session read, one cart write.
    let before = trips();
    shopper
        .call_ok::<Value>("cart/add", &[("product_id", &plate), ("quantity", "1")])
        .await;
    assert_eq!(
        cost(before, trips()),
        [1, 1, 0, 0],
        "sessions, carts, products, users"
    );
    let before = trips();
    let added: Value = shopper
        .call_ok("cart/add", &[("product_id", &mug), ("quantity", "2")])
        .await;
    assert_eq!(cost(before, trips()), [1, 1, 0, 0]);
    assert_eq!(added["quantity_in_cart"], 3);
    assert_eq!(added["item_count"], 4);

    // A quantity change: the same.
    let cart: CartView = shopper.call_ok("cart/get", &[]).await;
    let line = cart.lines.iter().find(|l| l.product_id == mug).unwrap();
    let before = trips();
    let res = shopper
        .call(
            "cart/update",
            &[("variant_id", &line.variant_id), ("quantity", "5")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(cost(before, trips()), [1, 1, 0, 0]);
    let cart: CartView = shopper.call_ok("cart/get", &[]).await;
    assert_eq!(
        cart.lines
            .iter()
            .find(|l| l.product_id == mug)
            .unwrap()
            .quantity
            .get(),
        5
    );
}
