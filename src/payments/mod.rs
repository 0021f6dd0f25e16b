//! Payments: Stripe Checkout, its webhook, refunds, and the success page.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod webhook;
