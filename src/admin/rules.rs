//! Admin pages of the checkout rules: shipping zones and methods, taxes, and
//! discount codes. The server functions check the role themselves.

use leptos::prelude::*;
use leptos_meta::Meta;

use super::AdminGate;
use crate::orders::rules::{percent_label, CodeView, ZoneView};
use crate::orders::rules_api::{
    admin_codes, admin_taxes, admin_zones, AddMethod, AddTaxRate, CreateCode, CreateZone,
    DeleteMethod, DeleteTaxRate, DeleteZone, PauseCode, SetTaxMode,
};
use crate::shared::AppError;
use crate::ui::forms::{success_message, FormAlert, FormSuccess, TextField};
use crate::ui::head::PageTitle;
use crate::ui::ErrorPage;

/// The message for `name` in an action's last error.
fn field_of(
    err: Signal<Option<AppError>>,
) -> impl Fn(&'static str) -> Signal<Option<String>> + Copy {
    move |name: &'static str| Signal::derive(move || err.get().and_then(|e| e.field_message(name)))
}

/// The value typed into `name` before an action's last error.
fn kept_of(err: Signal<Option<AppError>>) -> impl Fn(&'static str) -> Signal<String> + Copy {
    move |name: &'static str| {
        Signal::derive(move || {
            err.get()
                .and_then(|e| e.kept_value(name))
                .unwrap_or_default()
        })
    }
}

#[component]
pub fn AdminShippingPage() -> impl IntoView {
    let create = ServerAction::<CreateZone>::new();
    let delete = ServerAction::<DeleteZone>::new();
    let add = ServerAction::<AddMethod>::new();
    let remove = ServerAction::<DeleteMethod>::new();
    let zones = Resource::new(
        move || {
            (
                create.version().get(),
                delete.version().get(),
                add.version().get(),
                remove.version().get(),
            )
        },
        |_| admin_zones(),
    );
    let create_err = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let other_err = Signal::derive(move || {
        delete
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| remove.value().get().and_then(|r| r.err()))
    });
    const ZONE_CREATED: &str = "The zone was created. Add its delivery methods below.";
    let created = success_message(create, |_| ZONE_CREATED.to_string(), ZONE_CREATED);
    let (field, kept) = (field_of(create_err), kept_of(create_err));
    view! {
        <PageTitle text="Shipping – admin" />
        <Meta name="description" content="Shipping zones and their delivery methods." />
        <AdminGate>
            <h1>"Shipping"</h1>
            <p class="muted">"A zone is a set of countries (or some of their regions) with its delivery methods. Checkout offers the methods of the zone that covers the address; a zone naming the address's region wins over one covering the whole country. With no zones at all, shipping is free to every country the shop ships to."</p>
            <FormAlert error=other_err />
            <FormSuccess message=created />
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match zones.await {
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p>"No zones yet: shipping is free everywhere."</p> }.into_any(),
                        Ok(list) => list.into_iter().map(|z| view! { <ZoneCard zone=z delete=delete add=add remove=remove /> }).collect_view().into_any(),
                    }
                })}
            </Suspense>
            <section aria-labelledby="new-zone-title">
                <h2 id="new-zone-title">"New zone"</h2>
                <ActionForm action=create attr:class="stacked" attr:novalidate=true>
                    <FormAlert error=create_err />
                    <TextField name="name" id_prefix="zone-" label="Name" required=true maxlength=80u32 hint="Like Europe or US mainland" value=kept("name") error=field("name") />
                    <TextField name="countries" id_prefix="zone-" label="Countries" required=true hint="Names or ISO codes, separated by commas: Germany, FR, Austria" value=kept("countries") error=field("countries") />
                    <TextField name="regions" id_prefix="zone-" label="Only these regions (optional)" hint="Like US-CA, US-NY; leave empty for whole countries" value=kept("regions") error=field("regions") />
                    <button type="submit">"Create zone"</button>
                </ActionForm>
            </section>
        </AdminGate>
    }
}

