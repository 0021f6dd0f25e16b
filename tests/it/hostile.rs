//! Every server function the app registers, sent hostile arguments as a guest and
//! as an admin: control characters, invalid UTF-8 and unpaired surrogates, very
//! long strings, numbers at and past the i64 limits, operator objects, wrong types,
//! deep nesting and broken bodies. Nothing may answer 5xx or panic, and a batch of
//! calls that was refused entirely must leave the database as it was.
//!
//! The endpoints come from the app's own registry (`server_fn_paths`), and each
//! endpoint's arguments from its signature in `src/` (nested form structs are
//! expanded from their definitions), so a new server function is covered without
//! anyone adding it here; an endpoint whose signature cannot be found fails the test.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use mongodb::bson::{doc, Document};

use crate::helpers::{spawn_app_with, Browser, TestApp};

/// A server function as written in the source: its endpoint and its form keys.
#[derive(Debug, Clone)]
struct Signature {
    endpoint: String,
    keys: Vec<String>,
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Splits `a: A, b: Option<B<C, D>>` at the top-level commas.
fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// `pub struct Name { pub a: String, ... }` → field names, for every struct in `src/`.
fn struct_fields(sources: &[String]) -> HashMap<String, Vec<String>> {
    let mut out = HashMap::new();
    for src in sources {
        let mut rest = src.as_str();
        while let Some(i) = rest.find("pub struct ") {
            rest = &rest[i + "pub struct ".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let Some(open) = rest.find('{') else { break };
            if rest[..open].contains(';') {
                continue;
            }
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let body = &rest[open + 1..open + close];
            let fields = body
                .lines()
                .map(str::trim)
                .filter(|l| l.starts_with("pub ") && l.contains(':'))
                .map(|l| {
                    l["pub ".len()..]
                        .split(':')
                        .next()
                        .unwrap()
                        .trim()
                        .to_string()
                })
                .collect();
            out.insert(name, fields);
        }
    }
    out
}

/// Every `#[server(endpoint = "...")]` function in `src/` with its form keys.
fn signatures() -> Vec<Signature> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let sources: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let structs = struct_fields(&sources);
    let mut out = Vec::new();
    for src in &sources {
        let mut rest = src.as_str();
        while let Some(i) = rest.find("#[server(") {
            rest = &rest[i..];
            let attr_end = rest.find(")]").expect("server attribute closes");
            let attr = &rest[..attr_end];
            let endpoint = attr
                .split("endpoint = \"")
                .nth(1)
                .and_then(|e| e.split('"').next())
                .expect("every server function names its endpoint")
                .to_string();
            let fn_at = rest.find("fn ").expect("a function follows");
            let open = fn_at + rest[fn_at..].find('(').unwrap();
            let mut depth = 0;
            let mut close = open;
            for (j, c) in rest[open..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            close = open + j;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let params = &rest[open + 1..close];
            let mut keys = Vec::new();
            for p in split_top_level(params) {
                let (name, ty) = p.split_once(':').expect("name: Type");
                let (name, ty) = (name.trim(), ty.trim());
                let inner = ty
                    .strip_prefix("Option<")
                    .and_then(|t| t.strip_suffix('>'))
                    .unwrap_or(ty);
                match structs.get(inner) {
                    Some(fields) if !matches!(inner, "String") => {
                        keys.extend(fields.iter().map(|f| format!("{name}[{f}]")))
                    }
                    _ => keys.push(name.to_string()),
                }
            }
            out.push(Signature { endpoint, keys });
            rest = &rest[close..];
        }
    }
    out
}

const LONG_LEN: usize = 100_000;

/// Values no field may trip over.
fn hostile_values() -> Vec<String> {
    vec![
        "\u{0}".into(),
        "a\u{1}b".into(),
        "\u{1b}[2J\u{7}".into(),
        "\u{7f}\u{85}\u{2028}".into(),
        "/\t/evil.example/".into(),
        "x".repeat(LONG_LEN),
        "9223372036854775807".into(),
        "9223372036854775808".into(),
        "-9223372036854775809".into(),
        "1e400".into(),
        "-0".into(),
        r#"{"$gt":""}"#.into(),
        "</title><script>alert(1)</script>".into(),
    ]
}

/// A request body, already form-encoded.
fn form(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                oxcart::shared::text::url_encode(k),
                oxcart::shared::text::url_encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// What the arguments that are not under attack hold.
enum Others {
    /// "probe" everywhere: refused by most validations.
    Probe,
    /// Values that pass validation (a fresh e-mail, the right password, a real
    /// product, a valid address), so hostile values reach the deepest code.
    Plausible { product_id: String },
}

impl Others {
    fn value(&self, key: &str) -> String {
        let Others::Plausible { product_id } = self else {
            return "probe".into();
        };
        let field = key.rsplit('[').next().unwrap_or(key).trim_end_matches(']');
        match field {
            "email" => crate::helpers::unique_email("probe"),
            "password" | "new_password" | "current_password" => {
                crate::helpers::STRONG_PASSWORD.into()
            }
            "name" => "Probe Person".into(),
            "quantity" => "1".into(),
            "product_id" | "id" | "order_id" => product_id.clone(),
            "price" => "12.50".into(),
            "stock" => "3".into(),
            "status" => "active".into(),
            "line1" => "1 Probe Street".into(),
            "city" => "Springfield".into(),
            "postal_code" => "12345".into(),
            "country" => "US".into(),
            "next" => "/products".into(),
            "q" => "probe".into(),
            _ => String::new(),
        }
    }
}

/// Every hostile body for one endpoint.
fn bodies(sig: &Signature, others: &Others) -> Vec<(String, String)> {
    let benign = |k: &str| (k.to_string(), others.value(k));
    let mut out: Vec<(String, String)> = Vec::new();
    let ct_form = "application/x-www-form-urlencoded".to_string();
    for v in hostile_values() {
        // Every argument hostile at once.
        let all: Vec<(String, String)> = sig.keys.iter().map(|k| (k.clone(), v.clone())).collect();
        let mut body = form(&all);
        if sig.keys.is_empty() {
            body = form(&[("unexpected".into(), v.clone())]);
        }
        out.push((ct_form.clone(), body));
    }
    let singles = [
        "a\u{1}b".to_string(),
        "x".repeat(LONG_LEN),
        "9223372036854775808".into(),
        r#"{"$gt":""}"#.into(),
    ];
    for (i, key) in sig.keys.iter().enumerate() {
        let others = |own: (String, String)| -> Vec<(String, String)> {
            sig.keys
                .iter()
                .enumerate()
                .map(|(j, k)| if j == i { own.clone() } else { benign(k) })
                .collect()
        };
        for v in &singles {
            out.push((ct_form.clone(), form(&others((key.clone(), v.clone())))));
        }
        // Wrong shapes: an operator object, an array, nesting past any sane depth.
        let mut with = |extra: &str| {
            let base: Vec<(String, String)> = sig
                .keys
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, k)| benign(k))
                .collect();
            let mut body = form(&base);
            if !body.is_empty() {
                body.push('&');
            }
            body.push_str(extra);
            out.push((ct_form.clone(), body));
        };
        let enc = oxcart::shared::text::url_encode(key);
        with(&format!("{enc}%5B%24gt%5D=1"));
        with(&format!("{enc}%5B%5D=1&{enc}%5B%5D=2"));
        with(&format!("{enc}{}=1", "%5Ba%5D".repeat(12)));
        // Bytes that are not UTF-8, and an unpaired surrogate in UTF-8 form.
        with(&format!("{enc}=%FF%FE%00"));
        with(&format!("{enc}=%ED%A0%80"));
    }
    // Broken bodies.
    out.push((ct_form.clone(), String::new()));
    out.push((ct_form.clone(), "%%%&&==&=%zz".into()));
    out.push((
        "application/json".into(),
        format!("{}1{}", "[".repeat(2000), "]".repeat(2000)),
    ));
    out.push(("text/plain".into(), "\u{0}\u{1}".into()));
    out
}

/// A digest of everything a refused request must not change.
async fn fingerprint(app: &TestApp) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for coll in [
        "users",
        "products",
        "categories",
        "orders",
        "carts",
        "password_resets",
        "counters",
        "checkout_claims",
        "stripe_events",
        "mail_outbox",
    ] {
        let mut cursor = app
            .state
            .core
            .db
            .collection::<Document>(coll)
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await
            .unwrap();
        let mut docs = Vec::new();
        while let Some(d) = cursor.next().await {
            docs.push(format!("{:?}", d.unwrap()));
        }
        out.insert(coll.to_string(), docs);
    }
    out
}

static PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts panics raised outside the test code itself (the app, Leptos, the driver).
fn count_app_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_tests = info
            .location()
            .is_some_and(|l| l.file().contains("tests/it/"));
        if !in_tests {
            PANICS.fetch_add(1, Ordering::SeqCst);
        }
        previous(info);
    }));
}

/// Sends every hostile body to every endpoint; returns the problems and the number of calls.
/// Who sends the calls.
enum Caller<'a> {
    /// One browser for every endpoint (a guest, or a signed-in admin).
    Same(&'a Browser),
    /// A new guest browser for each endpoint, each from its own address, so calls
    /// that sign in or out do not change who calls the next endpoint.
    FreshPerEndpoint,
}

async fn attack(
    app: &TestApp,
    who: &str,
    caller: Caller<'_>,
    others: &Others,
    sigs: &[Signature],
) -> (Vec<String>, usize) {
    let mut problems = Vec::new();
    let mut calls = 0;
    for (n, sig) in sigs.iter().enumerate() {
        let fresh;
        let b = match caller {
            Caller::Same(b) => {
                // Signing out would end the admin's session for the endpoints after it.
                if sig.endpoint == "accounts/logout" && who == "admin" {
                    continue;
                }
                b
            }
            Caller::FreshPerEndpoint => {
                fresh = app.browser();
                &fresh
            }
        };
        let address = format!("10.0.{}.{}", n / 250, n % 250 + 1);
        let check_data = matches!(others, Others::Probe);
        let before = if check_data {
            Some(fingerprint(app).await)
        } else {
            None
        };
        let url = b.url(&format!("/api/{}", sig.endpoint));
        let results: Vec<(u16, String)> = futures::stream::iter(bodies(sig, others))
            .map(|(ct, body)| {
                let req = b
                    .client
                    .post(&url)
                    .header("content-type", ct)
                    .header("x-forwarded-for", &address)
                    .body(body.clone());
                async move {
                    let res = req.send().await.unwrap();
                    (res.status().as_u16(), body)
                }
            })
            .buffer_unordered(6)
            .collect()
            .await;
        calls += results.len();
        for (status, body) in &results {
            if *status >= 500 {
                let shown: String = body.chars().take(120).collect();
                problems.push(format!("{who} {}: {status} for {shown:?}", sig.endpoint));
            }
        }
        if let Some(before) = before.filter(|_| results.iter().all(|(s, _)| *s >= 400)) {
            let after = fingerprint(app).await;
            for (coll, docs) in &after {
                if before.get(coll) != Some(docs) {
                    problems.push(format!(
                        "{who} {}: every call was refused, yet `{coll}` changed",
                        sig.endpoint
                    ));
                }
            }
        }
    }
    (problems, calls)
}

