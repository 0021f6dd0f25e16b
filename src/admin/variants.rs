//! The admin's variant editing on a product's page: options and their values
//! (which build the variant matrix), the variant table (SKU, price, compare-at
//! price, weight, picture per variant; stock shown), bulk changes, and per-variant
//! stock adjustments with their history, the one way stock is changed by hand. Every part is a plain form that works without
//! JavaScript.

use leptos::prelude::*;

use crate::catalog::api::{
    get_stock_history, AdjustStock, BulkVariants, SaveOptions, SaveVariants,
};
use crate::catalog::types::{row_key, ProductDetail, StockHistory};
use crate::shared::AppError;
use crate::ui::forms::{success_message, FormAlert, FormSuccess, TextField};

/// The actions of the variant forms, created by the page so a successful save
/// reloads the product.
#[derive(Clone, Copy)]
pub struct VariantActions {
    pub options: ServerAction<SaveOptions>,
    pub variants: ServerAction<SaveVariants>,
    pub bulk: ServerAction<BulkVariants>,
    pub stock: ServerAction<AdjustStock>,
}

impl VariantActions {
    pub fn new() -> VariantActions {
        VariantActions {
            options: ServerAction::new(),
            variants: ServerAction::new(),
            bulk: ServerAction::new(),
            stock: ServerAction::new(),
        }
    }

    /// Changes whenever one of them has run (to refetch the product).
    pub fn version(&self) -> usize {
        self.options.version().get()
            + self.variants.version().get()
            + self.bulk.version().get()
            + self.stock.version().get()
    }
}

impl Default for VariantActions {
    fn default() -> Self {
        Self::new()
    }
}

/// The stock history of the product `id`, fetched again after every stock change.
/// Made by the page, outside its `Suspense`: a resource made inside one is made
/// again whenever that re-renders, and the old one's fetch outlives its request.
pub fn stock_history(
    id: Memo<String>,
    actions: VariantActions,
) -> Resource<Result<StockHistory, AppError>> {
    Resource::new(
        move || {
            (
                id.get(),
                actions.stock.version().get(),
                actions.variants.version().get(),
                actions.bulk.version().get(),
            )
        },
        |(id, ..)| get_stock_history(id),
    )
}

/// Options editor: up to three names with their values; saving builds the matrix.
#[component]
pub fn OptionsEditor(product: ProductDetail, actions: VariantActions) -> impl IntoView {
    let action = actions.options;
    let err = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    const SAVED: &str = "Options saved; the variant table below has every combination.";
    let ok = success_message(action, |_| SAVED.to_string(), SAVED);
    let initial: Vec<(String, String)> = (0..3)
        .map(|i| {
            product
                .options
                .get(i)
                .map(|o| (o.name.clone(), o.values.join(", ")))
                .unwrap_or_default()
        })
        .collect();
    let rows = initial
        .into_iter()
        .enumerate()
        .map(|(i, (name, values))| {
            let n = i + 1;
            let (name_key, values_key) = (format!("name{n}"), format!("values{n}"));
            let kept = move |key: String, init: String| {
                Signal::derive(move || err.get().and_then(|e| e.kept_value(&key)).unwrap_or_else(|| init.clone()))
            };
            let msg = move |key: String| Signal::derive(move || err.get().and_then(|e| e.field_message(&key)));
            view! {
                <div class="grid-option">
                    <TextField name=format!("options[{name_key}]") label=format!("Option {n} name")
                        hint=if n == 1 { "Like Size, Colour or Material" } else { "" }
                        maxlength=40u32 value=kept(name_key.clone(), name) error=msg(name_key) />
                    <TextField name=format!("options[{values_key}]") label=format!("Option {n} values")
                        hint=if n == 1 { "In the order shoppers see them, separated by commas: S, M, L" } else { "" }
                        value=kept(values_key.clone(), values) error=msg(values_key) />
                </div>
            }
        })
        .collect_view();
    view! {
        <section class="panel" aria-labelledby="options-title">
            <h2 id="options-title">"Options"</h2>
            <p class="muted">"A product can come in up to three options. Every combination of their values becomes a variant with its own SKU, price and stock. Removing a value removes its variants; past orders keep what was sold."</p>
            <FormSuccess message=ok />
            <ActionForm action=action attr:class="stacked" attr:novalidate=true>
                <FormAlert error=err />
                <input type="hidden" name="id" value=product.id.clone() />
                {rows}
                <div class="form-actions">
                    <button type="submit" disabled=move || action.pending().get()>"Save options and build variants"</button>
                </div>
            </ActionForm>
        </section>
    }
}

