//! Typed settings, layered: built-in defaults, then an optional TOML file, then
//! environment variables. Everything is validated at start; an error names the
//! setting and where its value came from. Secrets never print.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use url::Url;

use crate::shared::Currency;

/// A secret value: shows as `[redacted]` in logs and debug output.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP (local sinks such as maildev only).
    None,
    /// STARTTLS upgrade (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Secret,
    pub tls: SmtpTls,
    /// The From: mailbox, e.g. `oxcart <shop@example.com>`.
    pub from: String,
}

#[derive(Debug, Clone)]
pub struct StripeSettings {
    pub secret_key: Secret,
    pub webhook_secret: Secret,
    /// Base URL of the Stripe API; `None` means the real `https://api.stripe.com`.
    pub api_base: Option<Url>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub mongodb_uri: Secret,
    pub database: String,
    pub site_addr: SocketAddr,
    /// The URL shoppers use to reach the shop (links in e-mails, payment return URLs,
    /// and the origin that state-changing requests must come from).
    pub public_url: Url,
    pub site_root: PathBuf,
    pub log_format: LogFormat,
    pub shop_name: String,
    /// ISO 4217 code, lower case, e.g. `usd`.
    pub currency: Currency,
    pub session_idle_minutes: i64,
    /// A sign-in lasts at most this long, however active the session is.
    pub session_max_days: i64,
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// How long an unpaid order keeps its stock reserved.
    pub reservation_minutes: i64,
    /// Whether this instance sends the queued e-mail (any number of instances may).
    pub mail_worker: bool,
    pub smtp: SmtpSettings,
    pub stripe: StripeSettings,
}

