//! Server functions of the checkout rules: the live quote checkout shows, and the
//! admin's shipping zones and methods, tax rates and setting, and discount codes.
//! Every admin function checks the role itself.

use leptos::prelude::*;

use super::rules::{CodeForm, CodeView, Quote, TaxPage, ZoneView};
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use {
    super::pricing::{Discount, Rate},
    super::rules::{self, MethodOption},
    super::rules_store::{self as rs, Choice, Code, Method, TaxRate, Zone},
    crate::kernel::auth::require_admin,
    crate::kernel::core as app_state,
    crate::kernel::db::parse_id,
    crate::kernel::DbContext,
    crate::shared::{address, FormErrors, Money},
    mongodb::bson::{doc, oid::ObjectId, DateTime},
};

/// Totals of the shopper's cart (account or guest) for an address, method and code.
#[server(endpoint = "checkout/quote")]
pub async fn checkout_quote(
    country: Option<String>,
    region: Option<String>,
    shipping: Option<String>,
    discount_code: Option<String>,
) -> Result<Quote, AppError> {
    let user = crate::kernel::auth::current_caller().await?;
    let state = app_state()?;
    let db = &state.db;
    let currency = state.currency();
    // The account's cart, or the guest browser's.
    let owner = match &user {
        Some(u) => Some(crate::cart::store::Owner::User(u.id)),
        None => crate::cart::api::owner_of_request(false).await?,
    };
    let cart = match &owner {
        Some(o) => crate::cart::store::find(db, o).await?,
        None => None,
    };
    let view = crate::cart::store::view(db, cart.as_ref(), currency).await?;
    let weight = cart_weight(db, cart.as_ref()).await?;
    // Not chosen yet: the address of the last order, else the first country.
    let (country, region) = match country.filter(|c| !c.trim().is_empty()) {
        Some(c) => (c, region),
        None => match &user {
            Some(u) => match super::store::last_for_user(db, &u.id).await? {
                Some(o) => (o.address.country, Some(o.address.region)),
                None => ("US".to_string(), region),
            },
            None => ("US".to_string(), region),
        },
    };
    let country = country.trim().to_uppercase();
    let c = address::country(&country);
    let region = region
        .as_deref()
        .and_then(|r| address::find_region(c, r))
        .map(|r| r.code.to_string())
        .unwrap_or_else(|| region.unwrap_or_default().trim().to_string());
    let rules = rs::Rules::load(db).await?;
    let code = discount_code.unwrap_or_default();
    // Guests' per-customer limits are checked when they place the order (by e-mail).
    let customer = user
        .map(|u| u.id.to_hex())
        .unwrap_or_else(|| "guest:".into());
    let (priced, problems) = rs::price(
        db,
        &rules,
        currency,
        rs::CartAmounts {
            subtotal: view.subtotal.minor(),
            weight_grams: weight,
        },
        (&country, &region),
        &Choice {
            shipping_id: shipping.as_deref().unwrap_or(""),
            code: &code,
            customer: &customer,
        },
        false,
    )
    .await?;
    let money = |v: i64| Money::new(v, currency);
    let code_problem = problems.get("discount_code").map(str::to_string);
    let notice = problems
        .get("country")
        .or_else(|| {
            problems
                .get("shipping")
                .filter(|_| priced.as_ref().is_some_and(|p| p.methods.is_empty()))
        })
        .map(str::to_string);
    Ok(match priced {
        Some(p) => Quote {
            methods: p
                .methods
                .iter()
                .map(|(m, price)| MethodOption {
                    id: m.id.to_hex(),
                    name: m.name.clone(),
                    estimate: m.estimate.clone(),
                    price: money(*price),
                })
                .collect(),
            shipping_id: p.method.as_ref().map(|m| m.id.to_hex()),
            subtotal: money(p.totals.subtotal),
            discount: money(p.totals.discount),
            shipping: money(p.totals.shipping),
            tax: money(p.totals.tax),
            tax_name: p.tax_name.clone(),
            tax_included: p.totals.tax_included,
            total: money(p.totals.total),
            code_ok: p.code.is_some(),
            code_message: code_problem.or_else(|| {
                p.code.as_ref().map(|c| {
                    format!(
                        "{}: {}",
                        c.code,
                        rules::discount_summary(&c.discount, currency)
                    )
                })
            }),
            notice,
        },
        None => Quote {
            methods: Vec::new(),
            shipping_id: None,
            subtotal: view.subtotal,
            discount: money(0),
            shipping: money(0),
            tax: money(0),
            tax_name: String::new(),
            tax_included: rules.settings.prices_include_tax,
            total: view.subtotal,
            code_ok: false,
            code_message: code_problem,
            notice,
        },
    })
}

