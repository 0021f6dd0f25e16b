#![recursion_limit = "256"]
//! A small Stripe-compatible server for development and tests: the endpoints
//! oxcart calls, answering with Stripe's documented object shapes, a hosted
//! payment page that takes the test cards, and signed webhooks.
//!
//! Test cards: `4242 4242 4242 4242` pays; `4000 0000 0000 0002` is declined.
//! Run it with `oxcart-stripe-local` (see `--help`), or in-process from tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use hmac::{Hmac, Mac};
use http::{header, HeaderMap, StatusCode};
use rand::RngCore;
use serde_json::{json, Map, Value};
use sha2::Sha256;

/// What the local Stripe needs to know.
#[derive(Debug, Clone)]
pub struct LocalStripeConfig {
    /// The secret key clients must send (`Authorization: Bearer ...`).
    pub secret_key: String,
    /// Signs webhook events (`whsec_...`).
    pub webhook_secret: String,
    /// Where events are delivered (the shop's `/stripe/webhook`).
    pub webhook_url: String,
    /// This server's own address as the browser sees it (for hosted page URLs).
    pub public_url: String,
}

/// The API version events claim (the one async-stripe was generated for).
fn api_version() -> String {
    stripe_shared::version::VERSION.to_string()
}

#[derive(Debug, Clone)]
struct Session {
    json: Value,
    line_items: Vec<LineItem>,
}

#[derive(Debug, Clone)]
struct LineItem {
    name: String,
    unit_amount: i64,
    quantity: i64,
    currency: String,
}

#[derive(Default)]
struct Store {
    sessions: HashMap<String, Session>,
    /// (Idempotency-Key, path) → (status, body)
    idempotent: HashMap<(String, String), (u16, String)>,
    refunds: HashMap<String, Value>,
}

#[derive(Clone)]
struct Local {
    config: Arc<LocalStripeConfig>,
    store: Arc<Mutex<Store>>,
    http: reqwest::Client,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn random_id(prefix: &str) -> String {
    let mut b = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("{prefix}_test_{}", hex::encode(b))
}

fn stripe_error(
    status: StatusCode,
    message: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Response {
    (
        status,
        axum::Json(json!({
            "error": {
                "type": "invalid_request_error",
                "message": message,
                "param": param,
                "code": code,
            }
        })),
    )
        .into_response()
}

/// Parses Stripe's form encoding (`a[b][0][c]=v`) into JSON.
pub fn parse_form(body: &[u8]) -> Value {
    let mut root = Value::Object(Map::new());
    for (key, value) in url::form_urlencoded::parse(body) {
        let mut segments: Vec<String> = Vec::new();
        let (head, rest) = match key.find('[') {
            Some(i) => (&key[..i], &key[i..]),
            None => (key.as_ref(), ""),
        };
        segments.push(head.to_string());
        for part in rest.split('[').skip(1) {
            segments.push(part.trim_end_matches(']').to_string());
        }
        insert_path(&mut root, &segments, Value::String(value.into_owned()));
    }
    root
}

fn insert_path(node: &mut Value, path: &[String], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let is_index = first.chars().all(|c| c.is_ascii_digit()) && !first.is_empty();
    if is_index {
        if !node.is_array() {
            *node = Value::Array(Vec::new());
        }
        let arr = node.as_array_mut().expect("array");
        let i: usize = first.parse().unwrap_or(0).min(1000);
        while arr.len() <= i {
            arr.push(Value::Null);
        }
        if rest.is_empty() {
            arr[i] = value;
        } else {
            insert_path(&mut arr[i], rest, value);
        }
    } else {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let obj = node.as_object_mut().expect("object");
        if rest.is_empty() {
            obj.insert(first.clone(), value);
        } else {
            let child = obj.entry(first.clone()).or_insert(Value::Null);
            insert_path(child, rest, value);
        }
    }
}

fn authorized(local: &Local, headers: &HeaderMap) -> bool {
    let expected = format!("Bearer {}", local.config.secret_key);
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected)
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(json!({ "error": {
            "type": "invalid_request_error",
            "message": "Invalid API Key provided.",
        } })),
    )
        .into_response()
}

