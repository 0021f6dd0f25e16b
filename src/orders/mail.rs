//! The order confirmation e-mail.

use crate::kernel::mail::{html_page, Draft};
use crate::shared::text::escape_html;

/// "Tee (Size: M · Colour: Red, SKU TEE-RED-M)", or the name alone.
fn line_title(l: &super::store::OrderLine) -> String {
    match (l.variant_label.is_empty(), l.sku.is_empty()) {
        (true, true) => l.name.clone(),
        (true, false) => format!("{} (SKU {})", l.name, l.sku),
        (false, true) => format!("{} ({})", l.name, l.variant_label),
        (false, false) => format!("{} ({}, SKU {})", l.name, l.variant_label, l.sku),
    }
}

/// "Subtotal: $10.00", "Discount (SAVE10): −$1.00", "Shipping: Standard $5.99",
/// "Sales tax 7.25 %: $1.09", "Total paid: $16.08".
fn totals_lines(order: &super::store::Order) -> Vec<String> {
    let money = |v: i64| order.money(v).to_string();
    let mut out = vec![format!("Subtotal: {}", money(order.subtotal))];
    if order.discount > 0 {
        let code = order
            .discount_code
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        out.push(format!("Discount{code}: −{}", money(order.discount)));
    }
    let method = order
        .shipping_method
        .as_ref()
        .map(|m| format!(" ({})", m.name))
        .unwrap_or_default();
    let shipping = if order.shipping == 0 {
        "free".to_string()
    } else {
        money(order.shipping)
    };
    out.push(format!("Shipping{method}: {shipping}"));
    if !order.tax_name.is_empty() && !order.tax_included {
        out.push(format!("{}: {}", order.tax_name, money(order.tax)));
    }
    out.push(format!("Total paid: {}", money(order.total)));
    if order.tax_included && order.tax > 0 {
        out.push(format!(
            "(includes {} {})",
            order.tax_name,
            money(order.tax)
        ));
    }
    out
}

/// The order confirmation: lines, totals, address, order number and `link` to the
/// order (a guest's is signed: it opens the order without an account).
pub fn order_confirmation(shop: &str, link: &str, order: &super::store::Order) -> Draft {
    let money = |v: i64| order.money(v).to_string();
    let subject = format!("Your {shop} order {} is confirmed", order.number);
    let link = link.to_string();
    let address_lines = order.address.lines();
    let mut text = format!(
        "Hello {},\n\nThank you for your order. We received your payment.\n\nOrder number: {}\n\n",
        order.customer_name, order.number
    );
    for l in &order.lines {
        text.push_str(&format!(
            "  {} × {} @ {} = {}\n",
            l.quantity,
            line_title(l),
            money(l.unit_price),
            money(l.line_total)
        ));
    }
    let totals = totals_lines(order);
    text.push_str(&format!(
        "\n{}\n\nShipping to:\n  {}\n\n\
         See your order at any time: {link}\n\n— {shop}\n",
        totals.join("\n"),
        address_lines.join("\n  "),
    ));
    let rows: String = order
        .lines
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td style=\"text-align:right\">{}</td><td style=\"text-align:right\">{}</td><td style=\"text-align:right\">{}</td></tr>",
                escape_html(&line_title(l)),
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
             <p>{totals_html}</p>\
             <p>Shipping to:<br>{addr}</p>\
             <p><a href=\"{link}\">See your order</a></p><p>— {shop}</p>",
            name = escape_html(&order.customer_name),
            number = escape_html(&order.number.to_string()),
            totals_html = totals.iter().map(|l| escape_html(l)).collect::<Vec<_>>().join("<br>"),
            addr = address_lines.iter().map(|s| escape_html(s)).collect::<Vec<_>>().join("<br>"),
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
