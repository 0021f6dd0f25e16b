//! The figures of the admin dashboard: revenue and orders for today and the last
//! 7 and 30 days (days in the shop's time zone), sales per day, best sellers,
//! low stock and orders waiting to ship. Revenue is what paid orders took
//! (paid, shipped or delivered; cancelled and refunded orders do not count), by
//! the day they were placed.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::types::OrderSummary;
use crate::shared::{AppError, Money};

/// Revenue and orders over one stretch of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodFigures {
    pub label: String,
    pub revenue: Money,
    pub orders: u64,
    /// Revenue per order (none without orders).
    pub average: Option<Money>,
}

/// One day of the sales chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySales {
    /// "2026-11-27"
    pub date: String,
    /// "27 Nov"
    pub label: String,
    pub revenue: Money,
    pub orders: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopProduct {
    pub name: String,
    pub slug: String,
    pub units: u64,
    pub revenue: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LowStock {
    pub product_id: String,
    pub name: String,
    pub variant_label: String,
    pub sku: String,
    pub stock: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// The shop's time zone (days are its days).
    pub timezone: String,
    /// Today, last 7 days, last 30 days.
    pub periods: Vec<PeriodFigures>,
    /// The last 30 days, oldest first.
    pub days: Vec<DaySales>,
    pub top_products: Vec<TopProduct>,
    pub low_stock: Vec<LowStock>,
    /// Paid orders not shipped yet, oldest first (the first few).
    pub to_ship: Vec<OrderSummary>,
    pub to_ship_count: u64,
    pub awaiting_payment: u64,
}

/// Variants with this many units or fewer are "low".
pub const LOW_STOCK_AT: i64 = 5;
#[cfg(feature = "ssr")]
const CHART_DAYS: i64 = 30;

#[server(endpoint = "admin/dashboard")]
pub async fn admin_dashboard() -> Result<Dashboard, AppError> {
    crate::kernel::auth::require_admin().await?;
    let state = crate::kernel::core()?;
    Ok(server::dashboard(&state.db, state.currency()).await?)
}

#[cfg(feature = "ssr")]
mod server {
    use std::collections::HashMap;

    use futures::TryStreamExt;
    use mongodb::bson::{doc, Document};
    use mongodb::Database;

    use super::*;
    use crate::kernel::clock;
    use crate::kernel::db::int_field as number;
    use crate::kernel::Result;
    use crate::orders::store;
    use crate::orders::types::OrderStatus;
    use crate::shared::Currency;

    fn earning(status: OrderStatus) -> bool {
        matches!(
            status,
            OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered
        )
    }

    pub async fn dashboard(db: &Database, currency: Currency) -> Result<Dashboard> {
        let (zone_name, tz) = clock::zone_of(db).await?;
        let today = clock::today(&tz);
        let first_day = today
            .checked_sub(jiff::Span::new().days(CHART_DAYS - 1))
            .unwrap_or(today);
        let since = clock::start_of(first_day, &tz);
        // Only what the figures need, for the orders of the last 30 days.
        let mut cursor = store::orders(db)
            .clone_with_type::<Document>()
            .find(doc! { "created_at": { "$gte": since } })
            .projection(doc! {
                "status": 1, "total": 1, "currency": 1, "created_at": 1,
                "lines.name": 1, "lines.slug": 1, "lines.quantity": 1, "lines.line_total": 1,
            })
            .await?;
        let mut per_day: HashMap<jiff::civil::Date, (i64, u64)> = HashMap::new();
        let mut products: HashMap<String, TopProduct> = HashMap::new();
        while let Some(o) = cursor.try_next().await? {
            let status = o
                .get_str("status")
                .ok()
                .and_then(OrderStatus::parse)
                .unwrap_or(OrderStatus::Cancelled);
            if !earning(status) {
                continue;
            }
            let Ok(at) = o.get_datetime("created_at") else {
                continue;
            };
            let total = number(&o, "total");
            let day = per_day.entry(clock::local_date(*at, &tz)).or_default();
            day.0 += total;
            day.1 += 1;
            for line in o
                .get_array("lines")
                .map(|l| l.as_slice())
                .unwrap_or_default()
            {
                let Some(line) = line.as_document() else {
                    continue;
                };
                let slug = line.get_str("slug").unwrap_or_default().to_string();
                let entry = products.entry(slug.clone()).or_insert_with(|| TopProduct {
                    name: line.get_str("name").unwrap_or_default().to_string(),
                    slug,
                    units: 0,
                    revenue: Money::zero(currency),
                });
                entry.units += number(line, "quantity").max(0) as u64;
                entry.revenue =
                    Money::new(entry.revenue.minor() + number(line, "line_total"), currency);
            }
        }
        let days: Vec<DaySales> = (0..CHART_DAYS)
            .filter_map(|i| first_day.checked_add(jiff::Span::new().days(i)).ok())
            .map(|d| {
                let (revenue, orders) = per_day.get(&d).copied().unwrap_or((0, 0));
                DaySales {
                    date: d.to_string(),
                    label: d.strftime("%-d %b").to_string(),
                    revenue: Money::new(revenue, currency),
                    orders,
                }
            })
            .collect();
        let period = |label: &str, n: usize| {
            let recent = &days[days.len().saturating_sub(n)..];
            let revenue: i64 = recent.iter().map(|d| d.revenue.minor()).sum();
            let orders: u64 = recent.iter().map(|d| d.orders).sum();
            PeriodFigures {
                label: label.to_string(),
                revenue: Money::new(revenue, currency),
                orders,
                average: (orders > 0).then(|| Money::new(revenue / orders as i64, currency)),
            }
        };
        let periods = vec![
            period("Today", 1),
            period("Last 7 days", 7),
            period("Last 30 days", 30),
        ];
        let mut top: Vec<TopProduct> = products.into_values().collect();
        top.sort_by(|a, b| {
            b.units
                .cmp(&a.units)
                .then(b.revenue.minor().cmp(&a.revenue.minor()))
        });
        top.truncate(5);

        let waiting = doc! { "status": OrderStatus::Paid.as_str() };
        let to_ship_count = store::orders(db).count_documents(waiting.clone()).await?;
        let to_ship: Vec<OrderSummary> = store::orders(db)
            .find(waiting)
            .sort(doc! { "created_at": 1 })
            .limit(8)
            .await?
            .try_collect::<Vec<_>>()
            .await?
            .iter()
            .map(|o| o.summary())
            .collect();
        let awaiting_payment = store::orders(db)
            .count_documents(doc! { "status": OrderStatus::AwaitingPayment.as_str() })
            .await?;
        let low_stock = crate::catalog::store::low_stock(db, LOW_STOCK_AT, 10)
            .await?
            .into_iter()
            .map(|(p, v)| LowStock {
                product_id: p.id.to_hex(),
                name: p.name.clone(),
                variant_label: p.variant_label(&v),
                sku: v.sku.to_string(),
                stock: v.stock,
            })
            .collect();
        Ok(Dashboard {
            timezone: zone_name,
            periods,
            days,
            top_products: top,
            low_stock,
            to_ship,
            to_ship_count,
            awaiting_payment,
        })
    }
}
