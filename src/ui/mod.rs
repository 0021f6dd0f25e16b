//! Shared widgets: page layout, form fields, money. Knows nothing about the database.

pub mod forms;
pub mod head;
pub mod layout;
