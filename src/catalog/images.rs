//! Product pictures: uploaded by admins (type checked by content, size-limited),
//! resized into WebP widths (`pictures`) kept in `picture_files` under
//! content-hashed names and served with immutable cache headers; the original
//! stays in GridFS (CSV exports link to it, and it can be resized again).

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

/// The resized files of every picture, `_id` = `<key>-<width>.webp`.
pub const PICTURE_FILES: &str = "picture_files";

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct PictureFile {
    #[serde(rename = "_id")]
    pub name: String,
    pub content_type: String,
    pub data: mongodb::bson::Binary,
    pub created_at: mongodb::bson::DateTime,
}

pub fn files(db: &Database) -> mongodb::Collection<PictureFile> {
    db.collection(PICTURE_FILES)
}

/// Resized picture files kept in memory by each instance, so a page's pictures
/// are served without a database round trip. Their names are content hashes, so a
/// kept file is never stale; a file removed from the database leaves the memory of
/// every instance within [`PICTURE_CACHE_TTL`] (browsers and proxies may keep it for a
/// year anyway: it is served as immutable).
pub struct PictureCache {
    kept: std::sync::Mutex<Kept>,
    max_bytes: usize,
}

/// How long a kept file is served before it is read from the database again.
pub const PICTURE_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(600);
/// Memory for kept files per instance (the 500-product demo uses about 20 MiB).
pub const PICTURE_CACHE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Default)]
struct Kept {
    files: std::collections::HashMap<String, KeptFile>,
    /// Names in the order they were kept: the oldest leave first when memory is full.
    order: std::collections::VecDeque<String>,
    bytes: usize,
}

struct KeptFile {
    content_type: String,
    data: axum::body::Bytes,
    at: std::time::Instant,
}

impl Default for PictureCache {
    fn default() -> Self {
        PictureCache::with_capacity(PICTURE_CACHE_BYTES)
    }
}

impl PictureCache {
    pub fn with_capacity(max_bytes: usize) -> Self {
        PictureCache {
            kept: std::sync::Mutex::new(Kept::default()),
            max_bytes,
        }
    }

    /// The kept file `name` (its type and bytes), if kept less than the TTL ago.
    pub fn get(&self, name: &str) -> Option<(String, axum::body::Bytes)> {
        self.get_at(name, std::time::Instant::now())
    }

    fn get_at(&self, name: &str, now: std::time::Instant) -> Option<(String, axum::body::Bytes)> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let f = kept.files.get(name)?;
        (now.saturating_duration_since(f.at) < PICTURE_CACHE_TTL)
            .then(|| (f.content_type.clone(), f.data.clone()))
    }

    /// Keeps a file read from the database. A file larger than a sixteenth of the
    /// memory is not kept; the oldest files leave to make room.
    pub fn put(&self, name: &str, content_type: &str, data: axum::body::Bytes) {
        self.put_at(name, content_type, data, std::time::Instant::now())
    }

    fn put_at(
        &self,
        name: &str,
        content_type: &str,
        data: axum::body::Bytes,
        now: std::time::Instant,
    ) {
        if data.len() > self.max_bytes / 16 {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let kept = &mut *kept;
        if let Some(old) = kept.files.remove(name) {
            // Kept again after its TTL ran out: it moves to the back of the line.
            kept.bytes -= old.data.len();
            kept.order.retain(|n| n != name);
        }
        while kept.bytes + data.len() > self.max_bytes {
            let Some(oldest) = kept.order.pop_front() else {
                break;
            };
            if let Some(f) = kept.files.remove(&oldest) {
                kept.bytes -= f.data.len();
            }
        }
        kept.bytes += data.len();
        kept.order.push_back(name.to_string());
        kept.files.insert(
            name.to_string(),
            KeptFile {
                content_type: content_type.to_string(),
                data,
                at: now,
            },
        );
    }

    /// Bytes kept now.
    pub fn bytes(&self) -> usize {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }
}