/// Grams of a cart (variants without a weight count 0).
#[cfg(feature = "ssr")]
pub async fn cart_weight(
    db: &mongodb::Database,
    cart: Option<&crate::cart::store::Cart>,
) -> crate::kernel::Result<i64> {
    let Some(cart) = cart else { return Ok(0) };
    let ids: Vec<ObjectId> = cart.items.iter().map(|i| i.product_id).collect();
    let products = crate::catalog::store::find_by_ids(db, &ids).await?;
    let mut grams: i64 = 0;
    for item in &cart.items {
        let w = products
            .iter()
            .find(|p| p.id == item.product_id)
            .and_then(|p| p.variant(&item.variant_id))
            .and_then(|v| v.weight_grams)
            .unwrap_or(0)
            .max(0);
        grams = grams.saturating_add(w.saturating_mul(item.quantity.as_i64()));
    }
    Ok(grams)
}

// ---------------------------------------------------------------- shipping

#[server(endpoint = "admin/shipping/list")]
pub async fn admin_zones() -> Result<Vec<ZoneView>, AppError> {
    require_admin().await?;
    let state = app_state()?;
    let currency = state.currency();
    Ok(rs::all_zones(&state.db)
        .await?
        .iter()
        .map(|z| z.view(currency))
        .collect())
}

#[server(endpoint = "admin/shipping/zone/create")]
pub async fn create_zone(
    name: String,
    countries: String,
    regions: Option<String>,
) -> Result<String, AppError> {
    require_admin().await?;
    let state = app_state()?;
    let mut e = FormErrors::new();
    let name = e.text("name", &name, "a name for the zone", 80, true);
    let codes = match rules::parse_countries(&countries) {
        Ok(c) => c,
        Err(m) => {
            e.add("countries", m);
            Vec::new()
        }
    };
    let regions_in = regions.unwrap_or_default();
    let region_codes = if codes.is_empty() {
        Vec::new()
    } else {
        rules::parse_regions(&regions_in, &codes).unwrap_or_else(|m| {
            e.add("regions", m);
            Vec::new()
        })
    };
    if !e.is_empty() {
        return Err(AppError::Invalid(e).keeping(&[
            ("name", &name),
            ("countries", &countries),
            ("regions", &regions_in),
        ]));
    }
    let zone = Zone {
        id: ObjectId::new(),
        name,
        countries: codes,
        regions: region_codes,
        methods: Vec::new(),
        created_at: DateTime::now(),
    };
    rs::zones(&state.db)
        .insert_one(&zone)
        .await
        .context("saving a shipping zone")?;
    Ok(zone.id.to_hex())
}

#[server(endpoint = "admin/shipping/zone/delete")]
pub async fn delete_zone(id: String) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let id = parse_id(&id)?;
    let res = rs::zones(&state.db)
        .delete_one(doc! { "_id": id })
        .await
        .context("deleting a shipping zone")?;
    if res.deleted_count == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "admin/shipping/method/add")]
pub async fn add_method(
    zone_id: String,
    name: String,
    estimate: Option<String>,
    kind: String,
    price: Option<String>,
    free_from: Option<String>,
    tiers: Option<String>,
) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let currency = state.currency();
    let zone = parse_id(&zone_id)?;
    let mut e = FormErrors::new();
    let name = e.text("name", &name, "a name, like Standard", 80, true);
    let estimate_in = estimate.unwrap_or_default();
    let estimate = e.text("estimate", &estimate_in, "", 80, false);
    let price_in = price.unwrap_or_default();
    let free_in = free_from.unwrap_or_default();
    let tiers_in = tiers.unwrap_or_default();
    let money = |e: &mut FormErrors, field: &str, v: &str| match Money::parse(v, currency) {
        Ok(m) => m.minor(),
        Err(msg) => {
            e.add(field, msg);
            0
        }
    };
    let rate = match kind.as_str() {
        "flat" => Some(Rate::Flat {
            price: money(&mut e, "price", &price_in),
        }),
        "free_above" => Some(Rate::FreeAbove {
            price: money(&mut e, "price", &price_in),
            free_from: money(&mut e, "free_from", &free_in),
        }),
        "weight" => match rules::parse_tiers(&tiers_in, currency) {
            Ok(tiers) => Some(Rate::Weight { tiers }),
            Err(m) => {
                e.add("tiers", m);
                None
            }
        },
        _ => {
            e.add("kind", "Choose how the method is priced.");
            None
        }
    };
    if !e.is_empty() {
        return Err(AppError::Invalid(e).keeping(&[
            ("zone_id", &zone_id),
            ("name", &name),
            ("estimate", &estimate_in),
            ("kind", &kind),
            ("price", &price_in),
            ("free_from", &free_in),
            ("tiers", &tiers_in),
        ]));
    }
    let method = Method {
        id: ObjectId::new(),
        name,
        estimate,
        rate: rate.expect("checked above"),
    };
    let m = mongodb::bson::to_bson(&method).map_err(|_| AppError::Internal)?;
    let res = rs::zones(&state.db)
        .update_one(doc! { "_id": zone }, doc! { "$push": { "methods": m } })
        .await
        .context("adding a shipping method")?;
    if res.matched_count == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

