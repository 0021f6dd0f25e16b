//! The category tree as the search engine sees it: dense numbers (0 = none), so
//! the collector can count facets in a plain vector.

use std::collections::HashMap;

use mongodb::bson::oid::ObjectId;

use crate::catalog::store::Category;

/// Category numbers are dense small integers (0 = no category) so the collector
/// can count facets in a plain vector.
#[derive(Debug, Clone, Default)]
pub struct CategoryTree {
    by_id: HashMap<ObjectId, u64>,
    /// Indexed by number: (category, parent number).
    pub(super) nodes: Vec<Option<(Category, u64)>>,
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

    pub(super) fn num(&self, id: Option<ObjectId>) -> u64 {
        id.and_then(|i| self.by_id.get(&i).copied()).unwrap_or(0)
    }

    pub(super) fn category(&self, num: u64) -> Option<&Category> {
        self.nodes.get(num as usize)?.as_ref().map(|(c, _)| c)
    }

    pub(super) fn parent(&self, num: u64) -> u64 {
        self.nodes
            .get(num as usize)
            .and_then(|n| n.as_ref())
            .map(|(_, p)| *p)
            .unwrap_or(0)
    }

    /// The chain from the root down to `num` (guarding against cycles).
    pub(super) fn ancestry(&self, num: u64) -> Vec<u64> {
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
    pub(super) fn path_names(&self, num: u64) -> Vec<String> {
        self.ancestry(num)
            .into_iter()
            .filter_map(|n| self.category(n).map(|c| c.name.clone()))
            .collect()
    }

    pub(super) fn find_slug(&self, slug: &str) -> Option<u64> {
        self.nodes.iter().enumerate().find_map(|(i, n)| {
            n.as_ref()
                .filter(|(c, _)| c.slug.as_str() == slug)
                .map(|_| i as u64)
        })
    }

    /// Marks `num` and every category below it.
    pub(super) fn subtree_mask(&self, num: u64) -> Vec<bool> {
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