/// The variant table and the bulk changes.
#[component]
pub fn VariantTable(product: ProductDetail, actions: VariantActions) -> impl IntoView {
    let action = actions.variants;
    let bulk = actions.bulk;
    let err = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let ok = success_message(action, |_| "Variants saved.".to_string(), "Variants saved.");
    let bulk_err = Signal::derive(move || bulk.value().get().and_then(|r| r.err()));
    let bulk_ok = success_message(
        bulk,
        |_| "Every variant was changed.".to_string(),
        "Every variant was changed.",
    );
    let images = product.images.clone();
    let options = product.options.clone();
    let rows = product
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let label = {
                let l = v.label(&options);
                if l.is_empty() {
                    "The product".to_string()
                } else {
                    l
                }
            };
            let cell = |field: &'static str, init: String| {
                let key = row_key(i, field);
                Signal::derive(move || err.get().and_then(|e| e.kept_value(&key)).unwrap_or_else(|| init.clone()))
            };
            let msg = |field: &'static str| {
                let key = row_key(i, field);
                Signal::derive(move || err.get().and_then(|e| e.field_message(&key)))
            };
            let row_label = label.clone();
            let input = move |field: &'static str, title: &str, init: String, mode: &'static str| {
                let value = cell(field, init);
                let error = msg(field);
                let id = row_key(i, field);
                view! {
                    <td data-label=title.to_string()>
                        <label for=id.clone() class="visually-hidden">{format!("{title} of {row_label}")}</label>
                        <input id=id name=format!("variants[rows][{i}][{field}]") type="text" inputmode=mode
                            prop:value=move || value.get() value=move || value.get()
                            aria-invalid=move || error.with(|e| e.is_some()).then_some("true") />
                        {move || error.get().map(|m| view! { <p class="field-error">{m}</p> })}
                    </td>
                }
            };
            let image_value = cell("image_id", v.image_id.clone().unwrap_or_default());
            let image_sel_id = row_key(i, "image_id");
            let pictures = images.clone();
            view! {
                <tr>
                    <th scope="row">
                        {label.clone()}
                        <input type="hidden" name=format!("variants[rows][{i}][id]") value=v.id.clone() />
                    </th>
                    {input("sku", "SKU", v.sku.clone(), "text")}
                    {input("price", "Price", v.price.to_input(), "decimal")}
                    {input("compare_at", "Compare-at price", v.compare_at.map(|c| c.to_input()).unwrap_or_default(), "decimal")}
                    <td class="num" data-label="Stock">{v.stock}</td>
                    {input("weight", "Weight in grams", v.weight_grams.map(|w| w.to_string()).unwrap_or_default(), "numeric")}
                    <td data-label="Picture">
                        <label for=image_sel_id.clone() class="visually-hidden">{format!("Picture of {label}")}</label>
                        <select id=image_sel_id name=format!("variants[rows][{i}][image_id]")>
                            <option value="">"Product's first"</option>
                            {pictures.into_iter().enumerate().map(|(n, img)| {
                                let id = img.id.clone();
                                view! { <option value=img.id.clone() selected=move || image_value.get() == id>{format!("Picture {}", n + 1)}</option> }
                            }).collect_view()}
                        </select>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let pid = product.id.clone();
    let (pid_price, pid_stock) = (pid.clone(), pid.clone());
    view! {
        <section class="panel" aria-labelledby="variants-title">
            <h2 id="variants-title">"Variants"</h2>
            <FormSuccess message=ok />
            <ActionForm action=action attr:novalidate=true>
                <FormAlert error=err />
                <input type="hidden" name="id" value=pid />
                <div class="table-wrap" tabindex="0" role="region" aria-label="Variants">
                    <table class="variant-table responsive-table">
                        <caption class="visually-hidden">"Variants of this product"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Variant"</th>
                                <th scope="col">"SKU"</th>
                                <th scope="col">"Price"</th>
                                <th scope="col">"Compare-at"</th>
                                <th scope="col">"Stock"</th>
                                <th scope="col">"Weight (g)"</th>
                                <th scope="col">"Picture"</th>
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                <p class="hint">"A compare-at price above the price shows the variant as on sale. Stock changes go through “Adjust stock” below, so each has a note in the history."</p>
                <div class="form-actions">
                    <button type="submit" disabled=move || action.pending().get()>"Save variants"</button>
                </div>
            </ActionForm>

            <h3>"Change every variant"</h3>
            <FormSuccess message=bulk_ok />
            <FormAlert error=bulk_err />
            <div class="grid-2">
                <ActionForm action=bulk attr:class="stacked" attr:novalidate=true>
                    <input type="hidden" name="id" value=pid_price />
                    <input type="hidden" name="action" value="price" />
                    <TextField name="value" id_prefix="bulk-price-" label="Set every price to" inputmode="decimal"
                        value=Signal::derive(move || bulk_err.get().and_then(|e| e.kept_value("bulk_price")).unwrap_or_default())
                        error=Signal::derive(move || bulk_err.get().and_then(|e| e.field_message("bulk_price"))) />
                    <button type="submit" class="secondary">"Set all prices"</button>
                </ActionForm>
                <ActionForm action=bulk attr:class="stacked" attr:novalidate=true>
                    <input type="hidden" name="id" value=pid_stock />
                    <input type="hidden" name="action" value="stock" />
                    <TextField name="value" id_prefix="bulk-stock-" label="Add units to every variant" inputmode="numeric"
                        value=Signal::derive(move || bulk_err.get().and_then(|e| e.kept_value("bulk_stock")).unwrap_or_default())
                        error=Signal::derive(move || bulk_err.get().and_then(|e| e.field_message("bulk_stock"))) />
                    <button type="submit" class="secondary">"Add stock to all"</button>
                </ActionForm>
            </div>
        </section>
    }
}

