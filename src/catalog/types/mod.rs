//! Catalog types shared by the server and the browser.

mod dto;
mod form;
mod import;
mod query;
mod variants;

pub use dto::*;
pub use form::*;
pub use import::*;
pub use query::*;
pub use variants::*;
