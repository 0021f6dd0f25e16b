//! The shop's back office: the gate every admin page sits behind, the admin
//! navigation and home, and the admin pages for the catalog and orders. The gate
//! only decides what to show; every admin server function checks the role itself.

pub mod catalog;
pub mod dashboard;
pub mod import;
pub mod orders;
pub mod rules;
pub mod settings;
pub mod variants;

use leptos::prelude::*;

use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::accounts::api::admin_gate;
use crate::shared::text::url_encode;
use crate::shared::AppError;
use crate::ui::ErrorPage;

/// The admin's sections, in the order of the navigation.
const ADMIN_SECTIONS: &[(&str, &str)] = &[
    ("/admin", "Dashboard"),
    ("/admin/products", "Products"),
    ("/admin/categories", "Categories"),
    ("/admin/orders", "Orders"),
    ("/admin/shipping", "Shipping"),
    ("/admin/taxes", "Taxes"),
    ("/admin/discounts", "Discount codes"),
    ("/admin/settings", "Settings"),
];

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
                                {ADMIN_SECTIONS.iter().map(|(href, label)| {
                                    let here = location.pathname.get_untracked();
                                    let current = if *href == "/admin" {
                                        here == "/admin"
                                    } else {
                                        here == *href || here.starts_with(&format!("{href}/"))
                                    };
                                    view! { <li><a href=*href aria-current=current.then_some("page")>{*label}</a></li> }
                                }).collect_view()}
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

pub use dashboard::AdminHome;