#[tokio::test]
async fn hostile_arguments_to_every_server_function_get_4xx_and_change_nothing() {
    count_app_panics();
    // A trusted proxy: each endpoint's calls come from their own address, so the
    // per-address limits of one endpoint do not turn the next one's calls into 429s.
    let app = spawn_app_with(&[("OXCART_TRUST_PROXY", "true")]).await;
    let product_id = crate::catalog::make_product(&app, "Probe Lamp", 1250, 50).await;
    let sigs = signatures();

    // The registry is the truth: every registered endpoint has a signature in src/.
    let by_path: HashMap<String, &Signature> = sigs
        .iter()
        .map(|s| (format!("/api/{}", s.endpoint), s))
        .collect();
    let registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .collect();
    assert!(
        registered.len() >= 40,
        "found {} endpoints",
        registered.len()
    );
    let mut covered = Vec::new();
    for path in &registered {
        let sig = by_path
            .get(path)
            .unwrap_or_else(|| panic!("no signature found in src/ for {path}"));
        covered.push((*sig).clone());
    }

    let guest = app.browser();
    let (mut problems, guest_calls) = attack(
        &app,
        "guest",
        Caller::Same(&guest),
        &Others::Probe,
        &covered,
    )
    .await;
    let (more, shopper_calls) = attack(
        &app,
        "shopper",
        Caller::FreshPerEndpoint,
        &Others::Plausible { product_id },
        &covered,
    )
    .await;
    problems.extend(more);
    let (admin, _) = app.admin().await;
    let (more, admin_calls) = attack(
        &app,
        "admin",
        Caller::Same(&admin),
        &Others::Probe,
        &covered,
    )
    .await;
    problems.extend(more);
    eprintln!(
        "hostile arguments: {} endpoints; {guest_calls} calls as a guest, {shopper_calls} as \
         shoppers with otherwise valid forms, {admin_calls} as an admin",
        covered.len()
    );
    assert!(guest_calls > 20 * covered.len());
    let me: serde_json::Value = admin.call_ok("accounts/me", &[]).await;
    assert_eq!(
        me["role"], "admin",
        "the admin was still signed in at the end"
    );

    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        0,
        "the app panicked (see the log above)"
    );
}
