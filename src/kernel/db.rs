//! The one MongoDB client of the app, readiness, index and error helpers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use mongodb::bson::doc;
use mongodb::error::{Error as MongoError, ErrorKind, WriteFailure};
use mongodb::options::{ClientOptions, ConnectionString};
use mongodb::{Client, Database};

use mongodb::IndexModel;

use super::config::{redact_uri, Settings};
use super::error::Error;

/// MongoDB's duplicate-key error code.
pub const DUPLICATE_KEY: i32 = 11000;

/// How long a database call waits for a reachable server before it fails.
pub const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// Database commands sent by this process, by collection: what a request costs in
/// round trips (tests check the hot paths with it; cheap enough to stay on).
#[derive(Debug, Default)]
pub struct CommandCounts(std::sync::Mutex<std::collections::HashMap<String, u64>>);

impl CommandCounts {
    /// Commands sent so far against `collection`.
    pub fn get(&self, collection: &str) -> u64 {
        let counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(collection).copied().unwrap_or(0)
    }

    fn record(&self, event: &mongodb::event::command::CommandStartedEvent) {
        // A collection's commands name it as their first value (`find: "carts"`);
        // server commands (`hello`, `ping`) carry a number there, cursor
        // continuations (`getMore`) a cursor id.
        let Ok(collection) = event.command.get_str(&event.command_name) else {
            return;
        };
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match counts.get_mut(collection) {
            Some(n) => *n += 1,
            None => {
                counts.insert(collection.to_string(), 1);
            }
        }
    }
}

/// Builds the client. No network I/O happens for `mongodb://` URIs; for `mongodb+srv://`
/// the DNS lookup is retried until it answers, with a log line per attempt.
pub async fn connect(settings: &Settings) -> Client {
    connect_counting(settings, None).await
}

/// Like [`connect`], counting every command in `counts`.
pub async fn connect_counting(settings: &Settings, counts: Option<Arc<CommandCounts>>) -> Client {
    let uri = settings.mongodb_uri.expose();
    let mut attempt = 1u32;
    loop {
        let client = client_options(uri).await.and_then(|mut options| {
            if let Some(counts) = counts.clone() {
                options.command_event_handler =
                    Some(mongodb::event::EventHandler::callback(move |event| {
                        if let mongodb::event::command::CommandEvent::Started(started) = event {
                            counts.record(&started);
                        }
                    }));
            }
            Client::with_options(options)
        });
        match client {
            Ok(client) => return client,
            Err(e) => log_retry(uri, attempt, &e),
        }
        tokio::time::sleep(backoff(attempt)).await;
        attempt += 1;
    }
}

async fn client_options(uri: &str) -> Result<ClientOptions, MongoError> {
    let cs = ConnectionString::parse(uri)?;
    let explicit_timeout = cs.server_selection_timeout.is_some();
    let mut options = ClientOptions::parse(cs).await?;
    if !explicit_timeout {
        // Fail fast (and answer 503) instead of hanging requests for the default
        // 30 s: one short wait per request, inside the request deadline.
        options.server_selection_timeout = Some(SERVER_SELECTION_TIMEOUT);
    }
    if options.app_name.is_none() {
        options.app_name = Some("oxcart".into());
    }
    Ok(options)
}

fn log_retry(uri: &str, attempt: u32, err: &MongoError) {
    tracing::warn!(
        uri = %redact_uri(uri),
        attempt,
        retry_in_secs = backoff(attempt).as_secs(),
        "cannot set up the MongoDB client: {}",
        short_reason(err)
    );
}

/// 1, 2, 4, 8, then every 10 seconds.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(attempt.saturating_sub(1)).min(10))
}

/// Parses a 24-hex-digit id from a URL or form; anything else is "not found"
/// (ids in URLs are not errors to explain).
pub fn parse_id(
    id: &str,
) -> std::result::Result<mongodb::bson::oid::ObjectId, crate::shared::AppError> {
    mongodb::bson::oid::ObjectId::parse_str(id.trim())
        .map_err(|_| crate::shared::AppError::NotFound)
}

/// Pings the database with a bounded wait.
pub async fn ping(db: &Database, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, db.run_command(doc! { "ping": 1 })).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(short_reason(&e)),
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

