//! Pictures for the demo catalog, drawn without the internet: an openly licensed
//! illustration (Fluent Emoji Flat, MIT; Noto Emoji, Apache-2.0 — see
//! `assets/demo-pictures/LICENCE.md`) chosen by what the product is, recoloured to
//! its colour or finish, on a backdrop that differs from product to product.

/// The illustrations, by file name (compiled in: seeding needs no files).
const ART: &[(&str, &str)] = &[
    (
        "armchair",
        include_str!("../../assets/demo-pictures/armchair.svg"),
    ),
    (
        "backpack",
        include_str!("../../assets/demo-pictures/backpack.svg"),
    ),
    (
        "battery",
        include_str!("../../assets/demo-pictures/battery.svg"),
    ),
    ("belt", include_str!("../../assets/demo-pictures/belt.svg")),
    (
        "blue-book",
        include_str!("../../assets/demo-pictures/blue-book.svg"),
    ),
    (
        "board-game",
        include_str!("../../assets/demo-pictures/board-game.svg"),
    ),
    ("book", include_str!("../../assets/demo-pictures/book.svg")),
    (
        "books-stack",
        include_str!("../../assets/demo-pictures/books-stack.svg"),
    ),
    (
        "bookshelf",
        include_str!("../../assets/demo-pictures/bookshelf.svg"),
    ),
    ("bowl", include_str!("../../assets/demo-pictures/bowl.svg")),
    (
        "building-blocks",
        include_str!("../../assets/demo-pictures/building-blocks.svg"),
    ),
    (
        "cabinet",
        include_str!("../../assets/demo-pictures/cabinet.svg"),
    ),
    (
        "calendar",
        include_str!("../../assets/demo-pictures/calendar.svg"),
    ),
    (
        "camera",
        include_str!("../../assets/demo-pictures/camera.svg"),
    ),
    (
        "camping-stove",
        include_str!("../../assets/demo-pictures/camping-stove.svg"),
    ),
    (
        "candle",
        include_str!("../../assets/demo-pictures/candle.svg"),
    ),
    ("cap", include_str!("../../assets/demo-pictures/cap.svg")),
    (
        "chair",
        include_str!("../../assets/demo-pictures/chair.svg"),
    ),
    (
        "chefs-knife",
        include_str!("../../assets/demo-pictures/chefs-knife.svg"),
    ),
    ("coat", include_str!("../../assets/demo-pictures/coat.svg")),
    (
        "compass",
        include_str!("../../assets/demo-pictures/compass.svg"),
    ),
    (
        "cooking-pot",
        include_str!("../../assets/demo-pictures/cooking-pot.svg"),
    ),
    (
        "cushion",
        include_str!("../../assets/demo-pictures/cushion.svg"),
    ),
    (
        "cutting-board",
        include_str!("../../assets/demo-pictures/cutting-board.svg"),
    ),
    (
        "decorated-notebook",
        include_str!("../../assets/demo-pictures/decorated-notebook.svg"),
    ),
    ("desk", include_str!("../../assets/demo-pictures/desk.svg")),
    (
        "desk-lamp",
        include_str!("../../assets/demo-pictures/desk-lamp.svg"),
    ),
    (
        "desk-organizer",
        include_str!("../../assets/demo-pictures/desk-organizer.svg"),
    ),
    (
        "earbuds",
        include_str!("../../assets/demo-pictures/earbuds.svg"),
    ),
    (
        "floor-lamp",
        include_str!("../../assets/demo-pictures/floor-lamp.svg"),
    ),
    (
        "flower",
        include_str!("../../assets/demo-pictures/flower.svg"),
    ),
    (
        "frying-pan",
        include_str!("../../assets/demo-pictures/frying-pan.svg"),
    ),
    (
        "garden-shovel",
        include_str!("../../assets/demo-pictures/garden-shovel.svg"),
    ),
    (
        "green-book",
        include_str!("../../assets/demo-pictures/green-book.svg"),
    ),
    (
        "handbag",
        include_str!("../../assets/demo-pictures/handbag.svg"),
    ),
    ("hat", include_str!("../../assets/demo-pictures/hat.svg")),
    (
        "headphones",
        include_str!("../../assets/demo-pictures/headphones.svg"),
    ),
    (
        "jacket",
        include_str!("../../assets/demo-pictures/jacket.svg"),
    ),
    (
        "kettle",
        include_str!("../../assets/demo-pictures/kettle.svg"),
    ),
    (
        "keyboard",
        include_str!("../../assets/demo-pictures/keyboard.svg"),
    ),
    ("kite", include_str!("../../assets/demo-pictures/kite.svg")),
    (
        "lantern",
        include_str!("../../assets/demo-pictures/lantern.svg"),
    ),
    (
        "laptop",
        include_str!("../../assets/demo-pictures/laptop.svg"),
    ),
    (
        "ledger",
        include_str!("../../assets/demo-pictures/ledger.svg"),
    ),
    (
        "light-bulb",
        include_str!("../../assets/demo-pictures/light-bulb.svg"),
    ),
    (
        "microphone",
        include_str!("../../assets/demo-pictures/microphone.svg"),
    ),
    (
        "mirror",
        include_str!("../../assets/demo-pictures/mirror.svg"),
    ),
    (
        "mouse",
        include_str!("../../assets/demo-pictures/mouse.svg"),
    ),
    ("mug", include_str!("../../assets/demo-pictures/mug.svg")),
    (
        "notebook",
        include_str!("../../assets/demo-pictures/notebook.svg"),
    ),
    (
        "open-book",
        include_str!("../../assets/demo-pictures/open-book.svg"),
    ),
    (
        "orange-book",
        include_str!("../../assets/demo-pictures/orange-book.svg"),
    ),
    (
        "package",
        include_str!("../../assets/demo-pictures/package.svg"),
    ),
    ("pen", include_str!("../../assets/demo-pictures/pen.svg")),
    (
        "paperclip",
        include_str!("../../assets/demo-pictures/paperclip.svg"),
    ),
    (
        "pencil",
        include_str!("../../assets/demo-pictures/pencil.svg"),
    ),
    (
        "pendant-light",
        include_str!("../../assets/demo-pictures/pendant-light.svg"),
    ),
    (
        "phone-charger",
        include_str!("../../assets/demo-pictures/phone-charger.svg"),
    ),
    (
        "planter",
        include_str!("../../assets/demo-pictures/planter.svg"),
    ),
    (
        "plate",
        include_str!("../../assets/demo-pictures/plate.svg"),
    ),
    (
        "potted-plant",
        include_str!("../../assets/demo-pictures/potted-plant.svg"),
    ),
    (
        "puzzle-piece",
        include_str!("../../assets/demo-pictures/puzzle-piece.svg"),
    ),
    (
        "radio",
        include_str!("../../assets/demo-pictures/radio.svg"),
    ),
    (
        "rocket",
        include_str!("../../assets/demo-pictures/rocket.svg"),
    ),
    (
        "scarf",
        include_str!("../../assets/demo-pictures/scarf.svg"),
    ),
    (
        "scissors",
        include_str!("../../assets/demo-pictures/scissors.svg"),
    ),
    (
        "seedling",
        include_str!("../../assets/demo-pictures/seedling.svg"),
    ),
    (
        "sleeping-bag",
        include_str!("../../assets/demo-pictures/sleeping-bag.svg"),
    ),
    (
        "smartphone",
        include_str!("../../assets/demo-pictures/smartphone.svg"),
    ),
    (
        "socks",
        include_str!("../../assets/demo-pictures/socks.svg"),
    ),
    ("sofa", include_str!("../../assets/demo-pictures/sofa.svg")),
    (
        "speaker",
        include_str!("../../assets/demo-pictures/speaker.svg"),
    ),
    (
        "stool",
        include_str!("../../assets/demo-pictures/stool.svg"),
    ),
    (
        "string-lights",
        include_str!("../../assets/demo-pictures/string-lights.svg"),
    ),
    (
        "sunglasses",
        include_str!("../../assets/demo-pictures/sunglasses.svg"),
    ),
    (
        "sweater",
        include_str!("../../assets/demo-pictures/sweater.svg"),
    ),
    (
        "t-shirt",
        include_str!("../../assets/demo-pictures/t-shirt.svg"),
    ),
    (
        "table",
        include_str!("../../assets/demo-pictures/table.svg"),
    ),
    (
        "teddy-bear",
        include_str!("../../assets/demo-pictures/teddy-bear.svg"),
    ),
    ("tent", include_str!("../../assets/demo-pictures/tent.svg")),
    (
        "throw-blanket",
        include_str!("../../assets/demo-pictures/throw-blanket.svg"),
    ),
    (
        "umbrella",
        include_str!("../../assets/demo-pictures/umbrella.svg"),
    ),
    ("vase", include_str!("../../assets/demo-pictures/vase.svg")),
    (
        "wall-clock",
        include_str!("../../assets/demo-pictures/wall-clock.svg"),
    ),
    (
        "wallet",
        include_str!("../../assets/demo-pictures/wallet.svg"),
    ),
    (
        "watch",
        include_str!("../../assets/demo-pictures/watch.svg"),
    ),
    (
        "water-bottle",
        include_str!("../../assets/demo-pictures/water-bottle.svg"),
    ),
    (
        "watering-can",
        include_str!("../../assets/demo-pictures/watering-can.svg"),
    ),
];

