//! The measurements (used by scripts/bench; figures go to BENCHMARKS.md). Tools
//! for operators and developers, not tests. Products and accounts are made with
//! the shop's own code, so they are exactly what the shop would store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::Database;
use oxcart::catalog::search::SearchIndex;
use oxcart::catalog::types::{ProductForm, SearchQuery, Sort, StatusFilter};
use oxcart::shared::Currency;

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
        "black sweater",
        "sage t-shirt",
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
                // Some searches filter by option values (the variant seed's
                // sizes, colours and finishes), one or two options at once.
                options: match i % 6 {
                    1 => vec![("colour".into(), vec!["black".into()])],
                    3 => vec![
                        ("colour".into(), vec!["navy".into(), "sage".into()]),
                        ("size".into(), vec!["m".into()]),
                    ],
                    5 => vec![("finish".into(), vec!["smoked walnut".into()])],
                    _ => Vec::new(),
                },
            }
        })
        .collect()
}

/// Seeds `products` into `db` (if missing), builds the index, runs the query mix.
pub async fn search(
    db: &Database,
    currency: Currency,
    products: u64,
    queries: usize,
) -> Result<String, String> {
    let have = oxcart::catalog::store::products(db)
        .estimated_document_count()
        .await
        .map_err(|e| e.to_string())?;
    if have < products {
        let t = Instant::now();
        oxcart::catalog::seed::run(db, products, currency, false, true)
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
    let indexed = oxcart::catalog::sync::full_build(db, &index, &|_| {})
        .await
        .map_err(|e| e.to_string())?;
    let build = t.elapsed();
    let rss_after = rss_mib().unwrap_or(0.0);
    run_queries(
        &index,
        indexed,
        build,
        rss_after - rss_before,
        queries,
        "search, in process",
    )
}

/// Builds the index from `products` demo products generated in memory (no
/// database), then runs the query mix: the engine itself at sizes the local
/// database server cannot hold.
pub fn search_in_memory(
    currency: Currency,
    products: u64,
    queries: usize,
) -> Result<String, String> {
    let rss_before = rss_mib().unwrap_or(0.0);
    let index = SearchIndex::new(currency).map_err(|e| e.to_string())?;
    let categories = oxcart::catalog::seed::demo_categories();
    let t = Instant::now();
    index.set_categories(&categories);
    let mut from = 0;
    while from < products {
        let to = (from + 10_000).min(products);
        let batch = oxcart::catalog::seed::demo_products(&categories, from, to, currency);
        index
            .add_batch_uncommitted(&batch, from == 0)
            .map_err(|e| e.to_string())?;
        from = to;
    }
    index.commit().map_err(|e| e.to_string())?;
    let build = t.elapsed();
    let rss_after = rss_mib().unwrap_or(0.0);
    run_queries(
        &index,
        products,
        build,
        rss_after - rss_before,
        queries,
        "search, in memory",
    )
}

fn run_queries(
    index: &SearchIndex,
    indexed: u64,
    build: Duration,
    index_mib: f64,
    queries: usize,
    label: &str,
) -> Result<String, String> {
    let mix = query_mix(queries + 200);
    for q in &mix[..200] {
        let _ = index.search_uncached(q);
    }
    let mut samples = Vec::with_capacity(queries);
    let mut hits = 0u64;
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    for q in &mix[200..] {
        let t = Instant::now();
        let r = index.search_uncached(q).map_err(|e| e.to_string())?;
        let took = t.elapsed();
        samples.push(took);
        hits += r.total;
        if std::env::var_os("OXCART_BENCH_SLOWEST").is_some() {
            slowest.push((took, format!("{:?} hits={}", q, r.total)));
        }
    }
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (took, q) in slowest.iter().take(15) {
        eprintln!("{:>8.2} ms  {q}", took.as_secs_f64() * 1000.0);
    }
    let p = percentiles(samples);
    Ok(format!(
        "{label}: {indexed} products indexed in {build:.2?} (index memory about {:.0} MiB, \
         process {:.0} MiB); {} queries (mixed words, prefix, typos, filters, sorts, pages 1-3; \
         {} hits in all): p50 {}, p95 {}, p99 {}, max {}",
        index_mib.max(0.0),
        rss_mib().unwrap_or(0.0),
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

/// A product made through the catalog's own form validation and store.
async fn new_product(
    db: &Database,
    name: &str,
    price: &str,
    stock: i64,
    currency: Currency,
) -> Result<ObjectId, String> {
    let form = ProductForm {
        name: name.to_string(),
        slug: String::new(),
        description: "A product made by the benchmark.".into(),
        price: price.to_string(),
        category_id: String::new(),
        tags: "benchmark".into(),
        stock: stock.to_string(),
        status: "active".into(),
        featured: None,
        sku: None,
    };
    let mut valid = form.validate(currency).map_err(|e| e.to_string())?;
    // Every run gets its own product, so runs never share stock.
    let suffix = ObjectId::new().to_hex();
    valid.slug = oxcart::shared::Slug::parse(&format!("{}-{}", valid.slug, &suffix[14..]))
        .map_err(|e| e.to_string())?;
    let product = oxcart::catalog::store::new_product(&valid, currency, None);
    oxcart::catalog::store::insert_product(db, &product)
        .await
        .map_err(|e| e.to_string())?;
    Ok(product.id)
}

/// `buyers` signed-in shoppers each try to buy one of `units` units at the same moment.
pub async fn checkout(
    db: &Database,
    currency: Currency,
    url: &str,
    buyers: usize,
    units: i64,
) -> Result<String, String> {
    let product = new_product(db, "Benchmark Limited Print", "45", units, currency).await?;
    let password = "correct horse battery staple";
    let hash = oxcart::accounts::password::hash(
        &oxcart::accounts::types::Password::parse(password).map_err(|e| e.to_string())?,
    )
    .await
    .map_err(|e| e.to_string())?;
    let tag = &product.to_hex()[16..];
    let mut clients = Vec::new();
    for i in 0..buyers {
        let email = format!("bench{i}.{tag}@example.com");
        oxcart::accounts::store::create_user(
            db,
            &oxcart::accounts::types::Email::parse(&email).map_err(|e| e.to_string())?,
            "Bench Buyer",
            hash.clone(),
            oxcart::accounts::types::Role::Customer,
        )
        .await
        .map_err(|e| e.to_string())?;
        clients.push((email, client()));
    }
    let pid = product.to_hex();
    // Sign in ten at a time: the shop lets one address have at most 20 sign-ins in
    // progress (they all come from this machine).
    let mut signed_in = Vec::new();
    for group in clients.chunks(10) {
        let done = futures::future::join_all(group.iter().map(|(email, c)| async move {
            let res = c
                .post(format!("{url}/api/accounts/login"))
                .form(&[("email", email.as_str()), ("password", password)])
                .send()
                .await;
            matches!(res, Ok(r) if r.status().is_success())
        }))
        .await;
        signed_in.extend(done);
    }
    // Fill the cart and open checkout: everything up to "Place order".
    let prepared = futures::future::join_all(clients.iter().zip(signed_in).map(|((_, c), ok)| {
        let pid = pid.clone();
        async move {
            if !ok {
                return None;
            }
            let post = |path: &str, form: Vec<(&str, String)>| {
                c.post(format!("{url}/api/{path}")).form(&form).send()
            };
            post(
                "cart/add",
                vec![("product_id", pid.clone()), ("quantity", "1".into())],
            )
            .await
            .ok()?;
            let data: oxcart::orders::types::CheckoutData = post("checkout/data", vec![])
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            // The delivery method checkout would preselect (none in a shop without zones).
            let quote: oxcart::orders::rules::Quote = post(
                "checkout/quote",
                vec![("country", "US".into()), ("region", "NY".into())],
            )
            .await
            .ok()?
            .json()
            .await
            .ok()?;
            Some((
                data.cart.checkout_key,
                quote.shipping_id.unwrap_or_default(),
            ))
        }
    }))
    .await;
    let ready: Vec<(&reqwest::Client, (String, String))> = clients
        .iter()
        .zip(prepared)
        .filter_map(|((_, c), k)| k.map(|k| (c, k)))
        .collect();
    let started = Instant::now();
    let results = futures::future::join_all(ready.iter().map(|(c, (key, shipping))| async move {
        let t = Instant::now();
        let res = c
            .post(format!("{url}/api/checkout/place-order"))
            .form(&[
                ("address[name]", "Bench Buyer"),
                ("address[line1]", "1 Load Street"),
                ("address[line2]", ""),
                ("address[city]", "Testville"),
                ("address[region]", "NY"),
                ("address[postal_code]", "12345"),
                ("address[country]", "US"),
                ("shipping", shipping.as_str()),
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
    currency: Currency,
    url: &str,
    connections: usize,
    seconds: u64,
) -> Result<String, String> {
    let product = new_product(db, "Benchmark Cart Item", "15", 1_000_000, currency).await?;
    // Cart lines are variants: update and remove name the product's one variant.
    let variant = oxcart::catalog::store::find_by_id(db, &product)
        .await
        .map_err(|e| e.to_string())?
        .and_then(|p| p.variants.first().map(|v| v.id.to_hex()))
        .ok_or("the benchmark product has no variant")?;
    let product = product.to_hex();
    let variant = Arc::new(variant);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let product = Arc::new(product);
    let tasks = (0..connections).map(|_| {
        let product = product.clone();
        let variant = variant.clone();
        let url = url.to_string();
        tokio::spawn(async move {
            let c = client();
            let mut add = Vec::new();
            let mut update = Vec::new();
            let mut errors = 0usize;
            // Posts a cart form; returns how long it took and whether it succeeded.
            let timed = |endpoint: &'static str, quantity: &'static str| {
                let request = c.post(format!("{url}/api/cart/{endpoint}")).form(&[
                    ("product_id", product.as_str()),
                    ("variant_id", variant.as_str()),
                    ("quantity", quantity),
                ]);
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
                    .form(&[("variant_id", variant.as_str())])
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
