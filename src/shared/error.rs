//! The error a person (or an API caller) sees, shared by the server and the browser.
//! Server code works with `kernel::Error`, which keeps the cause and becomes an
//! `AppError` (logged once) where it leaves a server function or handler.
//!
//! Every variant maps to one HTTP status. What the person sees is the `Display`
//! text; internal detail is logged on the server and never leaves it.

use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{Deserialize, Serialize};

/// A message attached to one form field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Field errors of a form, plus the values the person entered (never passwords),
/// so a form re-rendered without JavaScript can show them again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormErrors {
    pub fields: Vec<FieldError>,
    pub values: Vec<(String, String)>,
}

impl FormErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a message for `field` (the first message per field wins).
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.fields.push(FieldError {
                field: field.to_string(),
                message: message.into(),
            });
        }
    }

    /// Keeps a submitted value to show again in the form.
    pub fn keep(mut self, field: &str, value: &str) -> Self {
        self.values.push((field.to_string(), value.to_string()));
        self
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.message.as_str())
    }

    pub fn value(&self, field: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// `Ok(())` when nothing was added, else the whole set as an [`AppError`].
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self))
        }
    }

    /// Records the outcome of parsing one field; returns the parsed value if it was valid.
    /// A line of text from a form, trimmed: required ("Enter {what}."), at most `max`
    /// characters, no control characters. Returns it trimmed either way.
    pub fn text(
        &mut self,
        field: &str,
        value: &str,
        what: &str,
        max: usize,
        required: bool,
    ) -> String {
        let t = value.trim();
        if t.is_empty() && required {
            self.add(field, format!("Enter {what}."));
        } else if t.chars().count() > max {
            self.add(field, format!("Use at most {max} characters."));
        } else if t.chars().any(char::is_control) {
            self.add(field, "This contains characters we cannot use.");
        }
        t.to_string()
    }

    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        parsed: Result<T, E>,
    ) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The request could not be understood (malformed body, wrong types, unknown operation).
    #[error("{0}")]
    BadRequest(String),
    /// One or more form fields are invalid.
    #[error("Please correct the highlighted fields.")]
    Invalid(FormErrors),
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// Wrong e-mail or password: one message for both, so accounts cannot be probed.
    /// Carries the e-mail as typed, to show it again in the form.
    #[error("The e-mail address or password is incorrect.")]
    InvalidCredentials { email: String },
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("We could not find that.")]
    NotFound,
    /// The request conflicts with the current state (e.g. sold out, already paid).
    #[error("{0}")]
    Conflict(String),
    #[error("Too many attempts. Please try again in {}.", human_wait(*retry_after_secs))]
    RateLimited { retry_after_secs: u64 },
    #[error("That is too large: {0}.")]
    PayloadTooLarge(String),
    /// The database (or another service the shop needs) is not reachable.
    #[error("The shop is temporarily unavailable. Please try again in a moment.")]
    Unavailable,
    /// Anything unexpected; the detail is in the server log, never here.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The browser could not reach the shop at all.
    #[error("Could not reach the shop. Please check your connection and try again.")]
    Network,
}

