//! The HTML shell, the route table, and the 404 page.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Meta, MetaTags};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::accounts::pages::{
    AccountPage, ForgotPasswordPage, LoginPage, RegisterPage, ResetPasswordPage,
};
use crate::admin::catalog::{
    AdminCategoriesPage, AdminProductEditPage, AdminProductNewPage, AdminProductsPage,
};
use crate::admin::orders::{AdminOrderPage, AdminOrdersPage};
use crate::admin::AdminHome;
use crate::cart::pages::CartPage;
use crate::orders::pages::{CheckoutPage, CheckoutSuccessPage, OrderPage, OrdersPage};
use crate::storefront::layout::{Footer, Header};
use crate::storefront::pages::{HomePage, ProductsPage};
use crate::storefront::product::ProductPage;
use crate::ui::head::{PageTitle, ShopTitle};
use crate::ui::HeaderVersion;

/// The bundle's file names (without extension): `(js, wasm)`, content-hashed as
/// cargo-leptos's hash.txt beside the binary says when file hashing is on. Read
/// once per process.
#[cfg(feature = "ssr")]
fn bundle_names(options: &LeptosOptions) -> &'static (String, String) {
    static NAMES: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let name = options.output_name.to_string();
        let (mut js, mut wasm) = (name.clone(), name);
        if options.hash_files {
            // The server turns hashing on only when the file is there; if it cannot
            // be read after all, pages still work but the app cannot start: say so.
            let hashes = std::env::current_exe()
                .and_then(|exe| {
                    let dir = exe.parent().unwrap_or(std::path::Path::new("."));
                    std::fs::read_to_string(dir.join(options.hash_file.as_ref()))
                })
                .unwrap_or_else(|e| {
                    tracing::error!("the bundle's hash file could not be read ({e}); the app will not start in browsers");
                    String::new()
                });
            for (file, hash) in hashes.lines().filter_map(|l| l.split_once(':')) {
                match file.trim() {
                    "js" => js = format!("{js}.{}", hash.trim()),
                    "wasm" => wasm = format!("{wasm}.{}", hash.trim()),
                    _ => {}
                }
            }
        } else if std::option_env!("LEPTOS_OUTPUT_NAME").is_none() {
            wasm.push_str("_bg");
        }
        (js, wasm)
    })
}

/// Starts the app once the browser is idle after the first paint (what
/// `HydrationScripts defer` does), without a preload hint for the WASM: with it,
/// the 800 KB bundle downloaded alongside the page's CSS and first pictures, and
/// on Lighthouse's mobile run about one load in four counted it before the
/// largest paint (LCP 5–6 s instead of 1 s). Only the small JS glue is
/// preloaded. Every form works before the app starts.
#[component]
fn AppScript(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let (js, wasm) = bundle_names(&options).clone();
    #[cfg(not(feature = "ssr"))]
    let (js, wasm) = {
        let _ = options;
        (String::new(), String::new())
    };
    let nonce = leptos::nonce::use_nonce();
    let script = format!(
        "(()=>{{const start=()=>import('/pkg/{js}.js').then(m=>m.default({{module_or_path:'/pkg/{wasm}.wasm'}}).then(()=>m.hydrate()));\
'requestIdleCallback' in window?window.requestIdleCallback(start,{{timeout:2000}}):start();}})()"
    );
    view! {
        <link rel="modulepreload" href=format!("/pkg/{js}.js") fetchpriority="low" />
        <script type="module" nonce=nonce>{script}</script>
    }
}

/// The document around every page, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::kernel::web::set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.ico" sizes="32x32" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // Marks the page as scripted before the first paint (the phone menu
                // starts folded, so nothing moves when the app starts).
                <script nonce=leptos::nonce::use_nonce().map(|n| n.to_string())>
                    "document.documentElement.classList.add('js')"
                </script>
                <HashedStylesheet options=options.clone() id="leptos" />
                <AppScript options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(HeaderVersion(RwSignal::new(0)));

    view! {
        <ShopTitle shop="oxcart" />
        <Router>
            {crate::cart::pages::provide_add_to_cart()}
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header />
            <main id="main" tabindex="-1">
                <crate::cart::pages::AddToCartNotice />
                <Routes fallback=NotFound>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/products") view=ProductsPage ssr=SsrMode::Async />
                    <Route path=path!("/products/:slug") view=ProductPage ssr=SsrMode::Async />
                    <Route path=path!("/cart") view=CartPage ssr=SsrMode::Async />
                    <Route path=path!("/checkout") view=CheckoutPage ssr=SsrMode::Async />
                    <Route path=path!("/checkout/success") view=CheckoutSuccessPage ssr=SsrMode::Async />
                    <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/account/orders") view=OrdersPage ssr=SsrMode::Async />
                    <Route path=path!("/account/addresses") view=crate::orders::pages::AddressesPage ssr=SsrMode::Async />
                    <Route path=path!("/account/orders/:id") view=OrderPage ssr=SsrMode::Async />
                    <Route path=path!("/order/:id") view=crate::storefront::guest::GuestOrderPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminHome ssr=SsrMode::Async />
                    <Route path=path!("/admin/products") view=AdminProductsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/products/new") view=AdminProductNewPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/products/import") view=crate::admin::import::AdminImportPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/products/:id") view=AdminProductEditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/categories") view=AdminCategoriesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/orders") view=AdminOrdersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/orders/:id") view=AdminOrderPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/shipping") view=crate::admin::rules::AdminShippingPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/taxes") view=crate::admin::rules::AdminTaxesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/discounts") view=crate::admin::rules::AdminDiscountsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/settings") view=crate::admin::settings::AdminSettingsPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <Footer />
        </Router>
    }
}

/// The page for any address the shop does not have. Answers with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    crate::ui::status::set_status(404);
    view! {
        <PageTitle text="Page not found" />
        <Meta name="description" content="The page you asked for does not exist in this shop." />
        <section class="notice-page" aria-labelledby="nf-title">
            <h1 id="nf-title">"Page not found"</h1>
            <p>"We could not find the page you asked for. It may have moved, or the address may be mistyped."</p>
            <ul class="inline-links">
                <li><a href="/">"Go to the home page"</a></li>
                <li><a href="/products">"Browse all products"</a></li>
            </ul>
            <form class="search-inline" method="get" action="/products" role="search" aria-label="Search the catalog">
                <label for="nf-search">"Search the shop"</label>
                <input id="nf-search" type="search" name="q" autocomplete="off" />
                <button type="submit">"Search"</button>
            </form>
        </section>
    }
}
