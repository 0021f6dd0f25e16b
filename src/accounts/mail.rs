//! The e-mails about an account: a password-reset link, and "your password was changed".

use crate::kernel::mail::{html_page, Draft};
use crate::shared::text::escape_html;

pub fn password_reset(shop: &str, to: &str, name: &str, link: &str) -> Draft {
    let subject = format!("Reset your {shop} password");
    let text = format!(
        "Hello {name},\n\n\
         Someone (hopefully you) asked to reset the password of your {shop} account.\n\n\
         Choose a new password here (the link works once, for one hour):\n\n{link}\n\n\
         If you did not ask for this, ignore this e-mail: your password stays as it is.\n\n\
         — {shop}\n"
    );
    let html = html_page(
        &subject,
        &format!(
            "<p>Hello {name},</p>\
             <p>Someone (hopefully you) asked to reset the password of your {shop} account.</p>\
             <p><a href=\"{link}\">Choose a new password</a> (the link works once, for one hour).</p>\
             <p>If you did not ask for this, ignore this e-mail: your password stays as it is.</p>\
             <p>— {shop}</p>",
            name = escape_html(name),
            shop = escape_html(shop),
            link = escape_html(link),
        ),
    );
    Draft {
        to: to.to_string(),
        subject,
        text,
        html,
    }
}

pub fn password_changed(shop: &str, to: &str, name: &str, login_link: &str) -> Draft {
    let subject = format!("Your {shop} password was changed");
    let text = format!(
        "Hello {name},\n\n\
         The password of your {shop} account was just changed, and every device that was \
         signed in has been signed out.\n\n\
         If this was you, there is nothing else to do. If it was not, reset your password \
         right away at {login_link} (use \"Forgot your password?\") and tell us.\n\n\
         — {shop}\n"
    );
    let html = html_page(
        &subject,
        &format!(
            "<p>Hello {name},</p>\
             <p>The password of your {shop} account was just changed, and every device that \
             was signed in has been signed out.</p>\
             <p>If this was you, there is nothing else to do. If it was not, \
             <a href=\"{link}\">reset your password</a> right away and tell us.</p>\
             <p>— {shop}</p>",
            name = escape_html(name),
            shop = escape_html(shop),
            link = escape_html(login_link),
        ),
    );
    Draft {
        to: to.to_string(),
        subject,
        text,
        html,
    }
}
