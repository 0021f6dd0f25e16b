//! `spawn_app` and friends.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use oxcart::kernel::config::Settings;
use oxcart::server::{AppState, Application};

pub struct TestApp {
    pub address: String,
    pub db_name: String,
    pub state: AppState,
    /// A client that keeps cookies, like a browser, and sends no Origin header.
    pub client: reqwest::Client,
    /// Every e-mail this app sent (see [`TestApp::dispatch_all_pending_emails`]).
    sent: Arc<Mutex<Vec<serde_json::Value>>>,
    /// Whether this app made its database (and so drops it at the end).
    owns_database: bool,
    /// This test's turn on the database server (see [`TURNS`]); held until the end.
    _turn: Option<Turn>,
}

/// Turns on the one local database server: ordinary tests share it; the few that
/// fire hundreds of buyers at once run alone ([`spawn_app_alone`]), so a race test
/// does not starve a neighbour's requests past the shop's request deadline.
static TURNS: std::sync::LazyLock<Arc<tokio::sync::RwLock<()>>> =
    std::sync::LazyLock::new(|| Arc::new(tokio::sync::RwLock::new(())));

#[allow(dead_code)]
enum Turn {
    Shared(tokio::sync::OwnedRwLockReadGuard<()>),
    Alone(tokio::sync::OwnedRwLockWriteGuard<()>),
}

/// Like [`spawn_app`], for a test that loads the database server heavily: no other
/// test runs meanwhile.
pub async fn spawn_app_alone() -> TestApp {
    // Polled rather than queued: a queued writer would hold back new readers, and a
    // test that starts a second app of its own would then wait for itself.
    let turn = loop {
        match TURNS.clone().try_write_owned() {
            Ok(guard) => break Turn::Alone(guard),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    let app = spawn_app_turn(&test_mongodb_uri(), &[], Some(turn)).await;
    app.wait_ready(Duration::from_secs(30)).await;
    app
}

/// Server logs go to the test output when TEST_LOG is set (`TEST_LOG=debug` for more).
fn init_test_log() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if let Ok(level) = std::env::var("TEST_LOG") {
            let filter = if level.is_empty() || level == "1" {
                "info".to_string()
            } else {
                level
            };
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
    });
}

impl Drop for TestApp {
    /// Each test's database is dropped when the test ends (pass or fail).
    fn drop(&mut self) {
        if !self.owns_database {
            return;
        }
        let name = self.db_name.clone();
        // A fresh client on its own thread and runtime: the app's runtime is going away.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(client) = mongodb::Client::with_uri_str(test_mongodb_uri()).await {
                    let _ = client.database(&name).drop().await;
                }
            });
        })
        .join();
    }
}

pub fn test_mongodb_uri() -> String {
    std::env::var("OXCART_TEST_MONGODB_URI").expect(
        "OXCART_TEST_MONGODB_URI is not set: run the tests through scripts/test, \
         or start a MongoDB-compatible server and point this variable at it",
    )
}

/// The app on a random port, with a fresh database on the test server.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Like [`spawn_app`], with extra settings (environment-variable names and values).
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let app = spawn_app_unready(&test_mongodb_uri(), extra).await;
    app.wait_ready(Duration::from_secs(30)).await;
    app
}

/// A second app instance on the same database (as behind a load balancer).
pub async fn spawn_app_with_db(db_name: &str) -> TestApp {
    spawn_app_with(&[("OXCART_DATABASE", db_name)]).await
}

/// Starts the app without waiting for its database.
pub async fn spawn_app_unready(mongodb_uri: &str, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_turn(mongodb_uri, extra, None).await
}

