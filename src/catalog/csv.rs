//! Products with variants as CSV, one row per variant, modelled on Shopify's
//! product CSV (the columns in [`HEADERS`]; a Shopify export imports as it is,
//! its other columns ignored).
//!
//! Import policy (also in the README):
//! - Rows are grouped by `Handle` (the product's web address). The first row of a
//!   product carries its fields (Title, Body, category, tags, status, options);
//!   later rows need only the variant columns.
//! - Every row is checked first, against the file and the database; if any row is
//!   invalid, nothing is written and every error is reported with its line.
//! - A product in the file is created, or updated when its handle exists. The file
//!   gives its complete list of variants: variants are matched by `Variant SKU`
//!   (kept, with their pictures and history, and updated); new SKUs become new
//!   variants; variants the file leaves out are removed (refused while unpaid
//!   orders hold them). Products not in the file are not touched.
//! - `Variant Inventory Qty` sets the stock (kept as it is when empty); each
//!   change goes into the stock history. Prices are in the shop's currency.
//! - Pictures are not carried by CSV: `Image Src` and `Variant Image` are written
//!   for reference; on import, `Variant Image` may name one of the product's own
//!   pictures (`/images/<id>`), other picture columns are ignored.

use std::collections::{HashMap, HashSet};

use mongodb::bson::{doc, oid::ObjectId, DateTime};
use mongodb::Database;

use super::store::{self, Category, Product, ProductOption, Variant};
use super::types::{
    image_url, parse_compare_at, parse_weight, ProductForm, ProductStatus, MAX_OPTIONS,
    MAX_OPTION_NAME_CHARS, MAX_OPTION_VALUE_CHARS, MAX_STOCK, MAX_VARIANTS,
};
use crate::kernel::{Error, Result};
use crate::shared::domain::slugify;
use crate::shared::text::{escape_html, has_stray_control};
use crate::shared::{Currency, Money, Sku, Slug};

/// The columns written, in order.
pub const HEADERS: &[&str] = &[
    "Handle",
    "Title",
    "Body (HTML)",
    "Product Category",
    "Tags",
    "Status",
    "Featured",
    "Option1 Name",
    "Option1 Value",
    "Option2 Name",
    "Option2 Value",
    "Option3 Name",
    "Option3 Value",
    "Variant SKU",
    "Variant Grams",
    "Variant Inventory Qty",
    "Variant Price",
    "Variant Compare At Price",
    "Variant Image",
    "Image Src",
];

/// Most rows one import may have.
pub const MAX_ROWS: usize = 100_000;
/// Most errors listed (the count says how many there were).
pub const MAX_LISTED_ERRORS: usize = 500;
/// Separator of category names in `Product Category` ("Home & Living > Lighting").
const PATH_SEPARATOR: &str = " > ";
/// What Shopify writes for a product without options.
const DEFAULT_OPTION: (&str, &str) = ("Title", "Default Title");

/// A problem with one line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "Line {}: {}", self.line, self.message)
        }
    }
}

// ---------- export ----------

/// Category names from the root, joined with " > ".
pub fn category_path(categories: &[Category], id: Option<ObjectId>) -> String {
    let mut names = Vec::new();
    let mut cur = id;
    while let Some(c) = cur.and_then(|id| categories.iter().find(|c| c.id == id)) {
        names.push(c.name.clone());
        cur = c.parent_id;
        if names.len() > 10 {
            break;
        }
    }
    names.reverse();
    names.join(PATH_SEPARATOR)
}

/// Writes the header row.
pub fn write_header<W: std::io::Write>(w: &mut ::csv::Writer<W>) -> Result<()> {
    w.write_record(HEADERS).map_err(csv_err)
}

fn csv_err(e: ::csv::Error) -> Error {
    Error::internal_from("writing CSV", e)
}

