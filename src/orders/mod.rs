//! Checkout and orders: placing (stock reserved all-or-nothing), payment through
//! a port the payment adapter implements, lifecycle, history for shoppers, and the
//! server functions the admin pages use.

pub mod api;
pub mod dashboard;
pub mod pages;
pub mod pricing;
pub mod rules;
pub mod rules_api;
pub mod types;

#[cfg(feature = "ssr")]
pub mod book;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod payment;
#[cfg(feature = "ssr")]
pub mod rules_store;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

/// Every index of orders and checkout rules.
#[cfg(feature = "ssr")]
pub async fn ensure_indexes(
    db: &mongodb::Database,
) -> std::result::Result<(), mongodb::error::Error> {
    store::ensure_indexes(db).await?;
    book::ensure_indexes(db).await?;
    rules_store::ensure_indexes(db).await
}
