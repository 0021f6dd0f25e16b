//! Account types that can only be built by parsing, so holding one means it is valid.
//! Shared by the browser and the server: both show the same messages.

use serde::{Deserialize, Serialize};

pub use crate::shared::domain::Email;

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A password that meets the length rules (strength is checked on the server).
/// Never serialised, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

impl Password {
    /// Length rules from OWASP ASVS V6: at least 8 characters, long passphrases
    /// allowed (up to 128), any characters, no composition rules, no truncation.
    pub fn parse(input: &str) -> Result<Password, String> {
        let n = input.chars().count();
        if n == 0 {
            return Err("Enter a password.".into());
        }
        if n < PASSWORD_MIN_CHARS {
            return Err(format!(
                "Use at least {PASSWORD_MIN_CHARS} characters (a few words together make a good password)."
            ));
        }
        if n > PASSWORD_MAX_CHARS {
            return Err(format!("Use at most {PASSWORD_MAX_CHARS} characters."));
        }
        Ok(Password(input.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The name shown in the header and on orders. Built only by [`DisplayName::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<DisplayName, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("Enter your name.".into());
        }
        if s.chars().count() > 60 {
            return Err("Use at most 60 characters.".into());
        }
        if s.chars().any(|c| c.is_control()) {
            return Err("The name contains characters we cannot use.".into());
        }
        Ok(DisplayName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub use crate::shared::Role;

/// What the browser may know about the signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl UserView {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// What the header needs: who is signed in and how many items are in the cart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub user: Option<UserView>,
    pub cart_items: u32,
}

/// Where to send someone after signing in: `next` if it is a path on this shop,
/// `default` when there is none, and `/` for anything else.
///
/// A "return to" target is accepted only as a plain same-origin path: it starts
/// with one `/`, has no control character, whitespace or backslash anywhere
/// (browsers drop tabs and newlines and read `\` as `/`, so `/\t/evil.example`
/// would become `//evil.example`), only URL-safe ASCII, and nothing a browser could
/// read as another host (`//`, `/\`, a scheme). Server-function paths are refused too.
pub fn safe_next(next: Option<&str>, default: &str) -> String {
    match next {
        None | Some("") => default.to_string(),
        Some(n) if is_safe_local_path(n) => n.to_string(),
        Some(_) => "/".to_string(),
    }
}

/// True for a path (with optional query and fragment) that can only mean this shop.
pub fn is_safe_local_path(path: &str) -> bool {
    let b = path.as_bytes();
    if b.len() > 512 || b.first() != Some(&b'/') {
        return false;
    }
    if b.get(1).is_some_and(|c| *c == b'/' || *c == b'\\') {
        return false;
    }
    // Visible ASCII only, minus characters that are never literal in a URL.
    let allowed = |c: u8| {
        c.is_ascii_graphic()
            && !matches!(
                c,
                b'\\' | b'"' | b'<' | b'>' | b'`' | b'{' | b'}' | b'|' | b'^'
            )
    };
    if !b.iter().all(|c| allowed(*c)) {
        return false;
    }
    // Percent-encoded control characters, whitespace or slashes right after the
    // first `/` are refused too: some clients decode before resolving.
    let decoded = percent_decode_lossy(path);
    if decoded
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return false;
    }
    if decoded.starts_with("//") {
        return false;
    }
    !path.starts_with("/api/")
}

fn percent_decode_lossy(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
