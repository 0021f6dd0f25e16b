//! Order types shared by the server and the browser, and address validation.

use serde::{Deserialize, Serialize};

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
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

/// Countries the shop ships to (ISO code, name).
pub const COUNTRIES: &[(&str, &str)] = &[
    ("AT", "Austria"),
    ("AU", "Australia"),
    ("BE", "Belgium"),
    ("BG", "Bulgaria"),
    ("BR", "Brazil"),
    ("CA", "Canada"),
    ("CH", "Switzerland"),
    ("CY", "Cyprus"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DK", "Denmark"),
    ("EE", "Estonia"),
    ("ES", "Spain"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("GR", "Greece"),
    ("HR", "Croatia"),
    ("HU", "Hungary"),
    ("IE", "Ireland"),
    ("IS", "Iceland"),
    ("IT", "Italy"),
    ("JP", "Japan"),
    ("LT", "Lithuania"),
    ("LU", "Luxembourg"),
    ("LV", "Latvia"),
    ("MT", "Malta"),
    ("MX", "Mexico"),
    ("NL", "Netherlands"),
    ("NO", "Norway"),
    ("NZ", "New Zealand"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("RO", "Romania"),
    ("SE", "Sweden"),
    ("SG", "Singapore"),
    ("SI", "Slovenia"),
    ("SK", "Slovakia"),
    ("US", "United States"),
    ("ZA", "South Africa"),
];

pub fn country_name(code: &str) -> &str {
    COUNTRIES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
        .unwrap_or(code)
}

fn postal_ok(country: &str, code: &str) -> bool {
    let digits = |n: usize, s: &str| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let c = code.trim().to_uppercase();
    match country {
        "US" => {
            digits(5, &c)
                || (c.len() == 10 && digits(5, &c[..5]) && &c[5..6] == "-" && digits(4, &c[6..]))
        }
        "DE" | "FR" | "ES" | "IT" | "FI" | "HR" | "EE" | "LT" => digits(5, &c.replace("LT-", "")),
        "AT" | "BE" | "CH" | "DK" | "NO" | "AU" | "NZ" | "ZA" | "HU" | "BG" | "LU" | "SI" => {
            digits(4, &c)
        }
        "NL" => {
            let s = c.replace(' ', "");
            s.len() == 6 && digits(4, &s[..4]) && s[4..].bytes().all(|b| b.is_ascii_uppercase())
        }
        "CA" => {
            let s = c.replace(' ', "");
            let b = s.as_bytes();
            s.len() == 6
                && b[0].is_ascii_uppercase()
                && b[1].is_ascii_digit()
                && b[2].is_ascii_uppercase()
                && b[3].is_ascii_digit()
                && b[4].is_ascii_uppercase()
                && b[5].is_ascii_digit()
        }
        "GB" => {
            let s = c.replace(' ', "");
            (5..=7).contains(&s.len())
                && s.bytes().all(|b| b.is_ascii_alphanumeric())
                && s.as_bytes()[0].is_ascii_uppercase()
                && s.as_bytes()[s.len() - 3].is_ascii_digit()
        }
        "JP" => {
            let s = c.replace('-', "");
            digits(7, &s)
        }
        _ => {
            (2..=10).contains(&c.len())
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
        }
    }
}

/// The address form as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AddressForm {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub country: String,
}

impl AddressForm {
    pub fn kept(&self) -> Vec<(&'static str, String)> {
        vec![
            ("name", self.name.clone()),
            ("line1", self.line1.clone()),
            ("line2", self.line2.clone().unwrap_or_default()),
            ("city", self.city.clone()),
            ("postal_code", self.postal_code.clone()),
            ("country", self.country.clone()),
        ]
    }

    pub fn validate(&self) -> Result<Address, AppError> {
        let mut e = FormErrors::new();
        let text = |e: &mut FormErrors,
                    field: &str,
                    v: &str,
                    what: &str,
                    max: usize,
                    required: bool|
         -> String {
            let t = v.trim();
            if t.is_empty() && required {
                e.add(field, format!("Enter {what}."));
            } else if t.chars().count() > max {
                e.add(field, format!("Use at most {max} characters."));
            } else if t.chars().any(|c| c.is_control()) {
                e.add(field, "This contains characters we cannot use.");
            }
            t.to_string()
        };
        let name = text(
            &mut e,
            "name",
            &self.name,
            "the recipient's full name",
            100,
            true,
        );
        let line1 = text(
            &mut e,
            "line1",
            &self.line1,
            "the street and house number",
            120,
            true,
        );
        let line2 = text(
            &mut e,
            "line2",
            self.line2.as_deref().unwrap_or(""),
            "",
            120,
            false,
        );
        let city = text(&mut e, "city", &self.city, "the town or city", 80, true);
        let country = self.country.trim().to_uppercase();
        if country.is_empty() {
            e.add("country", "Choose a country.");
        } else if !COUNTRIES.iter().any(|(c, _)| *c == country) {
            e.add(
                "country",
                "We do not ship to that country yet; choose one from the list.",
            );
        }
        let postal = self.postal_code.trim().to_uppercase();
        if postal.is_empty() {
            e.add("postal_code", "Enter the postal code.");
        } else if e.get("country").is_none() && !postal_ok(&country, &postal) {
            e.add(
                "postal_code",
                format!("Enter a valid postal code for {}.", country_name(&country)),
            );
        }
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
    pub shipping: Money,
    pub total: Money,
    pub address: Address,
    pub email: String,
    pub customer_name: String,
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
}

/// What the checkout page needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutData {
    pub cart: crate::cart::types::CartView,
    /// The last address used, to prefill the form.
    pub address: Option<Address>,
    pub email: String,
}
