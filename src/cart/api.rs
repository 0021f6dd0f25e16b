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

#[server(endpoint = "cart/add")]
pub async fn add_to_cart(
    product_id: String,
    quantity: Option<String>,
) -> Result<AddedToCart, AppError> {
    let qty_text = quantity.unwrap_or_else(|| "1".into());
    let qty = parse_quantity(&qty_text, false)
        .map_err(|m| AppError::field("quantity", m).keeping(&[("quantity", &qty_text)]))?;
    let pid = parse_id(&product_id)?;
    let (state, owner) = owner(true).await?;
    let owner = owner.ok_or_else(|| kernel::Error::internal("a guest cart key was not created"))?;
    let product = crate::catalog::store::find_by_id(&state.db, &pid)
        .await?
        .filter(|p| p.status == crate::catalog::types::ProductStatus::Active)
        .ok_or_else(|| AppError::Conflict("Sorry, this product is no longer sold.".into()))?;
    let (in_cart, count) = store::add(&state.db, &owner, &product, qty)
        .await
        .map_err(|e| AppError::from(e).keeping(&[("quantity", &qty_text)]))?;
    if web::is_plain_form_post() {
        web::redirect("/cart?added=1");
    }
    Ok(AddedToCart {
        product_name: product.name,
        quantity_in_cart: in_cart,
        item_count: count,
    })
}

/// Sets a line's quantity (0 removes the line).
#[server(endpoint = "cart/update")]
pub async fn update_cart_item(product_id: String, quantity: String) -> Result<(), AppError> {
    let qty = parse_quantity(&quantity, true).map_err(|m| {
        AppError::field(&format!("quantity-{product_id}"), m).keeping(&[("quantity", &quantity)])
    })?;
    let pid = parse_id(&product_id)?;
    let (state, owner) = owner(false).await?;
    let owner = owner.ok_or(AppError::NotFound)?;
    if !qty.is_zero() {
        if let Some(p) = crate::catalog::store::find_by_id(&state.db, &pid).await? {
            if qty.as_i64() > p.stock {
                return Err(AppError::field(
                    &format!("quantity-{product_id}"),
                    if p.stock <= 0 {
                        format!("Sorry, {} is sold out.", p.name)
                    } else {
                        format!("Only {} left of {}.", p.stock, p.name)
                    },
                ));
            }
        }
    }
    if !store::set_quantity(&state.db, &owner, &pid, qty).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

#[server(endpoint = "cart/remove")]
pub async fn remove_cart_item(product_id: String) -> Result<(), AppError> {
    let pid = parse_id(&product_id)?;
    let (state, owner) = owner(false).await?;
    let owner = owner.ok_or(AppError::NotFound)?;
    store::remove(&state.db, &owner, &pid).await?;
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
