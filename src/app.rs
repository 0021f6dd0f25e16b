//! The HTML shell, the router and the pages every shop has (home, 404, error).

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::accounts::pages::{
    AccountPage, ForgotPasswordPage, LoginPage, RegisterPage, ResetPasswordPage,
};
use crate::admin::AdminHome;
use crate::cart::pages::CartPage;
use crate::catalog::admin_pages::{
    AdminCategoriesPage, AdminProductEditPage, AdminProductNewPage, AdminProductsPage,
};
use crate::catalog::pages::{HomePage, ProductPage, ProductsPage};
use crate::orders::pages::{AdminOrderPage, AdminOrdersPage, CheckoutPage, OrderPage, OrdersPage};
use crate::payments::pages::CheckoutSuccessPage;
use crate::ui::head::{PageTitle, ShopTitle};
use crate::ui::layout::{Footer, Header};

/// The document around every page, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::security::set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.ico" sizes="32x32" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Shared between components: bumped after anything that changes the header
/// (sign-in, sign-out, cart changes), so it refetches.
#[derive(Clone, Copy)]
pub struct HeaderVersion(pub RwSignal<u32>);

impl HeaderVersion {
    pub fn bump(&self) {
        self.0.update(|n| *n += 1);
    }
}

pub fn use_header_version() -> HeaderVersion {
    use_context::<HeaderVersion>().unwrap_or_else(|| HeaderVersion(RwSignal::new(0)))
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(HeaderVersion(RwSignal::new(0)));

    view! {
        <Stylesheet id="leptos" href="/pkg/oxcart.css" />
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
                    <Route path=path!("/account/orders/:id") view=OrderPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminHome ssr=SsrMode::Async />
                    <Route path=path!("/admin/products") view=AdminProductsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/products/new") view=AdminProductNewPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/products/:id") view=AdminProductEditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/categories") view=AdminCategoriesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/orders") view=AdminOrdersPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/orders/:id") view=AdminOrderPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <Footer />
        </Router>
    }
}

/// The page for any address the shop does not have. Answers with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::set_status(404);
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
            <form class="search-inline" method="get" action="/products" role="search">
                <label for="nf-search">"Search the shop"</label>
                <input id="nf-search" type="search" name="q" autocomplete="off" />
                <button type="submit">"Search"</button>
            </form>
        </section>
    }
}

/// Shown instead of a page whose data could not be loaded; sets the matching HTTP status.
#[component]
pub fn ErrorPage(error: crate::error::AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::set_status(error.status_code());
    let (title, hint) = match &error {
        crate::error::AppError::NotFound => (
            "Not found",
            "It may have been removed, or the link may be wrong.",
        ),
        crate::error::AppError::Unauthorized => (
            "Please sign in",
            "You need to be signed in to see this page.",
        ),
        crate::error::AppError::Forbidden => ("Not allowed", "Your account cannot open this page."),
        crate::error::AppError::Unavailable => (
            "Temporarily unavailable",
            "The shop cannot reach its database right now. Please try again in a moment.",
        ),
        crate::error::AppError::Invalid(_) | crate::error::AppError::BadRequest(_) => (
            "Please check your request",
            "Something in the address of this page is not right. Change it and try again.",
        ),
        _ => (
            "Something went wrong",
            "Please try again. If it keeps happening, let us know.",
        ),
    };
    view! {
        <PageTitle text=title />
        <Meta name="description" content=hint />
        <section class="notice-page" role="alert" aria-labelledby="err-title">
            <h1 id="err-title">{title}</h1>
            <p>{error.to_string()}</p>
            {error.form_errors().map(|f| view! {
                <ul>{f.fields.iter().map(|m| view! { <li>{m.message.clone()}</li> }).collect_view()}</ul>
            })}
            <p class="muted">{hint}</p>
            <ul class="inline-links">
                <li><a href="/">"Go to the home page"</a></li>
            </ul>
        </section>
    }
}

/// A link to the canonical URL of the current page, for search engines.
#[component]
pub fn Canonical(path: String) -> impl IntoView {
    view! { <Link rel="canonical" href=path /> }
}
