//! Catalog: admin CRUD and validation, pictures, storefront pages, and search
//! (correctness against a brute-force filter, relevance, sync from the database).

use std::time::Duration;

use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use oxcart::catalog::store::{self, Product};
use oxcart::catalog::types::{
    ProductStatus, SearchQuery, SearchResults, Sort, StatusFilter, StockHistory,
};
use serde_json::Value;

use crate::helpers::{spawn_app, Browser, TestApp};

/// Waits (at most a second) until `app`'s search index has caught up with every
/// write made so far, then checks once: a change stream flush, never a poll.
async fn synced_within_a_second<F, Fut>(app: &TestApp, check: F) -> bool
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let caught_up = app
        .state
        .catalog
        .sync
        .flush(&app.state.core.db, Duration::from_secs(1))
        .await;
    assert!(
        caught_up.is_ok(),
        "the index did not catch up within a second"
    );
    check().await
}

/// Inserts an active product straight into the database and the index; returns its id.
pub async fn make_product(app: &TestApp, name: &str, price: i64, stock: i64) -> String {
    let now = DateTime::now();
    let p = Product {
        id: ObjectId::new(),
        name: name.to_string(),
        slug: oxcart::shared::Slug::parse(
            &(oxcart::shared::domain::slugify(name) + "-" + &ObjectId::new().to_hex()[18..]),
        )
        .unwrap(),
        description: format!("A fine {name}."),
        price,
        currency: oxcart::shared::Currency::Usd,
        category_id: None,
        tags: vec![],
        stock,
        status: ProductStatus::Active,
        featured: false,
        images: vec![],
        options: vec![],
        variants: vec![one_variant(name, price, stock)],
        reservations: vec![],
        created_at: now,
        updated_at: now,
    };
    store::insert_product(&app.state.core.db, &p).await.unwrap();
    oxcart::catalog::sync::refresh(&app.state.core.db, &app.state.catalog.search, &[p.id])
        .await
        .unwrap();
    p.id.to_hex()
}

/// The one variant of a product without options, with a SKU made unique.
pub fn one_variant(name: &str, price: i64, stock: i64) -> store::Variant {
    let word: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(20)
        .collect();
    store::Variant {
        id: ObjectId::new(),
        sku: oxcart::shared::Sku::parse(&format!("{word}-{}", &ObjectId::new().to_hex()[14..]))
            .unwrap(),
        options: vec![],
        price,
        compare_at: None,
        stock,
        weight_grams: None,
        image_id: None,
    }
}

/// The id of a product's only variant (what cart lines are keyed by).
pub async fn variant_of(app: &TestApp, product_id: &str) -> String {
    store::find_by_id(
        &app.state.core.db,
        &ObjectId::parse_str(product_id).unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .variants[0]
        .id
        .to_hex()
}

fn product_form(name: &str, price: &str, stock: &str) -> Vec<(&'static str, String)> {
    vec![
        ("form[name]", name.to_string()),
        ("form[slug]", String::new()),
        ("form[description]", "Sturdy and useful.".into()),
        ("form[price]", price.to_string()),
        ("form[category_id]", String::new()),
        ("form[tags]", "desk, light".into()),
        ("form[stock]", stock.to_string()),
        ("form[status]", "active".into()),
    ]
}

fn as_refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, s)| (*k, s.as_str())).collect()
}

