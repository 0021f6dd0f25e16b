//! Money is an integer number of minor units (cents) plus an ISO 4217 currency.
//! It is never a float, and totals are only ever computed on the server.

use serde::{Deserialize, Serialize};

/// (code, symbol, minor-unit digits)
const CURRENCIES: &[(&str, &str, u32)] = &[
    ("usd", "$", 2),
    ("eur", "€", 2),
    ("gbp", "£", 2),
    ("cad", "CA$", 2),
    ("aud", "A$", 2),
    ("chf", "CHF ", 2),
    ("sek", "SEK ", 2),
    ("nok", "NOK ", 2),
    ("dkk", "DKK ", 2),
    ("jpy", "¥", 0),
];

pub const SUPPORTED_CURRENCIES: &[&str] = &[
    "usd", "eur", "gbp", "cad", "aud", "chf", "sek", "nok", "dkk", "jpy",
];

pub fn is_supported_currency(code: &str) -> bool {
    CURRENCIES.iter().any(|(c, ..)| *c == code)
}

/// Digits after the decimal point for a currency (2 for most, 0 for yen).
pub fn minor_digits(currency: &str) -> u32 {
    CURRENCIES
        .iter()
        .find(|(c, ..)| *c == currency)
        .map(|(.., d)| *d)
        .unwrap_or(2)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (cents for USD).
    pub amount: i64,
    /// Lower-case ISO 4217 code.
    pub currency: String,
}

impl Money {
    pub fn new(amount: i64, currency: impl Into<String>) -> Self {
        Money {
            amount,
            currency: currency.into(),
        }
    }

    /// `$1,234.50`
    pub fn display(&self) -> String {
        format_minor(self.amount, &self.currency)
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// Formats minor units for display, e.g. `format_minor(123450, "usd")` → `$1,234.50`.
pub fn format_minor(amount: i64, currency: &str) -> String {
    let (symbol, digits) = CURRENCIES
        .iter()
        .find(|(c, ..)| *c == currency)
        .map(|(_, s, d)| (s.to_string(), *d))
        .unwrap_or_else(|| (format!("{} ", currency.to_uppercase()), 2));
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    let scale = 10u64.pow(digits);
    let whole = group_thousands(abs / scale);
    if digits == 0 {
        format!("{sign}{symbol}{whole}")
    } else {
        let frac = abs % scale;
        format!(
            "{sign}{symbol}{whole}.{frac:0width$}",
            width = digits as usize
        )
    }
}

fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Largest price a product may have, in minor units (one million in major units).
pub const MAX_PRICE_MINOR: i64 = 100_000_000;

/// Parses a price typed by a person ("12", "12.5", "1,234.99") into minor units.
/// Refuses negatives, more decimals than the currency has, and absurd amounts.
pub fn parse_price(input: &str, currency: &str) -> Result<i64, String> {
    let text = input.trim().replace(',', "");
    if text.is_empty() {
        return Err("Enter a price.".into());
    }
    if text.starts_with('-') {
        return Err("The price cannot be negative.".into());
    }
    let digits = minor_digits(currency);
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text.as_str(), ""),
    };
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !all_digits(whole) || !all_digits(frac) {
        return Err("Enter the price as a number, like 12.99.".into());
    }
    if frac.len() > digits as usize {
        return Err(if digits == 0 {
            "This currency has no minor units; enter a whole number.".into()
        } else {
            format!("Use at most {digits} digits after the decimal point.")
        });
    }
    let too_big = || {
        format!(
            "The price must be at most {}.",
            format_minor(MAX_PRICE_MINOR, currency)
        )
    };
    if whole.len() > 12 {
        return Err(too_big());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_big())?
    };
    let mut frac_value: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().unwrap_or(0)
    };
    for _ in frac.len()..digits as usize {
        frac_value *= 10;
    }
    let amount = whole
        .checked_mul(10i64.pow(digits))
        .and_then(|w| w.checked_add(frac_value))
        .ok_or_else(too_big)?;
    if amount > MAX_PRICE_MINOR {
        return Err(too_big());
    }
    Ok(amount)
}

/// Minor units as a plain decimal for form inputs: `1250` → `12.50`.
pub fn minor_to_input(amount: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    if digits == 0 {
        return amount.to_string();
    }
    let scale = 10i64.pow(digits);
    format!(
        "{}.{:0width$}",
        amount / scale,
        (amount % scale).abs(),
        width = digits as usize
    )
}
