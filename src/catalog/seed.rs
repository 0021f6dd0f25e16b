//! `oxcart seed --products N`: a deterministic, realistic demo catalog.
//! The same N always gives the same products (names, prices, stock, text).

use std::collections::HashSet;

use futures::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use mongodb::bson::{doc, oid::ObjectId, DateTime};
use mongodb::Database;

use super::store::{self, Category, Product};
use super::types::ProductStatus;
use crate::kernel::Result;
use crate::shared::domain::slugify;
use crate::shared::{Currency, Slug};

/// SplitMix64: tiny, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

struct CategorySpec {
    name: &'static str,
    slug: &'static str,
    parent: Option<&'static str>,
    description: &'static str,
    nouns: &'static [&'static str],
    materials: &'static [&'static str],
    tags: &'static [&'static str],
    /// Price range in cents.
    price: (i64, i64),
    /// Weight range in grams.
    grams: (i64, i64),
}

/// One option of a demo product: name, values, and each value's price step in percent.
type OptionPlan = (&'static str, Vec<&'static str>, Vec<i64>);

/// The options a demo product is sold in, by what it is.
fn options_for(noun: &str, category: &str, rng: &mut Rng) -> Vec<OptionPlan> {
    let colours = |rng: &mut Rng| {
        let start = rng.below(COLOUR_NAMES.len() as u64) as usize;
        let n = 2 + rng.below(2) as usize;
        (0..n)
            .map(|k| COLOUR_NAMES[(start + k) % COLOUR_NAMES.len()])
            .collect::<Vec<_>>()
    };
    match (category, noun) {
        ("clothing", "Sweater" | "T-Shirt" | "Rain Jacket") => {
            let c = colours(rng);
            let n = c.len();
            vec![
                ("Size", vec!["XS", "S", "M", "L", "XL"], vec![0, 0, 0, 0, 5]),
                ("Colour", c, vec![0; n]),
            ]
        }
        ("clothing", "Socks") => {
            let c = colours(rng);
            let n = c.len();
            vec![
                ("Size", vec!["S/M", "L/XL"], vec![0, 0]),
                ("Colour", c, vec![0; n]),
            ]
        }
        ("clothing", _) => {
            let c = colours(rng);
            let n = c.len();
            vec![("Colour", c, vec![0; n])]
        }
        ("furniture", _) => vec![(
            "Finish",
            vec!["Natural oak", "Smoked walnut", "Black ash"],
            vec![0, 20, 10],
        )],
        ("lighting", "Desk Lamp" | "Floor Lamp" | "Pendant Light") => vec![(
            "Finish",
            vec!["Brushed brass", "Matte black", "White"],
            vec![15, 0, 0],
        )],
        _ => Vec::new(),
    }
}

const COLOUR_NAMES: &[&str] = &["Black", "White", "Sage", "Navy", "Sand", "Rust", "Charcoal"];

