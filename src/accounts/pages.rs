//! Account pages. Every form posts to a server function, so each works without
//! JavaScript (errors then come back in the URL) and better with it.

use leptos::prelude::*;
use leptos_meta::Meta;

use crate::ui::head::PageTitle;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_query_map};

use super::api::{
    me, other_sessions, ChangePassword, Login, Register, RequestPasswordReset, ResetPassword,
    SignOutElsewhere, UpdateProfile,
};
use super::types::PASSWORD_MIN_CHARS;
use crate::shared::AppError;
use crate::ui::forms::{success_message, FormAlert, FormSuccess, TextField};
use crate::ui::{use_header_version, ErrorPage};

/// The last error of an action, as a signal.
fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

fn field(err: Signal<Option<AppError>>, name: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || err.get().and_then(|e| e.field_message(name)))
}

fn kept(err: Signal<Option<AppError>>, name: &'static str, initial: String) -> Signal<String> {
    Signal::derive(move || {
        err.get()
            .and_then(|e| e.kept_value(name))
            .unwrap_or_else(|| initial.clone())
    })
}

fn password_hint() -> String {
    format!(
        "At least {PASSWORD_MIN_CHARS} characters. A few unrelated words make a strong password that is easy to remember."
    )
}

/// Bumps the header after a successful sign-in, sign-up or sign-out.
fn refresh_header_on_success<S>(action: ServerAction<S>)
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let header = use_header_version();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            header.bump();
        }
    });
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    refresh_header_on_success(action);
    let err = action_error(action);
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next").unwrap_or_default());
    view! {
        <PageTitle text="Create an account" />
        <Meta name="description" content="Create a customer account to check out, follow your orders and keep your cart." />
        <h1>"Create an account"</h1>
        <p>"Already have one? " <a href=move || format!("/login{}", if next().is_empty() { String::new() } else { format!("?next={}", crate::shared::text::url_encode(&next())) })>"Sign in"</a></p>
        <ActionForm action=action attr:class="stacked" attr:novalidate=true>
            <FormAlert error=err />
            <TextField name="name" label="Your name" autocomplete="name" required=true maxlength=60u32
                value=kept(err, "name", String::new()) error=field(err, "name") />
            <TextField name="email" label="E-mail address" kind="email" autocomplete="email" required=true maxlength=254u32
                value=kept(err, "email", String::new()) error=field(err, "email") />
            <TextField name="password" label="Password" kind="password" autocomplete="new-password" required=true maxlength=128u32
                hint=password_hint() error=field(err, "password") />
            <input type="hidden" name="next" value=next />
            <div class="form-actions">
                <button type="submit" disabled=move || action.pending().get()>"Create account"</button>
            </div>
        </ActionForm>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    refresh_header_on_success(action);
    let err = action_error(action);
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next").unwrap_or_default());
    let notice = move || {
        query.with(|q| {
            if q.get("reset").as_deref() == Some("done") {
                Some((
                    "alert alert-success",
                    "Your password was changed. Sign in with your new password.",
                ))
            } else if q.get("reason").as_deref() == Some("admin") {
                Some((
                    "alert alert-info",
                    "That page is for shop administrators. Sign in with an admin account.",
                ))
            } else if !next().is_empty() {
                Some(("alert alert-info", "Please sign in to continue."))
            } else {
                None
            }
        })
    };
    view! {
        <PageTitle text="Sign in" />
        <Meta name="description" content="Sign in to your account to check out and see your orders." />
        <h1>"Sign in"</h1>
        {move || notice().map(|(class, text)| view! { <div class=class role="status"><p>{text}</p></div> })}
        <ActionForm action=action attr:class="stacked" attr:novalidate=true>
            <FormAlert error=err />
            <TextField name="email" label="E-mail address" kind="email" autocomplete="email" required=true maxlength=254u32
                value=kept(err, "email", String::new()) error=field(err, "email") />
            <TextField name="password" label="Password" kind="password" autocomplete="current-password" required=true maxlength=128u32
                error=field(err, "password") />
            <input type="hidden" name="next" value=next />
            <div class="form-actions">
                <button type="submit" disabled=move || action.pending().get()>"Sign in"</button>
                <a href="/forgot-password">"Forgot your password?"</a>
            </div>
        </ActionForm>
        <p>"New here? " <a href=move || format!("/register{}", if next().is_empty() { String::new() } else { format!("?next={}", crate::shared::text::url_encode(&next())) })>"Create an account"</a></p>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let err = action_error(action);
    let done = success_message(
        action,
        String::clone,
        "If an account exists for that address, we have sent it a link to choose a new password. The link works once, for one hour.",
    );
    view! {
        <PageTitle text="Forgot your password?" />
        <Meta name="description" content="Get a link by e-mail to choose a new password." />
        <h1>"Forgot your password?"</h1>
        <p>"Enter the e-mail address of your account. We will send you a link to choose a new password."</p>
        <FormSuccess message=done />
        <ActionForm action=action attr:class="stacked" attr:novalidate=true>
            <FormAlert error=err />
            <TextField name="email" label="E-mail address" kind="email" autocomplete="email" required=true maxlength=254u32
                value=kept(err, "email", String::new()) error=field(err, "email") />
            <div class="form-actions">
                <button type="submit" disabled=move || action.pending().get()>"Send the link"</button>
                <a href="/login">"Back to sign in"</a>
            </div>
        </ActionForm>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let err = action_error(action);
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    view! {
        <PageTitle text="Choose a new password" />
        <Meta name="description" content="Choose a new password for your account." />
        <Meta name="referrer" content="no-referrer" />
        <h1>"Choose a new password"</h1>
        {move || if token().is_empty() {
            view! {
                <div class="alert alert-error" role="alert">
                    <p>"This page needs the link from the e-mail we sent you. "
                    <a href="/forgot-password">"Ask for a new link"</a></p>
                </div>
            }.into_any()
        } else {
            view! {
                <ActionForm action=action attr:class="stacked" attr:novalidate=true>
                    <FormAlert error=err />
                    {move || err.get().filter(|e| matches!(e, AppError::BadRequest(_))).map(|_| view! {
                        <p><a href="/forgot-password">"Ask for a new link"</a></p>
                    })}
                    <input type="hidden" name="token" value=token />
                    <TextField name="new_password" label="New password" kind="password" autocomplete="new-password" required=true maxlength=128u32
                        hint=password_hint() error=field(err, "new_password") />
                    <div class="form-actions">
                        <button type="submit" disabled=move || action.pending().get()>"Save the new password"</button>
                    </div>
                </ActionForm>
            }.into_any()
        }}
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let profile = ServerAction::<UpdateProfile>::new();
    let password = ServerAction::<ChangePassword>::new();
    let elsewhere = ServerAction::<SignOutElsewhere>::new();
    let others = Resource::new(
        move || (elsewhere.version().get(), password.version().get()),
        |_| other_sessions(),
    );
    let elsewhere_err = action_error(elsewhere);
    let elsewhere_ok = success_message(
        elsewhere,
        String::clone,
        "You were signed out on your other devices.",
    );
    let header = use_header_version();
    Effect::new(move |_| {
        if let Some(Ok(_)) = profile.value().get() {
            header.bump();
        }
    });
    let user = Resource::new(move || profile.version().get(), |_| me());
    let profile_err = action_error(profile);
    let password_err = action_error(password);
    let profile_ok = success_message(profile, String::clone, "Your details were saved.");
    let password_ok = success_message(
        password,
        String::clone,
        "Your password was changed. Other devices were signed out.",
    );
    let location = use_location();
    view! {
        <PageTitle text="Your account" />
        <Meta name="description" content="Your account details, password and orders." />
        <h1>"Your account"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Err(AppError::Unauthorized) => {
                        let path = location.pathname.get_untracked();
                        view! { <Redirect path=format!("/login?next={}", crate::shared::text::url_encode(&path)) /> }.into_any()
                    }
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(u) => view! {
                        <p><a href="/account/orders">"Your orders"</a> " · " <a href="/account/addresses">"Your addresses"</a>
                            {u.is_admin().then(|| view! { " · " <a href="/admin">"Shop administration"</a> })}
                        </p>
                        <section aria-labelledby="profile-title">
                            <h2 id="profile-title">"Your details"</h2>
                            <FormSuccess message=profile_ok />
                            <ActionForm action=profile attr:class="stacked" attr:novalidate=true>
                                <FormAlert error=profile_err />
                                <TextField name="name" label="Your name" autocomplete="name" required=true maxlength=60u32
                                    value=kept(profile_err, "name", u.name.clone()) error=field(profile_err, "name") />
                                <TextField name="email" label="E-mail address" kind="email" autocomplete="email" required=true maxlength=254u32
                                    value=kept(profile_err, "email", u.email.clone()) error=field(profile_err, "email") />
                                <TextField name="current_password" id_prefix="profile-" label="Current password" kind="password"
                                    autocomplete="current-password" required=true hint="Needed to save changes."
                                    error=field(profile_err, "current_password") />
                                <div class="form-actions"><button type="submit">"Save details"</button></div>
                            </ActionForm>
                        </section>
                        <section aria-labelledby="password-title">
                            <h2 id="password-title">"Change your password"</h2>
                            <FormSuccess message=password_ok />
                            <ActionForm action=password attr:class="stacked" attr:novalidate=true>
                                <FormAlert error=password_err />
                                <TextField name="current_password" id_prefix="pw-" label="Current password" kind="password"
                                    autocomplete="current-password" required=true error=field(password_err, "current_password") />
                                <TextField name="new_password" label="New password" kind="password" autocomplete="new-password"
                                    required=true maxlength=128u32 hint=password_hint() error=field(password_err, "new_password") />
                                <div class="form-actions"><button type="submit">"Change password"</button></div>
                            </ActionForm>
                        </section>
                        <section aria-labelledby="devices-title">
                            <h2 id="devices-title">"Where you are signed in"</h2>
                            <FormSuccess message=elsewhere_ok />
                            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                                {move || Suspend::new(async move {
                                    let text = match others.await {
                                        Ok(0) => "Only here: no other browser or device is signed in.".to_string(),
                                        Ok(1) => "Here and on 1 other browser or device.".to_string(),
                                        Ok(n) => format!("Here and on {n} other browsers or devices."),
                                        Err(e) => e.to_string(),
                                    };
                                    view! { <p id="devices-status">{text}</p> }
                                })}
                            </Suspense>
                            <ActionForm action=elsewhere attr:class="stacked">
                                <FormAlert error=elsewhere_err />
                                <div class="form-actions"><button type="submit">"End all other sessions"</button></div>
                            </ActionForm>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
