//! The in-process search engine (tantivy). Ranked with BM25 over name,
//! description, category and tags with English stemming; prefix matching for
//! as-you-type; one-typo tolerance on names. Filters and facet counts are computed
//! in one pass over the matching documents by [`FacetedTopDocs`].
//!
//! MongoDB stays the source of truth: the index lives in memory, is built at start
//! and kept in sync by `sync.rs`.

use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use mongodb::bson::oid::ObjectId;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer, TokenStream};
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, SegmentOrdinal,
    SegmentReader, TantivyDocument, Term,
};

use super::store::{Category, Product};
use super::types::{
    CategoryFacet, PriceBand, ProductCard, ProductStatus, SearchQuery, SearchResults, Sort,
    StatusFilter, PRICE_BAND_EDGES,
};
use crate::error::AppError;
use crate::money::{format_minor, minor_digits};

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    slug: Field,
    name: Field,
    name_raw: Field,
    name_exact: Field,
    description: Field,
    category_text: Field,
    tags: Field,
    category_num: Field,
    price: Field,
    stock: Field,
    created: Field,
    active: Field,
    featured: Field,
    image_url: Field,
    image_alt: Field,
    category_name: Field,
    currency: Field,
}

fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let stemmed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("en_stem")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let raw_words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let exact = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("lower_raw")
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        slug: b.add_text_field("slug", STORED),
        name: b.add_text_field("name", stemmed.clone() | STORED),
        name_raw: b.add_text_field("name_raw", raw_words),
        name_exact: b.add_text_field("name_exact", exact),
        description: b.add_text_field("description", stemmed.clone()),
        category_text: b.add_text_field("category_text", stemmed.clone()),
        tags: b.add_text_field("tags", stemmed),
        category_num: b.add_u64_field("category_num", FAST),
        price: b.add_i64_field("price", FAST | STORED),
        stock: b.add_i64_field("stock", FAST | STORED),
        created: b.add_i64_field("created", FAST),
        active: b.add_u64_field("active", FAST | INDEXED),
        featured: b.add_u64_field("featured", FAST),
        image_url: b.add_text_field("image_url", STORED),
        image_alt: b.add_text_field("image_alt", STORED),
        category_name: b.add_text_field("category_name", STORED),
        currency: b.add_text_field("currency", STORED),
    };
    (b.build(), fields)
}

/// Category numbers are dense small integers (0 = no category) so the collector
/// can count facets in a plain vector.
#[derive(Debug, Clone, Default)]
pub struct CategoryTree {
    by_id: HashMap<ObjectId, u64>,
    /// Indexed by number: (category, parent number).
    nodes: Vec<Option<(Category, u64)>>,
}

impl CategoryTree {
    pub fn build(categories: &[Category], previous: &CategoryTree) -> CategoryTree {
        let mut tree = CategoryTree {
            by_id: previous.by_id.clone(),
            nodes: vec![None; previous.nodes.len().max(1)],
        };
        for c in categories {
            let next = tree.nodes.len() as u64;
            let num = *tree.by_id.entry(c.id).or_insert(next);
            if num as usize >= tree.nodes.len() {
                tree.nodes.resize(num as usize + 1, None);
            }
            tree.nodes[num as usize] = Some((c.clone(), 0));
        }
        for i in 0..tree.nodes.len() {
            let parent = tree.nodes[i]
                .as_ref()
                .and_then(|(c, _)| c.parent_id)
                .and_then(|p| tree.by_id.get(&p).copied())
                .unwrap_or(0);
            if let Some((_, p)) = tree.nodes[i].as_mut() {
                *p = parent;
            }
        }
        tree
    }

    fn num(&self, id: Option<ObjectId>) -> u64 {
        id.and_then(|i| self.by_id.get(&i).copied()).unwrap_or(0)
    }

    fn category(&self, num: u64) -> Option<&Category> {
        self.nodes.get(num as usize)?.as_ref().map(|(c, _)| c)
    }

    fn parent(&self, num: u64) -> u64 {
        self.nodes
            .get(num as usize)
            .and_then(|n| n.as_ref())
            .map(|(_, p)| *p)
            .unwrap_or(0)
    }

    /// The chain from the root down to `num` (guarding against cycles).
    fn ancestry(&self, num: u64) -> Vec<u64> {
        let mut chain = Vec::new();
        let mut cur = num;
        while cur != 0 && chain.len() < 16 && !chain.contains(&cur) {
            chain.push(cur);
            cur = self.parent(cur);
        }
        chain.reverse();
        chain
    }

