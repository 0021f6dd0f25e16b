//! Accounts: registration, sign-in and out, sessions, password reset, roles.

pub mod api;
pub mod pages;
pub mod types;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod directory;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod store;

#[cfg(feature = "ssr")]
pub use store::ensure_indexes;
