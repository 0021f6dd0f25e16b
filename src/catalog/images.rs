//! Product pictures: uploaded by admins (type checked by content, size-limited),
//! stored in GridFS, served with their content type and long cache headers.

use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Response};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::TryStreamExt;
use http::{header, HeaderMap, StatusCode};
use mongodb::bson::{doc, oid::ObjectId, Bson};
use mongodb::gridfs::GridFsBucket;
use mongodb::options::GridFsBucketOptions;
use mongodb::Database;
use tower_sessions::Session;

use super::store::{self, ProductImage};
use super::Catalog;
use crate::kernel::auth::SharedDirectory;
use crate::kernel::{Core, Error, Result};
use crate::shared::AppError;

/// Largest picture accepted.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// The upload route's body limit (the picture plus form overhead).
pub const MAX_UPLOAD_BODY: usize = MAX_IMAGE_BYTES + 64 * 1024;

fn bucket(db: &Database) -> GridFsBucket {
    db.gridfs_bucket(
        GridFsBucketOptions::builder()
            .bucket_name("product_images".to_string())
            .build(),
    )
}

/// The type of an image, read from its first bytes (never from the file name or
/// the browser's claim).
pub fn sniff_image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Stores a picture; returns its id.
pub async fn store_image(db: &Database, bytes: &[u8], content_type: &str) -> Result<ObjectId> {
    let id = ObjectId::new();
    let mut upload = bucket(db)
        .open_upload_stream(id.to_hex())
        .id(Bson::ObjectId(id))
        .metadata(doc! { "content_type": content_type })
        .await?;
    upload
        .write_all(bytes)
        .await
        .map_err(|e| Error::internal_from("writing an image to GridFS", e))?;
    upload
        .close()
        .await
        .map_err(|e| Error::internal_from("finishing an image upload", e))?;
    Ok(id)
}

/// Removes a stored picture (best effort: a leftover file harms nobody).
pub async fn delete(db: &Database, id: &ObjectId) {
    if let Err(e) = bucket(db).delete(Bson::ObjectId(*id)).await {
        tracing::warn!(image_id = %id, "could not delete an image: {}", crate::kernel::db::short_reason(&e));
    }
}

/// `GET /images/{id}`: the picture with its type; cached for a year (ids never change).
pub async fn serve(
    State(state): State<Core>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(oid) = ObjectId::parse_str(id.trim_end_matches(".img")) else {
        return AppError::NotFound.into_response();
    };
    let etag = format!("\"{oid}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(&etag))
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let b = bucket(&state.db);
    let file = match b.find(doc! { "_id": oid }).await {
        Ok(mut cursor) => match cursor.try_next().await {
            Ok(Some(f)) => f,
            Ok(None) => return AppError::NotFound.into_response(),
            Err(e) => return Error::from(e).into_response(),
        },
        Err(e) => return Error::from(e).into_response(),
    };
    let content_type = file
        .metadata
        .as_ref()
        .and_then(|m| m.get_str("content_type").ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let mut stream = match b.open_download_stream(Bson::ObjectId(oid)).await {
        Ok(s) => s,
        Err(e) => return Error::from(e).into_response(),
    };
    let mut buf = Vec::with_capacity(file.length as usize);
    if let Err(e) = stream.read_to_end(&mut buf).await {
        return Error::internal_from("reading an image", e).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_string(),
            ),
            (header::ETAG, etag),
        ],
        Body::from(buf),
    )
        .into_response()
}

/// `POST /admin/products/{id}/images` (multipart: `image`, `alt`). Admins only.
/// A browser form gets redirected back to the product page with a message;
/// other callers get a JSON answer.
pub async fn upload(
    State(state): State<Core>,
    State(catalog): State<Catalog>,
    State(directory): State<SharedDirectory>,
    session: Session,
    Path(id): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let back = match ObjectId::parse_str(id.trim()) {
        Ok(oid) => format!("/admin/products/{}", oid.to_hex()),
        Err(_) => "/admin/products".to_string(),
    };
    let result: std::result::Result<ObjectId, AppError> = async {
        let caller = crate::kernel::auth::caller_of(
            &session,
            directory.as_ref(),
            state.settings.session_max_days,
        )
        .await?
        .ok_or(AppError::Unauthorized)?;
        if !caller.is_admin() {
            return Err(AppError::Forbidden);
        }
        let oid = ObjectId::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
        if store::find_by_id(&state.db, &oid).await?.is_none() {
            return Err(AppError::NotFound);
        }
        let mut multipart = multipart.map_err(|_| {
            AppError::BadRequest(
                "Send the picture as a multipart form with an `image` field.".into(),
            )
        })?;
        let mut bytes: Option<Vec<u8>> = None;
        let mut alt = String::new();
        while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
            match field.name().unwrap_or("") {
                "image" => {
                    let mut data = Vec::new();
                    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                        if data.len() + chunk.len() > MAX_IMAGE_BYTES {
                            return Err(too_large());
                        }
                        data.extend_from_slice(&chunk);
                    }
                    bytes = Some(data);
                }
                "alt" => {
                    alt = field.text().await.map_err(multipart_error)?;
                }
                _ => {}
            }
        }
        let bytes = bytes
            .filter(|b| !b.is_empty())
            .ok_or_else(|| AppError::field("image", "Choose a picture to upload."))?;
        let content_type = sniff_image_type(&bytes).ok_or_else(|| {
            AppError::field(
                "image",
                "That file is not a PNG, JPEG, GIF or WebP picture.",
            )
        })?;
        let alt = alt.trim().chars().take(200).collect::<String>();
        if crate::shared::text::has_stray_control(&alt, false) {
            return Err(AppError::field(
                "alt",
                "The description of the picture contains characters we cannot use.",
            ));
        }
        let image_id = store_image(&state.db, &bytes, content_type).await?;
        let image = ProductImage {
            id: image_id,
            alt,
            content_type: content_type.to_string(),
        };
        if !store::push_image(&state.db, &oid, &image).await? {
            delete(&state.db, &image_id).await;
            return Err(AppError::NotFound);
        }
        super::sync::refresh(&state.db, &catalog.search, &[oid]).await?;
        Ok(image_id)
    }
    .await;

    match (result, wants_html) {
        (Ok(_), true) => crate::kernel::web::redirect_response(&format!("{back}?image=added")),
        (Ok(image_id), false) => (
            StatusCode::CREATED,
            axum::Json(serde_json::json!({ "id": image_id.to_hex(), "url": super::types::image_url(&image_id.to_hex()) })),
        )
            .into_response(),
        (Err(AppError::Unauthorized), true) => {
            crate::kernel::web::redirect_response(&format!("/login?next={}", crate::shared::text::url_encode(&back)))
        }
        (Err(e), true) if matches!(e, AppError::Invalid(_) | AppError::PayloadTooLarge(_) | AppError::BadRequest(_)) => {
            let msg = e
                .form_errors()
                .and_then(|f| f.fields.first().map(|m| m.message.clone()))
                .unwrap_or_else(|| e.to_string());
            crate::kernel::web::redirect_response(&format!("{back}?image_error={}", crate::shared::text::url_encode(&msg)))
        }
        (Err(e), _) => e.into_response(),
    }
}

fn too_large() -> AppError {
    AppError::PayloadTooLarge(format!(
        "pictures may be at most {} MB",
        MAX_IMAGE_BYTES / (1024 * 1024)
    ))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        AppError::BadRequest(format!("The upload could not be read: {}", e.body_text()))
    }
}
