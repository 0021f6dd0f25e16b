//! `/admin`: the shop at a glance — revenue and orders for today, 7 and 30 days,
//! sales per day as a chart drawn on the server (SVG, with the same figures as a
//! table), best sellers, low stock and the orders waiting to ship.

use leptos::prelude::*;
use leptos_meta::Meta;

use super::AdminGate;
use crate::orders::dashboard::{admin_dashboard, DaySales};
use crate::shared::Money;
use crate::ui::head::PageTitle;
use crate::ui::ErrorPage;

#[component]
pub fn AdminHome() -> impl IntoView {
    let data = Resource::new(|| (), |_| admin_dashboard());
    view! {
        <PageTitle text="Dashboard – admin" />
        <Meta name="description" content="The shop at a glance: revenue, orders, best sellers, stock and orders to ship." />
        <AdminGate>
            <div class="page-header">
                <h1>"Dashboard"</h1>
                <p class="actions">
                    <a class="button" href="/admin/products/new">"Add a product"</a>
                    " "
                    <a class="button secondary" href="/admin/orders?status=paid">"Orders to ship"</a>
                </p>
            </div>
            <Suspense fallback=|| view! { <p>"Loading the figures…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                        Ok(d) => view! {
                            <p class="muted">{format!("Days are counted in the shop's time zone, {}. Revenue counts paid, shipped and delivered orders by the day they were placed.", d.timezone)}</p>
                            <ul class="kpis" aria-label="Revenue and orders">
                                {d.periods.iter().map(|p| view! {
                                    <li class="kpi" data-testid=format!("kpi-{}", p.label.to_lowercase().replace(' ', "-"))>
                                        <span class="kpi-label">{p.label.clone()}</span>
                                        <span class="kpi-value" data-testid="revenue">{p.revenue.to_string()}</span>
                                        <span class="kpi-sub">
                                            <span data-testid="orders">{p.orders}</span>
                                            {if p.orders == 1 { " order" } else { " orders" }}
                                            {p.average.map(|a| format!(" · {a} per order"))}
                                        </span>
                                    </li>
                                }).collect_view()}
                                <li class="kpi">
                                    <span class="kpi-label">"To ship"</span>
                                    <span class="kpi-value" data-testid="to-ship">{d.to_ship_count}</span>
                                    <span class="kpi-sub">{format!("{} awaiting payment", d.awaiting_payment)}</span>
                                </li>
                            </ul>
                            <SalesChart days=d.days.clone() />
                            <div class="dash-grid">
                                <section class="panel" aria-labelledby="to-ship-title">
                                    <h2 id="to-ship-title">"Waiting to ship"</h2>
                                    {if d.to_ship.is_empty() {
                                        view! { <p class="muted">"Nothing to ship: every paid order has gone out."</p> }.into_any()
                                    } else {
                                        view! {
                                            <table class="responsive-table">
                                                <thead><tr>
                                                    <th scope="col">"Order"</th>
                                                    <th scope="col">"Placed"</th>
                                                    <th scope="col" class="num">"Total"</th>
                                                </tr></thead>
                                                <tbody>
                                                    {d.to_ship.iter().map(|o| view! {
                                                        <tr>
                                                            <td class="row-title">
                                                                <a href=format!("/admin/orders/{}", o.id)>{o.number.to_string()}</a>
                                                                <br /><span class="muted break">{o.email.clone()}</span>
                                                            </td>
                                                            <td data-label="Placed">{o.placed_at.clone()}</td>
                                                            <td class="num" data-label="Total">{o.total.to_string()}</td>
                                                        </tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                            {(d.to_ship_count > d.to_ship.len() as u64).then(|| view! {
                                                <p><a href="/admin/orders?status=paid">{format!("All {} orders to ship", d.to_ship_count)}</a></p>
                                            })}
                                        }.into_any()
                                    }}
                                </section>
                                <section class="panel" aria-labelledby="top-title">
                                    <h2 id="top-title">"Best sellers, last 30 days"</h2>
                                    {if d.top_products.is_empty() {
                                        view! { <p class="muted">"No sales in the last 30 days yet."</p> }.into_any()
                                    } else {
                                        view! {
                                            <table class="responsive-table">
                                                <thead><tr>
                                                    <th scope="col">"Product"</th>
                                                    <th scope="col" class="num">"Units"</th>
                                                    <th scope="col" class="num">"Revenue"</th>
                                                </tr></thead>
                                                <tbody>
                                                    {d.top_products.iter().map(|t| view! {
                                                        <tr>
                                                            <td class="row-title"><a href=format!("/products/{}", t.slug)>{t.name.clone()}</a></td>
                                                            <td class="num" data-label="Units">{t.units}</td>
                                                            <td class="num" data-label="Revenue">{t.revenue.to_string()}</td>
                                                        </tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        }.into_any()
                                    }}
                                </section>
                                <section class="panel" aria-labelledby="low-title">
                                    <h2 id="low-title">"Low stock"</h2>
                                    {if d.low_stock.is_empty() {
                                        view! { <p class="muted">"Every variant has more than a few units."</p> }.into_any()
                                    } else {
                                        view! {
                                            <table class="responsive-table">
                                                <thead><tr>
                                                    <th scope="col">"Product"</th>
                                                    <th scope="col">"SKU"</th>
                                                    <th scope="col" class="num">"Units left"</th>
                                                </tr></thead>
                                                <tbody>
                                                    {d.low_stock.iter().map(|l| view! {
                                                        <tr>
                                                            <td class="row-title">
                                                                <a href=format!("/admin/products/{}", l.product_id)>{l.name.clone()}</a>
                                                                {(!l.variant_label.is_empty()).then(|| view! { <br /><span class="variant-label">{l.variant_label.clone()}</span> })}
                                                            </td>
                                                            <td data-label="SKU" class="sku">{l.sku.clone()}</td>
                                                            <td class="num" data-label="Units left">
                                                                <span class=if l.stock <= 0 { "status status-cancelled" } else { "status status-awaiting_payment" }>
                                                                    {if l.stock <= 0 { "Sold out".to_string() } else { l.stock.to_string() }}
                                                                </span>
                                                            </td>
                                                        </tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        }.into_any()
                                    }}
                                </section>
                                <section class="panel" aria-labelledby="manage-title">
                                    <h2 id="manage-title">"Manage the shop"</h2>
                                    <ul class="inline-links">
                                        <li><a href="/admin/products">"Products and stock"</a></li>
                                        <li><a href="/admin/categories">"Categories"</a></li>
                                        <li><a href="/admin/orders">"All orders"</a></li>
                                        <li><a href="/admin/shipping">"Shipping"</a></li>
                                        <li><a href="/admin/taxes">"Taxes"</a></li>
                                        <li><a href="/admin/discounts">"Discount codes"</a></li>
                                        <li><a href="/admin/settings">"Shop settings"</a></li>
                                    </ul>
                                </section>
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </AdminGate>
    }
}

/// Sales per day as bars, drawn on the server: readable without JavaScript; the
/// figures are also in a table (for screen readers and anyone who wants numbers).
#[component]
fn SalesChart(days: Vec<DaySales>) -> impl IntoView {
    const W: f64 = 960.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 64.0;
    const BOTTOM: f64 = 28.0;
    const TOP: f64 = 12.0;
    let max = days.iter().map(|d| d.revenue.minor()).max().unwrap_or(0);
    let currency = days.first().map(|d| d.revenue.currency());
    let scale_top = nice_ceiling(max.max(1));
    let plot_w = W - LEFT - 8.0;
    let plot_h = H - TOP - BOTTOM;
    let slot = plot_w / days.len().max(1) as f64;
    let total: i64 = days.iter().map(|d| d.revenue.minor()).sum();
    let money = move |minor: i64| {
        currency
            .map(|c| Money::new(minor, c).to_string())
            .unwrap_or_default()
    };
    let summary = format!(
        "Revenue per day over the last {} days: {} in total, the best day {}.",
        days.len(),
        money(total),
        money(max)
    );
    let gridlines: Vec<(f64, String)> = (0..=4)
        .map(|k| {
            let value = scale_top * k / 4;
            let y = TOP + plot_h - plot_h * (value as f64 / scale_top as f64);
            (y, money(value))
        })
        .collect();
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let h = plot_h * (d.revenue.minor() as f64 / scale_top as f64);
            let x = LEFT + slot * i as f64 + slot * 0.15;
            // A date under every seventh bar and the last (not crowding it).
            let label = ((i % 7 == 0 && i + 4 < days.len()) || i + 1 == days.len())
                .then(|| d.label.clone());
            (
                x,
                TOP + plot_h - h,
                h,
                slot * 0.7,
                label,
                format!("{}: {} from {} orders", d.label, d.revenue, d.orders),
            )
        })
        .collect::<Vec<_>>();
    view! {
        <figure class="chart" aria-labelledby="chart-title">
            <figcaption id="chart-title">"Sales per day, last 30 days"</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=summary.clone() preserveAspectRatio="xMidYMid meet">
                {gridlines.into_iter().map(|(y, label)| view! {
                    <line class="axis" x1=LEFT x2=W - 8.0 y1=y y2=y />
                    <text x=LEFT - 6.0 y=y + 4.0 text-anchor="end">{label}</text>
                }).collect_view()}
                {bars.into_iter().map(|(x, y, h, w, label, title)| view! {
                    <rect class="bar" x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{w:.1}") height=format!("{:.1}", h.max(0.0))>
                        <title>{title}</title>
                    </rect>
                    {label.map(|l| view! { <text x=format!("{:.1}", x + w / 2.0) y=H - 8.0 text-anchor="middle">{l}</text> })}
                }).collect_view()}
            </svg>
            <details class="chart-table">
                <summary>"Show the figures as a table"</summary>
                <table class="responsive-table">
                    <caption class="visually-hidden">{summary}</caption>
                    <thead><tr>
                        <th scope="col">"Day"</th>
                        <th scope="col" class="num">"Orders"</th>
                        <th scope="col" class="num">"Revenue"</th>
                    </tr></thead>
                    <tbody>
                        {days.iter().rev().map(|d| view! {
                            <tr>
                                <td class="row-title">{d.label.clone()}</td>
                                <td class="num" data-label="Orders">{d.orders}</td>
                                <td class="num" data-label="Revenue">{d.revenue.to_string()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </figure>
    }
}

/// A round number at or above `n` for the top of the chart's scale (1, 2 or 5 × 10^k).
fn nice_ceiling(n: i64) -> i64 {
    let mut step = 1i64;
    while step * 10 <= n {
        step *= 10;
    }
    [1, 2, 5, 10]
        .into_iter()
        .map(|m| step * m)
        .find(|top| *top >= n)
        .unwrap_or(step * 10)
}

#[cfg(test)]
mod tests {
    use super::nice_ceiling;

    #[test]
    fn the_scale_tops_out_at_a_round_number() {
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(1_234), 2_000);
        assert_eq!(nice_ceiling(45_000), 50_000);
        assert_eq!(nice_ceiling(100_000), 100_000);
    }
}