const CATEGORIES: &[CategorySpec] = &[
    CategorySpec {
        name: "Home & Living",
        slug: "home-living",
        parent: None,
        description: "Everything for a comfortable home.",
        nouns: &[
            "Throw Blanket",
            "Cushion",
            "Vase",
            "Wall Clock",
            "Mirror",
            "Candle",
        ],
        materials: &["Wool", "Linen", "Ceramic", "Glass", "Cotton"],
        tags: &["home", "decor", "gift"],
        grams: (300, 4000),
        price: (1200, 12000),
    },
    CategorySpec {
        name: "Lighting",
        slug: "lighting",
        parent: Some("home-living"),
        description: "Lamps and lights for every room.",
        nouns: &[
            "Desk Lamp",
            "Floor Lamp",
            "Pendant Light",
            "String Lights",
            "Lantern",
            "Wall Sconce",
        ],
        materials: &["Brass", "Oak", "Walnut", "Steel", "Paper", "Glass"],
        tags: &["lighting", "lamp", "led"],
        grams: (400, 6000),
        price: (1500, 25000),
    },
    CategorySpec {
        name: "Kitchen",
        slug: "kitchen",
        parent: Some("home-living"),
        description: "Cookware and tools for the kitchen.",
        nouns: &[
            "Chef Knife",
            "Cutting Board",
            "Saucepan",
            "Coffee Grinder",
            "Teapot",
            "Mixing Bowl Set",
        ],
        materials: &["Steel", "Cast Iron", "Bamboo", "Ceramic", "Copper"],
        tags: &["kitchen", "cooking", "tools"],
        grams: (200, 5000),
        price: (900, 18000),
    },
    CategorySpec {
        name: "Furniture",
        slug: "furniture",
        parent: Some("home-living"),
        description: "Tables, chairs and storage.",
        nouns: &[
            "Side Table",
            "Armchair",
            "Bookshelf",
            "Bench",
            "Stool",
            "Coat Rack",
        ],
        materials: &["Oak", "Walnut", "Pine", "Steel", "Rattan"],
        tags: &["furniture", "living room"],
        grams: (4000, 30000),
        price: (4900, 89000),
    },
    CategorySpec {
        name: "Garden",
        slug: "garden",
        parent: None,
        description: "Tools and furniture for the garden.",
        nouns: &[
            "Planter",
            "Watering Can",
            "Pruning Shears",
            "Garden Hose",
            "Bird Feeder",
            "Seed Kit",
        ],
        materials: &[
            "Terracotta",
            "Galvanised Steel",
            "Cedar",
            "Recycled Plastic",
        ],
        tags: &["garden", "outdoor", "plants"],
        grams: (300, 15000),
        price: (700, 9000),
    },
    CategorySpec {
        name: "Outdoor & Camping",
        slug: "outdoor-camping",
        parent: None,
        description: "Gear for trips and trails.",
        nouns: &[
            "Tent",
            "Sleeping Bag",
            "Backpack",
            "Camping Stove",
            "Headlamp",
            "Water Bottle",
        ],
        materials: &["Nylon", "Ripstop", "Titanium", "Aluminium", "Down"],
        tags: &["camping", "hiking", "outdoor"],
        grams: (200, 6000),
        price: (1500, 45000),
    },
    CategorySpec {
        name: "Electronics",
        slug: "electronics",
        parent: None,
        description: "Gadgets and accessories.",
        nouns: &[
            "Power Bank",
            "USB-C Charger",
            "Smart Plug",
            "Webcam",
            "Keyboard",
            "Mouse",
        ],
        materials: &["Aluminium", "Matte", "Compact", "Wireless"],
        tags: &["electronics", "gadget", "tech"],
        grams: (100, 3000),
        price: (1900, 24000),
    },
    CategorySpec {
        name: "Audio",
        slug: "audio",
        parent: Some("electronics"),
        description: "Speakers and headphones.",
        nouns: &[
            "Headphones",
            "Earbuds",
            "Bluetooth Speaker",
            "Turntable",
            "Soundbar",
        ],
        materials: &["Wireless", "Studio", "Portable", "Noise-Cancelling"],
        tags: &["audio", "music", "sound"],
        grams: (150, 4000),
        price: (2900, 39000),
    },
    CategorySpec {
        name: "Office",
        slug: "office",
        parent: None,
        description: "Desks, paper and organisers.",
        nouns: &[
            "Notebook",
            "Fountain Pen",
            "Desk Organiser",
            "Monitor Stand",
            "Planner",
            "Letter Tray",
        ],
        materials: &["Leather", "Recycled Paper", "Bamboo", "Felt", "Steel"],
        tags: &["office", "stationery", "desk"],
        grams: (100, 8000),
        price: (500, 15000),
    },
    CategorySpec {
        name: "Books",
        slug: "books",
        parent: None,
        description: "Stories and guides.",
        nouns: &[
            "Cookbook",
            "Field Guide",
            "Novel",
            "Atlas",
            "Poetry Collection",
            "Sketchbook",
        ],
        materials: &["Hardcover", "Paperback", "Illustrated", "Pocket"],
        tags: &["books", "reading", "gift"],
        grams: (200, 1500),
        price: (900, 4500),
    },
    CategorySpec {
        name: "Toys & Games",
        slug: "toys-games",
        parent: None,
        description: "Play for every age.",
        nouns: &[
            "Board Game",
            "Puzzle",
            "Building Blocks",
            "Kite",
            "Plush Bear",
            "Card Game",
        ],
        materials: &["Wooden", "Cardboard", "Organic Cotton", "Recycled"],
        tags: &["toys", "games", "kids"],
        grams: (100, 2500),
        price: (800, 7500),
    },
    CategorySpec {
        name: "Clothing",
        slug: "clothing",
        parent: None,
        description: "Everyday wear.",
        nouns: &[
            "Sweater",
            "T-Shirt",
            "Rain Jacket",
            "Scarf",
            "Beanie",
            "Socks",
        ],
        materials: &[
            "Merino",
            "Organic Cotton",
            "Linen",
            "Fleece",
            "Waxed Cotton",
        ],
        tags: &["clothing", "apparel"],
        grams: (80, 1200),
        price: (1200, 19000),
    },
    CategorySpec {
        name: "Accessories",
        slug: "accessories",
        parent: None,
        description: "Bags, wallets and small things.",
        nouns: &[
            "Wallet",
            "Tote Bag",
            "Sunglasses",
            "Watch",
            "Belt",
            "Keyring",
        ],
        materials: &["Leather", "Canvas", "Cork", "Steel", "Recycled Nylon"],
        tags: &["accessories", "gift"],
        grams: (30, 800),
        price: (900, 25000),
    },
];

