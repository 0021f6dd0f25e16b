//! Checkout, the shopper's orders, and the admin order pages.

use leptos::prelude::*;
use leptos_meta::Meta;

use crate::ui::head::PageTitle;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use super::api::{
    checkout_details, my_orders, order_detail, order_payment_status, CancelMyOrder, PayOrder,
    PlaceOrder,
};
use super::types::{country_name, OrderStatus, OrderSummary, OrderView, COUNTRIES};
use crate::shared::text::url_encode;
use crate::shared::AppError;
use crate::ui::forms::{FormAlert, TextField};
use crate::ui::nav::Pagination;
use crate::ui::{use_header_version, ErrorPage};

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
                        view! {
                            <div class="layout-sidebar">
                                <section aria-labelledby="review-title" class="summary-box">
                                    <h2 id="review-title">"Your order"</h2>
                                    <ul>
                                        {d.cart.lines.iter().map(|l| view! {
                                            <li>
                                                {format!("{} × {}", l.quantity, l.name)}
                                                {(!l.variant_label.is_empty()).then(|| view! { <span class="variant-label">{format!(" ({})", l.variant_label)}</span> })}
                                                {format!(" — {}", l.line_total)}
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                    <p>"Shipping: free"</p>
                                    <p class="price">"Total: " {d.cart.subtotal.to_string()}</p>
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
pub fn OrderTable(orders: Vec<OrderSummary>, admin: bool) -> impl IntoView {
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
                                <td><a href=href>{o.number.to_string()}</a></td>
                                <td>{o.placed_at.clone()}</td>
                                {admin.then(|| view! { <td>{o.email.clone()}</td> })}
                                <td>{o.item_count}</td>
                                <td class="num">{o.total.to_string()}</td>
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
                            <td>
                                {l.name.clone()}
                                {(!l.variant_label.is_empty()).then(|| view! { <br /><span class="variant-label">{l.variant_label.clone()}</span> })}
                                {(!l.sku.is_empty()).then(|| view! { <br /><span class="muted sku">"SKU " {l.sku.clone()}</span> })}
                            </td>
                            <td class="num">{l.unit_price.to_string()}</td>
                            <td class="num">{l.quantity.get()}</td>
                            <td class="num">{l.line_total.to_string()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
                <tfoot>
                    <tr><td colspan="3">"Subtotal"</td><td class="num">{o.subtotal.to_string()}</td></tr>
                    <tr><td colspan="3">"Shipping"</td><td class="num">{o.shipping.to_string()}</td></tr>
                    <tr><td colspan="3">"Total"</td><td class="num" data-testid="order-total">{o.total.to_string()}</td></tr>
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
                                <h1>"Order " {o.number.to_string()}</h1>
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

/// Shows the order and its live status: "paid", or "confirming your payment"
/// until the payment is confirmed (it checks again every two seconds).
#[component]
pub fn CheckoutSuccessPage() -> impl IntoView {
    let query = use_query_map();
    let order_id = Memo::new(move |_| query.with(|q| q.get("order").unwrap_or_default()));
    let tick = RwSignal::new(0u32);
    let status = Resource::new(
        move || (order_id.get(), tick.get()),
        |(id, _)| order_payment_status(id),
    );
    let header = use_header_version();
    Effect::new(move |_| header.bump());

    // Poll while the payment is being confirmed (only in the browser).
    Effect::new(move |_| {
        if let Some(Ok(o)) = status.get() {
            if o.status == OrderStatus::AwaitingPayment && tick.get_untracked() < 60 {
                set_timeout(
                    move || tick.update(|t| *t += 1),
                    std::time::Duration::from_secs(2),
                );
            }
        }
    });

    view! {
        <PageTitle text="Thank you for your order" />
        <Meta name="description" content="Your payment and order confirmation." />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Err(AppError::Unauthorized) => view! { <SignInFirst /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(o) => {
                        let paid = matches!(o.status, OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered);
                        view! {
                            <h1>{if paid { "Thank you! Your payment was received." } else { "Thank you!" }}</h1>
                            <div class=if paid { "alert alert-success" } else { "alert alert-info" } role="status" aria-live="polite">
                                {if paid {
                                    view! { <p>{format!("Order {} is paid. A confirmation is on its way to {}.", o.number, o.email)}</p> }.into_any()
                                } else if o.status == OrderStatus::AwaitingPayment {
                                    view! { <p>"We are confirming your payment. This page updates by itself; you can also "
                                        <a href=format!("/checkout/success?order={}", o.id)>"check again"</a> "."</p> }.into_any()
                                } else {
                                    view! { <p>"This order was cancelled."</p> }.into_any()
                                }}
                            </div>
                            <p>"Order " <strong>{o.number.to_string()}</strong> " — status: " <StatusBadge status=o.status /></p>
                            <OrderDetails order=o.clone() />
                            <p><a href=format!("/account/orders/{}", o.id)>"View this order"</a> " · " <a href="/account/orders">"All your orders"</a></p>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
