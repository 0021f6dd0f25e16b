//! Answers of recent searches, per index generation.

use std::collections::HashMap;
use std::sync::Arc;

use crate::catalog::types::{SearchQuery, SearchResults};

/// Results of recent searches for the current index generation. Popular queries
/// (and the home page) are then answered without touching the index; any commit
/// starts a new generation, so a cached answer is never older than the index.
#[derive(Default)]
pub(super) struct ResultCache {
    pub(super) generation: u64,
    pub(super) entries: HashMap<SearchQuery, Arc<SearchResults>>,
}

pub(super) const RESULT_CACHE_ENTRIES: usize = 2048;
