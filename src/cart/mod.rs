//! The cart: one per guest session and one per account, merged at sign-in.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod store;
pub mod types;