/// Writes one product's rows (one per variant).
pub fn write_product<W: std::io::Write>(
    w: &mut ::csv::Writer<W>,
    p: &Product,
    categories: &[Category],
    base_url: &str,
) -> Result<()> {
    let money = |minor: i64| Money::new(minor, p.currency).to_input();
    for (n, v) in p.variants.iter().enumerate() {
        let first = n == 0;
        let mut row: Vec<String> = Vec::with_capacity(HEADERS.len());
        let product_field = |s: String| if first { s } else { String::new() };
        row.push(p.slug.to_string());
        row.push(product_field(p.name.clone()));
        row.push(product_field(escape_html(&p.description)));
        row.push(product_field(category_path(categories, p.category_id)));
        row.push(product_field(p.tags.join(", ")));
        row.push(product_field(p.status.as_str().to_string()));
        row.push(product_field(
            if p.featured { "TRUE" } else { "FALSE" }.to_string(),
        ));
        for i in 0..MAX_OPTIONS {
            let (name, value) = if p.options.is_empty() {
                if i == 0 {
                    (DEFAULT_OPTION.0.to_string(), DEFAULT_OPTION.1.to_string())
                } else {
                    Default::default()
                }
            } else {
                (
                    p.options.get(i).map(|o| o.name.clone()).unwrap_or_default(),
                    v.options.get(i).cloned().unwrap_or_default(),
                )
            };
            row.push(product_field(name));
            row.push(value);
        }
        row.push(v.sku.to_string());
        row.push(v.weight_grams.map(|g| g.to_string()).unwrap_or_default());
        row.push(v.stock.to_string());
        row.push(money(v.price));
        row.push(v.compare_at.map(money).unwrap_or_default());
        row.push(
            v.image_id
                .map(|i| format!("{base_url}{}", image_url(&i.to_hex())))
                .unwrap_or_default(),
        );
        row.push(product_field(
            p.images
                .first()
                .map(|i| format!("{base_url}{}", image_url(&i.id.to_hex())))
                .unwrap_or_default(),
        ));
        w.write_record(&row).map_err(csv_err)?;
    }
    Ok(())
}

// ---------- import: reading ----------

/// One data row, by column (empty where the file has no such column).
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub line: u64,
    pub handle: String,
    pub title: String,
    pub body: String,
    pub category: String,
    pub tags: String,
    pub status: String,
    pub featured: String,
    pub option_names: [String; 3],
    pub option_values: [String; 3],
    pub sku: String,
    pub grams: String,
    pub qty: String,
    pub price: String,
    pub compare_at: String,
    pub variant_image: String,
}

impl Row {
    /// A Shopify extra-picture row: no variant in it.
    fn is_picture_only(&self) -> bool {
        self.sku.is_empty() && self.price.is_empty() && self.option_values[0].is_empty()
    }
}