/// Stores the widths of a processed picture (a file that exists already, from the
/// same content, is kept: same name, same bytes).
pub async fn store_processed(db: &Database, p: &super::pictures::Processed) -> Result<()> {
    store_many(db, &[p]).await
}

/// Stores the widths of several pictures in one write.
pub async fn store_many(db: &Database, pictures: &[&super::pictures::Processed]) -> Result<()> {
    let now = mongodb::bson::DateTime::now();
    let docs: Vec<PictureFile> = pictures
        .iter()
        .flat_map(|p| {
            p.renditions.iter().map(move |r| PictureFile {
                name: p.file_name(r.width),
                content_type: "image/webp".into(),
                data: mongodb::bson::Binary {
                    subtype: mongodb::bson::spec::BinarySubtype::Generic,
                    bytes: r.bytes.clone(),
                },
                created_at: now,
            })
        })
        .collect();
    if docs.is_empty() {
        return Ok(());
    }
    match files(db).insert_many(&docs).ordered(false).await {
        Ok(_) => Ok(()),
        Err(e) if only_duplicates(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn only_duplicates(e: &mongodb::error::Error) -> bool {
    match e.kind.as_ref() {
        mongodb::error::ErrorKind::InsertMany(m) => {
            m.write_concern_error.is_none()
                && m.write_errors
                    .as_ref()
                    .is_some_and(|w| w.iter().all(|x| x.code == 11000))
        }
        _ => crate::kernel::db::is_duplicate_key(e),
    }
}

/// Decodes, checks and resizes an upload on a blocking thread.
pub async fn process(bytes: Vec<u8>) -> std::result::Result<super::pictures::Processed, AppError> {
    tokio::task::spawn_blocking(move || super::pictures::process_upload(&bytes))
        .await
        .map_err(|e| AppError::from(Error::internal_from("resizing a picture", e)))?
        .map_err(|e| AppError::field("image", e.to_string()))
}

/// A product picture record for a processed upload whose original is stored as `id`.
pub fn record(
    id: ObjectId,
    alt: String,
    content_type: &str,
    p: &super::pictures::Processed,
) -> ProductImage {
    ProductImage {
        id,
        alt,
        content_type: content_type.to_string(),
        key: Some(p.key.clone()),
        widths: p.widths(),
        width: p.width,
        height: p.height,
    }
}

/// Removes a picture's resized files unless another product still shows the same content.
pub async fn delete_files(db: &Database, image: &ProductImage) {
    let Some(key) = &image.key else { return };
    let still_used = store::products(db)
        .count_documents(doc! { "images.key": key })
        .await
        .unwrap_or(1);
    // Orders keep showing the picture their lines were sold with.
    let in_orders = db
        .collection::<mongodb::bson::Document>("orders")
        .count_documents(doc! { "lines.picture.key": key })
        .await
        .unwrap_or(1);
    if still_used > 0 || in_orders > 0 {
        return;
    }
    let names: Vec<String> = image
        .widths
        .iter()
        .map(|w| format!("{key}-{w}.webp"))
        .collect();
    if let Err(e) = files(db)
        .delete_many(doc! { "_id": { "$in": names } })
        .await
    {
        tracing::warn!(key = %key, "could not delete picture files: {}", crate::kernel::db::short_reason(&e));
    }
}

/// Whether `name` looks like a resized file's name (`<16 hex>-<width>.webp`).
fn is_file_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".webp") else {
        return false;
    };
    let Some((key, width)) = stem.split_once('-') else {
        return false;
    };
    key.len() == 16
        && key
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && !width.is_empty()
        && width.len() <= 5
        && width.bytes().all(|b| b.is_ascii_digit())
}

/// Stores a picture's original; returns its id.
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
    State(catalog): State<Catalog>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if is_file_name(&id) {
        return serve_file(&state.db, &catalog.pictures, &id, &headers).await;
    }
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
            Ok(None) => return largest_width_of(&state.db, &oid).await,
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

/// One resized file, cached for good (its name changes when its content does):
/// from this instance's memory, else from the database (and then kept).
async fn serve_file(
    db: &Database,
    cache: &PictureCache,
    name: &str,
    headers: &HeaderMap,
) -> Response {
    let etag = format!("\"{name}\"");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(&etag))
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let (content_type, data) = match cache.get(name) {
        Some(kept) => kept,
        None => match files(db).find_one(doc! { "_id": name }).await {
            Ok(Some(f)) => {
                let data = axum::body::Bytes::from(f.data.bytes);
                cache.put(name, &f.content_type, data.clone());
                (f.content_type, data)
            }
            Ok(None) => return AppError::NotFound.into_response(),
            Err(e) => return Error::from(e).into_response(),
        },
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_string(),
            ),
            (header::ETAG, etag),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        Body::from(data),
    )
        .into_response()
}

