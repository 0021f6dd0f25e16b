//! The page shown instead of one whose data could not be loaded.

use leptos::prelude::*;
use leptos_meta::Meta;

use super::head::PageTitle;
use crate::shared::AppError;

/// Shown instead of a page whose data could not be loaded; sets the matching HTTP status.
#[component]
pub fn ErrorPage(error: AppError) -> impl IntoView {
    super::status::set_status(error.status_code());
    match &error {
        AppError::Unavailable => super::status::set_retry_after(5),
        AppError::RateLimited { retry_after_secs } => {
            super::status::set_retry_after(*retry_after_secs)
        }
        _ => {}
    }
    let (title, hint) = match &error {
        AppError::NotFound => (
            "Not found",
            "It may have been removed, or the link may be wrong.",
        ),
        AppError::Unauthorized => (
            "Please sign in",
            "You need to be signed in to see this page.",
        ),
        AppError::Forbidden => ("Not allowed", "Your account cannot open this page."),
        AppError::Unavailable => (
            "Temporarily unavailable",
            "The shop cannot reach its database right now. Please try again in a moment.",
        ),
        AppError::Invalid(_) | AppError::BadRequest(_) => (
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