    /// Names from the root down, for indexing ("Home › Lighting").
    fn path_names(&self, num: u64) -> Vec<String> {
        self.ancestry(num)
            .into_iter()
            .filter_map(|n| self.category(n).map(|c| c.name.clone()))
            .collect()
    }

    fn find_slug(&self, slug: &str) -> Option<u64> {
        self.nodes
            .iter()
            .enumerate()
            .find_map(|(i, n)| n.as_ref().filter(|(c, _)| c.slug == slug).map(|_| i as u64))
    }

    /// Marks `num` and every category below it.
    fn subtree_mask(&self, num: u64) -> Vec<bool> {
        (0..self.nodes.len() as u64)
            .map(|n| n != 0 && self.ancestry(n).contains(&num))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }
}

/// Results of recent searches for the current index generation. Popular queries
/// (and the home page) are then answered without touching the index; any commit
/// starts a new generation, so a cached answer is never older than the index.
#[derive(Default)]
struct ResultCache {
    generation: u64,
    entries: HashMap<SearchQuery, Arc<SearchResults>>,
}

const RESULT_CACHE_ENTRIES: usize = 2048;

pub struct SearchIndex {
    index: Index,
    generation: AtomicU64,
    cache: Mutex<ResultCache>,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    tree: RwLock<Arc<CategoryTree>>,
    currency: String,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

fn tantivy_err(e: tantivy::TantivyError) -> AppError {
    AppError::internal("search index error", e)
}

impl SearchIndex {
    pub fn new(currency: &str) -> Result<SearchIndex, AppError> {
        let (schema, fields) = build_schema();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(
            "lower_raw",
            TextAnalyzer::builder(RawTokenizer::default())
                .filter(LowerCaser)
                .build(),
        );
        let writer = index
            .writer_with_num_threads(1, 40_000_000)
            .map_err(tantivy_err)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(tantivy_err)?;
        Ok(SearchIndex {
            index,
            generation: AtomicU64::new(0),
            cache: Mutex::new(ResultCache::default()),
            reader,
            writer: Mutex::new(writer),
            fields,
            tree: RwLock::new(Arc::new(CategoryTree::default())),
            currency: currency.to_string(),
        })
    }

    pub fn set_categories(&self, categories: &[Category]) {
        let mut guard = self.tree.write().unwrap_or_else(|e| e.into_inner());
        let next = CategoryTree::build(categories, &guard);
        *guard = Arc::new(next);
        drop(guard);
        // Facets show category names: cached answers from the old tree are stale.
        self.generation.fetch_add(1, AtomicOrdering::AcqRel);
    }

    fn tree(&self) -> Arc<CategoryTree> {
        self.tree.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn document(&self, p: &Product, tree: &CategoryTree) -> TantivyDocument {
        let f = &self.fields;
        let num = tree.num(p.category_id);
        let path = tree.path_names(num);
        let (image_url, image_alt) = p.first_image();
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, p.id.to_hex());
        doc.add_text(f.slug, &p.slug);
        doc.add_text(f.name, &p.name);
        doc.add_text(f.name_raw, &p.name);
        doc.add_text(f.name_exact, p.name.trim());
        doc.add_text(f.description, &p.description);
        doc.add_text(f.category_text, path.join(" "));
        doc.add_text(f.tags, p.tags.join(" "));
        doc.add_u64(f.category_num, num);
        doc.add_i64(f.price, p.price);
        doc.add_i64(f.stock, p.stock);
        doc.add_i64(f.created, p.created_at.timestamp_millis());
        doc.add_u64(f.active, u64::from(p.status == ProductStatus::Active));
        doc.add_u64(f.featured, u64::from(p.featured));
        doc.add_text(f.image_url, image_url);
        doc.add_text(f.image_alt, image_alt);
        doc.add_text(f.category_name, path.last().cloned().unwrap_or_default());
        doc.add_text(f.currency, &p.currency);
        doc
    }

    /// Replaces the whole index with these products (one atomic commit).
    pub fn rebuild(&self, products: &[Product]) -> Result<(), AppError> {
        let tree = self.tree();
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.delete_all_documents().map_err(tantivy_err)?;
        for p in products {
            writer
                .add_document(self.document(p, &tree))
                .map_err(tantivy_err)?;
        }
        self.commit_locked(writer)
    }

