//! Stock movements: the history of every change an admin (or an import) made to a
//! variant's stock, kept in `stock_movements`. Sales are not recorded here: the
//! orders are their history.

use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, DateTime};
use mongodb::{Collection, Database};
use serde::{Deserialize, Serialize};

use super::types::StockMovementView;
use crate::kernel::db::display_time;
use crate::kernel::{DbContext, Result};

pub const COLLECTION: &str = "stock_movements";
/// Longest note an admin may give with a change.
pub const MAX_NOTE_CHARS: usize = 200;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StockMovement {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub product_id: ObjectId,
    pub variant_id: ObjectId,
    /// The SKU at the time (the variant may be renamed or removed later).
    pub sku: String,
    pub delta: i64,
    /// The variant's stock right after the change.
    pub stock_after: i64,
    /// Who: "Ada Admin" (an admin's name at the time), or "CSV import".
    pub by: String,
    #[serde(default)]
    pub note: String,
    pub at: DateTime,
}

fn movements(db: &Database) -> Collection<StockMovement> {
    db.collection(COLLECTION)
}

pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
    movements(db)
        .create_index(crate::kernel::db::index(
            doc! { "product_id": 1, "at": -1 },
            "product_at",
            false,
        ))
        .await?;
    Ok(())
}

/// Records a change that was made. A failure to record is logged and reported,
/// never hidden: the change itself has already happened.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    db: &Database,
    product_id: ObjectId,
    variant_id: ObjectId,
    sku: &str,
    delta: i64,
    stock_after: i64,
    by: &str,
    note: &str,
) -> Result<()> {
    let m = StockMovement {
        id: ObjectId::new(),
        product_id,
        variant_id,
        sku: sku.to_string(),
        delta,
        stock_after,
        by: by.to_string(),
        note: note.chars().take(MAX_NOTE_CHARS).collect(),
        at: DateTime::now(),
    };
    if let Err(e) = movements(db).insert_one(&m).await {
        tracing::error!(product_id = %product_id, variant_id = %variant_id, delta, "a stock change was made but its history entry could not be written: {e}");
        return Err(e).context("recording a stock change");
    }
    Ok(())
}

/// The latest changes of a product's stock, newest first.
pub async fn history(
    db: &Database,
    product_id: &ObjectId,
    limit: i64,
) -> Result<Vec<StockMovementView>> {
    let list: Vec<StockMovement> = movements(db)
        .find(doc! { "product_id": product_id })
        .sort(doc! { "at": -1, "_id": -1 })
        .limit(limit)
        .await
        .context("reading stock history")?
        .try_collect()
        .await
        .context("reading stock history")?;
    Ok(list
        .into_iter()
        .map(|m| StockMovementView {
            variant_id: m.variant_id.to_hex(),
            sku: m.sku,
            delta: m.delta,
            stock_after: m.stock_after,
            by: m.by,
            note: m.note,
            at: display_time(m.at),
        })
        .collect())
}
