//! Registration, sign-in, sessions, password reset, rate limits, roles, CSRF.

use mongodb::bson::{doc, DateTime, Document};
use serde_json::Value;

use crate::helpers::{link_in, spawn_app, spawn_app_with, unique_email, STRONG_PASSWORD};

#[tokio::test]
async fn duplicate_email_is_refused_with_a_field_error_whatever_the_case() {
    let app = spawn_app().await;
    let email = unique_email("dup");
    let first = app.browser().register("Ann", &email, STRONG_PASSWORD).await;
    assert_eq!(first.status(), 200);
    let again = app
        .browser()
        .register("Ann Again", &email.to_uppercase(), STRONG_PASSWORD)
        .await;
    assert_eq!(again.status(), 422);
    let body: Value = again.json().await.unwrap();
    let fields = body["error"]["Invalid"]["fields"].as_array().unwrap();
    assert_eq!(fields[0]["field"], "email");
    assert!(fields[0]["message"]
        .as_str()
        .unwrap()
        .contains("already exists"));
    let count = app
        .state
        .core
        .db
        .collection::<Document>("users")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn weak_and_short_passwords_are_refused_with_the_reason() {
    let app = spawn_app().await;
    let b = app.browser();
    let short = b.register("Bo", &unique_email("short"), "abc123").await;
    assert_eq!(short.status(), 422);
    assert!(short
        .text()
        .await
        .unwrap()
        .contains("at least 8 characters"));
    let common = b.register("Bo", &unique_email("common"), "password1").await;
    assert_eq!(common.status(), 422);
    assert!(common.text().await.unwrap().contains("too easy to guess"));
    let long_pw = "a long passphrase with many words ".repeat(2) + "and some more words 123";
    assert!(long_pw.chars().count() > 64);
    let long = b.register("Bo", &unique_email("long"), &long_pw).await;
    assert_eq!(long.status(), 200, "{}", long.text().await.unwrap());
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_generic_answer() {
    let app = spawn_app().await;
    let (_, email) = app.customer().await;
    let wrong = app.browser().login(&email, "not the right password").await;
    assert_eq!(wrong.status(), 401);
    let wrong_body = wrong.text().await.unwrap();
    let unknown_email = unique_email("nobody");
    let unknown = app
        .browser()
        .login(&unknown_email, "not the right password")
        .await;
    assert_eq!(unknown.status(), 401);
    let unknown_email_body = unknown.text().await.unwrap();
    assert_eq!(
        wrong_body.replace(&email, "X"),
        unknown_email_body.replace(&unknown_email, "X")
    );
    assert!(wrong_body.contains("e-mail address or password is incorrect"));
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("oxcart_session="))
        .map(|c| c.split(';').next().unwrap().to_string())
}

#[tokio::test]
async fn session_cookie_is_safe_and_its_id_changes_at_sign_in() {
    let app = spawn_app().await;
    let (_, email) = app.customer().await;
    let product = crate::catalog::make_product(&app, "Cookie Jar", 1500, 5).await;
    let b = app.browser();
    let add = b
        .call("cart/add", &[("product_id", &product), ("quantity", "1")])
        .await;
    assert_eq!(add.status(), 200);
    let guest_cookie = session_cookie(&add).expect("a guest session was started");
    let raw = add
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("oxcart_session="))
        .unwrap();
    assert!(raw.contains("HttpOnly"), "{raw}");
    assert!(raw.contains("SameSite=Lax"), "{raw}");

    let login = b.login(&email, STRONG_PASSWORD).await;
    assert_eq!(login.status(), 200);
    let user_cookie = session_cookie(&login).expect("sign-in sets a new cookie");
    assert_ne!(
        guest_cookie, user_cookie,
        "the session id must change at sign-in"
    );

    // The old id no longer works.
    let stale = reqwest::Client::new()
        .post(app.url("/api/accounts/me"))
        .header("cookie", guest_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 401);
}