fn field_errors(body: &Value) -> Vec<String> {
    body["error"]["Invalid"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| f["field"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn admin_creates_edits_archives_and_deletes_a_product() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let cat: String = admin
        .call_ok(
            "admin/categories/create",
            &[
                ("name", "Lighting"),
                ("slug", ""),
                ("parent_id", ""),
                ("description", "Lamps"),
            ],
        )
        .await;
    let mut form = product_form("Oak Desk Lamp", "49.90", "12");
    form[4].1 = cat.clone();
    let res = admin.call("admin/products/save", &as_refs(&form)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let id: String = res.json().await.unwrap();
    let saved: Document = app
        .state
        .core
        .db
        .collection::<Document>("products")
        .find_one(doc! { "_id": ObjectId::parse_str(&id).unwrap() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.get_i64("price").unwrap(), 4990);
    assert_eq!(saved.get_str("slug").unwrap(), "oak-desk-lamp");
    assert_eq!(saved.get_str("currency").unwrap(), "usd");

    // Visible in the storefront and its search right away.
    let page = app.get("/products/oak-desk-lamp").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("$49.90"));
    assert!(html.contains("property=\"og:title\""));
    let hits = search(&app, &[("q", "oak lamp")]).await;
    assert_eq!(hits.items[0].id, id);

    // Edit. Stock is not the form's to change (adjustments are): a typed stock
    // is ignored.
    let mut edit = product_form("Oak Desk Lamp", "39", "99");
    edit.push(("id", id.clone()));
    let res = admin.call("admin/products/save", &as_refs(&edit)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let stock_now = store::find_by_id(&app.state.core.db, &ObjectId::parse_str(&id).unwrap())
        .await
        .unwrap()
        .unwrap()
        .stock;
    assert_eq!(stock_now, 12);
    assert_eq!(
        search(&app, &[("q", "oak lamp")]).await.items[0]
            .price
            .minor(),
        3900
    );

    // Archive (the form's status): gone from the shop, still there for admins.
    let mut archive = product_form("Oak Desk Lamp", "39", "0");
    archive[7].1 = "archived".into();
    archive.push(("id", id.clone()));
    let res = admin.call("admin/products/save", &as_refs(&archive)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(search(&app, &[("q", "oak lamp")]).await.total, 0);
    assert_eq!(app.get("/products/oak-desk-lamp").await.status(), 404);
    assert_eq!(admin.get("/products/oak-desk-lamp").await.status(), 200);

    // Delete needs a confirmation.
    let res = admin.call("admin/products/delete", &[("id", &id)]).await;
    assert_eq!(res.status(), 422);
    let res = admin
        .call("admin/products/delete", &[("id", &id), ("confirm", "yes")])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(admin.get("/products/oak-desk-lamp").await.status(), 404);
}

#[tokio::test]
async fn bad_product_input_gets_field_errors_and_saves_nothing() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let cases: Vec<(Vec<(&'static str, String)>, &str)> = vec![
        (product_form("Lamp", "-5", "1"), "price"),
        (product_form("Lamp", "abc", "1"), "price"),
        (product_form("Lamp", "1000000000000", "1"), "price"),
        (product_form("Lamp", "1.999", "1"), "price"),
        (product_form("", "5", "1"), "name"),
        (product_form("Lamp", "5", "-1"), "stock"),
        (product_form("Lamp", "5", "ten"), "stock"),
        (product_form("Lamp", "5", "99999999999999999999"), "stock"),
    ];
    for (form, field) in cases {
        let res = admin.call("admin/products/save", &as_refs(&form)).await;
        assert_eq!(res.status(), 422, "{form:?}");
        let body: Value = res.json().await.unwrap();
        assert!(
            field_errors(&body).contains(&field.to_string()),
            "{form:?}: {body}"
        );
    }
    let operator = admin
        .call(
            "admin/products/save",
            &[("form[name][$gt]", ""), ("form[price]", "1")],
        )
        .await;
    assert_eq!(operator.status(), 400);
    let n = app
        .state
        .core
        .db
        .collection::<Document>("products")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(n, 0);

    // Duplicate slug: a field error, and the first product is untouched.
    admin
        .call_ok::<String>(
            "admin/products/save",
            &as_refs(&product_form("Twin", "5", "1")),
        )
        .await;
    let res = admin
        .call(
            "admin/products/save",
            &as_refs(&product_form("Twin", "7", "1")),
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(field_errors(&body), vec!["slug".to_string()]);
    let first = app
        .state
        .core
        .db
        .collection::<Document>("products")
        .find_one(doc! {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.get_i64("price").unwrap(), 500);
}

#[tokio::test]
async fn stock_adjustments_never_go_below_zero() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let id = make_product(&app, "Counted Thing", 1000, 3).await;
    let up: i64 = admin
        .call_ok("admin/products/stock", &[("id", &id), ("delta", "+7")])
        .await;
    assert_eq!(up, 10);
    let too_far = admin
        .call("admin/products/stock", &[("id", &id), ("delta", "-11")])
        .await;
    assert_eq!(too_far.status(), 422);
    let nonsense = admin
        .call("admin/products/stock", &[("id", &id), ("delta", "lots")])
        .await;
    assert_eq!(nonsense.status(), 422);
    let down: i64 = admin
        .call_ok("admin/products/stock", &[("id", &id), ("delta", "-10")])
        .await;
    assert_eq!(down, 0);
}

#[tokio::test]
async fn a_form_posted_without_javascript_comes_back_saying_what_happened() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let id = make_product(&app, "Counted Without Script", 1000, 3).await;
    let page = format!("/admin/products/{id}");

    // A refused change comes back with its error, and no success mark.
    let refused = admin
        .post_form(
            "/api/admin/products/stock",
            &page,
            &[("id", &id), ("delta", "lots")],
        )
        .await;
    assert_eq!(refused.status(), 302);
    let back = location(&refused).replace(&admin.base, "");
    assert!(back.starts_with(&page), "{back}");
    assert!(back.contains("__err="), "{back}");
    assert!(!back.contains("__done="), "{back}");

    // Sent again from that page (its address still holds the old error), the
    // change is made and the page is told so; the old error is gone.
    let done = admin
        .post_form(
            "/api/admin/products/stock",
            &back,
            &[("id", &id), ("delta", "+4"), ("note", "Delivery")],
        )
        .await;
    assert_eq!(done.status(), 302);
    let back = location(&done).replace(&admin.base, "");
    assert_eq!(
        back,
        format!("{page}?__done=%2Fapi%2Fadmin%2Fproducts%2Fstock")
    );
    let html = admin.get(&back).await.text().await.unwrap();
    assert!(
        html.contains("The stock was changed; the history below has the change."),
        "the page says the change was made"
    );
    assert!(html.contains("Delivery"), "the history shows the change");
    let stock = store::find_by_id(&app.state.core.db, &ObjectId::parse_str(&id).unwrap())
        .await
        .unwrap()
        .unwrap()
        .stock;
    assert_eq!(stock, 7);

    // Sent from an address whose path starts with "//", the way back stays on
    // this shop.
    let odd = admin
        .post_form(
            "/api/admin/products/stock",
            "//evil.example/x",
            &[("id", &id), ("delta", "+1")],
        )
        .await;
    assert_eq!(odd.status(), 302);
    let to = location(&odd);
    assert!(to.starts_with(&format!("{}/", admin.base)), "{to}");

    // The same page reached any other way says nothing of it.
    let plain = admin.get(&page).await.text().await.unwrap();
    assert!(!plain.contains("The stock was changed"));
}

/// A real picture in `format`, `w`×`h` pixels, with some detail in it.
fn picture(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 7 % 256) as u8,
            (y * 3 % 256) as u8,
            ((x + y) % 256) as u8,
        ])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), format)
        .unwrap();
    out
}

/// How many picture files (resized and originals) the shop holds.
async fn stored_pictures(app: &TestApp) -> (u64, u64) {
    let db = &app.state.core.db;
    let resized = db
        .collection::<mongodb::bson::Document>("picture_files")
        .count_documents(doc! {})
        .await
        .unwrap();
    let originals = db
        .collection::<mongodb::bson::Document>("product_images.files")
        .count_documents(doc! {})
        .await
        .unwrap();
    (resized, originals)
}

fn upload_form(bytes: Vec<u8>, name: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .part(
            "image",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        )
        .text("alt", "A lamp on a desk")
}

