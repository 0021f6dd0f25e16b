//! The app's own static files under `/pkg` (CSS, JS, WASM). cargo-leptos names
//! them by content (`oxcart.<hash>.wasm`, `hash-files` in Cargo.toml) and
//! `oxcart compress-assets` writes brotli and gzip copies next to them at build
//! time; they are served with the copy the browser accepts and, having
//! content-hashed names, cached for a year as immutable.

use std::io::Write;
use std::path::{Path, PathBuf};

use tower_http::services::ServeDir;

/// Files worth compressing (text and WASM; pictures are compressed already).
const COMPRESSIBLE: [&str; 5] = ["js", "wasm", "css", "svg", "json"];

/// Serves `<site root>/pkg`, choosing `.br` or `.gz` copies by `Accept-Encoding`.
pub fn pkg_service(site_root: &Path) -> ServeDir {
    ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip()
}

/// Whether a file name carries cargo-leptos's content hash: a dot-separated
/// part of 22 URL-safe base64 characters (an MD5), as in `oxcart.Ab3…x9.wasm`.
pub fn is_content_hashed(file_name: &str) -> bool {
    let parts: Vec<&str> = file_name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|p| {
            p.len() == 22
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// One compressed file: (name, raw, brotli, gzip) sizes in bytes.
pub type Compressed = (String, u64, u64, u64);

/// Writes `<file>.br` (brotli, best) and `<file>.gz` (gzip, best) next to every
/// compressible file under `dir`, replacing older copies.
pub fn compress_dir(dir: &Path) -> std::io::Result<Vec<Compressed>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !COMPRESSIBLE.contains(&ext) {
                continue;
            }
            let raw = std::fs::read(&path)?;
            let br = brotli_of(&raw)?;
            let gz = gzip_of(&raw)?;
            std::fs::write(with_suffix(&path, "br"), &br)?;
            std::fs::write(with_suffix(&path, "gz"), &gz)?;
            out.push((
                path.strip_prefix(dir)
                    .unwrap_or(&path)
                    .display()
                    .to_string(),
                raw.len() as u64,
                br.len() as u64,
                gz.len() as u64,
            ));
        }
    }
    out.sort();
    Ok(out)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

fn brotli_of(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        w.write_all(raw)?;
        w.flush()?;
    }
    Ok(out)
}

fn gzip_of(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    w.write_all(raw)?;
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_told_apart_from_plain_ones() {
        assert!(is_content_hashed("oxcart.Xk3_9aZq-0bCdEfGhIjKlM.wasm"));
        assert!(is_content_hashed("oxcart.Xk3_9aZq-0bCdEfGhIjKlM.wasm.br"));
        assert!(!is_content_hashed("oxcart.wasm"));
        assert!(!is_content_hashed("oxcart.css"));
        assert!(!is_content_hashed("favicon.ico"));
        assert!(!is_content_hashed("oxcart.short.js"));
    }

    #[test]
    fn compressed_copies_decompress_to_the_original() {
        let dir = std::env::temp_dir().join(format!("oxcart-assets-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("snippets")).unwrap();
        let text = "function hydrate() { return 42; }\n".repeat(500);
        std::fs::write(dir.join("app.js"), &text).unwrap();
        std::fs::write(dir.join("snippets").join("s.js"), &text).unwrap();
        std::fs::write(dir.join("picture.webp"), b"RIFF").unwrap();
        let done = compress_dir(&dir).unwrap();
        let names: Vec<&str> = done.iter().map(|(n, ..)| n.as_str()).collect();
        assert_eq!(names, vec!["app.js", "snippets/s.js"]);
        let (_, raw, br, gz) = &done[0];
        assert!(*br < *raw / 10 && *gz < *raw / 10, "{done:?}");
        let mut unbr = Vec::new();
        brotli::BrotliDecompress(
            &mut std::io::Cursor::new(std::fs::read(dir.join("app.js.br")).unwrap()),
            &mut unbr,
        )
        .unwrap();
        assert_eq!(unbr, text.as_bytes());
        let mut ungz = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(dir.join("app.js.gz")).unwrap()),
            &mut ungz,
        )
        .unwrap();
        assert_eq!(ungz, text);
        assert!(!dir.join("picture.webp.br").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
