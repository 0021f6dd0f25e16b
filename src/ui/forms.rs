//! Form fields with a label, a hint and a field-level error message.

use leptos::prelude::*;

use crate::shared::AppError;

/// A labelled input. `error` is the message for this field (if any); `value` is what
/// to show in the field (e.g. the value the person entered before an error).
#[component]
pub fn TextField(
    /// The form field name (also used for the element id).
    #[prop(into)]
    name: String,
    #[prop(into)] label: String,
    #[prop(into, default = "text".into())] kind: String,
    #[prop(into, optional)] value: Signal<String>,
    #[prop(into, optional)] error: Signal<Option<String>>,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(into, optional)] autocomplete: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(into, optional)] maxlength: Option<u32>,
    #[prop(into, optional)] id_prefix: Option<String>,
    #[prop(into, optional)] inputmode: Option<String>,
) -> impl IntoView {
    let hint = hint.filter(|h| !h.is_empty());
    let id = format!("{}{}", id_prefix.unwrap_or_default(), name);
    let hint_id = format!("{id}-hint");
    let err_id = format!("{id}-error");
    let described = {
        let hint_id = hint_id.clone();
        let err_id = err_id.clone();
        let has_hint = hint.is_some();
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.with(|e| e.is_some()) {
                ids.push(err_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:has-error=move || error.with(|e| e.is_some())>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id.clone()
                name=name
                type=kind
                prop:value=move || value.get()
                value=move || value.get()
                autocomplete=autocomplete
                required=required
                maxlength=maxlength
                inputmode=inputmode
                aria-invalid=move || error.with(|e| e.is_some()).then_some("true")
                aria-describedby=described
            />
            {move || error.get().map(|e| view! { <p class="field-error" id=err_id.clone()>{e}</p> })}
        </div>
    }
}

/// The error of the last submission of a form, as a banner; for invalid fields it
/// also lists each problem (the fields show them too).
#[component]
pub fn FormAlert(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let details: Vec<String> = e
                .form_errors()
                .map(|f| f.fields.iter().map(|m| m.message.clone()).collect())
                .unwrap_or_default();
            view! {
                <div class="alert alert-error" role="alert">
                    <p>{e.to_string()}</p>
                    {(!details.is_empty()).then(|| view! {
                        <ul>{details.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
                    })}
                </div>
            }
        })
    }
}

/// The query parameter that marks a page reached by a form posted without
/// JavaScript that succeeded: its value is the server function's path (set by
/// `server::middleware::mark_done` on the redirect back).
pub const DONE_PARAM: &str = "__done";

/// A form's success message, with or without JavaScript: `text` of the result
/// while the app runs, `without_js` when the page was reached by this form posted
/// without JavaScript (or before the app started). Nothing while the last try
/// failed: its error shows instead.
pub fn success_message<S>(
    action: ServerAction<S>,
    text: impl Fn(&S::Output) -> String + Send + Sync + 'static,
    without_js: &'static str,
) -> Signal<Option<String>>
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let query = leptos_router::hooks::use_query_map();
    Signal::derive(move || {
        action.value().with(|v| match v {
            Some(Ok(out)) => Some(text(out)),
            Some(Err(_)) => None,
            None => query
                .with(|q| q.get(DONE_PARAM).as_deref() == Some(S::PATH))
                .then(|| without_js.to_string()),
        })
    })
}

/// A success message.
#[component]
pub fn FormSuccess(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message.get().map(|m| {
            view! {
                <div class="alert alert-success" role="status">
                    <p>{m}</p>
                </div>
            }
        })
    }
}