    /// Adds a batch without committing (used while streaming a full build).
    pub fn add_batch_uncommitted(&self, products: &[Product], first: bool) -> Result<(), AppError> {
        let tree = self.tree();
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if first {
            writer.delete_all_documents().map_err(tantivy_err)?;
        }
        for p in products {
            writer
                .add_document(self.document(p, &tree))
                .map_err(tantivy_err)?;
        }
        Ok(())
    }

    pub fn commit(&self) -> Result<(), AppError> {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.commit_locked(writer)
    }

    /// Commits what `writer` holds, makes it visible to searches and starts a new
    /// result-cache generation.
    fn commit_locked(&self, mut writer: MutexGuard<'_, IndexWriter>) -> Result<(), AppError> {
        writer.commit().map_err(tantivy_err)?;
        drop(writer);
        self.reader.reload().map_err(tantivy_err)?;
        self.generation.fetch_add(1, AtomicOrdering::AcqRel);
        Ok(())
    }

    /// Applies changes: upserts for products that exist, deletes for ids that are gone.
    pub fn apply(&self, upserts: &[Product], deletes: &[ObjectId]) -> Result<(), AppError> {
        let tree = self.tree();
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        for id in deletes {
            writer.delete_term(Term::from_field_text(self.fields.id, &id.to_hex()));
        }
        for p in upserts {
            writer.delete_term(Term::from_field_text(self.fields.id, &p.id.to_hex()));
            writer
                .add_document(self.document(p, &tree))
                .map_err(tantivy_err)?;
        }
        self.commit_locked(writer)
    }

    /// Top-level categories, by name (from memory; for the home page).
    pub fn top_categories(&self) -> Vec<super::types::CategoryView> {
        let tree = self.tree();
        let mut out: Vec<super::types::CategoryView> = tree
            .nodes
            .iter()
            .flatten()
            .filter(|(c, _)| c.parent_id.is_none())
            .map(|(c, _)| c.view())
            .collect();
        out.sort_by_key(|c| c.name.to_lowercase());
        out
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn analyze(&self, analyzer: &str, text: &str) -> Vec<String> {
        let Some(mut a) = self.index.tokenizers().get(analyzer) else {
            return Vec::new();
        };
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token().text.clone();
            if !t.is_empty() && !out.contains(&t) {
                out.push(t);
            }
        }
        out.truncate(12);
        out
    }

