//! The cart: one per guest browser and one per account, merged at sign-in.

pub mod api;
pub mod pages;
pub mod types;

#[cfg(feature = "ssr")]
pub mod store;

#[cfg(feature = "ssr")]
pub use store::ensure_indexes;
