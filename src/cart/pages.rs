//! The cart page and the add-to-cart form used on product cards and pages.

use leptos::prelude::*;
use leptos_meta::Meta;

use crate::ui::head::PageTitle;
use leptos_router::hooks::use_query_map;

use super::api::{get_cart, AddToCart, ClearCart, RemoveCartItem, UpdateCartItem};
use super::types::{CartLine, MAX_LINE_QUANTITY};
use crate::ui::forms::FormAlert;
use crate::ui::{use_header_version, ErrorPage, Thumb};

/// One add-to-cart action shared by every product card on the page (a page can
/// show dozens of cards; one action instead of one each keeps rendering cheap).
/// `attempted` remembers which product the last submission was for.
#[derive(Clone, Copy)]
pub struct AddToCartShared {
    pub action: ServerAction<AddToCart>,
    pub attempted: RwSignal<Option<String>>,
}

/// Creates the shared action; the header count refreshes after each success.
pub fn provide_add_to_cart() {
    let shared = AddToCartShared {
        action: ServerAction::<AddToCart>::new(),
        attempted: RwSignal::new(None),
    };
    let header = use_header_version();
    Effect::new(move |_| {
        if let Some(Ok(_)) = shared.action.value().get() {
            header.bump();
        }
    });
    provide_context(shared);
}

pub fn use_add_to_cart() -> AddToCartShared {
    use_context::<AddToCartShared>().unwrap_or_else(|| AddToCartShared {
        action: ServerAction::<AddToCart>::new(),
        attempted: RwSignal::new(None),
    })
}

/// Errors of an add-to-cart form posted without JavaScript come back in the URL
/// and are not tied to a card: show them at the top of the page.
#[component]
pub fn AddToCartNotice() -> impl IntoView {
    let shared = use_add_to_cart();
    move || {
        if shared.attempted.get().is_some() {
            return None;
        }
        shared.action.value().get().and_then(|r| r.err()).map(|e| {
            view! {
                <div class="alert alert-error" role="alert">
                    <p>{format!("The product was not added to your cart: {}", e.field_message("quantity").or_else(|| e.field_message("options")).unwrap_or_else(|| e.to_string()))}</p>
                </div>
            }
        })
    }
}

/// "Add to cart": a plain form (works without JavaScript: it then goes to the
/// cart page); with the app loaded it stays on the page and confirms inline.
#[component]
pub fn AddToCartForm(
    product_id: String,
    product_name: String,
    #[prop(optional)] disabled: bool,
    #[prop(optional)] show_quantity: bool,
    #[prop(optional)] max: i64,
) -> impl IntoView {
    let AddToCartShared { action, attempted } = use_add_to_cart();
    let qty_id = format!("qty-{product_id}");
    let mine = {
        let id = product_id.clone();
        move || attempted.with(|a| a.as_deref() == Some(id.as_str()))
    };
    let status = {
        let mine = mine.clone();
        move || {
            if !mine() {
                return None;
            }
            action.value().get().map(|r| match r {
                Ok(added) => view! {
                    <p class="field-ok" role="status">
                        {format!("Added. You have {} in your cart. ", added.quantity_in_cart)}
                        <a href="/cart">"View cart"</a>
                    </p>
                }
                .into_any(),
                Err(e) => view! {
                    <p class="field-error" role="alert">
                        {e.field_message("quantity").unwrap_or_else(|| e.to_string())}
                    </p>
                }
                .into_any(),
            })
        }
    };
    let max_qty = if max > 0 {
        max.min(i64::from(MAX_LINE_QUANTITY))
    } else {
        i64::from(MAX_LINE_QUANTITY)
    };
    let id_for_click = product_id.clone();
    view! {
        <ActionForm action=action attr:class="add-to-cart">
            <input type="hidden" name="product_id" value=product_id.clone() />
            {if show_quantity {
                view! {
                    <div class="field">
                        <label for=qty_id.clone()>"Quantity"</label>
                        <input id=qty_id class="qty-input" type="number" name="quantity" value="1" min="1" max=max_qty inputmode="numeric" disabled=disabled />
                    </div>
                }.into_any()
            } else {
                view! { <input type="hidden" name="quantity" value="1" /> }.into_any()
            }}
            <button type="submit" disabled=move || disabled || (mine() && action.pending().get())
                on:click=move |_| attempted.set(Some(id_for_click.clone()))
                aria-label=format!("Add {product_name} to cart")>
                {if disabled { "Unavailable" } else { "Add to cart" }}
            </button>
            {status}
        </ActionForm>
    }
}

