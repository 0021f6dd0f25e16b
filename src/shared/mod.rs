//! Types and rules both the server and the browser use. Imports nothing else from
//! the crate: every other module may depend on it.

pub mod address;
pub mod address_data;
pub mod domain;
pub mod error;
pub mod money;
pub mod picture;
pub mod text;

pub use domain::{Actor, Email, OrderNumber, Quantity, Role, Sku, Slug};
pub use error::{AppError, FieldError, FormErrors};
pub use money::{Currency, Money};
pub use picture::Picture;
