//! The shop's infrastructure (server only): settings, the database client and its
//! helpers, sessions and who is calling, rate limits, the mail outbox, and what
//! server functions need from the web layer. It knows no feature: features
//! depend on it, never the other way round.

pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod links;
pub mod mail;
pub mod migrate;
pub mod ratelimit;
pub mod session;
pub mod web;

use std::sync::Arc;

pub use error::{DbContext, Error, Result};

/// The services every feature uses, built once at start and shared by every
/// request (cheap to clone). Server functions get it with `web::context::<Core>()`,
/// axum handlers through `State` (`FromRef`).
#[derive(Clone)]
pub struct Core {
    pub settings: Arc<config::Settings>,
    pub client: mongodb::Client,
    pub db: mongodb::Database,
    pub mailer: mail::Mailer,
    pub readiness: db::Readiness,
    /// This process among the shop's instances (`address#pid`), recorded on the
    /// work it holds so an operator can tell which instance held a stuck checkout.
    pub instance: String,
    /// The key of signed links (see `links`), read from the database on first use.
    pub link_key: Arc<tokio::sync::OnceCell<[u8; 32]>>,
    /// Database commands sent, by collection.
    pub db_commands: Arc<db::CommandCounts>,
}

impl Core {
    /// Builds the client (no network I/O for `mongodb://` URIs) and the services on it.
    pub async fn connect(settings: config::Settings) -> Core {
        let db_commands = Arc::new(db::CommandCounts::default());
        let client = db::connect_counting(&settings, Some(db_commands.clone())).await;
        let database = client.database(&settings.database);
        Core {
            db_commands,
            mailer: mail::Mailer::new(database.clone()),
            db: database,
            client,
            readiness: db::Readiness::new(),
            instance: format!("{}#{}", settings.site_addr, std::process::id()),
            link_key: Arc::new(tokio::sync::OnceCell::new()),
            settings: Arc::new(settings),
        }
    }

    /// The shop's currency.
    pub fn currency(&self) -> crate::shared::Currency {
        self.settings.currency
    }
}

/// The core services of the current request.
pub fn core() -> Result<Core> {
    web::context::<Core>()
}
