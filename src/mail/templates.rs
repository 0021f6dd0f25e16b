//! The text of every e-mail the shop sends, as plain text plus simple HTML.

use super::Draft;

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Wraps paragraphs (already escaped HTML) in a minimal, readable document.
pub fn html_page(title: &str, body_html: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:system-ui,Arial,sans-serif;line-height:1.5;color:#1b1f24;max-width:40rem;margin:0 auto;padding:1rem\">\
         {}</body></html>",
        escape_html(title),
        body_html
    )
}

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

/// The order confirmation: lines, totals, address and order number.
pub fn order_confirmation(
    shop: &str,
    base_url: &str,
    order: &crate::orders::store::Order,
) -> Draft {
    use crate::money::format_minor;
    let money = |v: i64| format_minor(v, &order.currency);
    let subject = format!("Your {shop} order {} is confirmed", order.number);
    let link = format!("{base_url}/account/orders/{}", order.id.to_hex());
    let a = &order.address;
    let country = crate::orders::types::country_name(&a.country);
    let address_lines: Vec<&str> = [a.name.as_str(), a.line1.as_str(), a.line2.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    let mut text = format!(
        "Hello {},\n\nThank you for your order. We received your payment.\n\nOrder number: {}\n\n",
        order.customer_name, order.number
    );
    for l in &order.lines {
        text.push_str(&format!(
            "  {} × {} @ {} = {}\n",
            l.quantity,
            l.name,
            money(l.unit_price),
            money(l.line_total)
        ));
    }
    text.push_str(&format!(
        "\nSubtotal: {}\nShipping: {}\nTotal paid: {}\n\nShipping to:\n  {}\n  {} {}\n  {}\n\n\
         See your order at any time: {link}\n\n— {shop}\n",
        money(order.subtotal),
        money(order.shipping),
        money(order.total),
        address_lines.join("\n  "),
        a.postal_code,
        a.city,
        country,
    ));
    let rows: String = order
        .lines
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td style=\"text-align:right\">{}</td><td style=\"text-align:right\">{}</td><td style=\"text-align:right\">{}</td></tr>",
                escape_html(&l.name),
                l.quantity,
                escape_html(&money(l.unit_price)),
                escape_html(&money(l.line_total))
            )
        })
        .collect();
    let html = html_page(
        &subject,
        &format!(
            "<p>Hello {name},</p><p>Thank you for your order. We received your payment.</p>\
             <p><strong>Order number: {number}</strong></p>\
             <table style=\"border-collapse:collapse;width:100%\" cellpadding=\"6\">\
             <thead><tr><th style=\"text-align:left\">Product</th><th style=\"text-align:right\">Qty</th>\
             <th style=\"text-align:right\">Price</th><th style=\"text-align:right\">Total</th></tr></thead>\
             <tbody>{rows}</tbody></table>\
             <p>Subtotal: {sub}<br>Shipping: {ship}<br><strong>Total paid: {total}</strong></p>\
             <p>Shipping to:<br>{addr}<br>{postal} {city}<br>{country}</p>\
             <p><a href=\"{link}\">See your order</a></p><p>— {shop}</p>",
            name = escape_html(&order.customer_name),
            number = escape_html(&order.number),
            sub = escape_html(&money(order.subtotal)),
            ship = escape_html(&money(order.shipping)),
            total = escape_html(&money(order.total)),
            addr = address_lines.iter().map(|s| escape_html(s)).collect::<Vec<_>>().join("<br>"),
            postal = escape_html(&a.postal_code),
            city = escape_html(&a.city),
            country = escape_html(country),
            link = escape_html(&link),
            shop = escape_html(shop),
        ),
    );
    Draft {
        to: order.email.clone(),
        subject,
        text,
        html,
    }
}
