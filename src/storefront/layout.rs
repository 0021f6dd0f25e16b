//! The header and footer around every page.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::accounts::api::{header_summary, Logout};
use crate::catalog::api::suggest_products;
use crate::ui::use_header_version;

/// The site search: a plain GET form to /products (works without JavaScript);
/// with the app loaded, product names are suggested as the shopper types.
#[component]
fn SearchBox() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let suggestions = RwSignal::new(Vec::<String>::new());
    let generation = StoredValue::new(0u64);
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        if text.trim().chars().count() < 2 {
            suggestions.set(Vec::new());
            return;
        }
        // Ask once the typing pauses; drop answers to older keystrokes.
        set_timeout(
            move || {
                if generation.get_value() != mine {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Ok(names) = suggest_products(text).await {
                        if generation.get_value() == mine {
                            suggestions.set(names);
                        }
                    }
                });
            },
            std::time::Duration::from_millis(150),
        );
    };
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
                list="search-suggestions"
                prop:value=q
                on:input=on_input
            />
            <datalist id="search-suggestions">
                {move || {
                    suggestions
                        .get()
                        .into_iter()
                        .map(|name| view! { <option value=name></option> })
                        .collect_view()
                }}
            </datalist>
            <button type="submit">"Search"</button>
        </form>
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

    // `enhanced` is false on the server and during hydration (so the HTML matches),
    // then true once the WASM app runs.
    let enhanced = RwSignal::new(false);
    let menu_open = RwSignal::new(false);
    Effect::new(move |_| enhanced.set(true));

    view! {
        <header class="site-header">
            <div class="header-inner">
                <a class="brand" href="/" aria-label="oxcart home">
                    <span aria-hidden="true" class="brand-mark">"◆"</span>
                    " oxcart"
                </a>
                <SearchBox />
                <button
                    type="button"
                    class="menu-toggle"
                    aria-controls="site-nav"
                    aria-expanded=move || if menu_open.get() { "true" } else { "false" }
                    hidden=move || !enhanced.get()
                    on:click=move |_| menu_open.update(|o| *o = !*o)
                >
                    {move || if menu_open.get() { "Close menu" } else { "Menu" }}
                </button>
                <nav
                    id="site-nav"
                    class="site-nav"
                    aria-label="Main"
                    data-collapsed=move || (enhanced.get() && !menu_open.get()).then_some("true")
                >
                    <Transition fallback=|| view! {
                        <ul>
                            <li><a href="/products">"Products"</a></li>
                            <li><a href="/cart">"Cart"</a></li>
                        </ul>
                    }>
                        {move || Suspend::new(async move {
                            let Ok(s) = summary.await else {
                                // Who is signed in is unknown right now: say so instead of
                                // showing a signed-out header (the page says why).
                                return view! {
                                    <ul>
                                        <li><a href="/products">"Products"</a></li>
                                        <li><a href="/cart">"Cart"</a></li>
                                        <li><span class="muted" data-testid="account-unavailable">"Account temporarily unavailable"</span></li>
                                    </ul>
                                }.into_any();
                            };
                            let count = s.cart_items;
                            view! {
                                <ul>
                                    <li><a href="/products">"Products"</a></li>
                                    <li>
                                        <a href="/cart" aria-label=format!("Cart, {count} item{}", if count == 1 { "" } else { "s" })>
                                            "Cart" <span class="cart-count" aria-hidden="true" data-testid="cart-count">{count}</span>
                                        </a>
                                    </li>
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