#[tokio::test]
async fn pictures_are_resized_stored_and_served_with_long_caching() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let id = make_product(&app, "Pictured Lamp", 1000, 3).await;
    let url = admin.url(&format!("/admin/products/{id}/images"));
    let jpeg = picture(1500, 1000, image::ImageFormat::Jpeg);

    let guest = app
        .browser()
        .client
        .post(&url)
        .multipart(upload_form(jpeg.clone(), "a.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(guest.status(), 401);

    let res = admin
        .client
        .post(&url)
        .multipart(upload_form(jpeg.clone(), "a.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let pic = &body["picture"];
    let key = pic["key"].as_str().unwrap();
    assert_eq!(key.len(), 16, "a content hash names the files");
    let widths: Vec<u64> = pic["widths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_u64().unwrap())
        .collect();
    assert_eq!(widths, vec![160, 320, 640, 1024]);
    assert_eq!(
        (pic["width"].as_u64(), pic["height"].as_u64()),
        (Some(1024), Some(683))
    );
    // A width as served: WebP, cached for good, decoded at its width and the
    // picture's proportions; its ETag.
    let fetch_width = |w: u64| {
        let admin = &admin;
        let url = format!("/images/{key}-{w}.webp");
        async move {
            let file = admin.get(&url).await;
            assert_eq!(file.status(), 200);
            assert_eq!(file.headers()["content-type"], "image/webp");
            assert_eq!(
                file.headers()["cache-control"],
                "public, max-age=31536000, immutable"
            );
            let etag = file.headers()["etag"].to_str().unwrap().to_string();
            let bytes = file.bytes().await.unwrap();
            let decoded =
                image::load_from_memory_with_format(&bytes, image::ImageFormat::WebP).unwrap();
            assert_eq!(u64::from(decoded.width()), w);
            assert_eq!(decoded.height(), (w as u32 * 1000 + 750) / 1500);
            etag
        }
    };
    for w in &widths {
        let etag = fetch_width(*w).await;
        // A browser that has it is told it has not changed.
        let again = admin
            .client
            .get(admin.url(&format!("/images/{key}-{w}.webp")))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304);
    }
    // Served again from this instance's memory: the same bytes, no database read.
    let reads = app.state.core.db_commands.get("picture_files");
    for w in &widths {
        fetch_width(*w).await;
    }
    assert_eq!(app.state.core.db_commands.get("picture_files"), reads);
    // Finding a product by one of its pictures uses an index.
    let indexes = app
        .state
        .core
        .db
        .collection::<Document>("products")
        .list_index_names()
        .await
        .unwrap();
    assert!(
        indexes.iter().any(|n| n == "image_id") && indexes.iter().any(|n| n == "image_key"),
        "{indexes:?}"
    );
    assert_eq!(
        admin.get(&format!("/images/{key}-999.webp")).await.status(),
        404
    );
    // The original stays available under the picture's id (CSV exports link to it).
    let original = admin.get(body["url"].as_str().unwrap()).await;
    assert_eq!(original.status(), 200);
    assert_eq!(original.headers()["content-type"], "image/jpeg");
    assert_eq!(original.bytes().await.unwrap().as_ref(), jpeg.as_slice());
    // The product page and the listing use the widths.
    let slug = store::find_by_id(&app.state.core.db, &ObjectId::parse_str(&id).unwrap())
        .await
        .unwrap()
        .unwrap()
        .slug;
    let page = app
        .get(&format!("/products/{slug}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("/images/{key}-320.webp 320w")),
        "srcset on the product page"
    );
    assert!(
        page.contains("width=\"600\" height=\"400\""),
        "width and height keep the shape"
    );
    let stored_after_good = stored_pictures(&app).await;

    // Refused pictures: a clear message, nothing stored.
    let mut truncated = picture(400, 300, image::ImageFormat::Png);
    truncated.truncate(200);
    let refused: Vec<(Vec<u8>, &str, u16, &str)> = vec![
        (
            b"<script>alert(1)</script>".to_vec(),
            "evil.png",
            422,
            "not a PNG, JPEG, GIF or WebP",
        ),
        (
            b"%PDF-1.7 not a picture".to_vec(),
            "doc.pdf",
            422,
            "not a PNG, JPEG, GIF or WebP",
        ),
        (truncated, "broken.png", 422, "could not be read"),
        (
            picture(40, 40, image::ImageFormat::Png),
            "tiny.png",
            422,
            "at least 64 pixels",
        ),
        (
            picture(13_000, 80, image::ImageFormat::Png),
            "long.png",
            422,
            "at most 12000 pixels",
        ),
        (vec![0u8; 50 * 1024 * 1024], "huge.png", 413, "at most 5 MB"),
    ];
    for (bytes, name, status, message) in refused {
        let res = admin
            .client
            .post(&url)
            .multipart(upload_form(bytes, name))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), status, "{name}");
        let text = res.text().await.unwrap();
        assert!(text.contains(message), "{name}: {text}");
    }
    assert_eq!(
        stored_pictures(&app).await,
        stored_after_good,
        "refused pictures leave nothing behind"
    );

    // A browser form gets redirected back with the message.
    let form_post = admin
        .client
        .post(&url)
        .header("accept", "text/html")
        .multipart(upload_form(b"not an image".to_vec(), "x.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(form_post.status(), 303);
    assert!(form_post.headers()["location"]
        .to_str()
        .unwrap()
        .contains("image_error="));

    let product = store::find_by_id(&app.state.core.db, &ObjectId::parse_str(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(product.images.len(), 1);
    // Without pictures, the shop shows the placeholder.
    let bare = make_product(&app, "Bare Lamp", 1000, 3).await;
    let hit = search(&app, &[("q", "bare lamp")]).await;
    assert_eq!(hit.items[0].id, bare);
    assert!(hit.items[0].picture.is_placeholder());
    assert_eq!(hit.items[0].picture.url(320), "/placeholder.svg");
    assert_eq!(app.get("/placeholder.svg").await.status(), 200);
}

/// The admin's product form as a browser sends it (multipart, with its files).
fn product_form_post(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for (name, bytes) in files {
        form = form.part(
            "pictures",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
        );
    }
    form
}

async fn post_product_form(
    who: &Browser,
    from: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> reqwest::Response {
    who.client
        .post(who.url("/admin/products/save"))
        .header("accept", "text/html,application/xhtml+xml")
        .header("origin", who.url(""))
        .header("referer", who.url(from))
        .multipart(product_form_post(fields, files))
        .send()
        .await
        .unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn the_product_form_creates_a_product_with_its_pictures_in_one_post() {
    let app = spawn_app().await;
    let (admin, _) = app.admin().await;
    let db = &app.state.core.db;
    let fields = [
        ("form[name]", "Walnut Tray"),
        ("form[slug]", ""),
        ("form[description]", "Holds keys & coins."),
        ("form[price]", "24.50"),
        ("form[category_id]", ""),
        ("form[tags]", "tray, wood"),
        ("form[stock]", "7"),
        ("form[status]", "active"),
        ("alt", "A walnut tray"),
    ];
    let png = picture(800, 600, image::ImageFormat::Png);
    let jpeg = picture(400, 400, image::ImageFormat::Jpeg);
    let products = || async {
        db.collection::<Document>("products")
            .count_documents(doc! {})
            .await
            .unwrap()
    };

    // Only admins: a visitor is sent to sign in, a customer is refused.
    let guest = post_product_form(&app.browser(), "/admin/products/new", &fields, &[]).await;
    assert_eq!(guest.status(), 303);
    assert!(location(&guest).starts_with("/login?next="));
    let (customer, _) = app.customer().await;
    let refused = post_product_form(&customer, "/admin/products/new", &fields, &[]).await;
    assert_eq!(refused.status(), 403);

    // One file is not a picture: nothing is stored, and the form comes back with
    // the message and what was typed.
    let before = stored_pictures(&app).await;
    let res = post_product_form(
        &admin,
        "/admin/products/new",
        &fields,
        &[("tray.png", &png), ("notes.txt", b"just some words")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let back = location(&res);
    assert!(back.starts_with("/admin/products/new?__path="), "{back}");
    assert_eq!(stored_pictures(&app).await, before);
    assert_eq!(products().await, 0);
    let page = admin.get(&back).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(
            "“notes.txt” was not added: That file is not a PNG, JPEG, GIF or WebP picture."
        ),
        "the message is on the form"
    );
    assert!(
        html.contains("value=\"Walnut Tray\""),
        "the typed name is kept"
    );
    let textarea = html
        .find("<textarea")
        .map(|i| &html[i..(i + 200).min(html.len())])
        .unwrap_or("no textarea");
    assert!(
        textarea.contains(">Holds keys &amp; coins.</textarea>")
            || textarea.contains(">Holds keys & coins.</textarea>"),
        "the description is kept: {textarea}"
    );

    // A field error is shown the same way, before any picture is read.
    let mut bad = fields.to_vec();
    bad[3] = ("form[price]", "twelve");
    let res = post_product_form(&admin, "/admin/products/new", &bad, &[("tray.png", &png)]).await;
    let html = admin.get(&location(&res)).await.text().await.unwrap();
    assert!(html.contains("value=\"twelve\""), "the typed price is kept");
    assert_eq!(stored_pictures(&app).await, before);

    // Both pictures good: the product is created with them, in one post.
    let res = post_product_form(
        &admin,
        "/admin/products/new",
        &fields,
        &[("tray.png", &png), ("tray-top.jpg", &jpeg)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    let id = to
        .strip_prefix("/admin/products/")
        .and_then(|r| r.strip_suffix("?created=1"))
        .unwrap_or_else(|| panic!("{to}"))
        .to_string();
    let oid = ObjectId::parse_str(&id).unwrap();
    let p = store::find_by_id(db, &oid).await.unwrap().unwrap();
    assert_eq!(
        (p.name.as_str(), p.price, p.stock),
        ("Walnut Tray", 2450, 7)
    );
    assert_eq!(p.images.len(), 2);
    assert!(p
        .images
        .iter()
        .all(|i| i.alt == "A walnut tray" && !i.widths.is_empty()));
    assert_eq!((p.images[0].width, p.images[0].height), (800, 600));
    assert_eq!(stored_pictures(&app).await.1, before.1 + 2);
    let created = admin.get(&to).await.text().await.unwrap();
    assert!(created.contains("The product was created."));
    // The opening stock is the first entry of its history.
    let history: StockHistory = admin
        .call_ok("admin/products/stock-history", &[("id", &id)])
        .await;
    assert_eq!(history.entries.len(), 1);
    assert_eq!(
        (history.entries[0].delta, history.entries[0].note.as_str()),
        (7, "Opening stock")
    );
    // The shop shows the first picture right away.
    let first_key = p.images[0].key.clone().unwrap();
    let shop = app.get("/products/walnut-tray").await.text().await.unwrap();
    assert!(shop.contains(&format!("/images/{first_key}-")));

    // Editing: take the first picture off, add another, change the price; a
    // typed stock changes nothing.
    let first_id = p.images[0].id.to_hex();
    let second_id = p.images[1].id;
    let third = picture(300, 200, image::ImageFormat::Png);
    let from = format!("/admin/products/{id}");
    let mut edit = fields.to_vec();
    edit[3] = ("form[price]", "19.00");
    edit[6] = ("form[stock]", "99");
    edit.push(("id", &id));
    edit.push(("remove_image", &first_id));
    let res = post_product_form(&admin, &from, &edit, &[("side.png", &third)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("{from}?saved=1"));
    let p = store::find_by_id(db, &oid).await.unwrap().unwrap();
    assert_eq!((p.price, p.stock), (1900, 7));
    assert_eq!(p.images.len(), 2);
    assert_eq!(p.images[0].id, second_id);
    assert_eq!(p.images[1].width, 300);
    assert_eq!(
        admin.get(&format!("/images/{first_id}")).await.status(),
        404
    );

    // A caller that is not a browser gets JSON: field errors as a 422.
    let res = admin
        .client
        .post(admin.url("/admin/products/save"))
        .multipart(product_form_post(
            &[("form[name]", ""), ("form[price]", "1")],
            &[],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["fields"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["field"] == "name")),
        "{body}"
    );
}

async fn search(app: &TestApp, params: &[(&str, &str)]) -> SearchResults {
    let form: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (format!("params[{k}]"), v.to_string()))
        .collect();
    let res = app
        .browser()
        .client
        .post(app.url("/api/catalog/search"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "search {params:?}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn search_matches_a_brute_force_filter_for_every_combination() {
    let app = spawn_app().await;
    oxcart::catalog::seed::run(
        &app.state.core.db,
        300,
        oxcart::shared::Currency::Usd,
        false,
        false,
    )
    .await
    .unwrap();
    // Archive a few so "active only" is tested too.
    app.state
        .core
        .db
        .collection::<Document>("products")
        .update_many(
            doc! { "price": { "$lt": 1500 } },
            doc! { "$set": { "status": "archived" } },
        )
        .await
        .unwrap();
    oxcart::catalog::sync::full_build(&app.state.core.db, &app.state.catalog.search, &|_| {})
        .await
        .unwrap();

    let products: Vec<Product> = {
        use futures::TryStreamExt;
        store::products(&app.state.core.db)
            .find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    };
    let categories = store::list_categories(&app.state.core.db).await.unwrap();
    let in_subtree = |cat: &store::Category, p: &Product| -> bool {
        let mut cur = p.category_id;
        while let Some(c) = cur {
            if c == cat.id {
                return true;
            }
            cur = categories
                .iter()
                .find(|x| x.id == c)
                .and_then(|x| x.parent_id);
        }
        false
    };
    let mut cats: Vec<Option<&store::Category>> = vec![None];
    cats.extend(
        categories
            .iter()
            .filter(|c| matches!(c.slug.as_str(), "home-living" | "lighting" | "books"))
            .map(Some),
    );
    let prices = [
        (None, None),
        (Some(2500), Some(9999)),
        (Some(10000), None),
        (None, Some(2499)),
    ];
    for cat in &cats {
        for (lo, hi) in prices {
            for in_stock in [false, true] {
                for sort in [Sort::PriceAsc, Sort::PriceDesc, Sort::Newest] {
                    let expected: Vec<&Product> = products
                        .iter()
                        .filter(|p| p.status == ProductStatus::Active)
                        .filter(|p| cat.is_none_or(|c| in_subtree(c, p)))
                        // A product matches when one of its variants does (in
                        // stock, when asked).
                        .filter(|p| {
                            p.variants.iter().any(|v| {
                                lo.is_none_or(|l| v.price >= l)
                                    && hi.is_none_or(|h| v.price <= h)
                                    && (!in_stock || v.stock > 0)
                            })
                        })
                        .filter(|p| !in_stock || p.stock > 0)
                        .collect();
                    let query = SearchQuery {
                        q: String::new(),
                        category: cat.map(|c| c.slug.to_string()),
                        min_price: lo,
                        max_price: hi,
                        in_stock,
                        sort,
                        page: 1,
                        per_page: 1000,
                        status: StatusFilter::Active,
                        featured_only: false,
                        ..Default::default()
                    };
                    let got = app.state.catalog.search.search(&query).unwrap();
                    assert_eq!(got.total as usize, expected.len(), "{query:?}");
                    let mut got_ids: Vec<String> = got.items.iter().map(|c| c.id.clone()).collect();
                    let mut want_ids: Vec<String> =
                        expected.iter().map(|p| p.id.to_hex()).collect();
                    // Sorted correctly...
                    // Lowest price ascending, highest price descending.
                    let highest = |id: &str| {
                        products
                            .iter()
                            .find(|p| p.id.to_hex() == id)
                            .and_then(|p| p.variants.iter().map(|v| v.price).max())
                            .unwrap_or(0)
                    };
                    let keys: Vec<i64> = got
                        .items
                        .iter()
                        .map(|c| {
                            if sort == Sort::PriceDesc {
                                highest(&c.id)
                            } else {
                                c.price.minor()
                            }
                        })
                        .collect();
                    match sort {
                        Sort::PriceAsc => {
                            assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{query:?}")
                        }
                        Sort::PriceDesc => {
                            assert!(keys.windows(2).all(|w| w[0] >= w[1]), "{query:?}")
                        }
                        _ => {}
                    }
                    // ...and exactly the matching products.
                    got_ids.sort();
                    want_ids.sort();
                    assert_eq!(got_ids, want_ids, "{query:?}");
                    // Category facet counts ignore the category filter, price bands the price filter.
                    // Without a price filter the bands split exactly the hits; with one,
                    // they still count every price (so other bands can be chosen).
                    // A product counts in every band one of its variants is in.
                    let band_total: u64 = got.price_bands.iter().map(|b| b.count).sum();
                    assert!(band_total >= got.total, "{query:?}");
                    if lo.is_none() && hi.is_none() {
                        let spanning = expected
                            .iter()
                            .filter(|p| p.variants.iter().any(|v| v.price != p.price))
                            .count() as u64;
                        if spanning == 0 {
                            assert_eq!(band_total, got.total, "{query:?}");
                        }
                    }
                    // Category counts ignore the category filter: the chosen one has all the hits.
                    if let Some(c) = cat {
                        let own = got
                            .categories
                            .iter()
                            .find(|f| f.slug == c.slug.as_str())
                            .map(|f| f.count)
                            .unwrap_or(0);
                        assert_eq!(own, got.total, "{query:?}");
                    }
                }
            }
        }
    }

    // Paging walks every result exactly once.
    let mut seen = std::collections::HashSet::new();
    let mut page = 1;
    loop {
        let r = app
            .state
            .catalog
            .search
            .search(&SearchQuery {
                page,
                per_page: 24,
                sort: Sort::PriceAsc,
                ..Default::default()
            })
            .unwrap();
        if r.items.is_empty() {
            break;
        }
        for i in &r.items {
            assert!(seen.insert(i.id.clone()), "{} twice", i.id);
        }
        page += 1;
    }
    let active = products
        .iter()
        .filter(|p| p.status == ProductStatus::Active)
        .count();
    assert_eq!(seen.len(), active);
}

#[tokio::test]
async fn relevance_puts_the_exact_name_first_and_tolerates_a_typo() {
    let app = spawn_app().await;
    oxcart::catalog::seed::run(
        &app.state.core.db,
        200,
        oxcart::shared::Currency::Usd,
        false,
        false,
    )
    .await
    .unwrap();
    let target = make_product(&app, "Brass Telescope", 12900, 4).await;
    make_product(&app, "Brass Telescope Stand", 3900, 4).await;
    make_product(&app, "Telescope Cleaning Kit for Brass Lenses", 1900, 4).await;
    oxcart::catalog::sync::full_build(&app.state.core.db, &app.state.catalog.search, &|_| {})
        .await
        .unwrap();

    let exact = search(&app, &[("q", "Brass Telescope")]).await;
    assert_eq!(exact.items[0].id, target, "exact name first");
    let typo = search(&app, &[("q", "brass telscope")]).await;
    assert!(
        typo.items.iter().take(3).any(|i| i.id == target),
        "one-letter typo still finds it"
    );
    let prefix = search(&app, &[("q", "teles")]).await;
    assert!(
        prefix.items.iter().any(|i| i.id == target),
        "prefix matches as you type"
    );
    let stem = search(&app, &[("q", "telescopes")]).await;
    assert!(
        stem.items.iter().any(|i| i.id == target),
        "plural finds the singular"
    );
    let nothing = search(&app, &[("q", "zzqxv")]).await;
    assert_eq!(nothing.total, 0);
    assert!(!nothing.suggestions.is_empty());
}

fn nonce_in_header(res: &reqwest::Response) -> String {
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    let start = csp.find("'nonce-").expect("a page has a nonce") + 7;
    csp[start..start + csp[start..].find('\'').unwrap()].to_string()
}

#[tokio::test]
async fn product_pages_come_from_memory_and_follow_database_changes_within_a_second() {
    let app = spawn_app().await;
    let products = app.state.core.db.collection::<Document>("products");
    let id =
        ObjectId::parse_str(make_product(&app, "Velvet Otter Cushion", 2500, 4).await).unwrap();
    products
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "slug": "velvet-otter-cushion" } },
        )
        .await
        .unwrap();
    let page = |path: &'static str| {
        let app = &app;
        async move {
            let res = app.get(path).await;
            let status = res.status();
            let nonce = (status == 200).then(|| nonce_in_header(&res));
            let html = res.text().await.unwrap();
            if let Some(n) = &nonce {
                assert!(
                    html.contains(&format!("nonce=\"{n}\"")),
                    "the page uses its header's nonce"
                );
            }
            (status, nonce, html)
        }
    };
    let shows = |path: &'static str, text: &'static str| {
        let page = &page;
        move || async move {
            let (status, _, html) = page(path).await;
            status == 200 && html.contains(text)
        }
    };
    assert!(
        synced_within_a_second(&app, shows("/products/velvet-otter-cushion", "$25.00")).await,
        "a new product has its page"
    );
    // Visitors without a session get the same page, each answer with its own nonce.
    let (_, n1, first) = page("/products/velvet-otter-cushion").await;
    let (_, n2, second) = page("/products/velvet-otter-cushion").await;
    let (n1, n2) = (n1.unwrap(), n2.unwrap());
    assert_ne!(n1, n2);
    assert_eq!(first.replace(&n1, "NONCE"), second.replace(&n2, "NONCE"));
    let (_, _, listing) = page("/products").await;
    assert!(listing.contains("Velvet Otter Cushion"));

    // The database changes: every page follows within a second.
    products
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "price": 1900_i64, "variants.0.price": 1900_i64, "name": "Velvet Badger Cushion" } },
        )
        .await
        .unwrap();
    assert!(
        synced_within_a_second(&app, shows("/products/velvet-otter-cushion", "$19.00")).await,
        "a price change reaches the product page"
    );
    assert!(page("/products").await.2.contains("Velvet Badger Cushion"));
    // A signed-in shopper gets a page rendered for them, not a visitor's page.
    let (shopper, _) = app.customer().await;
    let mine = shopper
        .get("/products/velvet-otter-cushion")
        .await
        .text()
        .await
        .unwrap();
    assert!(mine.contains("Sam Shopper"), "the header names the shopper");
    assert!(!page("/products/velvet-otter-cushion")
        .await
        .2
        .contains("Sam Shopper"));

    // A new address: the old one is gone, the new one answers.
    products
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "slug": "velvet-badger-cushion" } },
        )
        .await
        .unwrap();
    assert!(
        synced_within_a_second(&app, shows("/products/velvet-badger-cushion", "$19.00")).await,
        "the new address answers"
    );
    assert_eq!(page("/products/velvet-otter-cushion").await.0, 404);
    // Archived: gone for visitors.
    products
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "status": "archived" } },
        )
        .await
        .unwrap();
    let gone = || async { page("/products/velvet-badger-cushion").await.0 == 404 };
    assert!(
        synced_within_a_second(&app, gone).await,
        "archiving hides the page"
    );
}