/// Reads the rows. Errors: the file is not CSV, lacks a needed column, or is too big.
pub fn read(text: &str) -> std::result::Result<Vec<Row>, Vec<RowError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let fail = |line: u64, message: String| vec![RowError { line, message }];
    let headers = reader
        .headers()
        .map_err(|e| fail(1, format!("The header row could not be read: {e}")))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let required = ["Handle", "Variant SKU", "Variant Price"];
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| col(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(fail(
            1,
            format!(
                "The file has no {} column. The first line must name the columns, like: {}",
                missing.join(", "),
                HEADERS.join(",")
            ),
        ));
    }
    let idx: Vec<Option<usize>> = [
        "Handle",
        "Title",
        "Body (HTML)",
        "Product Category",
        "Tags",
        "Status",
        "Featured",
        "Option1 Name",
        "Option1 Value",
        "Option2 Name",
        "Option2 Value",
        "Option3 Name",
        "Option3 Value",
        "Variant SKU",
        "Variant Grams",
        "Variant Inventory Qty",
        "Variant Price",
        "Variant Compare At Price",
        "Variant Image",
    ]
    .iter()
    .map(|c| col(c))
    .collect();
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(RowError {
                    line,
                    message: format!("This line is not valid CSV: {e}"),
                });
                if errors.len() >= MAX_LISTED_ERRORS {
                    break;
                }
                continue;
            }
        };
        if rows.len() >= MAX_ROWS {
            return Err(fail(
                0,
                format!("The file has more than {MAX_ROWS} rows; split it."),
            ));
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let get = |k: usize| -> String {
            idx[k]
                .and_then(|i| record.get(i))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        rows.push(Row {
            line,
            handle: get(0),
            title: get(1),
            body: get(2),
            category: get(3),
            tags: get(4),
            status: get(5),
            featured: get(6),
            option_names: [get(7), get(9), get(11)],
            option_values: [get(8), get(10), get(12)],
            sku: get(13),
            grams: get(14),
            qty: get(15),
            price: get(16),
            compare_at: get(17),
            variant_image: get(18),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if rows.is_empty() {
        return Err(fail(0, "The file has no products in it.".into()));
    }
    Ok(rows)
}

/// Body text from an HTML cell: tags removed (line and paragraph breaks become
/// new lines), the usual entities decoded. Plain text passes as it is.
pub fn body_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        match rest[start..].find('>') {
            Some(end) => {
                let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
                if tag.starts_with("br")
                    || tag == "/p"
                    || tag.starts_with("/div")
                    || tag.starts_with("/li")
                {
                    out.push('\n');
                }
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded.trim_end_matches('\n').to_string()
}

// ---------- import: checking ----------

/// A product as the file describes it, checked.
#[derive(Debug, Clone)]
pub struct PlannedProduct {
    pub line: u64,
    pub slug: Slug,
    pub name: Option<String>,
    pub description: Option<String>,
    pub category_path: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub status: Option<ProductStatus>,
    pub featured: Option<bool>,
    pub options: Vec<ProductOption>,
    pub variants: Vec<PlannedVariant>,
}

#[derive(Debug, Clone)]
pub struct PlannedVariant {
    pub line: u64,
    pub sku: Sku,
    pub values: Vec<String>,
    pub price: i64,
    pub compare_at: Option<i64>,
    pub weight_grams: Option<i64>,
    pub stock: Option<i64>,
    pub image: Option<ObjectId>,
}

/// What an import will do.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub products: Vec<PlannedProduct>,
    pub rows: usize,
    pub skipped_picture_rows: usize,
}

fn column_error(line: u64, column: &str, message: impl std::fmt::Display) -> RowError {
    RowError {
        line,
        message: format!("{column}: {message}"),
    }
}

/// Checks every row against the file itself (no database). Returns the products
/// made of the valid rows, and every problem found.
pub fn check(rows: &[Row], currency: Currency) -> (Plan, Vec<RowError>) {
    let mut errors: Vec<RowError> = Vec::new();
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Vec<&Row>> = HashMap::new();
    let mut skipped = 0;
    for r in rows {
        if r.is_picture_only() {
            skipped += 1;
            continue;
        }
        let key = r.handle.to_lowercase();
        if key.is_empty() {
            errors.push(column_error(
                r.line,
                "Handle",
                "Give every row its product's handle (web address).",
            ));
            continue;
        }
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(r);
    }
    let mut skus: HashMap<Sku, u64> = HashMap::new();
    let mut products = Vec::new();
    for key in order {
        let group = &groups[&key];
        let first = group[0];
        let slug = match Slug::parse(&key) {
            Ok(s) => s,
            Err(e) => {
                errors.push(column_error(first.line, "Handle", e));
                continue;
            }
        };
        // Product fields, checked with the admin form's rules.
        let has_fields = !first.title.is_empty();
        let mut planned = PlannedProduct {
            line: first.line,
            slug: slug.clone(),
            name: None,
            description: None,
            category_path: None,
            tags: None,
            status: None,
            featured: None,
            options: Vec::new(),
            variants: Vec::new(),
        };
        let status = match first.status.to_lowercase().as_str() {
            "" => None,
            "active" => Some(ProductStatus::Active),
            "archived" | "draft" => Some(ProductStatus::Archived),
            other => {
                errors.push(column_error(
                    first.line,
                    "Status",
                    format!("\"{other}\" is not a status; use active or archived."),
                ));
                None
            }
        };
        planned.status = status;
        planned.featured = match first.featured.to_lowercase().as_str() {
            "" => None,
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            other => {
                errors.push(column_error(
                    first.line,
                    "Featured",
                    format!("\"{other}\" is not TRUE or FALSE."),
                ));
                None
            }
        };
        let description = body_text(&first.body);
        let form = ProductForm {
            name: if has_fields {
                first.title.clone()
            } else {
                "x".into()
            },
            slug: slug.to_string(),
            description: description.clone(),
            price: String::new(),
            category_id: String::new(),
            tags: first.tags.clone(),
            stock: String::new(),
            status: "active".into(),
            featured: None,
            sku: None,
        };
        match form.validate_for(currency, false, true) {
            Ok(valid) => {
                if has_fields {
                    planned.name = Some(valid.name);
                    planned.description = Some(valid.description);
                    planned.tags = Some(valid.tags);
                }
            }
            Err(e) => {
                let column = |field: &str| match field {
                    "name" => "Title",
                    "slug" => "Handle",
                    "description" => "Body (HTML)",
                    "tags" => "Tags",
                    _ => "Product",
                };
                for f in e
                    .form_errors()
                    .map(|f| f.fields.clone())
                    .unwrap_or_default()
                {
                    errors.push(column_error(first.line, column(&f.field), f.message));
                }
            }
        }
        if has_fields && !first.category.is_empty() {
            let path: Vec<String> = first
                .category
                .split('>')
                .map(|s| s.trim().to_string())
                .collect();
            if path
                .iter()
                .any(|n| n.is_empty() || n.chars().count() > 80 || has_stray_control(n, false))
                || path.len() > 5
            {
                errors.push(column_error(
                    first.line,
                    "Product Category",
                    "Write the category as names from the top, like: Home & Living > Lighting",
                ));
            } else {
                planned.category_path = Some(path);
            }
        } else if has_fields {
            planned.category_path = Some(Vec::new());
        }

        // Options: names from the first row that has them.
        let names: Vec<String> = group
            .iter()
            .find(|r| !r.option_names[0].is_empty())
            .map(|r| {
                r.option_names
                    .iter()
                    .take_while(|n| !n.is_empty())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let default_only = names.len() == 1
            && names[0].eq_ignore_ascii_case(DEFAULT_OPTION.0)
            && group.iter().all(|r| {
                r.option_values[0].eq_ignore_ascii_case(DEFAULT_OPTION.1)
                    || r.option_values[0].is_empty()
            });
        let names = if default_only { Vec::new() } else { names };
        let mut name_ok = true;
        for (i, n) in names.iter().enumerate() {
            if n.chars().count() > MAX_OPTION_NAME_CHARS || has_stray_control(n, false) {
                errors.push(column_error(
                    first.line,
                    &format!("Option{} Name", i + 1),
                    "Use a short name, like Size.",
                ));
                name_ok = false;
            }
            if names[..i]
                .iter()
                .any(|m| m.to_lowercase() == n.to_lowercase())
            {
                errors.push(column_error(
                    first.line,
                    &format!("Option{} Name", i + 1),
                    "Two options have this name.",
                ));
                name_ok = false;
            }
        }
        let mut values: Vec<Vec<String>> = vec![Vec::new(); names.len()];
        let mut combos: HashSet<Vec<String>> = HashSet::new();
        for r in group {
            // Option names on later rows must agree.
            for (i, n) in r.option_names.iter().enumerate() {
                if !n.is_empty()
                    && r.line != first.line
                    && names.get(i).is_some_and(|m| !m.eq_ignore_ascii_case(n))
                {
                    errors.push(column_error(
                        r.line,
                        &format!("Option{} Name", i + 1),
                        format!("\"{n}\" differs from \"{}\" on line {}; a product's rows share its options.", names[i], first.line),
                    ));
                }
            }
            let row_values: Vec<String> = if names.is_empty() {
                Vec::new()
            } else {
                r.option_values[..names.len()].to_vec()
            };
            let mut ok = name_ok;
            for (i, v) in row_values.iter().enumerate() {
                let column = format!("Option{} Value", i + 1);
                if v.is_empty() {
                    errors.push(column_error(
                        r.line,
                        &column,
                        format!("Give this variant's {}.", names[i]),
                    ));
                    ok = false;
                } else if v.chars().count() > MAX_OPTION_VALUE_CHARS
                    || has_stray_control(v, false)
                    || v.contains(',')
                {
                    errors.push(column_error(r.line, &column, format!("Use a short value without commas (at most {MAX_OPTION_VALUE_CHARS} characters).")));
                    ok = false;
                }
            }
            for i in names.len()..MAX_OPTIONS {
                if !(r.option_values[i].is_empty() || default_only && i == 0) {
                    errors.push(column_error(
                        r.line,
                        &format!("Option{} Value", i + 1),
                        "This product has no such option; add its name on the product's first row.",
                    ));
                    ok = false;
                }
            }
            if ok {
                let key: Vec<String> = row_values.iter().map(|v| v.to_lowercase()).collect();
                if !combos.insert(key) {
                    errors.push(RowError {
                        line: r.line,
                        message: format!(
                            "Another row of {} has the same options ({}).",
                            slug,
                            row_values.join(" / ")
                        ),
                    });
                }
                for (i, v) in row_values.iter().enumerate() {
                    if !values[i]
                        .iter()
                        .any(|x| x.to_lowercase() == v.to_lowercase())
                    {
                        values[i].push(v.clone());
                    }
                }
            }
            // Variant columns.
            let sku = match Sku::parse(&r.sku) {
                Ok(s) => {
                    if let Some(other) = skus.insert(s.clone(), r.line) {
                        errors.push(column_error(
                            r.line,
                            "Variant SKU",
                            format!(
                                "{s} is also on line {other}; every variant needs its own SKU."
                            ),
                        ));
                    }
                    Some(s)
                }
                Err(e) => {
                    errors.push(column_error(r.line, "Variant SKU", e));
                    None
                }
            };
            let price = match Money::parse(&r.price, currency) {
                Ok(p) => Some(p),
                Err(e) => {
                    errors.push(column_error(r.line, "Variant Price", e));
                    None
                }
            };
            let compare_at = match parse_compare_at(&r.compare_at, price, currency) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(column_error(r.line, "Variant Compare At Price", e));
                    None
                }
            };
            let grams = match parse_weight(&r.grams) {
                Ok(g) => Some(g),
                Err(e) => {
                    errors.push(column_error(r.line, "Variant Grams", e));
                    None
                }
            };
            let stock = if r.qty.is_empty() {
                Some(None)
            } else {
                match r.qty.parse::<i64>() {
                    Ok(n) if (0..=MAX_STOCK).contains(&n) => Some(Some(n)),
                    _ => {
                        errors.push(column_error(
                            r.line,
                            "Variant Inventory Qty",
                            format!("Enter a whole number from 0 to {MAX_STOCK}."),
                        ));
                        None
                    }
                }
            };
            let image = r
                .variant_image
                .rsplit("/images/")
                .next()
                .filter(|_| r.variant_image.contains("/images/"))
                .and_then(|id| ObjectId::parse_str(id.trim()).ok());
            if let (Some(sku), Some(price), Some(compare_at), Some(grams), Some(stock)) =
                (sku, price, compare_at, grams, stock)
            {
                planned.variants.push(PlannedVariant {
                    line: r.line,
                    sku,
                    values: row_values,
                    price: price.minor(),
                    compare_at: compare_at.map(|c| c.minor()),
                    weight_grams: grams,
                    stock,
                    image,
                });
            }
        }
        if group.len() > MAX_VARIANTS {
            errors.push(RowError {
                line: first.line,
                message: format!(
                    "{slug} has {} variants; a product can have at most {MAX_VARIANTS}.",
                    group.len()
                ),
            });
        }
        if names.len() > MAX_OPTIONS {
            errors.push(RowError {
                line: first.line,
                message: format!("A product can have at most {MAX_OPTIONS} options."),
            });
        }
        if names.is_empty() && group.len() > 1 {
            errors.push(RowError {
                line: group[1].line,
                message: format!("{slug} has several rows but no options: name its options (like Option1 Name = Size) on its first row."),
            });
        }
        planned.options = names
            .into_iter()
            .zip(values)
            .map(|(name, values)| ProductOption { name, values })
            .collect();
        products.push(planned);
    }
    errors.sort_by_key(|e| e.line);
    (
        Plan {
            products,
            rows: rows.len(),
            skipped_picture_rows: skipped,
        },
        errors,
    )
}

/// Checks the plan against the database: a new product needs a Title; a SKU may
/// not belong to another product; a variant left out may not be held by unpaid
/// orders. Returns the products that exist, by slug.
pub async fn check_against_database(
    db: &Database,
    plan: &Plan,
) -> Result<std::result::Result<HashMap<String, Product>, Vec<RowError>>> {
    use futures::TryStreamExt;
    let slugs: Vec<&str> = plan.products.iter().map(|p| p.slug.as_str()).collect();
    let skus: Vec<&str> = plan
        .products
        .iter()
        .flat_map(|p| p.variants.iter().map(|v| v.sku.as_str()))
        .collect();
    let mut existing: HashMap<String, Product> = HashMap::new();
    for chunk in slugs.chunks(2000) {
        let found: Vec<Product> = store::products(db)
            .find(doc! { "slug": { "$in": chunk } })
            .await?
            .try_collect()
            .await?;
        for p in found {
            existing.insert(p.slug.to_string(), p);
        }
    }
    let mut owner_of_sku: HashMap<String, String> = HashMap::new();
    for chunk in skus.chunks(2000) {
        let mut cursor = db
            .collection::<mongodb::bson::Document>(store::PRODUCTS)
            .find(doc! { "variants.sku": { "$in": chunk } })
            .projection(doc! { "slug": 1, "variants.sku": 1 })
            .await?;
        while let Some(d) = cursor.try_next().await? {
            let slug = d.get_str("slug").unwrap_or_default().to_string();
            for v in d
                .get_array("variants")
                .map(|a| a.to_vec())
                .unwrap_or_default()
            {
                if let Some(s) = v.as_document().and_then(|v| v.get_str("sku").ok()) {
                    owner_of_sku.insert(s.to_string(), slug.clone());
                }
            }
        }
    }
    let mut errors = Vec::new();
    for p in &plan.products {
        let current = existing.get(p.slug.as_str());
        if current.is_none() && p.name.is_none() {
            errors.push(column_error(
                p.line,
                "Title",
                format!(
                    "{} is a new product: give its Title on its first row.",
                    p.slug
                ),
            ));
        }
        for v in &p.variants {
            if let Some(owner) = owner_of_sku.get(v.sku.as_str()) {
                if owner != p.slug.as_str() {
                    errors.push(column_error(
                        v.line,
                        "Variant SKU",
                        format!("{} belongs to another product ({owner}).", v.sku),
                    ));
                }
            }
        }
        if let Some(current) = current {
            for old in &current.variants {
                let kept = p.variants.iter().any(|v| v.sku == old.sku);
                let held = current
                    .reservations
                    .iter()
                    .any(|r| r.variant_id == Some(old.id));
                if !kept && held {
                    errors.push(RowError {
                        line: p.line,
                        message: format!("{} leaves out variant {}, which unpaid orders hold; keep its row until they are paid or cancelled.", p.slug, old.sku),
                    });
                }
            }
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Ok(Err(errors));
    }
    Ok(Ok(existing))
}

// ---------- import: writing ----------

/// Finds (or creates) the category with this path of names.
pub async fn category_for_path(
    db: &Database,
    path: &[String],
    categories: &mut Vec<Category>,
) -> Result<Option<ObjectId>> {
    let mut parent: Option<ObjectId> = None;
    for name in path {
        let found = categories
            .iter()
            .find(|c| c.parent_id == parent && c.name.to_lowercase() == name.to_lowercase())
            .map(|c| c.id);
        let id = match found {
            Some(id) => id,
            None => {
                let base = slugify(name);
                let base = if base.is_empty() {
                    "category".to_string()
                } else {
                    base
                };
                let mut n = 1;
                let category = loop {
                    let candidate = if n == 1 {
                        base.clone()
                    } else {
                        format!("{base}-{n}")
                    };
                    let slug = Slug::parse(&candidate).map_err(|e| {
                        Error::internal(format!("a category slug from {name:?}: {e}"))
                    })?;
                    if categories.iter().any(|c| c.slug == slug) {
                        n += 1;
                        continue;
                    }
                    let now = DateTime::now();
                    let c = Category {
                        id: ObjectId::new(),
                        name: name.clone(),
                        slug,
                        parent_id: parent,
                        description: String::new(),
                        created_at: now,
                        updated_at: now,
                    };
                    match store::insert_category(db, &c).await {
                        Ok(()) => break c,
                        Err(Error::App(_)) if n < 50 => {
                            // Taken meanwhile: read again and try the next number.
                            *categories = store::list_categories(db).await?;
                            n += 1;
                        }
                        Err(e) => return Err(e),
                    }
                };
                let id = category.id;
                categories.push(category);
                id
            }
        };
        parent = Some(id);
    }
    Ok(parent)
}

/// The variants a planned product ends up with: existing ones matched by SKU keep
/// their id, picture and (when the file gives none) stock.
pub fn merged_variants(planned: &PlannedProduct, current: Option<&Product>) -> Vec<Variant> {
    planned
        .variants
        .iter()
        .map(|v| {
            let old = current.and_then(|c| c.variants.iter().find(|o| o.sku == v.sku));
            let image_ok =
                |id: &ObjectId| current.is_some_and(|c| c.images.iter().any(|i| i.id == *id));
            Variant {
                id: old.map(|o| o.id).unwrap_or_default(),
                sku: v.sku.clone(),
                options: v.values.clone(),
                price: v.price,
                compare_at: v.compare_at,
                stock: v.stock.or(old.map(|o| o.stock)).unwrap_or(0),
                weight_grams: v.weight_grams,
                image_id: v
                    .image
                    .filter(|i| image_ok(i))
                    .or_else(|| old.and_then(|o| o.image_id)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "Handle,Title,Body (HTML),Product Category,Tags,Status,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Variant SKU,Variant Price,Variant Inventory Qty\n\
tee,Tee,<p>Soft &amp; light</p>,Clothing > Tops,\"cotton, summer\",active,Size,S,Colour,Red,TEE-S-RED,10.00,3\n\
tee,,,,,,,M,,Red,TEE-M-RED,10.00,0\n\
mug,Mug,A mug,,,,Title,Default Title,,,MUG,4.50,\n";

    #[test]
    fn a_valid_file_becomes_products_with_their_variants() {
        let rows = read(FILE).unwrap();
        let (plan, errors) = check(&rows, Currency::Usd);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(plan.products.len(), 2);
        let tee = &plan.products[0];
        assert_eq!(tee.options.len(), 2);
        assert_eq!(tee.options[0].values, vec!["S", "M"]);
        assert_eq!(tee.variants[1].values, vec!["M", "Red"]);
        assert_eq!(tee.description.as_deref(), Some("Soft & light"));
        assert_eq!(
            tee.category_path.as_ref().unwrap(),
            &vec!["Clothing".to_string(), "Tops".to_string()]
        );
        let mug = &plan.products[1];
        assert!(mug.options.is_empty(), "Default Title means no options");
        assert_eq!(mug.variants[0].stock, None, "empty quantity keeps stock");
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let bad = "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty,Variant Compare At Price\n\
tee,Tee,Size,S,TEE-S,ten,3,\n\
tee,,,S,TEE-S,10,-1,\n\
Bad Handle!,X,,,X1,1,1,\n\
cap,Cap,,,CAP,5,1,4\n";
        let rows = read(bad).unwrap();
        let (_, errors) = check(&rows, Currency::Usd);
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert!(lines.contains(&2), "{errors:?}");
        assert!(errors
            .iter()
            .any(|e| e.line == 2 && e.message.starts_with("Variant Price")));
        assert!(errors
            .iter()
            .any(|e| e.line == 3 && e.message.starts_with("Variant Inventory Qty")));
        assert!(errors
            .iter()
            .any(|e| e.line == 3 && e.message.contains("same options")));
        assert!(errors
            .iter()
            .any(|e| e.line == 3 && e.message.contains("also on line 2")));
        assert!(errors
            .iter()
            .any(|e| e.line == 4 && e.message.starts_with("Handle")));
        assert!(errors
            .iter()
            .any(|e| e.line == 5 && e.message.starts_with("Variant Compare At Price")));
    }

    #[test]
    fn a_file_without_the_needed_columns_says_which() {
        let e = read("Name,Price\nx,1\n").unwrap_err();
        assert!(
            e[0].message.contains("Handle, Variant SKU, Variant Price"),
            "{e:?}"
        );
    }

    #[test]
    fn body_text_round_trips_escaped_plain_text() {
        let text = "A & B <3\nsecond line";
        assert_eq!(body_text(&escape_html(text)), text);
    }
}
