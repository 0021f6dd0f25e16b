//! Text helpers shared by the server and the browser.

/// Percent-encodes a query-string value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Escapes text for an HTML text node or a quoted attribute (mail bodies, the
/// page head; Leptos escapes what it renders itself).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// True when `s` holds a control character a person cannot have meant: none at all
/// in one-line fields; in multi-line fields only line breaks and tabs are allowed.
pub fn has_stray_control(s: &str, multiline: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
}

/// Checks a one-line text field: trimmed, required or not, at most `max` characters,
/// no control characters. `what` completes "Enter ...".
pub fn one_line(value: &str, what: &str, max: usize, required: bool) -> Result<String, String> {
    let t = value.trim();
    if t.is_empty() && required {
        return Err(format!("Enter {what}."));
    }
    if t.chars().count() > max {
        return Err(format!("Use at most {max} characters."));
    }
    if has_stray_control(t, false) {
        return Err("This contains characters we cannot use.".into());
    }
    Ok(t.to_string())
}