#[component]
pub fn CartPage() -> impl IntoView {
    let update = ServerAction::<UpdateCartItem>::new();
    let remove = ServerAction::<RemoveCartItem>::new();
    let clear = ServerAction::<ClearCart>::new();
    let header = use_header_version();
    let cart = Resource::new(
        move || {
            (
                update.version().get(),
                remove.version().get(),
                clear.version().get(),
            )
        },
        |_| get_cart(),
    );
    Effect::new(move |prev: Option<(usize, usize, usize)>| {
        let now = (
            update.version().get(),
            remove.version().get(),
            clear.version().get(),
        );
        if prev.is_some_and(|p| p != now) {
            header.bump();
        }
        now
    });
    let query = use_query_map();
    let added = move || query.with(|q| q.get("added").is_some());
    let update_error = Signal::derive(move || update.value().get().and_then(|r| r.err()));

    view! {
        <PageTitle text="Your cart" />
        <Meta name="description" content="The products in your shopping cart, with up-to-date prices and availability." />
        <h1>"Your cart"</h1>
        {move || added().then(|| view! { <div class="alert alert-success" role="status"><p>"The product was added to your cart."</p></div> })}
        <FormAlert error=update_error />
        <Suspense fallback=|| view! { <p>"Loading your cart…"</p> }>
            {move || Suspend::new(async move {
                match cart.await {
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(c) if c.is_empty() => view! {
                        <p>"Your cart is empty."</p>
                        <p><a class="button" href="/products">"Browse products"</a></p>
                    }.into_any(),
                    Ok(c) => {
                        let problems = c.has_problems();
                        let subtotal = c.subtotal.to_string();
                        view! {
                            {problems.then(|| view! {
                                <div class="alert alert-warn" role="status">
                                    <p>"Some products changed since you added them. Please check the highlighted lines."</p>
                                </div>
                            })}
                            <div class="cart-page">
                                <table class="responsive-table cart-lines">
                                    <caption class="visually-hidden">"Products in your cart"</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Product"</th>
                                            <th scope="col" class="num">"Price"</th>
                                            <th scope="col">"Quantity"</th>
                                            <th scope="col" class="num">"Total"</th>
                                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {c.lines.into_iter().map(|line| view! {
                                            <CartRow line=line update=update remove=remove />
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <aside class="summary-box" aria-labelledby="cart-summary-title">
                                    <h2 id="cart-summary-title">"Order summary"</h2>
                                    <dl class="totals">
                                        <div><dt>"Subtotal"</dt><dd data-testid="cart-subtotal">{subtotal}</dd></div>
                                    </dl>
                                    <p class="muted">"Shipping, any tax and discount codes are worked out at checkout, from your address."</p>
                                    {if problems {
                                        view! { <p class="muted">"Fix the highlighted lines to check out."</p> }.into_any()
                                    } else {
                                        view! { <a class="button checkout-button" href="/checkout">"Go to checkout"</a> }.into_any()
                                    }}
                                    <ActionForm action=clear attr:class="empty-cart">
                                        <button type="submit" class="link-button">"Empty cart"</button>
                                    </ActionForm>
                                </aside>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn CartRow(
    line: CartLine,
    update: ServerAction<UpdateCartItem>,
    remove: ServerAction<RemoveCartItem>,
) -> impl IntoView {
    let (vid_update, vid_remove) = (line.variant_id.clone(), line.variant_id.clone());
    let title = if line.variant_label.is_empty() {
        line.name.clone()
    } else {
        format!("{} ({})", line.name, line.variant_label)
    };
    let (name_update, name_remove) = (title.clone(), title);
    let qty_id = format!("cart-qty-{}", line.variant_id);
    let field_key = format!("quantity-{}", line.variant_id);
    let err = {
        let key = field_key.clone();
        move || {
            update
                .value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.field_message(&key))
        }
    };
    let unit = line.unit_price.to_string();
    let total = line.line_total.to_string();
    let changed = line
        .previous_price
        .map(|old| format!("Price changed from {} to {}.", old, unit));
    let name_cell = if line.slug.is_empty() {
        view! { <span>{line.name.clone()}</span> }.into_any()
    } else {
        view! { <a href=format!("/products/{}", line.slug)>{line.name.clone()}</a> }.into_any()
    };
    view! {
        <tr class:has-problem=line.problem.is_some()>
            <td class="line-product">
                <Thumb picture=line.picture.clone() />
                <div>
                {name_cell}
                {(!line.variant_label.is_empty()).then(|| view! { <p class="variant-label">{line.variant_label.clone()}</p> })}
                {(!line.sku.is_empty()).then(|| view! { <p class="muted sku">"SKU " {line.sku.clone()}</p> })}
                {changed.map(|c| view! { <p class="stock-low">{c}</p> })}
                {line.problem.clone().map(|p| view! { <p class="field-error">{p}</p> })}
                </div>
            </td>
            <td class="num" data-label="Price">{unit}</td>
            <td data-label="Quantity">
                <ActionForm action=update attr:class="row-actions">
                    <input type="hidden" name="variant_id" value=vid_update />
                    <label for=qty_id.clone() class="visually-hidden">{format!("Quantity of {}", name_update)}</label>
                    <input id=qty_id class="qty-input" type="number" name="quantity" value=line.quantity.to_string()
                        min="0" max=MAX_LINE_QUANTITY inputmode="numeric" />
                    <button type="submit" class="secondary">"Update"</button>
                </ActionForm>
                {move || err().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            </td>
            <td class="num" data-label="Total">{total}</td>
            <td class="line-remove">
                <ActionForm action=remove>
                    <input type="hidden" name="variant_id" value=vid_remove />
                    <button type="submit" class="link-button" aria-label=format!("Remove {} from cart", name_remove)>"Remove"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
