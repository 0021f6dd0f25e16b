//! Checkout, the shopper's orders, and the admin order pages.

use leptos::prelude::*;
use leptos_meta::Meta;

use crate::ui::head::PageTitle;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use super::api::{
    admin_orders, checkout_details, my_orders, order_detail, AdminSetOrderStatus, CancelMyOrder,
    PlaceOrder,
};
use super::types::{country_name, OrderStatus, OrderSummary, OrderView, COUNTRIES};
use crate::app::{use_header_version, ErrorPage};
use crate::catalog::pages::Pagination;
use crate::catalog::types::url_encode;
use crate::error::AppError;
use crate::money::format_minor;
use crate::payments::api::PayOrder;
use crate::ui::forms::{FormAlert, TextField};

/// Sends a guest to sign in and come back here.
#[component]
pub fn SignInFirst() -> impl IntoView {
    let location = use_location();
    let path = location.pathname.get_untracked();
    let search = location.search.get_untracked();
    let full = if search.is_empty() {
        path
    } else {
        format!("{path}?{search}")
    };
    view! { <Redirect path=format!("/login?next={}", url_encode(&full)) /> }
}

#[component]
pub fn StatusBadge(status: OrderStatus) -> impl IntoView {
    view! { <span class=format!("status status-{}", status.as_str())>{status.label()}</span> }
}

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let place = ServerAction::<PlaceOrder>::new();
    let header = use_header_version();
    Effect::new(move |_| {
        if let Some(Ok(_)) = place.value().get() {
            header.bump();
        }
    });
    let data = Resource::new(|| (), |_| checkout_details());
    let err = Signal::derive(move || place.value().get().and_then(|r| r.err()));
    let field = move |name: &'static str| {
        Signal::derive(move || err.get().and_then(|e| e.field_message(name)))
    };
    view! {
        <PageTitle text="Checkout" />
        <Meta name="description" content="Enter your shipping address and place your order." />
        <h1>"Checkout"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(AppError::Unauthorized) => view! { <SignInFirst /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(d) if d.cart.is_empty() => view! {
                        <p>"Your cart is empty, so there is nothing to check out."</p>
                        <p><a class="button" href="/products">"Browse products"</a></p>
                    }.into_any(),
                    Ok(d) if d.cart.has_problems() => view! {
                        <div class="alert alert-warn" role="status">
                            <p>"Some products in your cart changed. Please review your cart first."</p>
                        </div>
                        <p><a class="button" href="/cart">"Review your cart"</a></p>
                    }.into_any(),
                    Ok(d) => {
                        let addr = d.address.clone().unwrap_or_default();
                        let kept = move |name: &'static str, initial: String| {
                            Signal::derive(move || err.get().and_then(|e| e.kept_value(name)).unwrap_or_else(|| initial.clone()))
                        };
                        let country_value = kept("country", if addr.country.is_empty() { "US".into() } else { addr.country.clone() });
                        let currency = d.cart.currency.clone();
                        view! {
                            <div class="layout-sidebar">
                                <section aria-labelledby="review-title" class="summary-box">
                                    <h2 id="review-title">"Your order"</h2>
                                    <ul>
                                        {d.cart.lines.iter().map(|l| view! {
                                            <li>{format!("{} × {} — {}", l.quantity, l.name, format_minor(l.line_total, &currency))}</li>
                                        }).collect_view()}
                                    </ul>
                                    <p>"Shipping: free"</p>
                                    <p class="price">"Total: " {d.cart.subtotal_display()}</p>
                                    <p><a href="/cart">"Change your cart"</a></p>
                                </section>
                                <section aria-labelledby="address-title">
                                    <h2 id="address-title">"Shipping address"</h2>
                                    <ActionForm action=place attr:class="stacked" attr:novalidate=true>
                                        <FormAlert error=err />
                                        <input type="hidden" name="checkout_key" value=d.cart.checkout_key.clone() />
                                        <TextField name="address[name]" id_prefix="" label="Full name" autocomplete="shipping name" required=true maxlength=100u32
                                            value=kept("name", addr.name.clone()) error=field("name") />
                                        <TextField name="address[line1]" label="Street and number" autocomplete="shipping address-line1" required=true maxlength=120u32
                                            value=kept("line1", addr.line1.clone()) error=field("line1") />
                                        <TextField name="address[line2]" label="Apartment, floor (optional)" autocomplete="shipping address-line2" maxlength=120u32
                                            value=kept("line2", addr.line2.clone()) error=field("line2") />
                                        <div class="grid-2">
                                            <TextField name="address[postal_code]" label="Postal code" autocomplete="shipping postal-code" required=true maxlength=12u32
                                                value=kept("postal_code", addr.postal_code.clone()) error=field("postal_code") />
                                            <TextField name="address[city]" label="Town or city" autocomplete="shipping address-level2" required=true maxlength=80u32
                                                value=kept("city", addr.city.clone()) error=field("city") />
                                        </div>
                                        <div class="field" class:has-error=move || field("country").get().is_some()>
                                            <label for="address[country]">"Country"</label>
                                            <select id="address[country]" name="address[country]" autocomplete="shipping country"
                                                aria-invalid=move || field("country").get().is_some().then_some("true")>
                                                {COUNTRIES.iter().map(|(code, name)| {
                                                    let code = code.to_string();
                                                    let selected = {
                                                        let code = code.clone();
                                                        move || country_value.get() == code
                                                    };
                                                    view! { <option value=code.clone() selected=selected>{*name}</option> }
                                                }).collect_view()}
                                            </select>
                                            {move || field("country").get().map(|m| view! { <p class="field-error">{m}</p> })}
                                        </div>
                                        <p class="muted">{format!("We will send the confirmation to {}.", d.email)}</p>
                                        <div class="form-actions">
                                            <button type="submit" disabled=move || place.pending().get()>"Place order"</button>
                                        </div>
                                        <p class="muted">"Your items are held for you while you pay."</p>
                                    </ActionForm>
                                </section>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn OrdersPage() -> impl IntoView {
    let query = use_query_map();
    let page =
        Memo::new(move |_| query.with(|q| q.get("page").and_then(|p| p.parse::<u32>().ok())));
    let orders = Resource::new(move || page.get(), my_orders);
    view! {
        <PageTitle text="Your orders" />
        <Meta name="description" content="Every order you placed, newest first." />
        <h1>"Your orders"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match orders.await {
                    Err(AppError::Unauthorized) => view! { <SignInFirst /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(p) if p.orders.is_empty() => view! {
                        <p>"You have not placed any orders yet."</p>
                        <p><a class="button" href="/products">"Start shopping"</a></p>
                    }.into_any(),
                    Ok(p) => view! {
                        <OrderTable orders=p.orders.clone() admin=false />
                        <Pagination page=p.page pages=p.pages href=|n| format!("/account/orders?page={n}") />
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OrderTable(orders: Vec<OrderSummary>, admin: bool) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table>
                <caption class="visually-hidden">"Orders"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Order"</th>
                        <th scope="col">"Placed"</th>
                        {admin.then(|| view! { <th scope="col">"Customer"</th> })}
                        <th scope="col">"Items"</th>
                        <th scope="col" class="num">"Total"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {orders.into_iter().map(|o| {
                        let href = if admin { format!("/admin/orders/{}", o.id) } else { format!("/account/orders/{}", o.id) };
                        view! {
                            <tr>
                                <td><a href=href>{o.number.clone()}</a></td>
                                <td>{o.placed_at.clone()}</td>
                                {admin.then(|| view! { <td>{o.email.clone()}</td> })}
                                <td>{o.item_count}</td>
                                <td class="num">{o.total_display()}</td>
                                <td><StatusBadge status=o.status /></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// An order's lines, totals, address and history.
#[component]
pub fn OrderDetails(order: OrderView) -> impl IntoView {
    let o = order;
    view! {
        <div class="table-wrap">
            <table>
                <caption class="visually-hidden">"Products in this order"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Product"</th>
                        <th scope="col" class="num">"Price"</th>
                        <th scope="col" class="num">"Quantity"</th>
                        <th scope="col" class="num">"Total"</th>
                    </tr>
                </thead>
                <tbody>
                    {o.lines.iter().map(|l| view! {
                        <tr>
                            <td>{l.name.clone()}</td>
                            <td class="num">{o.money(l.unit_price)}</td>
                            <td class="num">{l.quantity}</td>
                            <td class="num">{o.money(l.line_total)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
                <tfoot>
                    <tr><td colspan="3">"Subtotal"</td><td class="num">{o.money(o.subtotal)}</td></tr>
                    <tr><td colspan="3">"Shipping"</td><td class="num">{o.money(o.shipping)}</td></tr>
                    <tr><td colspan="3">"Total"</td><td class="num" data-testid="order-total">{o.money(o.total)}</td></tr>
                </tfoot>
            </table>
        </div>
        <div class="grid-2">
            <section aria-labelledby="ship-title">
                <h2 id="ship-title">"Shipping to"</h2>
                <address>
                    {o.address.name.clone()}<br />
                    {o.address.line1.clone()}<br />
                    {(!o.address.line2.is_empty()).then(|| view! { {o.address.line2.clone()}<br /> })}
                    {format!("{} {}", o.address.postal_code, o.address.city)}<br />
                    {country_name(&o.address.country).to_string()}
                </address>
            </section>
            <section aria-labelledby="history-title">
                <h2 id="history-title">"History"</h2>
                <ol>
                    {o.history.iter().map(|h| view! {
                        <li>
                            <strong>{h.status.label()}</strong>
                            {format!(" — {} (by {})", h.at, h.actor)}
                            {(!h.note.is_empty()).then(|| format!(": {}", h.note))}
                        </li>
                    }).collect_view()}
                </ol>
            </section>
        </div>
    }
}

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let cancel = ServerAction::<CancelMyOrder>::new();
    let pay = ServerAction::<PayOrder>::new();
    let order = Resource::new(
        move || (id.get(), cancel.version().get()),
        |(id, _)| order_detail(id),
    );
    let query = use_query_map();
    let notice = move || {
        query.with(|q| {
            if q.get("placed").is_some() {
                Some(("alert alert-success", "Thank you! Your order is placed. Pay now to complete it."))
            } else if q.get("payment").as_deref() == Some("cancelled") {
                Some(("alert alert-warn", "The payment was not completed. Your order is still waiting; you can try again."))
            } else {
                None
            }
        })
    };
    let pay_err = Signal::derive(move || pay.value().get().and_then(|r| r.err()));
    let cancel_err = Signal::derive(move || cancel.value().get().and_then(|r| r.err()));
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match order.await {
                    Err(AppError::Unauthorized) => view! { <SignInFirst /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(o) => {
                        let unpaid = o.status == OrderStatus::AwaitingPayment;
                        let (id_pay, id_cancel) = (o.id.clone(), o.id.clone());
                        view! {
                            <PageTitle text=format!("Order {}", o.number) />
                            <Meta name="description" content=format!("Order {}: status, products and shipping address.", o.number) />
                            <div class="page-header">
                                <h1>"Order " {o.number.clone()}</h1>
                                <p>"Status: " <StatusBadge status=o.status /></p>
                            </div>
                            {move || notice().map(|(class, text)| view! { <div class=class role="status"><p>{text}</p></div> })}
                            <p class="muted">{format!("Placed {}", o.placed_at)}</p>
                            {unpaid.then(|| view! {
                                <section class="summary-box" aria-labelledby="pay-title">
                                    <h2 id="pay-title">"Payment"</h2>
                                    {o.pay_by.clone().map(|t| view! { <p>{format!("Please pay by {t}; after that the items are released.")}</p> })}
                                    <FormAlert error=pay_err />
                                    <div class="row-actions">
                                        <ActionForm action=pay>
                                            <input type="hidden" name="order_id" value=id_pay.clone() />
                                            <button type="submit" disabled=move || pay.pending().get()>"Pay now"</button>
                                        </ActionForm>
                                        <ActionForm action=cancel>
                                            <input type="hidden" name="id" value=id_cancel.clone() />
                                            <button type="submit" class="secondary">"Cancel order"</button>
                                        </ActionForm>
                                    </div>
                                    <FormAlert error=cancel_err />
                                </section>
                            })}
                            {o.refunded.then(|| view! { <p class="alert alert-info">"This order was refunded."</p> })}
                            <OrderDetails order=o.clone() />
                            <p><a href="/account/orders">"← All your orders"</a></p>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

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
        <crate::admin::AdminGate>
            <h1>"Orders"</h1>
            <form method="get" action="/admin/orders" class="search-inline" role="search">
                <label for="o-q">"E-mail or order number"</label>
                <input id="o-q" type="search" name="q" value=move || q.get().unwrap_or_default() maxlength="200" />
                <label for="o-status">"Status"</label>
                <select id="o-status" name="status">
                    <option value="all">"All"</option>
                    {OrderStatus::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || status.get().as_deref() == Some(s.as_str())>{s.label()}</option>
                    }).collect_view()}
                </select>
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
        </crate::admin::AdminGate>
    }
}

#[component]
pub fn AdminOrderPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let set_status = ServerAction::<AdminSetOrderStatus>::new();
    let order = Resource::new(
        move || (id.get(), set_status.version().get()),
        |(id, _)| order_detail(id),
    );
    let err = Signal::derive(move || set_status.value().get().and_then(|r| r.err()));
    view! {
        <crate::admin::AdminGate>
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
                                    <h1>"Order " {o.number.clone()}</h1>
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
        </crate::admin::AdminGate>
    }
}