/// A picture without a kept original (a drawn demo picture): its largest width.
async fn largest_width_of(db: &Database, id: &ObjectId) -> Response {
    let found = store::products(db)
        .find_one(doc! { "images.id": id })
        .projection(doc! { "images": 1 })
        .await;
    let image = match found {
        Ok(Some(p)) => p.images.into_iter().find(|i| i.id == *id),
        Ok(None) => None,
        Err(e) => return Error::from(e).into_response(),
    };
    match image.and_then(|i| Some((i.key?, *i.widths.last()?))) {
        Some((key, w)) => {
            crate::kernel::web::redirect_response(&super::types::Picture::file_url(&key, w))
        }
        None => AppError::NotFound.into_response(),
    }
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
    let wants_html = crate::kernel::web::accepts_html(&headers);
    let back = match ObjectId::parse_str(id.trim()) {
        Ok(oid) => format!("/admin/products/{}", oid.to_hex()),
        Err(_) => "/admin/products".to_string(),
    };
    let result: std::result::Result<ProductImage, AppError> = async {
        crate::kernel::auth::admin_of(
            &session,
            directory.as_ref(),
            state.settings.session_max_days,
        )
        .await?;
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
        let (image, _) = save_upload(&state.db, bytes, &alt).await?;
        let image_id = image.id;
        if !store::push_image(&state.db, &oid, &image).await? {
            delete(&state.db, &image_id).await;
            delete_files(&state.db, &image).await;
            return Err(AppError::NotFound);
        }
        super::sync::refresh(&state.db, &catalog.search, &[oid]).await?;
        Ok(image)
    }
    .await;

    match (result, wants_html) {
        (Ok(_), true) => crate::kernel::web::redirect_response(&format!("{back}?image=added")),
        (Ok(image), false) => (
            StatusCode::CREATED,
            axum::Json(serde_json::json!({
                "id": image.id.to_hex(),
                "url": super::types::image_url(&image.id.to_hex()),
                "picture": image.picture(""),
            })),
        )
            .into_response(),
        (Err(AppError::Unauthorized), true) => crate::kernel::web::redirect_response(&format!(
            "/login?next={}",
            crate::shared::text::url_encode(&back)
        )),
        (Err(e), true)
            if matches!(
                e,
                AppError::Invalid(_) | AppError::PayloadTooLarge(_) | AppError::BadRequest(_)
            ) =>
        {
            let msg = e
                .form_errors()
                .and_then(|f| f.fields.first().map(|m| m.message.clone()))
                .unwrap_or_else(|| e.to_string());
            crate::kernel::web::redirect_response(&format!(
                "{back}?image_error={}",
                crate::shared::text::url_encode(&msg)
            ))
        }
        (Err(e), _) => e.into_response(),
    }
}

/// Checks, resizes and stores an uploaded picture (original and widths); the
/// caller attaches the returned record to a product. Nothing is stored when the
/// picture is refused.
pub async fn save_upload(
    db: &Database,
    bytes: Vec<u8>,
    alt: &str,
) -> std::result::Result<(ProductImage, super::pictures::Processed), AppError> {
    let alt = clean_alt(alt)?;
    let checked = check_upload(bytes).await?;
    let image = store_checked(db, &checked, &alt).await?;
    Ok((image, checked.processed))
}