#[tokio::test]
async fn database_changes_show_in_search_within_a_second() {
    let app = spawn_app().await;
    let products = app.state.core.db.collection::<Document>("products");
    let id = ObjectId::new();
    let now = DateTime::now();
    products
        .insert_one(doc! {
            "_id": id, "name": "Glimmering Quokka Mug", "slug": "glimmering-quokka-mug",
            "description": "", "price": 1200_i64, "currency": "usd", "category_id": null, "tags": [],
            "stock": 3_i64, "status": "active", "featured": false, "images": [], "reservations": [],
            "created_at": now, "updated_at": now,
        })
        .await
        .unwrap();
    let found = |q: &'static str| {
        let app = &app;
        move || async move {
            app.state
                .catalog
                .search
                .search(&SearchQuery {
                    q: q.into(),
                    per_page: 10,
                    page: 1,
                    ..Default::default()
                })
                .unwrap()
                .total
                == 1
        }
    };
    assert!(
        synced_within_a_second(&app, found("quokka")).await,
        "insert synced"
    );
    products
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "name": "Shimmering Wombat Mug" } },
        )
        .await
        .unwrap();
    assert!(
        synced_within_a_second(&app, found("wombat")).await,
        "edit synced"
    );
    products
        .update_one(
            doc! { "_id": id },
            doc! { "$set": { "status": "archived" } },
        )
        .await
        .unwrap();
    let gone = || async {
        app.state
            .catalog
            .search
            .search(&SearchQuery {
                q: "wombat".into(),
                per_page: 10,
                page: 1,
                ..Default::default()
            })
            .unwrap()
            .total
            == 0
    };
    assert!(synced_within_a_second(&app, gone).await, "archive synced");
}