/// Replays a stored answer for a repeated Idempotency-Key, or computes and stores one.
async fn idempotent(
    local: &Local,
    headers: &HeaderMap,
    path: &str,
    compute: impl std::future::Future<Output = (StatusCode, Value)>,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(k) = &key {
        let stored = local
            .store
            .lock()
            .ok()
            .and_then(|s| s.idempotent.get(&(k.clone(), path.to_string())).cloned());
        if let Some((status, body)) = stored {
            return (
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (
                        header::HeaderName::from_static("idempotent-replayed"),
                        "true",
                    ),
                ],
                body,
            )
                .into_response();
        }
    }
    let (status, body) = compute.await;
    let text = body.to_string();
    if let (Some(k), Ok(mut s)) = (key, local.store.lock()) {
        if status.is_success() {
            s.idempotent
                .insert((k, path.to_string()), (status.as_u16(), text.clone()));
        }
    }
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

fn session_json(
    id: &str,
    line_items: &[LineItem],
    form: &Value,
    public_url: &str,
) -> Result<Value, (String, String)> {
    let get = |k: &str| form.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let currency = line_items
        .first()
        .map(|l| l.currency.clone())
        .unwrap_or_else(|| "usd".into());
    let total: i64 = line_items.iter().map(|l| l.unit_amount * l.quantity).sum();
    let created = now();
    let expires_at = match get("expires_at") {
        Some(s) => s.parse::<i64>().map_err(|_| {
            (
                "Invalid integer: expires_at".to_string(),
                "expires_at".to_string(),
            )
        })?,
        None => created + 24 * 3600,
    };
    if expires_at <= created {
        return Err((
            "The `expires_at` timestamp must be in the future.".into(),
            "expires_at".into(),
        ));
    }
    let metadata = form.get("metadata").cloned().unwrap_or_else(|| json!({}));
    Ok(json!({
        "id": id,
        "object": "checkout.session",
        "adaptive_pricing": null,
        "after_expiration": null,
        "allow_promotion_codes": null,
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
        "billing_address_collection": null,
        "cancel_url": get("cancel_url"),
        "client_reference_id": get("client_reference_id"),
        "client_secret": null,
        "consent": null,
        "consent_collection": null,
        "created": created,
        "currency": currency,
        "currency_conversion": null,
        "custom_fields": [],
        "custom_text": { "after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null },
        "customer": null,
        "customer_creation": "if_required",
        "customer_details": null,
        "customer_email": get("customer_email"),
        "expires_at": expires_at,
        "invoice": null,
        "invoice_creation": null,
        "livemode": false,
        "locale": null,
        "metadata": metadata,
        "mode": "payment",
        "payment_intent": null,
        "payment_link": null,
        "payment_method_collection": "if_required",
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "phone_number_collection": { "enabled": false },
        "recovered_from": null,
        "setup_intent": null,
        "shipping_address_collection": null,
        "shipping_cost": null,
        "shipping_details": null,
        "shipping_options": [],
        "status": "open",
        "submit_type": null,
        "subscription": null,
        "success_url": get("success_url"),
        "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
        "ui_mode": "hosted",
        "url": format!("{}/pay/{id}", public_url.trim_end_matches('/')),
    }))
}

fn parse_line_items(form: &Value) -> Result<Vec<LineItem>, (String, String)> {
    let items = form
        .get("line_items")
        .and_then(|v| v.as_array())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            (
                "You must provide at least one line item.".to_string(),
                "line_items".to_string(),
            )
        })?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = |k: &str| format!("line_items[{i}][{k}]");
        let price = item.get("price_data").ok_or_else(|| {
            (
                "Missing required param: price_data.".to_string(),
                p("price_data"),
            )
        })?;
        let currency = price
            .get("currency")
            .and_then(|v| v.as_str())
            .filter(|c| c.len() == 3)
            .ok_or_else(|| ("Invalid currency.".to_string(), p("price_data][currency")))?;
        let unit_amount: i64 = price
            .get("unit_amount")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse().ok())
            .filter(|a: &i64| *a >= 0 && *a <= 99_999_999)
            .ok_or_else(|| {
                (
                    "Invalid integer: unit_amount.".to_string(),
                    p("price_data][unit_amount"),
                )
            })?;
        let name = price
            .get("product_data")
            .and_then(|d| d.get("name"))
            .and_then(|v| v.as_str())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                (
                    "Missing required param: product_data.name.".to_string(),
                    p("price_data][product_data][name"),
                )
            })?;
        let quantity: i64 = item
            .get("quantity")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse().ok())
            .filter(|q: &i64| *q >= 1)
            .ok_or_else(|| ("Invalid integer: quantity.".to_string(), p("quantity")))?;
        out.push(LineItem {
            name: name.to_string(),
            unit_amount,
            quantity,
            currency: currency.to_lowercase(),
        });
    }
    if out.iter().any(|l| l.currency != out[0].currency) {
        return Err((
            "All line items must use the same currency.".into(),
            "line_items".into(),
        ));
    }
    Ok(out)
}

