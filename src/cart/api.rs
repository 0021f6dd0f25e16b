//! Cart server functions. Guests and signed-in shoppers each reach only their own
//! cart (found from the session, never from an id the browser sends).

use leptos::prelude::*;

use super::types::{AddedToCart, CartView};
use crate::shared::AppError;

#[cfg(feature = "ssr")]
use {
    super::store::{self, Owner},
    super::types::parse_quantity,
    crate::kernel::db::parse_id,
    crate::kernel::{self, session, web, Core},
};

/// The cart of this request: the signed-in account's, else the guest browser's
/// (created on first use when `create`). Never an id the browser sends.
#[cfg(feature = "ssr")]
pub async fn owner_of_request(create: bool) -> kernel::Result<Option<Owner>> {
    if let Some(caller) = kernel::auth::current_caller().await? {
        return Ok(Some(Owner::User(caller.id)));
    }
    let session = session::current().await?;
    if create {
        Ok(Some(Owner::Guest(
            session::ensure_guest_cart_key(&session).await?,
        )))
    } else {
        Ok(session::guest_cart_key(&session).await?.map(Owner::Guest))
    }
}

/// Units in the cart of this request (for the header).
#[cfg(feature = "ssr")]
pub async fn item_count_of_request() -> kernel::Result<u32> {
    let core = kernel::core()?;
    match owner_of_request(false).await? {
        Some(owner) => store::item_count(&core.db, &owner).await,
        None => Ok(0),
    }
}

#[cfg(feature = "ssr")]
async fn owner(create: bool) -> kernel::Result<(Core, Option<Owner>)> {
    let core = kernel::core()?;
    let owner = owner_of_request(create).await?;
    Ok((core, owner))
}

#[server(endpoint = "cart/get")]
pub async fn get_cart() -> Result<CartView, AppError> {
    let (state, owner) = owner(false).await?;
    let cart = match &owner {
        Some(o) => store::find(&state.db, o).await?,
        None => None,
    };
    Ok(store::view(&state.db, cart.as_ref(), state.currency()).await?)
}

/// Adds units of one variant of a product. The variant is `variant_id`, else the
/// one with the chosen option values (`option1`..`option3`, as the product page's
/// radio groups send them), else the product's only variant.
#[server(endpoint = "cart/add")]
pub async fn add_to_cart(
    product_id: String,
    quantity: Option<String>,
    variant_id: Option<String>,
    option1: Option<String>,
    option2: Option<String>,
    option3: Option<String>,
) -> Result<AddedToCart, AppError> {
    let qty_text = quantity.unwrap_or_else(|| "1".into());
    let qty = parse_quantity(&qty_text, false)
        .map_err(|m| AppError::field("quantity", m).keeping(&[("quantity", &qty_text)]))?;
    let pid = parse_id(&product_id)?;
    let variant_id = match variant_id
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(v) => Some(parse_id(v)?),
        None => None,
    };
    let (state, owner) = owner(true).await?;
    let owner = owner.ok_or_else(|| kernel::Error::internal("a guest cart key was not created"))?;
    // From this instance's in-memory catalog (kept in sync with the database by
    // the change stream): price and stock as of the last change, checked again
    // against the database when the order is placed.
    let product = crate::catalog::current_product(&state.db, &pid)
        .await?
        .filter(|p| p.status == crate::catalog::types::ProductStatus::Active)
        .ok_or_else(|| AppError::Conflict("Sorry, this product is no longer sold.".into()))?;
    // Option values are what the shopper chose last (a form without JavaScript
    // still carries the variant the page showed): they win over the id.
    let chosen = [option1, option2, option3];
    let by_options = chosen
        .iter()
        .any(|c| c.as_deref().is_some_and(|s| !s.trim().is_empty()));
    let variant = product
        .resolve_variant(
            if by_options {
                None
            } else {
                variant_id.as_ref()
            },
            &chosen,
        )
        .map_err(|m| AppError::field("options", m).keeping(&[("quantity", &qty_text)]))?;
    let (in_cart, count) = store::add(&state.db, &owner, &product, variant, qty)
        .await
        .map_err(|e| AppError::from(e).keeping(&[("quantity", &qty_text)]))?;
    if web::is_plain_form_post() {
        web::redirect("/cart?added=1");
    }
    Ok(AddedToCart {
        variant_label: product.variant_label(variant),
        product_name: product.name.clone(),
        quantity_in_cart: in_cart,
        item_count: count,
    })
}

/// Sets a line's quantity (0 removes the line). A line is one variant.
#[server(endpoint = "cart/update")]
pub async fn update_cart_item(variant_id: String, quantity: String) -> Result<(), AppError> {
    let field = format!("quantity-{variant_id}");
    let qty = parse_quantity(&quantity, true)
        .map_err(|m| AppError::field(&field, m).keeping(&[("quantity", &quantity)]))?;
    let vid = parse_id(&variant_id)?;
    let (state, owner) = owner(false).await?;
    let owner = owner.ok_or(AppError::NotFound)?;
    if !qty.is_zero() {
        if let Some(p) = crate::catalog::current_product_of_variant(&state.db, &vid).await? {
            if let Some(v) = p.variant(&vid) {
                if qty.as_i64() > v.stock {
                    let label = p.variant_label(v);
                    let what = if label.is_empty() {
                        p.name.clone()
                    } else {
                        format!("{} ({label})", p.name)
                    };
                    return Err(AppError::field(
                        &field,
                        store::sold_out_message(&what, v.stock, 0),
                    ));
                }
            }
        }
    }
    if !store::set_quantity(&state.db, &owner, &vid, qty).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

#[server(endpoint = "cart/remove")]
pub async fn remove_cart_item(variant_id: String) -> Result<(), AppError> {
    let vid = parse_id(&variant_id)?;
    let (state, owner) = owner(false).await?;
    let owner = owner.ok_or(AppError::NotFound)?;
    store::remove(&state.db, &owner, &vid).await?;
    Ok(())
}

#[server(endpoint = "cart/clear")]
pub async fn clear_cart() -> Result<(), AppError> {
    let (state, owner) = owner(false).await?;
    if let Some(o) = owner {
        store::clear(&state.db, &o).await?;
    }
    Ok(())
}
