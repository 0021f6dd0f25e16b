//! Catalog schema migrations (run by themselves at start, see `kernel::migrate`).

use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, Bson, Document};
use mongodb::Database;

use super::store::{sku_from_slug, PRODUCTS};
use crate::kernel::{DbContext, Error, Result};
use crate::shared::Slug;

/// Products from before variants (one price and one stock on the product) become
/// products with one default variant carrying that price, stock and a SKU made
/// from the slug; their reservations are marked as that variant's. Changes only
/// documents still in the old shape, one conditional update each.
pub async fn products_to_variants(db: Database) -> Result<u64> {
    let coll = db.collection::<Document>(PRODUCTS);
    let mut cursor = coll
        .find(doc! { "variants": { "$exists": false } })
        .await
        .context("finding products without variants")?;
    let mut changed = 0;
    while let Some(p) = cursor.try_next().await? {
        let id = p
            .get_object_id("_id")
            .map_err(|e| Error::internal_from("a product without an id", e))?;
        let slug = Slug::parse(p.get_str("slug").unwrap_or_default())
            .map_err(|e| Error::internal(format!("product {id} has an invalid slug: {e}")))?;
        let price = number(&p, "price");
        let stock = number(&p, "stock");
        let variant_id = ObjectId::new();
        let variant = doc! {
            "id": variant_id,
            "sku": sku_from_slug(&slug).as_str(),
            "options": [],
            "price": price,
            "compare_at": Bson::Null,
            "stock": stock,
            "weight_grams": Bson::Null,
            "image_id": Bson::Null,
        };
        let reservations: Vec<Bson> = p
            .get_array("reservations")
            .map(|r| r.to_vec())
            .unwrap_or_default()
            .into_iter()
            .map(|r| match r {
                Bson::Document(mut d) => {
                    if !d.contains_key("variant_id") {
                        d.insert("variant_id", variant_id);
                    }
                    Bson::Document(d)
                }
                other => other,
            })
            .collect();
        let res = coll
            .update_one(
                doc! { "_id": id, "variants": { "$exists": false } },
                doc! { "$set": {
                    "options": [],
                    "variants": [variant],
                    "reservations": reservations,
                    "price": price,
                    "stock": stock,
                } },
            )
            .await
            .context("moving a product to variants")?;
        changed += res.modified_count;
    }
    Ok(changed)
}

use crate::kernel::db::int_field as number;

/// The variant each product from before variants now has (its only one), to
/// point old cart lines, order lines and reservations at it.
pub async fn default_variants(
    db: &Database,
    ids: &[ObjectId],
) -> Result<Vec<(ObjectId, ObjectId, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut cursor = db
        .collection::<Document>(PRODUCTS)
        .find(doc! { "_id": { "$in": ids } })
        .projection(doc! { "variants": 1 })
        .await?;
    let mut out = Vec::new();
    while let Some(p) = cursor.try_next().await? {
        let (Ok(id), Ok(variants)) = (p.get_object_id("_id"), p.get_array("variants")) else {
            continue;
        };
        if let Some(Bson::Document(v)) = variants.first() {
            if let (Ok(vid), Ok(sku)) = (v.get_object_id("id"), v.get_str("sku")) {
                out.push((id, vid, sku.to_string()));
            }
        }
    }
    Ok(out)
}

/// Pictures uploaded before resizing (one original in GridFS, no widths) get
/// their WebP widths made from the original and recorded on the product. A
/// picture whose original is missing or cannot be read stays as it was: pages
/// keep showing the original.
pub async fn pictures_to_widths(db: Database) -> Result<u64> {
    use futures::io::AsyncReadExt;
    let coll = db.collection::<Document>(PRODUCTS);
    let mut cursor = coll
        .find(doc! { "images.0": { "$exists": true } })
        .projection(doc! { "images": 1 })
        .await
        .context("finding products with pictures")?;
    let bucket = db.gridfs_bucket(
        mongodb::options::GridFsBucketOptions::builder()
            .bucket_name("product_images".to_string())
            .build(),
    );
    let mut changed = 0;
    while let Some(p) = cursor.try_next().await? {
        let Ok(product_id) = p.get_object_id("_id") else {
            continue;
        };
        let images = p
            .get_array("images")
            .map(|a| a.to_vec())
            .unwrap_or_default();
        for image in images {
            let Bson::Document(image) = image else {
                continue;
            };
            if image.contains_key("key") {
                continue;
            }
            let Ok(image_id) = image.get_object_id("id") else {
                continue;
            };
            let mut bytes = Vec::new();
            let read = match bucket.open_download_stream(Bson::ObjectId(image_id)).await {
                Ok(mut stream) => stream
                    .read_to_end(&mut bytes)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Err(e) => Err(crate::kernel::db::short_reason(&e)),
            };
            if let Err(reason) = read {
                tracing::warn!(%product_id, %image_id, "picture kept as it is: its original could not be read ({reason})");
                continue;
            }
            let processed = match super::images::process(bytes).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(%product_id, %image_id, "picture kept as it is: {e}");
                    continue;
                }
            };
            super::images::store_processed(&db, &processed).await?;
            let widths: Vec<i64> = processed.widths().into_iter().map(i64::from).collect();
            let res = coll
                .update_one(
                    doc! {
                        "_id": product_id,
                        "images": { "$elemMatch": { "id": image_id, "key": { "$exists": false } } },
                    },
                    doc! { "$set": {
                        "images.$[i].key": &processed.key,
                        "images.$[i].widths": widths,
                        "images.$[i].width": i64::from(processed.width),
                        "images.$[i].height": i64::from(processed.height),
                    } },
                )
                .array_filters(vec![doc! { "i.id": image_id }])
                .await
                .context("recording a picture's widths")?;
            changed += res.modified_count;
        }
    }
    Ok(changed)
}