/// Which illustrations fit a demo product, by its noun (several: more variety).
fn art_for(noun: &str) -> &'static [&'static str] {
    match noun {
        "Throw Blanket" => &["throw-blanket"],
        "Cushion" => &["cushion"],
        "Vase" => &["vase", "flower"],
        "Wall Clock" => &["wall-clock"],
        "Mirror" => &["mirror"],
        "Candle" => &["candle"],
        "Desk Lamp" => &["desk-lamp"],
        "Floor Lamp" => &["floor-lamp"],
        "Pendant Light" => &["pendant-light"],
        "String Lights" => &["string-lights"],
        "Lantern" => &["lantern"],
        "Wall Sconce" => &["light-bulb"],
        "Chef Knife" => &["chefs-knife"],
        "Cutting Board" => &["cutting-board"],
        "Saucepan" => &["cooking-pot", "frying-pan"],
        "Coffee Grinder" => &["kettle", "mug"],
        "Teapot" => &["kettle"],
        "Mixing Bowl Set" => &["bowl", "plate"],
        "Side Table" => &["table", "desk"],
        "Armchair" => &["armchair", "sofa"],
        "Bookshelf" => &["bookshelf", "cabinet"],
        "Bench" => &["sofa", "table"],
        "Stool" => &["stool", "chair"],
        "Coat Rack" => &["coat", "cabinet"],
        "Planter" => &["planter", "potted-plant"],
        "Watering Can" => &["watering-can"],
        "Pruning Shears" => &["scissors", "garden-shovel"],
        "Garden Hose" => &["garden-shovel", "watering-can"],
        "Bird Feeder" => &["flower", "potted-plant"],
        "Seed Kit" => &["seedling"],
        "Tent" => &["tent"],
        "Sleeping Bag" => &["sleeping-bag"],
        "Backpack" => &["backpack"],
        "Camping Stove" => &["camping-stove"],
        "Headlamp" => &["lantern", "compass"],
        "Water Bottle" => &["water-bottle"],
        "Power Bank" => &["battery"],
        "USB-C Charger" => &["phone-charger"],
        "Smart Plug" => &["phone-charger", "light-bulb"],
        "Webcam" => &["camera"],
        "Keyboard" => &["keyboard"],
        "Mouse" => &["mouse", "laptop"],
        "Headphones" => &["headphones"],
        "Earbuds" => &["earbuds"],
        "Bluetooth Speaker" => &["speaker"],
        "Turntable" => &["radio"],
        "Soundbar" => &["speaker", "radio"],
        "Notebook" => &["notebook", "decorated-notebook"],
        "Fountain Pen" => &["pen"],
        "Desk Organiser" => &["desk-organizer"],
        "Monitor Stand" => &["laptop", "desk"],
        "Planner" => &["calendar", "ledger"],
        "Letter Tray" => &["desk-organizer", "paperclip"],
        "Cookbook" => &["open-book", "orange-book"],
        "Field Guide" => &["green-book", "compass"],
        "Novel" => &["book", "blue-book", "books-stack"],
        "Atlas" => &["blue-book", "compass"],
        "Poetry Collection" => &["orange-book", "books-stack"],
        "Sketchbook" => &["decorated-notebook", "pencil"],
        "Board Game" => &["board-game"],
        "Puzzle" => &["puzzle-piece"],
        "Building Blocks" => &["building-blocks"],
        "Kite" => &["kite"],
        "Plush Bear" => &["teddy-bear"],
        "Card Game" => &["board-game", "rocket"],
        "Sweater" => &["sweater"],
        "T-Shirt" => &["t-shirt"],
        "Rain Jacket" => &["jacket", "coat"],
        "Scarf" => &["scarf"],
        "Beanie" => &["hat", "cap"],
        "Socks" => &["socks"],
        "Wallet" => &["wallet"],
        "Tote Bag" => &["handbag", "backpack"],
        "Sunglasses" => &["sunglasses"],
        "Watch" => &["watch"],
        "Belt" => &["belt"],
        "Keyring" => &["wallet", "compass"],
        _ => &["package"],
    }
}

