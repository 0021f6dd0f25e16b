//! The composition root: builds every service once, assembles the router and the
//! middleware, prepares the database and starts the background workers. Only the
//! binary (and the tests, which start the real app) import it; no feature does.

pub mod assets;
pub mod health;
pub mod logging;
pub mod middleware;
pub mod page_cache;
pub mod router;
pub mod startup;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::prelude::*;
use tokio::net::TcpListener;

use crate::catalog::Catalog;
use crate::kernel::auth::SharedDirectory;
use crate::kernel::config::Settings;
use crate::kernel::Core;
use crate::orders::payment::Payments;

/// Everything the app holds, assembled once at start. Handlers take the part they
/// need through `FromRef`; server functions get the same parts from the request
/// context (see [`AppState::provide`]).
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub core: Core,
    pub catalog: Catalog,
    pub payments: Payments,
    pub directory: SharedDirectory,
    /// Rendered catalog pages for visitors without a session.
    pub pages: Arc<page_cache::PageCache>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for Core {
    fn from_ref(state: &AppState) -> Self {
        state.core.clone()
    }
}

impl FromRef<AppState> for Catalog {
    fn from_ref(state: &AppState) -> Self {
        state.catalog.clone()
    }
}

impl FromRef<AppState> for Payments {
    fn from_ref(state: &AppState) -> Self {
        state.payments.clone()
    }
}

impl FromRef<AppState> for SharedDirectory {
    fn from_ref(state: &AppState) -> Self {
        state.directory.clone()
    }
}

/// Why the app could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error("cannot set up the shop: {0}")]
    Setup(#[from] crate::kernel::Error),
}

impl AppState {
    /// Builds every service (no network I/O for `mongodb://` URIs).
    pub async fn new(settings: Settings) -> Result<Self, crate::kernel::Error> {
        let mut leptos_options = match leptos::config::get_configuration(None) {
            Ok(c) => c.leptos_options,
            Err(e) => {
                tracing::warn!(
                    "Leptos settings from the environment are unusable ({e}); using defaults"
                );
                LeptosOptions::builder().output_name("oxcart").build()
            }
        };
        leptos_options.site_addr = settings.site_addr;
        leptos_options.site_root = settings.site_root.to_string_lossy().into_owned().into();
        if leptos_options.output_name.is_empty() {
            leptos_options.output_name = "oxcart".into();
        }
        // cargo-leptos names the bundle by content and writes the names into
        // hash.txt beside the binary; use them when they are there.
        leptos_options.hash_files = std::env::current_exe()
            .ok()
            .and_then(|exe| {
                exe.parent()
                    .map(|d| d.join(leptos_options.hash_file.as_ref()))
            })
            .is_some_and(|f| f.exists());
        let payments: Payments = Arc::new(crate::payments::StripeGateway::new(&settings.stripe)?);
        let catalog = Catalog::new(settings.currency)?;
        let core = Core::connect(settings).await;
        let directory: SharedDirectory = Arc::new(
            crate::accounts::directory::AccountDirectory::new(core.db.clone()),
        );
        Ok(AppState {
            leptos_options,
            core,
            catalog,
            payments,
            directory,
            pages: Arc::default(),
        })
    }

    /// Puts the services into the Leptos context of a request, for server functions.
    pub fn provide(&self) {
        provide_context(self.core.clone());
        provide_context(self.catalog.clone());
        provide_context(self.payments.clone());
        provide_context(self.directory.clone());
    }
}

/// A bound, ready-to-run server (the listener exists, so the port is known).
pub struct Application {
    listener: TcpListener,
    state: AppState,
    port: u16,
}

impl Application {
    /// Binds the listening socket and starts preparing the database in the background.
    pub async fn build(settings: Settings) -> Result<Self, BuildError> {
        let listener = TcpListener::bind(settings.site_addr).await?;
        Self::build_with_listener(settings, listener).await
    }

    /// Like [`Application::build`] with a socket the caller already bound.
    pub async fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> Result<Self, BuildError> {
        let port = listener.local_addr()?.port();
        let state = AppState::new(settings).await?;
        startup::spawn_database_preparation(state.clone());
        Ok(Application {
            listener,
            state,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        use axum::serve::ListenerExt;
        let app = router::router(self.state.clone());
        let listener = self.listener.tap_io(|tcp| {
            // Without this, streamed responses stall ~40 ms on delayed ACKs.
            let _ = tcp.set_nodelay(true);
        });
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested: finishing requests in flight");
}

/// Waits at most this long for in-flight work after the listener closed.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);
