//! Two shop processes (the release build) behind HAProxy (deploy/haproxy.cfg), on
//! one database. Shoppers browse and check out while one process is killed with
//! SIGKILL and started again. The kill lands in the middle of a checkout on purpose:
//! the test watches the checkout claims and kills the process while it holds one
//! (bulk buyers' carts of 20 lines take long enough to place). Afterwards: every checkout that answered success has
//! exactly one order, every interrupted checkout completes by pressing again, the
//! stock equals the initial stock minus the units in live orders, and sessions and
//! carts survived. Needs OXCART_TEST_SHOP_BIN, OXCART_TEST_SITE_ROOT and
//! OXCART_TEST_HAPROXY (scripts/test sets them).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use oxcart::orders::types::CheckoutData;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::helpers::{test_mongodb_uri, STRONG_PASSWORD};

fn required(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the tests through scripts/test, which builds the shop and installs HAProxy")
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Child processes that are killed when the test ends, however it ends.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

struct Cluster {
    db_name: String,
    logs: PathBuf,
    ports: [u16; 2],
    lb: String,
}

impl Cluster {
    fn start_shop(&self, n: usize) -> Child {
        let log = std::fs::File::create(self.logs.join(format!("shop{n}.log"))).unwrap();
        Command::new(required("OXCART_TEST_SHOP_BIN"))
            .arg("serve")
            .env("MONGODB_URI", test_mongodb_uri())
            .env("OXCART_DATABASE", &self.db_name)
            .env("OXCART_SITE_ADDR", format!("127.0.0.1:{}", self.ports[n]))
            .env("OXCART_SITE_ROOT", required("OXCART_TEST_SITE_ROOT"))
            .env("OXCART_PUBLIC_URL", &self.lb)
            .env("OXCART_TRUST_PROXY", "true")
            .env("OXCART_MAIL_WORKER", "false")
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the shop binary starts")
    }

    fn start_balancer(&self) -> Child {
        let log = std::fs::File::create(self.logs.join("haproxy.log")).unwrap();
        let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy/haproxy.cfg");
        Command::new(required("OXCART_TEST_HAPROXY"))
            .arg("-db")
            .arg("-f")
            .arg(config)
            .env("OXCART_LB_BIND", self.lb.trim_start_matches("http://"))
            .env("OXCART_APP1", format!("127.0.0.1:{}", self.ports[0]))
            .env("OXCART_APP2", format!("127.0.0.1:{}", self.ports[1]))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("HAProxy starts")
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(8))
        .build()
        .unwrap()
}

/// Waits until `url` answers 200 with `needle` in its body.
async fn wait_for(url: &str, needle: &str, limit: Duration) {
    let started = Instant::now();
    let c = reqwest::Client::new();
    loop {
        if let Ok(res) = c.get(url).send().await {
            if res.status() == 200 && res.text().await.unwrap_or_default().contains(needle) {
                return;
            }
        }
        assert!(
            started.elapsed() < limit,
            "{url} did not answer with {needle}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How one checkout ended.
#[derive(Debug, Clone)]
enum Outcome {
    Placed(String),
    /// A definite "no" (sold out, or the cart changed under an interrupted attempt).
    Refused(String),
}

/// A checkout's key, how it ended, whether a press was interrupted, and when.
type Finished = (String, Outcome, bool, Instant);

/// Presses "Place order" until the answer is definite: the order, or a refusal.
/// Returns the outcome and whether any press was interrupted on the way.
async fn place_until_definite(c: &reqwest::Client, lb: &str, key: &str) -> (Outcome, bool) {
    let mut interrupted = false;
    let started = Instant::now();
    loop {
        let res = c
            .post(format!("{lb}/api/checkout/place-order"))
            .form(&[
                ("address[name]", "Failover Shopper"),
                ("address[line1]", "1 Balancer Road"),
                ("address[line2]", ""),
                ("address[city]", "Springfield"),
                ("address[region]", "CA"),
                ("address[postal_code]", "12345"),
                ("address[country]", "US"),
                ("checkout_key", key),
            ])
            .send()
            .await;
        match res {
            Ok(r) if r.status() == 200 => {
                let id: String = r.json().await.unwrap();
                return (Outcome::Placed(id), interrupted);
            }
            Ok(r) if r.status() == 409 => {
                let body: Value = r.json().await.unwrap_or_default();
                let msg = body["message"].as_str().unwrap_or("").to_string();
                if msg.contains("still being placed") {
                    interrupted = true;
                } else {
                    return (Outcome::Refused(msg), interrupted);
                }
            }
            // The instance died under it, the balancer had no one, or the answer
            // was lost: press again.
            _ => interrupted = true,
        }
        assert!(
            started.elapsed() < Duration::from_secs(25),
            "checkout {key} never got a definite answer"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_an_instance_mid_checkout_strands_no_order_and_no_stock() {
    let started = Instant::now();
    let db_name = format!("failover_{}", uuid::Uuid::new_v4().simple());
    let mongo = mongodb::Client::with_uri_str(test_mongodb_uri())
        .await
        .unwrap();
    let db = mongo.database(&db_name);
    oxcart::server::startup::ensure_indexes(&db).await.unwrap();

    // Four products, 40 units each, for sixteen shoppers; twenty more, 400 units
    // each, for two bulk buyers.
    const STOCK: i64 = 40;
    const BULK_STOCK: i64 = 400;
    let mut products = Vec::new();
    let mut bulk_products = Vec::new();
    for i in 0..24 {
        let now = DateTime::now();
        let p = oxcart::catalog::store::Product {
            id: ObjectId::new(),
            name: format!("Failover Lamp {i}"),
            slug: oxcart::shared::Slug::parse(&format!("failover-lamp-{i}")).unwrap(),
            description: "A lamp for the failover test.".into(),
            price: 1500 + i * 100,
            currency: oxcart::shared::Currency::Usd,
            category_id: None,
            tags: vec![],
            stock: if i < 4 { STOCK } else { BULK_STOCK },
            status: oxcart::catalog::types::ProductStatus::Active,
            featured: false,
            images: vec![],
            options: vec![],
            variants: vec![crate::catalog::one_variant(
                &format!("Failover Lamp {i}"),
                1500 + i * 100,
                if i < 4 { STOCK } else { BULK_STOCK },
            )],
            reservations: vec![],
            created_at: now,
            updated_at: now,
        };
        oxcart::catalog::store::insert_product(&db, &p)
            .await
            .unwrap();
        if i < 4 {
            products.push(p.id.to_hex());
        } else {
            bulk_products.push(p.id.to_hex());
        }
    }
    let hash = oxcart::accounts::password::hash(
        &oxcart::accounts::types::Password::parse(STRONG_PASSWORD).unwrap(),
    )
    .await
    .unwrap();
    let mut emails = Vec::new();
    let mut bulk_ids = Vec::new();
    for i in 0..18 {
        let email = format!("failover{i}.{}@example.com", &db_name[9..17]);
        let user = oxcart::accounts::store::create_user(
            &db,
            &oxcart::accounts::types::Email::parse(&email).unwrap(),
            "Failover Shopper",
            hash.clone(),
            oxcart::accounts::types::Role::Customer,
        )
        .await
        .unwrap();
        if i >= 16 {
            bulk_ids.push(user.id.to_hex());
        }
        emails.push(email);
    }

    let logs = std::env::temp_dir().join(&db_name);
    std::fs::create_dir_all(&logs).unwrap();
    let cluster = Cluster {
        db_name: db_name.clone(),
        logs: logs.clone(),
        ports: [free_port(), free_port()],
        lb: format!("http://127.0.0.1:{}", free_port()),
    };
    let mut procs = Processes(vec![
        cluster.start_shop(0),
        cluster.start_shop(1),
        cluster.start_balancer(),
    ]);
    for port in cluster.ports {
        wait_for(
            &format!("http://127.0.0.1:{port}/healthz"),
            "\"serving\":true",
            Duration::from_secs(60),
        )
        .await;
    }
    // Both backends up at the balancer (two good checks each).
    let lb = cluster.lb.clone();
    wait_for(&format!("{lb}/readyz"), "ready", Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;

    // Sign everyone in through the balancer.
    let mut shoppers = Vec::new();
    for group in emails.chunks(8) {
        let logins = group.iter().map(|email| {
            let c = client();
            let lb = lb.clone();
            let email = email.clone();
            async move {
                let res = c
                    .post(format!("{lb}/api/accounts/login"))
                    .form(&[("email", email.as_str()), ("password", STRONG_PASSWORD)])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200, "sign-in through the balancer");
                c
            }
        });
        shoppers.extend(futures::future::join_all(logins).await);
    }

    // Shoppers browse, fill carts and check out until 5 s after the killed process
    // is back.
    let outcomes: Arc<Mutex<Vec<Finished>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (n, c) in shoppers.iter().cloned().enumerate() {
        let lb = lb.clone();
        let bulk = n >= 16;
        let products = if bulk {
            bulk_products.clone()
        } else {
            products.clone()
        };
        let outcomes = outcomes.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = n;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let _ = c.get(format!("{lb}/products?q=lamp")).send().await;
                // A bulk buyer takes one of each of twenty products.
                let picks: Vec<&String> = if bulk {
                    products.iter().collect()
                } else {
                    vec![&products[i % products.len()]]
                };
                let qty = if !bulk && i % 3 == 0 { "2" } else { "1" };
                let mut all_added = true;
                for product in picks {
                    let added = c
                        .post(format!("{lb}/api/cart/add"))
                        .form(&[("product_id", product.as_str()), ("quantity", qty)])
                        .send()
                        .await;
                    all_added &= matches!(&added, Ok(r) if r.status().is_success());
                }
                if !all_added {
                    continue;
                }
                let Ok(res) = c.post(format!("{lb}/api/checkout/data")).send().await else {
                    continue;
                };
                let Ok(data) = res.json::<CheckoutData>().await else {
                    continue;
                };
                if data.cart.is_empty() || data.cart.has_problems() {
                    // Sold out under the shopper: empty the cart and go on.
                    let _ = c.post(format!("{lb}/api/cart/clear")).send().await;
                    continue;
                }
                let key = data.cart.checkout_key.clone();
                let (outcome, interrupted) = place_until_definite(&c, &lb, &key).await;
                if let Outcome::Refused(_) = &outcome {
                    let _ = c.post(format!("{lb}/api/cart/clear")).send().await;
                }
                outcomes
                    .lock()
                    .await
                    .push((key, outcome, interrupted, Instant::now()));
            }
        }));
    }
    // Kill the first process while it is placing a bulk buyer's order: watch the
    // claims for one it holds (its holder names it), then SIGKILL at once.
    let claims = db.collection::<Document>("checkout_claims");
    let holder = format!("^127\\.0\\.0\\.1:{}#", cluster.ports[0]);
    let bulk_keys = format!("^({}):", bulk_ids.join("|"));
    let watch_started = Instant::now();
    let cut_claim = loop {
        let found = claims
            .find_one(doc! {
                "done": false,
                "holder": { "$regex": &holder },
                "_id": { "$regex": &bulk_keys },
            })
            .await
            .unwrap();
        if let Some(c) = found {
            break c.get_str("_id").unwrap().to_string();
        }
        assert!(
            watch_started.elapsed() < Duration::from_secs(45),
            "no bulk checkout ran on the first process"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    procs.0[0].kill().unwrap();
    procs.0[0].wait().unwrap();
    let killed_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(5)).await;
    procs.0[0] = cluster.start_shop(0);
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }

    // Let every lease of the killed process lapse, then run the recovery pass
    // (the instances run it every few seconds too; it is safe to run at once).
    let lapse = oxcart::orders::service::CHECKOUT_LEASE + Duration::from_millis(500);
    if let Some(left) = lapse.checked_sub(killed_at.elapsed()) {
        tokio::time::sleep(left).await;
    }
    let settings = oxcart::kernel::config::Settings::from_sources(
        None,
        &HashMap::from([
            ("MONGODB_URI".to_string(), test_mongodb_uri()),
            ("OXCART_DATABASE".to_string(), db_name.clone()),
        ]),
    )
    .unwrap();
    let core = oxcart::kernel::Core::connect(settings).await;
    oxcart::orders::service::recover_checkouts(&core)
        .await
        .unwrap();

    // 1. Every checkout that answered success has exactly one order; no checkout
    //    has two.
    let outcomes = outcomes.lock().await.clone();
    let placed: Vec<&String> = outcomes
        .iter()
        .filter_map(|(_, o, _, _)| match o {
            Outcome::Placed(id) => Some(id),
            _ => None,
        })
        .collect();
    assert!(
        placed.len() >= 20,
        "only {} checkouts succeeded",
        placed.len()
    );
    let orders: Vec<Document> = db
        .collection::<Document>("orders")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    for id in &placed {
        let n = orders
            .iter()
            .filter(|o| o.get_object_id("_id").unwrap().to_hex() == **id)
            .count();
        assert_eq!(n, 1, "order {id}");
    }
    let mut per_checkout: HashMap<(ObjectId, String), usize> = HashMap::new();
    for o in &orders {
        *per_checkout
            .entry((
                o.get_object_id("user_id").unwrap(),
                o.get_str("checkout_key").unwrap().to_string(),
            ))
            .or_default() += 1;
    }
    assert!(
        per_checkout.values().all(|n| *n == 1),
        "a checkout made two orders"
    );
    // 2. Interrupted checkouts were completed by pressing again (or told the
    //    product sold out meanwhile): none was left hanging.
    let interrupted = outcomes.iter().filter(|(_, _, i, _)| *i).count();
    let cut = outcomes
        .iter()
        .find(|(key, _, _, _)| cut_claim.ends_with(key.as_str()))
        .expect("the checkout cut by the kill was finished by its shopper");
    assert!(
        matches!(cut.1, Outcome::Placed(_)),
        "the cut checkout completed by pressing again: {cut:?}"
    );
    for (key, outcome, was_interrupted, _) in &outcomes {
        if let (true, Outcome::Refused(why)) = (was_interrupted, outcome) {
            assert!(
                why.contains("sold out") || why.contains("only"),
                "{key}: {why}"
            );
        }
    }
    // 3. Stock = initial - units in live orders; every reservation has its order.
    for pid in products.iter().chain(&bulk_products) {
        let oid = ObjectId::parse_str(pid).unwrap();
        let p = db
            .collection::<Document>("products")
            .find_one(doc! { "_id": oid })
            .await
            .unwrap()
            .unwrap();
        let sold: i64 = orders
            .iter()
            .filter(|o| o.get_str("status").unwrap() != "cancelled")
            .flat_map(|o| o.get_array("lines").unwrap().clone())
            .map(|l| l.as_document().unwrap().clone())
            .filter(|l| l.get_object_id("product_id").unwrap() == oid)
            .map(|l| l.get_i64("quantity").unwrap())
            .sum();
        let initial = if products.contains(pid) {
            STOCK
        } else {
            BULK_STOCK
        };
        assert_eq!(p.get_i64("stock").unwrap() + sold, initial, "product {pid}");
        for r in p.get_array("reservations").unwrap() {
            let order = r.as_document().unwrap().get_object_id("order_id").unwrap();
            assert!(
                orders
                    .iter()
                    .any(|o| o.get_object_id("_id").unwrap() == order),
                "a reservation without its order on {pid}"
            );
        }
    }
    let open_claims = db
        .collection::<Document>("checkout_claims")
        .count_documents(doc! { "done": false })
        .await
        .unwrap();
    assert_eq!(open_claims, 0, "every checkout is finished or undone");
    // 4. Sessions survived: everyone is still signed in, through either process.
    for c in &shoppers {
        let res = c
            .post(format!("{lb}/api/accounts/me"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "a session was lost");
    }
    eprintln!(
        "failover: {} checkouts placed, {} interrupted ones completed by pressing again \
         (the one cut by the kill completed {:.1}s after the kill), {} orders; {:.1}s in all (logs in {})",
        placed.len(),
        interrupted,
        cut.3.duration_since(killed_at).as_secs_f64(),
        orders.len(),
        started.elapsed().as_secs_f64(),
        logs.display()
    );
    drop(procs);
    let _ = db.drop().await;
    let _ = std::fs::remove_dir_all(&logs);
}