#[tokio::test]
async fn a_second_instance_sees_changes_made_through_the_first() {
    let app = spawn_app().await;
    let other = crate::helpers::spawn_app_with_db(&app.db_name).await;
    let (admin, _) = app.admin().await;
    let form = product_form("Velvet Armadillo Cushion", "25", "4");
    admin
        .call_ok::<String>("admin/products/save", &as_refs(&form))
        .await;
    let seen = || async {
        other
            .state
            .catalog
            .search
            .search(&SearchQuery {
                q: "armadillo".into(),
                per_page: 10,
                page: 1,
                ..Default::default()
            })
            .unwrap()
            .total
            == 1
    };
    assert!(synced_within_a_second(&other, seen).await);
}

#[tokio::test]
async fn bad_search_urls_get_a_clear_4xx_page_not_a_500() {
    let app = spawn_app().await;
    let long = "q".repeat(5 * 1024);
    for path in [
        "/products?page=-1".to_string(),
        "/products?page=1000000000000".to_string(),
        "/products?page=abc".to_string(),
        format!("/products?q={long}"),
        "/products?min_price=abc".to_string(),
        "/products?min_price=-5".to_string(),
        "/products?sort=%24where".to_string(),
        "/products?min_price=50&max_price=10".to_string(),
    ] {
        let res = app.get(&path).await;
        assert!(res.status().is_client_error(), "{path}: {}", res.status());
        let html = res.text().await.unwrap();
        assert!(html.contains("Please check your request"), "{path}");
    }
    assert_eq!(
        app.get("/products?category=no-such-category")
            .await
            .status(),
        404
    );
    assert_eq!(app.get("/products/no-such-product").await.status(), 404);
    let operator = app.get("/products?q[$gt]=").await;
    assert!(operator.status().as_u16() < 500);
}

