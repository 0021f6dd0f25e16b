//! Catalog server functions: storefront reads (anyone) and admin writes (admins
//! only, checked in every function).

use leptos::prelude::*;

use super::types::{
    CategoryView, HomeData, OptionsForm, ProductCard, ProductDetail, ProductForm, SearchParams,
    SearchResults, StockHistory, VariantsForm,
};
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use {
    super::ctx as app_state,
    super::store,
    super::types::StatusFilter,
    crate::kernel::auth::require_admin,
    crate::kernel::db::parse_id,
    crate::kernel::Error,
    crate::shared::{FormErrors, Money, Slug},
    mongodb::bson::{oid::ObjectId, DateTime},
};

/// The home page: featured and newest products and the top categories, all from
/// the in-memory index (kept in sync with the database), so it costs no queries.
#[server(endpoint = "catalog/home")]
pub async fn home_page_data() -> Result<HomeData, AppError> {
    use super::types::{SearchQuery, Sort};
    let state = app_state()?;
    let list = |featured_only: bool| SearchQuery {
        sort: Sort::Newest,
        page: 1,
        per_page: 8,
        status: StatusFilter::Active,
        featured_only,
        ..Default::default()
    };
    Ok(HomeData {
        featured: state.search.search(&list(true))?.items,
        newest: state.search.search(&list(false))?.items,
        categories: state.search.top_categories(),
    })
}

/// Storefront search: only active products, whatever the caller asks.
#[server(endpoint = "catalog/search")]
pub async fn search_products(params: SearchParams) -> Result<SearchResults, AppError> {
    let state = app_state()?;
    let mut query = params.parse(state.settings.currency)?;
    query.status = StatusFilter::Active;
    search_off_thread(&state, query).await
}

/// Answers from the result cache, or runs the search on the blocking pool: a broad
/// search over a big catalog takes milliseconds of CPU, which must not hold up the
/// threads serving other requests.
#[cfg(feature = "ssr")]
async fn search_off_thread(
    state: &super::Ctx,
    query: super::types::SearchQuery,
) -> Result<SearchResults, AppError> {
    if let Some(hit) = state.search.cached(&query) {
        return Ok(hit);
    }
    let index = state.search.clone();
    Ok(tokio::task::spawn_blocking(move || index.search(&query))
        .await
        .map_err(|e| AppError::from(Error::internal_from("search task failed", e)))??)
}

/// Products for the search box while the shopper types (prefix and
/// one-typo tolerant, best matches first).
#[server(endpoint = "catalog/suggest")]
pub async fn suggest_products(q: String) -> Result<Vec<ProductCard>, AppError> {
    use super::types::{SearchQuery, Sort, MAX_QUERY_CHARS};
    let state = app_state()?;
    let q = q.trim();
    let len = q.chars().count();
    if !(2..=MAX_QUERY_CHARS).contains(&len) {
        return Ok(Vec::new());
    }
    let query = SearchQuery {
        q: q.to_string(),
        page: 1,
        per_page: 6,
        sort: Sort::Relevance,
        status: StatusFilter::Active,
        ..Default::default()
    };
    Ok(search_off_thread(&state, query).await?.items)
}

#[server(endpoint = "catalog/categories")]
pub async fn list_categories() -> Result<Vec<CategoryView>, AppError> {
    let state = app_state()?;
    Ok(store::list_categories(&state.db)
        .await?
        .iter()
        .map(|c| c.view())
        .collect())
}

/// A product page. Archived products are shown only to admins.
#[server(endpoint = "catalog/product")]
pub async fn product_by_slug(slug: String) -> Result<ProductDetail, AppError> {
    let state = app_state()?;
    let slug = Slug::parse(slug.trim()).map_err(|_| AppError::NotFound)?;
    // From this instance's memory, kept in sync with the database by the change
    // stream (as search is): no database round trip for a product page.
    let product = state
        .search
        .product_by_slug(slug.as_str())
        .ok_or(AppError::NotFound)?;
    if product.status != super::types::ProductStatus::Active {
        let is_admin = crate::kernel::auth::current_caller()
            .await?
            .is_some_and(|c| c.is_admin());
        if !is_admin {
            return Err(AppError::NotFound);
        }
    }
    let breadcrumbs = state.search.category_path(product.category_id);
    let mut detail = product.detail(breadcrumbs.last().cloned(), breadcrumbs);
    detail.related = related_to(&state, &detail).await;
    detail.structured_data = structured_data(&detail, &state.settings.base_url());
    Ok(detail)
}