async fn spawn_app_turn(mongodb_uri: &str, extra: &[(&str, &str)], turn: Option<Turn>) -> TestApp {
    init_test_log();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let shared_db = extra
        .iter()
        .find(|(k, _)| *k == "OXCART_DATABASE")
        .map(|(_, v)| v.to_string());
    let owns_database = shared_db.is_none();
    // The first app of a test takes its turn; a second instance on the same
    // database shares the first one's.
    let turn = match turn {
        Some(t) => Some(t),
        None if owns_database => Some(Turn::Shared(TURNS.clone().read_owned().await)),
        None => None,
    };
    let db_name = shared_db.unwrap_or_else(|| format!("test_{}", uuid::Uuid::new_v4().simple()));
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("MONGODB_URI".into(), mongodb_uri.into());
    env.insert("OXCART_DATABASE".into(), db_name.clone());
    env.insert("OXCART_SITE_ADDR".into(), format!("127.0.0.1:{port}"));
    // Tests send queued mail themselves (dispatch_all_pending_emails), never a worker.
    env.insert("OXCART_MAIL_WORKER".into(), "false".into());
    if let Ok(smtp_port) = std::env::var("OXCART_TEST_SMTP_PORT") {
        env.insert("OXCART_SMTP_PORT".into(), smtp_port);
    }
    for (k, v) in extra {
        env.insert(k.to_string(), v.to_string());
    }
    let settings = Settings::from_sources(None, &env).expect("test settings are valid");
    let app = Application::build_with_listener(settings, listener)
        .await
        .expect("app builds");
    let state = app.state().clone();
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        db_name,
        state,
        client,
        sent: Arc::new(Mutex::new(Vec::new())),
        owns_database,
        _turn: turn,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends every queued e-mail now, over SMTP to the test mail sink, and returns
    /// them (`to`, `subject`, `text`). Deterministic: nothing waits for a worker.
    pub async fn dispatch_all_pending_emails(&self) -> Vec<serde_json::Value> {
        let sent = self
            .state
            .core
            .mailer
            .dispatch_pending(&self.state.core.settings)
            .await
            .expect("queued mail can be sent to the test mail sink");
        let sent: Vec<serde_json::Value> = sent
            .into_iter()
            .map(|m| {
                serde_json::json!({
                    "to": [{ "address": m.to }],
                    "subject": m.subject,
                    "text": m.text,
                    "html": m.html,
                })
            })
            .collect();
        self.sent.lock().unwrap().extend(sent.iter().cloned());
        sent
    }

    /// The mail this app has sent, read after sending whatever is queued.
    pub fn inbox(&self) -> Inbox<'_> {
        Inbox { app: self }
    }

    pub async fn wait_ready(&self, limit: Duration) {
        let start = Instant::now();
        while !self.state.core.readiness.is_ready() {
            assert!(
                start.elapsed() < limit,
                "app did not become ready: {}",
                self.state.core.readiness.reason()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A page load, as a browser makes it.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
            .unwrap()
    }
}

/// A private database server process (for tests that stop and start it).
pub struct DatabaseServer {
    pub port: u16,
    storage: PathBuf,
    child: Option<Child>,
}

impl DatabaseServer {
    /// Reserves a port and a storage folder without starting the server.
    pub fn new() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let storage = std::env::temp_dir().join(format!("oxcart-db-{}", uuid::Uuid::new_v4()));
        DatabaseServer {
            port,
            storage,
            child: None,
        }
    }

    pub fn uri(&self) -> String {
        format!("mongodb://127.0.0.1:{}", self.port)
    }

    pub async fn start(&mut self) {
        let bin = std::env::var("OXCART_TEST_SECANTUSD")
            .expect("OXCART_TEST_SECANTUSD (path of secantusd-py) is not set: run scripts/test");
        std::fs::create_dir_all(&self.storage).unwrap();
        let child = Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--storage-path")
            .arg(&self.storage)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("database server starts");
        self.child = Some(child);
        let start = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "database server did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the server with SIGTERM and waits for it to exit.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let start = Instant::now();
            while child.try_wait().ok().flatten().is_none() {
                if start.elapsed() > Duration::from_secs(10) {
                    let _ = child.kill();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

impl Drop for DatabaseServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.storage);
    }
}

/// Polls `f` until it returns true or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if f().await {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A separate browser-like client with its own cookie jar.
pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
}

pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A page load, as a browser makes it.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
            .unwrap()
    }

    /// Calls a server function like the WASM app does (form-encoded, JSON answer).
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/{endpoint}")))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Like [`call`], expecting success, returning the JSON answer.
    pub async fn call_ok<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> T {
        let res = self.call(endpoint, form).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "{endpoint} answered {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{endpoint} answered {text}: {e}"))
    }

    /// Posts a form the way a browser without JavaScript does.
    pub async fn post_form(
        &self,
        path: &str,
        referer: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("accept", "text/html,application/xhtml+xml")
            .header("origin", &self.base)
            .header("referer", self.url(referer))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn register(&self, name: &str, email: &str, password: &str) -> reqwest::Response {
        self.call(
            "accounts/register",
            &[("name", name), ("email", email), ("password", password)],
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.call(
            "accounts/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    pub async fn summary(&self) -> oxcart::accounts::types::SessionSummary {
        self.call_ok("accounts/summary", &[]).await
    }
}

impl TestApp {
    pub fn browser(&self) -> Browser {
        Browser {
            base: self.address.clone(),
            client: new_client(),
        }
    }

    /// A signed-in customer with a fresh account.
    pub async fn customer(&self) -> (Browser, String) {
        let b = self.browser();
        let email = unique_email("shopper");
        let res = b.register("Sam Shopper", &email, STRONG_PASSWORD).await;
        assert!(
            res.status().is_success(),
            "registration failed: {}",
            res.text().await.unwrap()
        );
        (b, email)
    }

    /// A signed-in admin.
    pub async fn admin(&self) -> (Browser, String) {
        let email = unique_email("admin");
        oxcart::accounts::cli::create_or_promote(
            &self.state.core.db,
            &email,
            || Ok("Ada Admin".to_string()),
            || Ok(STRONG_PASSWORD.to_string()),
        )
        .await
        .expect("admin created");
        let b = self.browser();
        let res = b.login(&email, STRONG_PASSWORD).await;
        assert!(
            res.status().is_success(),
            "admin login failed: {}",
            res.text().await.unwrap()
        );
        (b, email)
    }
}

pub const STRONG_PASSWORD: &str = "correct horse battery staple";

pub fn unique_email(prefix: &str) -> String {
    format!(
        "{prefix}.{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// The mail one app sent. Every read first sends what is queued, so a message a
/// request queued is there as soon as the request has answered: no polling.
pub struct Inbox<'a> {
    app: &'a TestApp,
}

impl Inbox<'_> {
    /// All messages sent to `address`.
    pub async fn messages_to(&self, address: &str) -> Vec<serde_json::Value> {
        self.app.dispatch_all_pending_emails().await;
        self.app
            .sent
            .lock()
            .unwrap()
            .iter()
            .filter(|m| {
                m["to"]
                    .as_array()
                    .is_some_and(|to| to.iter().any(|t| t["address"].as_str() == Some(address)))
            })
            .cloned()
            .collect()
    }

    /// The `n`-th message to `address` whose subject contains `subject`; fails
    /// if there is none (the request that should have queued it has answered).
    pub async fn wait_for(&self, address: &str, subject: &str, n: usize) -> serde_json::Value {
        let found: Vec<serde_json::Value> = self
            .messages_to(address)
            .await
            .into_iter()
            .filter(|m| m["subject"].as_str().unwrap_or("").contains(subject))
            .collect();
        assert!(
            found.len() >= n,
            "no mail '{subject}' #{n} to {address}; sent: {found:?}"
        );
        let mail = found[n - 1].clone();
        // It really went over SMTP: the mail sink has it.
        assert!(
            MailSink::new().has(address, subject).await,
            "the mail sink did not receive '{subject}' for {address}"
        );
        mail
    }

    pub async fn count(&self, address: &str, subject: &str) -> usize {
        self.messages_to(address)
            .await
            .iter()
            .filter(|m| m["subject"].as_str().unwrap_or("").contains(subject))
            .count()
    }
}

/// The test SMTP sink (maildev at OXCART_TEST_MAILDEV_URL), read once, never polled.
pub struct MailSink {
    base: String,
    client: reqwest::Client,
}

impl MailSink {
    pub fn new() -> Self {
        MailSink {
            base: std::env::var("OXCART_TEST_MAILDEV_URL")
                .expect("OXCART_TEST_MAILDEV_URL is not set: run the tests through scripts/test"),
            client: reqwest::Client::new(),
        }
    }

    /// Whether a message to `address` with `subject` in its subject arrived.
    pub async fn has(&self, address: &str, subject: &str) -> bool {
        let all: Vec<serde_json::Value> = self
            .client
            .get(format!("{}/api/email", self.base))
            .query(&[("to.address", address)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        all.iter()
            .any(|m| m["subject"].as_str().unwrap_or("").contains(subject))
    }
}

/// The first URL in a text that starts with `prefix`.
pub fn link_in(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no link {prefix} in: {text}"));
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

pub const STRIPE_KEY: &str = "sk_test_oxcart_tests";
pub const WEBHOOK_SECRET: &str = "whsec_oxcart_tests";

/// The shop plus the local Stripe, wired to each other over real HTTP.
pub async fn spawn_app_with_stripe() -> (TestApp, String) {
    let stripe_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stripe_url = format!("http://{}", stripe_listener.local_addr().unwrap());
    let app = spawn_app_with(&[
        ("OXCART_STRIPE_API_BASE", &format!("{stripe_url}/")),
        ("STRIPE_SECRET_KEY", STRIPE_KEY),
        ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
    ])
    .await;
    let config = oxcart_stripe_local::LocalStripeConfig {
        secret_key: STRIPE_KEY.into(),
        webhook_secret: WEBHOOK_SECRET.into(),
        webhook_url: app.url("/stripe/webhook"),
        public_url: stripe_url.clone(),
    };
    tokio::spawn(oxcart_stripe_local::serve(stripe_listener, config));
    (app, stripe_url)
}
