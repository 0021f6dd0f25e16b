//! Checkout and orders: placing (stock reserved all-or-nothing), payment through
//! a port the payment adapter implements, lifecycle, history for shoppers, and the
//! server functions the admin pages use.

pub mod api;
pub mod pages;
pub mod types;

#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod payment;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

#[cfg(feature = "ssr")]
pub use store::ensure_indexes;