/// Where a setting's value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Env(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("built-in default"),
            Origin::File(p) => write!(f, "config file {}", p.display()),
            Origin::Env(v) => write!(f, "environment variable {v}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub setting: String,
    pub origin: Origin,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid setting `{}` (from {}): {}",
            self.setting, self.origin, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// (setting key, environment variables that set it, first wins, default, secret?)
const SETTINGS: &[(&str, &[&str], &str, bool)] = &[
    (
        "mongodb_uri",
        &["MONGODB_URI"],
        "mongodb://127.0.0.1:27017",
        true,
    ),
    ("database", &["OXCART_DATABASE"], "oxcart", false),
    (
        "site_addr",
        &["OXCART_SITE_ADDR", "LEPTOS_SITE_ADDR"],
        "127.0.0.1:3000",
        false,
    ),
    ("public_url", &["OXCART_PUBLIC_URL"], "", false),
    (
        "site_root",
        &["OXCART_SITE_ROOT", "LEPTOS_SITE_ROOT"],
        "target/site",
        false,
    ),
    ("log_format", &["OXCART_LOG_FORMAT"], "text", false),
    ("shop_name", &["OXCART_SHOP_NAME"], "oxcart", false),
    ("currency", &["OXCART_CURRENCY"], "usd", false),
    (
        "session_idle_minutes",
        &["OXCART_SESSION_IDLE_MINUTES"],
        "20160",
        false,
    ),
    (
        "session_max_days",
        &["OXCART_SESSION_MAX_DAYS"],
        "30",
        false,
    ),
    ("secure_cookies", &["OXCART_SECURE_COOKIES"], "", false),
    ("trust_proxy", &["OXCART_TRUST_PROXY"], "false", false),
    (
        "reservation_minutes",
        &["OXCART_RESERVATION_MINUTES"],
        "30",
        false,
    ),
    ("mail_worker", &["OXCART_MAIL_WORKER"], "true", false),
    ("smtp_host", &["OXCART_SMTP_HOST"], "127.0.0.1", false),
    ("smtp_port", &["OXCART_SMTP_PORT"], "1025", false),
    ("smtp_username", &["OXCART_SMTP_USERNAME"], "", false),
    ("smtp_password", &["OXCART_SMTP_PASSWORD"], "", true),
    ("smtp_tls", &["OXCART_SMTP_TLS"], "none", false),
    (
        "mail_from",
        &["OXCART_MAIL_FROM"],
        "oxcart <shop@oxcart.localhost>",
        false,
    ),
    ("stripe_secret_key", &["STRIPE_SECRET_KEY"], "", true),
    (
        "stripe_webhook_secret",
        &["STRIPE_WEBHOOK_SECRET"],
        "",
        true,
    ),
    ("stripe_api_base", &["OXCART_STRIPE_API_BASE"], "", false),
];

struct Raw {
    values: HashMap<&'static str, (String, Origin)>,
}

impl Raw {
    fn get(&self, key: &str) -> (&str, &Origin) {
        let (v, o) = self
            .values
            .get(key)
            .expect("every setting has a default in SETTINGS");
        (v.as_str(), o)
    }

    fn parse<T>(
        &self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let (value, origin) = self.get(key);
        parse(value.trim()).map_err(|message| ConfigError {
            setting: key.to_string(),
            origin: origin.clone(),
            message,
        })
    }
}

impl Settings {
    /// Loads from the process environment and the file named by `OXCART_CONFIG`
    /// (or `oxcart.toml` in the working directory, when present).
    pub fn load() -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let file = match env.get("OXCART_CONFIG") {
            Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
            _ => {
                let default = PathBuf::from("oxcart.toml");
                default.exists().then_some(default)
            }
        };
        Self::from_sources(file.as_deref(), &env)
    }

    /// Builds settings from an optional file and an environment map (testable).
    pub fn from_sources(
        file: Option<&Path>,
        env: &HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let mut values: HashMap<&'static str, (String, Origin)> = SETTINGS
            .iter()
            .map(|(k, _, d, _)| (*k, (d.to_string(), Origin::Default)))
            .collect();

        if let Some(path) = file {
            for (key, value) in read_file(path)? {
                let Some((k, ..)) = SETTINGS.iter().find(|(k, ..)| *k == key) else {
                    return Err(ConfigError {
                        setting: key.clone(),
                        origin: Origin::File(path.to_path_buf()),
                        message: format!(
                            "unknown setting; known settings are: {}",
                            SETTINGS.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
                        ),
                    });
                };
                values.insert(k, (value, Origin::File(path.to_path_buf())));
            }
        }

        for (key, vars, _, _) in SETTINGS {
            if let Some((var, value)) = vars
                .iter()
                .find_map(|v| env.get(*v).map(|value| (*v, value)))
            {
                values.insert(key, (value.clone(), Origin::Env(var.to_string())));
            }
        }

        let raw = Raw { values };

        let mongodb_uri = raw.parse("mongodb_uri", parse_mongodb_uri)?;
        let database = raw.parse("database", |v| {
            let bad = v.is_empty()
                || v.len() > 63
                || v.chars().any(|c| "/\\. \"$*<>:|?".contains(c) || c.is_control());
            if bad {
                Err("expected a MongoDB database name: 1-63 characters, no spaces or any of /\\.\"$*<>:|?".into())
            } else {
                Ok(v.to_string())
            }
        })?;
        let site_addr: SocketAddr = raw.parse("site_addr", |v| {
            v.parse()
                .map_err(|_| format!("expected an address like 127.0.0.1:3000, got {v:?}"))
        })?;
        let public_url = raw.parse("public_url", |v| {
            let text = if v.is_empty() {
                let host = if site_addr.ip().is_unspecified() {
                    "localhost".to_string()
                } else {
                    site_addr.ip().to_string()
                };
                format!("http://{host}:{}", site_addr.port())
            } else {
                v.to_string()
            };
            let url = Url::parse(&text)
                .map_err(|e| format!("expected a URL like https://shop.example.com ({e})"))?;
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err("expected an http:// or https:// URL with a host".into());
            }
            Ok(url)
        })?;
        let site_root = raw.parse("site_root", |v| {
            if v.is_empty() {
                Err("must not be empty".into())
            } else {
                Ok(PathBuf::from(v))
            }
        })?;
        let log_format = raw.parse("log_format", |v| match v {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("expected `text` or `json`, got {v:?}")),
        })?;
        let shop_name = raw.parse("shop_name", |v| {
            if v.is_empty() || v.chars().count() > 60 {
                Err("expected 1 to 60 characters".into())
            } else {
                Ok(v.to_string())
            }
        })?;
        let currency = raw.parse("currency", |v| {
            Currency::parse(v).ok_or_else(|| {
                let codes: Vec<&str> = Currency::ALL.iter().map(|c| c.code()).collect();
                format!(
                    "expected a supported ISO 4217 currency code ({}), got {v:?}",
                    codes.join(", ")
                )
            })
        })?;
        let session_idle_minutes =
            raw.parse("session_idle_minutes", |v| parse_range(v, 5, 60 * 24 * 365))?;
        let session_max_days = raw.parse("session_max_days", |v| parse_range(v, 1, 365))?;
        let secure_cookies = raw.parse("secure_cookies", |v| {
            if v.is_empty() {
                Ok(public_url.scheme() == "https")
            } else {
                parse_bool(v)
            }
        })?;
        let trust_proxy = raw.parse("trust_proxy", parse_bool)?;
        let reservation_minutes =
            raw.parse("reservation_minutes", |v| parse_range(v, 1, 60 * 24 * 7))?;
        let mail_worker = raw.parse("mail_worker", parse_bool)?;

        let smtp = SmtpSettings {
            host: raw.parse("smtp_host", |v| {
                if v.is_empty() || v.contains(char::is_whitespace) {
                    Err("expected a host name".into())
                } else {
                    Ok(v.to_string())
                }
            })?,
            port: raw.parse("smtp_port", |v| {
                v.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("expected a port number 1-65535, got {v:?}"))
            })?,
            username: raw.parse("smtp_username", |v| {
                Ok((!v.is_empty()).then(|| v.to_string()))
            })?,
            password: raw.parse("smtp_password", |v| Ok(Secret::new(v)))?,
            tls: raw.parse("smtp_tls", |v| match v {
                "none" => Ok(SmtpTls::None),
                "starttls" => Ok(SmtpTls::StartTls),
                "tls" => Ok(SmtpTls::Tls),
                _ => Err(format!("expected `none`, `starttls` or `tls`, got {v:?}")),
            })?,
            from: raw.parse("mail_from", |v| {
                v.parse::<lettre::message::Mailbox>()
                    .map(|_| v.to_string())
                    .map_err(|e| format!("expected a mailbox like `Shop <shop@example.com>` ({e})"))
            })?,
        };

        let stripe = StripeSettings {
            secret_key: raw.parse("stripe_secret_key", |v| {
                if v.is_empty() || v.starts_with("sk_") || v.starts_with("rk_") {
                    Ok(Secret::new(v))
                } else {
                    Err("expected a Stripe secret key starting with sk_ or rk_".into())
                }
            })?,
            webhook_secret: raw.parse("stripe_webhook_secret", |v| {
                if v.is_empty() || v.starts_with("whsec_") {
                    Ok(Secret::new(v))
                } else {
                    Err("expected a Stripe webhook signing secret starting with whsec_".into())
                }
            })?,
            api_base: raw.parse("stripe_api_base", |v| {
                if v.is_empty() {
                    return Ok(None);
                }
                let url = Url::parse(v).map_err(|e| format!("expected a URL ({e})"))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err("expected an http:// or https:// URL".into());
                }
                Ok(Some(url))
            })?,
        };

        Ok(Settings {
            mongodb_uri,
            database,
            site_addr,
            public_url,
            site_root,
            log_format,
            shop_name,
            currency,
            session_idle_minutes,
            session_max_days,
            secure_cookies,
            trust_proxy,
            reservation_minutes,
            mail_worker,
            smtp,
            stripe,
        })
    }

    /// The public URL without a trailing slash, for building links.
    pub fn base_url(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_string()
    }

    /// The origin (scheme://host[:port]) state-changing requests must come from.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    /// A one-line summary for the start-up log, with secrets removed.
    pub fn summary(&self) -> String {
        format!(
            "database {} on {}, listening on {}, public URL {}, payments via {}, mail via {}:{}",
            self.database,
            redact_uri(self.mongodb_uri.expose()),
            self.site_addr,
            self.public_url,
            self.stripe
                .api_base
                .as_ref()
                .map(|u| u.to_string())
                .unwrap_or_else(|| "api.stripe.com".into()),
            self.smtp.host,
            self.smtp.port,
        )
    }
}

