//! The shop's checkout rules as the pages see them: shipping zones and their
//! methods, tax rates, the tax setting, discount codes, and the quote checkout
//! shows. Also the parsing of the admin forms (shared so messages are the same in
//! the browser and on the server).

use serde::{Deserialize, Serialize};

use super::pricing::{Discount, Rate, WeightTier, BP};
use crate::shared::address;
use crate::shared::{Currency, Money};

/// A shipping method as offered at checkout, priced for the cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodOption {
    pub id: String,
    pub name: String,
    pub estimate: String,
    pub price: Money,
}

/// Checkout's summary for the address, method and code chosen so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Methods for the address (empty: see `notice`).
    pub methods: Vec<MethodOption>,
    /// The method the totals use (the chosen one, else the cheapest).
    pub shipping_id: Option<String>,
    pub subtotal: Money,
    pub discount: Money,
    pub shipping: Money,
    pub tax: Money,
    /// "VAT 20 %" or "Sales tax 8.875 %"; empty without tax.
    pub tax_name: String,
    pub tax_included: bool,
    pub total: Money,
    /// What the code did ("SAVE10: 10 % off") or why it did not.
    pub code_message: Option<String>,
    pub code_ok: bool,
    /// Why nothing can be shipped to the address, if so.
    pub notice: Option<String>,
}

/// A shipping method of a zone, for the admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodView {
    pub id: String,
    pub name: String,
    pub estimate: String,
    pub rate: Rate,
    /// "$5.99", "$5.99, free from $75.00", "up to 1,000 g $4.90 · up to 5,000 g $9.90".
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneView {
    pub id: String,
    pub name: String,
    pub countries: Vec<String>,
    /// "US-CA" style: the zone covers only these regions of their countries.
    pub regions: Vec<String>,
    pub methods: Vec<MethodView>,
}