/// Up to four other products of the same category, in stock, newest first.
#[cfg(feature = "ssr")]
async fn related_to(state: &super::server::Ctx, p: &ProductDetail) -> Vec<ProductCard> {
    use super::types::{SearchQuery, Sort};
    let Some(category) = &p.category else {
        return Vec::new();
    };
    let query = SearchQuery {
        category: Some(category.slug.clone()),
        in_stock: true,
        sort: Sort::Newest,
        page: 1,
        per_page: 5,
        status: StatusFilter::Active,
        ..Default::default()
    };
    match search_off_thread(state, query).await {
        Ok(r) => r
            .items
            .into_iter()
            .filter(|c| c.id != p.id)
            .take(4)
            .collect(),
        Err(e) => {
            tracing::warn!("related products unavailable: {e}");
            Vec::new()
        }
    }
}

/// schema.org Product + Offer (AggregateOffer when variants differ in price).
#[cfg(feature = "ssr")]
pub fn structured_data(p: &ProductDetail, base_url: &str) -> String {
    let url = format!("{base_url}/products/{}", p.slug);
    let availability = |stock: i64| {
        if stock > 0 {
            "https://schema.org/InStock"
        } else {
            "https://schema.org/OutOfStock"
        }
    };
    let currency = p.price.currency().code().to_uppercase();
    let minor: Vec<i64> = p.variants.iter().map(|v| v.price.minor()).collect();
    let money = |m: i64| crate::shared::Money::new(m, p.price.currency());
    let low = minor.iter().min().map(|m| money(*m)).unwrap_or(p.price);
    let high = minor.iter().max().map(|m| money(*m)).unwrap_or(p.price);
    let offers = if p.variants.len() > 1 && low != high {
        serde_json::json!({
            "@type": "AggregateOffer",
            "priceCurrency": currency,
            "lowPrice": low.to_input(),
            "highPrice": high.to_input(),
            "offerCount": p.variants.len(),
            "availability": availability(p.stock),
            "url": url,
        })
    } else {
        serde_json::json!({
            "@type": "Offer",
            "priceCurrency": currency,
            "price": low.to_input(),
            "availability": availability(p.stock),
            "url": url,
        })
    };
    let mut data = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": p.name,
        "description": p.description,
        "url": url,
        "offers": offers,
    });
    if let Some(v) = p.variants.first().filter(|_| p.variants.len() == 1) {
        data["sku"] = serde_json::json!(v.sku);
    }
    if !p.images.is_empty() {
        data["image"] = p
            .images
            .iter()
            .map(|i| format!("{base_url}{}", i.picture.url(1024)))
            .collect();
    }
    if p.category.is_some() {
        data["category"] = serde_json::json!(p
            .breadcrumbs
            .iter()
            .map(|b| b.name.as_str())
            .collect::<Vec<_>>()
            .join(" > "));
    }
    // Inside <script>, "</script>" or "<!--" in a product's text must not end or
    // change the element: JSON allows writing "<" as \u003c.
    data.to_string().replace('<', "\\u003c")
}

#[cfg(feature = "ssr")]
async fn detail_of(
    db: &mongodb::Database,
    product: &store::Product,
) -> Result<ProductDetail, AppError> {
    let categories = store::list_categories(db).await?;
    let mut breadcrumbs = Vec::new();
    let mut cur = product.category_id;
    while let Some(id) = cur {
        let Some(c) = categories.iter().find(|c| c.id == id) else {
            break;
        };
        if breadcrumbs.len() > 10 {
            break;
        }
        breadcrumbs.push(c.view());
        cur = c.parent_id;
    }
    breadcrumbs.reverse();
    let category = breadcrumbs.last().cloned();
    Ok(product.detail(category, breadcrumbs))
}

// ---------- admin ----------

/// The admin product list: any status, same fast search.
#[server(endpoint = "admin/products/search")]
pub async fn admin_search_products(params: SearchParams) -> Result<SearchResults, AppError> {
    require_admin().await?;
    let state = app_state()?;
    let mut query = params.parse(state.settings.currency)?;
    if params.status.is_none() {
        query.status = StatusFilter::All;
    }
    query.per_page = 50;
    Ok(state.search.search(&query)?)
}

