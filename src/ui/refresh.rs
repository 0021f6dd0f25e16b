//! Telling the header to refresh itself after something changed what it shows.

use leptos::prelude::*;

/// Shared between components: bumped after anything that changes the header
/// (sign-in, sign-out, cart changes), so it refetches.
#[derive(Clone, Copy)]
pub struct HeaderVersion(pub RwSignal<u32>);

impl HeaderVersion {
    pub fn bump(&self) {
        self.0.update(|n| *n += 1);
    }
}

pub fn use_header_version() -> HeaderVersion {
    use_context::<HeaderVersion>().unwrap_or_else(|| HeaderVersion(RwSignal::new(0)))
}
