//! `/admin/settings`: shop-wide settings; for now the time zone that dates and
//! times are shown in (pages, mails, the dashboard's days).

use leptos::prelude::*;
use leptos_meta::Meta;
use serde::{Deserialize, Serialize};

use super::AdminGate;
use crate::shared::AppError;
use crate::ui::forms::{success_message, FormAlert, FormSuccess};
use crate::ui::head::PageTitle;
use crate::ui::ErrorPage;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopSettingsView {
    pub timezone: String,
    pub zones: Vec<String>,
    /// The time now, as the shop shows it.
    pub now: String,
}

#[server(endpoint = "admin/settings/get")]
pub async fn shop_settings() -> Result<ShopSettingsView, AppError> {
    crate::kernel::auth::require_admin().await?;
    let state = crate::kernel::core()?;
    // The saved setting (another instance may have changed it since this one read it).
    let (timezone, tz) = crate::kernel::clock::zone_of(&state.db).await?;
    let now = crate::kernel::clock::display_in(mongodb::bson::DateTime::now(), &tz);
    Ok(ShopSettingsView {
        timezone,
        zones: crate::kernel::clock::zone_names(),
        now,
    })
}

#[server(endpoint = "admin/settings/timezone")]
pub async fn set_timezone(timezone: String) -> Result<(), AppError> {
    crate::kernel::auth::require_admin().await?;
    let state = crate::kernel::core()?;
    if crate::kernel::clock::parse_zone(&timezone).is_none() {
        return Err(AppError::field(
            "timezone",
            "Choose a time zone from the list (for example Europe/Berlin).",
        ));
    }
    crate::kernel::clock::save(&state.db, &timezone).await?;
    tracing::info!(timezone = %timezone.trim(), "shop time zone changed");
    Ok(())
}

#[component]
pub fn AdminSettingsPage() -> impl IntoView {
    let save = ServerAction::<SetTimezone>::new();
    let data = Resource::new(move || save.version().get(), |_| shop_settings());
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    const SAVED: &str = "Saved: times are now shown in the new time zone.";
    let saved = success_message(save, |_| SAVED.to_string(), SAVED);
    view! {
        <PageTitle text="Shop settings – admin" />
        <Meta name="description" content="Shop-wide settings." />
        <AdminGate>
            <h1>"Shop settings"</h1>
            <FormAlert error=error />
            <FormSuccess message=saved />
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                        Ok(s) => view! {
                            <ActionForm action=save attr:class="panel stacked">
                                <div class="field">
                                    <label for="timezone">"Time zone"</label>
                                    <select id="timezone" name="timezone" aria-describedby="timezone-hint">
                                        {s.zones.iter().map(|z| view! {
                                            <option value=z.clone() selected=*z == s.timezone>{z.replace('_', " ")}</option>
                                        }).collect_view()}
                                    </select>
                                    <p id="timezone-hint" class="hint">
                                        {format!("Order times, mails and the dashboard's days use it. Now: {}.", s.now)}
                                    </p>
                                </div>
                                <button type="submit">"Save settings"</button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </AdminGate>
    }
}