#[tokio::test]
async fn the_guessed_search_address_leads_to_the_listing_with_the_query_kept() {
    let app = spawn_app().await;
    let res = app.get("/search?q=desk+lamp&sort=price_asc").await;
    assert_eq!(res.status(), 308);
    let to = location(&res);
    assert_eq!(to, "/products?q=desk+lamp&sort=price_asc");
    let listing = app.get(&to).await;
    assert_eq!(listing.status(), 200);
    let html = listing.text().await.unwrap();
    assert!(
        html.contains(r#"value="desk lamp""#),
        "the listing's search box holds the query"
    );
    let bare = app.get("/search").await;
    assert_eq!(bare.status(), 308);
    assert_eq!(location(&bare), "/products");
}

#[tokio::test]
async fn storefront_pages_render_without_javascript() {
    let app = spawn_app().await;
    oxcart::catalog::seed::run(
        &app.state.core.db,
        60,
        oxcart::shared::Currency::Usd,
        false,
        false,
    )
    .await
    .unwrap();
    app.state
        .core
        .db
        .collection::<Document>("products")
        .update_many(doc! {}, doc! { "$set": { "featured": false } })
        .await
        .unwrap();
    let star = make_product(&app, "Star Of The Home Page", 4200, 9).await;
    app.state
        .core
        .db
        .collection::<Document>("products")
        .update_one(
            doc! { "_id": ObjectId::parse_str(&star).unwrap() },
            doc! { "$set": { "featured": true } },
        )
        .await
        .unwrap();
    oxcart::catalog::sync::full_build(&app.state.core.db, &app.state.catalog.search, &|_| {})
        .await
        .unwrap();
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("New arrivals"));
    assert!(home.contains("Shop by category"));
    let featured = &home[home
        .find("id=\"featured-title\"")
        .expect("a featured section")..];
    let featured = &featured[..featured.find("</section>").unwrap()];
    assert!(featured.contains("Star Of The Home Page"));
    assert_eq!(
        featured.matches("class=\"product-card\"").count(),
        1,
        "only featured products"
    );
    let list = app.get("/products?category=lighting&sort=price_asc").await;
    assert_eq!(list.status(), 200);
    let html = list.text().await.unwrap();
    assert!(html.contains("Showing 1–"));
    assert!(html.contains("Price ranges"));
    let empty = app.get("/products?q=zzqxvv").await.text().await.unwrap();
    assert!(empty.contains("No products match your search."));
}