async fn create_session(State(local): State<Local>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&local, &headers) {
        return unauthorized();
    }
    let l2 = local.clone();
    idempotent(&local, &headers, "/v1/checkout/sessions", async move {
        let form = parse_form(&body);
        if form.get("mode").and_then(|v| v.as_str()) != Some("payment") {
            return (StatusCode::BAD_REQUEST, json!({ "error": { "type": "invalid_request_error", "message": "This test server supports mode=payment only.", "param": "mode" } }));
        }
        for required in ["success_url", "cancel_url"] {
            if form.get(required).and_then(|v| v.as_str()).is_none() {
                return (StatusCode::BAD_REQUEST, json!({ "error": { "type": "invalid_request_error", "message": format!("Missing required param: {required}."), "param": required } }));
            }
        }
        let items = match parse_line_items(&form) {
            Ok(i) => i,
            Err((message, param)) => {
                return (StatusCode::BAD_REQUEST, json!({ "error": { "type": "invalid_request_error", "message": message, "param": param } }))
            }
        };
        let id = random_id("cs");
        let session = match session_json(&id, &items, &form, &l2.config.public_url) {
            Ok(s) => s,
            Err((message, param)) => {
                return (StatusCode::BAD_REQUEST, json!({ "error": { "type": "invalid_request_error", "message": message, "param": param } }))
            }
        };
        if let Ok(mut s) = l2.store.lock() {
            s.sessions.insert(id, Session { json: session.clone(), line_items: items });
        }
        (StatusCode::OK, session)
    })
    .await
}

async fn retrieve_session(
    State(local): State<Local>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&local, &headers) {
        return unauthorized();
    }
    let found = local
        .store
        .lock()
        .ok()
        .and_then(|s| s.sessions.get(&id).map(|s| s.json.clone()));
    match found {
        Some(json) => axum::Json(json).into_response(),
        None => stripe_error(
            StatusCode::NOT_FOUND,
            &format!("No such checkout.session: '{id}'"),
            Some("session"),
            Some("resource_missing"),
        ),
    }
}

async fn expire_session(
    State(local): State<Local>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&local, &headers) {
        return unauthorized();
    }
    match expire(&local, &id).await {
        Ok(json) => axum::Json(json).into_response(),
        Err(ExpireError::Missing) => stripe_error(
            StatusCode::NOT_FOUND,
            &format!("No such checkout.session: '{id}'"),
            Some("session"),
            Some("resource_missing"),
        ),
        Err(ExpireError::NotOpen) => stripe_error(
            StatusCode::BAD_REQUEST,
            "Only Checkout Sessions with a status in [\"open\"] can be expired.",
            None,
            None,
        ),
    }
}

enum ExpireError {
    Missing,
    NotOpen,
}

async fn expire(local: &Local, id: &str) -> Result<Value, ExpireError> {
    let json = {
        let mut s = local.store.lock().map_err(|_| ExpireError::Missing)?;
        let session = s.sessions.get_mut(id).ok_or(ExpireError::Missing)?;
        if session.json["status"] != "open" {
            return Err(ExpireError::NotOpen);
        }
        session.json["status"] = json!("expired");
        session.json["url"] = Value::Null;
        session.json.clone()
    };
    send_event(local, "checkout.session.expired", &json).await;
    Ok(json)
}

