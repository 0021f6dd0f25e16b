//! One pass over the matching documents: filters from fast fields, facet counts,
//! and the best hits for the requested sort.

use std::collections::BinaryHeap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use super::options::{OptionDictionary, OptionFilter, VariantTable};
use crate::catalog::types::{Sort, StatusFilter};

/// A hit with its sort key (smaller sorts first).
#[derive(Debug, Clone, Copy)]
pub(super) struct Hit {
    key: f64,
    tiebreak: i64,
    pub(super) addr: DocAddress,
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
pub(super) struct FacetedTopDocs {
    pub(super) sort: Sort,
    pub(super) keep: usize,
    pub(super) status: StatusFilter,
    pub(super) featured_only: bool,
    pub(super) in_stock: bool,
    pub(super) category_mask: Option<Vec<bool>>,
    pub(super) min_price: Option<i64>,
    pub(super) max_price: Option<i64>,
    pub(super) bands: Vec<(Option<i64>, Option<i64>)>,
    pub(super) n_categories: usize,
    /// Option filters, and the dictionary and variants they are checked against.
    pub(super) option_filter: Arc<OptionFilter>,
    pub(super) dictionary: Arc<OptionDictionary>,
    pub(super) variants: Arc<VariantTable>,
}

#[derive(Default)]
pub(super) struct FacetedFruit {
    pub(super) total: u64,
    pub(super) category_counts: Vec<u64>,
    pub(super) band_counts: Vec<u64>,
    /// Products per option pair number (facet counts).
    pub(super) option_counts: Vec<u64>,
    pub(super) top: Vec<Hit>,
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
                price_max: ff.i64("price_max")?,
                opt: ff.u64("opt")?,
                opt_in: ff.u64("opt_in")?,
                pnum: ff.u64("pnum")?,
                stock: ff.i64("stock")?,
                created: ff.i64("created")?,
                category: ff.u64("category_num")?,
                active: ff.u64("active")?,
                featured: ff.u64("featured")?,
                fruit: FacetedFruit {
                    total: 0,
                    category_counts: vec![0; self.n_categories],
                    band_counts: vec![0; self.bands.len()],
                    option_counts: vec![0; self.dictionary.len()],
                    top: Vec::new(),
                },
                pairs: Vec::new(),
                heap: BinaryHeap::new(),
            },
            block: Block::default(),
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
                option_filter: self.option_filter.clone(),
                dictionary: self.dictionary.clone(),
                variants: self.variants.clone(),
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
            option_counts: vec![0; self.dictionary.len()],
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
            for (i, c) in f.option_counts.iter().enumerate() {
                if i < out.option_counts.len() {
                    out.option_counts[i] += c;
                }
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
    option_filter: Arc<OptionFilter>,
    dictionary: Arc<OptionDictionary>,
    variants: Arc<VariantTable>,
}

struct FacetedSegmentState {
    segment: SegmentOrdinal,
    price: Column<i64>,
    price_max: Column<i64>,
    opt: Column<u64>,
    opt_in: Column<u64>,
    pnum: Column<u64>,
    stock: Column<i64>,
    created: Column<i64>,
    category: Column<u64>,
    active: Column<u64>,
    featured: Column<u64>,
    fruit: FacetedFruit,
    heap: BinaryHeap<Hit>,
    /// Scratch space: one document's option pair numbers.
    pairs: Vec<u32>,
}

pub(super) struct FacetedSegmentOwned {
    inner: FacetedSegmentState,
    config: SegmentConfig,
    block: Block,
}

/// Column values of one block of documents, read in bulk (much cheaper per
/// document than one read per column and document: a broad search over a million
/// products visits every one of them).
#[derive(Default)]
struct Block {
    active: Vec<Option<u64>>,
    featured: Vec<Option<u64>>,
    stock: Vec<Option<i64>>,
    price: Vec<Option<i64>>,
    price_max: Vec<Option<i64>>,
    category: Vec<Option<u64>>,
    created: Vec<Option<i64>>,
}

/// One document's values, as the filters and the sort need them.
struct Values {
    active: bool,
    featured: bool,
    stock: i64,
    price: i64,
    price_max: i64,
    category: usize,
    created: i64,
}

impl FacetedSegmentOwned {
    /// Filters, counts and maybe keeps one document.
    #[inline]
    fn consider(&mut self, doc: DocId, score: Score, v: Values) {
        let c = &self.config;
        let s = &mut self.inner;
        let status_ok = match c.status {
            StatusFilter::Active => v.active,
            StatusFilter::Archived => !v.active,
            StatusFilter::All => true,
        };
        if !status_ok || (c.featured_only && !v.featured) {
            return;
        }
        if c.in_stock && v.stock <= 0 {
            return;
        }
        let price = v.price;
        let category = v.category;
        let category_ok = c
            .category_mask
            .as_ref()
            .is_none_or(|m| m.get(category).copied().unwrap_or(false));
        // Any variant in the range (the product's lowest and highest prices overlap it).
        let price_ok = c.min_price.is_none_or(|lo| v.price_max >= lo)
            && c.max_price.is_none_or(|hi| price <= hi);

        // Options: which filtered options this product has a value of (by its
        // variants, in stock when asked), and the facet counts.
        let options_needed = !c.dictionary.is_empty();
        let mut failed_options = 0usize;
        let mut failed_at = usize::MAX;
        if options_needed {
            s.pairs.clear();
            let column = if c.in_stock { &s.opt_in } else { &s.opt };
            s.pairs.extend(column.values_for_doc(doc).map(|p| p as u32));
            for (i, (_, accepted)) in c.option_filter.options.iter().enumerate() {
                if !s.pairs.iter().any(|p| accepted.contains(p)) {
                    failed_options += 1;
                    failed_at = i;
                }
            }
        }
        // A product counts under an option value when it passes every other filter
        // (and every other option filter): choosing that value would find it.
        if options_needed && category_ok && price_ok && failed_options <= 1 {
            for p in &s.pairs {
                let own = c.option_filter.position_of(&c.dictionary, *p);
                let counts = failed_options == 0 || own == Some(failed_at);
                if counts {
                    if let Some(n) = s.fruit.option_counts.get_mut(*p as usize) {
                        *n += 1;
                    }
                }
            }
        }
        let options_ok = failed_options == 0;
        if price_ok && options_ok && category < s.fruit.category_counts.len() {
            s.fruit.category_counts[category] += 1;
        }
        if category_ok && options_ok {
            let in_band = |p: i64, (lo, hi): &(Option<i64>, Option<i64>)| {
                lo.is_none_or(|l| p >= l) && hi.is_none_or(|h| p <= h)
            };
            if price == v.price_max {
                if let Some(band) = c.bands.iter().position(|b| in_band(price, b)) {
                    s.fruit.band_counts[band] += 1;
                }
            } else {
                // Variants at different prices: the product counts in every band
                // one of its variants is in (choosing that band finds it).
                let pnum = s.pnum.first(doc).unwrap_or(u64::MAX);
                if let Some(vs) = c.variants.variants(pnum) {
                    for (i, b) in c.bands.iter().enumerate() {
                        if vs
                            .iter()
                            .any(|k| in_band(k.price, b) && (!c.in_stock || k.in_stock))
                        {
                            s.fruit.band_counts[i] += 1;
                        }
                    }
                }
            }
        }
        if !(category_ok && price_ok && options_ok) {
            return;
        }
        // Several conditions must hold for one and the same variant.
        let f = &c.option_filter;
        let exact = f.options.len() > 1
            || (!f.is_empty() && c.in_stock)
            || ((c.min_price.is_some() || c.max_price.is_some()) && price != v.price_max);
        if exact {
            let pnum = s.pnum.first(doc).unwrap_or(u64::MAX);
            let one_variant = c.variants.variants(pnum).is_some_and(|vs| {
                vs.iter()
                    .any(|k| f.variant_matches(k, c.in_stock, c.min_price, c.max_price))
            });
            if !one_variant {
                return;
            }
        }
        s.fruit.total += 1;
        let created = v.created;
        let key = match c.sort {
            Sort::Relevance => -(score as f64),
            Sort::PriceAsc => price as f64,
            Sort::PriceDesc => -(v.price_max as f64),
            Sort::Newest => -(created as f64),
            Sort::StockAsc => v.stock as f64,
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
}

fn refill<T: Default + Clone>(buf: &mut Vec<Option<T>>, n: usize) {
    buf.clear();
    buf.resize(n, None);
}

impl SegmentCollector for FacetedSegmentOwned {
    type Fruit = FacetedFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        let s = &self.inner;
        let v = Values {
            active: s.active.first(doc).unwrap_or(0) == 1,
            featured: s.featured.first(doc).unwrap_or(0) == 1,
            stock: s.stock.first(doc).unwrap_or(0),
            price: s.price.first(doc).unwrap_or(0),
            price_max: s.price_max.first(doc).unwrap_or(0),
            category: s.category.first(doc).unwrap_or(0) as usize,
            created: s.created.first(doc).unwrap_or(0),
        };
        self.consider(doc, score, v);
    }

    /// Unscored searches (every sort but relevance) arrive in blocks.
    fn collect_block(&mut self, docs: &[DocId]) {
        let n = docs.len();
        let mut b = std::mem::take(&mut self.block);
        refill(&mut b.active, n);
        refill(&mut b.featured, n);
        refill(&mut b.stock, n);
        refill(&mut b.price, n);
        refill(&mut b.price_max, n);
        refill(&mut b.category, n);
        refill(&mut b.created, n);
        let s = &self.inner;
        s.active.first_vals(docs, &mut b.active);
        s.featured.first_vals(docs, &mut b.featured);
        s.stock.first_vals(docs, &mut b.stock);
        s.price.first_vals(docs, &mut b.price);
        s.price_max.first_vals(docs, &mut b.price_max);
        s.category.first_vals(docs, &mut b.category);
        s.created.first_vals(docs, &mut b.created);
        for (i, doc) in docs.iter().enumerate() {
            let v = Values {
                active: b.active[i].unwrap_or(0) == 1,
                featured: b.featured[i].unwrap_or(0) == 1,
                stock: b.stock[i].unwrap_or(0),
                price: b.price[i].unwrap_or(0),
                price_max: b.price_max[i].unwrap_or(0),
                category: b.category[i].unwrap_or(0) as usize,
                created: b.created[i].unwrap_or(0),
            };
            self.consider(*doc, 0.0, v);
        }
        self.block = b;
    }

    fn harvest(self) -> FacetedFruit {
        let mut fruit = self.inner.fruit;
        fruit.top = self.inner.heap.into_sorted_vec();
        fruit
    }
}
