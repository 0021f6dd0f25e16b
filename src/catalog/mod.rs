//! The catalog: categories, products, pictures, search, and their pages.

pub mod admin_pages;
pub mod api;
#[cfg(feature = "ssr")]
pub mod images;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod search;
#[cfg(feature = "ssr")]
pub mod seed;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod sync;
pub mod types;
