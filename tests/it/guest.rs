//! Guest checkout: buying with an e-mail address and no account, the signed order
//! link (a forged or altered one opens nothing), and the one-click account that
//! takes the order over.

use oxcart::orders::types::{OrderPage, OrderView};
use serde_json::Value;

use crate::catalog::make_product;
use crate::helpers::{spawn_app, spawn_app_with_stripe, Browser, TestApp, STRONG_PASSWORD};
use crate::orders::ADDRESS;

/// A guest browser with one product in the cart.
async fn guest_with_cart(app: &TestApp) -> Browser {
    let p = make_product(app, "Guest Teapot", 2_500, 20).await;
    let b = app.browser();
    b.call_ok::<Value>("cart/add", &[("product_id", &p), ("quantity", "1")])
        .await;
    b
}

/// Places the guest's order as a form without JavaScript does; returns where the
/// shop sends the browser next.
async fn place_as_guest(b: &Browser, email: &str) -> reqwest::Response {
    let data: oxcart::orders::types::CheckoutData = b.call_ok("checkout/data", &[]).await;
    assert!(!data.signed_in);
    let mut form: Vec<(&str, &str)> = ADDRESS.to_vec();
    form.push(("email", email));
    form.push(("checkout_key", &data.cart.checkout_key));
    b.post_form("/api/checkout/place-order", "/checkout", &form)
        .await
}

/// The order id and token of a guest order page address `/order/<id>?token=<t>&…`.
fn id_and_token(location: &str) -> (String, String) {
    let path = location
        .split("/order/")
        .nth(1)
        .unwrap_or_else(|| panic!("{location}"));
    let (id, query) = path.split_once('?').unwrap();
    let token = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .unwrap()
        .to_string();
    (id.to_string(), token)
}

#[tokio::test]
async fn a_guest_buys_with_an_email_address_and_the_signed_link_opens_only_that_order() {
    let app = spawn_app().await;
    let b = guest_with_cart(&app).await;
    let page = b.get("/checkout").await.text().await.unwrap();
    assert!(
        page.contains("Buying as a guest"),
        "the form asks for an e-mail address"
    );

    let res = place_as_guest(&b, "not an address").await;
    assert!(
        res.status().is_redirection(),
        "no-JS forms come back to the page with the error"
    );
    assert!(
        !res.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/order/"),
        "and no order was placed"
    );

    let res = place_as_guest(&b, "Gail.Guest@Example.com").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    // No payment provider in this test: the order's own page, by its signed link.
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let (id, token) = id_and_token(&location);

    let order: OrderView = b
        .call_ok("orders/get", &[("id", &id), ("token", &token)])
        .await;
    assert!(order.guest);
    assert_eq!(order.email, "gail.guest@example.com");
    assert_eq!(order.total.to_string(), "$25.00");
    // The link works in any browser (it is what the mail carries)…
    let other = app.browser();
    assert_eq!(
        other
            .call("orders/get", &[("id", &id), ("token", &token)])
            .await
            .status(),
        200
    );
    let html = other
        .get(&format!("/order/{id}?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Keep this order in an account"),
        "the page offers an account"
    );
    // …but a changed token, no token, or the token on another order opens nothing.
    let mut altered = token.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == '0' { '1' } else { '0' });
    assert_eq!(
        other
            .call("orders/get", &[("id", &id), ("token", &altered)])
            .await
            .status(),
        404
    );
    assert_eq!(
        other
            .call("orders/get", &[("id", &id), ("token", "")])
            .await
            .status(),
        401
    );
    let b2 = guest_with_cart(&app).await;
    let res = place_as_guest(&b2, "second@example.com").await;
    let (id2, _) = id_and_token(res.headers()["location"].to_str().unwrap());
    assert_eq!(
        other
            .call("orders/get", &[("id", &id2), ("token", &token)])
            .await
            .status(),
        404
    );
    // Nor does a signed-in stranger see it without the link.
    let (stranger, _) = app.customer().await;
    assert_eq!(
        stranger.call("orders/get", &[("id", &id)]).await.status(),
        404
    );
    // The guest's cart is empty now.
    let data: oxcart::orders::types::CheckoutData = b.call_ok("checkout/data", &[]).await;
    assert!(data.cart.is_empty());
}