async fn create_refund(State(local): State<Local>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&local, &headers) {
        return unauthorized();
    }
    let l2 = local.clone();
    idempotent(&local, &headers, "/v1/refunds", async move {
        let form = parse_form(&body);
        let Some(pi) = form.get("payment_intent").and_then(|v| v.as_str()).map(str::to_string) else {
            return (StatusCode::BAD_REQUEST, json!({ "error": { "type": "invalid_request_error", "message": "Missing required param: payment_intent.", "param": "payment_intent" } }));
        };
        let Ok(mut s) = l2.store.lock() else {
            return (StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": { "type": "api_error", "message": "lock" } }));
        };
        let paid = s
            .sessions
            .values()
            .find(|x| x.json["payment_intent"] == json!(pi) && x.json["payment_status"] == "paid")
            .map(|x| (x.json["amount_total"].as_i64().unwrap_or(0), x.json["currency"].clone()));
        let Some((amount, currency)) = paid else {
            return (StatusCode::NOT_FOUND, json!({ "error": { "type": "invalid_request_error", "message": format!("No such payment_intent: '{pi}'"), "param": "payment_intent", "code": "resource_missing" } }));
        };
        if s.refunds.values().any(|r| r["payment_intent"] == json!(pi)) {
            return (StatusCode::BAD_REQUEST, json!({ "error": { "type": "invalid_request_error", "message": format!("Charge for {pi} has already been refunded."), "code": "charge_already_refunded" } }));
        }
        let id = random_id("re");
        let refund = json!({
            "id": id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": null,
            "charge": null,
            "created": now(),
            "currency": currency,
            "metadata": {},
            "payment_intent": pi,
            "reason": form.get("reason").cloned().unwrap_or(Value::Null),
            "receipt_number": null,
            "source_transfer_reversal": null,
            "status": "succeeded",
            "transfer_reversal": null,
        });
        s.refunds.insert(id, refund.clone());
        (StatusCode::OK, refund)
    })
    .await
}

