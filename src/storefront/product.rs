//! The product page: pictures, description, and the buy box with one picker per
//! option (Size, Colour). Without JavaScript the pickers are radio groups in the
//! add-to-cart form; "Show price and availability" reloads the page for the chosen
//! combination (`?option1=M&option2=Red`), and every variant has its own link
//! (`?variant=SKU`). With the app loaded, price, stock, picture and the button
//! follow the choice in place.

use leptos::prelude::*;
use leptos_meta::Meta;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::pages::ProductGrid;
use crate::cart::pages::use_add_to_cart;
use crate::cart::types::MAX_LINE_QUANTITY;
use crate::catalog::api::product_by_slug;
use crate::catalog::types::{
    stock_label, ImageView, OptionView, ProductDetail, ProductStatus, VariantView,
    PLACEHOLDER_IMAGE,
};
use crate::shared::Picture;
use crate::ui::head::PageTitle;
use crate::ui::{ErrorPage, Pic, Thumb};

/// The option values a page address asks for: `?variant=SKU`, or `option1..3`
/// (which win: they are what the shopper just chose). Values are matched without
/// regard to case and returned as the product spells them.
pub fn chosen_values(
    p: &ProductDetail,
    variant: Option<&str>,
    picks: [Option<&str>; 3],
) -> Vec<String> {
    let picked: Vec<Option<String>> = p
        .options
        .iter()
        .zip(picks)
        .map(|(o, pick)| {
            let pick = pick?.trim();
            o.values
                .iter()
                .find(|v| v.to_lowercase() == pick.to_lowercase())
                .cloned()
        })
        .collect();
    let fallback = variant
        .and_then(|sku| p.variant_by_sku(sku))
        .or_else(|| p.default_variant())
        .map(|v| v.options.clone())
        .unwrap_or_default();
    p.options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            picked
                .get(i)
                .cloned()
                .flatten()
                .or_else(|| fallback.get(i).cloned())
                .or_else(|| o.values.first().cloned())
                .unwrap_or_default()
        })
        .collect()
}

/// The variant with these values (case-insensitive), if it is sold.
fn variant_for<'a>(p: &'a ProductDetail, values: &[String]) -> Option<&'a VariantView> {
    p.variants.iter().find(|v| {
        v.options.len() == values.len()
            && v.options
                .iter()
                .zip(values)
                .all(|(a, b)| a.to_lowercase() == b.to_lowercase())
    })
}

/// How one value of option `i` would do, with the other current choices: sold and
/// in stock, sold out, or not made at all.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Availability {
    InStock,
    SoldOut,
    NotMade,
}

fn availability(p: &ProductDetail, current: &[String], i: usize, value: &str) -> Availability {
    let mut values = current.to_vec();
    if let Some(slot) = values.get_mut(i) {
        *slot = value.to_string();
    }
    match variant_for(p, &values) {
        Some(v) if v.stock > 0 => Availability::InStock,
        Some(_) => Availability::SoldOut,
        None => Availability::NotMade,
    }
}

fn image_index(images: &[ImageView], v: Option<&VariantView>) -> usize {
    v.and_then(|v| v.image_id.as_ref())
        .and_then(|id| images.iter().position(|i| &i.id == id))
        .unwrap_or(0)
}

