//! Order types shared by the server and the browser, and address validation.

use serde::{Deserialize, Serialize};

use crate::shared::address;
use crate::shared::{AppError, FormErrors, Money, OrderNumber, Quantity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    AwaitingPayment,
    Paid,
    Shipped,
    Delivered,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::AwaitingPayment,
        OrderStatus::Paid,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            OrderStatus::AwaitingPayment => "awaiting_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label(&self) -> &'static str {
        match self {
            OrderStatus::AwaitingPayment => "Awaiting payment",
            OrderStatus::Paid => "Paid",
            OrderStatus::Shipped => "Shipped",
            OrderStatus::Delivered => "Delivered",
            OrderStatus::Cancelled => "Cancelled",
        }
    }

    /// The only moves an order may make.
    pub fn can_become(&self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (AwaitingPayment, Paid)
                | (AwaitingPayment, Cancelled)
                | (Paid, Shipped)
                | (Paid, Cancelled)
                | (Shipped, Delivered)
        )
    }
}

/// A shipping address, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    /// State, province, prefecture…: the code of the country's region list ("CA"),
    /// free text where the country has no list, empty where it has no region.
    /// Orders placed before regions existed have none.
    #[serde(default)]
    pub region: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

impl Address {
    /// The address as its country writes it, line by line (see `shared::address`).
    pub fn lines(&self) -> Vec<String> {
        address::format_lines(&address::Parts {
            name: &self.name,
            line1: &self.line1,
            line2: &self.line2,
            city: &self.city,
            region: &self.region,
            postal_code: &self.postal_code,
            country: &self.country,
        })
    }
}

pub use crate::shared::address::country_name;

/// The address form as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AddressForm {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
}

impl AddressForm {
    pub fn kept(&self) -> Vec<(&'static str, String)> {
        vec![
            ("name", self.name.clone()),
            ("line1", self.line1.clone()),
            ("line2", self.line2.clone().unwrap_or_default()),
            ("city", self.city.clone().unwrap_or_default()),
            ("region", self.region.clone().unwrap_or_default()),
            ("postal_code", self.postal_code.clone().unwrap_or_default()),
            ("country", self.country.clone()),
        ]
    }

    pub fn validate(&self) -> Result<Address, AppError> {
        let mut e = FormErrors::new();
        let name = e.text("name", &self.name, "the recipient's full name", 100, true);
        let line1 = e.text(
            "line1",
            &self.line1,
            "the street and house number",
            120,
            true,
        );
        let line2 = e.text("line2", self.line2.as_deref().unwrap_or(""), "", 120, false);
        let code = self.country.trim().to_uppercase();
        let known = address::ships_to(&code);
        if code.is_empty() {
            e.add("country", "Choose a country.");
        } else if !known {
            e.add(
                "country",
                "We do not ship to that country yet; choose one from the list.",
            );
        }
        let c = address::country(&code);
        let city = if known && c.city_label.is_empty() {
            String::new()
        } else {
            let label = if c.city_label.is_empty() {
                "City"
            } else {
                c.city_label
            };
            e.text(
                "city",
                self.city.as_deref().unwrap_or(""),
                &format!("the {}", label.to_lowercase()),
                80,
                c.city_required,
            )
        };
        let region_input = self.region.as_deref().unwrap_or("").trim();
        let region = if !known || !address::has_region(c) {
            String::new()
        } else if !c.regions.is_empty() {
            match address::find_region(c, region_input) {
                Some(r) => r.code.to_string(),
                None if region_input.is_empty() && !c.region_required => String::new(),
                None => {
                    e.add(
                        "region",
                        format!(
                            "Choose the {} from the list for {}.",
                            c.region_label.to_lowercase(),
                            c.name
                        ),
                    );
                    String::new()
                }
            }
        } else {
            e.text(
                "region",
                region_input,
                &format!("the {}", c.region_label.to_lowercase()),
                80,
                c.region_required,
            )
        };
        let postal = address::normalize_postal(self.postal_code.as_deref().unwrap_or(""));
        if known && !c.postal_label.is_empty() {
            let label = c.postal_label.to_lowercase();
            let example = if c.postal_example.is_empty() {
                String::new()
            } else {
                format!(", like {}", c.postal_example)
            };
            if postal.is_empty() {
                if c.postal_required {
                    e.add("postal_code", format!("Enter the {label}."));
                }
            } else if !address::postal_valid(c, &postal) {
                e.add(
                    "postal_code",
                    format!("Enter a valid {label} for {}{example}.", c.name),
                );
            }
        }
        let postal = if c.postal_label.is_empty() {
            String::new()
        } else {
            postal
        };
        let country = code;
        if !e.is_empty() {
            let kept = self.kept();
            let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
            return Err(AppError::Invalid(e).keeping(&refs));
        }
        Ok(Address {
            name,
            line1,
            line2,
            city,
            region,
            postal_code: postal,
            country,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineView {
    pub product_id: String,
    pub sku: String,
    /// "Size: M · Colour: Red" (empty for a product without options).
    pub variant_label: String,
    pub slug: String,
    pub name: String,
    pub unit_price: Money,
    pub quantity: Quantity,
    pub line_total: Money,
    pub picture: crate::shared::Picture,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub status: OrderStatus,
    pub at: String,
    pub actor: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: String,
    pub number: OrderNumber,
    pub status: OrderStatus,
    pub lines: Vec<OrderLineView>,
    pub subtotal: Money,
    pub discount: Money,
    pub discount_code: Option<String>,
    pub shipping: Money,
    /// The shipping method's name (none: free shipping without zones, or an older order).
    pub shipping_method: Option<String>,
    pub shipping_estimate: String,
    pub tax: Money,
    pub tax_included: bool,
    pub tax_name: String,
    pub total: Money,
    pub address: Address,
    pub email: String,
    pub customer_name: String,
    /// Placed without an account (and not moved to one since).
    pub guest: bool,
    pub placed_at: String,
    pub history: Vec<HistoryEntry>,
    /// When an unpaid order gives its stock back.
    pub pay_by: Option<String>,
    pub refunded: bool,
    pub payment_reference: Option<String>,
}

/// A row in an order list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub id: String,
    pub number: OrderNumber,
    pub status: OrderStatus,
    pub total: Money,
    pub item_count: u32,
    pub placed_at: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OrderPage {
    pub orders: Vec<OrderSummary>,
    pub total: u64,
    pub page: u32,
    pub pages: u32,
    /// Orders placed as a guest with the account's e-mail address, not yet in it.
    #[serde(default)]
    pub guest_orders: u64,
}

/// An address in an account's address book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedAddress {
    pub id: String,
    pub address: Address,
    pub default: bool,
}

impl SavedAddress {
    /// The address on one line: "Robin Reed, 12 Orchard Lane, SPRINGFIELD, CA 12345, United States".
    pub fn one_line(&self) -> String {
        self.address.lines().join(", ")
    }
}

/// What the checkout page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutData {
    pub cart: crate::cart::types::CartView,
    /// The last address used, to prefill the form.
    pub address: Option<Address>,
    pub email: String,
    /// The account holder's name, for an empty form.
    pub name: String,
    /// Whether the shopper is signed in (else they buy as a guest).
    pub signed_in: bool,
    /// The account's address book.
    #[serde(default)]
    pub saved: Vec<SavedAddress>,
}
