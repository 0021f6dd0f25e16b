//! Checkout, the shopper's orders, and the admin order pages.

use leptos::prelude::*;
use leptos_meta::Meta;

use crate::ui::head::PageTitle;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

use super::api::{
    checkout_details, my_addresses, my_orders, order_detail, order_payment_status, AddAddress,
    CancelMyOrder, ChangeAddress, ClaimGuestOrders, PayOrder, PlaceOrder, RequestGuestOrders,
};
use super::rules::Quote;
use super::rules_api::checkout_quote;
use super::types::{Address, OrderStatus, OrderSummary, OrderView};
use crate::shared::address;
use crate::shared::text::url_encode;
use crate::shared::AppError;
use crate::ui::forms::{success_message, FormAlert, FormSuccess, TextField};
use crate::ui::nav::Pagination;
use crate::ui::{use_header_version, ErrorPage, Thumb};

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
    let query = use_query_map();
    // `?address=<id>` fills the form with an address from the book (a plain link).
    let chosen_address = Memo::new(move |_| query.with(|q| q.get("address")));
    let data = Resource::new(move || chosen_address.get(), checkout_details);
    let err = Signal::derive(move || place.value().get().and_then(|r| r.err()));
    // What the totals depend on: set as the shopper changes them (with the app
    // loaded); before that, the values a refused submission kept (None: the
    // server's default, the last address used).
    let country = RwSignal::new(None::<String>);
    let region = RwSignal::new(None::<String>);
    let shipping = RwSignal::new(None::<String>);
    let code = RwSignal::new(None::<String>);
    let kept = move |key: &'static str| err.get().and_then(|e| e.kept_value(key));
    let quote = Resource::new(
        move || {
            (
                country.get().or_else(|| kept("country")),
                region.get().or_else(|| kept("region")),
                shipping.get().or_else(|| kept("shipping")),
                code.get().or_else(|| kept("discount_code")),
            )
        },
        |(c, r, s, d)| checkout_quote(c, r, s, d),
    );
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <PageTitle text="Checkout" />
        <Meta name="description" content="Enter your shipping address, choose delivery and pay." />
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
                        let mut addr = d.address.clone().unwrap_or_default();
                        if addr.name.is_empty() {
                            addr.name = d.name.clone();
                        }
                        let code_value = Signal::derive(move || kept("discount_code").unwrap_or_default());
                        let code_error = Signal::derive(move || err.get().and_then(|e| e.field_message("discount_code")));
                        view! {
                            <div class="layout-sidebar">
                                <section aria-labelledby="review-title" class="summary-box">
                                    <h2 id="review-title">"Your order"</h2>
                                    <ul class="summary-lines">
                                        {d.cart.lines.iter().map(|l| view! {
                                            <li class="summary-line">
                                                <Thumb picture=l.picture.clone() size=48 />
                                                <span>
                                                    {format!("{} × {}", l.quantity, l.name)}
                                                    {(!l.variant_label.is_empty()).then(|| view! { <span class="variant-label">{format!(" ({})", l.variant_label)}</span> })}
                                                    {format!(" — {}", l.line_total)}
                                                </span>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                    <Transition fallback=|| view! { <p>"Working out shipping and tax…"</p> }>
                                        {move || Suspend::new(async move {
                                            match quote.await {
                                                Err(e) => view! { <p class="field-error">{format!("The totals could not be worked out: {e}")}</p> }.into_any(),
                                                Ok(q) => view! { <QuoteTotals quote=q /> }.into_any(),
                                            }
                                        })}
                                    </Transition>
                                    <p><a href="/cart">"Change your cart"</a></p>
                                </section>
                                <section aria-labelledby="address-title">
                                    <h2 id="address-title">"Shipping address"</h2>
                                    <ActionForm action=place attr:class="stacked" attr:novalidate=true>
                                        <FormAlert error=err />
                                        <input type="hidden" name="checkout_key" value=d.cart.checkout_key.clone() />
                                        {(!d.signed_in).then(|| view! {
                                            <p class="muted">"Buying as a guest. Have an account? "
                                                <a href="/login?next=%2Fcheckout">"Sign in"</a>" for your saved address."</p>
                                            <TextField name="email" id_prefix="guest-" kind="email" label="E-mail address" autocomplete="email" required=true maxlength=254u32
                                                hint="For the confirmation and the link to your order."
                                                value=Signal::derive(move || kept("email").unwrap_or_default())
                                                error=Signal::derive(move || err.get().and_then(|e| e.field_message("email"))) />
                                        })}
                                        {(d.saved.len() > 1).then(|| view! {
                                            <details class="saved-addresses">
                                                <summary>"Use another saved address"</summary>
                                                <ul>
                                                    {d.saved.iter().map(|a| view! {
                                                        <li><a href=format!("/checkout?address={}", a.id)>{a.one_line()}</a></li>
                                                    }).collect_view()}
                                                </ul>
                                            </details>
                                        })}
                                        <AddressFields initial=addr.clone() error=err country=country region=region />
                                        {d.signed_in.then(|| view! {
                                            <div class="field">
                                                <label class="checkbox">
                                                    <input type="checkbox" name="save_address" value="on" />
                                                    "Save this address in my address book"
                                                </label>
                                            </div>
                                        })}
                                        <fieldset class="delivery" class:has-error=move || err.get().and_then(|e| e.field_message("shipping")).is_some()>
                                            <legend>"Delivery"</legend>
                                            <Transition fallback=|| view! { <p>"Finding delivery methods…"</p> }>
                                                {move || Suspend::new(async move {
                                                    let q = quote.await;
                                                    view! { <DeliveryChoice quote=q shipping=shipping error=err /> }
                                                })}
                                            </Transition>
                                        </fieldset>
                                        <div class="field code-field" class:has-error=move || code_error.get().is_some()>
                                            <label for="discount_code">"Discount code (optional)"</label>
                                            <div class="inline-input">
                                                <input id="discount_code" name="discount_code" type="text" maxlength="32" autocomplete="off"
                                                    prop:value=move || code_value.get() value=move || code_value.get()
                                                    aria-invalid=move || code_error.get().is_some().then_some("true")
                                                    on:change=move |ev| code.set(Some(event_target_value(&ev))) />
                                                {move || hydrated.get().then(|| view! {
                                                    <button type="button" class="secondary">"Apply"</button>
                                                })}
                                            </div>
                                            {move || code_error.get().map(|m| view! { <p class="field-error">{m}</p> })}
                                            <Transition fallback=|| ()>
                                                {move || Suspend::new(async move {
                                                    quote.await.ok().and_then(|q| q.code_message.clone().map(|m| {
                                                        let class = if q.code_ok { "field-ok" } else { "field-error" };
                                                        view! { <p class=class role="status">{m}</p> }
                                                    }))
                                                })}
                                            </Transition>
                                        </div>
                                        {d.signed_in.then(|| view! { <p class="muted">{format!("We will send the confirmation to {}.", d.email)}</p> })}
                                        <div class="form-actions">
                                            <button type="submit" disabled=move || place.pending().get()>"Place order and pay"</button>
                                        </div>
                                        <p class="muted">"Next comes the secure payment page. Your items are held for you while you pay."</p>
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

/// Subtotal, discount, shipping, tax and total of a quote.
#[component]
fn QuoteTotals(quote: Quote) -> impl IntoView {
    let q = quote;
    let shipping = if q.methods.is_empty() && q.notice.is_none() {
        "free".to_string()
    } else if q.notice.is_some() {
        "—".to_string()
    } else if q.shipping.is_zero() {
        "free".to_string()
    } else {
        q.shipping.to_string()
    };
    view! {
        {q.notice.clone().map(|n| view! { <p class="alert alert-warn" role="status">{n}</p> })}
        <dl class="totals" aria-live="polite">
            <dt>"Subtotal"</dt><dd>{q.subtotal.to_string()}</dd>
            {(!q.discount.is_zero()).then(|| view! { <dt>"Discount"</dt><dd>{format!("−{}", q.discount)}</dd> })}
            <dt>"Shipping"</dt><dd>{shipping}</dd>
            {(!q.tax_name.is_empty() && !q.tax_included).then(|| view! { <dt>{q.tax_name.clone()}</dt><dd>{q.tax.to_string()}</dd> })}
            <dt class="total">"Total"</dt><dd class="total" data-testid="checkout-total">{q.total.to_string()}</dd>
        </dl>
        {(q.tax_included && !q.tax.is_zero()).then(|| view! {
            <p class="muted">{format!("Includes {} of {}.", q.tax, q.tax_name)}</p>
        })}
    }
}

/// The delivery methods for the address, as radio buttons.
#[component]
fn DeliveryChoice(
    quote: Result<Quote, AppError>,
    shipping: RwSignal<Option<String>>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let notice = quote.as_ref().ok().and_then(|q| q.notice.clone());
    // The refusal's message, unless the quote already says the same.
    let message = move || {
        error
            .get()
            .and_then(|e| e.field_message("shipping"))
            .filter(|m| Some(m) != notice.as_ref())
    };
    let body = match quote {
        Err(e) => view! { <p class="field-error">{format!("Delivery methods could not be loaded: {e}")}</p> }.into_any(),
        Ok(q) if q.notice.is_some() => view! { <p class="field-error">{q.notice.clone()}</p> }.into_any(),
        Ok(q) if q.methods.is_empty() => view! { <p>"Free shipping."</p> }.into_any(),
        Ok(q) => {
            let chosen = q.shipping_id.clone().unwrap_or_default();
            q.methods.into_iter().map(|m| {
                let id = format!("ship-{}", m.id);
                let value = m.id.clone();
                let checked = m.id == chosen;
                let price = if m.price.is_zero() { "Free".to_string() } else { m.price.to_string() };
                view! {
                    <div class="radio-option">
                        <input type="radio" id=id.clone() name="shipping" value=m.id.clone() checked=checked
                            on:change=move |_| shipping.set(Some(value.clone())) />
                        <label for=id>
                            <strong>{m.name.clone()}</strong> " — " {price}
                            {(!m.estimate.is_empty()).then(|| view! { <span class="muted">{format!(" ({})", m.estimate)}</span> })}
                        </label>
                    </div>
                }
            }).collect_view().into_any()
        }
    };
    view! {
        {body}
        {move || message().map(|m| view! { <p class="field-error">{m}</p> })}
    }
}

#[component]
pub fn OrdersPage() -> impl IntoView {
    let query = use_query_map();
    let page =
        Memo::new(move |_| query.with(|q| q.get("page").and_then(|p| p.parse::<u32>().ok())));
    let request = ServerAction::<RequestGuestOrders>::new();
    let claim = ServerAction::<ClaimGuestOrders>::new();
    let orders = Resource::new(
        move || (page.get(), claim.version().get()),
        |(p, _)| my_orders(p),
    );
    let claim_token = move || query.with(|q| q.get("claim"));
    let request_err = Signal::derive(move || request.value().get().and_then(|r| r.err()));
    let claim_err = Signal::derive(move || claim.value().get().and_then(|r| r.err()));
    let claimed = success_message(
        claim,
        |n| {
            format!(
                "{n} order{} added to your account.",
                if *n == 1 { " was" } else { "s were" }
            )
        },
        "Your earlier orders were added to your account.",
    );
    view! {
        <PageTitle text="Your orders" />
        <Meta name="description" content="Every order you placed, newest first." />
        <h1>"Your orders"</h1>
        <FormSuccess message=claimed />
        <FormAlert error=claim_err />
        {move || claim_token().filter(|_| claim.value().get().is_none()).map(|t| view! {
            <section class="summary-box" aria-labelledby="claim-title">
                <h2 id="claim-title">"Add your guest orders"</h2>
                <ActionForm action=claim>
                    <input type="hidden" name="token" value=t />
                    <button type="submit">"Add them to my account"</button>
                </ActionForm>
            </section>
        })}
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match orders.await {
                    Err(AppError::Unauthorized) => view! { <SignInFirst /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(p) if p.orders.is_empty() && p.guest_orders == 0 => view! {
                        <p>"You have not placed any orders yet."</p>
                        <p><a class="button" href="/products">"Start shopping"</a></p>
                    }.into_any(),
                    Ok(p) => view! {
                        {(p.guest_orders > 0).then(|| view! {
                            <div class="alert alert-info" role="status">
                                <p>{format!(
                                    "You placed {} order{} as a guest with this e-mail address. To add {} here, we send you a link to confirm the address is yours.",
                                    p.guest_orders,
                                    if p.guest_orders == 1 { "" } else { "s" },
                                    if p.guest_orders == 1 { "it" } else { "them" },
                                )}</p>
                                {move || if request.value().get().is_some_and(|r| r.is_ok()) {
                                    view! { <p><strong>"Sent: open the link in the mail while signed in."</strong></p> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=request>
                                            <button type="submit" class="secondary">"Send me the link"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                                <FormAlert error=request_err />
                            </div>
                        })}
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
        <div>
            <table class="responsive-table order-list">
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
                                <td class="row-title"><a href=href>{o.number.to_string()}</a></td>
                                <td data-label="Placed">{o.placed_at.clone()}</td>
                                {admin.then(|| view! { <td data-label="Customer" class="break">{o.email.clone()}</td> })}
                                <td data-label="Items">{o.item_count}</td>
                                <td class="num" data-label="Total">{o.total.to_string()}</td>
                                <td data-label="Status"><StatusBadge status=o.status /></td>
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
        <div>
            <table class="responsive-table order-lines">
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
                            <td class="line-product">
                                <Thumb picture=l.picture.clone() />
                                <div>
                                {l.name.clone()}
                                {(!l.variant_label.is_empty()).then(|| view! { <br /><span class="variant-label">{l.variant_label.clone()}</span> })}
                                {(!l.sku.is_empty()).then(|| view! { <br /><span class="muted sku">"SKU " {l.sku.clone()}</span> })}
                                </div>
                            </td>
                            <td class="num" data-label="Price">{l.unit_price.to_string()}</td>
                            <td class="num" data-label="Quantity">{l.quantity.get()}</td>
                            <td class="num" data-label="Total">{l.line_total.to_string()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
                <tfoot>
                    <tr><td colspan="3">"Subtotal"</td><td class="num">{o.subtotal.to_string()}</td></tr>
                    {(!o.discount.is_zero()).then(|| view! {
                        <tr><td colspan="3">{match &o.discount_code { Some(c) => format!("Discount ({c})"), None => "Discount".to_string() }}</td>
                            <td class="num">{format!("−{}", o.discount)}</td></tr>
                    })}
                    <tr>
                        <td colspan="3">
                            {match &o.shipping_method { Some(m) => format!("Shipping: {m}"), None => "Shipping".to_string() }}
                            {(!o.shipping_estimate.is_empty()).then(|| view! { <span class="muted">{format!(" ({})", o.shipping_estimate)}</span> })}
                            {(o.discount_code.is_some() && o.discount.is_zero()).then(|| view! { <span class="muted">{format!(" — free with {}", o.discount_code.clone().unwrap_or_default())}</span> })}
                        </td>
                        <td class="num">{if o.shipping.is_zero() { "Free".to_string() } else { o.shipping.to_string() }}</td>
                    </tr>
                    {(!o.tax_included && !o.tax_name.is_empty()).then(|| view! {
                        <tr><td colspan="3">{o.tax_name.clone()}</td><td class="num">{o.tax.to_string()}</td></tr>
                    })}
                    <tr class="total"><td colspan="3">"Total"</td><td class="num" data-testid="order-total">{o.total.to_string()}</td></tr>
                    {(o.tax_included && !o.tax.is_zero()).then(|| view! {
                        <tr><td colspan="3" class="muted">{format!("Includes {}", o.tax_name)}</td><td class="num muted">{o.tax.to_string()}</td></tr>
                    })}
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
    let query = use_query_map();
    // A guest's order opens with the signed token of its link.
    let token = Memo::new(move |_| query.with(|q| q.get("token")));
    let order = Resource::new(
        move || (id.get(), token.get(), cancel.version().get()),
        |(id, token, _)| order_detail(id, token),
    );
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
                                            {token.get_untracked().map(|t| view! { <input type="hidden" name="token" value=t /> })}
                                            <button type="submit" disabled=move || pay.pending().get()>"Pay now"</button>
                                        </ActionForm>
                                        <ActionForm action=cancel>
                                            <input type="hidden" name="id" value=id_cancel.clone() />
                                            {token.get_untracked().map(|t| view! { <input type="hidden" name="token" value=t /> })}
                                            <button type="submit" class="secondary">"Cancel order"</button>
                                        </ActionForm>
                                    </div>
                                    <FormAlert error=cancel_err />
                                </section>
                            })}
                            {o.refunded.then(|| view! { <p class="alert alert-info">"This order was refunded."</p> })}
                            <OrderDetails order=o.clone() />
                            {(!o.guest).then(|| view! { <p><a href="/account/orders">"← All your orders"</a></p> })}
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
    let token = Memo::new(move |_| query.with(|q| q.get("token")));
    let tick = RwSignal::new(0u32);
    let status = Resource::new(
        move || (order_id.get(), token.get(), tick.get()),
        |(id, token, _)| order_payment_status(id, token),
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
                            {match token.get_untracked() {
                                Some(t) if o.guest => view! {
                                    <p><a href=format!("/order/{}?token={}", o.id, t)>"View this order, or keep it in an account"</a></p>
                                }.into_any(),
                                _ => view! {
                                    <p><a href=format!("/account/orders/{}", o.id)>"View this order"</a> " · " <a href="/account/orders">"All your orders"</a></p>
                                }.into_any(),
                            }}
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
fn AddressFields(
    initial: Address,
    #[prop(into)] error: Signal<Option<AppError>>,
    /// Told the country and region as they change (for the totals).
    country: RwSignal<Option<String>>,
    region: RwSignal<Option<String>>,
) -> impl IntoView {
    let (chosen_country, chosen_region) = (country, region);
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
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    country.set(v.clone());
                    chosen_country.set(Some(v));
                    chosen_region.set(Some(String::new()));
                }>
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
                    hidden=move || !region_list() disabled=move || !region_list() aria-invalid=invalid("region")
                    on:change=move |ev| chosen_region.set(Some(event_target_value(&ev)))>
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
                    on:change=move |ev| chosen_region.set(Some(event_target_value(&ev)))
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

/// `/account/addresses`: the account's saved addresses.
#[component]
pub fn AddressesPage() -> impl IntoView {
    let add = ServerAction::<AddAddress>::new();
    let change = ServerAction::<ChangeAddress>::new();
    let list = Resource::new(
        move || (add.version().get(), change.version().get()),
        |_| my_addresses(),
    );
    let add_err = Signal::derive(move || add.value().get().and_then(|r| r.err()));
    let change_err = Signal::derive(move || change.value().get().and_then(|r| r.err()));
    let added = success_message(
        add,
        |_| "The address was saved.".to_string(),
        "The address was saved.",
    );
    let country = RwSignal::new(None::<String>);
    let region = RwSignal::new(None::<String>);
    view! {
        <PageTitle text="Your addresses" />
        <Meta name="description" content="Addresses saved for checkout." />
        <h1>"Your addresses"</h1>
        <p><a href="/account">"← Your account"</a></p>
        <FormAlert error=change_err />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(AppError::Unauthorized) => view! { <SignInFirst /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(l) if l.is_empty() => view! { <p>"No saved addresses yet. Checkout can save the address you ship to."</p> }.into_any(),
                    Ok(l) => view! {
                        <ul class="address-list">
                            {l.into_iter().map(|a| {
                                let (id1, id2) = (a.id.clone(), a.id.clone());
                                let line = a.one_line();
                                view! {
                                    <li class="card">
                                        <address>
                                            {a.address.lines().into_iter().enumerate().map(|(i, l)| view! {
                                                {(i > 0).then(|| view! { <br /> })}
                                                {l}
                                            }).collect_view()}
                                        </address>
                                        {if a.default {
                                            view! { <p><strong>"Default: checkout fills it in"</strong></p> }.into_any()
                                        } else {
                                            view! {
                                                <ActionForm action=change>
                                                    <input type="hidden" name="id" value=id1 />
                                                    <input type="hidden" name="action" value="default" />
                                                    <button type="submit" class="link-button" aria-label=format!("Make {line} the default")>"Make default"</button>
                                                </ActionForm>
                                            }.into_any()
                                        }}
                                        <ActionForm action=change>
                                            <input type="hidden" name="id" value=id2 />
                                            <input type="hidden" name="action" value="delete" />
                                            <button type="submit" class="link-button" aria-label=format!("Delete {}", a.one_line())>"Delete"</button>
                                        </ActionForm>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Suspense>
        <section aria-labelledby="new-address-title">
            <h2 id="new-address-title">"Add an address"</h2>
            <FormSuccess message=added />
            <ActionForm action=add attr:class="stacked" attr:novalidate=true>
                <FormAlert error=add_err />
                <AddressFields initial=Address::default() error=add_err country=country region=region />
                <div class="field">
                    <label class="checkbox">
                        <input type="checkbox" name="make_default" value="on" />
                        "Make it my default address"
                    </label>
                </div>
                <button type="submit">"Save address"</button>
            </ActionForm>
        </section>
    }
}