#[server(endpoint = "admin/shipping/method/delete")]
pub async fn delete_method(zone_id: String, method_id: String) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let (zone, method) = (parse_id(&zone_id)?, parse_id(&method_id)?);
    let res = rs::zones(&state.db)
        .update_one(
            doc! { "_id": zone },
            doc! { "$pull": { "methods": { "id": method } } },
        )
        .await
        .context("removing a shipping method")?;
    if res.modified_count == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

// ---------------------------------------------------------------- tax

#[server(endpoint = "admin/taxes/get")]
pub async fn admin_taxes() -> Result<TaxPage, AppError> {
    require_admin().await?;
    let state = app_state()?;
    Ok(TaxPage {
        prices_include_tax: rs::shop_settings(&state.db).await?.prices_include_tax,
        rates: rs::all_tax_rates(&state.db)
            .await?
            .iter()
            .map(|r| r.view())
            .collect(),
    })
}

/// `mode` is "included" (prices include tax) or "added" (tax added at checkout).
#[server(endpoint = "admin/taxes/setting")]
pub async fn set_tax_mode(mode: String) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let on = match mode.as_str() {
        "included" => true,
        "added" => false,
        _ => {
            return Err(AppError::field(
                "mode",
                "Choose whether prices include tax.",
            ))
        }
    };
    rs::set_prices_include_tax(&state.db, on).await?;
    Ok(())
}

#[server(endpoint = "admin/taxes/add")]
pub async fn add_tax_rate(
    country: String,
    region: Option<String>,
    name: String,
    rate: String,
) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let mut e = FormErrors::new();
    let name = e.text("name", &name, "a name, like VAT or Sales tax", 40, true);
    let code = match rules::parse_countries(&country) {
        Ok(c) if c.len() == 1 => c[0].clone(),
        Ok(_) => {
            e.add("country", "Name one country.");
            String::new()
        }
        Err(m) => {
            e.add("country", m);
            String::new()
        }
    };
    let region_in = region.unwrap_or_default();
    let region_code = if code.is_empty() || region_in.trim().is_empty() {
        String::new()
    } else {
        match address::find_region(address::country(&code), &region_in) {
            Some(r) => r.code.to_string(),
            None => {
                e.add(
                    "region",
                    format!(
                        "{} has no region “{}”.",
                        address::country_name(&code),
                        region_in.trim()
                    ),
                );
                String::new()
            }
        }
    };
    let bp = rules::parse_percent(&rate).unwrap_or_else(|m| {
        e.add("rate", m);
        0
    });
    if e.is_empty() {
        let taken = rs::tax_rates(&state.db)
            .find_one(doc! { "country": &code, "region": &region_code })
            .await
            .context("reading tax rates")?
            .is_some();
        if taken {
            e.add(
                "country",
                "There is a rate for that place already; delete it first to change it.",
            );
        }
    }
    if !e.is_empty() {
        return Err(AppError::Invalid(e).keeping(&[
            ("country", &country),
            ("region", &region_in),
            ("name", &name),
            ("rate", &rate),
        ]));
    }
    rs::tax_rates(&state.db)
        .insert_one(TaxRate {
            id: ObjectId::new(),
            country: code,
            region: region_code,
            name,
            basis_points: bp,
        })
        .await
        .context("saving a tax rate")?;
    Ok(())
}

#[server(endpoint = "admin/taxes/delete")]
pub async fn delete_tax_rate(id: String) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let res = rs::tax_rates(&state.db)
        .delete_one(doc! { "_id": parse_id(&id)? })
        .await
        .context("deleting a tax rate")?;
    if res.deleted_count == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

// ---------------------------------------------------------------- discount codes

#[server(endpoint = "admin/discounts/list")]
pub async fn admin_codes() -> Result<Vec<CodeView>, AppError> {
    require_admin().await?;
    let state = app_state()?;
    let currency = state.currency();
    let now = DateTime::now();
    Ok(rs::all_codes(&state.db)
        .await?
        .iter()
        .map(|c| c.view(currency, now))
        .collect())
}

/// "2026-12-01T09:30" (a `datetime-local` value, read as UTC).
#[cfg(feature = "ssr")]
fn parse_time(e: &mut FormErrors, field: &str, v: &str) -> Option<DateTime> {
    let t = v.trim();
    if t.is_empty() {
        return None;
    }
    let full = if t.len() == 16 {
        format!("{t}:00Z")
    } else {
        format!("{t}Z")
    };
    match DateTime::parse_rfc3339_str(&full) {
        Ok(d) => Some(d),
        Err(_) => {
            e.add(field, "Enter a date and time, like 2026-12-01 09:30.");
            None
        }
    }
}

