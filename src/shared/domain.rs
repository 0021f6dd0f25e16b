//! Small domain types that can only be built by parsing: holding one means it is
//! valid. Serde goes through the same parser (`try_from`), so neither a request
//! nor a stored document can smuggle in an invalid value.

use serde::{Deserialize, Serialize};

/// A number of units (in a cart line, an order line, a stock movement).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct Quantity(u32);

impl Quantity {
    /// The most units any one quantity may hold.
    pub const MAX: u32 = 1_000_000;
    pub const ZERO: Quantity = Quantity(0);
    pub const ONE: Quantity = Quantity(1);

    pub fn new(n: u32) -> Option<Quantity> {
        (n <= Self::MAX).then_some(Quantity(n))
    }

    pub fn get(self) -> u32 {
        self.0
    }

    pub fn as_i64(self) -> i64 {
        i64::from(self.0)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Quantity) -> Option<Quantity> {
        self.0.checked_add(other.0).and_then(Quantity::new)
    }

    /// Parses a quantity typed in a form: a whole number from `min` to `max`.
    pub fn parse_input(input: &str, min: u32, max: u32) -> Result<Quantity, String> {
        let t = input.trim();
        if t.is_empty() {
            return Err("Enter a quantity.".into());
        }
        let n: u64 = match t.parse() {
            Ok(n) => n,
            Err(_) if t.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(format!("You can buy at most {max} at once."))
            }
            Err(_)
                if t.len() > 1
                    && t.starts_with('-')
                    && t[1..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                return Err(format!("The quantity must be at least {}.", min.max(1)))
            }
            Err(_) => return Err("Enter the quantity as a whole number, like 2.".into()),
        };
        if n < u64::from(min) {
            return Err(format!("The quantity must be at least {}.", min.max(1)));
        }
        if n > u64::from(max) {
            return Err(format!("You can buy at most {max} at once."));
        }
        u32::try_from(n)
            .ok()
            .and_then(Quantity::new)
            .ok_or_else(|| format!("You can buy at most {max} at once."))
    }
}

impl TryFrom<i64> for Quantity {
    type Error = String;

    fn try_from(n: i64) -> Result<Self, Self::Error> {
        u32::try_from(n)
            .ok()
            .and_then(Quantity::new)
            .ok_or_else(|| format!("{n} is not a quantity (0 to {})", Quantity::MAX))
    }
}

impl From<Quantity> for i64 {
    fn from(q: Quantity) -> i64 {
        q.as_i64()
    }
}

impl From<Quantity> for u64 {
    fn from(q: Quantity) -> u64 {
        u64::from(q.0)
    }
}

