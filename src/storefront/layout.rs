//! The header and footer around every page.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::accounts::api::{header_summary, Logout};
use crate::catalog::api::suggest_products;
use crate::catalog::types::ProductCard;
use crate::ui::use_header_version;
use crate::ui::Thumb;

/// The site search: a plain GET form to /products (works without JavaScript).
/// With the app loaded it is a combobox: products with picture, name and price
/// are suggested as the shopper types; arrow keys move through them, Enter or a
/// click opens the product, Escape closes the list.
#[component]
fn SearchBox() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let suggestions = RwSignal::new(Vec::<ProductCard>::new());
    let active = RwSignal::new(None::<usize>);
    let open = RwSignal::new(false);
    let generation = StoredValue::new(0u64);
    let navigate = leptos_router::hooks::use_navigate();
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        if text.trim().chars().count() < 2 {
            suggestions.set(Vec::new());
            open.set(false);
            return;
        }
        // Ask once the typing pauses; drop answers to older keystrokes.
        set_timeout(
            move || {
                if generation.get_value() != mine {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Ok(found) = suggest_products(text).await {
                        if generation.get_value() == mine {
                            open.set(!found.is_empty());
                            active.set(None);
                            suggestions.set(found);
                        }
                    }
                });
            },
            std::time::Duration::from_millis(150),
        );
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let n = suggestions.with(|s| s.len());
        match ev.key().as_str() {
            "ArrowDown" if n > 0 => {
                ev.prevent_default();
                open.set(true);
                active.update(|a| *a = Some(a.map_or(0, |i| (i + 1) % n)));
            }
            "ArrowUp" if n > 0 => {
                ev.prevent_default();
                open.set(true);
                active.update(|a| *a = Some(a.map_or(n - 1, |i| (i + n - 1) % n)));
            }
            "Escape" => {
                open.set(false);
                active.set(None);
            }
            "Enter" => {
                let chosen = active
                    .get()
                    .filter(|_| open.get())
                    .and_then(|i| suggestions.with(|s| s.get(i).map(|p| p.slug.clone())));
                if let Some(slug) = chosen {
                    ev.prevent_default();
                    open.set(false);
                    navigate(&format!("/products/{slug}"), Default::default());
                }
            }
            _ => {}
        }
    };
    let option_id = |i: usize| format!("search-option-{i}");
    view! {
        <form class="header-search" method="get" action="/products" role="search">
            <label for="site-search" class="visually-hidden">"Search products"</label>
            <input
                id="site-search"
                type="search"
                name="q"
                placeholder="Search products"
                maxlength="200"
                autocomplete="off"
                role="combobox"
                aria-autocomplete="list"
                aria-controls="search-suggestions"
                aria-expanded=move || if open.get() { "true" } else { "false" }
                aria-activedescendant=move || active.get().filter(|_| open.get()).map(option_id)
                prop:value=q
                on:input=on_input
                on:keydown=on_keydown
                on:blur=move |_| open.set(false)
                on:focus=move |_| open.set(suggestions.with(|s| !s.is_empty()))
            />
            <ul
                id="search-suggestions"
                class="suggestions"
                role="listbox"
                aria-label="Suggested products"
                hidden=move || !open.get()
                // Keep the focus in the box while a suggestion is clicked.
                on:mousedown=|ev| ev.prevent_default()
            >
                {move || {
                    suggestions
                        .get()
                        .into_iter()
                        .enumerate()
                        .map(|(i, p)| {
                            let href = format!("/products/{}", p.slug);
                            let price = p.price_label();
                            view! {
                                <li role="none">
                                    <a class="suggestion" href=href tabindex="-1" role="option" id=option_id(i)
                                       aria-selected=move || if active.get() == Some(i) { "true" } else { "false" }
                                       on:click=move |_| open.set(false)>
                                        <Thumb picture=p.picture.clone() size=40 />
                                        <span class="s-name">{p.name.clone()}</span>
                                        <span class="s-price">{price}</span>
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <button type="submit">"Search"</button>
        </form>
    }
}

/// A shopping-cart outline in the text colour.
#[component]
fn CartIcon() -> impl IntoView {
    view! {
        <svg class="cart-icon" aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="22" height="22">
            <path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"
                d="M3 4h2l2.4 10.2a2 2 0 0 0 2 1.6h7.1a2 2 0 0 0 1.9-1.4L20.5 8H6.1" />
            <circle cx="10" cy="20" r="1.4" fill="currentColor" />
            <circle cx="17" cy="20" r="1.4" fill="currentColor" />
        </svg>
    }
}

/// Site header: shop name, search, navigation, who is signed in, cart count.
/// Works without JavaScript; once the app is interactive, narrow screens get a
/// menu button that folds the navigation.
#[component]
pub fn Header() -> impl IntoView {
    let version = use_header_version();
    let summary = Resource::new(move || version.0.get(), |_| header_summary());
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = logout.value().get() {
            version.bump();
        }
    });

    // The menu button shows on phones when JavaScript runs (the stylesheet keys
    // it on the `js` class the page head sets); without it every link shows.
    // `hydrated` is false on the server and during hydration (so the HTML
    // matches), then true once the app runs: it marks the button as working.
    let menu_open = RwSignal::new(false);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <header class="site-header">
            <div class="header-inner">
                <a class="brand" href="/" aria-label="oxcart home">
                    <span aria-hidden="true" class="brand-mark">"◆"</span>
                    " oxcart"
                </a>
                <SearchBox />
                <Transition fallback=|| view! {
                    <a class="cart-link" href="/cart"><CartIcon />" Cart"</a>
                }>
                    {move || Suspend::new(async move {
                        let count = summary.await.map(|s| s.cart_items).unwrap_or(0);
                        view! {
                            <a class="cart-link" href="/cart"
                               aria-label=format!("Cart, {count} item{}", if count == 1 { "" } else { "s" })>
                                <CartIcon />
                                <span class="cart-text">" Cart"</span>
                                <span class="cart-count" aria-hidden="true" data-testid="cart-count">{count}</span>
                            </a>
                        }
                    })}
                </Transition>
                <button
                    type="button"
                    class="menu-toggle"
                    aria-controls="site-nav"
                    data-hydrated=move || hydrated.get().then_some("true")
                    aria-expanded=move || if menu_open.get() { "true" } else { "false" }
                    on:click=move |_| menu_open.update(|o| *o = !*o)
                >
                    {move || if menu_open.get() { "Close menu" } else { "Menu" }}
                </button>
                <nav
                    id="site-nav"
                    class="site-nav"
                    aria-label="Main"
                    // Folded unless opened; the stylesheet folds it only when
                    // JavaScript runs (the `js` class), so without it the links show.
                    data-collapsed=move || (!menu_open.get()).then_some("true")
                >
                    <Transition fallback=|| view! {
                        <ul>
                            <li><a href="/products">"Products"</a></li>
                        </ul>
                    }>
                        {move || Suspend::new(async move {
                            let Ok(s) = summary.await else {
                                // Who is signed in is unknown right now: say so instead of
                                // showing a signed-out header (the page says why).
                                return view! {
                                    <ul>
                                        <li><a href="/products">"Products"</a></li>
                                        <li><span class="muted" data-testid="account-unavailable">"Account temporarily unavailable"</span></li>
                                    </ul>
                                }.into_any();
                            };
                            view! {
                                <ul>
                                    <li><a href="/products">"Products"</a></li>
                                    {match s.user {
                                        Some(user) => view! {
                                            {user.is_admin().then(|| view! { <li><a href="/admin">"Admin"</a></li> })}
                                            <li><a href="/account" data-testid="account-link">{user.name.clone()}</a></li>
                                            <li>
                                                <ActionForm action=logout>
                                                    <button type="submit" class="link-button">"Sign out"</button>
                                                </ActionForm>
                                            </li>
                                        }.into_any(),
                                        None => view! {
                                            <li><a href="/login">"Sign in"</a></li>
                                            <li><a href="/register">"Register"</a></li>
                                        }.into_any(),
                                    }}
                                </ul>
                            }.into_any()
                        })}
                    </Transition>
                </nav>
            </div>
        </header>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="footer-inner">
                <p>"oxcart — an open-source shop you run yourself."</p>
                <nav aria-label="Footer">
                    <ul>
                        <li><a href="/products">"All products"</a></li>
                        <li><a href="/cart">"Your cart"</a></li>
                        <li><a href="/account/orders">"Your orders"</a></li>
                    </ul>
                </nav>
            </div>
        </footer>
    }
}
