//! Storefront pages: home, product list with search and filters, product page.

use leptos::prelude::*;
use leptos_meta::Meta;

use crate::ui::head::PageTitle;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::cart::pages::AddToCartForm;
use crate::catalog::api::{home_page_data, search_products};
use crate::catalog::types::{
    encode_params, params_from_query, stock_label, CategoryFacet, ProductCard, SearchParams,
    SearchResults, Sort, PER_PAGE,
};
use crate::ui::nav::Pagination;
use crate::ui::{ErrorPage, Pic};

/// A grid of product cards.
#[component]
pub fn ProductGrid(
    items: Vec<ProductCard>,
    /// Further down the page: no picture loads before it is near the screen.
    #[prop(optional)]
    below_fold: bool,
) -> impl IntoView {
    // The first row on a phone (two cards) loads at once; the rest lazily.
    let eager_first = !below_fold;
    view! {
        <ul class="product-grid">
            {items
                .into_iter()
                .enumerate()
                .map(|(i, p)| view! { <li><ProductCardView product=p eager=eager_first && i < 2 /></li> })
                .collect_view()}
        </ul>
    }
}

/// How wide a card's picture is on each screen (two, three, four columns).
pub const CARD_SIZES: &str = "(min-width: 62.5rem) 270px, (min-width: 43.75rem) 31vw, 48vw";

