//! The address book of an account (`address_book`): saved shipping addresses, one
//! of them the default that checkout fills in.

use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, DateTime};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::types::{Address, SavedAddress};
use crate::kernel::db::index;
use crate::kernel::{DbContext, Result};
use crate::shared::AppError;

/// Most addresses one account keeps.
pub const MAX_ADDRESSES: u64 = 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    #[serde(rename = "_id")]
    id: ObjectId,
    user_id: ObjectId,
    address: Address,
    default: bool,
    created_at: DateTime,
}

fn book(db: &Database) -> Collection<Entry> {
    db.collection("address_book")
}

pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
    book(db)
        .create_index(index(
            doc! { "user_id": 1, "created_at": 1 },
            "user_created",
            false,
        ))
        .await?;
    Ok(())
}

/// The account's addresses, the default first.
pub async fn list(db: &Database, user: &ObjectId) -> Result<Vec<SavedAddress>> {
    let mut entries: Vec<Entry> = book(db)
        .find(doc! { "user_id": user })
        .await
        .context("reading the address book")?
        .try_collect()
        .await
        .context("reading the address book")?;
    entries.sort_by_key(|e| (!e.default, e.created_at));
    Ok(entries
        .into_iter()
        .map(|e| SavedAddress {
            id: e.id.to_hex(),
            address: e.address,
            default: e.default,
        })
        .collect())
}

/// Saves `address` (unless the account has it already); the first one, or one
/// saved with `make_default`, becomes the default.
pub async fn add(
    db: &Database,
    user: &ObjectId,
    address: &Address,
    make_default: bool,
) -> Result<()> {
    let existing = list(db, user).await?;
    if let Some(same) = existing.iter().find(|s| &s.address == address) {
        if make_default {
            set_default(
                db,
                user,
                &ObjectId::parse_str(&same.id).map_err(|_| AppError::NotFound)?,
            )
            .await?;
        }
        return Ok(());
    }
    if existing.len() as u64 >= MAX_ADDRESSES {
        return Err(AppError::Conflict(format!(
            "Your address book is full ({MAX_ADDRESSES} addresses). Delete one first."
        ))
        .into());
    }
    let entry = Entry {
        id: ObjectId::new(),
        user_id: *user,
        address: address.clone(),
        default: false,
        created_at: DateTime::now(),
    };
    book(db)
        .insert_one(&entry)
        .await
        .context("saving an address")?;
    if make_default || existing.is_empty() {
        set_default(db, user, &entry.id).await?;
    }
    Ok(())
}

/// Makes the account's address `id` its default. `false` if it has no such address.
pub async fn set_default(db: &Database, user: &ObjectId, id: &ObjectId) -> Result<bool> {
    let found = book(db)
        .update_one(
            doc! { "_id": id, "user_id": user },
            doc! { "$set": { "default": true } },
        )
        .await
        .context("choosing the default address")?;
    if found.matched_count == 0 {
        return Ok(false);
    }
    book(db)
        .update_many(
            doc! { "user_id": user, "_id": { "$ne": id } },
            doc! { "$set": { "default": false } },
        )
        .await
        .context("choosing the default address")?;
    Ok(true)
}

/// Deletes the account's address `id` (the oldest left becomes the default).
pub async fn delete(db: &Database, user: &ObjectId, id: &ObjectId) -> Result<bool> {
    let gone = book(db)
        .delete_one(doc! { "_id": id, "user_id": user })
        .await
        .context("deleting an address")?;
    if gone.deleted_count == 0 {
        return Ok(false);
    }
    let left = list(db, user).await?;
    if !left.is_empty() && !left.iter().any(|a| a.default) {
        if let Ok(first) = ObjectId::parse_str(&left[0].id) {
            set_default(db, user, &first).await?;
        }
    }
    Ok(true)
}
