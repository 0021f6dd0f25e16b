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
use super::types::{Address, OrderStatus, OrderSummary, OrderView};
use crate::shared::address;
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
                                        <AddressFields initial=addr.clone() error=err />
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
                    {o.address.lines().into_iter().enumerate().map(|(i, l)| view! {
                        {(i > 0).then(|| view! { <br /> })}
                        {l}
                    }).collect_view()}
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

/// The shipping address fields, laid out for the chosen country: its postal code and
/// region names ("ZIP code", "State"), its region list, and no city or postal code
/// where it has none. Changing the country (with JavaScript) relabels the fields in
/// place, so typed and autofilled values stay; without JavaScript the server checks
/// the region against the country sent and shows the right list with its message.
#[component]
fn AddressFields(initial: Address, #[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let kept = move |name: &'static str, init: String| {
        Signal::derive(move || {
            error
                .get()
                .and_then(|e| e.kept_value(name))
                .unwrap_or_else(|| init.clone())
        })
    };
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };
    let start = if initial.country.is_empty() {
        "US".to_string()
    } else {
        initial.country.clone()
    };
    let country = RwSignal::new(kept("country", start).get_untracked());
    // A new submission's kept country wins over the one chosen before it.
    Effect::new(move |_| {
        if let Some(c) = error.get().and_then(|e| e.kept_value("country")) {
            country.set(c);
        }
    });
    let data = move || address::country(&country.get());
    let region_value = kept("region", initial.region.clone());
    let region_list = move || !data().regions.is_empty();
    let region_free = move || address::has_region(data()) && data().regions.is_empty();
    let region_label = move || {
        let c = data();
        let l = if c.region_label.is_empty() {
            "Region"
        } else {
            c.region_label
        };
        if c.region_required {
            l.to_string()
        } else {
            format!("{l} (optional)")
        }
    };
    let city_label = move || {
        let c = data();
        let l = if c.city_label.is_empty() {
            "Town or city"
        } else {
            c.city_label
        };
        if c.city_label == "City" {
            "Town or city".to_string()
        } else {
            l.to_string()
        }
    };
    let postal_label = move || {
        let c = data();
        if c.postal_required {
            c.postal_label.to_string()
        } else {
            format!("{} (optional)", c.postal_label)
        }
    };
    let postal_hint = move || {
        let ex = data().postal_example;
        (!ex.is_empty()).then(|| format!("Like {ex}"))
    };
    let invalid = move |name: &'static str| move || field(name).get().is_some().then_some("true");
    let err_p = move |name: &'static str| {
        move || {
            field(name).get().map(
                |m| view! { <p class="field-error" id=format!("address[{name}]-error")>{m}</p> },
            )
        }
    };
    let postal_value = kept("postal_code", initial.postal_code.clone());
    let city_value = kept("city", initial.city.clone());
    view! {
        <div class="field" class:has-error=move || field("country").get().is_some()>
            <label for="address[country]">"Country"</label>
            <select id="address[country]" name="address[country]" autocomplete="shipping country"
                aria-invalid=invalid("country")
                on:change=move |ev| country.set(event_target_value(&ev))>
                {address::shipping_countries().map(|c| {
                    let code = c.code;
                    view! { <option value=code selected=move || country.get() == code>{c.name}</option> }
                }).collect_view()}
            </select>
            {err_p("country")}
        </div>
        <TextField name="address[name]" id_prefix="" label="Full name" autocomplete="shipping name" required=true maxlength=100u32
            value=kept("name", initial.name.clone()) error=field("name") />
        <TextField name="address[line1]" label="Street and number" autocomplete="shipping address-line1" required=true maxlength=120u32
            value=kept("line1", initial.line1.clone()) error=field("line1") />
        <TextField name="address[line2]" label="Apartment, floor (optional)" autocomplete="shipping address-line2" maxlength=120u32
            value=kept("line2", initial.line2.clone()) error=field("line2") />
        <div class="grid-2">
            <div class="field" class:has-error=move || field("city").get().is_some() hidden=move || data().city_label.is_empty()>
                <label for="address[city]">{city_label}</label>
                <input id="address[city]" name="address[city]" type="text" autocomplete="shipping address-level2" maxlength="80"
                    prop:value=move || city_value.get() value=move || city_value.get()
                    disabled=move || data().city_label.is_empty()
                    aria-invalid=invalid("city") />
                {err_p("city")}
            </div>
            <div class="field" class:has-error=move || field("region").get().is_some() hidden=move || !address::has_region(data())>
                <label for=move || if region_list() { "address[region]" } else { "address[region]-text" }>{region_label}</label>
                <select id="address[region]" name="address[region]" autocomplete="shipping address-level1"
                    hidden=move || !region_list() disabled=move || !region_list() aria-invalid=invalid("region")>
                    <option value="">"Choose…"</option>
                    {move || {
                        let chosen = region_value.get_untracked();
                        data().regions.iter().map(|r| {
                            let selected = r.code.eq_ignore_ascii_case(&chosen) || r.name.eq_ignore_ascii_case(&chosen);
                            view! { <option value=r.code selected=selected>{r.name}</option> }
                        }).collect_view()
                    }}
                </select>
                <input id="address[region]-text" name="address[region]" type="text" autocomplete="shipping address-level1" maxlength="80"
                    hidden=move || !region_free() disabled=move || !region_free()
                    prop:value=move || region_value.get() value=move || region_value.get()
                    aria-invalid=invalid("region") />
                {err_p("region")}
            </div>
            <div class="field" class:has-error=move || field("postal_code").get().is_some() hidden=move || data().postal_label.is_empty()>
                <label for="address[postal_code]">{postal_label}</label>
                {move || postal_hint().map(|h| view! { <p class="hint" id="address[postal_code]-hint">{h}</p> })}
                <input id="address[postal_code]" name="address[postal_code]" type="text" autocomplete="shipping postal-code" maxlength="12"
                    prop:value=move || postal_value.get() value=move || postal_value.get()
                    disabled=move || data().postal_label.is_empty()
                    aria-describedby=move || postal_hint().map(|_| "address[postal_code]-hint")
                    aria-invalid=invalid("postal_code") />
                {err_p("postal_code")}
            </div>
        </div>
    }
}