    /// The text part of a search. `all_words`: every word must match (else any word).
    fn text_query(&self, q: &str, all_words: bool) -> Box<dyn Query> {
        let f = &self.fields;
        let raw = self.analyze("default", q);
        if raw.is_empty() {
            return Box::new(AllQuery);
        }
        let stemmed: Vec<String> = raw
            .iter()
            .map(|w| {
                self.analyze("en_stem", w)
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| w.clone())
            })
            .collect();
        let last = raw.len() - 1;
        let mut per_word: Vec<Box<dyn Query>> = Vec::new();
        for (i, (r, s)) in raw.iter().zip(&stemmed).enumerate() {
            let term = |field: Field, text: &str, boost: Score| -> Box<dyn Query> {
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, text),
                        IndexRecordOption::WithFreqs,
                    )),
                    boost,
                ))
            };
            let mut alternatives: Vec<Box<dyn Query>> = vec![
                term(f.name, s, 3.0),
                term(f.tags, s, 2.0),
                term(f.category_text, s, 1.5),
                term(f.description, s, 1.0),
            ];
            let chars = r.chars().count();
            if chars >= 4 {
                alternatives.push(Box::new(BoostQuery::new(
                    Box::new(FuzzyTermQuery::new(
                        Term::from_field_text(f.name_raw, r),
                        1,
                        true,
                    )),
                    0.8,
                )));
            }
            if i == last && chars >= 2 {
                alternatives.push(Box::new(BoostQuery::new(
                    Box::new(FuzzyTermQuery::new_prefix(
                        Term::from_field_text(f.name_raw, r),
                        0,
                        true,
                    )),
                    1.2,
                )));
            }
            per_word.push(Box::new(BooleanQuery::union(alternatives)));
        }
        let words: Box<dyn Query> = if all_words {
            Box::new(BooleanQuery::intersection(per_word))
        } else {
            Box::new(BooleanQuery::union(per_word))
        };
        let exact = Box::new(BoostQuery::new(
            Box::new(TermQuery::new(
                Term::from_field_text(f.name_exact, &q.trim().to_lowercase()),
                IndexRecordOption::Basic,
            )),
            20.0,
        ));
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, words),
            (Occur::Should, exact),
        ]))
    }

    fn bands(&self) -> Vec<(Option<i64>, Option<i64>)> {
        let scale = 10i64.pow(minor_digits(&self.currency));
        let mut out = Vec::new();
        let mut lo: Option<i64> = None;
        for edge in PRICE_BAND_EDGES {
            let hi = edge * scale;
            out.push((lo, Some(hi - 1)));
            lo = Some(hi);
        }
        out.push((lo, None));
        out
    }

    /// The answer for `query` if this index generation already computed it.
    pub fn cached(&self, query: &SearchQuery) -> Option<SearchResults> {
        let generation = self.generation.load(AtomicOrdering::Acquire);
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.generation != generation {
            return None;
        }
        cache.entries.get(query).map(|r| (**r).clone())
    }

    /// Runs a search, answering from the result cache when it can.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults, AppError> {
        if let Some(hit) = self.cached(query) {
            return Ok(hit);
        }
        let generation = self.generation.load(AtomicOrdering::Acquire);
        let results = self.search_uncached(query)?;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.generation > generation {
            // The index changed while this search ran and newer answers are cached:
            // keep those rather than rolling the cache back.
            return Ok(results);
        }
        if cache.generation != generation || cache.entries.len() >= RESULT_CACHE_ENTRIES {
            cache.entries.clear();
            cache.generation = generation;
        }
        cache
            .entries
            .insert(query.clone(), Arc::new(results.clone()));
        Ok(results)
    }

    /// Runs a storefront or admin search over the index. Pure CPU.
    pub fn search_uncached(&self, query: &SearchQuery) -> Result<SearchResults, AppError> {
        let tree = self.tree();
        let category_mask = match &query.category {
            Some(slug) => match tree.find_slug(slug) {
                Some(num) => Some(tree.subtree_mask(num)),
                None => return Err(AppError::NotFound),
            },
            None => None,
        };
        let per_page = query.per_page.max(1) as usize;
        let offset = (query.page.max(1) as usize - 1) * per_page;
        let bands = self.bands();
        let searcher = self.reader.searcher();

        let run = |all_words: bool| -> Result<FacetedFruit, AppError> {
            let text = self.text_query(&query.q, all_words);
            let collector = FacetedTopDocs {
                sort: if query.q.trim().is_empty() && query.sort == Sort::Relevance {
                    Sort::Newest
                } else {
                    query.sort
                },
                keep: offset + per_page,
                status: query.status,
                featured_only: query.featured_only,
                in_stock: query.in_stock,
                category_mask: category_mask.clone(),
                min_price: query.min_price,
                max_price: query.max_price,
                bands: bands.clone(),
                n_categories: tree.len().max(1),
            };
            searcher
                .search(text.as_ref(), &collector)
                .map_err(tantivy_err)
        };
        let mut relaxed = false;
        let mut fruit = run(true)?;
        let words = self.analyze("default", &query.q).len();
        if fruit.total == 0 && words > 1 {
            let any = run(false)?;
            if any.total > 0 {
                fruit = any;
                relaxed = true;
            }
        }

        let items = fruit
            .top
            .iter()
            .skip(offset)
            .take(per_page)
            .filter_map(|hit| self.card(&searcher, hit.addr))
            .collect::<Vec<_>>();

        // Roll category counts up to their ancestors, keep those with hits.
        let mut rolled = vec![0u64; tree.len().max(1)];
        for (num, count) in fruit.category_counts.iter().enumerate() {
            if *count == 0 || num == 0 {
                continue;
            }
            for a in tree.ancestry(num as u64) {
                rolled[a as usize] += count;
            }
        }
        let mut categories: Vec<(Vec<String>, CategoryFacet)> = rolled
            .iter()
            .enumerate()
            .filter(|(num, c)| **c > 0 && *num != 0)
            .filter_map(|(num, c)| {
                let cat = tree.category(num as u64)?;
                let chain = tree.ancestry(num as u64);
                // Sort key: the names from the root, so children follow their parent.
                let path: Vec<String> = chain
                    .iter()
                    .filter_map(|n| tree.category(*n).map(|c| c.name.to_lowercase()))
                    .collect();
                Some((
                    path,
                    CategoryFacet {
                        slug: cat.slug.clone(),
                        name: cat.name.clone(),
                        count: *c,
                        depth: chain.len().saturating_sub(1) as u32,
                    },
                ))
            })
            .collect();
        categories.sort_by(|a, b| a.0.cmp(&b.0));
        let categories: Vec<CategoryFacet> = categories.into_iter().map(|(_, f)| f).collect();

        let price_bands = bands
            .iter()
            .zip(&fruit.band_counts)
            .map(|((lo, hi), count)| PriceBand {
                label: band_label(*lo, *hi, &self.currency),
                min: *lo,
                max: *hi,
                count: *count,
            })
            .collect();

        let total = fruit.total;
        let pages = total
            .div_ceil(per_page as u64)
            .min(super::types::MAX_PAGE as u64) as u32;
        let suggestions = if total == 0 {
            let mut s = Vec::new();
            if !query.q.is_empty() {
                s.push("Check the spelling, or try a shorter or more general word.".to_string());
            }
            if query.category.is_some()
                || query.min_price.is_some()
                || query.max_price.is_some()
                || query.in_stock
            {
                s.push("Remove some filters to widen the search.".to_string());
            }
            s.push("Browse the categories below.".to_string());
            s
        } else {
            Vec::new()
        };
        Ok(SearchResults {
            currency: self.currency.clone(),
            items,
            total,
            page: query.page,
            pages,
            categories,
            price_bands,
            relaxed,
            suggestions,
        })
    }

    fn card(&self, searcher: &tantivy::Searcher, addr: DocAddress) -> Option<ProductCard> {
        let f = &self.fields;
        let doc: TantivyDocument = searcher.doc(addr).ok()?;
        let text = |field: Field| -> String {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let int =
            |field: Field| -> i64 { doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or(0) };
        let seg = searcher.segment_reader(addr.segment_ord);
        let active = seg
            .fast_fields()
            .u64("active")
            .ok()
            .and_then(|c| c.first(addr.doc_id))
            .unwrap_or(1);
        Some(ProductCard {
            id: text(f.id),
            slug: text(f.slug),
            name: text(f.name),
            price: int(f.price),
            currency: text(f.currency),
            stock: int(f.stock),
            image_url: text(f.image_url),
            image_alt: text(f.image_alt),
            category_name: text(f.category_name),
            status: if active == 1 {
                ProductStatus::Active
            } else {
                ProductStatus::Archived
            },
        })
    }
}