fn art(name: &str) -> &'static str {
    ART.iter()
        .find(|(n, _)| *n == name)
        .or_else(|| ART.iter().find(|(n, _)| *n == "package"))
        .map(|(_, svg)| *svg)
        .unwrap_or_default()
}

/// The colour a colour or finish name stands for (None: keep the drawing's own).
pub fn tint_of(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_lowercase();
    let table: &[(&str, &str)] = &[
        ("black ash", "#2f2c2a"),
        ("matte black", "#2b2b2d"),
        ("charcoal", "#45484f"),
        ("black", "#2a2a2c"),
        ("white", "#eeebe4"),
        ("sage", "#8fa57c"),
        ("navy", "#23395d"),
        ("sand", "#d5bf98"),
        ("rust", "#b24a26"),
        ("natural oak", "#c8a06e"),
        ("smoked walnut", "#6a4a32"),
        ("brushed brass", "#c7a24c"),
        ("natural", "#d7c4a1"),
    ];
    table.iter().find(|(k, _)| n == *k).map(|(_, v)| *v)
}

/// Soft backgrounds and a slightly deeper backdrop shape for each.
const BACKDROPS: &[(&str, &str)] = &[
    ("#f3efe8", "#e6ddd0"),
    ("#eef2ee", "#dbe5dc"),
    ("#edf1f6", "#d9e2ee"),
    ("#f6eeee", "#ecdada"),
    ("#f4f0f7", "#e4dcec"),
    ("#f7f3e6", "#ece3c6"),
    ("#eef5f4", "#d6e8e5"),
    ("#f5f5f3", "#e5e5e0"),
    ("#f8efe6", "#efdcc8"),
    ("#eff3e8", "#dde6cd"),
];