fn read_file(path: &Path) -> Result<Vec<(String, String)>, ConfigError> {
    let err = |message: String| ConfigError {
        setting: "config file".into(),
        origin: Origin::File(path.to_path_buf()),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read it: {e}")))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| err(format!("not valid TOML: {}", e.message())))?;
    table
        .into_iter()
        .map(|(k, v)| {
            let value = match v {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(ConfigError {
                        setting: k.clone(),
                        origin: Origin::File(path.to_path_buf()),
                        message: format!(
                            "expected a string, number or boolean, got a {}",
                            other.type_str()
                        ),
                    })
                }
            };
            Ok((k, value))
        })
        .collect()
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("expected true or false, got {v:?}")),
    }
}

fn parse_range(v: &str, min: i64, max: i64) -> Result<i64, String> {
    v.parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("expected a whole number from {min} to {max}, got {v:?}"))
}

fn parse_mongodb_uri(v: &str) -> Result<Secret, String> {
    mongodb::options::ConnectionString::parse(v).map_err(|e| {
        // The driver's message can quote the URI; say what is wrong without echoing secrets.
        let kind = e.to_string();
        let kind = kind.replace(v, &redact_uri(v));
        format!(
            "expected a MongoDB connection string like mongodb://host:27017 or mongodb+srv://cluster.example.net ({kind})"
        )
    })?;
    Ok(Secret::new(v))
}

/// `mongodb://user:secret@host/db` → `mongodb://user:****@host/db`.
pub fn redact_uri(uri: &str) -> String {
    let Some(scheme_end) = uri.find("://") else {
        return uri.to_string();
    };
    let rest = &uri[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            let redacted = if userinfo.contains(':') {
                format!("{user}:****")
            } else {
                user.to_string()
            };
            format!(
                "{}://{}@{}{}",
                &uri[..scheme_end],
                redacted,
                &authority[at + 1..],
                &rest[authority_end..]
            )
        }
        None => uri.to_string(),
    }
}
