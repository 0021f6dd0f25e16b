//! Checkout rules in MongoDB: shipping zones (`shipping_zones`), tax rates
//! (`tax_rates`), the tax setting (`shop_settings`), discount codes
//! (`discount_codes`) and their per-customer use counts (`discount_customer_uses`);
//! pricing a cart with them; and holding a code's use for an order.
//!
//! A code's use is held the way stock is: one conditional update checks the limit
//! and counts the use together, keyed by the order id so a retried placement never
//! counts twice. Unpaid orders that end give their use back (idempotent); a paid
//! order's use stays.

use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, DateTime};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::pricing::{self, Discount, Inputs, Rate, Totals};
use super::rules::{
    discount_summary, percent_label, rate_summary, CodeView, MethodView, TaxRateView, ZoneView,
};
use super::types::Address;
use crate::kernel::db::{display_time, index, is_duplicate_key};
use crate::kernel::{DbContext, Error, Result};
use crate::shared::{AppError, Currency, FormErrors};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Method {
    pub id: ObjectId,
    pub name: String,
    #[serde(default)]
    pub estimate: String,
    pub rate: Rate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Zone {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub name: String,
    pub countries: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub methods: Vec<Method>,
    pub created_at: DateTime,
}

impl Zone {
    /// Whether the zone delivers to the country and region; `Some(true)` when it
    /// names that region (more specific than the whole country).
    fn covers(&self, country: &str, region: &str) -> Option<bool> {
        if !self.countries.iter().any(|c| c == country) {
            return None;
        }
        let prefix = format!("{country}-");
        let own: Vec<&String> = self
            .regions
            .iter()
            .filter(|r| r.starts_with(&prefix))
            .collect();
        if own.is_empty() {
            return Some(false);
        }
        own.iter()
            .any(|r| r[prefix.len()..] == *region)
            .then_some(true)
    }

    pub fn view(&self, currency: Currency) -> ZoneView {
        ZoneView {
            id: self.id.to_hex(),
            name: self.name.clone(),
            countries: self.countries.clone(),
            regions: self.regions.clone(),
            methods: self
                .methods
                .iter()
                .map(|m| MethodView {
                    id: m.id.to_hex(),
                    name: m.name.clone(),
                    estimate: m.estimate.clone(),
                    rate: m.rate.clone(),
                    summary: rate_summary(&m.rate, currency),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaxRate {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub country: String,
    #[serde(default)]
    pub region: String,
    pub name: String,
    pub basis_points: i64,
}

impl TaxRate {
    pub fn view(&self) -> TaxRateView {
        TaxRateView {
            id: self.id.to_hex(),
            country: self.country.clone(),
            region: self.region.clone(),
            name: self.name.clone(),
            basis_points: self.basis_points,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ShopSettings {
    #[serde(default)]
    pub prices_include_tax: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Code {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub code: String,
    pub discount: Discount,
    pub min_subtotal: Option<i64>,
    pub starts_at: Option<DateTime>,
    pub ends_at: Option<DateTime>,
    pub usage_limit: Option<i64>,
    /// Uses left under `usage_limit` (absent without a limit).
    pub left: Option<i64>,
    pub per_customer_limit: Option<i64>,
    /// Uses by paid and unpaid orders.
    pub used: i64,
    /// Unpaid orders holding a use (they give it back if they end unpaid).
    #[serde(default)]
    pub holders: Vec<ObjectId>,
    pub paused: bool,
    pub created_at: DateTime,
}

impl Code {
    pub fn view(&self, currency: Currency, now: DateTime) -> CodeView {
        let state = if self.paused {
            "Paused"
        } else if self.starts_at.is_some_and(|s| s > now) {
            "Scheduled"
        } else if self.ends_at.is_some_and(|e| e <= now) {
            "Expired"
        } else if self.left.is_some_and(|l| l <= 0) {
            "Used up"
        } else {
            "Active"
        };
        CodeView {
            id: self.id.to_hex(),
            code: self.code.clone(),
            discount: self.discount,
            summary: discount_summary(&self.discount, currency),
            min_subtotal: self
                .min_subtotal
                .map(|m| crate::shared::Money::new(m, currency)),
            starts_at: self.starts_at.map(display_time),
            ends_at: self.ends_at.map(display_time),
            usage_limit: self.usage_limit,
            per_customer_limit: self.per_customer_limit,
            used: self.used,
            paused: self.paused,
            state: state.into(),
        }
    }

    /// Why the code cannot be used now on `subtotal`, if so.
    fn refusal(&self, subtotal: i64, now: DateTime, currency: Currency) -> Option<String> {
        let c = &self.code;
        if self.paused {
            return Some(format!("The code {c} is not active."));
        }
        if self.starts_at.is_some_and(|s| s > now) {
            return Some(format!("The code {c} is not valid yet."));
        }
        if self.ends_at.is_some_and(|e| e <= now) {
            return Some(format!("The code {c} has expired."));
        }
        if self.left.is_some_and(|l| l <= 0) {
            return Some(format!("The code {c} has been used as often as it may be."));
        }
        if let Some(min) = self.min_subtotal.filter(|m| subtotal < *m) {
            return Some(format!(
                "The code {c} needs a subtotal of at least {}.",
                crate::shared::Money::new(min, currency)
            ));
        }
        None
    }
}

pub fn zones(db: &Database) -> Collection<Zone> {
    db.collection("shipping_zones")
}
pub fn tax_rates(db: &Database) -> Collection<TaxRate> {
    db.collection("tax_rates")
}
fn settings(db: &Database) -> Collection<ShopSettings> {
    db.collection("shop_settings")
}
pub fn codes(db: &Database) -> Collection<Code> {
    db.collection("discount_codes")
}
fn customer_uses(db: &Database) -> Collection<mongodb::bson::Document> {
    db.collection("discount_customer_uses")
}

pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
    codes(db)
        .create_index(index(doc! { "code": 1 }, "code_unique", true))
        .await?;
    codes(db)
        .create_index(index(doc! { "holders": 1 }, "holders", false))
        .await?;
    customer_uses(db)
        .create_index(index(doc! { "orders": 1 }, "orders", false))
        .await?;
    Ok(())
}

pub async fn all_zones(db: &Database) -> Result<Vec<Zone>> {
    let mut z: Vec<Zone> = zones(db)
        .find(doc! {})
        .await
        .context("reading shipping zones")?
        .try_collect()
        .await
        .context("reading shipping zones")?;
    z.sort_by_key(|a| a.name.to_lowercase());
    Ok(z)
}

pub async fn all_tax_rates(db: &Database) -> Result<Vec<TaxRate>> {
    let mut r: Vec<TaxRate> = tax_rates(db)
        .find(doc! {})
        .await
        .context("reading tax rates")?
        .try_collect()
        .await
        .context("reading tax rates")?;
    r.sort_by(|a, b| (&a.country, &a.region).cmp(&(&b.country, &b.region)));
    Ok(r)
}

pub async fn shop_settings(db: &Database) -> Result<ShopSettings> {
    Ok(settings(db)
        .find_one(doc! { "_id": "shop" })
        .await
        .context("reading the shop settings")?
        .unwrap_or_default())
}

pub async fn set_prices_include_tax(db: &Database, on: bool) -> Result<()> {
    settings(db)
        .update_one(
            doc! { "_id": "shop" },
            doc! { "$set": { "prices_include_tax": on } },
        )
        .upsert(true)
        .await
        .context("saving the tax setting")?;
    Ok(())
}

pub async fn all_codes(db: &Database) -> Result<Vec<Code>> {
    let mut c: Vec<Code> = codes(db)
        .find(doc! {})
        .await
        .context("reading discount codes")?
        .try_collect()
        .await
        .context("reading discount codes")?;
    c.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    Ok(c)
}

pub async fn find_code(db: &Database, code: &str) -> Result<Option<Code>> {
    codes(db)
        .find_one(doc! { "code": code.trim().to_uppercase() })
        .await
        .context("reading a discount code")
}

/// The rules that price a checkout, read together.
pub struct Rules {
    pub zones: Vec<Zone>,
    pub rates: Vec<TaxRate>,
    pub settings: ShopSettings,
}

impl Rules {
    pub async fn load(db: &Database) -> Result<Rules> {
        Ok(Rules {
            zones: all_zones(db).await?,
            rates: all_tax_rates(db).await?,
            settings: shop_settings(db).await?,
        })
    }

    /// The zone for the address: one naming its region wins over one covering
    /// the whole country.
    pub fn zone_for(&self, country: &str, region: &str) -> ZoneFor<'_> {
        if self.zones.is_empty() {
            return ZoneFor::NoZones;
        }
        let mut best: Option<(&Zone, bool)> = None;
        // A zone without methods yet (being set up) covers nothing.
        for z in self.zones.iter().filter(|z| !z.methods.is_empty()) {
            if let Some(specific) = z.covers(country, region) {
                if best.is_none_or(|(_, b)| specific && !b) {
                    best = Some((z, specific));
                }
            }
        }
        match best {
            Some((z, _)) => ZoneFor::Zone(z),
            None => ZoneFor::NotCovered,
        }
    }

    /// The tax rate of the address: its region's, else its country's, else none.
    pub fn tax_for(&self, country: &str, region: &str) -> Option<&TaxRate> {
        self.rates
            .iter()
            .find(|r| r.country == country && !r.region.is_empty() && r.region == region)
            .or_else(|| {
                self.rates
                    .iter()
                    .find(|r| r.country == country && r.region.is_empty())
            })
    }
}

/// Where an address stands with the shipping zones.
pub enum ZoneFor<'a> {
    /// The shop has no zones: shipping is free everywhere it ships (as before
    /// zones existed).
    NoZones,
    Zone(&'a Zone),
    /// No zone covers the address: it cannot be delivered to.
    NotCovered,
}

/// A cart's amount and weight.
#[derive(Debug, Clone, Copy)]
pub struct CartAmounts {
    /// Sum of the lines, minor units.
    pub subtotal: i64,
    pub weight_grams: i64,
}

/// A cart priced for an address, method and code.
pub struct Priced {
    pub totals: Totals,
    /// Offered methods with their prices (minor units), cheapest first.
    pub methods: Vec<(Method, i64)>,
    /// The method used (None: the shop has no zones, shipping is free).
    pub method: Option<Method>,
    pub tax_name: String,
    pub code: Option<Code>,
}

/// What a checkout asks for besides the address.
pub struct Choice<'a> {
    pub shipping_id: &'a str,
    pub code: &'a str,
    /// Who is buying, for per-customer code limits.
    pub customer: &'a str,
}

/// Prices a cart of `subtotal` and `weight_grams` for `address`. Problems the
/// shopper can fix are field errors: `country` (not delivered), `shipping` (no
/// method chosen, or one not offered), `discount_code`. With `strict` false (the
/// live quote) a missing method falls back to the cheapest and a bad code is left
/// out, with the reasons in the returned errors.
pub async fn price(
    db: &Database,
    rules: &Rules,
    currency: Currency,
    cart: CartAmounts,
    address: (&str, &str),
    choice: &Choice<'_>,
    strict: bool,
) -> Result<(Option<Priced>, FormErrors)> {
    let (country, region) = address;
    let CartAmounts {
        subtotal,
        weight_grams,
    } = cart;
    let mut errors = FormErrors::new();
    let now = DateTime::now();

    let mut code = None;
    if !choice.code.trim().is_empty() {
        match find_code(db, choice.code).await? {
            None => errors.add(
                "discount_code",
                format!(
                    "We do not know the code {}.",
                    choice.code.trim().to_uppercase()
                ),
            ),
            Some(c) => {
                match c.refusal(subtotal, now, currency) {
                    Some(why) => errors.add("discount_code", why),
                    None => {
                        if let Some(limit) = c.per_customer_limit {
                            if customer_use_count(db, &c.id, choice.customer).await? >= limit {
                                errors.add(
                                "discount_code",
                                format!("You have already used the code {} as often as it may be used.", c.code),
                            );
                            }
                        }
                        if errors.get("discount_code").is_none() {
                            code = Some(c);
                        }
                    }
                }
            }
        }
    }
    let discount = code.as_ref().map(|c| c.discount);
    let goods = subtotal
        - discount
            .map(|d| pricing::discount_amount(d, subtotal))
            .unwrap_or(0);

    let zone = rules.zone_for(country, region);
    let (methods, method) = match zone {
        ZoneFor::NotCovered => {
            errors.add(
                "country",
                format!(
                    "We do not deliver to {} yet. Choose another address, or contact us.",
                    crate::shared::address::country_name(country)
                ),
            );
            (Vec::new(), None)
        }
        ZoneFor::NoZones => (Vec::new(), None),
        ZoneFor::Zone(zone) => {
            let mut offered: Vec<(Method, i64)> = zone
                .methods
                .iter()
                .filter_map(|m| m.rate.price(goods, weight_grams).map(|p| (m.clone(), p)))
                .collect();
            offered.sort_by_key(|(_, p)| *p);
            if offered.is_empty() {
                errors.add(
                    "shipping",
                    "This order is too heavy for our delivery methods to this address. Please contact us.",
                );
            }
            let chosen = offered
                .iter()
                .find(|(m, _)| m.id.to_hex() == choice.shipping_id.trim())
                .map(|(m, _)| m.clone());
            let chosen = match chosen {
                Some(m) => Some(m),
                None if !strict => offered.first().map(|(m, _)| m.clone()),
                None => {
                    if !offered.is_empty() {
                        errors.add("shipping", "Choose a delivery method.");
                    }
                    None
                }
            };
            (offered, chosen)
        }
    };
    if strict && !errors.is_empty() {
        return Ok((None, errors));
    }
    if matches!(zone, ZoneFor::NotCovered) {
        return Ok((None, errors));
    }
    let shipping = method
        .as_ref()
        .and_then(|m| methods.iter().find(|(x, _)| x.id == m.id).map(|(_, p)| *p))
        .unwrap_or(0);
    let tax = rules.tax_for(country, region);
    let totals = pricing::totals(Inputs {
        subtotal,
        shipping,
        discount,
        tax_bp: tax.map(|t| t.basis_points).unwrap_or(0),
        tax_included: rules.settings.prices_include_tax,
    })
    .ok_or_else(|| Error::internal("an order total overflowed"))?;
    let tax_name = tax
        .map(|t| format!("{} {}", t.name, percent_label(t.basis_points)))
        .unwrap_or_default();
    Ok((
        Some(Priced {
            totals,
            methods,
            method,
            tax_name,
            code,
        }),
        errors,
    ))
}

/// The address parts pricing looks at.
pub fn place_of(a: &Address) -> (&str, &str) {
    (a.country.as_str(), a.region.as_str())
}

fn customer_key(code_id: &ObjectId, customer: &str) -> String {
    format!("{}:{}", code_id.to_hex(), customer.to_lowercase())
}

async fn customer_use_count(db: &Database, code_id: &ObjectId, customer: &str) -> Result<i64> {
    let doc = customer_uses(db)
        .find_one(doc! { "_id": customer_key(code_id, customer) })
        .await
        .context("reading a customer's code uses")?;
    Ok(doc.and_then(|d| d.get_i64("n").ok()).unwrap_or(0))
}

/// Counts one use of `code` for `order_id` if the limits allow (idempotent for the
/// order). `Ok(false)`: a limit is reached; nothing is held.
pub async fn hold_code(
    db: &Database,
    code: &Code,
    order_id: &ObjectId,
    customer: &str,
) -> Result<bool> {
    if let Some(limit) = code.per_customer_limit {
        let key = customer_key(&code.id, customer);
        let res = customer_uses(db)
            .update_one(
                doc! { "_id": &key, "orders": { "$ne": order_id }, "n": { "$lt": limit } },
                doc! { "$inc": { "n": 1_i64 }, "$push": { "orders": order_id } },
            )
            .upsert(true)
            .await;
        match res {
            Ok(_) => {}
            Err(e) if is_duplicate_key(&e) => {
                // The count exists and is at the limit, unless this order is in it.
                let held = customer_uses(db)
                    .find_one(doc! { "_id": &key, "orders": order_id })
                    .await
                    .context("reading a customer's code uses")?
                    .is_some();
                if !held {
                    return Ok(false);
                }
            }
            Err(source) => {
                return Err(Error::Database {
                    context: "counting a customer's code use",
                    source,
                })
            }
        }
    }
    let filter = match code.usage_limit {
        Some(_) => {
            doc! { "_id": code.id, "paused": false, "holders": { "$ne": order_id }, "left": { "$gt": 0_i64 } }
        }
        None => doc! { "_id": code.id, "paused": false, "holders": { "$ne": order_id } },
    };
    let update = match code.usage_limit {
        Some(_) => {
            doc! { "$inc": { "used": 1_i64, "left": -1_i64 }, "$push": { "holders": order_id } }
        }
        None => doc! { "$inc": { "used": 1_i64 }, "$push": { "holders": order_id } },
    };
    let res = codes(db)
        .update_one(filter, update)
        .await
        .context("counting a code use")?;
    if res.modified_count == 1 {
        return Ok(true);
    }
    let already = codes(db)
        .find_one(doc! { "_id": code.id, "holders": order_id })
        .await
        .context("reading a discount code")?
        .is_some();
    if !already {
        release_customer_use(db, order_id).await?;
    }
    Ok(already)
}

async fn release_customer_use(db: &Database, order_id: &ObjectId) -> Result<()> {
    customer_uses(db)
        .update_many(
            doc! { "orders": order_id },
            doc! { "$inc": { "n": -1_i64 }, "$pull": { "orders": order_id } },
        )
        .await
        .context("giving back a customer's code use")?;
    Ok(())
}

/// Gives back the code use `order_id` holds, if any (idempotent).
pub async fn release_code(db: &Database, order_id: &ObjectId) -> Result<()> {
    let held: Vec<Code> = codes(db)
        .find(doc! { "holders": order_id })
        .await
        .context("reading discount codes")?
        .try_collect()
        .await
        .context("reading discount codes")?;
    for c in held {
        let update = if c.usage_limit.is_some() {
            doc! { "$inc": { "used": -1_i64, "left": 1_i64 }, "$pull": { "holders": order_id } }
        } else {
            doc! { "$inc": { "used": -1_i64 }, "$pull": { "holders": order_id } }
        };
        codes(db)
            .update_one(doc! { "_id": c.id, "holders": order_id }, update)
            .await
            .context("giving back a code use")?;
    }
    release_customer_use(db, order_id).await
}

/// Orders that hold a code use (at most `limit`), for the sweeper.
pub async fn holding_orders(db: &Database, limit: usize) -> Result<Vec<ObjectId>> {
    let held: Vec<Code> = codes(db)
        .find(doc! { "holders.0": { "$exists": true } })
        .await
        .context("reading discount codes")?
        .try_collect()
        .await
        .context("reading discount codes")?;
    let mut out: Vec<ObjectId> = held.into_iter().flat_map(|c| c.holders).collect();
    out.sort();
    out.dedup();
    out.truncate(limit);
    Ok(out)
}

/// A paid order keeps its code use for good: it no longer needs to be listed as
/// one that may give it back.
pub async fn commit_code(db: &Database, order_id: &ObjectId) -> Result<()> {
    codes(db)
        .update_many(
            doc! { "holders": order_id },
            doc! { "$pull": { "holders": order_id } },
        )
        .await
        .context("keeping a code use")?;
    Ok(())
}

/// The demo shop's rules (only into a shop without any): zones for the US, Europe
/// and the rest, a sample tax rate, and a sample code.
pub async fn seed_demo(db: &Database) -> Result<bool> {
    if zones(db)
        .count_documents(doc! {})
        .await
        .context("counting zones")?
        > 0
    {
        return Ok(false);
    }
    let now = DateTime::now();
    let method = |name: &str, estimate: &str, rate: Rate| Method {
        id: ObjectId::new(),
        name: name.into(),
        estimate: estimate.into(),
        rate,
    };
    let europe: Vec<String> = [
        "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR",
        "HU", "IE", "IS", "IT", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI",
        "SK",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rest: Vec<String> = crate::shared::address::SHIPPING_COUNTRIES
        .iter()
        .filter(|c| **c != "US" && !europe.iter().any(|e| e == *c))
        .map(|s| s.to_string())
        .collect();
    let demo = vec![
        Zone {
            id: ObjectId::new(),
            name: "United States".into(),
            countries: vec!["US".into()],
            regions: vec![],
            methods: vec![
                method(
                    "Standard",
                    "3–5 business days",
                    Rate::FreeAbove {
                        price: 599,
                        free_from: 7_500,
                    },
                ),
                method("Express", "1–2 business days", Rate::Flat { price: 1_499 }),
            ],
            created_at: now,
        },
        Zone {
            id: ObjectId::new(),
            name: "Europe".into(),
            countries: europe,
            regions: vec![],
            methods: vec![method(
                "International standard",
                "5–8 business days",
                Rate::Weight {
                    tiers: vec![
                        pricing::WeightTier {
                            up_to_grams: 1_000,
                            price: 990,
                        },
                        pricing::WeightTier {
                            up_to_grams: 5_000,
                            price: 1_790,
                        },
                        pricing::WeightTier {
                            up_to_grams: 30_000,
                            price: 3_490,
                        },
                    ],
                },
            )],
            created_at: now,
        },
        Zone {
            id: ObjectId::new(),
            name: "Rest of the world".into(),
            countries: rest,
            regions: vec![],
            methods: vec![method(
                "International",
                "7–14 business days",
                Rate::Flat { price: 2_499 },
            )],
            created_at: now,
        },
    ];
    zones(db)
        .insert_many(demo)
        .await
        .context("saving demo zones")?;
    if tax_rates(db)
        .count_documents(doc! {})
        .await
        .context("counting tax rates")?
        == 0
    {
        tax_rates(db)
            .insert_one(TaxRate {
                id: ObjectId::new(),
                country: "US".into(),
                region: "CA".into(),
                name: "Sales tax".into(),
                basis_points: 725,
            })
            .await
            .context("saving the demo tax rate")?;
    }
    if find_code(db, "WELCOME10").await?.is_none() {
        codes(db)
            .insert_one(Code {
                id: ObjectId::new(),
                code: "WELCOME10".into(),
                discount: Discount::Percent {
                    basis_points: 1_000,
                },
                min_subtotal: None,
                starts_at: None,
                ends_at: None,
                usage_limit: None,
                left: None,
                per_customer_limit: Some(1),
                used: 0,
                holders: vec![],
                paused: false,
                created_at: now,
            })
            .await
            .context("saving the demo code")?;
    }
    Ok(true)
}

/// A refusal the shopper can act on, from pricing errors.
pub fn invalid(errors: FormErrors) -> AppError {
    AppError::Invalid(errors)
}