/// A stable number from text (FNV-1a), for choices that must not change between runs.
fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The drawing of one demo product (or one of its colours): `seed` varies the
/// backdrop between products, `tint` recolours the object.
pub fn compose(noun: &str, seed: &str, tint: Option<&str>) -> String {
    let h = hash(seed);
    let choices = art_for(noun);
    let name = choices[(h as usize / 7) % choices.len()];
    let (viewbox, body) = split_svg(art(name));
    let body = match tint {
        Some(t) => recolour(body, t),
        None => body.to_string(),
    };
    let (bg, shape_fill) = BACKDROPS[(h % BACKDROPS.len() as u64) as usize];
    let shape = match (h >> 8) % 4 {
        0 => format!(
            r#"<circle cx="50" cy="{}" r="34" fill="{shape_fill}"/>"#,
            48 + (h >> 12) % 6
        ),
        1 => format!(r#"<rect x="18" y="14" width="64" height="76" rx="32" fill="{shape_fill}"/>"#),
        2 => format!(
            r#"<rect x="16" y="16" width="68" height="68" rx="14" fill="{shape_fill}" transform="rotate({} 50 50)"/>"#,
            (h >> 16) % 16
        ),
        _ => format!(
            r#"<path d="M0 {} Q50 {} 100 {} V100 H0 Z" fill="{shape_fill}"/>"#,
            66 + (h >> 12) % 8,
            58 + (h >> 16) % 10,
            70 + (h >> 20) % 8
        ),
    };
    let size = 64.0;
    let scale = size / viewbox;
    let dx = (h >> 24) % 5;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" fill="{bg}"/>{shape}<ellipse cx="50" cy="86" rx="24" ry="3.2" fill="#000" fill-opacity="0.08"/><g transform="translate({} 16) scale({scale})">{body}</g></svg>"##,
        16.0 + dx as f64
    )
}

