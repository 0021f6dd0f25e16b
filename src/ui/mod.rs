//! Shared widgets and page pieces: form fields, the page head, the error page,
//! pagination, the header refresh signal. Calls no server function and knows
//! nothing about the database.

pub mod error_page;
pub mod forms;
pub mod head;
pub mod nav;
pub mod picture;
pub mod refresh;
pub mod status;

pub use error_page::ErrorPage;
pub use picture::{Pic, Thumb};
pub use refresh::{use_header_version, HeaderVersion};