#[component]
pub fn ProductCardView(
    product: ProductCard,
    /// In the first screenful: its picture loads at once.
    #[prop(optional)]
    eager: bool,
) -> impl IntoView {
    let href = format!("/products/{}", product.slug);
    let (stock_class, stock_text) = stock_label(product.stock);
    let price = product.price_label();
    let was = product.compare_at.map(|c| c.to_string());
    let out = product.stock <= 0;
    let buy = if product.has_options && !out {
        view! {
            <a class="button secondary choose-options" href=href.clone()
               aria-label=format!("Choose options for {}", product.name)>"Choose options"</a>
        }
        .into_any()
    } else {
        view! { <AddToCartForm product_id=product.id product_name=product.name.clone() disabled=out /> }
            .into_any()
    };
    view! {
        <article class="product-card">
            <a href=href.clone() tabindex="-1" aria-hidden="true" class="card-picture">
                <Pic picture=product.picture.clone() width=320 sizes=CARD_SIZES eager=eager decorative=true />
                {was.is_some().then(|| view! { <span class="badge badge-sale">"Sale"</span> })}
            </a>
            <div class="body">
                <h3><a href=href>{product.name.clone()}</a></h3>
                <p class="muted">{product.category_name}</p>
                <p class="price">
                    {was.map(|w| view! { <s class="was-price"><span class="visually-hidden">"Was "</span>{w}</s> " " })}
                    <span class="current-price" class:sale-price=product.compare_at.is_some()>
                        {product.compare_at.is_some().then(|| view! { <span class="visually-hidden">"Now "</span> })}
                        {price}
                    </span>
                </p>
                <p class=format!("stock {stock_class}")>{stock_text}</p>
                {buy}
            </div>
        </article>
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| home_page_data());
    view! {
        <PageTitle text="" />
        <Meta name="description" content="oxcart: an independent online shop. Browse the catalog, search, and order securely." />
        <section class="hero" aria-labelledby="hero-title">
            <h1 id="hero-title">"Welcome to oxcart"</h1>
            <p class="lede">"Good things, fairly priced, shipped with care."</p>
            <p><a class="button" href="/products">"Browse the catalog"</a></p>
        </section>
        <Suspense fallback=|| view! { <p>"Loading products…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(home) => view! {
                        {(!home.categories.is_empty()).then(|| view! {
                            <section aria-labelledby="cat-title">
                                <h2 id="cat-title">"Shop by category"</h2>
                                <ul class="category-list">
                                    {home.categories.into_iter().map(|c| view! {
                                        <li><a href=format!("/products?category={}", c.slug)>{c.name}</a></li>
                                    }).collect_view()}
                                </ul>
                            </section>
                        })}
                        {(!home.featured.is_empty()).then(|| view! {
                            <section aria-labelledby="featured-title">
                                <h2 id="featured-title">"Featured"</h2>
                                <ProductGrid items=home.featured />
                            </section>
                        })}
                        <section aria-labelledby="new-title">
                            <h2 id="new-title">"New arrivals"</h2>
                            {if home.newest.is_empty() {
                                view! { <p>"The catalog is empty for now. Please come back soon."</p> }.into_any()
                            } else {
                                view! { <ProductGrid items=home.newest below_fold=true /> }.into_any()
                            }}
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ProductsPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| query.with(params_from_query));
    let results = Resource::new(move || params.get(), search_products);
    let title_of = |p: &SearchParams| {
        let q = p.q.as_deref().unwrap_or_default().trim();
        if q.is_empty() {
            "Products".to_string()
        } else {
            format!("“{q}” – search")
        }
    };
    // On the server the title is fixed text: leptos_meta reads it after the page
    // has streamed, when a closure over this page's memo may already be disposed
    // (seen once under load in scripts/bench as a 500). In the browser it follows
    // the query as the shopper moves between searches.
    #[cfg(feature = "ssr")]
    let title = leptos::text_prop::TextProp::from(params.with_untracked(title_of));
    #[cfg(not(feature = "ssr"))]
    let title = leptos::text_prop::TextProp::from(move || params.with(title_of));
    view! {
        <PageTitle text=title />
        <Meta name="description" content="Search and browse every product in the shop by category, price and availability." />
        <div class="page-header">
            <h1>{move || {
                let q = params.with(|p| p.q.clone().unwrap_or_default());
                if q.trim().is_empty() { "All products".to_string() } else { format!("Results for “{}”", q.trim()) }
            }}</h1>
        </div>
        <Suspense fallback=|| view! { <p>"Searching…"</p> }>
            {move || Suspend::new(async move {
                let p = params.get_untracked();
                match results.await {
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(r) => view! { <SearchLayout params=p results=r /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One value of an option facet: value, count, chosen, and the link that toggles it.
type FacetLink = (String, u64, bool, String);

#[component]
fn SearchLayout(params: SearchParams, results: SearchResults) -> impl IntoView {
    let q = params.q.clone().unwrap_or_default();
    let category = params.category.clone().unwrap_or_default();
    let min_price = params.min_price.clone().unwrap_or_default();
    let max_price = params.max_price.clone().unwrap_or_default();
    let in_stock = params.in_stock.is_some();
    let sort = params
        .sort
        .as_deref()
        .and_then(Sort::parse)
        .unwrap_or(if q.trim().is_empty() {
            Sort::Newest
        } else {
            Sort::Relevance
        });
    let link = {
        let params = params.clone();
        move |change: &dyn Fn(&mut SearchParams)| -> String {
            let mut p = params.clone();
            p.page = None;
            change(&mut p);
            format!("/products?{}", encode_params(&p))
        }
    };
    let total = results.total;
    let page = results.page;
    let pages = results.pages;
    let first = (page.saturating_sub(1) * PER_PAGE) as u64 + 1;
    let last = (first + results.items.len() as u64).saturating_sub(1);

    let category_links: Vec<(CategoryFacet, String, bool)> = results
        .categories
        .iter()
        .map(|c| {
            let slug = c.slug.clone();
            let selected = category == c.slug;
            let href = link(&|p: &mut SearchParams| {
                p.category = if selected { None } else { Some(slug.clone()) }
            });
            (c.clone(), href, selected)
        })
        .collect();
    let clear_category =
        (!category.is_empty()).then(|| link(&|p: &mut SearchParams| p.category = None));
    let currency = results.currency;
    let band_links: Vec<(String, u64, String)> = results
        .price_bands
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| {
            let (lo, hi) = (b.min, b.max);
            let href = link(&|p: &mut SearchParams| {
                p.min_price = lo.map(|v| crate::shared::Money::new(v, currency).to_input());
                p.max_price = hi.map(|v| crate::shared::Money::new(v, currency).to_input());
            });
            (b.label.clone(), b.count, href)
        })
        .collect();
    // Option facets (Size, Colour): each value toggles its `f=name:value` filter.
    let chosen_options: Vec<String> = params.options.clone().unwrap_or_default();
    let active_filters = usize::from(!category.is_empty())
        + usize::from(!min_price.is_empty() || !max_price.is_empty())
        + usize::from(in_stock)
        + chosen_options.len();
    let option_facets: Vec<(String, Vec<FacetLink>)> = results
        .options
        .iter()
        .map(|o| {
            let values = o
                .values
                .iter()
                .map(|v| {
                    let key = format!("{}:{}", o.name.to_lowercase(), v.value.to_lowercase());
                    let selected = v.selected;
                    let href = link(&|p: &mut SearchParams| {
                        let mut list: Vec<String> = p
                            .options
                            .clone()
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|f| f.to_lowercase() != key)
                            .collect();
                        if !selected {
                            list.push(key.clone());
                        }
                        p.options = (!list.is_empty()).then_some(list);
                    });
                    (v.value.clone(), v.count, selected, href)
                })
                .collect();
            (o.name.clone(), values)
        })
        .collect();
    let page_link = {
        let params = params.clone();
        move |n: u32| {
            let mut p = params.clone();
            p.page = (n > 1).then(|| n.to_string());
            format!("/products?{}", encode_params(&p))
        }
    };
    let sorts = [
        Sort::Relevance,
        Sort::PriceAsc,
        Sort::PriceDesc,
        Sort::Newest,
    ];

    view! {
        <div class="layout-sidebar">
            <aside class="filters-aside" aria-label="Filters">
                <details class="filters-drawer">
                <summary>
                    <span>"Filters and sorting"</span>
                    {(active_filters > 0).then(|| view! { <span class="badge">{active_filters}" active"</span> })}
                </summary>
                <div class="filters">
                <Form method="GET" action="/products">
                    <div class="field">
                        <label for="f-q">"Search"</label>
                        <input id="f-q" type="search" name="q" value=q.clone() maxlength="200" />
                    </div>
                    {(!category.is_empty()).then(|| view! { <input type="hidden" name="category" value=category.clone() /> })}
                    {chosen_options.iter().map(|f| view! { <input type="hidden" name="f" value=f.clone() /> }).collect_view()}
                    <fieldset>
                        <legend>"Price"</legend>
                        <div class="grid-2">
                            <div class="field">
                                <label for="f-min">"From"</label>
                                <input id="f-min" type="text" inputmode="decimal" name="min_price" value=min_price.clone() placeholder="0" />
                            </div>
                            <div class="field">
                                <label for="f-max">"To"</label>
                                <input id="f-max" type="text" inputmode="decimal" name="max_price" value=max_price.clone() placeholder="any" />
                            </div>
                        </div>
                    </fieldset>
                    <div class="field">
                        <label class="checkbox">
                            <input type="checkbox" name="in_stock" value="1" checked=in_stock />
                            "In stock only"
                        </label>
                    </div>
                    <div class="field">
                        <label for="f-sort">"Sort by"</label>
                        <select id="f-sort" name="sort">
                            {sorts.into_iter().map(|s| view! {
                                <option value=s.as_str() selected=s == sort>{s.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <button type="submit">"Apply"</button>
                </Form>
                <nav aria-labelledby="cat-facet-title">
                    <h3 id="cat-facet-title">"Categories"</h3>
                    {clear_category.map(|href| view! { <p><a href=href>"All categories"</a></p> })}
                    <ul>
                        {category_links.into_iter().map(|(c, href, selected)| view! {
                            <li class=format!("depth-{}", c.depth.min(3))>
                                <a href=href aria-current=selected.then_some("true")>
                                    {if selected { format!("✓ {}", c.name) } else { c.name.clone() }}
                                </a>
                                " " <span class="facet-count">"(" {c.count} ")"</span>
                            </li>
                        }).collect_view()}
                    </ul>
                </nav>
                {option_facets.into_iter().enumerate().map(|(i, (name, values))| {
                    let title_id = format!("opt-facet-{i}");
                    let labelled_by = title_id.clone();
                    view! {
                        <nav aria-labelledby=labelled_by class="option-facet">
                            <h3 id=title_id>{name.clone()}</h3>
                            <ul>
                                {values.into_iter().map(|(value, count, selected, href)| view! {
                                    <li>
                                        <a href=href aria-current=selected.then_some("true")
                                           aria-label=format!("{name}: {value}{}", if selected { " (chosen; choose again to remove)" } else { "" })>
                                            {if selected { format!("✓ {value}") } else { value.clone() }}
                                        </a>
                                        " " <span class="facet-count">"(" {count} ")"</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </nav>
                    }
                }).collect_view()}
                <nav aria-labelledby="price-facet-title">
                    <h3 id="price-facet-title">"Price ranges"</h3>
                    <ul>
                        {band_links.into_iter().map(|(label, count, href)| view! {
                            <li><a href=href>{label}</a> " " <span class="facet-count">"(" {count} ")"</span></li>
                        }).collect_view()}
                    </ul>
                </nav>
                </div>
                </details>
            </aside>
            <section aria-labelledby="results-title">
                <h2 id="results-title" class="visually-hidden">"Results"</h2>
                {if total == 0 {
                    view! {
                        <div class="alert alert-info" role="status">
                            <p><strong>"No products match your search."</strong></p>
                            <ul>
                                {results.suggestions.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
                            </ul>
                            <p><a href="/products">"See all products"</a></p>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <p role="status">
                            {if results.relaxed { "No product matched every word; showing products that match some of them. ".to_string() } else { String::new() }}
                            {format!("Showing {first}–{last} of {total} products")}
                        </p>
                        {(results.items.is_empty()).then(|| view! {
                            <p class="alert alert-info">"This page is past the last page of results. " <a href=page_link(1)>"Go to the first page"</a></p>
                        })}
                        <ProductGrid items=results.items />
                        <Pagination page=page pages=pages href=page_link />
                    }.into_any()
                }}
            </section>
        </div>
    }
}
