//! The shape of the code: dependencies between the top-level modules of `src/`
//! run one way. Read from the `crate::…` paths in the source itself, so the test
//! sees what the compiler sees. Point `OXCART_ARCH_SRC` at another source tree to
//! print its graph and check it (that is how the note on the old code was made).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/catalog/search/mod.rs` → `catalog`),
/// or `None` for files of the binary and the crate root.
fn module_of(root: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root).ok()?;
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .to_string();
    let name = first.trim_end_matches(".rs").to_string();
    match name.as_str() {
        "lib" | "main" | "cli" | "bin" => None,
        _ => Some(name),
    }
}

/// The code of a file without its comments (doc text may name modules freely).
fn code_only(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for line in source.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        // A trailing comment: `//` outside a string literal.
        let mut in_str = false;
        let mut cut = line.len();
        let bytes = line.as_bytes();
        for i in 0..bytes.len() {
            match bytes[i] {
                b'"' if i == 0 || bytes[i - 1] != b'\\' => in_str = !in_str,
                b'/' if !in_str && bytes.get(i + 1) == Some(&b'/') => {
                    cut = i;
                    break;
                }
                _ => {}
            }
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

/// Every top-level module named after `crate::` in `code` (`crate::a::x`, and
/// `crate::{a::x, b}`).
fn referenced(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before_ok = i == 0 || {
            let c = rest.as_bytes()[i - 1];
            !(c.is_ascii_alphanumeric() || c == b'_')
        };
        rest = &rest[i + "crate::".len()..];
        if !before_ok {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut start = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            let name = ident(group[start..].trim_start());
                            if !name.is_empty() {
                                out.insert(name);
                            }
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        let name = ident(group[start..].trim_start());
                        if !name.is_empty() {
                            out.insert(name);
                        }
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn graph_of(root: &Path) -> (Graph, BTreeMap<String, String>) {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let mut graph = Graph::new();
    let mut sources = BTreeMap::new();
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(root, f)).collect();
    for f in &files {
        let Some(module) = module_of(root, f) else {
            continue;
        };
        let source = std::fs::read_to_string(f).unwrap();
        let code = code_only(&source);
        let edges = graph.entry(module.clone()).or_default();
        for target in referenced(&code) {
            if target != module && modules.contains(&target) {
                edges.insert(target);
            }
        }
        sources.insert(
            f.strip_prefix(root).unwrap().to_string_lossy().to_string(),
            code,
        );
    }
    (graph, sources)
}

/// The modules that sit on a cycle (Tarjan's strongly connected components).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(lw));
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low[v];
                s.low.insert(v, lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// Directions that must never appear: (from, to, why).
const FORBIDDEN: &[(&str, &str, &str)] = &[
    ("catalog", "cart", "the catalog knows no carts"),
    ("catalog", "orders", "the catalog knows no orders"),
    ("catalog", "accounts", "the catalog knows no accounts"),
    ("catalog", "payments", "the catalog knows no payments"),
    (
        "cart",
        "accounts",
        "the cart takes an owner; sign-in merges carts, not the reverse",
    ),
    ("cart", "orders", "the cart knows no orders"),
    ("cart", "payments", "the cart knows no payments"),
    ("accounts", "orders", "accounts know no orders"),
    ("accounts", "payments", "accounts know no payments"),
    (
        "orders",
        "payments",
        "orders own the payment port; the adapter depends on them",
    ),
    (
        "orders",
        "accounts",
        "orders know the caller through kernel::auth",
    ),
];

/// Modules below the features: they may use `shared` (and `ui` only `shared`).
const INFRASTRUCTURE: &[&str] = &["shared", "ui", "kernel"];
const FEATURES_AND_ABOVE: &[&str] = &[
    "catalog",
    "cart",
    "accounts",
    "orders",
    "payments",
    "storefront",
    "admin",
    "app",
    "server",
];

fn problems(graph: &Graph, sources: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for component in cycles(graph) {
        out.push(format!("import cycle among: {}", component.join(", ")));
    }
    let has = |a: &str, b: &str| graph.get(a).is_some_and(|e| e.contains(b));
    for (from, to, why) in FORBIDDEN {
        if has(from, to) {
            out.push(format!("{from} → {to}: {why}"));
        }
    }
    for infra in INFRASTRUCTURE {
        for feature in FEATURES_AND_ABOVE {
            if has(infra, feature) {
                out.push(format!(
                    "{infra} → {feature}: infrastructure must not know features"
                ));
            }
        }
    }
    for (from, edges) in graph {
        if from == "shared" && !edges.is_empty() {
            out.push(format!("shared → {edges:?}: shared imports nothing"));
        }
        if from == "ui" && edges.iter().any(|e| e != "shared") {
            out.push(format!("ui → {edges:?}: widgets use only shared types"));
        }
        if edges.contains("server") {
            out.push(format!(
                "{from} → server: nothing imports the composition root"
            ));
        }
    }
    for (file, code) in sources {
        if file.starts_with("ui") && (code.contains("mongodb") || code.contains("#[server")) {
            out.push(format!(
                "{file}: ui reaches the database or declares server functions"
            ));
        }
        if file != "ui/head.rs" {
            let imports_title = code.lines().any(|l| {
                l.contains("leptos_meta")
                    && l.replace("PageTitle", "")
                        .replace("ShopTitle", "")
                        .contains("Title")
            });
            if imports_title || code.contains("<Title ") {
                out.push(format!(
                    "{file}: page titles go through ui::head::PageTitle (escaped), not leptos_meta::Title"
                ));
            }
        }
    }
    out
}

fn render(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(m, e)| {
            let targets: Vec<&str> = e.iter().map(String::as_str).collect();
            format!("  {m} → {}", targets.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn modules_depend_on_each_other_one_way() {
    let root = std::env::var("OXCART_ARCH_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let (graph, sources) = graph_of(&root);
    eprintln!("module graph of {}:\n{}", root.display(), render(&graph));
    assert!(graph.contains_key("catalog") && graph.contains_key("orders"));
    let found = problems(&graph, &sources);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_checker_finds_cycles_and_forbidden_directions() {
    let mut graph = Graph::new();
    let mut add = |a: &str, b: &str| {
        graph.entry(a.into()).or_default().insert(b.into());
    };
    add("orders", "payments");
    add("payments", "orders");
    add("catalog", "cart");
    add("ui", "kernel");
    add("kernel", "catalog");
    add("cart", "catalog");
    let found = problems(&graph, &BTreeMap::new()).join("\n");
    assert!(
        found.contains("import cycle among: orders, payments"),
        "{found}"
    );
    assert!(found.contains("catalog → cart"), "{found}");
    assert!(found.contains("orders → payments"), "{found}");
    assert!(found.contains("kernel → catalog"), "{found}");
    assert!(found.contains("ui → "), "{found}");
}

#[test]
fn crate_paths_are_read_in_all_their_forms() {
    let code = code_only(
        "use crate::{a::x, b::{y, z}, c};\nlet v = crate::d::f();\n// crate::e in a comment\nlet s = \"x\"; // crate::f\n<crate::g::C/>",
    );
    let found: Vec<String> = referenced(&code).into_iter().collect();
    assert_eq!(found, ["a", "b", "c", "d", "g"]);
}
