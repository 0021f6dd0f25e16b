//! Money is an integer number of minor units (cents) of one [`Currency`]. It is
//! never a float, amounts of different currencies never mix (the arithmetic is
//! checked and says no), and totals are only ever computed on the server.

use serde::{Deserialize, Serialize};

/// The currencies a shop can sell in (ISO 4217), stored as their lower-case code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Currency {
    Usd,
    Eur,
    Gbp,
    Cad,
    Aud,
    Chf,
    Sek,
    Nok,
    Dkk,
    Jpy,
}

impl Currency {
    pub const ALL: [Currency; 10] = [
        Currency::Usd,
        Currency::Eur,
        Currency::Gbp,
        Currency::Cad,
        Currency::Aud,
        Currency::Chf,
        Currency::Sek,
        Currency::Nok,
        Currency::Dkk,
        Currency::Jpy,
    ];

    /// Lower-case ISO code, as stored and as Stripe wants it.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "usd",
            Currency::Eur => "eur",
            Currency::Gbp => "gbp",
            Currency::Cad => "cad",
            Currency::Aud => "aud",
            Currency::Chf => "chf",
            Currency::Sek => "sek",
            Currency::Nok => "nok",
            Currency::Dkk => "dkk",
            Currency::Jpy => "jpy",
        }
    }

    /// Parses an ISO code in any case (`"USD"`, `"usd"`).
    pub fn parse(code: &str) -> Option<Currency> {
        let lower = code.trim().to_ascii_lowercase();
        Currency::ALL.into_iter().find(|c| c.code() == lower)
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Currency::Usd => "$",
            Currency::Eur => "€",
            Currency::Gbp => "£",
            Currency::Cad => "CA$",
            Currency::Aud => "A$",
            Currency::Chf => "CHF ",
            Currency::Sek => "SEK ",
            Currency::Nok => "NOK ",
            Currency::Dkk => "DKK ",
            Currency::Jpy => "¥",
        }
    }

    /// Digits after the decimal point (2 for most, 0 for yen).
    pub fn minor_digits(self) -> u32 {
        match self {
            Currency::Jpy => 0,
            _ => 2,
        }
    }

    fn scale(self) -> i64 {
        10i64.pow(self.minor_digits())
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money: minor units of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    pub const fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    /// Minor units (cents for USD).
    pub const fn minor(self) -> i64 {
        self.minor
    }

    pub const fn currency(self) -> Currency {
        self.currency
    }

    pub fn is_zero(self) -> bool {
        self.minor == 0
    }

    /// `None` when the currencies differ or the sum overflows.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.minor.checked_add(other.minor))
            .flatten()
            .map(|minor| Money::new(minor, self.currency))
    }

    /// `None` when the currencies differ or the difference overflows.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.minor.checked_sub(other.minor))
            .flatten()
            .map(|minor| Money::new(minor, self.currency))
    }

    /// The price of `quantity` units; `None` on overflow.
    pub fn checked_mul(self, quantity: u64) -> Option<Money> {
        i64::try_from(quantity)
            .ok()
            .and_then(|q| self.minor.checked_mul(q))
            .map(|minor| Money::new(minor, self.currency))
    }

    /// Sums amounts of `currency`; `None` if one differs or the sum overflows.
    pub fn sum<I: IntoIterator<Item = Money>>(currency: Currency, items: I) -> Option<Money> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
    }

    /// A plain decimal for form inputs: `1250` → `12.50`.
    pub fn to_input(self) -> String {
        let digits = self.currency.minor_digits();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if digits == 0 {
            return format!("{sign}{abs}");
        }
        let scale = self.currency.scale().unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = digits as usize
        )
    }

    /// Parses an amount typed by a person ("12", "12.5", "1,234.99") into minor
    /// units. Refuses negatives, more decimals than the currency has, and amounts
    /// above [`MAX_PRICE_MINOR`].
    pub fn parse(input: &str, currency: Currency) -> Result<Money, String> {
        parse_amount(input, currency).map(|minor| Money::new(minor, currency))
    }
}

/// `$1,234.50`
impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = self.currency;
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let scale = c.scale().unsigned_abs();
        let whole = group_thousands(abs / scale);
        if c.minor_digits() == 0 {
            write!(f, "{sign}{}{whole}", c.symbol())
        } else {
            write!(
                f,
                "{sign}{}{whole}.{:0width$}",
                c.symbol(),
                abs % scale,
                width = c.minor_digits() as usize
            )
        }
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

fn parse_amount(input: &str, currency: Currency) -> Result<i64, String> {
    let text = input.trim().replace(',', "");
    if text.is_empty() {
        return Err("Enter a price.".into());
    }
    if text.starts_with('-') {
        return Err("The price cannot be negative.".into());
    }
    let digits = currency.minor_digits();
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
            Money::new(MAX_PRICE_MINOR, currency)
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
        frac.parse().map_err(|_| too_big())?
    };
    for _ in frac.len()..digits as usize {
        frac_value *= 10;
    }
    let amount = whole
        .checked_mul(currency.scale())
        .and_then(|w| w.checked_add(frac_value))
        .ok_or_else(too_big)?;
    if amount > MAX_PRICE_MINOR {
        return Err(too_big());
    }
    Ok(amount)
}
