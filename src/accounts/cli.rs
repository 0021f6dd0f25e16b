//! `oxcart create-admin`: creates an admin account or promotes an existing one.
//! The password comes from OXCART_ADMIN_PASSWORD or a prompt, never an argument;
//! a new admin's name from --name, OXCART_ADMIN_NAME or a prompt.

use super::password;
use super::store;
use super::types::{DisplayName, Email, Password, Role};
use crate::kernel::Error;

/// Where the new admin's password comes from.
pub enum PasswordSource {
    Env(String),
    Prompt,
}

pub fn read_password(source: PasswordSource) -> Result<String, String> {
    match source {
        PasswordSource::Env(p) => Ok(p),
        PasswordSource::Prompt => {
            let first = rpassword::prompt_password("Password for the admin account: ")
                .map_err(|e| format!("cannot read the password: {e}"))?;
            let second = rpassword::prompt_password("Type it again: ")
                .map_err(|e| format!("cannot read the password: {e}"))?;
            if first != second {
                return Err("the two passwords differ".into());
            }
            Ok(first)
        }
    }
}

/// The new admin's name: `--name`, else OXCART_ADMIN_NAME, else asked for at a
/// prompt; without a terminal to ask at, an error that says how to give it.
pub fn read_name(given: Option<&str>) -> Result<String, String> {
    if let Some(n) = given.map(str::trim).filter(|n| !n.is_empty()) {
        return Ok(n.to_string());
    }
    if let Ok(n) = std::env::var("OXCART_ADMIN_NAME") {
        if !n.trim().is_empty() {
            return Ok(n.trim().to_string());
        }
    }
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Err(
            "the new admin needs a name: pass --name \"Ada Lovelace\" (or set OXCART_ADMIN_NAME)"
                .into(),
        );
    }
    print!("Name shown for the admin account (e.g. Ada Lovelace): ");
    std::io::stdout()
        .flush()
        .map_err(|e| format!("cannot ask for the name: {e}"))?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the name: {e}"))?;
    let line = line.trim();
    if line.is_empty() {
        return Err("the new admin needs a name".into());
    }
    Ok(line.to_string())
}

/// What happened.
pub enum AdminOutcome {
    Created,
    Promoted,
    AlreadyAdmin,
}

pub async fn create_or_promote(
    db: &mongodb::Database,
    email: &str,
    name_source: impl FnOnce() -> Result<String, String>,
    password_source: impl FnOnce() -> Result<String, String>,
) -> Result<AdminOutcome, String> {
    let email = Email::parse(email).map_err(|e| format!("--email: {e}"))?;
    let existing = store::find_by_email(db, &email).await.map_err(describe)?;
    if let Some(user) = existing {
        if user.role == Role::Admin {
            return Ok(AdminOutcome::AlreadyAdmin);
        }
        store::set_role(db, &user.id, Role::Admin)
            .await
            .map_err(describe)?;
        return Ok(AdminOutcome::Promoted);
    }
    let name = DisplayName::parse(&name_source()?).map_err(|e| format!("--name: {e}"))?;
    let raw = password_source()?;
    let pw = Password::parse(&raw).map_err(|e| format!("password: {e}"))?;
    password::check_strength(&pw, &[email.as_str(), name.as_str()])
        .map_err(|e| format!("password: {e}"))?;
    let hash = password::hash(&pw).await.map_err(describe)?;
    store::create_user(db, &email, name.as_str(), hash, Role::Admin)
        .await
        .map_err(describe)?;
    Ok(AdminOutcome::Created)
}

fn describe(e: Error) -> String {
    match e {
        Error::App(app) => app.to_string(),
        other => other.to_string(),
    }
}
