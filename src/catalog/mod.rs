//! The catalog: categories, products, pictures and search. Its server functions
//! answer the storefront (anyone) and the admin (admins only); the pages that show
//! them live in `storefront` and `admin`.

pub mod api;
pub mod types;

#[cfg(feature = "ssr")]
pub mod csv;
#[cfg(feature = "ssr")]
pub mod demo_art;
#[cfg(feature = "ssr")]
pub mod editor;
#[cfg(feature = "ssr")]
pub mod images;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod migrate;
#[cfg(feature = "ssr")]
pub mod pictures;
#[cfg(feature = "ssr")]
pub mod search;
#[cfg(feature = "ssr")]
pub mod seed;
#[cfg(feature = "ssr")]
pub mod seo;
#[cfg(feature = "ssr")]
pub mod stock;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod sync;

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use std::sync::Arc;

    use mongodb::Database;

    use super::search::SearchIndex;
    use crate::kernel::config::Settings;
    use crate::kernel::{Core, Result};

    /// The catalog's own service: this instance's search index (built from MongoDB
    /// at start and kept in sync by a change stream). Built once at start.
    #[derive(Clone)]
    pub struct Catalog {
        pub search: Arc<SearchIndex>,
        /// Lets callers wait until the index has caught up with the database.
        pub sync: Arc<super::sync::SyncHandle>,
        /// Picture files this instance has served, kept in memory.
        pub pictures: Arc<super::images::PictureCache>,
    }

    impl Catalog {
        pub fn new(currency: crate::shared::Currency) -> Result<Catalog> {
            Ok(Catalog {
                search: Arc::new(SearchIndex::new(currency)?),
                sync: Arc::new(super::sync::SyncHandle::default()),
                pictures: Arc::new(super::images::PictureCache::default()),
            })
        }
    }

    /// What catalog server functions work with.
    pub(crate) struct Ctx {
        pub db: Database,
        pub settings: Arc<Settings>,
        pub search: Arc<SearchIndex>,
    }

    /// This instance's in-memory catalog (products as last indexed), for other
    /// features' reads on a hot path (the cart).
    pub fn in_memory() -> crate::kernel::Result<Arc<SearchIndex>> {
        Ok(crate::kernel::web::context::<Catalog>()?.search)
    }

    /// A product by id (any status), as this instance's in-memory catalog has it;
    /// one created a moment ago on another instance may not be there yet, and then
    /// the database answers.
    pub async fn current_product(
        db: &Database,
        id: &mongodb::bson::oid::ObjectId,
    ) -> Result<Option<Arc<super::store::Product>>> {
        match in_memory()?.product_by_id(id) {
            Some(p) => Ok(Some(p)),
            None => Ok(super::store::find_by_id(db, id).await?.map(Arc::new)),
        }
    }

    /// Like [`current_product`], for the product one of whose variants has this id.
    pub async fn current_product_of_variant(
        db: &Database,
        variant_id: &mongodb::bson::oid::ObjectId,
    ) -> Result<Option<Arc<super::store::Product>>> {
        match in_memory()?.product_by_variant(variant_id) {
            Some(p) => Ok(Some(p)),
            None => Ok(super::store::find_by_variant(db, variant_id)
                .await?
                .map(Arc::new)),
        }
    }

    /// The catalog's services for the current request.
    pub(crate) fn ctx() -> Result<Ctx> {
        let core = crate::kernel::web::context::<Core>()?;
        let catalog = crate::kernel::web::context::<Catalog>()?;
        Ok(Ctx {
            db: core.db,
            settings: core.settings,
            search: catalog.search,
        })
    }

    /// Every index the catalog queries by.
    pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
        super::store::ensure_indexes(db).await?;
        super::stock::ensure_indexes(db).await?;
        super::import::ensure_indexes(db).await?;
        super::sync::ensure_indexes(db).await
    }

    /// The catalog's HTTP routes besides its server functions: pictures, CSV,
    /// robots.txt and the sitemap.
    pub fn routes<S>() -> axum::Router<S>
    where
        S: Clone + Send + Sync + 'static,
        Core: axum::extract::FromRef<S>,
        Catalog: axum::extract::FromRef<S>,
        crate::kernel::auth::SharedDirectory: axum::extract::FromRef<S>,
    {
        use super::images;
        let uploads = axum::Router::new()
            .route(
                "/admin/products/{id}/images",
                axum::routing::post(images::upload),
            )
            .layer(axum::extract::DefaultBodyLimit::max(
                images::MAX_UPLOAD_BODY,
            ))
            .layer(tower_http::limit::RequestBodyLimitLayer::new(
                images::MAX_UPLOAD_BODY,
            ));
        let editor = axum::Router::new()
            .route(
                "/admin/products/save",
                axum::routing::post(super::editor::save),
            )
            .layer(axum::extract::DefaultBodyLimit::max(
                super::editor::MAX_BODY,
            ))
            .layer(tower_http::limit::RequestBodyLimitLayer::new(
                super::editor::MAX_BODY,
            ));
        let imports = axum::Router::new()
            .route(
                "/admin/products/import/upload",
                axum::routing::post(super::import::upload),
            )
            .layer(axum::extract::DefaultBodyLimit::max(
                super::import::MAX_UPLOAD_BYTES + 64 * 1024,
            ))
            .layer(tower_http::limit::RequestBodyLimitLayer::new(
                super::import::MAX_UPLOAD_BYTES + 64 * 1024,
            ));
        axum::Router::new()
            .route("/images/{id}", axum::routing::get(images::serve))
            .route("/robots.txt", axum::routing::get(super::seo::robots))
            .route("/search", axum::routing::get(super::seo::search_alias))
            .route("/sitemap.xml", axum::routing::get(super::seo::sitemap))
            .route(
                "/sitemaps/{name}",
                axum::routing::get(super::seo::sitemap_part),
            )
            .route(
                "/admin/products/export.csv",
                axum::routing::get(super::import::download),
            )
            .merge(uploads)
            .merge(editor)
            .merge(imports)
    }
}
