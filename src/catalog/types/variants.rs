//! The admin's variant editing: options and their values, the variant table, bulk
//! changes, stock history. Parsed and checked here (pure), used by the server
//! functions and the pages.

use serde::{Deserialize, Serialize};

use crate::shared::text::has_stray_control;
use crate::shared::{AppError, Currency, FormErrors, Money, Sku};

/// Up to three options per product.
pub const MAX_OPTIONS: usize = 3;
/// Most variants (combinations) one product may have.
pub const MAX_VARIANTS: usize = 100;
/// Longest option name ("Colour") and value ("Midnight blue").
pub const MAX_OPTION_NAME_CHARS: usize = 40;
pub const MAX_OPTION_VALUE_CHARS: usize = 60;
/// Heaviest variant a shop may enter (grams).
pub const MAX_WEIGHT_GRAMS: i64 = 1_000_000;

/// Options as an admin types them: up to three names, each with its values
/// separated by commas, in the order shoppers should see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OptionsForm {
    #[serde(default)]
    pub name1: String,
    #[serde(default)]
    pub values1: String,
    #[serde(default)]
    pub name2: String,
    #[serde(default)]
    pub values2: String,
    #[serde(default)]
    pub name3: String,
    #[serde(default)]
    pub values3: String,
}

/// A checked option: its name and values, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOption {
    pub name: String,
    pub values: Vec<String>,
}

/// Checks one option name or value: trimmed, not empty, short, no control
/// characters or commas (commas separate values).
fn option_text(raw: &str, max: usize, what: &str) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(format!("Enter the {what}."));
    }
    if t.chars().count() > max {
        return Err(format!("Use at most {max} characters for the {what}."));
    }
    if has_stray_control(t, false) {
        return Err(format!("The {what} contains characters we cannot use."));
    }
    Ok(t.to_string())
}

impl OptionsForm {
    pub fn from_options(options: &[(String, Vec<String>)]) -> OptionsForm {
        let get = |i: usize| {
            options
                .get(i)
                .map(|(n, v)| (n.clone(), v.join(", ")))
                .unwrap_or_default()
        };
        let ((name1, values1), (name2, values2), (name3, values3)) = (get(0), get(1), get(2));
        OptionsForm {
            name1,
            values1,
            name2,
            values2,
            name3,
            values3,
        }
    }

    pub fn kept(&self) -> Vec<(&'static str, String)> {
        vec![
            ("name1", self.name1.clone()),
            ("values1", self.values1.clone()),
            ("name2", self.name2.clone()),
            ("values2", self.values2.clone()),
            ("name3", self.name3.clone()),
            ("values3", self.values3.clone()),
        ]
    }

    /// The options, without the empty rows. None at all is fine: the product then
    /// has one variant.
    pub fn validate(&self) -> Result<Vec<ValidOption>, AppError> {
        let mut errors = FormErrors::new();
        let mut out: Vec<ValidOption> = Vec::new();
        let rows = [
            (1, &self.name1, &self.values1),
            (2, &self.name2, &self.values2),
            (3, &self.name3, &self.values3),
        ];
        for (i, name, values) in rows {
            let (name_key, values_key) = (format!("name{i}"), format!("values{i}"));
            if name.trim().is_empty() && values.trim().is_empty() {
                continue;
            }
            let name = match option_text(name, MAX_OPTION_NAME_CHARS, "option name") {
                Ok(n) => Some(n),
                Err(e) => {
                    errors.add(&name_key, e);
                    None
                }
            };
            if let Some(n) = &name {
                if out
                    .iter()
                    .any(|o| o.name.to_lowercase() == n.to_lowercase())
                {
                    errors.add(&name_key, "Two options have this name; give each its own.");
                }
            }
            let mut vals: Vec<String> = Vec::new();
            for raw in values.split(',') {
                if raw.trim().is_empty() {
                    continue;
                }
                match option_text(raw, MAX_OPTION_VALUE_CHARS, "value") {
                    Ok(v) if vals.iter().any(|x| x.to_lowercase() == v.to_lowercase()) => {
                        errors.add(&values_key, format!("\"{v}\" is listed twice."));
                    }
                    Ok(v) => vals.push(v),
                    Err(e) => errors.add(&values_key, e),
                }
            }
            if vals.is_empty() {
                errors.add(
                    &values_key,
                    "Enter the values, separated by commas (like S, M, L).",
                );
            }
            if let Some(name) = name {
                out.push(ValidOption { name, values: vals });
            }
        }
        let combinations: usize = out.iter().map(|o| o.values.len().max(1)).product();
        if errors.is_empty() && combinations > MAX_VARIANTS {
            errors.add(
                "values1",
                format!(
                    "These options make {combinations} combinations; a product can have at most {MAX_VARIANTS}."
                ),
            );
        }
        let kept = self.kept();
        let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
        errors.into_result().map_err(|e| e.keeping(&refs))?;
        Ok(out)
    }
}

/// One row of the variant table as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VariantRowForm {
    /// The variant's id (hex), as the table showed it.
    pub id: String,
    pub sku: String,
    pub price: String,
    #[serde(default)]
    pub compare_at: String,
    #[serde(default)]
    pub weight: String,
    /// One of the product's pictures (id), or empty.
    #[serde(default)]
    pub image_id: String,
}

/// The whole variant table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VariantsForm {
    #[serde(default)]
    pub rows: Vec<VariantRowForm>,
}

/// A checked row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidVariantRow {
    pub id: String,
    pub sku: Sku,
    pub price: Money,
    pub compare_at: Option<Money>,
    pub weight_grams: Option<i64>,
    pub image_id: Option<String>,
}