const ADJECTIVES: &[&str] = &[
    "Classic", "Nordic", "Minimal", "Vintage", "Rustic", "Modern", "Compact", "Everyday",
    "Handmade", "Heritage", "Coastal", "Urban", "Alpine", "Studio", "Field", "Harbor",
];
const MODELS: &[&str] = &[
    "Aria", "Nova", "Atlas", "Ember", "Fjord", "Juniper", "Linden", "Mira", "Orbit", "Pico",
    "Quill", "Rowan", "Sol", "Tide", "Vale", "Willow", "Zephyr", "Birch", "Cedar", "Dune",
];
const COLOURS: &[&str] = &[
    "black", "white", "sage", "navy", "sand", "rust", "charcoal", "natural",
];
const FEATURES: &[&str] = &[
    "Built to last for years of daily use.",
    "Designed in a small studio and made in limited runs.",
    "Easy to clean and simple to care for.",
    "Packed in plastic-free, recyclable packaging.",
    "Backed by our two-year guarantee.",
    "A thoughtful gift that people actually use.",
    "Light enough to take anywhere.",
    "Finished by hand, so each one is slightly different.",
];

/// "a" or "an", by how the next word sounds (good enough for the demo's words).
fn article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// Materials a thing is made of (the other "materials" of the demo describe it:
/// "Wireless", "Hardcover", "Illustrated").
const SUBSTANCES: &[&str] = &[
    "Wool",
    "Linen",
    "Ceramic",
    "Glass",
    "Cotton",
    "Brass",
    "Oak",
    "Walnut",
    "Steel",
    "Paper",
    "Cast Iron",
    "Bamboo",
    "Copper",
    "Pine",
    "Rattan",
    "Nylon",
    "Ripstop",
    "Titanium",
    "Aluminium",
    "Down",
    "Leather",
    "Recycled Paper",
    "Felt",
    "Cardboard",
    "Organic Cotton",
    "Canvas",
    "Cork",
    "Recycled Nylon",
    "Merino",
    "Cashmere",
    "Denim",
    "Terracotta",
    "Recycled Plastic",
    "Galvanised Steel",
    "Cedar",
    "Fleece",
    "Waxed Cotton",
];

