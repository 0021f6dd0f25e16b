//! Admin pages for products, stock, pictures and categories.

use leptos::prelude::*;
use leptos_meta::Meta;

use crate::ui::head::PageTitle;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::variants::{stock_history, OptionsEditor, StockPanel, VariantActions, VariantTable};
use super::AdminGate;
use crate::catalog::api::{
    admin_get_product, admin_search_products, list_categories, CreateCategory, DeleteCategory,
    DeleteProduct, SaveProduct, UpdateCategory, MAX_PICTURES_PER_SAVE,
};
use crate::catalog::types::{
    encode_params, params_from_query, stock_label, CategoryView, ProductDetail, ProductStatus, Sort,
};
use crate::ui::forms::{FormAlert, TextField};
use crate::ui::nav::Pagination;
use crate::ui::{ErrorPage, Pic, Thumb};

#[component]
pub fn AdminProductsPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| query.with(params_from_query));
    let results = Resource::new(move || params.get(), admin_search_products);
    let categories = Resource::new(|| (), |_| list_categories());
    let deleted = move || query.with(|q| q.get("deleted").is_some());
    view! {
        <PageTitle text="Products – admin" />
        <Meta name="description" content="Search, filter and edit the shop's products and stock." />
        <AdminGate>
            <div class="page-header">
                <h1>"Products"</h1>
                <p class="actions">
                    <a class="button secondary" href="/admin/products/import">"Import / export CSV"</a>
                    " "
                    <a class="button" href="/admin/products/new">"Add a product"</a>
                </p>
            </div>
            {move || deleted().then(|| view! { <div class="alert alert-success" role="status"><p>"The product was deleted."</p></div> })}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    // The filter still works without the category list; say so.
                    let (cats, cats_missing) = match categories.await {
                        Ok(c) => (c, false),
                        Err(e) => {
                            leptos::logging::warn!("admin product list: categories unavailable: {e}");
                            (Vec::new(), true)
                        }
                    };
                    let p = params.get_untracked();
                    let sort = p.sort.clone().unwrap_or_default();
                    let status = p.status.clone().unwrap_or_else(|| "all".into());
                    view! {
                        {cats_missing.then(|| view! {
                            <div class="alert alert-warn" role="status">
                                <p>"The category list could not be loaded, so it cannot be used as a filter right now."</p>
                            </div>
                        })}
                        <form method="get" action="/admin/products" class="toolbar" role="search" aria-label="Filter products">
                            <div class="field grow">
                            <label for="ap-q">"Search"</label>
                            <input id="ap-q" type="search" name="q" value=p.q.clone().unwrap_or_default() maxlength="200" />
                            </div>
                            <div class="field">
                            <label for="ap-cat">"Category"</label>
                            <select id="ap-cat" name="category">
                                <option value="">"All"</option>
                                {cats.into_iter().map(|c| {
                                    let sel = p.category.as_deref() == Some(c.slug.as_str());
                                    view! { <option value=c.slug.clone() selected=sel>{c.name}</option> }
                                }).collect_view()}
                            </select>
                            </div>
                            <div class="field">
                            <label for="ap-status">"Status"</label>
                            <select id="ap-status" name="status">
                                {[("all", "All"), ("active", "Active"), ("archived", "Archived")].into_iter().map(|(v, l)| view! {
                                    <option value=v selected=status == v>{l}</option>
                                }).collect_view()}
                            </select>
                            </div>
                            <div class="field">
                            <label for="ap-sort">"Sort"</label>
                            <select id="ap-sort" name="sort">
                                {[Sort::Newest, Sort::Relevance, Sort::PriceAsc, Sort::PriceDesc, Sort::StockAsc].into_iter().map(|s| view! {
                                    <option value=s.as_str() selected=sort == s.as_str()>{s.label()}</option>
                                }).collect_view()}
                            </select>
                            </div>
                            <button type="submit">"Filter"</button>
                        </form>
                    }
                })}
            </Suspense>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let p = params.get_untracked();
                    match results.await {
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                        Ok(r) if r.items.is_empty() => view! { <p>"No products match."</p> }.into_any(),
                        Ok(r) => view! {
                            <p>{format!("{} products", r.total)}</p>
                            <div>
                                <table class="responsive-table admin-products">
                                    <caption class="visually-hidden">"Products"</caption>
                                    <thead><tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Category"</th>
                                        <th scope="col" class="num">"Price"</th>
                                        <th scope="col" class="num">"Stock"</th>
                                        <th scope="col">"Status"</th>
                                    </tr></thead>
                                    <tbody>
                                        {r.items.into_iter().map(|c| {
                                            let (cls, _) = stock_label(c.stock);
                                            view! {
                                                <tr>
                                                    <td class="line-product row-title">
                                                        <Thumb picture=c.picture.clone() size=48 />
                                                        <a href=format!("/admin/products/{}", c.id)>{c.name.clone()}</a>
                                                    </td>
                                                    <td data-label="Category">{c.category_name.clone()}</td>
                                                    <td class="num" data-label="Price">{c.price_label()}</td>
                                                    <td class=format!("num {cls}") data-label="Stock">{c.stock}</td>
                                                    <td data-label="Status"><ProductStatusLabel status=c.status /></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pagination page=r.page pages=r.pages href=move |n| {
                                let mut q = p.clone();
                                q.page = (n > 1).then(|| n.to_string());
                                format!("/admin/products?{}", encode_params(&q))
                            } />
                        }.into_any(),
                    }
                })}
            </Suspense>
        </AdminGate>
    }
}