#[tokio::test]
async fn the_same_seed_gives_the_same_catalog() {
    let a = spawn_app().await;
    let b = spawn_app().await;
    oxcart::catalog::seed::run(
        &a.state.core.db,
        50,
        oxcart::shared::Currency::Usd,
        false,
        false,
    )
    .await
    .unwrap();
    oxcart::catalog::seed::run(
        &b.state.core.db,
        50,
        oxcart::shared::Currency::Usd,
        false,
        false,
    )
    .await
    .unwrap();
    let snapshot = |app: &TestApp| {
        let db = app.state.core.db.clone();
        async move {
            use futures::TryStreamExt;
            let mut v: Vec<(String, i64, i64)> = store::products(&db)
                .find(doc! {})
                .await
                .unwrap()
                .try_collect::<Vec<_>>()
                .await
                .unwrap()
                .into_iter()
                .map(|p| (p.slug.to_string(), p.price, p.stock))
                .collect();
            v.sort();
            v
        }
    };
    let (sa, sb) = (snapshot(&a).await, snapshot(&b).await);
    assert_eq!(sa.len(), 50);
    assert_eq!(sa, sb);
    let cats = store::list_categories(&a.state.core.db).await.unwrap();
    assert!(cats.len() >= 12);
    // Seeding again adds nothing.
    let n = oxcart::catalog::seed::run(
        &a.state.core.db,
        50,
        oxcart::shared::Currency::Usd,
        false,
        false,
    )
    .await
    .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn pictures_saved_before_resizing_get_their_widths_on_upgrade() {
    let app = spawn_app().await;
    let db = &app.state.core.db;
    let id = make_product(&app, "Old Picture Lamp", 1000, 3).await;
    let oid = ObjectId::parse_str(&id).unwrap();
    // Two pictures in the old shape: one with its original in GridFS, one whose
    // original is gone.
    let png = picture(300, 200, image::ImageFormat::Png);
    let kept = oxcart::catalog::images::store_image(db, &png, "image/png")
        .await
        .unwrap();
    let lost = ObjectId::new();
    db.collection::<Document>("products")
        .update_one(
            doc! { "_id": oid },
            doc! { "$set": { "images": [
                { "id": kept, "alt": "Old lamp", "content_type": "image/png" },
                { "id": lost, "alt": "Lost lamp", "content_type": "image/png" },
            ] } },
        )
        .await
        .unwrap();

    let changed = oxcart::catalog::migrate::pictures_to_widths(db.clone())
        .await
        .unwrap();
    assert_eq!(changed, 1);
    let p = store::find_by_id(db, &oid).await.unwrap().unwrap();
    let first = &p.images[0];
    assert_eq!(first.widths, vec![160, 300]);
    assert_eq!((first.width, first.height), (300, 200));
    let key = first.key.clone().unwrap();
    let file = app.get(&format!("/images/{key}-160.webp")).await;
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "image/webp");
    // The picture without an original stays as it was, and still has its address.
    assert!(p.images[1].key.is_none());
    assert_eq!(p.images[1].alt, "Lost lamp");
    // Running again changes nothing.
    assert_eq!(
        oxcart::catalog::migrate::pictures_to_widths(db.clone())
            .await
            .unwrap(),
        0
    );
    // Pages use the widths of the converted one and the original of the other.
    oxcart::catalog::sync::refresh(db, &app.state.catalog.search, &[oid])
        .await
        .unwrap();
    let page = app
        .get(&format!("/products/{}", p.slug))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/images/{key}-300.webp 300w")));
    // An old address of a picture keeps working: the original, or the largest width.
    assert_eq!(app.get(&format!("/images/{kept}")).await.status(), 200);
}

