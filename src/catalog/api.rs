//! Catalog server functions: storefront reads (anyone) and admin writes (admins
//! only, checked in every function).

use leptos::prelude::*;

use super::types::{
    CategoryView, HomeData, ProductDetail, ProductForm, SearchParams, SearchResults,
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
    crate::shared::{FormErrors, Slug},
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

/// Product names for the search box while the shopper types (prefix and
/// one-typo tolerant, best matches first).
#[server(endpoint = "catalog/suggest")]
pub async fn suggest_products(q: String) -> Result<Vec<String>, AppError> {
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
        per_page: 8,
        sort: Sort::Relevance,
        status: StatusFilter::Active,
        ..Default::default()
    };
    Ok(search_off_thread(&state, query)
        .await?
        .items
        .into_iter()
        .map(|p| p.name)
        .collect())
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
    let product = store::find_by_slug(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if product.status != super::types::ProductStatus::Active {
        let is_admin = crate::kernel::auth::current_caller()
            .await?
            .is_some_and(|c| c.is_admin());
        if !is_admin {
            return Err(AppError::NotFound);
        }
    }
    detail_of(&state.db, &product).await
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

/// Creates (no `id`) or updates a product. `expected_stock` is the stock shown in
/// the form, so a save does not overwrite units sold meanwhile.
#[server(endpoint = "admin/products/save")]
pub async fn save_product(
    id: Option<String>,
    form: ProductForm,
    expected_stock: Option<String>,
) -> Result<String, AppError> {
    require_admin().await?;
    let state = app_state()?;
    let valid = form.validate(state.settings.currency)?;
    let kept = form.kept();
    let keep = |e: AppError| {
        let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
        e.keeping(&refs)
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
    let saved = match id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            let product = store::new_product(&valid, category_id);
            store::insert_product(&state.db, &product)
                .await
                .map_err(|e| keep(e.into()))?;
            tracing::info!(product_id = %product.id, "product created");
            crate::kernel::web::redirect(&format!(
                "/admin/products/{}?created=1",
                product.id.to_hex()
            ));
            product
        }
        Some(id) => {
            let oid = parse_id(id)?;
            let expected = match expected_stock.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(s) => Some(s.parse::<i64>().map_err(|_| {
                    AppError::BadRequest(
                        "The form was damaged; reload the page and try again.".into(),
                    )
                })?),
            };
            match store::update_product(&state.db, &oid, &valid, category_id, expected)
                .await
                .map_err(|e| keep(e.into()))?
            {
                Some(p) => p,
                None => {
                    if store::find_by_id(&state.db, &oid).await?.is_none() {
                        return Err(AppError::NotFound);
                    }
                    return Err(keep(AppError::field(
                        "stock",
                        "The stock changed while you were editing (an order was placed or another admin saved). Reload to see the current number; nothing was saved.",
                    )));
                }
            }
        }
    };
    state.search.apply(std::slice::from_ref(&saved), &[])?;
    Ok(saved.id.to_hex())
}

#[server(endpoint = "admin/products/status")]
pub async fn set_product_status(id: String, status: String) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let status = match status.as_str() {
        "active" => super::types::ProductStatus::Active,
        "archived" => super::types::ProductStatus::Archived,
        _ => {
            return Err(AppError::BadRequest(
                "Status must be active or archived.".into(),
            ))
        }
    };
    if !store::set_status(&state.db, &oid, status).await? {
        return Err(AppError::NotFound);
    }
    super::sync::refresh(&state.db, &state.search, &[oid]).await?;
    Ok(())
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
            "This product is held by unpaid orders. Archive it now and delete it once those orders are paid or cancelled.".into(),
        ));
    }
    let deleted = store::delete_product(&state.db, &oid)
        .await?
        .ok_or(AppError::NotFound)?;
    for img in &deleted.images {
        super::images::delete(&state.db, &img.id).await;
    }
    state.search.apply(&[], &[oid])?;
    tracing::info!(product_id = %oid, "product deleted");
    crate::kernel::web::redirect("/admin/products?deleted=1");
    Ok(())
}

/// Adds or removes units (e.g. "+10" after a delivery, "-2" for damaged goods).
#[server(endpoint = "admin/products/stock")]
pub async fn adjust_stock(id: String, delta: String) -> Result<i64, AppError> {
    require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let d: i64 = delta.trim().trim_start_matches('+').parse().map_err(|_| {
        AppError::field("delta", "Enter a whole number such as 10 or -3.")
            .keeping(&[("delta", &delta)])
    })?;
    if d == 0 || d.abs() > super::types::MAX_STOCK {
        return Err(AppError::field(
            "delta",
            format!(
                "Enter a change between -{max} and {max}, not 0.",
                max = super::types::MAX_STOCK
            ),
        )
        .keeping(&[("delta", &delta)]));
    }
    let Some(new_stock) = store::adjust_stock(&state.db, &oid, d).await? else {
        let exists = store::find_by_id(&state.db, &oid).await?;
        return match exists {
            None => Err(AppError::NotFound),
            Some(p) => Err(AppError::field(
                "delta",
                format!(
                    "Stock cannot go below 0 or above {}; there are {} now.",
                    super::types::MAX_STOCK,
                    p.stock
                ),
            )
            .keeping(&[("delta", &delta)])),
        };
    };
    super::sync::refresh(&state.db, &state.search, &[oid]).await?;
    Ok(new_stock)
}

#[server(endpoint = "admin/products/remove-image")]
pub async fn remove_image(id: String, image_id: String) -> Result<(), AppError> {
    require_admin().await?;
    let state = app_state()?;
    let oid = parse_id(&id)?;
    let img = parse_id(&image_id)?;
    if !store::pull_image(&state.db, &oid, &img).await? {
        return Err(AppError::NotFound);
    }
    super::images::delete(&state.db, &img).await;
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
