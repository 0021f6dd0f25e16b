//! The admin's order pages: the list with filters and search, and one order with
//! the moves it may make.

use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::AdminGate;
use crate::orders::api::{admin_order_detail, admin_orders, AdminSetOrderStatus};
use crate::orders::pages::{OrderDetails, OrderTable, StatusBadge};
use crate::orders::types::OrderStatus;
use crate::shared::text::url_encode;
use crate::ui::forms::FormAlert;
use crate::ui::head::PageTitle;
use crate::ui::nav::Pagination;
use crate::ui::ErrorPage;

#[component]
pub fn AdminOrdersPage() -> impl IntoView {
    let query = use_query_map();
    let status = Memo::new(move |_| query.with(|q| q.get("status")));
    let q = Memo::new(move |_| query.with(|m| m.get("q")));
    let page = Memo::new(move |_| query.with(|m| m.get("page")));
    let orders = Resource::new(
        move || (status.get(), q.get(), page.get()),
        |(s, q, p)| admin_orders(s, q, p),
    );
    view! {
        <PageTitle text="Orders – admin" />
        <Meta name="description" content="All orders, by status, with search by e-mail or order number." />
        <AdminGate>
            <h1>"Orders"</h1>
            <form method="get" action="/admin/orders" class="toolbar" role="search" aria-label="Filter orders">
                <div class="field grow">
                <label for="o-q">"E-mail or order number"</label>
                <input id="o-q" type="search" name="q" value=move || q.get().unwrap_or_default() maxlength="200" />
                </div>
                <div class="field">
                <label for="o-status">"Status"</label>
                <select id="o-status" name="status">
                    <option value="all">"All"</option>
                    {OrderStatus::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || status.get().as_deref() == Some(s.as_str())>{s.label()}</option>
                    }).collect_view()}
                </select>
                </div>
                <button type="submit">"Filter"</button>
            </form>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match orders.await {
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                        Ok(p) if p.orders.is_empty() => view! { <p>"No orders match."</p> }.into_any(),
                        Ok(p) => {
                            let status = status.get_untracked().unwrap_or_default();
                            let q = q.get_untracked().unwrap_or_default();
                            view! {
                                <p>{format!("{} orders", p.total)}</p>
                                <OrderTable orders=p.orders.clone() admin=true />
                                <Pagination page=p.page pages=p.pages href=move |n| format!("/admin/orders?status={}&q={}&page={n}", url_encode(&status), url_encode(&q)) />
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </AdminGate>
    }
}

#[component]
pub fn AdminOrderPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let set_status = ServerAction::<AdminSetOrderStatus>::new();
    let order = Resource::new(
        move || (id.get(), set_status.version().get()),
        |(id, _)| admin_order_detail(id),
    );
    let err = Signal::derive(move || set_status.value().get().and_then(|r| r.err()));
    view! {
        <AdminGate>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match order.await {
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                        Ok(o) => {
                            let next: Vec<(OrderStatus, &'static str)> = [
                                (OrderStatus::Shipped, "Mark as shipped"),
                                (OrderStatus::Delivered, "Mark as delivered"),
                                (OrderStatus::Cancelled, if o.status == OrderStatus::Paid { "Cancel and refund" } else { "Cancel order" }),
                            ]
                            .into_iter()
                            .filter(|(s, _)| o.status.can_become(*s))
                            .collect();
                            let id = o.id.clone();
                            view! {
                                <PageTitle text=format!("Order {} – admin", o.number) />
                                <Meta name="description" content="Order details for the shop." />
                                <div class="page-header">
                                    <h1>"Order " {o.number.to_string()}</h1>
                                    <p>"Status: " <StatusBadge status=o.status /></p>
                                </div>
                                <p>{format!("{} <{}> — placed {}", o.customer_name, o.email, o.placed_at)}</p>
                                {o.payment_reference.clone().map(|p| view! { <p class="muted">{format!("Payment reference: {p}")}</p> })}
                                <FormAlert error=err />
                                <div class="row-actions">
                                    {next.into_iter().map(|(s, label)| {
                                        let id = id.clone();
                                        view! {
                                            <ActionForm action=set_status>
                                                <input type="hidden" name="id" value=id />
                                                <input type="hidden" name="status" value=s.as_str() />
                                                <button type="submit" class=if s == OrderStatus::Cancelled { "danger" } else { "" }>{label}</button>
                                            </ActionForm>
                                        }
                                    }).collect_view()}
                                </div>
                                <OrderDetails order=o.clone() />
                                <p><a href="/admin/orders">"← All orders"</a></p>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </AdminGate>
    }
}
