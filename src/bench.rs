//! Measurements behind `oxcart bench ...` (used by scripts/bench; figures go to
//! BENCHMARKS.md). These are tools for operators and developers, not tests.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use mongodb::Database;

use crate::catalog::search::SearchIndex;
use crate::catalog::types::{SearchQuery, Sort, StatusFilter};

/// Latency percentiles of a set of samples.
pub struct Percentiles {
    pub count: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub max: Duration,
}

pub fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort();
    let at = |q: f64| -> Duration {
        if samples.is_empty() {
            return Duration::ZERO;
        }
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i.min(samples.len() - 1)]
    };
    Percentiles {
        count: samples.len(),
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
        max: samples.last().copied().unwrap_or_default(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Resident memory of this process in MiB (Linux).
pub fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// The query mix: words from the demo catalog, a prefix, a typo, filters and sorts.
fn query_mix(n: usize) -> Vec<SearchQuery> {
    let words = [
        "lamp",
        "oak desk lamp",
        "brass",
        "leather wallet",
        "wireless headphones",
        "tent",
        "merino sweater",
        "ceramic vase",
        "cast iron",
        "notebook",
        "puzzle",
        "walnut",
        "lantrn",
        "headphnes",
        "tel",
        "sw",
        "kitchen knife",
        "",
        "",
        "garden planter",
    ];
    let categories = [
        None,
        None,
        Some("lighting"),
        Some("home-living"),
        Some("audio"),
        Some("books"),
    ];
    let sorts = [
        Sort::Relevance,
        Sort::PriceAsc,
        Sort::PriceDesc,
        Sort::Newest,
    ];
    (0..n)
        .map(|i| {
            let q = words[i % words.len()].to_string();
            let sort = if q.is_empty() {
                Sort::Newest
            } else {
                sorts[(i / 3) % sorts.len()]
            };
            SearchQuery {
                q,
                category: categories[(i / 7) % categories.len()].map(str::to_string),
                min_price: if i % 5 == 0 { Some(2_500) } else { None },
                max_price: if i % 4 == 0 { Some(20_000) } else { None },
                in_stock: i % 2 == 0,
                sort,
                page: 1 + (i % 3) as u32,
                per_page: 24,
                status: StatusFilter::Active,
                featured_only: false,
            }
        })
        .collect()
}

/// Seeds `products` into `db` (if missing), builds the index, runs the query mix.
pub async fn search(
    db: &Database,
    currency: &str,
    products: u64,
    queries: usize,
) -> Result<String, String> {
    let have = crate::catalog::store::products(db)
        .estimated_document_count()
        .await
        .map_err(|e| e.to_string())?;
    if have < products {
        let t = Instant::now();
        crate::catalog::seed::run(db, products, currency, false, true)
            .await
            .map_err(|e| e.to_string())?;
        eprintln!(
            "seeded {} products in {:.1}s",
            products - have,
            t.elapsed().as_secs_f64()
        );
    }
    let rss_before = rss_mib().unwrap_or(0.0);
    let index = SearchIndex::new(currency).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let indexed = crate::catalog::sync::full_build(db, &index)
        .await
        .map_err(|e| e.to_string())?;
    let build = t.elapsed();
    let rss_after = rss_mib().unwrap_or(0.0);

    let mix = query_mix(queries + 200);
    for q in &mix[..200] {
        let _ = index.search_uncached(q);
    }
    let mut samples = Vec::with_capacity(queries);
    let mut hits = 0u64;
    for q in &mix[200..] {
        let t = Instant::now();
        let r = index.search_uncached(q).map_err(|e| e.to_string())?;
        samples.push(t.elapsed());
        hits += r.total;
    }
    let p = percentiles(samples);
    Ok(format!(
        "search, in process: {indexed} products indexed in {build:.2?} (index memory about {:.0} MiB); \
         {} queries (mixed words, prefix, typos, filters, sorts, pages 1-3; {} hits in all): \
         p50 {}, p95 {}, p99 {}, max {}",
        (rss_after - rss_before).max(0.0),
        p.count,
        hits,
        ms(p.p50),
        ms(p.p95),
        ms(p.p99),
        ms(p.max),
    ))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .expect("HTTP client")
}

async fn new_product(
    db: &Database,
    name: &str,
    price: i64,
    stock: i64,
    currency: &str,
) -> Result<ObjectId, String> {
    let now = DateTime::now();
    let id = ObjectId::new();
    db.collection::<Document>("products")
        .insert_one(doc! {
            "_id": id, "name": name, "slug": format!("bench-{}", id.to_hex()), "description": "benchmark product",
            "price": price, "currency": currency, "category_id": null, "tags": [], "stock": stock,
            "status": "active", "featured": false, "images": [], "reservations": [],
            "created_at": now, "updated_at": now,
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(id)
}

/// `buyers` signed-in shoppers each try to buy one of `units` units at the same moment.
pub async fn checkout(
    db: &Database,
    currency: &str,
    url: &str,
    buyers: usize,
    units: i64,
) -> Result<String, String> {
    let product = new_product(db, "Benchmark Limited Print", 4500, units, currency).await?;
    let password = "correct horse battery staple";
    let hash = crate::accounts::password::hash(
        &crate::accounts::types::Password::parse(password).map_err(|e| e.to_string())?,
    )
    .await
    .map_err(|e| e.to_string())?;
    let tag = &product.to_hex()[16..];
    let mut clients = Vec::new();
    for i in 0..buyers {
        let email = format!("bench{i}.{tag}@example.com");
        crate::accounts::store::create_user(
            db,
            &crate::accounts::types::Email::parse(&email).map_err(|e| e.to_string())?,
            "Bench Buyer",
            hash.clone(),
            crate::accounts::types::Role::Customer,
        )
        .await
        .map_err(|e| e.to_string())?;
        clients.push((email, client()));
    }
    let pid = product.to_hex();
    // Sign in, fill the cart, open checkout: everything up to "Place order".
    let prepared = futures::future::join_all(clients.iter().map(|(email, c)| {
        let pid = pid.clone();
        async move {
            let post = |path: &str, form: Vec<(&str, String)>| {
                c.post(format!("{url}/api/{path}")).form(&form).send()
            };
            post(
                "accounts/login",
                vec![("email", email.clone()), ("password", password.into())],
            )
            .await
            .ok()?;
            post(
                "cart/add",
                vec![("product_id", pid.clone()), ("quantity", "1".into())],
            )
            .await
            .ok()?;
            let data: crate::orders::types::CheckoutData = post("checkout/data", vec![])
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            Some(data.cart.checkout_key)
        }
    }))
    .await;
    let ready: Vec<(&reqwest::Client, String)> = clients
        .iter()
        .zip(prepared)
        .filter_map(|((_, c), k)| k.map(|k| (c, k)))
        .collect();
    let started = Instant::now();
    let results = futures::future::join_all(ready.iter().map(|(c, key)| async move {
        let t = Instant::now();
        let res = c
            .post(format!("{url}/api/checkout/place-order"))
            .form(&[
                ("address[name]", "Bench Buyer"),
                ("address[line1]", "1 Load Street"),
                ("address[line2]", ""),
                ("address[city]", "Testville"),
                ("address[postal_code]", "12345"),
                ("address[country]", "US"),
                ("checkout_key", key.as_str()),
            ])
            .send()
            .await;
        (t.elapsed(), res.map(|r| r.status().as_u16()).unwrap_or(0))
    }))
    .await;
    let wall = started.elapsed();
    let ok = results.iter().filter(|(_, s)| *s == 200).count();
    let sold_out = results.iter().filter(|(_, s)| *s == 409).count();
    let other = results.len() - ok - sold_out;
    let stock = db
        .collection::<Document>("products")
        .find_one(doc! { "_id": product })
        .await
        .map_err(|e| e.to_string())?
        .and_then(|d| d.get_i64("stock").ok())
        .unwrap_or(-1);
    let orders = db
        .collection::<Document>("orders")
        .count_documents(doc! { "lines.product_id": product })
        .await
        .map_err(|e| e.to_string())? as i64;
    let oversold = (orders - units).max(0) + (-stock).max(0);
    let p = percentiles(results.iter().map(|(d, _)| *d).collect());
    Ok(format!(
        "checkout: {} buyers for {units} units: {ok} orders, {sold_out} told \"sold out\", {other} other answers; \
         stock left {stock}; oversold units {oversold}; {:.0} checkouts/s ({} attempts in {wall:.2?}); \
         latency p50 {}, p99 {}, max {}",
        ready.len(),
        ready.len() as f64 / wall.as_secs_f64(),
        ready.len(),
        ms(p.p50),
        ms(p.p99),
        ms(p.max),
    ))
}

/// `connections` guest shoppers add, update and remove cart lines for `seconds`.
pub async fn cart(
    db: &Database,
    currency: &str,
    url: &str,
    connections: usize,
    seconds: u64,
) -> Result<String, String> {
    let product = new_product(db, "Benchmark Cart Item", 1500, 1_000_000, currency)
        .await?
        .to_hex();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let product = Arc::new(product);
    let tasks = (0..connections).map(|_| {
        let product = product.clone();
        let url = url.to_string();
        tokio::spawn(async move {
            let c = client();
            let mut add = Vec::new();
            let mut update = Vec::new();
            let mut errors = 0usize;
            // Posts a cart form; returns how long it took and whether it succeeded.
            let timed = |endpoint: &'static str, quantity: &'static str| {
                let request = c
                    .post(format!("{url}/api/cart/{endpoint}"))
                    .form(&[("product_id", product.as_str()), ("quantity", quantity)]);
                async move {
                    let t = Instant::now();
                    let ok = matches!(request.send().await, Ok(r) if r.status().is_success());
                    (t.elapsed(), ok)
                }
            };
            while Instant::now() < deadline {
                let (took, ok) = timed("add", "1").await;
                add.push(took);
                errors += usize::from(!ok);
                let (took, ok) = timed("update", "2").await;
                update.push(took);
                errors += usize::from(!ok);
                let _ = c
                    .post(format!("{url}/api/cart/remove"))
                    .form(&[("product_id", product.as_str())])
                    .send()
                    .await;
            }
            (add, update, errors)
        })
    });
    let mut add = Vec::new();
    let mut update = Vec::new();
    let mut errors = 0;
    for t in futures::future::join_all(tasks).await.into_iter().flatten() {
        add.extend(t.0);
        update.extend(t.1);
        errors += t.2;
    }
    let (a, u) = (percentiles(add), percentiles(update));
    Ok(format!(
        "cart at {connections} connections for {seconds}s: add {} ops ({:.0}/s) p50 {}, p99 {}; \
         update {} ops ({:.0}/s) p50 {}, p99 {}; failed requests {errors}",
        a.count,
        a.count as f64 / seconds as f64,
        ms(a.p50),
        ms(a.p99),
        u.count,
        u.count as f64 / seconds as f64,
        ms(u.p50),
        ms(u.p99),
    ))
}