fn band_label(lo: Option<i64>, hi: Option<i64>, currency: &str) -> String {
    match (lo, hi) {
        (None, Some(h)) => format!("Under {}", format_minor(h + 1, currency)),
        (Some(l), Some(h)) => format!(
            "{} to {}",
            format_minor(l, currency),
            format_minor(h + 1, currency)
        ),
        (Some(l), None) => format!("{} and up", format_minor(l, currency)),
        (None, None) => "Any price".to_string(),
    }
}

// ---------- the collector ----------

/// A hit with its sort key (smaller sorts first).
#[derive(Debug, Clone, Copy)]
struct Hit {
    key: f64,
    tiebreak: i64,
    addr: DocAddress,
}

impl PartialEq for Hit {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Hit {}
impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Hit {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key
            .total_cmp(&other.key)
            .then(self.tiebreak.cmp(&other.tiebreak))
            .then(self.addr.cmp(&other.addr))
    }
}

/// Counts matches, facet counts and keeps the best `keep` hits, applying the
/// filters from fast fields. Category counts ignore the category filter and
/// price-band counts ignore the price filter, so each facet shows what choosing
/// another value would give.
struct FacetedTopDocs {
    sort: Sort,
    keep: usize,
    status: StatusFilter,
    featured_only: bool,
    in_stock: bool,
    category_mask: Option<Vec<bool>>,
    min_price: Option<i64>,
    max_price: Option<i64>,
    bands: Vec<(Option<i64>, Option<i64>)>,
    n_categories: usize,
}

#[derive(Default)]
struct FacetedFruit {
    total: u64,
    category_counts: Vec<u64>,
    band_counts: Vec<u64>,
    top: Vec<Hit>,
}

