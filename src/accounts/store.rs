//! The `users` and `password_resets` collections. The only place that queries them.

use mongodb::bson::{doc, oid::ObjectId, DateTime};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use super::types::{Email, Role, UserView};
use crate::kernel::auth::Caller;
use crate::kernel::db::on_unique;
use crate::kernel::{Error, Result};

pub const USERS: &str = "users";
pub const RESETS: &str = "password_resets";
/// The unique index on e-mail addresses.
pub const EMAIL_INDEX: &str = "email_unique";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Normalised (lower case): the unique index makes e-mails case-insensitive.
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub created_at: DateTime,
    pub updated_at: DateTime,
}

impl User {
    /// The account as every feature sees the person calling.
    pub fn caller(&self) -> Caller {
        Caller {
            id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
        }
    }

    pub fn view(&self) -> UserView {
        UserView {
            id: self.id.to_hex(),
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
        }
    }
}

/// A password-reset token, stored only as its SHA-256 hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordReset {
    #[serde(rename = "_id")]
    pub token_hash: String,
    pub user_id: ObjectId,
    pub expires_at: DateTime,
    pub used_at: Option<DateTime>,
    pub created_at: DateTime,
}

pub fn users(db: &Database) -> Collection<User> {
    db.collection(USERS)
}

fn resets(db: &Database) -> Collection<PasswordReset> {
    db.collection(RESETS)
}

pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
    users(db)
        .create_index(
            IndexModel::builder()
                .keys(doc! { "email": 1 })
                .options(
                    IndexOptions::builder()
                        .unique(true)
                        .name(EMAIL_INDEX.to_string())
                        .build(),
                )
                .build(),
        )
        .await?;
    resets(db)
        .create_index(
            IndexModel::builder()
                .keys(doc! { "expires_at": 1 })
                .options(
                    IndexOptions::builder()
                        .name("expires_at_ttl".to_string())
                        // Kept a day past expiry so a late click says "expired", then swept.
                        .expire_after(std::time::Duration::from_secs(24 * 3600))
                        .build(),
                )
                .build(),
        )
        .await?;
    resets(db)
        .create_index(IndexModel::builder().keys(doc! { "user_id": 1 }).build())
        .await?;
    Ok(())
}

const EMAIL_TAKEN: &str = "An account with this e-mail address already exists.";

pub async fn create_user(
    db: &Database,
    email: &Email,
    name: &str,
    password_hash: String,
    role: Role,
) -> Result<User> {
    let now = DateTime::now();
    let user = User {
        id: ObjectId::new(),
        email: email.as_str().to_string(),
        name: name.to_string(),
        role,
        password_hash,
        created_at: now,
        updated_at: now,
    };
    users(db)
        .insert_one(&user)
        .await
        .map_err(|e| on_unique(e, EMAIL_INDEX, "email", EMAIL_TAKEN))?;
    Ok(user)
}

pub async fn find_by_email(db: &Database, email: &Email) -> Result<Option<User>> {
    Ok(users(db).find_one(doc! { "email": email.as_str() }).await?)
}

pub async fn find_by_id(db: &Database, id: &ObjectId) -> Result<Option<User>> {
    Ok(users(db).find_one(doc! { "_id": id }).await?)
}

pub async fn update_profile(
    db: &Database,
    id: &ObjectId,
    name: &str,
    email: &Email,
) -> Result<Option<User>> {
    users(db)
        .find_one_and_update(
            doc! { "_id": id },
            doc! { "$set": { "name": name, "email": email.as_str(), "updated_at": DateTime::now() } },
        )
        .return_document(ReturnDocument::After)
        .await
        .map_err(|e| on_unique(e, EMAIL_INDEX, "email", EMAIL_TAKEN))
}

pub async fn set_password_hash(db: &Database, id: &ObjectId, hash: String) -> Result<()> {
    users(db)
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "password_hash": hash, "updated_at": DateTime::now() } },
        )
        .await?;
    Ok(())
}

pub async fn set_role(db: &Database, id: &ObjectId, role: Role) -> Result<()> {
    let role =
        mongodb::bson::to_bson(&role).map_err(|e| Error::internal_from("encoding a role", e))?;
    users(db)
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "role": role, "updated_at": DateTime::now() } },
        )
        .await?;
    Ok(())
}

pub async fn insert_reset(db: &Database, reset: &PasswordReset) -> Result<()> {
    resets(db).insert_one(reset).await?;
    Ok(())
}

/// A token that exists, is unused and has not expired (not consumed).
pub async fn find_unused_reset(db: &Database, token_hash: &str) -> Result<Option<PasswordReset>> {
    Ok(resets(db)
        .find_one(
            doc! { "_id": token_hash, "used_at": null, "expires_at": { "$gt": DateTime::now() } },
        )
        .await?)
}

/// Marks a token used, atomically: only one caller can ever consume it.
/// Returns it if it existed, was unused and had not expired.
pub async fn consume_reset(db: &Database, token_hash: &str) -> Result<Option<PasswordReset>> {
    let now = DateTime::now();
    Ok(resets(db)
        .find_one_and_update(
            doc! { "_id": token_hash, "used_at": null, "expires_at": { "$gt": now } },
            doc! { "$set": { "used_at": now } },
        )
        .return_document(ReturnDocument::After)
        .await?)
}

/// Invalidates every outstanding token of a user (after a successful reset or change).
pub async fn invalidate_resets(db: &Database, user_id: &ObjectId) -> Result<()> {
    resets(db)
        .update_many(
            doc! { "user_id": user_id, "used_at": null },
            doc! { "$set": { "used_at": DateTime::now() } },
        )
        .await?;
    Ok(())
}
