//! The shop's back office: the gate every admin page sits behind, the admin
//! navigation and home, and the admin pages for the catalog and orders. The gate
//! only decides what to show; every admin server function checks the role itself.

pub mod catalog;
pub mod import;
pub mod orders;
pub mod rules;
pub mod variants;

use leptos::prelude::*;
use leptos_meta::Meta;

use crate::ui::head::PageTitle;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::accounts::api::admin_gate;
use crate::shared::text::url_encode;
use crate::shared::AppError;
use crate::ui::ErrorPage;

/// Shows its children to admins; sends everyone else to sign in.
#[component]
pub fn AdminGate(children: ChildrenFn) -> impl IntoView {
    let gate = Resource::new(|| (), |_| admin_gate());
    let location = use_location();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match gate.await {
                    Ok(_) => view! {
                        <nav class="admin-nav" aria-label="Administration">
                            <ul>
                                <li><a href="/admin">"Admin home"</a></li>
                                <li><a href="/admin/products">"Products"</a></li>
                                <li><a href="/admin/categories">"Categories"</a></li>
                                <li><a href="/admin/orders">"Orders"</a></li>
                                <li><a href="/admin/shipping">"Shipping"</a></li>
                                <li><a href="/admin/taxes">"Taxes"</a></li>
                                <li><a href="/admin/discounts">"Discount codes"</a></li>
                            </ul>
                        </nav>
                        {children.with_value(|c| c())}
                    }.into_any(),
                    Err(AppError::Unauthorized | AppError::Forbidden) => {
                        let path = location.pathname.get_untracked();
                        view! { <Redirect path=format!("/login?next={}&reason=admin", url_encode(&path)) /> }.into_any()
                    }
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn AdminHome() -> impl IntoView {
    view! {
        <PageTitle text="Administration" />
        <Meta name="description" content="Manage the shop's products, stock, categories and orders." />
        <AdminGate>
            <h1>"Shop administration"</h1>
            <ul class="category-list">
                <li><a href="/admin/products">"Products and stock"</a></li>
                <li><a href="/admin/products/new">"Add a product"</a></li>
                <li><a href="/admin/categories">"Categories"</a></li>
                <li><a href="/admin/orders?status=paid">"Orders to ship"</a></li>
                <li><a href="/admin/orders">"All orders"</a></li>
                <li><a href="/admin/shipping">"Shipping zones and methods"</a></li>
                <li><a href="/admin/taxes">"Taxes"</a></li>
                <li><a href="/admin/discounts">"Discount codes"</a></li>
            </ul>
        </AdminGate>
    }
}