impl Collector for FacetedTopDocs {
    type Fruit = FacetedFruit;
    type Child = FacetedSegmentOwned;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        let ff = reader.fast_fields();
        Ok(FacetedSegmentOwned {
            inner: FacetedSegmentState {
                segment,
                price: ff.i64("price")?,
                stock: ff.i64("stock")?,
                created: ff.i64("created")?,
                category: ff.u64("category_num")?,
                active: ff.u64("active")?,
                featured: ff.u64("featured")?,
                fruit: FacetedFruit {
                    total: 0,
                    category_counts: vec![0; self.n_categories],
                    band_counts: vec![0; self.bands.len()],
                    top: Vec::new(),
                },
                heap: BinaryHeap::new(),
            },
            config: SegmentConfig {
                sort: self.sort,
                keep: self.keep,
                status: self.status,
                featured_only: self.featured_only,
                in_stock: self.in_stock,
                category_mask: self.category_mask.clone(),
                min_price: self.min_price,
                max_price: self.max_price,
                bands: self.bands.clone(),
            },
        })
    }

    fn requires_scoring(&self) -> bool {
        self.sort == Sort::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<FacetedFruit>) -> tantivy::Result<FacetedFruit> {
        let mut out = FacetedFruit {
            total: 0,
            category_counts: vec![0; self.n_categories],
            band_counts: vec![0; self.bands.len()],
            top: Vec::new(),
        };
        for f in fruits {
            out.total += f.total;
            for (i, c) in f.category_counts.iter().enumerate() {
                if i < out.category_counts.len() {
                    out.category_counts[i] += c;
                }
            }
            for (i, c) in f.band_counts.iter().enumerate() {
                out.band_counts[i] += c;
            }
            out.top.extend(f.top);
        }
        out.top.sort();
        out.top.truncate(self.keep);
        Ok(out)
    }
}

struct SegmentConfig {
    sort: Sort,
    keep: usize,
    status: StatusFilter,
    featured_only: bool,
    in_stock: bool,
    category_mask: Option<Vec<bool>>,
    min_price: Option<i64>,
    max_price: Option<i64>,
    bands: Vec<(Option<i64>, Option<i64>)>,
}

struct FacetedSegmentState {
    segment: SegmentOrdinal,
    price: Column<i64>,
    stock: Column<i64>,
    created: Column<i64>,
    category: Column<u64>,
    active: Column<u64>,
    featured: Column<u64>,
    fruit: FacetedFruit,
    heap: BinaryHeap<Hit>,
}

struct FacetedSegmentOwned {
    inner: FacetedSegmentState,
    config: SegmentConfig,
}

impl SegmentCollector for FacetedSegmentOwned {
    type Fruit = FacetedFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        let c = &self.config;
        let s = &mut self.inner;
        let active = s.active.first(doc).unwrap_or(0) == 1;
        let status_ok = match c.status {
            StatusFilter::Active => active,
            StatusFilter::Archived => !active,
            StatusFilter::All => true,
        };
        if !status_ok || (c.featured_only && s.featured.first(doc).unwrap_or(0) != 1) {
            return;
        }
        let stock = s.stock.first(doc).unwrap_or(0);
        if c.in_stock && stock <= 0 {
            return;
        }
        let price = s.price.first(doc).unwrap_or(0);
        let category = s.category.first(doc).unwrap_or(0) as usize;
        let category_ok = c
            .category_mask
            .as_ref()
            .is_none_or(|m| m.get(category).copied().unwrap_or(false));
        let price_ok =
            c.min_price.is_none_or(|lo| price >= lo) && c.max_price.is_none_or(|hi| price <= hi);
        if price_ok && category < s.fruit.category_counts.len() {
            s.fruit.category_counts[category] += 1;
        }
        if category_ok {
            if let Some(band) = c
                .bands
                .iter()
                .position(|(lo, hi)| lo.is_none_or(|l| price >= l) && hi.is_none_or(|h| price <= h))
            {
                s.fruit.band_counts[band] += 1;
            }
        }
        if !(category_ok && price_ok) {
            return;
        }
        s.fruit.total += 1;
        let created = s.created.first(doc).unwrap_or(0);
        let key = match c.sort {
            Sort::Relevance => -(score as f64),
            Sort::PriceAsc => price as f64,
            Sort::PriceDesc => -(price as f64),
            Sort::Newest => -(created as f64),
            Sort::StockAsc => stock as f64,
        };
        let hit = Hit {
            key,
            tiebreak: -created,
            addr: DocAddress::new(s.segment, doc),
        };
        if s.heap.len() < c.keep {
            s.heap.push(hit);
        } else if let Some(worst) = s.heap.peek() {
            if hit < *worst {
                s.heap.pop();
                s.heap.push(hit);
            }
        }
    }

    fn harvest(self) -> FacetedFruit {
        let mut fruit = self.inner.fruit;
        fruit.top = self.inner.heap.into_sorted_vec();
        fruit
    }
}