impl std::fmt::Display for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The last part of a product's or category's address: `oak-desk-lamp`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(s: &str) -> Result<Slug, String> {
        if is_valid_slug(s) {
            Ok(Slug(s.to_string()))
        } else {
            Err("Use lower-case letters, digits and dashes only (like oak-desk-lamp).".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        if is_valid_slug(&s) {
            Ok(Slug(s))
        } else {
            Err(format!("{s:?} is not a slug"))
        }
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn is_valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 120
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// "Oak Desk Lamp!" → "oak-desk-lamp".
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in s.chars().flat_map(|c| c.to_lowercase()) {
        let mapped = match c {
            'a'..='z' | '0'..='9' => Some(c),
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => Some('a'),
            'è' | 'é' | 'ê' | 'ë' => Some('e'),
            'ì' | 'í' | 'î' | 'ï' => Some('i'),
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'ø' => Some('o'),
            'ù' | 'ú' | 'û' | 'ü' => Some('u'),
            'ç' => Some('c'),
            'ñ' => Some('n'),
            _ => None,
        };
        match mapped {
            Some(m) => {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push(m);
            }
            None => dash = true,
        }
        if out.len() >= 100 {
            break;
        }
    }
    out.trim_matches('-').to_string()
}

/// A stock-keeping unit: the code a shop uses for one variant (`TEE-RED-M`).
/// 1 to 64 letters, digits and `-_./`, kept in upper case; unique across the catalog.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sku(String);

impl Sku {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(input: &str) -> Result<Sku, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("Enter a SKU.".into());
        }
        if s.len() > Self::MAX_CHARS {
            return Err(format!("Use at most {} characters.", Self::MAX_CHARS));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        {
            return Err("Use letters, digits and - _ . / only (like TEE-RED-M).".into());
        }
        Ok(Sku(s.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sku {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Sku::parse(&s)
    }
}

impl From<Sku> for String {
    fn from(s: Sku) -> String {
        s.0
    }
}

impl std::fmt::Display for Sku {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The number people quote for an order: `OX-000123`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrderNumber(u64);

impl OrderNumber {
    /// Numbers go up to this (twelve digits are accepted in searches).
    pub const MAX: u64 = 999_999_999_999;

    pub fn new(n: u64) -> Option<OrderNumber> {
        (1..=Self::MAX).contains(&n).then_some(OrderNumber(n))
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// Reads `OX-000123`, `ox-123`, `OX123` or `123`.
    pub fn parse(s: &str) -> Option<OrderNumber> {
        let upper = s.trim().to_ascii_uppercase();
        let digits = upper
            .strip_prefix("OX-")
            .or_else(|| upper.strip_prefix("OX"))
            .unwrap_or(&upper);
        if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().and_then(OrderNumber::new)
    }
}

impl std::fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OX-{:06}", self.0)
    }
}

impl TryFrom<String> for OrderNumber {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        OrderNumber::parse(&s).ok_or_else(|| format!("{s:?} is not an order number"))
    }
}

impl From<OrderNumber> for String {
    fn from(n: OrderNumber) -> String {
        n.to_string()
    }
}

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Admin,
}

/// Who made a change (recorded in an order's history). Stored as
/// `customer:<id>` (`customer:guest` for a guest), `admin:<id>`, `stripe` or `system`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Actor {
    /// A shopper, by account id (24 hex digits).
    Customer(String),
    /// A shop admin, by account id.
    Admin(String),
    /// The payment provider (a webhook or a status check).
    PaymentProvider,
    /// The shop itself (expiry, recovery).
    System,
    /// A value written by another version, kept as it was.
    Other(String),
}

impl Actor {
    /// How the history shows it to `viewer_is_admin` (an admin reading an order
    /// sees "the customer", the customer sees "you").
    pub fn label(&self, viewer_is_admin: bool) -> &'static str {
        match (self, viewer_is_admin) {
            (Actor::Customer(_), false) => "you",
            (Actor::Customer(_), true) => "the customer",
            (Actor::Admin(_), _) => "the shop",
            (Actor::PaymentProvider, _) => "payment provider",
            (Actor::System | Actor::Other(_), _) => "automatic",
        }
    }
}

fn is_hex_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl From<String> for Actor {
    fn from(s: String) -> Self {
        match s.split_once(':') {
            // A guest's changes are `customer:guest` (guests have no id).
            Some(("customer", id)) if is_hex_id(id) || id == "guest" => {
                Actor::Customer(id.to_string())
            }
            Some(("admin", id)) if is_hex_id(id) => Actor::Admin(id.to_string()),
            None if s == "stripe" => Actor::PaymentProvider,
            None if s == "system" => Actor::System,
            _ => Actor::Other(s),
        }
    }
}

impl From<Actor> for String {
    fn from(a: Actor) -> String {
        a.to_string()
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Customer(id) => write!(f, "customer:{id}"),
            Actor::Admin(id) => write!(f, "admin:{id}"),
            Actor::PaymentProvider => f.write_str("stripe"),
            Actor::System => f.write_str("system"),
            Actor::Other(s) => f.write_str(s),
        }
    }
}

/// A normalised e-mail address (trimmed, lower case). Built only by [`Email::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, String> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err("Enter your e-mail address.".into());
        }
        let bad = || "Enter an e-mail address like name@example.com.".to_string();
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = domain.len() >= 3
            && domain.contains('.')
            && !domain.starts_with(['.', '-'])
            && !domain.ends_with(['.', '-'])
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && !local.contains(['"', '(', ')', ',', ':', ';', '<', '>', '[', '\\', ']']);
        if domain_ok && local_ok {
            Ok(Email(s))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