/// The product form, for a new product (`product` is None) or an existing one:
/// details and pictures in one multipart form, posted to `/admin/products/save`
/// (see `catalog::editor`), so the first pictures come with the first save. A
/// refused save comes back to this page with the error and the typed values (as
/// the `SaveProduct` action's error), with or without JavaScript.
#[component]
fn ProductFormView(product: Option<ProductDetail>, categories: Vec<CategoryView>) -> impl IntoView {
    let action = ServerAction::<SaveProduct>::new();
    let err = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let p = product.clone();
    let initial = move |name: &'static str| -> String {
        let Some(p) = &p else {
            return match name {
                "status" => "active".into(),
                _ => String::new(),
            };
        };
        match name {
            "name" => p.name.clone(),
            "slug" => p.slug.clone(),
            "description" => p.description.clone(),
            "price" => p.price.to_input(),
            "category_id" => p
                .category
                .as_ref()
                .map(|c| c.id.clone())
                .unwrap_or_default(),
            "tags" => p.tags.join(", "),
            "sku" => p
                .variants
                .first()
                .map(|v| v.sku.clone())
                .unwrap_or_default(),
            "status" => p.status.as_str().to_string(),
            "featured" => {
                if p.featured {
                    "on".into()
                } else {
                    String::new()
                }
            }
            _ => String::new(),
        }
    };
    let value = move |name: &'static str| {
        let init = initial(name);
        Signal::derive(move || {
            err.get()
                .and_then(|e| e.kept_value(name))
                .unwrap_or_else(|| init.clone())
        })
    };
    let field = move |name: &'static str| {
        Signal::derive(move || err.get().and_then(|e| e.field_message(name)))
    };
    let category_value = value("category_id");
    let status_value = value("status");
    let featured_value = value("featured");
    let description_value = value("description");
    let pictures_error = field("pictures");
    let is_new = product.is_none();
    let stock_now = product.as_ref().map(|p| p.stock);
    let id = product.as_ref().map(|p| p.id.clone());
    let images = product
        .as_ref()
        .map(|p| p.images.clone())
        .unwrap_or_default();
    // Price and SKU are the product's own only when it has one variant;
    // otherwise the variant table carries them.
    let single = product
        .as_ref()
        .is_none_or(|p| p.options.is_empty() && p.variants.len() == 1);
    view! {
        <form method="post" action="/admin/products/save" enctype="multipart/form-data" class="stacked product-form" novalidate>
            <FormAlert error=err />
            {id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            <div class="editor-grid">
                <div class="editor-main">
                    <section class="panel">
                        <h2>"Details"</h2>
                        <TextField name="form[name]" label="Name" required=true maxlength=120u32 value=value("name") error=field("name") />
                        <div class="field" class:has-error=move || field("description").get().is_some()>
                            <label for="form[description]">"Description"</label>
                            <textarea id="form[description]" name="form[description]" maxlength="5000" rows="6" prop:value=move || description_value.get()>{move || description_value.get()}</textarea>
                            {move || field("description").get().map(|m| view! { <p class="field-error">{m}</p> })}
                        </div>
                    </section>
                    <fieldset class="panel pictures-field" aria-describedby="pictures-hint">
                        <legend>"Pictures"</legend>
                        {if images.is_empty() {
                            view! { <p class="muted">"No pictures yet: the shop shows a placeholder."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="gallery-thumbs editable">
                                    {images.into_iter().enumerate().map(|(n, img)| {
                                        let box_id = format!("remove-{}", img.id);
                                        let label_for = box_id.clone();
                                        view! {
                                            <li>
                                                <Pic picture=img.picture.clone() width=96 sizes="96px" class="thumb" />
                                                <label class="checkbox" for=label_for>
                                                    <input id=box_id type="checkbox" name="remove_image" value=img.id.clone() />
                                                    {format!("Remove picture {}", n + 1)}
                                                </label>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        <div class="field" class:has-error=move || pictures_error.get().is_some()>
                            <label for="pictures">{if is_new { "Add pictures" } else { "Add more pictures" }}</label>
                            <p class="hint" id="pictures-hint">{format!("PNG, JPEG, GIF or WebP, up to 5 MB each, {MAX_PICTURES_PER_SAVE} at a time. The first picture is the one shoppers see first.")}</p>
                            <input id="pictures" type="file" name="pictures" multiple accept="image/png,image/jpeg,image/gif,image/webp"
                                aria-invalid=move || pictures_error.get().is_some().then_some("true") />
                            {move || pictures_error.get().map(|m| view! { <p class="field-error">{m}</p> })}
                        </div>
                        <TextField name="alt" label="Describe the new pictures (for people who cannot see them)" maxlength=200u32 value=value("alt") error=field("alt") />
                    </fieldset>
                    <section class="panel">
                        <h2>{if single { "Price and stock" } else { "Prices and stock" }}</h2>
                        {single.then(|| view! {
                            <div class="grid-2">
                                <TextField name="form[price]" label="Price" inputmode="decimal" required=true hint="For example 12.99." value=value("price") error=field("price") />
                                {is_new.then(|| view! {
                                    <TextField name="form[stock]" label="Opening stock" inputmode="numeric" required=true hint="Units you have now." value=value("stock") error=field("stock") />
                                })}
                            </div>
                            {stock_now.map(|n| view! { <p class="hint">{format!("{n} in stock. Stock changes go through “Adjust stock” below, each with a note in the history.")}</p> })}
                            <TextField name="form[sku]" label="SKU" maxlength=64u32 hint="Your code for it, like TEE-RED-M. Left empty, it is made from the web address." value=value("sku") error=field("sku") />
                        })}
                        {(!single).then(|| view! { <p class="muted">"This product has options: prices and SKUs are set per variant, in the table below; stock under “Adjust stock”."</p> })}
                    </section>
                </div>
                <div class="editor-side">
                    <section class="panel">
                        <h2>"Status"</h2>
                        <div class="field">
                            <label for="form[status]">"Shown in the shop"</label>
                            <select id="form[status]" name="form[status]">
                                <option value="active" selected=move || status_value.get() != "archived">"Active (for sale)"</option>
                                <option value="archived" selected=move || status_value.get() == "archived">"Archived (hidden)"</option>
                            </select>
                        </div>
                        <div class="field">
                            <label class="checkbox">
                                <input type="checkbox" name="form[featured]" value="on" checked=move || featured_value.get() == "on" />
                                "Featured on the home page"
                            </label>
                        </div>
                    </section>
                    <section class="panel">
                        <h2>"Organisation"</h2>
                        <div class="field" class:has-error=move || field("category_id").get().is_some()>
                            <label for="form[category_id]">"Category"</label>
                            <select id="form[category_id]" name="form[category_id]">
                                <option value="">"No category"</option>
                                {categories.into_iter().map(|c| {
                                    let cid = c.id.clone();
                                    view! { <option value=c.id.clone() selected=move || category_value.get() == cid>{c.name}</option> }
                                }).collect_view()}
                            </select>
                            {move || field("category_id").get().map(|m| view! { <p class="field-error">{m}</p> })}
                        </div>
                        <TextField name="form[tags]" label="Tags" hint="Separated by commas" value=value("tags") error=field("tags") />
                    </section>
                    <section class="panel">
                        <h2>"Search engine listing"</h2>
                        <TextField name="form[slug]" label="Web address (slug)" maxlength=120u32 hint="The end of the product's address, /products/…. Left empty, it is made from the name." value=value("slug") error=field("slug") />
                    </section>
                </div>
            </div>
            <div class="form-actions editor-actions">
                <button type="submit">{if is_new { "Create product" } else { "Save product" }}</button>
            </div>
        </form>
    }
}

#[component]
pub fn AdminProductNewPage() -> impl IntoView {
    let categories = Resource::new(|| (), |_| list_categories());
    view! {
        <PageTitle text="New product – admin" />
        <Meta name="description" content="Add a product to the catalog." />
        <AdminGate>
            <h1>"New product"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match categories.await {
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                        Ok(cats) => view! { <ProductFormView product=None categories=cats /> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminGate>
    }
}

#[component]
pub fn AdminProductEditPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let variant_actions = VariantActions::new();
    let delete = ServerAction::<DeleteProduct>::new();
    let history = stock_history(id, variant_actions);
    let product = Resource::new(
        move || (id.get(), variant_actions.version()),
        |(id, ..)| admin_get_product(id),
    );
    let categories = Resource::new(|| (), |_| list_categories());
    let query = use_query_map();
    let notice = move || {
        query.with(|q| {
            if q.get("created").is_some() {
                Some((
                    "alert alert-success",
                    "The product was created.".to_string(),
                ))
            } else if q.get("saved").is_some() && q.get("__err").is_none() {
                Some(("alert alert-success", "Saved.".to_string()))
            } else if q.get("image").as_deref() == Some("added") {
                Some(("alert alert-success", "The picture was added.".to_string()))
            } else {
                q.get("image_error").map(|e| {
                    (
                        "alert alert-error",
                        format!("The picture was not added: {e}"),
                    )
                })
            }
        })
    };
    let delete_err = Signal::derive(move || delete.value().get().and_then(|r| r.err()));
    view! {
        <AdminGate>
            {move || notice().map(|(class, text)| view! { <div class=class role="status"><p>{text}</p></div> })}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    // Without the category list the form would save "no category":
                    // show the error instead of a form that loses data.
                    let loaded = match (categories.await, product.await) {
                        (Ok(cats), Ok(p)) => Ok((cats, p)),
                        (Err(e), _) | (_, Err(e)) => Err(e),
                    };
                    match loaded {
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                        Ok((cats, p)) => {
                            let pid = p.id.clone();
                            let archived = p.status == ProductStatus::Archived;
                            view! {
                                <PageTitle text=format!("{} – admin", p.name) />
                                <Meta name="description" content="Edit a product." />
                                <div class="page-header">
                                    <h1>{p.name.clone()}</h1>
                                    <p>
                                        {(!archived).then(|| view! { <a href=format!("/products/{}", p.slug)>"View in the shop"</a> })}
                                    </p>
                                </div>
                                <p class="muted">{format!("Price {} · stock {} · ", p.price, p.stock)}<ProductStatusLabel status=p.status /></p>
                                <ProductFormView product=Some(p.clone()) categories=cats />

                                <OptionsEditor product=p.clone() actions=variant_actions />
                                <VariantTable product=p.clone() actions=variant_actions />
                                <StockPanel product=p.clone() actions=variant_actions history=history />

                                <section class="panel danger-zone" aria-labelledby="delete-title">
                                    <h2 id="delete-title">"Delete"</h2>
                                    <p>"Deleting removes the product for good. Past orders keep their own copy of what was sold."</p>
                                    <ActionForm action=delete attr:class="stacked">
                                        <FormAlert error=delete_err />
                                        <input type="hidden" name="id" value=pid.clone() />
                                        <div class="field">
                                            <label class="checkbox">
                                                <input type="checkbox" name="confirm" value="yes" required />
                                                "Yes, delete this product for good"
                                            </label>
                                        </div>
                                        <button type="submit" class="danger">"Delete product"</button>
                                    </ActionForm>
                                </section>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </AdminGate>
    }
}

#[component]
pub fn AdminCategoriesPage() -> impl IntoView {
    let create = ServerAction::<CreateCategory>::new();
    let update = ServerAction::<UpdateCategory>::new();
    let delete = ServerAction::<DeleteCategory>::new();
    let categories = Resource::new(
        move || {
            (
                create.version().get(),
                update.version().get(),
                delete.version().get(),
            )
        },
        |_| list_categories(),
    );
    let create_err = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let update_err = Signal::derive(move || update.value().get().and_then(|r| r.err()));
    let delete_err = Signal::derive(move || delete.value().get().and_then(|r| r.err()));
    let field = move |name: &'static str| {
        Signal::derive(move || create_err.get().and_then(|e| e.field_message(name)))
    };
    let kept = move |name: &'static str| {
        Signal::derive(move || {
            create_err
                .get()
                .and_then(|e| e.kept_value(name))
                .unwrap_or_default()
        })
    };
    view! {
        <PageTitle text="Categories – admin" />
        <Meta name="description" content="Create, rename, move and delete product categories." />
        <AdminGate>
            <h1>"Categories"</h1>
            <FormAlert error=update_err />
            <FormAlert error=delete_err />
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match categories.await {
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                        Ok(cats) => {
                            let all = cats.clone();
                            let parent_name = move |id: &Option<String>| {
                                id.as_ref()
                                    .and_then(|i| all.iter().find(|c| &c.id == i))
                                    .map(|c| c.name.clone())
                                    .unwrap_or_else(|| "—".into())
                            };
                            view! {
                                <div class="table-wrap" tabindex="0" role="region" aria-label="Categories">
                                    <table>
                                        <caption class="visually-hidden">"Categories"</caption>
                                        <thead><tr>
                                            <th scope="col">"Name"</th>
                                            <th scope="col">"Web address"</th>
                                            <th scope="col">"Inside"</th>
                                            <th scope="col">"Actions"</th>
                                        </tr></thead>
                                        <tbody>
                                            {cats.clone().into_iter().map(|c| {
                                                let options = cats.clone();
                                                let c2 = c.clone();
                                                view! {
                                                    <tr>
                                                        <td>{c.name.clone()}</td>
                                                        <td>{c.slug.clone()}</td>
                                                        <td>{parent_name(&c.parent_id)}</td>
                                                        <td>
                                                            <details>
                                                                <summary>"Edit"</summary>
                                                                <ActionForm action=update attr:class="stacked">
                                                                    <input type="hidden" name="id" value=c.id.clone() />
                                                                    <div class="field"><label for=format!("n-{}", c.id)>"Name"</label>
                                                                        <input id=format!("n-{}", c.id) type="text" name="name" value=c.name.clone() maxlength="60" /></div>
                                                                    <div class="field"><label for=format!("s-{}", c.id)>"Web address (slug)"</label>
                                                                        <input id=format!("s-{}", c.id) type="text" name="slug" value=c.slug.clone() maxlength="120" /></div>
                                                                    <div class="field"><label for=format!("p-{}", c.id)>"Inside"</label>
                                                                        <select id=format!("p-{}", c.id) name="parent_id">
                                                                            <option value="">"Top level"</option>
                                                                            {options.iter().filter(|o| o.id != c.id).map(|o| view! {
                                                                                <option value=o.id.clone() selected=c.parent_id.as_deref() == Some(o.id.as_str())>{o.name.clone()}</option>
                                                                            }).collect_view()}
                                                                        </select></div>
                                                                    <div class="field"><label for=format!("d-{}", c.id)>"Description"</label>
                                                                        <input id=format!("d-{}", c.id) type="text" name="description" value=c.description.clone() maxlength="1000" /></div>
                                                                    <button type="submit">"Save"</button>
                                                                </ActionForm>
                                                            </details>
                                                            <ActionForm action=delete>
                                                                <input type="hidden" name="id" value=c2.id.clone() />
                                                                <button type="submit" class="link-button" aria-label=format!("Delete {}", c2.name)>"Delete"</button>
                                                            </ActionForm>
                                                        </td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <section aria-labelledby="new-cat-title">
                                    <h2 id="new-cat-title">"New category"</h2>
                                    <ActionForm action=create attr:class="stacked" attr:novalidate=true>
                                        <FormAlert error=create_err />
                                        <TextField name="name" label="Name" required=true maxlength=60u32 value=kept("name") error=field("name") />
                                        <TextField name="slug" label="Web address (slug)" hint="Left empty, it is made from the name." maxlength=120u32 value=kept("slug") error=field("slug") />
                                        <div class="field">
                                            <label for="new-parent">"Inside"</label>
                                            <select id="new-parent" name="parent_id">
                                                <option value="">"Top level"</option>
                                                {cats.clone().into_iter().map(|o| view! { <option value=o.id.clone()>{o.name.clone()}</option> }).collect_view()}
                                            </select>
                                        </div>
                                        <TextField name="description" label="Description" maxlength=1000u32 value=kept("description") error=field("description") />
                                        <button type="submit">"Create category"</button>
                                    </ActionForm>
                                </section>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </AdminGate>
    }
}

/// A product's status as a label ("Active", "Archived").
#[component]
pub fn ProductStatusLabel(status: ProductStatus) -> impl IntoView {
    let (class, text) = match status {
        ProductStatus::Active => ("status status-active", "Active"),
        ProductStatus::Archived => ("status status-archived", "Archived"),
    };
    view! { <span class=class>{text}</span> }
}
