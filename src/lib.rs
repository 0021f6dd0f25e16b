#![recursion_limit = "256"]
//! oxcart: a self-hosted online shop. One crate: the server renders every page
//! (feature `ssr`) and the browser hydrates it (feature `hydrate`).
//!
//! Features live in folders with their types, server functions and pages together:
//! `accounts`, `catalog`, `cart`, `orders`, `payments`, `admin`. Server-only code
//! (database, payments, mail, search) is behind `#[cfg(feature = "ssr")]`.

pub mod accounts;
pub mod admin;
pub mod app;
pub mod cart;
pub mod catalog;
pub mod error;
pub mod money;
pub mod orders;
pub mod payments;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod bench;
#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod devtools;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM bundle: attaches the app to the server-rendered HTML.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