/// The form key of a field of row `i`: `variant-3-price`.
pub fn row_key(i: usize, field: &str) -> String {
    format!("variant-{i}-{field}")
}

/// An optional weight in grams.
pub fn parse_weight(raw: &str) -> Result<Option<i64>, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<i64>() {
        Ok(n) if (0..=MAX_WEIGHT_GRAMS).contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "Enter the weight in grams, a whole number from 0 to {MAX_WEIGHT_GRAMS}."
        )),
    }
}

/// An optional compare-at price, which must be above the price to mean a sale.
pub fn parse_compare_at(
    raw: &str,
    price: Option<Money>,
    currency: Currency,
) -> Result<Option<Money>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let c = Money::parse(raw, currency)?;
    if c.minor() == 0 {
        return Ok(None);
    }
    if price.is_some_and(|p| c.minor() <= p.minor()) {
        return Err("The compare-at price is what it cost before a sale: make it higher than the price, or leave it empty.".into());
    }
    Ok(Some(c))
}

impl VariantsForm {
    /// Flat (key, value) pairs to carry typed values back into the table.
    pub fn kept(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, r) in self.rows.iter().enumerate() {
            out.push((row_key(i, "sku"), r.sku.clone()));
            out.push((row_key(i, "price"), r.price.clone()));
            out.push((row_key(i, "compare_at"), r.compare_at.clone()));
            out.push((row_key(i, "weight"), r.weight.clone()));
            out.push((row_key(i, "image_id"), r.image_id.clone()));
        }
        out
    }

    /// Checks every row; SKUs must differ from each other.
    pub fn validate(&self, currency: Currency) -> Result<Vec<ValidVariantRow>, AppError> {
        let mut errors = FormErrors::new();
        let mut out = Vec::new();
        if self.rows.is_empty() || self.rows.len() > MAX_VARIANTS {
            return Err(AppError::BadRequest(
                "The variant table was damaged; reload the page and try again.".into(),
            ));
        }
        for (i, r) in self.rows.iter().enumerate() {
            let sku = errors.check(&row_key(i, "sku"), Sku::parse(&r.sku));
            if let Some(s) = &sku {
                if out.iter().any(|o: &ValidVariantRow| o.sku == *s) {
                    errors.add(
                        &row_key(i, "sku"),
                        "Another variant in this table has this SKU.",
                    );
                }
            }
            let price = errors.check(&row_key(i, "price"), Money::parse(&r.price, currency));
            let compare_at = errors.check(
                &row_key(i, "compare_at"),
                parse_compare_at(&r.compare_at, price, currency),
            );
            let weight = errors.check(&row_key(i, "weight"), parse_weight(&r.weight));
            let image_id = Some(r.image_id.trim().to_string()).filter(|s| !s.is_empty());
            if let (Some(sku), Some(price), Some(compare_at), Some(weight)) =
                (sku, price, compare_at, weight)
            {
                out.push(ValidVariantRow {
                    id: r.id.trim().to_string(),
                    sku,
                    price,
                    compare_at,
                    weight_grams: weight,
                    image_id,
                });
            }
        }
        let kept = self.kept();
        let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        errors.into_result().map_err(|e| e.keeping(&refs))?;
        Ok(out)
    }
}

/// One entry of a product's stock history, as the admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMovementView {
    pub variant_id: String,
    pub sku: String,
    pub delta: i64,
    pub stock_after: i64,
    pub by: String,
    pub note: String,
    pub at: String,
}

/// What the admin's product page shows besides the product: its stock history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockHistory {
    pub entries: Vec<StockMovementView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_read_in_order_without_empty_rows() {
        let f = OptionsForm {
            name1: " Size ".into(),
            values1: "S, M,, L ".into(),
            name3: "Colour".into(),
            values3: "Red,Blue".into(),
            ..Default::default()
        };
        let o = f.validate().unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].name, "Size");
        assert_eq!(o[0].values, vec!["S", "M", "L"]);
        assert_eq!(o[1].values, vec!["Red", "Blue"]);
    }

    #[test]
    fn duplicate_values_and_too_many_combinations_are_refused() {
        let f = OptionsForm {
            name1: "Size".into(),
            values1: "S, s".into(),
            ..Default::default()
        };
        let e = f.validate().unwrap_err();
        assert!(e.field_message("values1").unwrap().contains("twice"));
        let many: Vec<String> = (0..11).map(|i| format!("V{i}")).collect();
        let f = OptionsForm {
            name1: "A".into(),
            values1: many.join(","),
            name2: "B".into(),
            values2: many.join(","),
            ..Default::default()
        };
        let e = f.validate().unwrap_err();
        assert!(e
            .field_message("values1")
            .unwrap()
            .contains("121 combinations"));
    }

    #[test]
    fn rows_need_distinct_skus_and_a_real_sale_price() {
        let row = |sku: &str, price: &str, compare: &str| VariantRowForm {
            id: "x".into(),
            sku: sku.into(),
            price: price.into(),
            compare_at: compare.into(),
            ..Default::default()
        };
        let f = VariantsForm {
            rows: vec![row("tee-s", "10", ""), row("TEE-S", "10", "9")],
        };
        let e = f.validate(Currency::Usd).unwrap_err();
        assert!(e.field_message("variant-1-sku").is_some());
        assert!(e.field_message("variant-1-compare_at").is_some());
        assert!(e.field_message("variant-0-sku").is_none());
        let ok = VariantsForm {
            rows: vec![row("tee-s", "10", "12.50")],
        }
        .validate(Currency::Usd)
        .unwrap();
        assert_eq!(ok[0].sku.as_str(), "TEE-S");
        assert_eq!(ok[0].compare_at.unwrap().minor(), 1250);
    }
}
