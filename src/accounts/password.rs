//! Password hashing (argon2id, OWASP parameters) and strength checks (zxcvbn).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

use super::types::Password;
use crate::kernel::{Error, Result};

/// OWASP: argon2id, m = 19 MiB, t = 2, p = 1.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on the blocking pool: argon2 takes tens of milliseconds of CPU on purpose.
pub async fn hash(password: &Password) -> Result<String> {
    let pw = password.expose().to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| Error::internal_from("password hashing task failed", e))?
    .map_err(|e| Error::internal(format!("password hashing failed: {e}")))
}

/// Verifies a password against a stored hash. `None` as the hash still spends the
/// same work, so unknown e-mail addresses cannot be told apart by timing.
pub async fn verify(password: &str, stored: Option<String>) -> Result<bool> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || {
        let target = stored.unwrap_or_else(|| DUMMY_HASH.to_string());
        let Ok(parsed) = PasswordHash::new(&target) else {
            tracing::error!("a stored password hash could not be parsed");
            return false;
        };
        let ok = hasher().verify_password(pw.as_bytes(), &parsed).is_ok();
        ok && target != DUMMY_HASH
    })
    .await
    .map_err(|e| Error::internal_from("password verification task failed", e))
}

/// A real argon2id hash of a random string nobody knows, with our parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3b6zO1qZ0zW8b0o1pHjUe8h2i+9JH6f0cG3s0uYkJ8k";

/// Refuses passwords that are easy to guess (common, breached-style, or built from
/// the person's own e-mail or name), with the reason and a hint.
pub fn check_strength(password: &Password, user_inputs: &[&str]) -> Result<(), String> {
    use zxcvbn::Score;
    // zxcvbn is slow on very long inputs and they are strong anyway.
    let pw = password.expose();
    if pw.chars().count() > 64 {
        return Ok(());
    }
    let words: Vec<&str> = user_inputs
        .iter()
        .flat_map(|s| s.split(['@', '.', ' ', '_', '-', '+']))
        .filter(|s| s.len() >= 3)
        .collect();
    let estimate = zxcvbn::zxcvbn(pw, &words);
    if estimate.score() >= Score::Two {
        return Ok(());
    }
    let reason = estimate
        .feedback()
        .and_then(|f| f.warning())
        .map(|w| w.to_string())
        .unwrap_or_else(|| "This password is easy to guess.".to_string());
    let reason = reason.trim_end_matches('.');
    Err(format!(
        "This password is too easy to guess ({reason}). Try a few unrelated words together."
    ))
}