/// A one-line, secret-free description of a driver error, for logs and /readyz.
pub fn short_reason(err: &MongoError) -> String {
    match err.kind.as_ref() {
        ErrorKind::ServerSelection { .. } => "database server not reachable".into(),
        ErrorKind::Io(e) => format!("network error: {e}"),
        ErrorKind::DnsResolve { message, .. } => format!("DNS lookup failed: {message}"),
        ErrorKind::Authentication { .. } => "authentication failed".into(),
        ErrorKind::InvalidArgument { message, .. } => format!("invalid argument: {message}"),
        ErrorKind::Command(c) => format!("command failed: {} (code {})", c.code_name, c.code),
        _ => {
            let text = err.to_string();
            text.chars().take(200).collect()
        }
    }
}

/// True for errors that mean "the database is not reachable right now".
pub fn is_unavailable(err: &MongoError) -> bool {
    matches!(
        err.kind.as_ref(),
        ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. }
            | ErrorKind::Authentication { .. }
    )
}

/// True when the error is a unique-index violation.
pub fn is_duplicate_key(err: &MongoError) -> bool {
    match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == DUPLICATE_KEY,
        ErrorKind::Command(e) => e.code == DUPLICATE_KEY,
        ErrorKind::InsertMany(e) => e
            .write_errors
            .as_ref()
            .is_some_and(|errs| errs.iter().any(|w| w.code == DUPLICATE_KEY)),
        _ => false,
    }
}

/// The name of the unique index a duplicate-key error is about, if it is one.
pub fn duplicate_key_index(err: &MongoError) -> Option<String> {
    if !is_duplicate_key(err) {
        return None;
    }
    let text = match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.message.clone(),
        ErrorKind::Command(e) => e.message.clone(),
        ErrorKind::InsertMany(e) => e
            .write_errors
            .as_ref()
            .and_then(|w| w.iter().find(|w| w.code == DUPLICATE_KEY))
            .map(|w| w.message.clone())
            .unwrap_or_default(),
        _ => String::new(),
    };
    text.split(" index: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(str::to_string)
}

/// Turns a violation of the unique index `index` into a message for `field`;
/// every other error (another index included) passes through as it is.
pub fn on_unique(err: MongoError, index: &str, field: &str, message: &str) -> Error {
    if duplicate_key_index(&err).as_deref() == Some(index) {
        crate::shared::AppError::field(field, message).into()
    } else {
        err.into()
    }
}

/// An index with a name (names make duplicate-key errors readable and indexes
/// easy to find in the database).
pub fn index(keys: mongodb::bson::Document, name: &str, unique: bool) -> IndexModel {
    IndexModel::builder()
        .keys(keys)
        .options(
            mongodb::options::IndexOptions::builder()
                .name(name.to_string())
                .unique(unique)
                .build(),
        )
        .build()
}

/// A TTL index on `field`: documents go once the date in it is `after` old.
pub fn ttl_index(field: &str, name: &str, after: Duration) -> IndexModel {
    IndexModel::builder()
        .keys(doc! { field: 1 })
        .options(
            mongodb::options::IndexOptions::builder()
                .name(name.to_string())
                .expire_after(after)
                .build(),
        )
        .build()
}

/// Whether the shop has finished preparing the database (indexes, search index).
#[derive(Debug, Clone, Default)]
pub struct Readiness {
    ready: Arc<AtomicBool>,
    reason: Arc<RwLock<String>>,
}

impl Readiness {
    pub fn new() -> Self {
        let r = Self::default();
        r.set_waiting("starting up");
        r
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub fn set_ready(&self) {
        self.ready.store(true, Ordering::Release);
        if let Ok(mut r) = self.reason.write() {
            r.clear();
        }
    }

    pub fn set_waiting(&self, reason: &str) {
        if let Ok(mut r) = self.reason.write() {
            *r = reason.to_string();
        }
    }

    pub fn reason(&self) -> String {
        self.reason.read().map(|r| r.clone()).unwrap_or_default()
    }
}

/// An integer field that older code (or another driver) may have stored as a
/// 32-bit number or a double; 0 when missing.
pub fn int_field(d: &mongodb::bson::Document, key: &str) -> i64 {
    use mongodb::bson::Bson;
    match d.get(key) {
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Double(f)) => *f as i64,
        _ => 0,
    }
}

/// A stored time as people read it, in the shop's time zone: `26 Nov 2026, 14:03 CET`.
pub fn display_time(t: mongodb::bson::DateTime) -> String {
    super::clock::display(t)
}