/// Adjusting one variant's stock, and the history of such changes.
#[component]
pub fn StockPanel(
    product: ProductDetail,
    actions: VariantActions,
    /// The stock history, made by the page (see [`stock_history`]).
    history: Resource<Result<StockHistory, AppError>>,
) -> impl IntoView {
    let stock = actions.stock;
    let stock_err = Signal::derive(move || stock.value().get().and_then(|r| r.err()));
    let stock_ok = success_message(
        stock,
        |n| format!("Stock is now {n}."),
        "The stock was changed; the history below has the change.",
    );
    let single = product.variants.len() == 1;
    let options = product.options.clone();
    let choices: Vec<(String, String)> = product
        .variants
        .iter()
        .map(|v| {
            let label = v.label(&options);
            let text = if label.is_empty() {
                format!("{} — {} in stock", v.sku, v.stock)
            } else {
                format!("{label} ({}) — {} in stock", v.sku, v.stock)
            };
            (v.id.clone(), text)
        })
        .collect();
    let chosen = Signal::derive(move || {
        stock_err
            .get()
            .and_then(|e| e.kept_value("variant_id"))
            .unwrap_or_default()
    });
    view! {
        <section class="panel" aria-labelledby="stock-title">
            <h2 id="stock-title">"Adjust stock"</h2>
            <FormSuccess message=stock_ok />
            <ActionForm action=stock attr:class="stacked" attr:novalidate=true>
                <FormAlert error=stock_err />
                <input type="hidden" name="id" value=product.id.clone() />
                {if single {
                    view! { <input type="hidden" name="variant_id" value=choices[0].0.clone() /> }.into_any()
                } else {
                    view! {
                        <div class="field">
                            <label for="stock-variant">"Variant"</label>
                            <select id="stock-variant" name="variant_id">
                                {choices.into_iter().map(|(id, text)| {
                                    let this = id.clone();
                                    view! { <option value=id selected=move || chosen.get() == this>{text}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                    }.into_any()
                }}
                <TextField name="delta" label="Change" inputmode="numeric" hint="Units to add (e.g. 10) or remove (e.g. -2)."
                    value=Signal::derive(move || stock_err.get().and_then(|e| e.kept_value("delta")).unwrap_or_default())
                    error=Signal::derive(move || stock_err.get().and_then(|e| e.field_message("delta"))) />
                <TextField name="note" label="Note (optional)" maxlength=200u32 hint="Like “Delivery from the workshop” or “2 damaged”."
                    error=Signal::derive(move || stock_err.get().and_then(|e| e.field_message("note"))) />
                <button type="submit">"Apply"</button>
            </ActionForm>
            <h3>"Stock history"</h3>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Err(e) => view! { <p class="field-error">{format!("The history could not be loaded: {e}")}</p> }.into_any(),
                        Ok(StockHistory { entries }) if entries.is_empty() => view! { <p class="muted">"No stock changes yet."</p> }.into_any(),
                        Ok(StockHistory { entries }) => view! {
                            <div class="table-wrap" tabindex="0" role="region" aria-label="Stock history">
                                <table>
                                    <caption class="visually-hidden">"Stock changes, newest first"</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col">"When"</th>
                                            <th scope="col">"SKU"</th>
                                            <th scope="col" class="num">"Change"</th>
                                            <th scope="col" class="num">"After"</th>
                                            <th scope="col">"By"</th>
                                            <th scope="col">"Note"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {entries.into_iter().map(|m| view! {
                                            <tr>
                                                <td>{m.at}</td>
                                                <td>{m.sku}</td>
                                                <td class="num">{if m.delta > 0 { format!("+{}", m.delta) } else { m.delta.to_string() }}</td>
                                                <td class="num">{m.stock_after}</td>
                                                <td>{m.by}</td>
                                                <td>{m.note}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
