#![recursion_limit = "256"]
//! oxcart: a self-hosted online shop. One crate: the server renders every page
//! (feature `ssr`) and the browser hydrates it (feature `hydrate`).
//!
//! Dependencies run one way (the architecture test checks it):
//! `shared` ← `ui`, `kernel` ← `catalog` ← `cart` ← `accounts`; `orders` → `catalog`,
//! `cart`; `payments` → `orders`; `storefront` → `catalog`, `cart`, `accounts`;
//! `admin` → the features it manages; `app` → the pages; `server` → everything.
//! Nothing imports `server`, the composition root, except the binary and the tests.
//! Each feature folder keeps its types, server functions and pages together; its
//! server-only parts (store, service) are behind `#[cfg(feature = "ssr")]`.

pub mod accounts;
pub mod admin;
pub mod app;
pub mod cart;
pub mod catalog;
pub mod orders;
pub mod shared;
pub mod storefront;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod kernel;
#[cfg(feature = "ssr")]
pub mod payments;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM bundle: attaches the app to the server-rendered HTML.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