#[tokio::test]
async fn logout_destroys_the_session() {
    let app = spawn_app().await;
    let (b, email) = app.customer().await;
    let login = b.login(&email, STRONG_PASSWORD).await;
    let cookie = session_cookie(&login).unwrap();
    assert_eq!(b.call("accounts/me", &[]).await.status(), 200);
    let out = b.call("accounts/logout", &[]).await;
    assert_eq!(out.status(), 200);
    assert_eq!(b.call("accounts/me", &[]).await.status(), 401);
    // Replaying the old cookie does not bring the session back.
    let replay = reqwest::Client::new()
        .post(app.url("/api/accounts/me"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
}

#[tokio::test]
async fn a_shopper_sees_other_devices_and_signs_them_out() {
    let app = spawn_app().await;
    let (here, email) = app.customer().await;
    let phone = app.browser();
    assert_eq!(phone.login(&email, STRONG_PASSWORD).await.status(), 200);
    let laptop = app.browser();
    assert_eq!(laptop.login(&email, STRONG_PASSWORD).await.status(), 200);
    // Someone else's sessions are not counted.
    let (_stranger, _) = app.customer().await;

    assert_eq!(here.call_ok::<u64>("accounts/sessions", &[]).await, 2);
    let message = here
        .call_ok::<String>("accounts/sign-out-elsewhere", &[])
        .await;
    assert_eq!(message, "Signed out 2 other browsers and devices.");
    assert_eq!(phone.call("accounts/me", &[]).await.status(), 401);
    assert_eq!(laptop.call("accounts/me", &[]).await.status(), 401);
    assert_eq!(here.call("accounts/me", &[]).await.status(), 200);
    assert_eq!(here.call_ok::<u64>("accounts/sessions", &[]).await, 0);

    // Guests have nothing to count or end.
    let guest = app.browser();
    assert_eq!(guest.call("accounts/sessions", &[]).await.status(), 401);
    assert_eq!(
        guest
            .call("accounts/sign-out-elsewhere", &[])
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn a_sign_in_ends_after_the_maximum_lifetime_however_active() {
    let app = spawn_app_with(&[("OXCART_SESSION_MAX_DAYS", "2")]).await;
    let (b, _) = app.customer().await;
    assert_eq!(b.call("accounts/me", &[]).await.status(), 200);
    let sessions = app.state.core.db.collection::<Document>("sessions");
    let day = 86_400_i64;
    let now = DateTime::now().timestamp_millis() / 1000;
    // One day in: still signed in.
    sessions
        .update_many(
            doc! { "user_id": { "$exists": true } },
            doc! { "$set": { "data.signed_in_at": now - day } },
        )
        .await
        .unwrap();
    assert_eq!(b.call("accounts/me", &[]).await.status(), 200);
    // Past two days: signed out, and the session is gone from the store.
    sessions
        .update_many(
            doc! { "user_id": { "$exists": true } },
            doc! { "$set": { "data.signed_in_at": now - 2 * day - 60 } },
        )
        .await
        .unwrap();
    assert_eq!(b.call("accounts/me", &[]).await.status(), 401);
    assert_eq!(
        sessions
            .count_documents(doc! { "user_id": { "$exists": true } })
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn over_https_the_session_cookie_is_secure_and_host_prefixed() {
    let app = spawn_app_with(&[("OXCART_SECURE_COOKIES", "true")]).await;
    let email = unique_email("secure");
    let res = app.browser().register("Sec", &email, STRONG_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let raw = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.contains("oxcart_session="))
        .expect("a session cookie");
    assert!(raw.starts_with("__Host-oxcart_session="), "{raw}");
    assert!(raw.contains("; Secure"), "{raw}");
    assert!(raw.contains("Path=/"), "{raw}");
    assert!(!raw.to_ascii_lowercase().contains("domain="), "{raw}");
}

#[tokio::test]
async fn password_reset_works_end_to_end_once() {
    let app = spawn_app().await;
    let inbox = app.inbox();
    let (other_device, email) = app.customer().await;
    assert_eq!(other_device.call("accounts/me", &[]).await.status(), 200);

    let b = app.browser();
    let res = b
        .call("accounts/forgot-password", &[("email", &email)])
        .await;
    assert_eq!(res.status(), 200);
    let mail = inbox.wait_for(&email, "Reset your", 1).await;
    let text = mail["text"].as_str().unwrap();
    let link = link_in(text, &format!("{}/reset-password?token=", app.address));
    let token = link.split("token=").nth(1).unwrap().to_string();
    assert!(token.len() >= 22, "at least 128 bits of token: {token}");
    // The token is stored only as a hash.
    let stored = app
        .state
        .core
        .db
        .collection::<Document>("password_resets")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert_ne!(stored.get_str("_id").unwrap(), token);

    // The page for the link renders.
    let page = b.get(&link.replace(&app.address, "")).await;
    assert_eq!(page.status(), 200);

    let new_password = "violet rocket tangerine pillow";
    let reset = b
        .call(
            "accounts/reset-password",
            &[("token", &token), ("new_password", new_password)],
        )
        .await;
    assert_eq!(reset.status(), 200, "{}", reset.text().await.unwrap());

    // Every session of the user ended; old password dead, new one works.
    assert_eq!(other_device.call("accounts/me", &[]).await.status(), 401);
    assert_eq!(
        app.browser().login(&email, STRONG_PASSWORD).await.status(),
        401
    );
    assert_eq!(
        app.browser().login(&email, new_password).await.status(),
        200
    );

    // The token works once.
    let again = b
        .call(
            "accounts/reset-password",
            &[
                ("token", &token),
                ("new_password", "another fine long passphrase"),
            ],
        )
        .await;
    assert_eq!(again.status(), 400);
    assert!(again.text().await.unwrap().contains("not valid"));

    inbox.wait_for(&email, "password was changed", 1).await;
}

#[tokio::test]
async fn weak_new_password_does_not_burn_the_token() {
    let app = spawn_app().await;
    let inbox = app.inbox();
    let (_, email) = app.customer().await;
    let b = app.browser();
    b.call("accounts/forgot-password", &[("email", &email)])
        .await;
    let mail = inbox.wait_for(&email, "Reset your", 1).await;
    let link = link_in(
        mail["text"].as_str().unwrap(),
        &format!("{}/reset-password?token=", app.address),
    );
    let token = link.split("token=").nth(1).unwrap().to_string();
    let weak = b
        .call(
            "accounts/reset-password",
            &[("token", &token), ("new_password", "password")],
        )
        .await;
    assert_eq!(weak.status(), 422);
    let ok = b
        .call(
            "accounts/reset-password",
            &[
                ("token", &token),
                ("new_password", "quiet harbour lantern morning"),
            ],
        )
        .await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn expired_and_forged_reset_tokens_are_refused() {
    let app = spawn_app().await;
    let (_, email) = app.customer().await;
    let user = app
        .state
        .core
        .db
        .collection::<Document>("users")
        .find_one(doc! { "email": &email })
        .await
        .unwrap()
        .unwrap();
    use sha2::Digest;
    let token = "an-expired-token-that-we-know-0123456789";
    let hash = hex::encode(sha2::Sha256::digest(token.as_bytes()));
    let past = DateTime::from_millis(DateTime::now().timestamp_millis() - 2 * 3600 * 1000);
    app.state
        .core
        .db
        .collection::<Document>("password_resets")
        .insert_one(doc! {
            "_id": hash, "user_id": user.get_object_id("_id").unwrap(),
            "expires_at": past, "used_at": null, "created_at": past,
        })
        .await
        .unwrap();
    let b = app.browser();
    let expired = b
        .call(
            "accounts/reset-password",
            &[
                ("token", token),
                ("new_password", "brand new shiny passphrase"),
            ],
        )
        .await;
    assert_eq!(expired.status(), 400);
    let forged = b
        .call(
            "accounts/reset-password",
            &[
                ("token", "Zm9yZ2VkLXRva2VuLWZvcmdlZC10b2tlbg"),
                ("new_password", "brand new shiny passphrase"),
            ],
        )
        .await;
    assert_eq!(forged.status(), 400);
    // The password did not change.
    assert_eq!(
        app.browser().login(&email, STRONG_PASSWORD).await.status(),
        200
    );
}

#[tokio::test]
async fn reset_request_answers_the_same_for_unknown_addresses() {
    let app = spawn_app().await;
    let (_, email) = app.customer().await;
    let unknown = unique_email("ghost");
    let known_res = app
        .browser()
        .call("accounts/forgot-password", &[("email", &email)])
        .await;
    let unknown_res = app
        .browser()
        .call("accounts/forgot-password", &[("email", &unknown)])
        .await;
    assert_eq!(known_res.status(), unknown_res.status());
    let a = known_res.text().await.unwrap().replace(&email, "X");
    let b = unknown_res.text().await.unwrap().replace(&unknown, "X");
    assert_eq!(a, b);
    // Everything the two requests queued is sent now: the known address got its
    // link, the unknown one nothing.
    assert_eq!(app.inbox().count(&email, "Reset").await, 1);
    assert_eq!(app.inbox().count(&unknown, "Reset").await, 0);
}

#[tokio::test]
async fn failed_sign_ins_are_limited_then_the_limit_lifts() {
    let app = spawn_app().await;
    let (_, email) = app.customer().await;
    let b = app.browser();
    for _ in 0..5 {
        assert_eq!(b.login(&email, "wrong wrong wrong").await.status(), 401);
    }
    let limited = b.login(&email, STRONG_PASSWORD).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().get("retry-after").is_some());
    let text = limited.text().await.unwrap();
    assert!(text.contains("try again in"), "{text}");

    // Fifteen minutes later (the attempts age out), the account can sign in again.
    let old = DateTime::from_millis(DateTime::now().timestamp_millis() - 16 * 60 * 1000);
    let limits = app.state.core.db.collection::<Document>("rate_limits");
    let key = format!("login:account:{email}");
    let held = limits
        .find_one(doc! { "_id": &key })
        .await
        .unwrap()
        .unwrap();
    let aged: Vec<Document> = held
        .get_array("attempts")
        .unwrap()
        .iter()
        .map(|a| {
            let mut a = a.as_document().unwrap().clone();
            a.insert("at", old);
            a
        })
        .collect();
    limits
        .update_one(doc! { "_id": &key }, doc! { "$set": { "attempts": aged } })
        .await
        .unwrap();
    assert_eq!(b.login(&email, STRONG_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn reset_requests_are_limited() {
    let app = spawn_app().await;
    let email = unique_email("flood");
    let b = app.browser();
    for _ in 0..5 {
        assert_eq!(
            b.call("accounts/forgot-password", &[("email", &email)])
                .await
                .status(),
            200
        );
    }
    assert_eq!(
        b.call("accounts/forgot-password", &[("email", &email)])
            .await
            .status(),
        429
    );
}

/// Every admin server function, with plausible arguments.
pub fn admin_calls(product_id: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    vec![
        ("accounts/admin-gate", vec![]),
        ("admin/products/search", vec![("params[q]", String::new())]),
        ("admin/products/get", vec![("id", product_id.to_string())]),
        (
            "admin/products/save",
            vec![
                ("form[name]", "Hacked".into()),
                ("form[slug]", "".into()),
                ("form[description]", "".into()),
                ("form[price]", "1".into()),
                ("form[category_id]", "".into()),
                ("form[tags]", "".into()),
                ("form[stock]", "5".into()),
                ("form[status]", "active".into()),
            ],
        ),
        (
            "admin/products/delete",
            vec![("id", product_id.to_string()), ("confirm", "yes".into())],
        ),
        (
            "admin/products/stock",
            vec![("id", product_id.to_string()), ("delta", "100".into())],
        ),
        (
            "admin/products/remove-image",
            vec![
                ("id", product_id.to_string()),
                ("image_id", "0123456789abcdef01234567".into()),
            ],
        ),
        (
            "admin/categories/create",
            vec![
                ("name", "Hacked".into()),
                ("slug", "".into()),
                ("parent_id", "".into()),
                ("description", "".into()),
            ],
        ),
        (
            "admin/categories/update",
            vec![
                ("id", "0123456789abcdef01234567".into()),
                ("name", "X".into()),
                ("slug", "".into()),
                ("parent_id", "".into()),
                ("description", "".into()),
            ],
        ),
        (
            "admin/categories/delete",
            vec![("id", "0123456789abcdef01234567".into())],
        ),
        ("admin/orders/list", vec![]),
        (
            "admin/orders/status",
            vec![
                ("id", "0123456789abcdef01234567".into()),
                ("status", "shipped".into()),
            ],
        ),
    ]
}

#[tokio::test]
async fn guests_and_customers_cannot_use_admin_functions() {
    let app = spawn_app().await;
    let product = crate::catalog::make_product(&app, "Guarded Lamp", 2500, 7).await;
    let before: Document = app
        .state
        .core
        .db
        .collection::<Document>("products")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    let guest = app.browser();
    let (customer, _) = app.customer().await;
    for (endpoint, args) in admin_calls(&product) {
        let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let g = guest.call(endpoint, &form).await.status();
        assert_eq!(g, 401, "guest calling {endpoint}");
        let c = customer.call(endpoint, &form).await.status();
        assert_eq!(c, 403, "customer calling {endpoint}");
    }
    let after: Document = app
        .state
        .core
        .db
        .collection::<Document>("products")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before, after, "nothing changed");
    let products = app
        .state
        .core
        .db
        .collection::<Document>("products")
        .count_documents(doc! {})
        .await
        .unwrap();
    let categories = app
        .state
        .core
        .db
        .collection::<Document>("categories")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!((products, categories), (1, 0));
}

#[tokio::test]
async fn admin_pages_send_non_admins_to_sign_in() {
    let app = spawn_app().await;
    let guest = app.browser().get("/admin/products").await;
    assert_eq!(guest.status(), 302);
    let loc = guest.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/login?next=%2Fadmin%2Fproducts"), "{loc}");
    let (customer, _) = app.customer().await;
    let res = customer.get("/admin").await;
    assert_eq!(res.status(), 302);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .contains("reason=admin"));
    let (admin, _) = app.admin().await;
    assert_eq!(admin.get("/admin").await.status(), 200);
}

#[tokio::test]
async fn malformed_bodies_and_operator_injection_get_4xx_and_change_nothing() {
    let app = spawn_app().await;
    let (_, email) = app.customer().await;
    let b = app.browser();
    // NoSQL operators where strings are expected.
    let op = b
        .call(
            "accounts/login",
            &[("email[$gt]", ""), ("password[$ne]", "x")],
        )
        .await;
    assert_eq!(op.status(), 400, "{}", op.text().await.unwrap());
    let json_op = b
        .client
        .post(app.url("/api/accounts/login"))
        .header("content-type", "application/json")
        .body(r#"{"email":{"$gt":""},"password":{"$gt":""}}"#)
        .send()
        .await
        .unwrap();
    assert!(json_op.status().is_client_error(), "{}", json_op.status());
    let op_string = b.login("{\"$gt\": \"\"}", "x").await;
    assert_eq!(op_string.status(), 422);
    // Garbage encodings and missing fields.
    let garbage = b
        .client
        .post(app.url("/api/accounts/register"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', 0x00])
        .send()
        .await
        .unwrap();
    assert!(garbage.status().is_client_error(), "{}", garbage.status());
    let missing = b.call("accounts/register", &[("name", "x")]).await;
    assert_eq!(missing.status(), 400);
    // Oversized.
    let big = "x".repeat(300 * 1024);
    let huge = b
        .call(
            "accounts/register",
            &[("name", &big), ("email", &email), ("password", "y")],
        )
        .await;
    assert_eq!(huge.status(), 413);
    // Nothing was created; the one account still signs in.
    let users = app
        .state
        .core
        .db
        .collection::<Document>("users")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(users, 1);
    assert_eq!(
        app.browser().login(&email, STRONG_PASSWORD).await.status(),
        200
    );
}

#[tokio::test]
async fn sign_in_from_another_site_is_refused() {
    let app = spawn_app().await;
    let (_, email) = app.customer().await;
    let res = app
        .browser()
        .client
        .post(app.url("/api/accounts/login"))
        .header("origin", "https://evil.example")
        .form(&[("email", email.as_str()), ("password", STRONG_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(session_cookie(&res).is_none());
}

#[tokio::test]
async fn plain_form_errors_come_back_with_the_values_but_never_the_password() {
    let app = spawn_app().await;
    let b = app.browser();
    let res = b
        .post_form(
            "/api/accounts/register",
            "/register",
            &[
                ("name", "Kim"),
                ("email", "not-an-email"),
                ("password", "secret-pass-9"),
            ],
        )
        .await;
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&app.url("/register")) || location.starts_with("/register"),
        "{location}"
    );
    let path = location.replace(&app.address, "");
    let page = b.get(&path).await.text().await.unwrap();
    assert!(
        page.contains("Enter an e-mail address like name@example.com."),
        "field error shown"
    );
    assert!(page.contains("value=\"Kim\""), "name kept");
    assert!(page.contains("value=\"not-an-email\""), "e-mail kept");
    assert!(!page.contains("secret-pass-9"), "password never echoed");
    assert!(!location.contains("secret-pass-9"));
}

#[tokio::test]
async fn create_admin_command_makes_an_admin_without_a_password_argument() {
    let app = spawn_app().await;
    let email = unique_email("boss");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxcart"))
        .args(["create-admin", "--email", &email, "--name", "Boss"])
        .env("MONGODB_URI", crate::helpers::test_mongodb_uri())
        .env("OXCART_DATABASE", &app.db_name)
        .env("OXCART_ADMIN_PASSWORD", "purple elephant dancing quietly")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b = app.browser();
    assert_eq!(
        b.login(&email, "purple elephant dancing quietly")
            .await
            .status(),
        200
    );
    assert_eq!(b.call("accounts/admin-gate", &[]).await.status(), 200);

    // Promoting an existing customer keeps their password.
    let (_, customer) = app.customer().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxcart"))
        .args(["create-admin", "--email", &customer])
        .env("MONGODB_URI", crate::helpers::test_mongodb_uri())
        .env("OXCART_DATABASE", &app.db_name)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = app.browser();
    assert_eq!(c.login(&customer, STRONG_PASSWORD).await.status(), 200);
    assert_eq!(c.call("accounts/admin-gate", &[]).await.status(), 200);

    // A new admin needs a name: without --name and without a terminal to ask
    // at, the command says how to give one and creates nothing.
    let nameless = unique_email("nameless");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxcart"))
        .args(["create-admin", "--email", &nameless])
        .env("MONGODB_URI", crate::helpers::test_mongodb_uri())
        .env("OXCART_DATABASE", &app.db_name)
        .env("OXCART_ADMIN_PASSWORD", "purple elephant dancing quietly")
        .env_remove("OXCART_ADMIN_NAME")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--name"));
    assert_eq!(
        app.browser()
            .login(&nameless, "purple elephant dancing quietly")
            .await
            .status(),
        401
    );
    // The name shows in the header.
    let html = b.get("/").await.text().await.unwrap();
    assert!(html.contains("Boss"), "the admin's own name in the header");
}

#[tokio::test]
async fn header_shows_who_is_signed_in() {
    let app = spawn_app().await;
    let (b, _) = app.customer().await;
    let html = b.get("/").await.text().await.unwrap();
    assert!(html.contains("Sam Shopper"));
    assert!(html.contains("Sign out"));
    let guest = app.browser().get("/").await.text().await.unwrap();
    assert!(guest.contains("Sign in") && guest.contains("Register"));
}