impl ZoneView {
    /// "United States (California, New York)" / "Germany, France".
    pub fn places(&self) -> String {
        self.countries
            .iter()
            .map(|c| {
                let name = address::country_name(c).to_string();
                let own: Vec<String> = self
                    .regions
                    .iter()
                    .filter_map(|r| r.strip_prefix(&format!("{c}-")))
                    .map(|code| region_name(c, code))
                    .collect();
                if own.is_empty() {
                    name
                } else {
                    format!("{name} ({})", own.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn region_name(country: &str, code: &str) -> String {
    address::country(country)
        .regions
        .iter()
        .find(|r| r.code == code)
        .map(|r| r.name.to_string())
        .unwrap_or_else(|| code.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRateView {
    pub id: String,
    pub country: String,
    pub region: String,
    pub name: String,
    pub basis_points: i64,
}

impl TaxRateView {
    pub fn place(&self) -> String {
        let c = address::country_name(&self.country).to_string();
        if self.region.is_empty() {
            c
        } else {
            format!("{c} — {}", region_name(&self.country, &self.region))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxPage {
    pub prices_include_tax: bool,
    pub rates: Vec<TaxRateView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeView {
    pub id: String,
    pub code: String,
    pub discount: Discount,
    /// "10 % off", "$5.00 off", "Free shipping".
    pub summary: String,
    pub min_subtotal: Option<Money>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub usage_limit: Option<i64>,
    pub per_customer_limit: Option<i64>,
    /// Uses by paid and unpaid orders (unpaid ones give theirs back if they end unpaid).
    pub used: i64,
    pub paused: bool,
    /// "Active", "Paused", "Scheduled", "Expired", "Used up".
    pub state: String,
}

/// The new-code form as typed (fields `form[code]`, `form[kind]`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeForm {
    pub code: String,
    /// "percent", "fixed" or "free_shipping".
    pub kind: String,
    pub value: Option<String>,
    pub min_subtotal: Option<String>,
    /// `datetime-local` values, read as UTC.
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub usage_limit: Option<String>,
    pub per_customer_limit: Option<String>,
}

/// "20 %", "8.875 %".
pub fn percent_label(bp: i64) -> String {
    let whole = bp / 100;
    let frac = bp % 100;
    if frac == 0 {
        format!("{whole} %")
    } else {
        let f = format!("{frac:02}");
        format!("{whole}.{} %", f.trim_end_matches('0'))
    }
}

/// A percentage typed by an admin ("20", "8.875", "7,5 %") in basis points (with
/// up to three decimals: thousandths of a percent round to the nearest basis point).
pub fn parse_percent(input: &str) -> Result<i64, String> {
    let t = input.trim().trim_end_matches('%').trim().replace(',', ".");
    if t.is_empty() {
        return Err("Enter a percentage, like 20 or 8.875.".into());
    }
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (!frac.is_empty() && !digits(frac)) || frac.len() > 3 || whole.len() > 3 {
        return Err("Enter a percentage, like 20 or 8.875.".into());
    }
    let w: i64 = whole
        .parse()
        .map_err(|_| "Enter a percentage.".to_string())?;
    let mut f3 = frac.to_string();
    while f3.len() < 3 {
        f3.push('0');
    }
    let thousandths: i64 = w * 1000 + f3.parse::<i64>().unwrap_or(0);
    let bp = (thousandths + 5) / 10;
    if bp > BP {
        return Err("A percentage cannot be more than 100.".into());
    }
    Ok(bp)
}

/// Weight tiers typed as "1000: 4.90, 5000: 9.90" (grams: price).
pub fn parse_tiers(input: &str, currency: Currency) -> Result<Vec<WeightTier>, String> {
    let mut tiers = Vec::new();
    for part in input
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (g, p) = part.split_once([':', '=']).ok_or_else(|| {
            format!("Write each tier as grams: price, like 1000: 4.90 (not “{part}”).")
        })?;
        let grams: i64 = g
            .trim()
            .trim_end_matches('g')
            .trim()
            .parse()
            .map_err(|_| format!("“{}” is not a weight in grams.", g.trim()))?;
        if grams <= 0 || grams > 1_000_000 {
            return Err("Weights are between 1 g and 1,000,000 g.".into());
        }
        let price =
            Money::parse(p.trim(), currency).map_err(|e| format!("{e} (tier {grams} g)"))?;
        if tiers.iter().any(|t: &WeightTier| t.up_to_grams == grams) {
            return Err(format!("Two tiers end at {grams} g."));
        }
        tiers.push(WeightTier {
            up_to_grams: grams,
            price: price.minor(),
        });
    }
    if tiers.is_empty() {
        return Err("Give at least one tier, like 1000: 4.90, 5000: 9.90.".into());
    }
    tiers.sort_by_key(|t| t.up_to_grams);
    Ok(tiers)
}

/// How a rate reads on admin pages.
pub fn rate_summary(rate: &Rate, currency: Currency) -> String {
    let m = |v: i64| Money::new(v, currency).to_string();
    match rate {
        Rate::Flat { price } => m(*price),
        Rate::FreeAbove { price, free_from } => {
            format!("{}, free from {}", m(*price), m(*free_from))
        }
        Rate::Weight { tiers } => tiers
            .iter()
            .map(|t| format!("up to {} g {}", group_digits(t.up_to_grams), m(t.price)))
            .collect::<Vec<_>>()
            .join(" · "),
    }
}

fn group_digits(n: i64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How a discount reads: "10 % off", "$5.00 off", "Free shipping".
pub fn discount_summary(d: &Discount, currency: Currency) -> String {
    match d {
        Discount::Percent { basis_points } => format!("{} off", percent_label(*basis_points)),
        Discount::Fixed { amount } => format!("{} off", Money::new(*amount, currency)),
        Discount::FreeShipping => "Free shipping".into(),
    }
}

/// A discount code as typed: letters, digits, '-' and '_', 3 to 32, any case (kept
/// upper case).
pub fn normalize_code(input: &str) -> Result<String, String> {
    let t = input.trim().to_uppercase();
    if t.chars().count() < 3 || t.chars().count() > 32 {
        return Err("A code has 3 to 32 characters.".into());
    }
    if !t
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("Use letters, digits, - and _ only.".into());
    }
    Ok(t)
}

/// Country codes or names typed by an admin ("US, Canada, de") → ISO codes the
/// shop ships to; every one that is not is named in the error.
pub fn parse_countries(input: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    let mut unknown = Vec::new();
    for part in input
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let found = crate::shared::address_data::COUNTRIES
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(part) || c.name.eq_ignore_ascii_case(part));
        match found {
            Some(c) if address::ships_to(c.code) => {
                if !out.iter().any(|o| o == c.code) {
                    out.push(c.code.to_string());
                }
            }
            _ => unknown.push(part.to_string()),
        }
    }
    if !unknown.is_empty() {
        return Err(format!(
            "Not a country the shop ships to: {}. Use names or ISO codes, like United States or US.",
            unknown.join(", ")
        ));
    }
    if out.is_empty() {
        return Err("Name at least one country.".into());
    }
    Ok(out)
}

/// Regions typed as "US-CA, US-NY" (or "CA" when the zone has one country) → "US-CA"
/// codes of the zone's countries.
pub fn parse_regions(input: &str, countries: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in input
        .split([',', ';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (country, region) = match part.split_once('-') {
            Some((c, r)) if countries.iter().any(|x| x.eq_ignore_ascii_case(c)) => {
                (c.to_uppercase(), r)
            }
            _ if countries.len() == 1 => (countries[0].clone(), part),
            _ => {
                return Err(format!(
                    "Write regions as country-region, like US-CA (not “{part}”)."
                ))
            }
        };
        let c = address::country(&country);
        let r = address::find_region(c, region)
            .ok_or_else(|| format!("{} has no region “{region}”.", c.name))?;
        let code = format!("{country}-{}", r.code);
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_parse_to_basis_points() {
        assert_eq!(parse_percent("20"), Ok(2_000));
        assert_eq!(parse_percent("8.875 %"), Ok(888));
        assert_eq!(parse_percent("7,5"), Ok(750));
        assert!(parse_percent("101").is_err());
        assert!(parse_percent("abc").is_err());
        assert_eq!(percent_label(750), "7.5 %");
        assert_eq!(percent_label(2_000), "20 %");
    }

    #[test]
    fn tiers_parse_sorted_and_refuse_nonsense() {
        let t = parse_tiers("5000: 9.90, 1000: 4.90", Currency::Usd).unwrap();
        assert_eq!(
            t[0],
            WeightTier {
                up_to_grams: 1000,
                price: 490
            }
        );
        assert_eq!(t[1].up_to_grams, 5000);
        assert!(parse_tiers("heavy: 4", Currency::Usd).is_err());
        assert!(parse_tiers("", Currency::Usd).is_err());
    }

    #[test]
    fn countries_and_regions_by_name_or_code() {
        assert_eq!(parse_countries("us, Canada").unwrap(), ["US", "CA"]);
        assert!(parse_countries("Atlantis")
            .unwrap_err()
            .contains("Atlantis"));
        let us = vec!["US".to_string()];
        assert_eq!(
            parse_regions("CA, US-NY, Texas", &us).unwrap(),
            ["US-CA", "US-NY", "US-TX"]
        );
        assert!(parse_regions("ZZ", &us).is_err());
    }

    #[test]
    fn codes_are_upper_case_and_plain() {
        assert_eq!(normalize_code(" save10 ").unwrap(), "SAVE10");
        assert!(normalize_code("no spaces").is_err());
        assert!(normalize_code("ab").is_err());
    }
}
