//! Turning what a shopper typed into a ranked tantivy query: every word (or, when
//! nothing matches, any word) in name, tags, category and description, stemmed;
//! one typo and a prefix on names; an exact name match first.

use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TokenStream;
use tantivy::{Score, Term};

use super::SearchIndex;

impl SearchIndex {
    pub(super) fn analyze(&self, analyzer: &str, text: &str) -> Vec<String> {
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
    pub(super) fn text_query(&self, q: &str, all_words: bool) -> Box<dyn Query> {
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
                term(f.options_text, s, 1.5),
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
}
