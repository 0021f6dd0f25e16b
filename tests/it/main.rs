//! Black-box tests: each starts the real app on a random port with a fresh database
//! on the real database server, and talks HTTP to it like a browser or API client.
//! Needs OXCART_TEST_MONGODB_URI (and the mail sink); scripts/test sets them up.

mod helpers;

mod architecture;

mod accounts;
mod cart;
mod catalog;
mod checkout_rules;
mod crash;
mod dashboard;
mod failover;
mod guest;
mod health;
mod hostile;
mod orders;
mod outage;
mod pages;
mod payments;
mod security;
mod unit;
mod variants;
