//! Everything pages write into the document head goes through here.
//!
//! `leptos_meta` 0.8.7 (the newest release) copies `<title>` text into the server's
//! HTML without escaping it, so a search term or a product name containing
//! `</title><meta http-equiv="refresh" ...>` would become live markup in the head.
//! Every title therefore passes through the one formatter installed by
//! [`ShopTitle`], which escapes the whole title on the server. In the browser the
//! text is assigned to `document.title`, which is plain text, so it stays as typed.
//! Attribute values (`<Meta content>`, `<Link href>`) are escaped by Leptos itself.
//! Pages use [`PageTitle`] and never `leptos_meta::Title` directly (the
//! architecture test checks that).

use leptos::prelude::*;
use leptos::text_prop::TextProp;
use leptos_meta::Title;

pub use crate::shared::text::escape_html;

/// The full title of a page: "Page · Shop", or the shop name alone. Escaped when
/// rendered on the server (see the module comment).
pub fn full_title(page: &str, shop: &str) -> String {
    let title = if page.is_empty() {
        shop.to_string()
    } else {
        format!("{page} · {shop}")
    };
    if cfg!(feature = "ssr") {
        escape_html(&title)
    } else {
        title
    }
}

/// Installs the title formatter every page title goes through. Rendered once, by the app shell.
#[component]
pub fn ShopTitle(#[prop(into)] shop: String) -> impl IntoView {
    view! { <Title formatter=move |page: String| full_title(&page, &shop) /> }
}

/// The title of the current page (the shop name is added by [`ShopTitle`]).
#[component]
pub fn PageTitle(#[prop(into)] text: TextProp) -> impl IntoView {
    view! { <Title text=text /> }
}

/// JSON for a `<script type="application/ld+json">` block: `<`, `>` and `&` are
/// written as `\u003c` etc., so no text inside can close the script element.
pub fn json_for_script(value: &serde_json::Value) -> String {
    let raw = value.to_string();
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}