#[cfg(feature = "ssr")]
fn parse_limit(e: &mut FormErrors, field: &str, v: &str) -> Option<i64> {
    let t = v.trim();
    if t.is_empty() {
        return None;
    }
    match t.parse::<i64>() {
        Ok(n) if (1..=10_000_000).contains(&n) => Some(n),
        _ => {
            e.add(
                field,
                "Enter a whole number of at least 1, or leave it empty for no limit.",
            );
            None
        }
    }
}

#[server(endpoint = "admin/discounts/create")]
pub async fn create_code(form: CodeForm) -> Result<String, AppError> {
    let CodeForm {
        code,
        kind,
        value,
        min_subtotal,
        starts_at,
        ends_at,
        usage_limit,
        per_customer_limit,
    } = form;
    require_admin().await?;
    let state = app_state()?;
    let currency = state.currency();
    let mut e = FormErrors::new();
    let normalized = rules::normalize_code(&code).unwrap_or_else(|m| {
        e.add("code", m);
        String::new()
    });
    let value_in = value.unwrap_or_default();
    let discount = match kind.as_str() {
        "percent" => match rules::parse_percent(&value_in) {
            Ok(bp) if bp > 0 => Some(Discount::Percent { basis_points: bp }),
            Ok(_) => {
                e.add("value", "A discount of 0 % gives nothing off.");
                None
            }
            Err(m) => {
                e.add("value", m);
                None
            }
        },
        "fixed" => match Money::parse(&value_in, currency) {
            Ok(m) if m.minor() > 0 => Some(Discount::Fixed { amount: m.minor() }),
            Ok(_) => {
                e.add("value", "Enter an amount above 0.");
                None
            }
            Err(m) => {
                e.add("value", m);
                None
            }
        },
        "free_shipping" => Some(Discount::FreeShipping),
        _ => {
            e.add("kind", "Choose what the code gives.");
            None
        }
    };
    let min_in = min_subtotal.unwrap_or_default();
    let min = if min_in.trim().is_empty() {
        None
    } else {
        match Money::parse(&min_in, currency) {
            Ok(m) => Some(m.minor()),
            Err(m) => {
                e.add("min_subtotal", m);
                None
            }
        }
    };
    let (starts_in, ends_in) = (starts_at.unwrap_or_default(), ends_at.unwrap_or_default());
    let starts = parse_time(&mut e, "starts_at", &starts_in);
    let ends = parse_time(&mut e, "ends_at", &ends_in);
    if let (Some(s), Some(en)) = (starts, ends) {
        if en <= s {
            e.add("ends_at", "The end must come after the start.");
        }
    }
    let (limit_in, per_in) = (
        usage_limit.unwrap_or_default(),
        per_customer_limit.unwrap_or_default(),
    );
    let limit = parse_limit(&mut e, "usage_limit", &limit_in);
    let per = parse_limit(&mut e, "per_customer_limit", &per_in);
    let keep = |e: FormErrors| {
        AppError::Invalid(e).keeping(&[
            ("code", &code),
            ("kind", &kind),
            ("value", &value_in),
            ("min_subtotal", &min_in),
            ("starts_at", &starts_in),
            ("ends_at", &ends_in),
            ("usage_limit", &limit_in),
            ("per_customer_limit", &per_in),
        ])
    };
    if !e.is_empty() {
        return Err(keep(e));
    }
    let c = Code {
        id: ObjectId::new(),
        code: normalized,
        discount: discount.expect("checked above"),
        min_subtotal: min,
        starts_at: starts,
        ends_at: ends,
        usage_limit: limit,
        left: limit,
        per_customer_limit: per,
        used: 0,
        holders: Vec::new(),
        paused: false,
        created_at: DateTime::now(),
    };
    match rs::codes(&state.db).insert_one(&c).await {
        Ok(_) => Ok(c.id.to_hex()),
        Err(err) if crate::kernel::db::is_duplicate_key(&err) => {
            let mut e = FormErrors::new();
            e.add("code", format!("There is a code {} already.", c.code));
            Err(keep(e))
        }
        Err(source) => Err(crate::kernel::Error::Database {
            context: "saving a discount code",
            source,
        }
        .into()),
    }
}

/// Pauses (`paused` = "yes") or resumes a code.
#[server(endpoint = "admin/discounts/pause")]
pub async fn pause_code(id: String, paused: String) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let res = rs::codes(&state.db)
        .update_one(
            doc! { "_id": parse_id(&id)? },
            doc! { "$set": { "paused": paused == "yes" } },
        )
        .await
        .context("pausing a discount code")?;
    if res.matched_count == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}
