//! The page Stripe sends the shopper back to after paying.

use leptos::prelude::*;
use leptos_meta::Meta;

use crate::ui::head::PageTitle;
use leptos_router::hooks::use_query_map;

use super::api::order_payment_status;
use crate::app::{use_header_version, ErrorPage};
use crate::error::AppError;
use crate::orders::pages::{OrderDetails, SignInFirst, StatusBadge};
use crate::orders::types::OrderStatus;

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
                            <p>"Order " <strong>{o.number.clone()}</strong> " — status: " <StatusBadge status=o.status /></p>
                            <OrderDetails order=o.clone() />
                            <p><a href=format!("/account/orders/{}", o.id)>"View this order"</a> " · " <a href="/account/orders">"All your orders"</a></p>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
