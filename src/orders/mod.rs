//! Checkout and orders: placing (stock reserved all-or-nothing), lifecycle,
//! history for shoppers, management for admins.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
pub mod types;
