//! The in-process search engine (tantivy). Ranked with BM25 over name,
//! description, category and tags with English stemming; prefix matching for
//! as-you-type; one-typo tolerance on names. Filters and facet counts are computed
//! in one pass over the matching documents by [`FacetedTopDocs`].
//!
//! MongoDB stays the source of truth: the index lives in memory, is built at start
//! and kept in sync by `catalog::sync`.

mod cache;
mod categories;
mod collector;
mod options;
mod query;
mod schema;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use mongodb::bson::oid::ObjectId;
use tantivy::schema::{Field, Value};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use cache::{ResultCache, RESULT_CACHE_ENTRIES};
pub use categories::CategoryTree;
use collector::{FacetedFruit, FacetedTopDocs};
use options::{OptionDictionary, OptionFilter, OptionIndex, VariantTable};
use schema::{build_schema, Fields};

use super::store::{Category, Product};
use super::types::{
    CategoryFacet, OptionFacet, OptionValueFacet, Picture, PriceBand, ProductCard, ProductStatus,
    SearchQuery, SearchResults, Sort, PRICE_BAND_EDGES,
};
use crate::kernel::{Error, Result};
use crate::shared::{AppError, Currency, Money};

pub struct SearchIndex {
    index: Index,
    generation: AtomicU64,
    cache: Mutex<ResultCache>,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    tree: RwLock<Arc<CategoryTree>>,
    /// Options and variants as documents were added (guarded with the writer).
    option_index: Mutex<OptionIndex>,
    /// What searches read: published at each commit.
    options: RwLock<OptionSnapshot>,
    /// Every product (any status) as last indexed, for product pages: updated
    /// with the index, so a product page is as fresh as search.
    products: RwLock<ProductMemory>,
    currency: Currency,
}

/// Products by id, and ids by slug and by variant.
#[derive(Default)]
struct ProductMemory {
    by_id: HashMap<ObjectId, Arc<Product>>,
    by_slug: HashMap<String, ObjectId>,
    by_variant: HashMap<ObjectId, ObjectId>,
}

impl ProductMemory {
    fn put(&mut self, p: &Product) {
        self.remove(&p.id);
        self.by_slug.insert(p.slug.to_string(), p.id);
        for v in &p.variants {
            self.by_variant.insert(v.id, p.id);
        }
        self.by_id.insert(p.id, Arc::new(p.clone()));
    }

    fn remove(&mut self, id: &ObjectId) {
        if let Some(old) = self.by_id.remove(id) {
            if self.by_slug.get(old.slug.as_str()) == Some(id) {
                self.by_slug.remove(old.slug.as_str());
            }
            for v in &old.variants {
                if self.by_variant.get(&v.id) == Some(id) {
                    self.by_variant.remove(&v.id);
                }
            }
        }
    }
}

