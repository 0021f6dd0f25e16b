//! Catalog types shared by the server and the browser.

mod dto;
mod form;
mod query;

pub use dto::*;
pub use form::*;
pub use query::*;
