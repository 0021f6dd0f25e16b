//! Pictures as pages show them (shared by the server and the browser).

use serde::{Deserialize, Serialize};

/// A product picture as pages use it: stored in a few widths under
/// content-hashed names (`/images/<key>-<width>.webp`), so the browser picks a
/// size from `srcset` and caches each file for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picture {
    /// Content hash of the original upload; empty for the placeholder, or for a
    /// picture saved before resizing existed and not converted yet (then `legacy`).
    pub key: String,
    /// The widths stored, smallest first.
    pub widths: Vec<u32>,
    /// Size of the largest stored width (the aspect ratio for every width).
    pub width: u32,
    pub height: u32,
    pub alt: String,
    /// The original's address for a picture without widths yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy: Option<String>,
}

/// Where a product picture comes from when it has none.
pub const PLACEHOLDER_IMAGE: &str = "/placeholder.svg";

impl Picture {
    /// The shop's "no photo yet" picture.
    pub fn placeholder(alt: String) -> Self {
        Picture {
            key: String::new(),
            widths: Vec::new(),
            width: 800,
            height: 800,
            alt,
            legacy: None,
        }
    }

    pub fn is_placeholder(&self) -> bool {
        self.key.is_empty() && self.legacy.is_none()
    }

    /// The file of one stored width.
    pub fn file_url(key: &str, width: u32) -> String {
        format!("/images/{key}-{width}.webp")
    }

    /// The smallest stored width at least `want` pixels wide (else the largest).
    pub fn url(&self, want: u32) -> String {
        if self.key.is_empty() {
            return self
                .legacy
                .clone()
                .unwrap_or_else(|| PLACEHOLDER_IMAGE.to_string());
        }
        let w = self
            .widths
            .iter()
            .copied()
            .find(|w| *w >= want)
            .or_else(|| self.widths.last().copied())
            .unwrap_or(self.width);
        Self::file_url(&self.key, w)
    }

    /// `srcset` listing every stored width (empty when there is one file only).
    pub fn srcset(&self) -> String {
        if self.key.is_empty() {
            return String::new();
        }
        self.widths
            .iter()
            .map(|w| format!("{} {w}w", Self::file_url(&self.key, *w)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The height for `width`, keeping the aspect ratio (for width/height attributes).
    pub fn height_for(&self, width: u32) -> u32 {
        if self.width == 0 {
            return width;
        }
        ((u64::from(width) * u64::from(self.height) + u64::from(self.width) / 2)
            / u64::from(self.width))
        .max(1) as u32
    }
}
