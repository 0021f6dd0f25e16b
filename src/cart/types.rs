//! Cart types shared by the server and the browser.

use serde::{Deserialize, Serialize};

use crate::money::format_minor;

/// Most units of one product a cart line may hold.
pub const MAX_LINE_QUANTITY: i64 = 99;
/// Most different products in one cart.
pub const MAX_CART_LINES: usize = 100;

/// One line of the cart, priced from the product's current data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub product_id: String,
    pub slug: String,
    pub name: String,
    pub image_url: String,
    pub image_alt: String,
    pub quantity: i64,
    /// Current unit price (minor units).
    pub unit_price: i64,
    /// `unit_price × quantity`, or 0 when the line cannot be bought.
    pub line_total: i64,
    pub stock: i64,
    /// The price when the product was added, if it has changed since.
    pub previous_price: Option<i64>,
    /// Why this line cannot be bought as it is (sold out, fewer left, gone).
    pub problem: Option<String>,
    pub available: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CartView {
    pub lines: Vec<CartLine>,
    pub currency: String,
    /// Sum of the lines that can be bought.
    pub subtotal: i64,
    pub item_count: u32,
    /// Identifies this exact cart content for checkout idempotency.
    pub checkout_key: String,
}

impl CartView {
    pub fn subtotal_display(&self) -> String {
        format_minor(self.subtotal, &self.currency)
    }

    pub fn has_problems(&self) -> bool {
        self.lines.iter().any(|l| l.problem.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Parses a quantity typed in a form.
pub fn parse_quantity(input: &str, allow_zero: bool) -> Result<i64, String> {
    let t = input.trim();
    if t.is_empty() {
        return Err("Enter a quantity.".into());
    }
    let n: i64 = match t.parse() {
        Ok(n) => n,
        Err(_) if t.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(format!("You can buy at most {MAX_LINE_QUANTITY} at once."))
        }
        Err(_) => return Err("Enter the quantity as a whole number, like 2.".into()),
    };
    if n < 0 || (n == 0 && !allow_zero) {
        return Err("The quantity must be at least 1.".into());
    }
    if n > MAX_LINE_QUANTITY {
        return Err(format!("You can buy at most {MAX_LINE_QUANTITY} at once."));
    }
    Ok(n)
}

/// What adding to the cart answers (for the inline confirmation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedToCart {
    pub product_name: String,
    pub quantity_in_cart: i64,
    pub item_count: u32,
}