#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let slug = Memo::new(move |_| params.with(|p| p.get("slug").unwrap_or_default()));
    let product = Resource::new(move || slug.get(), product_by_slug);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match product.await {
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(p) => view! { <ProductView p=p /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProductView(p: ProductDetail) -> impl IntoView {
    let query = use_query_map();
    let initial = query.with_untracked(|q| {
        let variant = q.get("variant");
        let picks = [q.get("option1"), q.get("option2"), q.get("option3")];
        chosen_values(
            &p,
            variant.as_deref(),
            [
                picks[0].as_deref(),
                picks[1].as_deref(),
                picks[2].as_deref(),
            ],
        )
    });
    let chosen = RwSignal::new(initial);
    let p = StoredValue::new(p);
    let current =
        Memo::new(move |_| chosen.with(|values| p.with_value(|p| variant_for(p, values).cloned())));
    let images = p.with_value(|p| p.images.clone());
    let selected_image = RwSignal::new(image_index(&images, current.get_untracked().as_ref()));

    let (name, description, archived, og_image, amount, currency_code, options, slug) = p
        .with_value(|p| {
            let main = p.images.first().cloned();
            (
                p.name.clone(),
                p.description.clone(),
                p.status != ProductStatus::Active,
                main.as_ref()
                    .map(|i| i.picture.url(1024))
                    .unwrap_or_else(|| PLACEHOLDER_IMAGE.to_string()),
                p.price.to_input(),
                p.price.currency().code().to_uppercase(),
                p.options.clone(),
                p.slug.clone(),
            )
        });
    let meta_description: String = description.chars().take(155).collect();
    let breadcrumbs = p.with_value(|p| p.breadcrumbs.clone());
    let tags = p.with_value(|p| p.tags.clone());
    let related = p.with_value(|p| p.related.clone());
    let structured = p.with_value(|p| p.structured_data.clone());
    let category = p.with_value(|p| p.category.clone());

    view! {
        <PageTitle text=name.clone() />
        <Meta name="description" content=meta_description.clone() />
        <Meta property="og:type" content="product" />
        <Meta property="og:title" content=name.clone() />
        <Meta property="og:description" content=meta_description />
        <Meta property="og:image" content=og_image />
        <Meta property="product:price:amount" content=amount />
        <Meta property="product:price:currency" content=currency_code />
        <nav class="breadcrumbs" aria-label="Breadcrumb">
            <ol>
                <li><a href="/">"Home"</a></li>
                <li><a href="/products">"Products"</a></li>
                {breadcrumbs.iter().map(|c| view! {
                    <li><a href=format!("/products?category={}", c.slug)>{c.name.clone()}</a></li>
                }).collect_view()}
                <li aria-current="page">{name.clone()}</li>
            </ol>
        </nav>
        <article class="product-detail">
            <Gallery images=images.clone() selected=selected_image name=name.clone() />
            <div class="buy-column">
                <h1>{name.clone()}</h1>
                {archived.then(|| view! { <p class="alert alert-warn">"This product is archived: shoppers cannot see or buy it."</p> })}
                <BuyBox p=p chosen=chosen current=current selected_image=selected_image
                    images=images options=options slug=slug archived=archived />
                <h2 class="description-title">"Description"</h2>
                <p>{description}</p>
                {(!tags.is_empty()).then(|| view! {
                    <h2 class="visually-hidden">"Tags"</h2>
                    <ul class="tags">
                        {tags.iter().map(|t| view! {
                            <li><a href=format!("/products?q={}", crate::shared::text::url_encode(t))>{t.clone()}</a></li>
                        }).collect_view()}
                    </ul>
                })}
            </div>
        </article>
        {(!related.is_empty()).then(|| {
            let (title, href) = match &category {
                Some(c) => (format!("More from {}", c.name), format!("/products?category={}", c.slug)),
                None => ("More to discover".to_string(), "/products".to_string()),
            };
            view! {
                <section class="related" aria-labelledby="related-title">
                    <div class="section-head">
                        <h2 id="related-title">{title}</h2>
                        <a href=href>"See all"</a>
                    </div>
                    <ProductGrid items=related.clone() below_fold=true />
                </section>
            }
        })}
        {(!structured.is_empty()).then(|| view! {
            <script type="application/ld+json" inner_html=structured.clone()></script>
        })}
    }
}

/// How wide the main product picture is: the left column from 50rem, else the screen.
const GALLERY_SIZES: &str = "(min-width: 72rem) 560px, (min-width: 50rem) 48vw, 100vw";

#[component]
fn Gallery(images: Vec<ImageView>, selected: RwSignal<usize>, name: String) -> impl IntoView {
    let main_images = images.clone();
    view! {
        <div class="gallery">
            <div class="gallery-main">
                {move || {
                    let picture = main_images
                        .get(selected.get())
                        .or(main_images.first())
                        .map(|img| img.picture.clone())
                        .unwrap_or_else(|| Picture::placeholder(format!("{name} (no photo yet)")));
                    view! { <Pic picture=picture width=600 sizes=GALLERY_SIZES eager=true /> }
                }}
            </div>
            {(images.len() > 1).then(|| view! {
                <ul class="gallery-thumbs" aria-label="More pictures">
                    {images.iter().enumerate().map(|(i, img)| {
                        let href = img.picture.url(1024);
                        let picture = img.picture.clone();
                        view! {
                            <li>
                                <a href=href on:click=move |ev| { ev.prevent_default(); selected.set(i); }
                                   aria-label=format!("Show picture {}", i + 1)
                                   aria-current=move || (selected.get() == i).then_some("true")>
                                    <Thumb picture=picture size=72 />
                                </a>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
        </div>
    }
}

/// Replaces the address with the chosen variant's link, without reloading.
fn show_in_address(sku: Option<&str>, values: &[String]) {
    #[cfg(feature = "hydrate")]
    {
        let query = match sku {
            Some(sku) => format!("?variant={}", crate::shared::text::url_encode(sku)),
            None => values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("option{}={}", i + 1, crate::shared::text::url_encode(v)))
                .collect::<Vec<_>>()
                .join("&"),
        };
        let query = if query.starts_with('?') {
            query
        } else {
            format!("?{query}")
        };
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&query));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (sku, values);
}

#[allow(clippy::too_many_arguments)]
#[component]
fn BuyBox(
    p: StoredValue<ProductDetail>,
    chosen: RwSignal<Vec<String>>,
    current: Memo<Option<VariantView>>,
    selected_image: RwSignal<usize>,
    images: Vec<ImageView>,
    options: Vec<OptionView>,
    slug: String,
    archived: bool,
) -> impl IntoView {
    let shared = use_add_to_cart();
    let (action, attempted) = (shared.action, shared.attempted);
    let product_id = p.with_value(|p| p.id.clone());
    let product_name = p.with_value(|p| p.name.clone());
    let from_price = p.with_value(|p| p.price);
    let has_options = !options.is_empty();
    // The no-JavaScript "show" button is not needed once the app runs.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let price_view = move || {
        match current.get() {
        Some(v) => {
            let was = v.on_sale().then(|| v.compare_at.map(|c| c.to_string())).flatten();
            view! {
                <p class="price" data-testid="variant-price">
                    {was.clone().map(|w| view! { <s class="was-price"><span class="visually-hidden">"Was "</span>{w}</s> " " })}
                    <span class="current-price" class:sale-price=was.is_some()>
                        {was.is_some().then(|| view! { <span class="visually-hidden">"Now "</span> })}
                        {v.price.to_string()}
                    </span>
                    {was.is_some().then(|| view! { " " <span class="badge badge-sale">"Sale"</span> })}
                </p>
            }
            .into_any()
        }
        None => view! { <p class="price" data-testid="variant-price">{format!("from {from_price}")}</p> }.into_any(),
    }
    };
    let stock_view = move || {
        match current.get() {
        Some(v) => {
            let (class, text) = stock_label(v.stock);
            view! { <p class=format!("stock {class}") data-testid="variant-stock">{text}</p> }.into_any()
        }
        None => view! {
            <p class="stock stock-out" data-testid="variant-stock">"This combination is not available."</p>
        }
        .into_any(),
    }
    };
    let buyable = move || !archived && current.get().is_some_and(|v| v.stock > 0);
    let max_qty = move || {
        current
            .get()
            .map(|v| v.stock.clamp(1, i64::from(MAX_LINE_QUANTITY)))
            .unwrap_or(1)
    };
    let variant_id = move || current.get().map(|v| v.id).unwrap_or_default();
    let sku_view = move || {
        current
            .get()
            .filter(|_| has_options)
            .map(|v| view! { <p class="muted sku">"SKU " {v.sku}</p> })
    };
    let mine = {
        let id = product_id.clone();
        move || attempted.with(|a| a.as_deref() == Some(id.as_str()))
    };
    let status = {
        let mine = mine.clone();
        move || {
            if !mine() {
                return None;
            }
            action.value().get().map(|r| match r {
                Ok(added) => view! {
                    <p class="field-ok" role="status">
                        {format!("Added. You have {} in your cart. ", added.quantity_in_cart)}
                        <a href="/cart">"View cart"</a>
                    </p>
                }
                .into_any(),
                Err(e) => view! {
                    <p class="field-error" role="alert">
                        {e.field_message("quantity")
                            .or_else(|| e.field_message("options"))
                            .unwrap_or_else(|| e.to_string())}
                    </p>
                }
                .into_any(),
            })
        }
    };

    let pickers = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let values = o.values.clone();
            let name = format!("option{}", i + 1);
            view! {
                <fieldset class="option-picker">
                    <legend>
                        {o.name.clone()} ": "
                        <strong>{move || chosen.with(|c| c.get(i).cloned().unwrap_or_default())}</strong>
                    </legend>
                    <div class="swatches">
                        {values.into_iter().enumerate().map(|(j, value)| {
                            let id = format!("opt-{i}-{j}");
                            let v_checked = value.clone();
                            let v_change = value.clone();
                            let v_state = value.clone();
                            let state = Memo::new(move |_| chosen.with(|c| p.with_value(|p| availability(p, c, i, &v_state))));
                            view! {
                                <span class="swatch"
                                    class:sold-out=move || state.get() == Availability::SoldOut
                                    class:not-made=move || state.get() == Availability::NotMade>
                                    <input type="radio" id=id.clone() name=name.clone() value=value.clone()
                                        prop:checked=move || chosen.with(|c| c.get(i) == Some(&v_checked))
                                        checked=chosen.with_untracked(|c| c.get(i) == Some(&value))
                                        on:change=move |_| {
                                            chosen.update(|c| if let Some(slot) = c.get_mut(i) { *slot = v_change.clone(); });
                                            let (sku, values, img) = chosen.with_untracked(|c| p.with_value(|p| {
                                                let v = variant_for(p, c);
                                                (v.map(|v| v.sku.clone()), c.clone(), v.and_then(|v| v.image_id.clone()))
                                            }));
                                            if img.is_some() {
                                                let idx = p.with_value(|p| p.images.iter().position(|im| Some(&im.id) == img.as_ref()));
                                                if let Some(idx) = idx { selected_image.set(idx); }
                                            }
                                            show_in_address(sku.as_deref(), &values);
                                        } />
                                    <label for=id>
                                        {value.clone()}
                                        {move || match state.get() {
                                            Availability::InStock => None,
                                            Availability::SoldOut => Some(view! { <span class="visually-hidden">" (sold out)"</span> }),
                                            Availability::NotMade => Some(view! { <span class="visually-hidden">" (not available)"</span> }),
                                        }}
                                    </label>
                                </span>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            }
        })
        .collect_view();
    let _ = images;
    let show_href = format!("/products/{slug}");
    let id_for_click = product_id.clone();

    view! {
        {price_view}
        {stock_view}
        {sku_view}
        <leptos::form::ActionForm action=action attr:class="add-to-cart buy-box">
            <input type="hidden" name="product_id" value=product_id.clone() />
            <input type="hidden" name="variant_id" prop:value=variant_id value=variant_id />
            {pickers}
            {move || (has_options && !hydrated.get()).then(|| view! {
                <p class="no-js-only">
                    <button type="submit" class="secondary" formmethod="get" formaction=show_href.clone() formnovalidate=true>
                        "Show price and availability"
                    </button>
                </p>
            })}
            <div class="buy-row">
                <div class="field qty-field">
                    <label for="qty-buy">"Quantity"</label>
                    <input id="qty-buy" class="qty-input" type="number" name="quantity" value="1" min="1"
                        max=max_qty inputmode="numeric" disabled=move || !buyable() />
                </div>
                <button type="submit" class="primary add-button"
                    disabled=move || !buyable() || (mine() && action.pending().get())
                    on:click=move |_| attempted.set(Some(id_for_click.clone()))
                    aria-label=format!("Add {product_name} to cart")>
                    {move || if buyable() { "Add to cart" } else { "Unavailable" }}
                </button>
            </div>
            {status}
        </leptos::form::ActionForm>
        <ul class="delivery" aria-label="Delivery and payment">
            <li>"Shipping options and their prices for your address are shown at checkout."</li>
            <li>"Pay securely by card with Stripe; we never see your card number."</li>
            <li>"Buy as a guest or with an account."</li>
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::{Currency, Money};

    fn detail() -> ProductDetail {
        let v = |id: &str, sku: &str, size: &str, colour: &str, stock: i64| VariantView {
            id: id.into(),
            sku: sku.into(),
            options: vec![size.into(), colour.into()],
            price: Money::new(1000, Currency::Usd),
            compare_at: None,
            stock,
            weight_grams: None,
            image_id: None,
        };
        ProductDetail {
            id: "p".into(),
            slug: "tee".into(),
            name: "Tee".into(),
            description: String::new(),
            price: Money::new(1000, Currency::Usd),
            stock: 3,
            options: vec![
                OptionView {
                    name: "Size".into(),
                    values: vec!["S".into(), "M".into()],
                },
                OptionView {
                    name: "Colour".into(),
                    values: vec!["Red".into(), "Blue".into()],
                },
            ],
            variants: vec![
                v("1", "TEE-S-RED", "S", "Red", 0),
                v("2", "TEE-M-RED", "M", "Red", 3),
                v("3", "TEE-S-BLUE", "S", "Blue", 0),
            ],
            status: ProductStatus::Active,
            featured: false,
            category: None,
            breadcrumbs: Vec::new(),
            tags: Vec::new(),
            images: Vec::new(),
            created_at: String::new(),
            updated_at: String::new(),
            related: Vec::new(),
            structured_data: String::new(),
        }
    }

    #[test]
    fn the_address_chooses_the_variant_and_picks_win_over_the_sku() {
        let p = detail();
        assert_eq!(
            chosen_values(&p, None, [None; 3]),
            vec!["M", "Red"],
            "first in stock"
        );
        assert_eq!(
            chosen_values(&p, Some("tee-s-blue"), [None; 3]),
            vec!["S", "Blue"]
        );
        assert_eq!(
            chosen_values(&p, Some("TEE-S-BLUE"), [Some("m"), None, None]),
            vec!["M", "Blue"]
        );
        assert_eq!(
            chosen_values(&p, None, [Some("XXL"), None, None]),
            vec!["M", "Red"]
        );
    }

    #[test]
    fn values_are_in_stock_sold_out_or_not_made() {
        let p = detail();
        let current = vec!["M".to_string(), "Red".to_string()];
        assert!(availability(&p, &current, 0, "M") == Availability::InStock);
        assert!(availability(&p, &current, 0, "S") == Availability::SoldOut);
        assert!(availability(&p, &current, 1, "Blue") == Availability::NotMade);
    }
}
