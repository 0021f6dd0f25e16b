//! The whole router: pages and server functions (Leptos), each feature's own
//! routes, health checks, and the middleware around all of them.

use axum::middleware;
use axum::routing::get;
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

use super::{health, logging, middleware as mw, startup, AppState};
use crate::app::{shell, App};

/// Largest request body accepted by pages and server functions.
pub const MAX_FORM_BODY: usize = 256 * 1024;

/// Builds the whole router for the given state.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();

    let pages = Router::<AppState>::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(crate::payments::routes::<AppState>())
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || state.provide()
            },
            move || shell(leptos_options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            {
                let state = state.clone();
                move || state.provide()
            },
            shell,
        ))
        .layer(middleware::from_fn(mw::server_fn_status))
        .layer(middleware::from_fn(mw::mark_done))
        .layer(RequestBodyLimitLayer::new(MAX_FORM_BODY))
        .layer(middleware::from_fn(mw::explain_too_large))
        .merge(
            crate::catalog::routes::<AppState>()
                .layer(middleware::from_fn(mw::explain_upload_too_large)),
        )
        .nest_service(
            "/pkg",
            super::assets::pkg_service(std::path::Path::new(
                state.leptos_options.site_root.as_ref(),
            )),
        );

    pages
        .layer(crate::kernel::session::layer(
            &state.core.db,
            &state.core.settings,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            super::page_cache::serve,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            startup::readiness_gate,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            mw::refuse_cross_origin,
        ))
        .layer(CatchPanicLayer::custom(logging::panic_response))
        .layer(middleware::from_fn(mw::cache_headers))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            mw::security_headers,
        ))
        .layer(middleware::from_fn(mw::deadline))
        .layer(middleware::from_fn(logging::log_request))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