#[component]
fn ZoneCard(
    zone: ZoneView,
    delete: ServerAction<DeleteZone>,
    add: ServerAction<AddMethod>,
    remove: ServerAction<DeleteMethod>,
) -> impl IntoView {
    let zid = zone.id.clone();
    let mine = {
        let zid = zid.clone();
        move || {
            add.value()
                .get()
                .and_then(|r| r.err())
                .filter(|e| e.kept_value("zone_id").as_deref() == Some(zid.as_str()))
        }
    };
    let err = Signal::derive(mine);
    let (field, kept) = (field_of(err), kept_of(err));
    let prefix = format!("m-{}-", zone.id);
    let title_id = format!("zone-{}", zone.id);
    let title_ref = title_id.clone();
    let (zid_rows, zid_add, zid_del) = (zid.clone(), zid.clone(), zid.clone());
    let rows = zone
        .methods
        .iter()
        .map(|m| {
            let (z, mid, name) = (zid_rows.clone(), m.id.clone(), m.name.clone());
            view! {
                <tr>
                    <td>{m.name.clone()}</td>
                    <td>{m.estimate.clone()}</td>
                    <td>{m.summary.clone()}</td>
                    <td>
                        <ActionForm action=remove>
                            <input type="hidden" name="zone_id" value=z />
                            <input type="hidden" name="method_id" value=mid />
                            <button type="submit" class="link-button" aria-label=format!("Remove {name}")>"Remove"</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let no_methods = zone.methods.is_empty();
    let caption = format!("Delivery methods of {}", zone.name);
    view! {
        <section class="card zone" aria-labelledby=title_ref>
            <h2 id=title_id>{zone.name.clone()}</h2>
            <p class="muted">{zone.places()}</p>
            {if no_methods {
                view! { <p class="alert alert-warn">"No delivery methods yet: until it has one, checkout leaves this zone out."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label="Shipping zones">
                        <table>
                            <caption class="visually-hidden">{caption}</caption>
                            <thead><tr><th scope="col">"Method"</th><th scope="col">"Delivery"</th><th scope="col">"Price"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <details open=move || err.get().is_some()>
                <summary>"Add a delivery method"</summary>
                <ActionForm action=add attr:class="stacked" attr:novalidate=true>
                    <FormAlert error=err />
                    <input type="hidden" name="zone_id" value=zid_add />
                    <TextField name="name" id_prefix=prefix.clone() label="Name" required=true maxlength=80u32 hint="Like Standard or Express" value=kept("name") error=field("name") />
                    <TextField name="estimate" id_prefix=prefix.clone() label="Delivery time (optional)" maxlength=80u32 hint="Like 3–5 business days" value=kept("estimate") error=field("estimate") />
                    <div class="field">
                        <label for=format!("{prefix}kind")>"Priced"</label>
                        <select id=format!("{prefix}kind") name="kind">
                            <option value="flat" selected=move || kept("kind").get() != "free_above" && kept("kind").get() != "weight">"The same for every order"</option>
                            <option value="free_above" selected=move || kept("kind").get() == "free_above">"Free above a subtotal"</option>
                            <option value="weight" selected=move || kept("kind").get() == "weight">"By weight"</option>
                        </select>
                    </div>
                    <TextField name="price" id_prefix=prefix.clone() label="Price" inputmode="decimal" hint="For “the same” and “free above”" value=kept("price") error=field("price") />
                    <TextField name="free_from" id_prefix=prefix.clone() label="Free from a subtotal of" inputmode="decimal" hint="For “free above”" value=kept("free_from") error=field("free_from") />
                    <TextField name="tiers" id_prefix=prefix.clone() label="Weight tiers" hint="For “by weight”: grams: price, like 1000: 4.90, 5000: 9.90 (heavier parcels cannot use this method)" value=kept("tiers") error=field("tiers") />
                    <button type="submit">"Add method"</button>
                </ActionForm>
            </details>
            <ActionForm action=delete>
                <input type="hidden" name="id" value=zid_del />
                <button type="submit" class="secondary" aria-label=format!("Delete the zone {}", zone.name)>"Delete zone"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn AdminTaxesPage() -> impl IntoView {
    let mode = ServerAction::<SetTaxMode>::new();
    let add = ServerAction::<AddTaxRate>::new();
    let delete = ServerAction::<DeleteTaxRate>::new();
    let page = Resource::new(
        move || {
            (
                mode.version().get(),
                add.version().get(),
                delete.version().get(),
            )
        },
        |_| admin_taxes(),
    );
    let add_err = Signal::derive(move || add.value().get().and_then(|r| r.err()));
    let other_err = Signal::derive(move || {
        mode.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| delete.value().get().and_then(|r| r.err()))
    });
    let saved = success_message(mode, |_| "Saved.".to_string(), "Saved.");
    let (field, kept) = (field_of(add_err), kept_of(add_err));
    view! {
        <PageTitle text="Taxes – admin" />
        <Meta name="description" content="Tax rates by country and region." />
        <AdminGate>
            <h1>"Taxes"</h1>
            <FormAlert error=other_err />
            <FormSuccess message=saved />
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                        Ok(p) => view! {
                            <section aria-labelledby="tax-mode-title">
                                <h2 id="tax-mode-title">"Prices and tax"</h2>
                                <ActionForm action=mode attr:class="stacked">
                                    <fieldset>
                                        <legend>"The prices you enter"</legend>
                                        <div class="radio-option">
                                            <input type="radio" id="mode-added" name="mode" value="added" checked=!p.prices_include_tax />
                                            <label for="mode-added">"Do not include tax: it is added at checkout (as in the US)"</label>
                                        </div>
                                        <div class="radio-option">
                                            <input type="radio" id="mode-included" name="mode" value="included" checked=p.prices_include_tax />
                                            <label for="mode-included">"Include tax: checkout shows the tax they contain (as in the EU)"</label>
                                        </div>
                                    </fieldset>
                                    <button type="submit">"Save"</button>
                                </ActionForm>
                                <p class="muted">"Tax is charged on the goods after any discount plus shipping, at the rate of the delivery address (its region's rate if it has one, else its country's), and rounded once per order."</p>
                            </section>
                            <section aria-labelledby="rates-title">
                                <h2 id="rates-title">"Rates"</h2>
                                {if p.rates.is_empty() {
                                    view! { <p>"No rates: no tax is charged."</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-wrap" tabindex="0" role="region" aria-label="Shipping methods"><table>
                                            <caption class="visually-hidden">"Tax rates"</caption>
                                            <thead><tr><th scope="col">"Place"</th><th scope="col">"Name"</th><th scope="col">"Rate"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                                            <tbody>
                                                {p.rates.clone().into_iter().map(|r| {
                                                    let place = r.place();
                                                    view! {
                                                        <tr>
                                                            <td>{place.clone()}</td>
                                                            <td>{r.name.clone()}</td>
                                                            <td>{percent_label(r.basis_points)}</td>
                                                            <td>
                                                                <ActionForm action=delete>
                                                                    <input type="hidden" name="id" value=r.id.clone() />
                                                                    <button type="submit" class="link-button" aria-label=format!("Delete the rate for {place}")>"Delete"</button>
                                                                </ActionForm>
                                                            </td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table></div>
                                    }.into_any()
                                }}
                            </section>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <section aria-labelledby="new-rate-title">
                <h2 id="new-rate-title">"New rate"</h2>
                <ActionForm action=add attr:class="stacked" attr:novalidate=true>
                    <FormAlert error=add_err />
                    <TextField name="country" id_prefix="rate-" label="Country" required=true hint="Name or ISO code" value=kept("country") error=field("country") />
                    <TextField name="region" id_prefix="rate-" label="Region (optional)" hint="Like California or CA; empty for the whole country" value=kept("region") error=field("region") />
                    <TextField name="name" id_prefix="rate-" label="Name" required=true maxlength=40u32 hint="Shown at checkout: VAT, GST, Sales tax" value=kept("name") error=field("name") />
                    <TextField name="rate" id_prefix="rate-" label="Rate in percent" required=true inputmode="decimal" hint="Like 20 or 8.875" value=kept("rate") error=field("rate") />
                    <button type="submit">"Add rate"</button>
                </ActionForm>
            </section>
        </AdminGate>
    }
}

#[component]
pub fn AdminDiscountsPage() -> impl IntoView {
    let create = ServerAction::<CreateCode>::new();
    let pause = ServerAction::<PauseCode>::new();
    let codes = Resource::new(
        move || (create.version().get(), pause.version().get()),
        |_| admin_codes(),
    );
    let create_err = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let pause_err = Signal::derive(move || pause.value().get().and_then(|r| r.err()));
    let created = success_message(
        create,
        |_| "The code was created.".to_string(),
        "The code was created.",
    );
    let (field, kept) = (field_of(create_err), kept_of(create_err));
    view! {
        <PageTitle text="Discount codes – admin" />
        <Meta name="description" content="Discount codes, their limits and how often they were used." />
        <AdminGate>
            <h1>"Discount codes"</h1>
            <FormAlert error=pause_err />
            <FormSuccess message=created />
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match codes.await {
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p>"No codes yet."</p> }.into_any(),
                        Ok(list) => view! { <CodeTable codes=list pause=pause /> }.into_any(),
                    }
                })}
            </Suspense>
            <section aria-labelledby="new-code-title">
                <h2 id="new-code-title">"New code"</h2>
                <ActionForm action=create attr:class="stacked" attr:novalidate=true>
                    <FormAlert error=create_err />
                    <TextField name="form[code]" id_prefix="code-" label="Code" required=true maxlength=32u32 hint="Letters, digits, - and _; shoppers may type it in any case" value=kept("code") error=field("code") />
                    <div class="field">
                        <label for="code-kind">"Gives"</label>
                        <select id="code-kind" name="form[kind]">
                            <option value="percent" selected=move || kept("kind").get() != "fixed" && kept("kind").get() != "free_shipping">"A percentage off"</option>
                            <option value="fixed" selected=move || kept("kind").get() == "fixed">"A fixed amount off"</option>
                            <option value="free_shipping" selected=move || kept("kind").get() == "free_shipping">"Free shipping"</option>
                        </select>
                    </div>
                    <TextField name="form[value]" id_prefix="code-" label="Percentage or amount" inputmode="decimal" hint="Like 10 (for 10 %) or 5.00; not needed for free shipping" value=kept("value") error=field("value") />
                    <TextField name="form[min_subtotal]" id_prefix="code-" label="Minimum subtotal (optional)" inputmode="decimal" value=kept("min_subtotal") error=field("min_subtotal") />
                    <div class="grid-2">
                        <TextField name="form[starts_at]" id_prefix="code-" kind="datetime-local" label="Starts (optional, UTC)" value=kept("starts_at") error=field("starts_at") />
                        <TextField name="form[ends_at]" id_prefix="code-" kind="datetime-local" label="Ends (optional, UTC)" value=kept("ends_at") error=field("ends_at") />
                        <TextField name="form[usage_limit]" id_prefix="code-" label="Uses in all (optional)" inputmode="numeric" value=kept("usage_limit") error=field("usage_limit") />
                        <TextField name="form[per_customer_limit]" id_prefix="code-" label="Uses per customer (optional)" inputmode="numeric" value=kept("per_customer_limit") error=field("per_customer_limit") />
                    </div>
                    <button type="submit">"Create code"</button>
                </ActionForm>
            </section>
        </AdminGate>
    }
}

#[component]
fn CodeTable(codes: Vec<CodeView>, pause: ServerAction<PauseCode>) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Tax rates"><table>
            <caption class="visually-hidden">"Discount codes"</caption>
            <thead><tr>
                <th scope="col">"Code"</th><th scope="col">"Gives"</th><th scope="col">"Rules"</th>
                <th scope="col">"Used"</th><th scope="col">"State"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr></thead>
            <tbody>
                {codes.into_iter().map(|c| {
                    let mut rules = Vec::new();
                    if let Some(m) = c.min_subtotal { rules.push(format!("from {m}")); }
                    if let Some(s) = &c.starts_at { rules.push(format!("starts {s}")); }
                    if let Some(e) = &c.ends_at { rules.push(format!("ends {e}")); }
                    if let Some(p) = c.per_customer_limit { rules.push(format!("{p} per customer")); }
                    let used = match c.usage_limit { Some(l) => format!("{} of {l}", c.used), None => c.used.to_string() };
                    let (label, value) = if c.paused { ("Resume", "no") } else { ("Pause", "yes") };
                    view! {
                        <tr>
                            <td><strong>{c.code.clone()}</strong></td>
                            <td>{c.summary.clone()}</td>
                            <td>{if rules.is_empty() { "—".to_string() } else { rules.join(", ") }}</td>
                            <td>{used}</td>
                            <td>{c.state.clone()}</td>
                            <td>
                                <ActionForm action=pause>
                                    <input type="hidden" name="id" value=c.id.clone() />
                                    <input type="hidden" name="paused" value=value />
                                    <button type="submit" class="link-button" aria-label=format!("{label} {}", c.code)>{label}</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
        <p class="muted">"Uses count paid orders and orders waiting for payment; an unpaid order that is cancelled or runs out of time gives its use back."</p>
    }
}