/// The demo description: grammatical whatever words were drawn.
#[allow(clippy::too_many_arguments)]
fn describe(
    name: &str,
    adjective: &str,
    material: &str,
    noun: &str,
    colour: &str,
    has_colours: bool,
    has_finishes: bool,
    category: &str,
) -> String {
    let adj = adjective.to_lowercase();
    let noun_l = noun.to_lowercase();
    let what = if SUBSTANCES.contains(&material) {
        format!(
            "{} {adj} {noun_l} made of {}",
            article(&adj),
            material.to_lowercase()
        )
    } else {
        let m = material.to_lowercase();
        format!("{} {adj}, {m} {noun_l}", article(&adj))
    };
    let look = if has_colours {
        ", available in several colours".to_string()
    } else if has_finishes {
        ", available in several finishes".to_string()
    } else if category == "books" {
        String::new()
    } else {
        format!(", in {colour}")
    };
    format!("The {name} is {what}{look}.")
}

/// Product number `i` of the catalog (independent of N, so larger catalogs extend smaller ones).
fn product(i: u64, cats: &[(ObjectId, &CategorySpec)], currency: Currency, now_ms: i64) -> Product {
    let mut rng = Rng(0x00A5_CA27 ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let (cat_id, spec) = &cats[(i as usize) % cats.len()];
    let adjective = rng.pick(ADJECTIVES);
    let material = rng.pick(spec.materials);
    let noun = rng.pick(spec.nouns);
    let model = rng.pick(MODELS);
    let colour = rng.pick(COLOURS);
    let name = format!("{adjective} {material} {noun} {model}");
    let slug = Slug::parse(&format!("{}-{:05}", slugify(&name), i))
        .expect("seeded names make valid slugs");
    let (lo, hi) = spec.price;
    let raw = lo + rng.below((hi - lo) as u64) as i64;
    // Prices people expect: whole units ending in .00, .50 or .99.
    let endings = [0, 50, 99];
    let price = (raw / 100) * 100 + endings[rng.below(3) as usize];
    let price = if currency == Currency::Jpy {
        price
    } else {
        price.max(99)
    };
    let stock = match rng.below(100) {
        0..=7 => 0,
        8..=19 => 1 + rng.below(5) as i64,
        _ => 6 + rng.below(195) as i64,
    };
    let plan = options_for(noun, spec.slug, &mut rng);
    let has_colours = plan.iter().any(|(n, _, _)| *n == "Colour");
    let f1 = rng.pick(FEATURES);
    let f2 = {
        let mut f = rng.pick(FEATURES);
        while f == f1 {
            f = rng.pick(FEATURES);
        }
        f
    };
    let has_finishes = plan.iter().any(|(n, _, _)| *n == "Finish");
    let description = format!(
        "{} {f1} {f2}",
        describe(
            &name,
            adjective,
            material,
            noun,
            colour,
            has_colours,
            has_finishes,
            spec.slug
        )
    );
    let mut tags: Vec<String> = spec.tags.iter().map(|t| t.to_string()).collect();
    if !has_colours {
        tags.push(colour.to_string());
    }
    tags.push(material.to_lowercase());
    tags.dedup();
    let age_days = rng.below(365) as i64;
    let created =
        DateTime::from_millis(now_ms - age_days * 86_400_000 - (i as i64 % 86_400) * 1000);
    let grams = spec.grams.0 + rng.below((spec.grams.1 - spec.grams.0).max(1) as u64) as i64;
    // About one product in ten is on sale: it cost a quarter more before.
    let on_sale = rng.below(10) == 0;
    let sale = |p: i64| on_sale.then(|| ((p * 125 / 100) / 100) * 100 + 99);
    let base = format!("{}-{i:05}", model.to_uppercase());
    let options: Vec<store::ProductOption> = plan
        .iter()
        .map(|(name, values, _)| store::ProductOption {
            name: name.to_string(),
            values: values.iter().map(|v| v.to_string()).collect(),
        })
        .collect();
    let mut variants = Vec::new();
    if plan.is_empty() {
        variants.push(store::Variant {
            id: ObjectId::new(),
            sku: store::variant_sku(&base, &[]),
            options: Vec::new(),
            price,
            compare_at: sale(price),
            stock,
            weight_grams: Some(grams),
            image_id: None,
        });
    } else {
        // Every combination, each with its own stock (some sold out).
        let mut combos: Vec<(Vec<String>, i64)> = vec![(Vec::new(), 0)];
        for (_, values, steps) in &plan {
            combos = combos
                .into_iter()
                .flat_map(|(c, pct)| {
                    values.iter().zip(steps).map(move |(v, step)| {
                        let mut next = c.clone();
                        next.push(v.to_string());
                        (next, pct + step)
                    })
                })
                .collect();
        }
        for (values, pct) in combos {
            let p = if pct == 0 {
                price
            } else {
                ((price * (100 + pct) / 100) / 100) * 100 + 99
            };
            let units = match rng.below(100) {
                0..=11 => 0,
                12..=24 => 1 + rng.below(4) as i64,
                _ => 5 + rng.below(60) as i64,
            };
            variants.push(store::Variant {
                id: ObjectId::new(),
                sku: store::variant_sku(&base, &values),
                options: values,
                price: p,
                compare_at: sale(p),
                stock: units,
                weight_grams: Some(grams),
                image_id: None,
            });
        }
    }
    let price = variants.iter().map(|v| v.price).min().unwrap_or(price);
    let stock = variants.iter().map(|v| v.stock).sum();
    Product {
        id: ObjectId::new(),
        name,
        slug,
        description,
        price,
        currency,
        category_id: Some(*cat_id),
        tags,
        stock,
        status: ProductStatus::Active,
        featured: rng.below(100) < 5,
        images: Vec::new(),
        options,
        variants,
        reservations: Vec::new(),
        created_at: created,
        updated_at: created,
    }
}

/// The demo categories, with fresh ids, in parent-first order.
pub fn demo_categories() -> Vec<Category> {
    let now = DateTime::now();
    let mut out: Vec<Category> = Vec::new();
    for spec in CATEGORIES {
        let parent = spec
            .parent
            .and_then(|slug| out.iter().find(|c| c.slug.as_str() == slug).map(|c| c.id));
        out.push(Category {
            id: ObjectId::new(),
            name: spec.name.to_string(),
            slug: Slug::parse(spec.slug).expect("seed category slugs are valid"),
            parent_id: parent,
            description: spec.description.to_string(),
            created_at: now,
            updated_at: now,
        });
    }
    out
}

/// Products `from..to` of the demo catalog for `categories` (from [`demo_categories`]),
/// built in memory: the benchmark measures the search engine at sizes the local
/// database server cannot hold.
pub fn demo_products(
    categories: &[Category],
    from: u64,
    to: u64,
    currency: Currency,
) -> Vec<Product> {
    let cats: Vec<(ObjectId, &CategorySpec)> = CATEGORIES
        .iter()
        .filter_map(|spec| {
            categories
                .iter()
                .find(|c| c.slug.as_str() == spec.slug)
                .map(|c| (c.id, spec))
        })
        .collect();
    let now_ms = DateTime::now().timestamp_millis();
    (from..to)
        .map(|n| product(n, &cats, currency, now_ms))
        .collect()
}

/// Creates the categories (if missing) and `count` products (skipping ones that
/// exist), without pictures. With `if_empty`, does nothing when the catalog
/// already has products.
pub async fn run(
    db: &Database,
    count: u64,
    currency: Currency,
    if_empty: bool,
    show_progress: bool,
) -> Result<u64> {
    seed(db, count, currency, if_empty, show_progress, false).await
}

/// Like [`run`], and every product gets drawn pictures (one per colour or finish
/// it comes in, shown for those variants), as `oxcart seed` makes them.
pub async fn run_with_pictures(
    db: &Database,
    count: u64,
    currency: Currency,
    if_empty: bool,
    show_progress: bool,
) -> Result<u64> {
    seed(db, count, currency, if_empty, show_progress, true).await
}

/// The side of a drawn demo picture, in pixels (its widths go up to this).
const DEMO_PICTURE_SIDE: u32 = 800;

/// Draws the pictures of a batch of demo products (on all cores), stores their
/// files and records them on the products (and on the variants of each colour).
async fn add_pictures(db: &Database, batch: &mut [Product]) -> Result<()> {
    struct Job {
        product: usize,
        variant_value: Option<(usize, String)>,
        svg: String,
        alt: String,
    }
    let mut jobs = Vec::new();
    for (i, p) in batch.iter().enumerate() {
        let noun = CATEGORIES
            .iter()
            .flat_map(|c| c.nouns.iter())
            .filter(|n| p.name.contains(*n))
            .max_by_key(|n| n.len())
            .copied()
            .unwrap_or("");
        let looks = p
            .options
            .iter()
            .position(|o| o.name == "Colour" || o.name == "Finish");
        match looks {
            Some(k) => {
                for value in &p.options[k].values {
                    jobs.push(Job {
                        product: i,
                        variant_value: Some((k, value.clone())),
                        svg: super::demo_art::compose(
                            noun,
                            &format!("{}/{value}", p.slug),
                            super::demo_art::tint_of(value),
                        ),
                        alt: format!("{} in {}", p.name, value.to_lowercase()),
                    });
                }
            }
            None => {
                let tint = p.tags.iter().find_map(|t| super::demo_art::tint_of(t));
                jobs.push(Job {
                    product: i,
                    variant_value: None,
                    svg: super::demo_art::compose(noun, p.slug.as_str(), tint),
                    alt: p.name.clone(),
                });
            }
        }
    }
    let svgs: Vec<String> = jobs.iter().map(|j| j.svg.clone()).collect();
    let drawn = tokio::task::spawn_blocking(move || {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let chunk = svgs.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let handles: Vec<_> = svgs
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|svg| super::pictures::process_svg(svg, DEMO_PICTURE_SIDE))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            // Every part or none: a missing part would pair pictures with the
            // wrong products below.
            handles
                .into_iter()
                .map(|h| h.join().ok())
                .collect::<Option<Vec<Vec<_>>>>()
                .map(|parts| parts.into_iter().flatten().collect::<Vec<_>>())
        })
    })
    .await
    .map_err(|e| crate::kernel::Error::internal_from("drawing demo pictures", e))?
    .ok_or_else(|| crate::kernel::Error::internal("a thread drawing demo pictures stopped"))?;
    let made: Vec<&super::pictures::Processed> = drawn.iter().flatten().collect();
    super::images::store_many(db, &made).await?;
    for (job, processed) in jobs.into_iter().zip(&drawn) {
        let Some(processed) = processed else {
            tracing::warn!(alt = %job.alt, "a demo picture could not be drawn; the product shows the placeholder");
            continue;
        };
        let image = super::images::record(ObjectId::new(), job.alt, "image/svg+xml", processed);
        let p = &mut batch[job.product];
        if let Some((k, value)) = &job.variant_value {
            for v in p
                .variants
                .iter_mut()
                .filter(|v| v.options.get(*k) == Some(value))
            {
                v.image_id = Some(image.id);
            }
        }
        p.images.push(image);
    }
    Ok(())
}