/// "5 minutes", "1 minute", "30 seconds".
pub fn human_wait(secs: u64) -> String {
    if secs >= 90 {
        let mins = secs.div_ceil(60);
        format!("{mins} minutes")
    } else if secs >= 60 {
        "1 minute".to_string()
    } else {
        let s = secs.max(1);
        format!("{s} second{}", if s == 1 { "" } else { "s" })
    }
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Invalid(_) => 422,
            AppError::Unauthorized => 401,
            AppError::InvalidCredentials { .. } => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::RateLimited { .. } => 429,
            AppError::PayloadTooLarge(_) => 413,
            AppError::Unavailable => 503,
            AppError::Internal => 500,
            AppError::Network => 502,
        }
    }

    /// A single invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FormErrors::new();
        errors.add(field, message);
        AppError::Invalid(errors)
    }

    /// The field errors, if this is a validation error.
    pub fn form_errors(&self) -> Option<&FormErrors> {
        match self {
            AppError::Invalid(e) => Some(e),
            _ => None,
        }
    }

    /// Message for one field, if any.
    pub fn field_message(&self, field: &str) -> Option<String> {
        self.form_errors()
            .and_then(|e| e.get(field))
            .map(str::to_string)
    }

    /// A value the person entered, kept for re-rendering the form.
    pub fn kept_value(&self, field: &str) -> Option<String> {
        if let (AppError::InvalidCredentials { email }, "email") = (self, field) {
            return Some(email.clone());
        }
        self.form_errors()
            .and_then(|e| e.value(field))
            .map(str::to_string)
    }

    /// Attaches submitted values to a validation error (no effect on other errors).
    pub fn keeping(self, values: &[(&str, &str)]) -> Self {
        match self {
            AppError::Invalid(mut e) => {
                for (k, v) in values {
                    e.values.push((k.to_string(), v.to_string()));
                }
                AppError::Invalid(e)
            }
            other => other,
        }
    }
}

/// How errors travel from server functions: JSON with a sentence for people and
/// API callers (`message`) and the typed error for the app (`error`), e.g.
/// `{"message":"Too many attempts. Please try again in 15 minutes.","error":{"RateLimited":{"retry_after_secs":900}}}`.
pub struct ErrorJson;

impl ContentType for ErrorJson {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for ErrorJson {
    const FORMAT_TYPE: Format = Format::Text;
}

#[derive(Serialize)]
struct WireOut<'a> {
    message: String,
    error: &'a AppError,
}

#[derive(Deserialize)]
struct WireIn {
    error: AppError,
}

impl Encodes<AppError> for ErrorJson {
    type Error = serde_json::Error;

    fn encode(output: &AppError) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(&WireOut {
            message: output.to_string(),
            error: output,
        })
        .map(Bytes::from)
    }
}

impl Decodes<AppError> for ErrorJson {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<AppError, Self::Error> {
        serde_json::from_slice::<WireIn>(&bytes).map(|w| w.error)
    }
}

/// Reads an error body written by [`ErrorJson`].
pub fn decode_error_body(bytes: &[u8]) -> Option<AppError> {
    serde_json::from_slice::<WireIn>(bytes)
        .ok()
        .map(|w| w.error)
}

impl FromServerFnError for AppError {
    type Encoder = ErrorJson;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The arguments could not be read: a client error, never a server crash.
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::MissingArg(detail) => {
                AppError::BadRequest(unreadable_arguments(&detail))
            }
            ServerFnErrorErr::UnsupportedRequestMethod(_) => AppError::BadRequest(
                "The request could not be read. Please check the form and try again.".into(),
            ),
            ServerFnErrorErr::Serialization(_) => AppError::BadRequest(
                "Some of the entered values could not be read. Please check the form.".into(),
            ),
            ServerFnErrorErr::Request(_) => AppError::Network,
            ServerFnErrorErr::Registration(_) => AppError::NotFound,
            // On the server this means the request body could not be read (the
            // client's fault); in the browser, that the answer could not be read.
            ServerFnErrorErr::Deserialization(_) if cfg!(feature = "ssr") => AppError::BadRequest(
                "The request could not be read. Please check the form and try again.".into(),
            ),
            ServerFnErrorErr::ServerError(_)
            | ServerFnErrorErr::MiddlewareError(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::Response(_) => AppError::Internal,
        }
    }
}

/// The message for arguments that could not be read. Names a missing field (useful
/// to API callers); never repeats the values that were sent.
fn unreadable_arguments(detail: &str) -> String {
    let missing = detail
        .split_once("missing field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name)
        .filter(|name| {
            !name.is_empty()
                && name.len() <= 40
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    match missing {
        Some(name) => format!("The request is missing the field `{name}`."),
        None => "The request could not be read. Please check the form and try again.".into(),
    }
}
