//! `POST /admin/products/save`: the admin's product form as one multipart post
//! (details, new pictures and pictures to take off), so a product's first
//! pictures come with its first save. A browser is redirected: to the product
//! when it was saved, back to the form otherwise, with the error and the typed
//! values in the `__path`/`__err` query that server-function forms use, so the
//! page shows them the same way with or without JavaScript. Other callers get
//! JSON. Admins only, checked here.

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use mongodb::bson::oid::ObjectId;
use tower_sessions::Session;

use super::api::{save_product_as, Pictures, SaveProduct, MAX_PICTURES_PER_SAVE};
use super::images::MAX_IMAGE_BYTES;
use super::types::ProductForm;
use super::{Catalog, Ctx};
use crate::kernel::auth::SharedDirectory;
use crate::kernel::Core;
use crate::shared::AppError;

/// The route's body limit: the most pictures one save takes, and the form.
pub const MAX_BODY: usize = MAX_PICTURES_PER_SAVE * MAX_IMAGE_BYTES + 512 * 1024;
/// The longest text field read (the description is the longest, 5,000 characters).
const MAX_TEXT_BYTES: usize = 64 * 1024;

/// The form as read from the request.
#[derive(Default)]
struct Posted {
    id: Option<String>,
    form: ProductForm,
    pictures: Pictures,
    /// Files over the size limit (their names), drained rather than kept.
    too_large: Vec<String>,
}

pub async fn save(
    State(core): State<Core>,
    State(catalog): State<Catalog>,
    State(directory): State<SharedDirectory>,
    session: Session,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let wants_html = crate::kernel::web::accepts_html(&headers);
    let mut back = "/admin/products/new".to_string();
    let result: Result<(String, bool), AppError> = async {
        let caller = crate::kernel::auth::admin_of(
            &session,
            directory.as_ref(),
            core.settings.session_max_days,
        )
        .await?;
        let posted = read(multipart.map_err(|_| {
            AppError::BadRequest("Send the product form as multipart/form-data.".into())
        })?)
        .await?;
        if let Some(id) = posted
            .id
            .as_deref()
            .and_then(|i| ObjectId::parse_str(i.trim()).ok())
        {
            back = format!("/admin/products/{}", id.to_hex());
        }
        if !posted.too_large.is_empty() {
            let kept = posted.form.kept();
            let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (*k, v.as_str())).collect();
            return Err(AppError::field(
                "pictures",
                format!(
                    "{} is larger than {} MB. Choose smaller pictures; nothing was saved.",
                    posted.too_large.join(", "),
                    MAX_IMAGE_BYTES / (1024 * 1024)
                ),
            )
            .keeping(&refs));
        }
        let ctx = Ctx {
            db: core.db.clone(),
            settings: core.settings.clone(),
            search: catalog.search.clone(),
        };
        let (saved, created) = save_product_as(
            &ctx,
            &caller.name,
            posted.id.as_deref(),
            &posted.form,
            posted.pictures,
        )
        .await?;
        Ok((saved.id.to_hex(), created))
    }
    .await;

    match (result, wants_html) {
        (Ok((id, created)), true) => crate::kernel::web::redirect_response(&format!(
            "/admin/products/{id}?{}",
            if created { "created=1" } else { "saved=1" }
        )),
        (Ok((id, created)), false) => (
            if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            axum::Json(serde_json::json!({ "id": id })),
        )
            .into_response(),
        (Err(AppError::Unauthorized), true) => crate::kernel::web::redirect_response(&format!(
            "/login?next={}",
            crate::shared::text::url_encode(&back)
        )),
        (Err(e @ AppError::Forbidden), _) | (Err(e), false) => e.into_response(),
        (Err(e), true) => crate::kernel::web::redirect_response(&with_error(&back, e)),
    }
}

/// `back` with the error in the query the page's `SaveProduct` action reads.
pub fn with_error(back: &str, e: AppError) -> String {
    match ServerFnUrlError::new(SaveProduct::PATH, e).to_url(&format!("http://shop{back}")) {
        Ok(url) => format!("{}?{}", url.path(), url.query().unwrap_or_default()),
        Err(_) => back.to_string(),
    }
}

async fn read(mut multipart: Multipart) -> Result<Posted, AppError> {
    let mut p = Posted::default();
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "pictures" {
            let file_name = field
                .file_name()
                .unwrap_or("")
                .chars()
                .take(80)
                .collect::<String>();
            let mut data = Vec::new();
            let mut over = false;
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if over || data.len() + chunk.len() > MAX_IMAGE_BYTES {
                    over = true;
                    data = Vec::new();
                    continue;
                }
                data.extend_from_slice(&chunk);
            }
            if over {
                p.too_large.push(if file_name.is_empty() {
                    "A picture".to_string()
                } else {
                    format!("“{file_name}”")
                });
            } else if !data.is_empty() {
                // An empty part is the file box left empty.
                p.pictures.add.push((file_name, data));
            }
            continue;
        }
        let text = text_of(&mut field).await?;
        match name.as_str() {
            "id" => p.id = Some(text),
            "form[name]" => p.form.name = text,
            "form[slug]" => p.form.slug = text,
            "form[description]" => p.form.description = text,
            "form[price]" => p.form.price = text,
            "form[category_id]" => p.form.category_id = text,
            "form[tags]" => p.form.tags = text,
            "form[stock]" => p.form.stock = text,
            "form[status]" => p.form.status = text,
            "form[featured]" => p.form.featured = Some(text),
            "form[sku]" => p.form.sku = Some(text),
            "alt" => p.pictures.alt = text,
            "remove_image" => p.pictures.remove.push(text),
            _ => {}
        }
    }
    Ok(p)
}

async fn text_of(field: &mut Field<'_>) -> Result<String, AppError> {
    let mut data = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if data.len() + chunk.len() > MAX_TEXT_BYTES {
            return Err(AppError::BadRequest(
                "A field of the product form is too long.".into(),
            ));
        }
        data.extend_from_slice(&chunk);
    }
    String::from_utf8(data)
        .map_err(|_| AppError::BadRequest("The product form was not sent as UTF-8 text.".into()))
}

fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge(format!(
            "one save takes at most {MAX_PICTURES_PER_SAVE} pictures of up to {} MB each",
            MAX_IMAGE_BYTES / (1024 * 1024)
        ))
    } else {
        AppError::BadRequest(format!("The form could not be read: {}", e.body_text()))
    }
}
