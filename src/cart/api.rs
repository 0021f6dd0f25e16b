//! Cart server functions. Guests and signed-in shoppers each reach only their own
//! cart (found from the session, never from an id the browser sends).

use leptos::prelude::*;

use super::types::{AddedToCart, CartView};
use crate::error::AppError;

#[cfg(feature = "ssr")]
use {
    super::store::{self, Owner},
    super::types::parse_quantity,
    crate::accounts::auth,
    crate::catalog::api::parse_id,
    crate::server::{app_state, AppState},
};

/// True when a plain HTML form (no JavaScript) made this request.
#[cfg(feature = "ssr")]
pub fn is_plain_form_post() -> bool {
    use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

#[cfg(feature = "ssr")]
async fn owner(create: bool) -> Result<(AppState, Option<Owner>), AppError> {
    let state = app_state()?;
    let session = auth::session().await?;
    let user = auth::user_from_session(&state, &session).await?;
    let owner = store::owner_for(user.as_ref(), &session, create).await?;
    Ok((state, owner))
}

#[server(endpoint = "cart/get")]
pub async fn get_cart() -> Result<CartView, AppError> {
    let (state, owner) = owner(false).await?;
    let cart = match &owner {
        Some(o) => store::find(&state.db, o).await?,
        None => None,
    };
    store::view(&state.db, cart.as_ref(), &state.settings.currency).await
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
    let owner = owner.ok_or(AppError::Internal)?;
    let product = crate::catalog::store::find_by_id(&state.db, &pid)
        .await?
        .filter(|p| p.status == crate::catalog::types::ProductStatus::Active)
        .ok_or_else(|| AppError::Conflict("Sorry, this product is no longer sold.".into()))?;
    let (in_cart, count) = store::add(&state.db, &owner, &product, qty)
        .await
        .map_err(|e| e.keeping(&[("quantity", &qty_text)]))?;
    if is_plain_form_post() {
        crate::server::redirect("/cart?added=1");
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
    if qty > 0 {
        if let Some(p) = crate::catalog::store::find_by_id(&state.db, &pid).await? {
            if qty > p.stock {
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
