//! The axum application: state, router, middleware, start-up and shutdown.

pub mod health;
pub mod logging;
pub mod ratelimit;
pub mod security;
pub mod sessions;
pub mod startup;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRef, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http::{header, HeaderValue, StatusCode};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use mongodb::{Client, Database};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

use crate::app::{shell, App};
use crate::config::Settings;
use crate::db::Readiness;
use crate::error::AppError;

/// Largest request body accepted by pages and server functions.
pub const MAX_FORM_BODY: usize = 256 * 1024;

/// Everything a request handler or server function may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub settings: Arc<Settings>,
    pub client: Client,
    pub db: Database,
    pub readiness: Readiness,
    /// This instance's search index (kept in sync from MongoDB).
    pub search: Arc<crate::catalog::search::SearchIndex>,
    pub mailer: crate::mail::Mailer,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    pub async fn new(settings: Settings) -> Self {
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
        let client = crate::db::connect(&settings).await;
        let db = client.database(&settings.database);
        let search = Arc::new(
            crate::catalog::search::SearchIndex::new(&settings.currency)
                .expect("an in-memory search index can always be created"),
        );
        AppState {
            leptos_options,
            settings: Arc::new(settings),
            client,
            mailer: crate::mail::Mailer::new(db.clone()),
            db,
            readiness: Readiness::new(),
            search,
        }
    }
}

/// Gets the app state inside a server function or component (server side).
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}

/// Redirects the current server-function call (a plain form post gets a 302, the
/// app a redirect header). Never panics: `leptos_axum::redirect` would on a location
/// that is not a valid header value, so such a location is logged and replaced by `/`.
/// Locations built from input must be checked first (see `accounts::types::safe_next`).
pub fn redirect(location: &str) {
    if HeaderValue::from_str(location).is_ok() {
        leptos_axum::redirect(location);
    } else {
        tracing::error!("refused to redirect to a location that is not a valid header value");
        leptos_axum::redirect("/");
    }
}

/// A redirect response for plain axum handlers, with the same guarantee as [`redirect`].
pub fn redirect_response(location: &str) -> Response {
    if HeaderValue::from_str(location).is_ok() {
        axum::response::Redirect::to(location).into_response()
    } else {
        tracing::error!("refused to redirect to a location that is not a valid header value");
        axum::response::Redirect::to("/").into_response()
    }
}

/// Sets the HTTP status of the page being rendered (server side only).
pub fn set_status(code: u16) {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    }
}

/// Builds the whole router for the given state.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();

    // Picture uploads get a larger body limit than forms.
    let uploads = Router::<AppState>::new()
        .route(
            "/admin/products/{id}/images",
            axum::routing::post(crate::catalog::images::upload),
        )
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::catalog::images::MAX_UPLOAD_BODY,
        ))
        .layer(RequestBodyLimitLayer::new(
            crate::catalog::images::MAX_UPLOAD_BODY,
        ))
        .layer(middleware::from_fn(explain_upload_too_large));

    let pages = Router::<AppState>::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/images/{id}", get(crate::catalog::images::serve))
        .route(
            "/stripe/webhook",
            axum::routing::post(crate::payments::webhook::receive),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            shell,
        ))
        .layer(middleware::from_fn(server_fn_status))
        .layer(RequestBodyLimitLayer::new(MAX_FORM_BODY))
        .layer(middleware::from_fn(security::explain_too_large))
        .merge(uploads)
        .layer(sessions::layer(&state.db, &state.settings))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            startup::readiness_gate,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::refuse_cross_origin,
        ))
        .layer(CatchPanicLayer::custom(logging::panic_response))
        .layer(middleware::from_fn(cache_headers))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::security_headers,
        ))
        .layer(middleware::from_fn(logging::log_request))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));

    pages.with_state(state)
}

/// Leptos answers every failed server function with 500. Our error type knows its
/// status: read it back from the body so callers see 400/401/403/404/409/422/429/503.
async fn server_fn_status(req: Request, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_server_fn
        || res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    };
    if let Some(err) = crate::error::decode_error_body(&bytes) {
        parts.status = err.http_status();
        if let AppError::RateLimited { retry_after_secs } = err {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                parts.headers.insert(header::RETRY_AFTER, v);
            }
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A picture over the limit gets a clear answer (and the form a redirect back).
async fn explain_upload_too_large(req: Request, next: Next) -> Response {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let back = req.uri().path().trim_end_matches("/images").to_string();
    let res = next.run(req).await;
    if res.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return res;
    }
    let message = format!(
        "pictures may be at most {} MB",
        crate::catalog::images::MAX_IMAGE_BYTES / (1024 * 1024)
    );
    if wants_html {
        redirect_response(&format!(
            "{back}?image_error={}",
            crate::catalog::types::url_encode(&format!("That file is too large: {message}."))
        ))
    } else {
        AppError::PayloadTooLarge(message).into_response()
    }
}

/// Static assets may be cached but must be revalidated (their names are not hashed);
/// pages and API answers are private to the person.
async fn cache_headers(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let mut res = next.run(req).await;
    if res.headers().contains_key(header::CACHE_CONTROL) {
        return res;
    }
    let value = if path.starts_with("/pkg/") || path.starts_with("/favicon") {
        "public, max-age=300, must-revalidate"
    } else {
        "no-store"
    };
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    res
}

/// A bound, ready-to-run server (the listener exists, so the port is known).
pub struct Application {
    listener: TcpListener,
    state: AppState,
    port: u16,
}

impl Application {
    /// Binds the listening socket and starts preparing the database in the background.
    pub async fn build(settings: Settings) -> std::io::Result<Self> {
        let listener = TcpListener::bind(settings.site_addr).await?;
        Self::build_with_listener(settings, listener).await
    }

    /// Like [`Application::build`] with a socket the caller already bound.
    pub async fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> std::io::Result<Self> {
        let port = listener.local_addr()?.port();
        let state = AppState::new(settings).await;
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
        let app = router(self.state.clone());
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

/// Waits at most `limit` for in-flight work after the listener closed.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);

/// Reads the state inside handlers that do not go through Leptos.
pub type AppStateExt = State<AppState>;