/// An upload that was read, checked and resized, not stored yet.
pub struct CheckedUpload {
    original: Vec<u8>,
    content_type: &'static str,
    processed: super::pictures::Processed,
}

/// Reads the type from the bytes, decodes and resizes (on a blocking thread).
/// Refusals are field errors on `image` saying why.
pub async fn check_upload(bytes: Vec<u8>) -> std::result::Result<CheckedUpload, AppError> {
    let content_type = sniff_image_type(&bytes).ok_or_else(|| {
        AppError::field(
            "image",
            "That file is not a PNG, JPEG, GIF or WebP picture.",
        )
    })?;
    let original = bytes.clone();
    let processed = process(bytes).await?;
    Ok(CheckedUpload {
        original,
        content_type,
        processed,
    })
}

/// Stores a checked upload: its resized files and the original.
pub async fn store_checked(
    db: &Database,
    upload: &CheckedUpload,
    alt: &str,
) -> std::result::Result<ProductImage, AppError> {
    store_processed(db, &upload.processed).await?;
    let image_id = store_image(db, &upload.original, upload.content_type).await?;
    Ok(record(
        image_id,
        alt.to_string(),
        upload.content_type,
        &upload.processed,
    ))
}

/// A picture's description as typed: trimmed, at most 200 characters, no
/// control characters.
pub fn clean_alt(alt: &str) -> std::result::Result<String, AppError> {
    let alt = alt.trim().chars().take(200).collect::<String>();
    if crate::shared::text::has_stray_control(&alt, false) {
        return Err(AppError::field(
            "alt",
            "The description of the picture contains characters we cannot use.",
        ));
    }
    Ok(alt)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn bytes(n: usize) -> axum::body::Bytes {
        axum::body::Bytes::from(vec![7u8; n])
    }

    #[test]
    fn kept_files_are_served_until_their_ttl_runs_out() {
        let cache = PictureCache::with_capacity(1 << 20);
        let t0 = Instant::now();
        cache.put_at("a-160.webp", "image/webp", bytes(100), t0);
        let (ct, data) = cache
            .get_at("a-160.webp", t0 + Duration::from_secs(1))
            .unwrap();
        assert_eq!((ct.as_str(), data.len()), ("image/webp", 100));
        assert!(cache.get_at("a-160.webp", t0 + PICTURE_CACHE_TTL).is_none());
        assert!(cache.get_at("b-160.webp", t0).is_none());
        // Kept again after it ran out: counted once.
        cache.put_at(
            "a-160.webp",
            "image/webp",
            bytes(100),
            t0 + PICTURE_CACHE_TTL,
        );
        assert_eq!(cache.bytes(), 100);
        assert!(cache.get_at("a-160.webp", t0 + PICTURE_CACHE_TTL).is_some());
    }

    #[test]
    fn the_oldest_files_leave_when_memory_is_full() {
        let cache = PictureCache::with_capacity(1600);
        let t = Instant::now();
        for name in ["1", "2", "3", "4"] {
            cache.put_at(name, "image/webp", bytes(100), t);
        }
        assert_eq!(cache.bytes(), 400);
        // Too large to keep (over a sixteenth of the memory): served, not kept.
        cache.put_at("big", "image/webp", bytes(101), t);
        assert!(cache.get_at("big", t).is_none());
        for n in 5..=16 {
            cache.put_at(&n.to_string(), "image/webp", bytes(100), t);
        }
        assert_eq!(cache.bytes(), 1600);
        cache.put_at("17", "image/webp", bytes(100), t);
        assert_eq!(cache.bytes(), 1600);
        assert!(cache.get_at("1", t).is_none(), "the oldest left");
        assert!(cache.get_at("2", t).is_some() && cache.get_at("17", t).is_some());
    }
}