async fn seed(
    db: &Database,
    count: u64,
    currency: Currency,
    if_empty: bool,
    show_progress: bool,
    pictures: bool,
) -> Result<u64> {
    if if_empty && store::products(db).estimated_document_count().await? > 0 {
        return Ok(0);
    }
    let mut ids: Vec<(ObjectId, &CategorySpec)> = Vec::new();
    for spec in CATEGORIES {
        let parent = spec
            .parent
            .and_then(|slug| ids.iter().find(|(_, s)| s.slug == slug).map(|(id, _)| *id));
        let existing = store::categories(db)
            .find_one(doc! { "slug": spec.slug })
            .await?;
        let id = match existing {
            Some(c) => c.id,
            None => {
                let now = DateTime::now();
                let c = Category {
                    id: ObjectId::new(),
                    name: spec.name.to_string(),
                    slug: Slug::parse(spec.slug).expect("seed category slugs are valid"),
                    parent_id: parent,
                    description: spec.description.to_string(),
                    created_at: now,
                    updated_at: now,
                };
                store::insert_category(db, &c).await?;
                c.id
            }
        };
        ids.push((id, spec));
    }

    let bar = if show_progress {
        let b = ProgressBar::new(count);
        b.set_style(
            ProgressStyle::with_template(
                "seeding {bar:40} {pos}/{len} products ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let now_ms = DateTime::now().timestamp_millis();
    let mut inserted = 0u64;
    let mut seen: HashSet<String> = HashSet::new();
    let mut i = 0u64;
    while i < count {
        let end = (i + if pictures { 50 } else { 1000 }).min(count);
        let mut batch: Vec<Product> = (i..end)
            .map(|n| product(n, &ids, currency, now_ms))
            .filter(|p| seen.insert(p.slug.to_string()))
            .collect();
        if pictures {
            // Only products not seeded before (their pictures would be orphans).
            let slugs: Vec<String> = batch.iter().map(|p| p.slug.to_string()).collect();
            let existing: HashSet<String> = store::products(db)
                .clone_with_type::<mongodb::bson::Document>()
                .find(doc! { "slug": { "$in": slugs } })
                .projection(doc! { "slug": 1, "_id": 0 })
                .await?
                .try_collect::<Vec<_>>()
                .await?
                .into_iter()
                .filter_map(|d| d.get_str("slug").ok().map(str::to_string))
                .collect();
            batch.retain(|p| !existing.contains(p.slug.as_str()));
            add_pictures(db, &mut batch).await?;
        }
        if batch.is_empty() {
            bar.inc(end - i);
            i = end;
            continue;
        }
        match store::products(db).insert_many(&batch).ordered(false).await {
            Ok(r) => inserted += r.inserted_ids.len() as u64,
            Err(e) if crate::kernel::db::is_duplicate_key(&e) => {
                // Some already existed (seeded before): the rest went in.
                if let mongodb::error::ErrorKind::InsertMany(m) = e.kind.as_ref() {
                    let dups = m.write_errors.as_ref().map(|w| w.len()).unwrap_or(0);
                    inserted += (batch.len() - dups) as u64;
                }
            }
            Err(e) => return Err(e.into()),
        }
        bar.inc(end - i);
        i = end;
    }
    bar.finish_and_clear();
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_copy_reads_well() {
        assert_eq!(
            describe(
                "Urban Oak Stool Sol",
                "Urban",
                "Oak",
                "Stool",
                "rust",
                false,
                false,
                "furniture"
            ),
            "The Urban Oak Stool Sol is an urban stool made of oak, in rust."
        );
        assert_eq!(
            describe(
                "Modern Wireless Mouse Nova",
                "Modern",
                "Wireless",
                "Mouse",
                "black",
                false,
                false,
                "electronics"
            ),
            "The Modern Wireless Mouse Nova is a modern, wireless mouse, in black."
        );
        assert_eq!(
            describe(
                "Alpine Hardcover Novel Tide",
                "Alpine",
                "Hardcover",
                "Novel",
                "sand",
                false,
                false,
                "books"
            ),
            "The Alpine Hardcover Novel Tide is an alpine, hardcover novel."
        );
        // Every seeded description starts with a grammatical sentence.
        let cats: Vec<(ObjectId, &CategorySpec)> =
            CATEGORIES.iter().map(|c| (ObjectId::new(), c)).collect();
        for i in 0..300 {
            let p = product(i, &cats, Currency::Usd, 0);
            assert!(
                !p.description.contains(" a urban") && !p.description.contains(" a alpine"),
                "{}",
                p.description
            );
            assert!(!p.description.contains("finished in"), "{}", p.description);
        }
    }
}