/// The view box side and inner drawing of an icon file.
fn split_svg(svg: &str) -> (f64, &str) {
    let open_end = svg.find('>').map(|i| i + 1).unwrap_or(0);
    let close = svg.rfind("</svg>").unwrap_or(svg.len());
    let head = &svg[..open_end];
    let side = head
        .split("viewBox=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .and_then(|v| v.split_whitespace().nth(2))
        .and_then(|w| w.parse::<f64>().ok())
        .unwrap_or(32.0);
    (side, &svg[open_end..close])
}

fn parse_hex(s: &str) -> Option<(f64, f64, f64)> {
    let s = s.strip_prefix('#')?;
    let full = match s.len() {
        3 => s.chars().flat_map(|c| [c, c]).collect::<String>(),
        6 => s.to_string(),
        _ => return None,
    };
    let v = u32::from_str_radix(&full, 16).ok()?;
    Some((
        f64::from((v >> 16) & 0xff) / 255.0,
        f64::from((v >> 8) & 0xff) / 255.0,
        f64::from(v & 0xff) / 255.0,
    ))
}

fn to_hsl((r, g, b): (f64, f64, f64)) -> (f64, f64, f64) {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let l = (max + min) / 2.0;
    if (max - min).abs() < 1e-9 {
        return (0.0, 0.0, l);
    }
    let d = max - min;
    let s = if l > 0.5 {
        d / (2.0 - max - min)
    } else {
        d / (max + min)
    };
    let h = if max == r {
        ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        (b - r) / d + 2.0
    } else {
        (r - g) / d + 4.0
    };
    (h * 60.0, s, l)
}

fn to_hex((h, s, l): (f64, f64, f64)) -> String {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = c * (1.0 - ((h / 60.0).rem_euclid(2.0) - 1.0).abs());
    let m = l - c / 2.0;
    let (r, g, b) = match (h / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let byte = |v: f64| ((v + m).clamp(0.0, 1.0) * 255.0).round() as u8;
    format!("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b))
}

fn hue_distance(a: f64, b: f64) -> f64 {
    let d = (a - b).abs() % 360.0;
    d.min(360.0 - d)
}

/// Every colour written in a paint attribute (`fill`, `stroke`, `stop-color`).
fn paint_colours(body: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for attr in ["fill=\"", "stroke=\"", "stop-color=\""] {
        let mut from = 0;
        while let Some(i) = body[from..].find(attr) {
            let start = from + i + attr.len();
            let end = body[start..]
                .find('"')
                .map(|e| start + e)
                .unwrap_or(body.len());
            if body[start..end].starts_with('#') {
                out.push((start, end));
            }
            from = end;
        }
    }
    out.sort_unstable();
    out
}

/// Recolours the object's main colour family to `target`, keeping its light and
/// shade (darker parts stay darker) and leaving other colours alone.
pub fn recolour(body: &str, target: &str) -> String {
    let Some(t) = parse_hex(target).map(to_hsl) else {
        return body.to_string();
    };
    let spans = paint_colours(body);
    let colours: Vec<(f64, f64, f64)> = spans
        .iter()
        .filter_map(|(s, e)| parse_hex(&body[*s..*e]).map(to_hsl))
        .collect();
    // The main colour family: the most used hue among clearly coloured paints.
    let mut bins = [0usize; 12];
    for (h, s, _) in &colours {
        if *s > 0.25 {
            bins[((h / 30.0) as usize) % 12] += 1;
        }
    }
    let Some((bin, _)) = bins
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .filter(|(_, n)| **n > 0)
    else {
        return body.to_string();
    };
    let centre = bin as f64 * 30.0 + 15.0;
    let family: Vec<&(f64, f64, f64)> = colours
        .iter()
        .filter(|(h, s, _)| *s > 0.15 && hue_distance(*h, centre) <= 40.0)
        .collect();
    let mean_s = family.iter().map(|c| c.1).sum::<f64>() / family.len().max(1) as f64;
    let mean_l = family.iter().map(|c| c.2).sum::<f64>() / family.len().max(1) as f64;
    let mut out = String::with_capacity(body.len());
    let mut last = 0;
    for (s, e) in spans {
        let Some((h, sat, l)) = parse_hex(&body[s..e]).map(to_hsl) else {
            continue;
        };
        if sat <= 0.15 || hue_distance(h, centre) > 40.0 {
            continue;
        }
        let new_s = (t.1 * (sat / mean_s.max(0.01))).clamp(0.0, 1.0);
        let new_l = (t.2 + (l - mean_l) * 0.9).clamp(0.06, 0.96);
        out.push_str(&body[last..s]);
        out.push_str(&to_hex((t.0, new_s, new_l)));
        last = e;
    }
    out.push_str(&body[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_noun_has_its_drawings() {
        for (name, svg) in ART {
            assert!(svg.starts_with("<svg"), "{name}");
        }
        for noun in [
            "Sweater",
            "Desk Lamp",
            "Novel",
            "Bench",
            "Keyring",
            "Wall Sconce",
        ] {
            for a in art_for(noun) {
                assert!(ART.iter().any(|(n, _)| n == a), "{noun}: {a}");
            }
        }
    }

    #[test]
    fn colours_change_the_object_and_keep_its_shading() {
        let body = r##"<path fill="#00a6ed" d="M0 0"/><path fill="#0074ba" d="M1 1"/><path fill="#ffffff" d="M2 2"/>"##;
        let red = recolour(body, "#b24a26");
        assert!(
            !red.contains("#00a6ed") && !red.contains("#0074ba"),
            "{red}"
        );
        assert!(red.contains("#ffffff"), "white parts stay: {red}");
        let spans = paint_colours(&red);
        let light = to_hsl(parse_hex(&red[spans[0].0..spans[0].1]).unwrap());
        let dark = to_hsl(parse_hex(&red[spans[1].0..spans[1].1]).unwrap());
        assert!(light.2 > dark.2, "the darker paint stays darker");
        assert!(
            hue_distance(light.0, 15.0) < 12.0,
            "now red-brown: {light:?}"
        );
    }

    #[test]
    fn products_differ_and_are_stable() {
        let a = compose("Sweater", "nordic-wool-sweater-00001", tint_of("Navy"));
        let b = compose("Sweater", "nordic-wool-sweater-00014", tint_of("Navy"));
        let c = compose("Sweater", "nordic-wool-sweater-00001", tint_of("Rust"));
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            a,
            compose("Sweater", "nordic-wool-sweater-00001", tint_of("Navy"))
        );
        assert!(crate::catalog::pictures::process_svg(&a, 320).is_some());
    }
}