/// Signs and delivers an event, retrying a few times like Stripe does.
async fn send_event(local: &Local, kind: &str, object: &Value) {
    let event = json!({
        "id": random_id("evt"),
        "object": "event",
        "api_version": api_version(),
        "created": now(),
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": kind,
    });
    let body = event.to_string();
    let local = local.clone();
    let deliver = async move {
        for attempt in 0..6u32 {
            let t = now();
            let header = signature_header(&local.config.webhook_secret, t, &body);
            let res = local
                .http
                .post(&local.config.webhook_url)
                .header("content-type", "application/json")
                .header("stripe-signature", header)
                .body(body.clone())
                .send()
                .await;
            match res {
                Ok(r) if r.status().is_success() => return true,
                Ok(r) => {
                    tracing::warn!(status = %r.status(), attempt, "webhook refused by the shop")
                }
                Err(e) => tracing::warn!(attempt, "webhook delivery failed: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt))).await;
        }
        false
    };
    // The first attempt is awaited (so the shop knows before the redirect); retries go on in the background.
    let handle = tokio::spawn(deliver);
    let _ = tokio::time::timeout(Duration::from_secs(5), handle).await;
}

/// `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: Stripe's signature scheme.
pub fn signature_header(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

// ---------- the hosted payment page ----------

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `123450, "usd"` → `$1,234.50`, the way the shop and Stripe's own page show amounts.
fn money(amount: i64, currency: &str) -> String {
    let (symbol, digits) = match currency.to_ascii_lowercase().as_str() {
        "usd" => ("$".to_string(), 2),
        "eur" => ("€".to_string(), 2),
        "gbp" => ("£".to_string(), 2),
        "cad" => ("CA$".to_string(), 2),
        "aud" => ("A$".to_string(), 2),
        "jpy" => ("¥".to_string(), 0),
        other => (format!("{} ", other.to_uppercase()), 2),
    };
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let scale = 10u64.pow(digits);
    let whole = abs / scale;
    let text = whole.to_string();
    let mut grouped = String::new();
    for (i, ch) in text.chars().enumerate() {
        if i > 0 && (text.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    if digits == 0 {
        format!("{sign}{symbol}{grouped}")
    } else {
        format!("{sign}{symbol}{grouped}.{:02}", abs % scale)
    }
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Local Stripe (test mode)</title><meta name=\"description\" content=\"Test payment page for local development.\">\
         <style>body{{font-family:system-ui,Arial,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}}\
         label{{display:block;font-weight:600;margin:.75rem 0 .25rem}}input{{width:100%;padding:.5rem;font:inherit;border:1px solid #7a838f;border-radius:6px;box-sizing:border-box}}\
         button{{margin-top:1rem;padding:.65rem 1.2rem;font:inherit;font-weight:600;background:#635bff;color:#fff;border:0;border-radius:6px;cursor:pointer}}\
         :focus-visible{{outline:3px solid #1a56db;outline-offset:2px}}.err{{background:#fdecec;border-left:5px solid #a4161a;padding:.5rem 1rem;color:#5c0b0e}}\
         .note{{background:#f4f5f7;padding:.5rem 1rem;border-radius:6px}}table{{width:100%;border-collapse:collapse}}td{{padding:.3rem 0}}td.n{{text-align:right}}</style>\
         </head><body><main>{}</main></body></html>",
        esc(title),
        body
    ))
}

fn pay_form(session: &Session, error: Option<&str>, name: &str) -> Html<String> {
    let j = &session.json;
    let id = j["id"].as_str().unwrap_or("");
    let currency = j["currency"].as_str().unwrap_or("usd");
    let total = j["amount_total"].as_i64().unwrap_or(0);
    let rows: String = session
        .line_items
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{} × {}</td><td class=\"n\">{}</td></tr>",
                l.quantity,
                esc(&l.name),
                esc(&money(l.unit_amount * l.quantity, currency))
            )
        })
        .collect();
    let cancel = j["cancel_url"].as_str().unwrap_or("/");
    let err = error
        .map(|e| format!("<p class=\"err\" role=\"alert\">{}</p>", esc(e)))
        .unwrap_or_default();
    page(
        "Pay",
        &format!(
            "<h1>Pay {total}</h1><p class=\"note\">Test mode: use card 4242 4242 4242 4242 with any future date and any CVC. \
             Card 4000 0000 0000 0002 is declined.</p>\
             <table aria-label=\"Order summary\">{rows}<tr><td><strong>Total</strong></td><td class=\"n\"><strong>{total}</strong></td></tr></table>\
             {err}<form method=\"post\" action=\"/pay/{id}\">\
             <label for=\"email\">E-mail</label><input id=\"email\" name=\"email\" type=\"email\" value=\"{email}\" autocomplete=\"email\">\
             <label for=\"card\">Card number</label><input id=\"card\" name=\"card_number\" inputmode=\"numeric\" autocomplete=\"cc-number\" required>\
             <label for=\"exp\">Expiry (MM / YY)</label><input id=\"exp\" name=\"expiry\" autocomplete=\"cc-exp\" placeholder=\"12 / 34\" required>\
             <label for=\"cvc\">CVC</label><input id=\"cvc\" name=\"cvc\" inputmode=\"numeric\" autocomplete=\"cc-csc\" required>\
             <label for=\"name\">Name on card</label><input id=\"name\" name=\"name\" autocomplete=\"cc-name\" value=\"{name}\">\
             <button type=\"submit\">Pay {total}</button></form>\
             <p><a href=\"{cancel}\">Cancel and return to the shop</a></p>",
            total = esc(&money(total, currency)),
            email = esc(j["customer_email"].as_str().unwrap_or("")),
            name = esc(name),
            cancel = esc(cancel),
        ),
    )
}

async fn show_pay_page(State(local): State<Local>, Path(id): Path<String>) -> Response {
    let session = local
        .store
        .lock()
        .ok()
        .and_then(|s| s.sessions.get(&id).cloned());
    match session {
        None => (StatusCode::NOT_FOUND, page("Not found", "<h1>This payment page does not exist.</h1>")).into_response(),
        Some(s) if s.json["status"] == "complete" => {
            page("Paid", "<h1>This payment is already complete.</h1>").into_response()
        }
        Some(s) if s.json["status"] == "expired" => (
            StatusCode::GONE,
            page(
                "Expired",
                &format!(
                    "<h1>This payment page has expired.</h1><p><a href=\"{}\">Return to the shop</a></p>",
                    esc(s.json["cancel_url"].as_str().unwrap_or("/"))
                ),
            ),
        )
            .into_response(),
        Some(s) => pay_form(&s, None, "").into_response(),
    }
}

fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    digits.len() >= 12 && sum % 10 == 0
}

async fn submit_payment(
    State(local): State<Local>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let form = parse_form(&body);
    let field = |k: &str| {
        form.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let card: String = field("card_number")
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    let name = field("name");
    let session = local
        .store
        .lock()
        .ok()
        .and_then(|s| s.sessions.get(&id).cloned());
    let Some(session) = session else {
        return (
            StatusCode::NOT_FOUND,
            page("Not found", "<h1>This payment page does not exist.</h1>"),
        )
            .into_response();
    };
    if session.json["status"] != "open" {
        return show_pay_page(State(local), Path(id)).await;
    }
    let expiry_ok = {
        let e: String = field("expiry")
            .chars()
            .filter(|c| c.is_ascii_digit())
            .collect();
        e.len() == 4 && (1..=12).contains(&e[..2].parse::<u32>().unwrap_or(0))
    };
    let decline = |msg: &str| {
        (
            StatusCode::PAYMENT_REQUIRED,
            pay_form(&session, Some(msg), &name),
        )
            .into_response()
    };
    if !luhn_ok(&card) {
        return decline("Your card number is incorrect.");
    }
    if !expiry_ok {
        return decline("Your card's expiration date is incomplete.");
    }
    if field("cvc").len() < 3 {
        return decline("Your card's security code is incomplete.");
    }
    if card != "4242424242424242" {
        return decline("Your card was declined.");
    }
    let completed = {
        let Ok(mut s) = local.store.lock() else {
            return (StatusCode::INTERNAL_SERVER_ERROR, "lock").into_response();
        };
        let Some(stored) = s.sessions.get_mut(&id) else {
            return (StatusCode::NOT_FOUND, "gone").into_response();
        };
        if stored.json["status"] != "open" {
            None
        } else {
            stored.json["status"] = json!("complete");
            stored.json["payment_status"] = json!("paid");
            stored.json["payment_intent"] = json!(random_id("pi"));
            stored.json["url"] = Value::Null;
            stored.json["customer_details"] = json!({
                "address": null, "email": field("email"), "name": name, "phone": null,
                "tax_exempt": "none", "tax_ids": [],
            });
            Some(stored.json.clone())
        }
    };
    let Some(json) = completed else {
        return show_pay_page(State(local), Path(id)).await;
    };
    send_event(&local, "checkout.session.completed", &json).await;
    let success = json["success_url"]
        .as_str()
        .unwrap_or("/")
        .replace("{CHECKOUT_SESSION_ID}", &id);
    Redirect::to(&success).into_response()
}

/// Expires sessions whose time is up, like Stripe does, with the webhook.
fn spawn_expiry(local: Local) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let due: Vec<String> = local
                .store
                .lock()
                .map(|s| {
                    s.sessions
                        .iter()
                        .filter(|(_, x)| {
                            x.json["status"] == "open"
                                && x.json["expires_at"].as_i64().unwrap_or(i64::MAX) <= now()
                        })
                        .map(|(id, _)| id.clone())
                        .collect()
                })
                .unwrap_or_default();
            for id in due {
                let _ = expire(&local, &id).await;
            }
        }
    });
}

pub fn router(config: LocalStripeConfig) -> Router {
    let local = Local {
        config: Arc::new(config),
        store: Arc::new(Mutex::new(Store::default())),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("HTTP client"),
    };
    spawn_expiry(local.clone());
    Router::new()
        .route("/v1/checkout/sessions", post(create_session))
        .route("/v1/checkout/sessions/{id}", get(retrieve_session))
        .route("/v1/checkout/sessions/{id}/expire", post(expire_session))
        .route("/v1/refunds", post(create_refund))
        .route("/pay/{id}", get(show_pay_page).post(submit_payment))
        .route("/healthz", get(|| async { "ok" }))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .with_state(local)
}

/// Serves until the future completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: LocalStripeConfig,
) -> std::io::Result<()> {
    axum::serve(listener, router(config)).await
}
