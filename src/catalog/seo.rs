//! For search engines: `/robots.txt` (what not to crawl, where the sitemap is)
//! and `/sitemap.xml` (home, listing, every category and every active product,
//! with when it last changed). Above 45,000 products the sitemap becomes an index
//! of sitemaps (`/sitemaps/pages.xml`, `/sitemaps/products-N.xml`), as the protocol's 50,000-URL
//! limit requires.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use http::header;
use mongodb::bson::{doc, Document};

use super::store;
use crate::kernel::{Core, Error};
use crate::shared::AppError;

/// `/search?q=…`, the address people and browsers' site search guess: the
/// catalog's search lives on the listing, so this sends them there, query kept.
pub async fn search_alias(RawQuery(query): RawQuery) -> axum::response::Redirect {
    match query.filter(|q| !q.is_empty()) {
        Some(q) => axum::response::Redirect::permanent(&format!("/products?{q}")),
        None => axum::response::Redirect::permanent("/products"),
    }
}

/// Products per sitemap file.
pub const PER_SITEMAP: u64 = 45_000;

pub async fn robots(State(core): State<Core>) -> Response {
    let base = core.settings.base_url();
    let body = format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /account\nDisallow: /cart\nDisallow: /checkout\nDisallow: /order/\nDisallow: /api/\nDisallow: /login\nDisallow: /register\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
    );
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

fn xml(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=600"),
        ],
        body,
    )
        .into_response()
}

fn escape(s: &str) -> String {
    crate::shared::text::escape_html(s)
}

fn url(loc: &str, lastmod: Option<&str>) -> String {
    match lastmod {
        Some(m) => format!(
            "<url><loc>{}</loc><lastmod>{m}</lastmod></url>\n",
            escape(loc)
        ),
        None => format!("<url><loc>{}</loc></url>\n", escape(loc)),
    }
}

fn day(d: &Document) -> Option<String> {
    d.get_datetime("updated_at")
        .ok()
        .and_then(|t| t.try_to_rfc3339_string().ok())
        .map(|s| s.chars().take(10).collect())
}

async fn active_count(core: &Core) -> Result<u64, Error> {
    Ok(store::products(&core.db)
        .count_documents(doc! { "status": "active" })
        .await?)
}

async fn product_urls(core: &Core, skip: u64, limit: u64) -> Result<String, Error> {
    let base = core.settings.base_url();
    let mut cursor = store::products(&core.db)
        .clone_with_type::<Document>()
        .find(doc! { "status": "active" })
        .projection(doc! { "slug": 1, "updated_at": 1 })
        .sort(doc! { "_id": 1 })
        .skip(skip)
        .limit(limit as i64)
        .await?;
    let mut out = String::new();
    while let Some(p) = cursor.try_next().await? {
        if let Ok(slug) = p.get_str("slug") {
            out.push_str(&url(&format!("{base}/products/{slug}"), day(&p).as_deref()));
        }
    }
    Ok(out)
}

const URLSET: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
"#;

pub async fn sitemap(State(core): State<Core>) -> Response {
    let result: Result<String, Error> = async {
        let base = core.settings.base_url();
        let count = active_count(&core).await?;
        if count > PER_SITEMAP {
            let mut out = String::from(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
            );
            out.push_str(&format!("<sitemap><loc>{}</loc></sitemap>\n", escape(&format!("{base}/sitemaps/pages.xml"))));
            for n in 1..=count.div_ceil(PER_SITEMAP) {
                out.push_str(&format!(
                    "<sitemap><loc>{}</loc></sitemap>\n",
                    escape(&format!("{base}/sitemaps/products-{n}.xml"))
                ));
            }
            out.push_str("</sitemapindex>\n");
            return Ok(out);
        }
        let mut out = String::from(URLSET);
        out.push_str(&pages(&core).await?);
        out.push_str(&product_urls(&core, 0, PER_SITEMAP).await?);
        out.push_str("</urlset>\n");
        Ok(out)
    }
    .await;
    match result {
        Ok(body) => xml(body),
        Err(e) => e.into_response(),
    }
}

/// Home, the listing and the categories.
async fn pages(core: &Core) -> Result<String, Error> {
    let base = core.settings.base_url();
    let mut out = url(&format!("{base}/"), None);
    out.push_str(&url(&format!("{base}/products"), None));
    for c in store::list_categories(&core.db).await? {
        out.push_str(&url(&format!("{base}/products?category={}", c.slug), None));
    }
    Ok(out)
}

/// `/sitemaps/pages.xml` and `/sitemaps/products-N.xml` (large catalogs).
pub async fn sitemap_part(State(core): State<Core>, Path(name): Path<String>) -> Response {
    let result: Result<Option<String>, Error> = async {
        let body = if name == "pages.xml" {
            pages(&core).await?
        } else {
            let Some(n) = name
                .strip_prefix("products-")
                .and_then(|r| r.strip_suffix(".xml"))
                .and_then(|n| n.parse::<u64>().ok())
                .filter(|n| *n >= 1)
            else {
                return Ok(None);
            };
            if (n - 1) * PER_SITEMAP >= active_count(&core).await?.max(1) {
                return Ok(None);
            }
            product_urls(&core, (n - 1) * PER_SITEMAP, PER_SITEMAP).await?
        };
        Ok(Some(format!("{URLSET}{body}</urlset>\n")))
    }
    .await;
    match result {
        Ok(Some(body)) => xml(body),
        Ok(None) => AppError::NotFound.into_response(),
        Err(e) => e.into_response(),
    }
}
