//! The server-side error: keeps its cause (the driver's or the payment provider's
//! error) and what the shop was doing, until it leaves a server function or a
//! handler. There it becomes the wire [`AppError`] and is logged exactly once:
//! unreachable services as a warning and "503", anything unexpected as an error
//! with its full cause chain and a generic "500" for the person.
//! Errors meant for the person (validation, not found, conflicts) travel inside
//! as [`Error::App`] and pass through unchanged and unlogged.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};

use crate::shared::AppError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An answer for the person, passed through as it is.
    #[error(transparent)]
    App(#[from] AppError),
    /// The database failed while the shop was doing `context`.
    #[error("database error while {context}")]
    Database {
        context: &'static str,
        #[source]
        source: mongodb::error::Error,
    },
    /// The payment provider failed; `unreachable` when it could not be reached at all.
    #[error("payment provider error while {context}")]
    Payment {
        context: &'static str,
        unreachable: bool,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Something that must not happen (a broken invariant, a failed task).
    #[error("{context}")]
    Internal {
        context: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<mongodb::error::Error> for Error {
    fn from(source: mongodb::error::Error) -> Self {
        Error::Database {
            context: "talking to the database",
            source,
        }
    }
}

impl From<tower_sessions::session::Error> for Error {
    fn from(source: tower_sessions::session::Error) -> Self {
        use tower_sessions::session::Error as S;
        use tower_sessions::session_store::Error as Store;
        match &source {
            // The store is MongoDB: its backend failing means the database is
            // unreachable (the detail was logged by the store).
            S::Store(Store::Backend(reason)) => {
                tracing::warn!(reason = %reason, "session store unavailable");
                Error::App(AppError::Unavailable)
            }
            _ => Error::Internal {
                context: "reading or writing the session".into(),
                source: Some(Box::new(source)),
            },
        }
    }
}

impl Error {
    /// A broken invariant, described for the log.
    pub fn internal(context: impl Into<String>) -> Self {
        Error::Internal {
            context: context.into(),
            source: None,
        }
    }

    /// A broken invariant with the error that revealed it.
    pub fn internal_from(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::Internal {
            context: context.into(),
            source: Some(Box::new(source)),
        }
    }

    /// True when the database (or the payment provider) could not be reached.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::App(AppError::Unavailable) => true,
            Error::Database { source, .. } => crate::kernel::db::is_unavailable(source),
            Error::Payment { unreachable, .. } => *unreachable,
            _ => false,
        }
    }
}

/// The whole cause chain in one line, without secrets (driver errors never carry
/// passwords; connection strings are not part of them).
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        out.push_str(": ");
        out.push_str(&e.to_string());
        cur = e.source();
    }
    out
}

impl From<Error> for AppError {
    fn from(err: Error) -> AppError {
        if let Error::App(app) = err {
            return app;
        }
        if err.is_unavailable() {
            let reason = match &err {
                Error::Database { source, .. } => crate::kernel::db::short_reason(source),
                other => chain(other),
            };
            tracing::warn!(reason = %reason, "{err}; answering 503");
            AppError::Unavailable
        } else {
            tracing::error!(error = %chain(&err), "request failed");
            AppError::Internal
        }
    }
}

/// Adds what the shop was doing to a database error.
pub trait DbContext<T> {
    fn context(self, context: &'static str) -> Result<T>;
}

impl<T> DbContext<T> for std::result::Result<T, mongodb::error::Error> {
    fn context(self, context: &'static str) -> Result<T> {
        self.map_err(|source| Error::Database { context, source })
    }
}

/// The HTTP status an [`AppError`] is answered with.
pub fn http_status(err: &AppError) -> StatusCode {
    StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A JSON body for API callers (uploads, webhooks): the message a person can read,
/// plus the field messages of a validation error; `Retry-After` when limited or
/// unavailable.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = http_status(&self);
        let fields: Vec<serde_json::Value> = self
            .form_errors()
            .map(|f| {
                f.fields
                    .iter()
                    .map(|e| serde_json::json!({ "field": e.field, "message": e.message }))
                    .collect()
            })
            .unwrap_or_default();
        let body = serde_json::json!({ "error": self.to_string(), "fields": fields });
        let mut res = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after(&self) {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(http::header::RETRY_AFTER, v);
            }
        }
        res
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        AppError::from(self).into_response()
    }
}

/// Seconds a client should wait before trying again, for errors that have one.
pub fn retry_after(err: &AppError) -> Option<u64> {
    match err {
        AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
        AppError::Unavailable => Some(UNAVAILABLE_RETRY_SECS),
        _ => None,
    }
}

/// What a 503 tells clients to wait.
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;
