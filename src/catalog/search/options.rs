//! Options and variants as the search engine sees them.
//!
//! Every (option, value) pair met in the catalog ("Size: M") gets a small number;
//! a product's document carries the numbers of its variants' values (all, and
//! those in stock) as multi-valued fast fields, for filters and facet counts. A
//! filter on several options, or on an option in stock, must hold for one and the
//! same variant (a product with a red S and a blue M is not "red and M"): those
//! checks read the product's variants from [`VariantTable`], by product number.

use std::collections::HashMap;
use std::sync::Arc;

use mongodb::bson::oid::ObjectId;

use crate::catalog::store::Product;

/// A product's variant, reduced to what filters need.
#[derive(Debug, Clone, Copy)]
pub struct VariantKey {
    /// Pair numbers of its option values (0 where the product has fewer options).
    pub values: [u32; 3],
    pub price: i64,
    pub in_stock: bool,
}

/// The numbers of (option, value) pairs, and what each stands for.
#[derive(Debug, Clone, Default)]
pub struct OptionDictionary {
    by_key: HashMap<(String, String), u32>,
    /// Indexed by pair number (0 unused): option key, display name, display value.
    pairs: Vec<(String, String, String)>,
}

impl OptionDictionary {
    /// The pair number, made on first sight. Matching ignores case; the first
    /// spelling met is the one shown.
    pub fn number(&mut self, name: &str, value: &str) -> u32 {
        if self.pairs.is_empty() {
            self.pairs.push(Default::default());
        }
        let key = (name.trim().to_lowercase(), value.trim().to_lowercase());
        if let Some(n) = self.by_key.get(&key) {
            return *n;
        }
        let n = self.pairs.len() as u32;
        self.pairs.push((
            key.0.clone(),
            name.trim().to_string(),
            value.trim().to_string(),
        ));
        self.by_key.insert(key, n);
        n
    }

    /// The number of a pair already met (lower-case name and value), if any.
    pub fn find(&self, name: &str, value: &str) -> Option<u32> {
        self.by_key
            .get(&(name.to_string(), value.to_string()))
            .copied()
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.len() <= 1
    }

    /// Option key (lower case), display name and display value of a pair.
    pub fn pair(&self, n: u32) -> Option<&(String, String, String)> {
        self.pairs.get(n as usize).filter(|_| n != 0)
    }
}

/// Every indexed product's variants, by product number: what searches read (a
/// snapshot published with each commit).
#[derive(Debug, Clone, Default)]
pub struct VariantTable {
    rows: Vec<Option<Arc<[VariantKey]>>>,
}

impl VariantTable {
    pub fn variants(&self, n: u64) -> Option<&[VariantKey]> {
        self.rows.get(n as usize).and_then(|r| r.as_deref())
    }
}

/// The writer's side: product numbers, the dictionary and the variant rows,
/// changed while documents are added and published as snapshots at commit.
#[derive(Debug, Default)]
pub struct OptionIndex {
    numbers: HashMap<ObjectId, u64>,
    pub dictionary: OptionDictionary,
    pub table: VariantTable,
}

/// What one product's document carries: its number, the pair numbers of all its
/// variants' values and of those in stock.
pub struct Recorded {
    pub number: u64,
    pub all: Vec<u32>,
    pub in_stock: Vec<u32>,
}

impl OptionIndex {
    /// Records a product's variants; its number is stable for the life of the index.
    pub fn record(&mut self, p: &Product) -> Recorded {
        let next = self.numbers.len() as u64;
        let n = *self.numbers.entry(p.id).or_insert(next);
        let rows = &mut self.table.rows;
        if n as usize >= rows.len() {
            rows.resize(n as usize + 1, None);
        }
        let mut all = Vec::new();
        let mut in_stock = Vec::new();
        let dict = &mut self.dictionary;
        let keys: Vec<VariantKey> = p
            .variants
            .iter()
            .map(|v| {
                let mut values = [0u32; 3];
                for (i, (option, value)) in p.options.iter().zip(&v.options).take(3).enumerate() {
                    let pair = dict.number(&option.name, value);
                    values[i] = pair;
                    if !all.contains(&pair) {
                        all.push(pair);
                    }
                    if v.stock > 0 && !in_stock.contains(&pair) {
                        in_stock.push(pair);
                    }
                }
                VariantKey {
                    values,
                    price: v.price,
                    in_stock: v.stock > 0,
                }
            })
            .collect();
        rows[n as usize] = Some(Arc::from(keys));
        Recorded {
            number: n,
            all,
            in_stock,
        }
    }

    pub fn forget(&mut self, id: &ObjectId) {
        if let Some(n) = self.numbers.get(id) {
            if let Some(row) = self.table.rows.get_mut(*n as usize) {
                *row = None;
            }
        }
    }

    /// Forgets every product's variants (a full rebuild follows); numbers stay.
    pub fn clear(&mut self) {
        self.table.rows.iter_mut().for_each(|r| *r = None);
    }
}

/// A search's option filters, as pair numbers: one list of accepted pairs per
/// filtered option (an empty list: a value no product has, so nothing matches).
#[derive(Debug, Clone, Default)]
pub struct OptionFilter {
    pub options: Vec<(String, Vec<u32>)>,
}

impl OptionFilter {
    pub fn is_empty(&self) -> bool {
        self.options.is_empty()
    }

    /// Which filtered option (by position) a pair belongs to, if any.
    pub fn position_of(&self, dict: &OptionDictionary, pair: u32) -> Option<usize> {
        let (key, _, _) = dict.pair(pair)?;
        self.options.iter().position(|(name, _)| name == key)
    }

    /// Whether one variant meets every option filter, the stock and price filters.
    pub fn variant_matches(
        &self,
        v: &VariantKey,
        in_stock: bool,
        min_price: Option<i64>,
        max_price: Option<i64>,
    ) -> bool {
        (!in_stock || v.in_stock)
            && min_price.is_none_or(|lo| v.price >= lo)
            && max_price.is_none_or(|hi| v.price <= hi)
            && self
                .options
                .iter()
                .all(|(_, accepted)| v.values.iter().any(|p| *p != 0 && accepted.contains(p)))
    }
}
