//! The shop front: the pages that combine the catalog and the cart (home, product
//! list and search, product page) and the header and footer around every page.

pub mod guest;
pub mod layout;
pub mod pages;
pub mod product;