#[server(endpoint = "admin/products/get")]
pub async fn admin_get_product(id: String) -> Result<ProductDetail, AppError> {
    require_admin().await?;
    let state = app_state()?;
    let product = store::find_by_id(&state.db, &parse_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    detail_of(&state.db, &product).await
}

/// Creates (no `id`) or updates a product's details. Stock is set only when the
/// product is created (its opening stock); after that it changes through stock
/// adjustments. Pictures come with the admin's product form
/// (`POST /admin/products/save`, multipart), which shares [`save_product_as`].
#[server(endpoint = "admin/products/save")]
pub async fn save_product(id: Option<String>, form: ProductForm) -> Result<String, AppError> {
    let admin = require_admin().await?;
    let state = app_state()?;
    let (saved, created) = save_product_as(
        &state,
        &admin.name,
        id.as_deref(),
        &form,
        Pictures::default(),
    )
    .await?;
    if created {
        crate::kernel::web::redirect(&format!("/admin/products/{}?created=1", saved.id.to_hex()));
    }
    Ok(saved.id.to_hex())
}

/// Pictures that come with a product save: files to add (all checked and resized
/// before anything is stored), their description, and pictures to take off.
#[cfg(feature = "ssr")]
#[derive(Default)]
pub(crate) struct Pictures {
    /// (file name as sent, bytes)
    pub add: Vec<(String, Vec<u8>)>,
    pub alt: String,
    /// Ids (hex) of the product's pictures to remove.
    pub remove: Vec<String>,
}

/// Creates (`id` None or empty) or updates a product with its picture changes,
/// as the admin `by`. Returns the product as saved and whether it is new. Every
/// check runs before anything is stored; a refused save stores nothing and its
/// field errors carry the typed values back.
#[cfg(feature = "ssr")]
pub(crate) async fn save_product_as(
    state: &super::Ctx,
    by: &str,
    id: Option<&str>,
    form: &ProductForm,
    pictures: Pictures,
) -> Result<(store::Product, bool), AppError> {
    let existing_id = match id.map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => Some(parse_id(id)?),
        None => None,
    };
    let current = match &existing_id {
        Some(oid) => Some(
            store::find_by_id(&state.db, oid)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    // A product with options has its prices and stock in its variants.
    let single = current
        .as_ref()
        .is_none_or(|p| p.options.is_empty() && p.variants.len() == 1);
    let mut kept = form.kept();
    kept.push(("alt", pictures.alt.clone()));
    let keep = |e: AppError| {
        let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
        e.keeping(&refs)
    };
    let valid = form.validate_for(state.settings.currency, single, current.is_none());
    let alt = super::images::clean_alt(&pictures.alt);
    let remove: Vec<ObjectId> = match &current {
        None => Vec::new(),
        Some(p) => pictures
            .remove
            .iter()
            .filter_map(|r| ObjectId::parse_str(r.trim()).ok())
            .filter(|r| p.images.iter().any(|i| i.id == *r))
            .collect(),
    };
    if pictures.add.len() > MAX_PICTURES_PER_SAVE {
        return Err(keep(AppError::field(
            "pictures",
            format!("Add at most {MAX_PICTURES_PER_SAVE} pictures at a time."),
        )));
    }
    let (valid, alt) = match (valid, alt) {
        (Ok(v), Ok(a)) => (v, a),
        (Err(e), _) | (_, Err(e)) => return Err(keep(e)),
    };
    let category_id = match &valid.category_id {
        Some(c) => {
            let oid = ObjectId::parse_str(c).map_err(|_| {
                keep(AppError::field(
                    "category_id",
                    "Choose a category from the list.",
                ))
            })?;
            if store::find_category(&state.db, &oid).await?.is_none() {
                return Err(keep(AppError::field(
                    "category_id",
                    "That category no longer exists; choose another.",
                )));
            }
            Some(oid)
        }
        None => None,
    };
    // Every picture is read and resized before anything is stored.
    let mut checked = Vec::with_capacity(pictures.add.len());
    for (n, (name, bytes)) in pictures.add.into_iter().enumerate() {
        match super::images::check_upload(bytes).await {
            Ok(c) => checked.push(c),
            Err(e) => {
                let why = e.field_message("image").unwrap_or_else(|| e.to_string());
                let why = why.trim_end_matches('.');
                let which = if name.trim().is_empty() {
                    format!("Picture {}", n + 1)
                } else {
                    format!("“{}”", name.trim())
                };
                return Err(keep(AppError::field(
                    "pictures",
                    format!("{which} was not added: {why}. Choose the pictures again; nothing was saved."),
                )));
            }
        }
    }
    let mut images = Vec::with_capacity(checked.len());
    for c in &checked {
        match super::images::store_checked(&state.db, c, &alt).await {
            Ok(img) => images.push(img),
            Err(e) => {
                forget_pictures(&state.db, &images).await;
                return Err(e);
            }
        }
    }
    let saved = match current {
        None => {
            let mut product = store::new_product(&valid, state.settings.currency, category_id);
            product.images = images.clone();
            if let Err(e) = store::insert_product(&state.db, &product).await {
                forget_pictures(&state.db, &images).await;
                return Err(keep(e.into()));
            }
            tracing::info!(product_id = %product.id, pictures = images.len(), "product created");
            if let Some(v) = product.default_variant().filter(|v| v.stock > 0) {
                super::stock::record(
                    &state.db,
                    product.id,
                    v.id,
                    v.sku.as_str(),
                    v.stock,
                    v.stock,
                    by,
                    "Opening stock",
                )
                .await?;
            }
            (product, true)
        }
        Some(current) => {
            let oid = current.id;
            let updated = match store::update_product(
                &state.db,
                &current,
                &valid,
                category_id,
                &images,
            )
            .await
            {
                Ok(Some(p)) => p,
                Ok(None) => {
                    forget_pictures(&state.db, &images).await;
                    if store::find_by_id(&state.db, &oid).await?.is_none() {
                        return Err(AppError::NotFound);
                    }
                    return Err(keep(AppError::Conflict(
                            "The product's variants changed while you were editing. Reload to see them; nothing was saved.".into(),
                        )));
                }
                Err(e) => {
                    forget_pictures(&state.db, &images).await;
                    return Err(keep(e.into()));
                }
            };
            let updated = if remove.is_empty() {
                updated
            } else {
                let after = store::pull_images(&state.db, &oid, &remove)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let gone: Vec<_> = current
                    .images
                    .iter()
                    .filter(|i| remove.contains(&i.id))
                    .cloned()
                    .collect();
                forget_pictures(&state.db, &gone).await;
                after
            };
            (updated, false)
        }
    };
    state.search.apply(std::slice::from_ref(&saved.0), &[])?;
    Ok(saved)
}

/// At most this many new pictures come with one save of the product form.
pub const MAX_PICTURES_PER_SAVE: usize = 6;

/// Deletes pictures that no product shows any more (original and resized files).
#[cfg(feature = "ssr")]
async fn forget_pictures(db: &mongodb::Database, images: &[super::store::ProductImage]) {
    for img in images {
        super::images::delete(db, &img.id).await;
        super::images::delete_files(db, img).await;
    }
}

/// Deletes a product for good (orders keep their own copy of what was sold).
#[server(endpoint = "admin/products/delete")]
pub async fn delete_product(id: String, confirm: Option<String>) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    if confirm.as_deref() != Some("yes") {
        return Err(AppError::field(
            "confirm",
            "Tick the box to confirm that the product should be deleted for good.",
        ));
    }
    let product = store::find_by_id(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    if !product.reservations.is_empty() {
        return Err(AppError::Conflict(
            "This product is held by unpaid orders. Set its status to Archived now (it leaves the shop) and delete it once those orders are paid or cancelled.".into(),
        ));
    }
    let deleted = store::delete_product(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    for img in &deleted.images {
        super::images::delete(&state.db, &img.id).await;
        super::images::delete_files(&state.db, img).await;
    }
    state.search.apply(&[], &[oid])?;
    tracing::info!(product_id = %oid, "product deleted");
    crate::kernel::web::redirect("/admin/products?deleted=1");
    Ok(())
}

/// Adds or removes units of one variant (e.g. "+10" after a delivery, "-2" for
/// damaged goods), with an optional note; the change is kept in the stock history.
/// Without `variant_id`, the product's only variant.
#[server(endpoint = "admin/products/stock")]
pub async fn adjust_stock(
    id: String,
    delta: String,
    variant_id: Option<String>,
    note: Option<String>,
) -> Result<i64, AppError> {
    let admin = require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let keep = |e: AppError| e.keeping(&[("delta", &delta)]);
    let d: i64 = delta.trim().trim_start_matches('+').parse().map_err(|_| {
        keep(AppError::field(
            "delta",
            "Enter a whole number such as 10 or -3.",
        ))
    })?;
    if d == 0 || d.abs() > super::types::MAX_STOCK {
        return Err(keep(AppError::field(
            "delta",
            format!(
                "Enter a change between -{max} and {max}, not 0.",
                max = super::types::MAX_STOCK
            ),
        )));
    }
    let note = note.unwrap_or_default();
    let note = note.trim();
    if note.chars().count() > super::stock::MAX_NOTE_CHARS
        || crate::shared::text::has_stray_control(note, false)
    {
        return Err(keep(AppError::field(
            "note",
            format!(
                "Keep the note under {} characters, on one line.",
                super::stock::MAX_NOTE_CHARS
            ),
        )));
    }
    let product = store::find_by_id(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    let variant = match variant_id
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => product.variant(&parse_id(v)?).ok_or(AppError::NotFound)?,
        None => product
            .variants
            .first()
            .filter(|_| product.variants.len() == 1)
            .ok_or_else(|| {
                keep(AppError::field(
                    "variant_id",
                    "Choose which variant's stock to change.",
                ))
            })?,
    };
    let Some(new_stock) = store::adjust_stock(&state.db, &oid, &variant.id, d).await? else {
        let now = store::find_by_id(&state.db, &oid)
            .await?
            .and_then(|p| p.variant(&variant.id).map(|v| v.stock));
        return match now {
            None => Err(AppError::NotFound),
            Some(stock) => Err(keep(AppError::field(
                "delta",
                format!(
                    "Stock cannot go below 0 or above {}; there are {stock} now.",
                    super::types::MAX_STOCK,
                ),
            ))),
        };
    };
    super::stock::record(
        &state.db,
        oid,
        variant.id,
        variant.sku.as_str(),
        d,
        new_stock,
        &admin.name,
        note,
    )
    .await?;
    super::sync::refresh(&state.db, &state.search, &[oid]).await?;
    Ok(new_stock)
}

/// A product's stock history (admin).
#[server(endpoint = "admin/products/stock-history")]
pub async fn get_stock_history(id: String) -> Result<StockHistory, AppError> {
    require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    Ok(StockHistory {
        entries: super::stock::history(&state.db, &oid, 50).await?,
    })
}

/// Sets a product's options and builds its variant matrix: every combination of
/// the values. Combinations it already sells keep their variant; new ones start
/// with no stock; a removed combination's variant goes (not while unpaid orders
/// hold it; paid orders keep their own copy of what was sold).
#[server(endpoint = "admin/products/options")]
pub async fn save_options(id: String, options: OptionsForm) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let valid = options.validate()?;
    let kept = options.kept();
    let keep = |e: AppError| {
        let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
        e.keeping(&refs)
    };
    let product = store::find_by_id(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    let opts: Vec<store::ProductOption> = valid
        .into_iter()
        .map(|o| store::ProductOption {
            name: o.name,
            values: o.values,
        })
        .collect();
    let mut variants = store::build_matrix(&product, &opts);
    // New SKUs must not be taken by another product.
    for v in variants.iter_mut() {
        if product.variant(&v.id).is_some() {
            continue;
        }
        let mut n = 2;
        while store::find_by_sku(&state.db, &v.sku)
            .await?
            .is_some_and(|p| p.id != oid)
        {
            v.sku = store::variant_sku(v.sku.as_str(), &[n.to_string()]);
            n += 1;
            if n > 50 {
                return Err(keep(AppError::field(
                    "name1",
                    "Could not make unique SKUs for the new variants; change the product's SKU first.",
                )));
            }
        }
    }
    let removed: Vec<&store::Variant> = product
        .variants
        .iter()
        .filter(|old| !variants.iter().any(|v| v.id == old.id))
        .collect();
    if let Some(held) = removed.iter().find(|v| {
        product
            .reservations
            .iter()
            .any(|r| r.variant_id == Some(v.id))
    }) {
        return Err(keep(AppError::field(
            "values1",
            format!(
                "Unpaid orders hold {} ({}); keep that value until they are paid or cancelled.",
                held.sku,
                product.variant_label(held)
            ),
        )));
    }
    match store::replace_variants(&state.db, &product, &opts, &variants, product.stock)
        .await
        .map_err(|e| keep(e.into()))?
    {
        Some(saved) => {
            tracing::info!(product_id = %oid, variants = saved.variants.len(), "product options saved");
            state.search.apply(std::slice::from_ref(&saved), &[])?;
            Ok(())
        }
        None => Err(keep(AppError::Conflict(
            "The product changed while you were editing (an order was placed or another admin saved). Reload and try again; nothing was saved.".into(),
        ))),
    }
}

/// Saves the variant table: SKU, price, compare-at price, weight and picture of
/// every variant. Stock is not in it (it changes through stock adjustments); the
/// save is refused when an order or another admin changed the variants meanwhile.
#[server(endpoint = "admin/products/variants")]
pub async fn save_variants(id: String, variants: VariantsForm) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let rows = variants.validate(state.settings.currency)?;
    let kept = variants.kept();
    let keep = |e: AppError| {
        let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        e.keeping(&refs)
    };
    let product = store::find_by_id(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    let stale = || {
        keep(AppError::Conflict(
            "The variants changed while you were editing (an order was placed or another admin saved). Reload to see them; nothing was saved.".into(),
        ))
    };
    if rows.len() != product.variants.len() {
        return Err(stale());
    }
    let mut next = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let Some(current) = ObjectId::parse_str(&row.id)
            .ok()
            .and_then(|vid| product.variant(&vid))
        else {
            return Err(stale());
        };
        let image_id = match &row.image_id {
            Some(img) => Some(
                ObjectId::parse_str(img)
                    .ok()
                    .filter(|i| product.images.iter().any(|p| p.id == *i))
                    .ok_or_else(|| {
                        keep(AppError::field(
                            &super::types::row_key(i, "image_id"),
                            "Choose one of this product's pictures.",
                        ))
                    })?,
            ),
            None => None,
        };
        next.push(store::Variant {
            id: current.id,
            sku: row.sku.clone(),
            options: current.options.clone(),
            price: row.price.minor(),
            compare_at: row.compare_at.map(|c| c.minor()),
            stock: current.stock,
            weight_grams: row.weight_grams,
            image_id,
        });
    }
    let saved =
        store::replace_variants(&state.db, &product, &product.options, &next, product.stock)
            .await
            .map_err(|e| match AppError::from(e) {
                // A SKU another product uses: point at its row.
                AppError::Invalid(f) if f.get("sku").is_some() => {
                    let taken = rows
                        .iter()
                        .position(|r| product.variants.iter().all(|v| v.sku != r.sku))
                        .unwrap_or(0);
                    keep(AppError::field(
                        &super::types::row_key(taken, "sku"),
                        "Another product already uses this SKU.",
                    ))
                }
                other => keep(other),
            })?
            .ok_or_else(stale)?;
    state.search.apply(std::slice::from_ref(&saved), &[])?;
    Ok(())
}

/// Changes every variant at once: `price` sets every price, `stock` adds units to
/// every variant (each change kept in the history).
#[server(endpoint = "admin/products/variants-bulk")]
pub async fn bulk_variants(id: String, action: String, value: String) -> Result<(), AppError> {
    let admin = require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let product = store::find_by_id(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    match action.as_str() {
        "price" => {
            let price = Money::parse(&value, state.settings.currency)
                .map_err(|m| AppError::field("bulk_price", m).keeping(&[("bulk_price", &value)]))?;
            let next: Vec<store::Variant> = product
                .variants
                .iter()
                .map(|v| store::Variant {
                    price: price.minor(),
                    // A sale price at or above the new price is no sale any more.
                    compare_at: v.compare_at.filter(|c| *c > price.minor()),
                    ..v.clone()
                })
                .collect();
            let saved = store::replace_variants(
                &state.db,
                &product,
                &product.options,
                &next,
                product.stock,
            )
            .await?
            .ok_or_else(|| {
                AppError::Conflict("The product changed meanwhile; reload and try again.".into())
            })?;
            state.search.apply(std::slice::from_ref(&saved), &[])?;
        }
        "stock" => {
            let n: i64 = value
                .trim()
                .trim_start_matches('+')
                .parse()
                .ok()
                .filter(|n: &i64| *n != 0 && n.abs() <= super::types::MAX_STOCK)
                .ok_or_else(|| {
                    AppError::field(
                        "bulk_stock",
                        "Enter a whole number such as 10 or -3, not 0.",
                    )
                    .keeping(&[("bulk_stock", &value)])
                })?;
            // Each variant separately and atomically: one that would go below
            // zero is left as it is and named.
            let mut refused = Vec::new();
            for v in &product.variants {
                match store::adjust_stock(&state.db, &oid, &v.id, n).await? {
                    Some(after) => {
                        super::stock::record(
                            &state.db,
                            oid,
                            v.id,
                            v.sku.as_str(),
                            n,
                            after,
                            &admin.name,
                            "Added to every variant",
                        )
                        .await?
                    }
                    None => refused.push(v.sku.to_string()),
                }
            }
            super::sync::refresh(&state.db, &state.search, &[oid]).await?;
            if !refused.is_empty() {
                return Err(AppError::field(
                    "bulk_stock",
                    format!(
                        "Changed every variant except {} (stock cannot go below 0 or above {}).",
                        refused.join(", "),
                        super::types::MAX_STOCK
                    ),
                )
                .keeping(&[("bulk_stock", &value)]));
            }
        }
        _ => return Err(AppError::BadRequest("Unknown bulk change.".into())),
    }
    Ok(())
}

#[server(endpoint = "admin/products/remove-image")]
pub async fn remove_image(id: String, image_id: String) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let img = parse_id(&image_id)?;
    let record = store::find_by_id(&state.db, &oid)
        .await?
        .and_then(|p| p.images.into_iter().find(|i| i.id == img))
        .ok_or(AppError::NotFound)?;
    if !store::pull_image(&state.db, &oid, &img).await? {
        return Err(AppError::NotFound);
    }
    super::images::delete(&state.db, &img).await;
    super::images::delete_files(&state.db, &record).await;
    super::sync::refresh(&state.db, &state.search, &[oid]).await?;
    Ok(())
}

// ---------- admin: categories ----------

#[cfg(feature = "ssr")]
struct ValidCategory {
    name: String,
    slug: Slug,
    parent: Option<ObjectId>,
    description: String,
}

#[cfg(feature = "ssr")]
async fn validate_category(
    db: &mongodb::Database,
    id: Option<&ObjectId>,
    name: &str,
    slug: &str,
    parent_id: &str,
    description: &str,
) -> Result<ValidCategory, AppError> {
    let mut errors = FormErrors::new();
    let name_t = name.trim();
    if name_t.is_empty() {
        errors.add("name", "Enter the category name.");
    } else if name_t.chars().count() > 60 {
        errors.add("name", "Use at most 60 characters.");
    } else if crate::shared::text::has_stray_control(name_t, false) {
        errors.add("name", "The name contains characters we cannot use.");
    }
    let slug_t = if slug.trim().is_empty() {
        crate::shared::domain::slugify(name_t)
    } else {
        slug.trim().to_lowercase()
    };
    if !name_t.is_empty() && !crate::shared::domain::is_valid_slug(&slug_t) {
        errors.add("slug", "Use lower-case letters, digits and dashes only.");
    }
    if description.chars().count() > 1000 {
        errors.add("description", "Use at most 1,000 characters.");
    } else if crate::shared::text::has_stray_control(description, true) {
        errors.add(
            "description",
            "The description contains characters we cannot use.",
        );
    }
    let parent = match parent_id.trim() {
        "" => None,
        p => match ObjectId::parse_str(p) {
            Ok(oid) => {
                let all = store::list_categories(db).await?;
                if !all.iter().any(|c| c.id == oid) {
                    errors.add("parent_id", "That parent category does not exist.");
                    None
                } else if let Some(me) = id {
                    // Refuse cycles: the parent may not be this category or below it.
                    let mut cur = Some(oid);
                    let mut steps = 0;
                    let mut cycle = false;
                    while let Some(c) = cur {
                        if c == *me {
                            cycle = true;
                            break;
                        }
                        steps += 1;
                        if steps > 20 {
                            break;
                        }
                        cur = all.iter().find(|x| x.id == c).and_then(|x| x.parent_id);
                    }
                    if cycle {
                        errors.add("parent_id", "A category cannot be placed inside itself.");
                        None
                    } else {
                        Some(oid)
                    }
                } else {
                    Some(oid)
                }
            }
            Err(_) => {
                errors.add("parent_id", "Choose a parent from the list.");
                None
            }
        },
    };
    errors.into_result().map_err(|e| {
        e.keeping(&[
            ("name", name),
            ("slug", slug),
            ("parent_id", parent_id),
            ("description", description),
        ])
    })?;
    Ok(ValidCategory {
        name: name_t.to_string(),
        slug: Slug::parse(&slug_t).map_err(|m| AppError::field("slug", m))?,
        parent,
        description: description.trim().to_string(),
    })
}

#[server(endpoint = "admin/categories/create")]
pub async fn create_category(
    name: String,
    slug: String,
    parent_id: String,
    description: String,
) -> Result<String, AppError> {
    require_admin().await?;
    let state = app_state()?;
    let v = validate_category(&state.db, None, &name, &slug, &parent_id, &description).await?;
    let now = DateTime::now();
    let category = store::Category {
        id: ObjectId::new(),
        name: v.name,
        slug: v.slug,
        parent_id: v.parent,
        description: v.description,
        created_at: now,
        updated_at: now,
    };
    store::insert_category(&state.db, &category)
        .await
        .map_err(|e| {
            AppError::from(e).keeping(&[
                ("name", &name),
                ("slug", &slug),
                ("parent_id", &parent_id),
                ("description", &description),
            ])
        })?;
    refresh_categories(&state).await?;
    Ok(category.id.to_hex())
}

#[server(endpoint = "admin/categories/update")]
pub async fn update_category(
    id: String,
    name: String,
    slug: String,
    parent_id: String,
    description: String,
) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let v = validate_category(
        &state.db,
        Some(&oid),
        &name,
        &slug,
        &parent_id,
        &description,
    )
    .await?;
    let found = store::update_category(
        &state.db,
        &oid,
        &v.name,
        v.slug.as_str(),
        v.parent,
        &v.description,
    )
    .await
    .map_err(|e| AppError::from(e).keeping(&[("name", &name), ("slug", &slug)]))?;
    if !found {
        return Err(AppError::NotFound);
    }
    refresh_categories(&state).await?;
    Ok(())
}

#[server(endpoint = "admin/categories/delete")]
pub async fn delete_category(id: String) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let products = store::count_products_in_category(&state.db, &oid).await?;
    if products > 0 {
        return Err(AppError::Conflict(format!(
            "This category still has {products} product(s). Move them to another category first."
        )));
    }
    if store::count_children(&state.db, &oid).await? > 0 {
        return Err(AppError::Conflict(
            "This category has sub-categories. Move or delete them first.".into(),
        ));
    }
    if !store::delete_category(&state.db, &oid).await? {
        return Err(AppError::NotFound);
    }
    refresh_categories(&state).await?;
    Ok(())
}

/// Category edits change product paths in the index: rebuild it now on this
/// instance (the change stream does the same on the others).
#[cfg(feature = "ssr")]
async fn refresh_categories(state: &super::Ctx) -> Result<(), AppError> {
    super::sync::full_build(&state.db, &state.search, &|_| {}).await?;
    Ok(())
}

// ---------- admin: CSV import and export ----------

/// One import job (admin): its progress, or the lines that stopped it.
#[server(endpoint = "admin/products/import-job")]
pub async fn import_job(id: String) -> Result<super::types::ImportJobView, AppError> {
    require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    Ok(super::import::find_job(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?
        .view())
}

/// The latest import jobs (admin).
#[server(endpoint = "admin/products/import-jobs")]
pub async fn recent_imports() -> Result<Vec<super::types::ImportJobView>, AppError> {
    require_admin().await?;
    let state = app_state()?;
    Ok(super::import::recent_jobs(&state.db, 10)
        .await?
        .iter()
        .map(|j| j.view())
        .collect())
}