/// The JSON-LD block of a product page, parsed.
fn structured_data(html: &str) -> Value {
    let start = html
        .find(r#"<script type="application/ld+json">"#)
        .expect("a JSON-LD block")
        + r#"<script type="application/ld+json">"#.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).expect("valid JSON")
}

#[tokio::test]
async fn search_engines_get_structured_data_a_sitemap_and_robots_rules() {
    let app = spawn_app().await;
    let db = &app.state.core.db;
    let name = "Lamp </script><script>alert(1)</script>";
    let id = make_product(&app, name, 1250, 4).await;
    let hidden = make_product(&app, "Hidden Lamp", 900, 2).await;
    store::products(db)
        .update_one(
            doc! { "_id": ObjectId::parse_str(&hidden).unwrap() },
            doc! { "$set": { "status": "archived" } },
        )
        .await
        .unwrap();
    let slug_of = |id: String| async move {
        store::find_by_id(db, &ObjectId::parse_str(&id).unwrap())
            .await
            .unwrap()
            .unwrap()
            .slug
            .to_string()
    };
    let (slug, hidden_slug) = (slug_of(id).await, slug_of(hidden).await);

    let html = app
        .get(&format!("/products/{slug}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("<script>alert(1)"),
        "the name cannot end the JSON-LD script"
    );
    let data = structured_data(&html);
    assert_eq!(data["@type"], "Product");
    assert_eq!(data["name"], name);
    assert_eq!(data["offers"]["@type"], "Offer");
    assert_eq!(data["offers"]["price"], "12.50");
    assert_eq!(data["offers"]["priceCurrency"], "USD");
    assert_eq!(data["offers"]["availability"], "https://schema.org/InStock");
    assert!(data["offers"]["url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/products/{slug}")));
    assert!(html.contains(r#"aria-label="Breadcrumb""#));

    let robots = app.get("/robots.txt").await;
    assert_eq!(robots.status(), 200);
    let robots = robots.text().await.unwrap();
    assert!(robots.contains("Disallow: /admin") && robots.contains("Disallow: /checkout"));
    assert!(robots.contains("Sitemap: ") && robots.contains("/sitemap.xml"));

    let sitemap = app.get("/sitemap.xml").await;
    assert_eq!(sitemap.status(), 200);
    assert!(sitemap.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/xml"));
    let xml = sitemap.text().await.unwrap();
    assert!(xml.starts_with("<?xml") && xml.contains("<urlset"));
    assert!(xml.contains(&format!("/products/{slug}</loc><lastmod>")));
    assert!(
        !xml.contains(&hidden_slug),
        "archived products are not listed"
    );
    assert_eq!(app.get("/sitemaps/products-1.xml").await.status(), 200);
    assert_eq!(app.get("/sitemaps/products-9.xml").await.status(), 404);
    assert_eq!(app.get("/sitemaps/nonsense.xml").await.status(), 404);
}
