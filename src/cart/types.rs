//! Cart types shared by the server and the browser.

use serde::{Deserialize, Serialize};

use crate::shared::{Currency, Money, Quantity};

/// Most units of one product a cart line may hold.
pub const MAX_LINE_QUANTITY: u32 = 99;
/// Most different products in one cart.
pub const MAX_CART_LINES: usize = 100;

/// One line of the cart (one variant), priced from the product's current data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub product_id: String,
    pub variant_id: String,
    pub sku: String,
    /// "Size: M · Colour: Red" (empty for a product without options).
    pub variant_label: String,
    pub slug: String,
    pub name: String,
    pub picture: crate::catalog::types::Picture,
    pub quantity: Quantity,
    /// Current unit price.
    pub unit_price: Money,
    /// `unit_price × quantity`, or zero when the line cannot be bought.
    pub line_total: Money,
    pub stock: i64,
    /// The price when the product was added, if it has changed since.
    pub previous_price: Option<Money>,
    /// Why this line cannot be bought as it is (sold out, fewer left, gone).
    pub problem: Option<String>,
    pub available: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartView {
    pub lines: Vec<CartLine>,
    /// Sum of the lines that can be bought.
    pub subtotal: Money,
    pub item_count: u32,
    /// Identifies this exact cart content for checkout idempotency.
    pub checkout_key: String,
}

impl CartView {
    /// A cart with nothing in it.
    pub fn empty(currency: Currency) -> CartView {
        CartView {
            lines: Vec::new(),
            subtotal: Money::zero(currency),
            item_count: 0,
            checkout_key: String::new(),
        }
    }

    pub fn has_problems(&self) -> bool {
        self.lines.iter().any(|l| l.problem.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Parses a quantity typed in a form: 1 to [`MAX_LINE_QUANTITY`] (0 allowed when
/// it means "remove the line").
pub fn parse_quantity(input: &str, allow_zero: bool) -> Result<Quantity, String> {
    Quantity::parse_input(input, u32::from(!allow_zero), MAX_LINE_QUANTITY)
}

/// What adding to the cart answers (for the inline confirmation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedToCart {
    pub product_name: String,
    /// The variant added ("Size: M · Colour: Red"; empty without options).
    #[serde(default)]
    pub variant_label: String,
    pub quantity_in_cart: Quantity,
    pub item_count: u32,
}