#[tokio::test]
async fn a_guest_makes_an_account_in_one_step_and_the_order_moves_into_it() {
    let app = spawn_app().await;
    let b = guest_with_cart(&app).await;
    let res = place_as_guest(&b, "ada.guest@example.com").await;
    let (id, token) = id_and_token(res.headers()["location"].to_str().unwrap());

    // A forged token makes nothing.
    let forged = "0".repeat(64);
    let res = b
        .call(
            "accounts/from-guest-order",
            &[
                ("order_id", &id),
                ("token", &forged),
                ("password", STRONG_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 404);
    // A weak password is refused like at sign-up.
    let res = b
        .call(
            "accounts/from-guest-order",
            &[
                ("order_id", &id),
                ("token", &token),
                ("password", "password"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);

    let res = b
        .call(
            "accounts/from-guest-order",
            &[
                ("order_id", &id),
                ("token", &token),
                ("password", STRONG_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // Signed in, and the order is in the account's history.
    let mine: OrderPage = b.call_ok("orders/mine", &[]).await;
    assert_eq!(mine.orders.len(), 1);
    assert_eq!(mine.orders[0].id, id);
    let order: OrderView = b.call_ok("orders/get", &[("id", &id)]).await;
    assert!(!order.guest);
    // Once only.
    let res = b
        .call(
            "accounts/from-guest-order",
            &[
                ("order_id", &id),
                ("token", &token),
                ("password", STRONG_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 409);
    // The new account signs in with the order's address.
    let fresh = app.browser();
    assert_eq!(
        fresh
            .login("ada.guest@example.com", STRONG_PASSWORD)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_guest_pays_and_the_mail_carries_the_signed_link() {
    let (app, _stripe) = spawn_app_with_stripe().await;
    let inbox = app.inbox();
    let b = guest_with_cart(&app).await;
    let res = place_as_guest(&b, "paula.guest@example.com").await;
    let pay_url = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        pay_url.contains("/pay/cs_test_"),
        "placing opened the payment page: {pay_url}"
    );
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(&pay_url)
        .form(&[
            ("card_number", "4242 4242 4242 4242"),
            ("expiry", "12 / 34"),
            ("cvc", "123"),
            ("name", "Paula"),
            ("email", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let success = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        success.contains("token="),
        "the guest comes back with the link's token: {success}"
    );
    let mail = inbox
        .wait_for("paula.guest@example.com", "is confirmed", 1)
        .await;
    let text = mail["text"].as_str().unwrap();
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/order/"))
        .unwrap_or_else(|| panic!("{text}"));
    let (id, token) = id_and_token(link);
    let order: OrderView = app
        .browser()
        .call_ok("orders/get", &[("id", &id), ("token", &token)])
        .await;
    assert_eq!(order.status, oxcart::orders::types::OrderStatus::Paid);
}

#[tokio::test]
async fn guest_orders_join_a_later_account_once_the_mailed_link_proves_the_address() {
    let app = spawn_app().await;
    let inbox = app.inbox();
    let b = guest_with_cart(&app).await;
    let res = place_as_guest(&b, "sam.later@example.com").await;
    let (id, _) = id_and_token(res.headers()["location"].to_str().unwrap());

    // An account with the same address sees that guest orders exist, not the orders.
    let account = app.browser();
    assert_eq!(
        account
            .register("Sam Later", "sam.later@example.com", STRONG_PASSWORD)
            .await
            .status(),
        200
    );
    let mine: OrderPage = account.call_ok("orders/mine", &[]).await;
    assert!(mine.orders.is_empty());
    assert_eq!(mine.guest_orders, 1);
    // A made-up token moves nothing.
    let res = account
        .call("orders/claim", &[("token", &"ab".repeat(32))])
        .await;
    assert_eq!(res.status(), 400);

    assert_eq!(
        account.call("orders/claim-request", &[]).await.status(),
        200
    );
    let mail = inbox
        .wait_for("sam.later@example.com", "Add your earlier", 1)
        .await;
    let text = mail["text"].as_str().unwrap();
    let token = text
        .split_whitespace()
        .find_map(|w| w.split("claim=").nth(1))
        .unwrap_or_else(|| panic!("{text}"))
        .to_string();
    // The link is good for that account only.
    let (stranger, _) = app.customer().await;
    assert_eq!(
        stranger
            .call("orders/claim", &[("token", &token)])
            .await
            .status(),
        400
    );

    let moved: u64 = account.call_ok("orders/claim", &[("token", &token)]).await;
    assert_eq!(moved, 1);
    let mine: OrderPage = account.call_ok("orders/mine", &[]).await;
    assert_eq!(mine.orders.len(), 1);
    assert_eq!(mine.orders[0].id, id);
    assert_eq!(mine.guest_orders, 0);
}
