//! Accounts as `kernel::auth` finds them: the caller of every request is read
//! through this, fresh from the database.

use async_trait::async_trait;
use mongodb::bson::oid::ObjectId;
use mongodb::Database;

use super::store;
use crate::kernel::auth::{Caller, Directory};
use crate::kernel::Result;

/// The account directory over the `users` collection.
pub struct AccountDirectory {
    db: Database,
}

impl AccountDirectory {
    pub fn new(db: Database) -> Self {
        AccountDirectory { db }
    }
}

#[async_trait]
impl Directory for AccountDirectory {
    async fn find_caller(&self, id: &ObjectId) -> Result<Option<Caller>> {
        Ok(store::find_by_id(&self.db, id).await?.map(|u| u.caller()))
    }
}
