//! The index schema: which product fields are searched, filtered, sorted and shown.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};

#[derive(Clone, Copy)]
pub(super) struct Fields {
    pub(super) id: Field,
    pub(super) slug: Field,
    pub(super) name: Field,
    pub(super) name_raw: Field,
    pub(super) name_exact: Field,
    pub(super) description: Field,
    pub(super) category_text: Field,
    pub(super) tags: Field,
    pub(super) category_num: Field,
    pub(super) price: Field,
    pub(super) stock: Field,
    pub(super) created: Field,
    pub(super) active: Field,
    pub(super) featured: Field,
    /// The card's picture (JSON of `Picture`).
    pub(super) picture: Field,
    pub(super) category_name: Field,
    pub(super) currency: Field,
    pub(super) options_text: Field,
    pub(super) opt: Field,
    pub(super) opt_in: Field,
    pub(super) price_max: Field,
    pub(super) pnum: Field,
    pub(super) price_varies: Field,
    pub(super) compare_at: Field,
    pub(super) has_options: Field,
}

pub(super) fn build_schema() -> (Schema, Fields) {
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
        tags: b.add_text_field("tags", stemmed.clone()),
        options_text: b.add_text_field("options_text", stemmed),
        category_num: b.add_u64_field("category_num", FAST),
        price: b.add_i64_field("price", FAST | STORED),
        stock: b.add_i64_field("stock", FAST | STORED),
        created: b.add_i64_field("created", FAST),
        active: b.add_u64_field("active", FAST | INDEXED),
        featured: b.add_u64_field("featured", FAST),
        picture: b.add_text_field("picture", STORED),
        category_name: b.add_text_field("category_name", STORED),
        currency: b.add_text_field("currency", STORED),
        // Pair numbers of the variants' option values (all / in stock), multi-valued.
        opt: b.add_u64_field("opt", FAST),
        opt_in: b.add_u64_field("opt_in", FAST),
        price_max: b.add_i64_field("price_max", FAST),
        pnum: b.add_u64_field("pnum", FAST),
        price_varies: b.add_u64_field("price_varies", STORED),
        compare_at: b.add_i64_field("compare_at", STORED),
        has_options: b.add_u64_field("has_options", STORED),
    };
    (b.build(), fields)
}