#[derive(Clone, Default)]
struct OptionSnapshot {
    dictionary: Arc<OptionDictionary>,
    variants: Arc<VariantTable>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

fn tantivy_err(e: tantivy::TantivyError) -> Error {
    Error::internal_from("search index error", e)
}

impl SearchIndex {
    pub fn new(currency: Currency) -> Result<SearchIndex> {
        let (schema, fields) = build_schema();
        let mut index = Index::create_in_ram(schema);
        // A broad search over a big catalog visits every product: its segments are
        // searched in parallel, one thread per core.
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        index
            .set_multithread_executor(threads)
            .map_err(tantivy_err)?;
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
            option_index: Mutex::new(OptionIndex::default()),
            options: RwLock::new(OptionSnapshot::default()),
            products: RwLock::new(ProductMemory::default()),
            currency,
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

    fn option_snapshot(&self) -> OptionSnapshot {
        self.options
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn document(
        &self,
        p: &Product,
        tree: &CategoryTree,
        options: &mut OptionIndex,
    ) -> TantivyDocument {
        let f = &self.fields;
        let recorded = options.record(p);
        let num = tree.num(p.category_id);
        let path = tree.path_names(num);
        let picture = serde_json::to_string(&p.first_image()).unwrap_or_default();
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, p.id.to_hex());
        doc.add_text(f.slug, p.slug.as_str());
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
        doc.add_text(f.picture, picture);
        doc.add_text(f.category_name, path.last().cloned().unwrap_or_default());
        doc.add_text(f.currency, p.currency.code());
        let values: Vec<&str> = p
            .variants
            .iter()
            .flat_map(|v| v.options.iter().map(String::as_str))
            .collect();
        doc.add_text(f.options_text, values.join(" "));
        for pair in recorded.all {
            doc.add_u64(f.opt, u64::from(pair));
        }
        for pair in recorded.in_stock {
            doc.add_u64(f.opt_in, u64::from(pair));
        }
        doc.add_u64(f.pnum, recorded.number);
        let price_max = p.variants.iter().map(|v| v.price).max().unwrap_or(p.price);
        doc.add_i64(f.price_max, price_max.max(p.price));
        doc.add_u64(f.price_varies, u64::from(p.price_varies()));
        doc.add_u64(f.has_options, u64::from(!p.options.is_empty()));
        if let Some(c) = p.compare_at() {
            doc.add_i64(f.compare_at, c.minor());
        }
        doc
    }

    /// Adds a batch without committing (used while streaming a full build).
    pub fn add_batch_uncommitted(&self, products: &[Product], first: bool) -> Result<()> {
        let tree = self.tree();
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut options = self.option_index.lock().unwrap_or_else(|e| e.into_inner());
        let mut memory = self.products.write().unwrap_or_else(|e| e.into_inner());
        if first {
            writer.delete_all_documents().map_err(tantivy_err)?;
            options.clear();
            *memory = ProductMemory::default();
        }
        for p in products {
            memory.put(p);
            writer
                .add_document(self.document(p, &tree, &mut options))
                .map_err(tantivy_err)?;
        }
        Ok(())
    }

    pub fn commit(&self) -> Result<()> {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        self.commit_locked(writer)
    }

    /// Commits what `writer` holds, makes it visible to searches and starts a new
    /// result-cache generation.
    fn commit_locked(&self, mut writer: MutexGuard<'_, IndexWriter>) -> Result<()> {
        writer.commit().map_err(tantivy_err)?;
        // Publish the variants before the documents that refer to them.
        let snapshot = {
            let options = self.option_index.lock().unwrap_or_else(|e| e.into_inner());
            OptionSnapshot {
                dictionary: Arc::new(options.dictionary.clone()),
                variants: Arc::new(options.table.clone()),
            }
        };
        *self.options.write().unwrap_or_else(|e| e.into_inner()) = snapshot;
        drop(writer);
        self.reader.reload().map_err(tantivy_err)?;
        self.generation.fetch_add(1, AtomicOrdering::AcqRel);
        Ok(())
    }

    /// Applies changes: upserts for products that exist, deletes for ids that are gone.
    pub fn apply(&self, upserts: &[Product], deletes: &[ObjectId]) -> Result<()> {
        let tree = self.tree();
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        {
            let mut options = self.option_index.lock().unwrap_or_else(|e| e.into_inner());
            let mut memory = self.products.write().unwrap_or_else(|e| e.into_inner());
            for id in deletes {
                writer.delete_term(Term::from_field_text(self.fields.id, &id.to_hex()));
                options.forget(id);
                memory.remove(id);
            }
            for p in upserts {
                memory.put(p);
                writer.delete_term(Term::from_field_text(self.fields.id, &p.id.to_hex()));
                writer
                    .add_document(self.document(p, &tree, &mut options))
                    .map_err(tantivy_err)?;
            }
        }
        self.commit_locked(writer)
    }

    /// Changes whenever the indexed catalog does (products or categories): what
    /// was made from an older generation may be stale.
    pub fn generation(&self) -> u64 {
        self.generation.load(AtomicOrdering::Acquire)
    }

    /// The product with this web address (any status), as last indexed.
    pub fn product_by_slug(&self, slug: &str) -> Option<Arc<Product>> {
        let memory = self.products.read().unwrap_or_else(|e| e.into_inner());
        memory
            .by_slug
            .get(slug)
            .and_then(|id| memory.by_id.get(id))
            .cloned()
    }

    /// The product with this id (any status), as last indexed.
    pub fn product_by_id(&self, id: &ObjectId) -> Option<Arc<Product>> {
        let memory = self.products.read().unwrap_or_else(|e| e.into_inner());
        memory.by_id.get(id).cloned()
    }

    /// The product one of whose variants has this id, as last indexed.
    pub fn product_by_variant(&self, variant_id: &ObjectId) -> Option<Arc<Product>> {
        let memory = self.products.read().unwrap_or_else(|e| e.into_inner());
        memory
            .by_variant
            .get(variant_id)
            .and_then(|id| memory.by_id.get(id))
            .cloned()
    }

    /// A category and its ancestors from the top down (for breadcrumbs); empty
    /// when the product has no category or it is gone.
    pub fn category_path(&self, category_id: Option<ObjectId>) -> Vec<super::types::CategoryView> {
        let tree = self.tree();
        let num = tree.num(category_id);
        if num == 0 {
            return Vec::new();
        }
        tree.ancestry(num)
            .into_iter()
            .filter_map(|n| tree.category(n).map(|c| c.view()))
            .collect()
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

    /// Price bands (inclusive bounds, minor units) offered as filters.
    fn bands(&self) -> Vec<(Option<i64>, Option<i64>)> {
        let scale = 10i64.pow(self.currency.minor_digits());
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
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
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
    pub fn search_uncached(&self, query: &SearchQuery) -> Result<SearchResults> {
        let tree = self.tree();
        let category_mask = match &query.category {
            Some(slug) => match tree.find_slug(slug) {
                Some(num) => Some(tree.subtree_mask(num)),
                None => return Err(AppError::NotFound.into()),
            },
            None => None,
        };
        let per_page = query.per_page.max(1) as usize;
        let offset = (query.page.max(1) as usize - 1) * per_page;
        let bands = self.bands();
        let snapshot = self.option_snapshot();
        let searcher = self.reader.searcher();
        let dictionary = snapshot.dictionary.clone();
        let option_filter = Arc::new(OptionFilter {
            options: query
                .options
                .iter()
                .map(|(name, values)| {
                    let accepted = values
                        .iter()
                        .filter_map(|v| dictionary.find(name, v))
                        .collect();
                    (name.clone(), accepted)
                })
                .collect(),
        });

        let run = |all_words: bool| -> Result<FacetedFruit> {
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
                option_filter: option_filter.clone(),
                dictionary: dictionary.clone(),
                variants: snapshot.variants.clone(),
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
                        slug: cat.slug.to_string(),
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
                label: band_label(*lo, *hi, self.currency),
                min: *lo,
                max: *hi,
                count: *count,
            })
            .collect();

        let options = option_facets(&dictionary, &fruit.option_counts, query);

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
                || !query.options.is_empty()
            {
                s.push("Remove some filters to widen the search.".to_string());
            }
            s.push("Browse the categories below.".to_string());
            s
        } else {
            Vec::new()
        };
        Ok(SearchResults {
            currency: self.currency,
            items,
            total,
            page: query.page,
            pages,
            categories,
            price_bands,
            options,
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
            price: Money::new(
                int(f.price),
                Currency::parse(&text(f.currency)).unwrap_or(self.currency),
            ),
            price_varies: doc
                .get_first(f.price_varies)
                .and_then(|v| v.as_u64())
                .unwrap_or(0)
                == 1,
            compare_at: doc
                .get_first(f.compare_at)
                .and_then(|v| v.as_i64())
                .map(|c| Money::new(c, self.currency)),
            stock: int(f.stock),
            has_options: doc
                .get_first(f.has_options)
                .and_then(|v| v.as_u64())
                .unwrap_or(0)
                == 1,
            picture: serde_json::from_str(&text(f.picture))
                .unwrap_or_else(|_| Picture::placeholder(String::new())),
            category_name: text(f.category_name),
            status: if active == 1 {
                ProductStatus::Active
            } else {
                ProductStatus::Archived
            },
        })
    }
}

/// Most values one option facet lists.
const MAX_FACET_VALUES: usize = 40;

/// Option facets from the counts per pair: options in the order the catalog first
/// used them, values in the order products list them; a chosen value stays listed
/// even when nothing else would match it.
fn option_facets(
    dictionary: &OptionDictionary,
    counts: &[u64],
    query: &SearchQuery,
) -> Vec<OptionFacet> {
    let mut out: Vec<(String, OptionFacet)> = Vec::new();
    for n in 1..dictionary.len() as u32 {
        let Some((key, name, value)) = dictionary.pair(n) else {
            continue;
        };
        let count = counts.get(n as usize).copied().unwrap_or(0);
        let selected = query
            .options
            .iter()
            .any(|(o, vs)| o == key && vs.contains(&value.to_lowercase()));
        if count == 0 && !selected {
            continue;
        }
        let facet = match out.iter_mut().find(|(k, _)| k == key) {
            Some((_, f)) => f,
            None => {
                out.push((
                    key.clone(),
                    OptionFacet {
                        name: name.clone(),
                        values: Vec::new(),
                    },
                ));
                &mut out.last_mut().expect("just pushed").1
            }
        };
        if facet.values.len() < MAX_FACET_VALUES {
            facet.values.push(OptionValueFacet {
                value: value.clone(),
                count,
                selected,
            });
        }
    }
    out.into_iter().map(|(_, f)| f).collect()
}

fn band_label(lo: Option<i64>, hi: Option<i64>, currency: Currency) -> String {
    let m = |v: i64| Money::new(v, currency);
    match (lo, hi) {
        (None, Some(h)) => format!("Under {}", m(h + 1)),
        (Some(l), Some(h)) => format!("{} to {}", m(l), m(h + 1)),
        (Some(l), None) => format!("{} and up", m(l)),
        (None, None) => "Any price".to_string(),
    }
}
