//! The index schema: which fields exist and how each is analyzed.

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions,
};

use crate::analysis::{ENGLISH, GRAMS, MALAY, MULTILINGUAL};

#[derive(Clone, Copy)]
pub struct Fields {
    pub id: Field,
    /// A stable 64-bit hash of the id: the tie-breaker of every sort order.
    pub key: Field,
    /// The id's first 64 bits in its string's order: lists' tie-breaker (`listing`).
    pub id_order: Field,
    pub kind: Field,
    pub visibility: Field,
    pub author: Field,
    pub language: Field,
    pub countries: Field,
    /// The assigned sector codes (facets count these).
    pub sectors: Field,
    /// The assigned codes and their categories (a category filter matches sub-categories).
    pub sector_scope: Field,
    pub tags: Field,
    pub opportunity_type: Field,
    pub currency: Field,
    /// Original and translations, one value per language.
    pub title: Field,
    pub summary: Field,
    pub body: Field,
    /// English text only, stemmed.
    pub english: Field,
    /// Indonesian and Malay text only, lightly stemmed.
    pub malay: Field,
    /// Grapheme bigrams of every text's unspaced runs: the fallback that finds a word inside
    /// unspaced text however the dictionary cut it.
    pub grams: Field,
    pub published_at: Field,
    /// Days since the epoch; `i64::MAX` for items without a deadline.
    pub deadline: Field,
    /// Amounts in ten-thousandths of the currency unit.
    pub amount_min: Field,
    pub amount_max: Field,
    pub starts_at: Field,
    /// The item's last update in microseconds (lists filter by it).
    pub updated_at: Field,
    pub policy_type: Field,
    pub event_type: Field,
    /// A policy's effective date, days since the epoch.
    pub effective: Field,
}

pub fn build() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored()
    };
    let unstored = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED | FAST),
        key: builder.add_u64_field("key", FAST),
        id_order: builder.add_u64_field("id_order", FAST),
        kind: builder.add_text_field("kind", STRING | FAST),
        visibility: builder.add_text_field("visibility", STRING),
        author: builder.add_text_field("author", STRING),
        language: builder.add_text_field("language", STRING),
        countries: builder.add_text_field("countries", STRING | FAST),
        sectors: builder.add_text_field("sectors", STRING | FAST),
        sector_scope: builder.add_text_field("sector_scope", STRING),
        tags: builder.add_text_field("tags", STRING),
        opportunity_type: builder.add_text_field("opportunity_type", STRING),
        currency: builder.add_text_field("currency", STRING),
        title: builder.add_text_field("title", text(MULTILINGUAL)),
        summary: builder.add_text_field("summary", text(MULTILINGUAL)),
        body: builder.add_text_field("body", text(MULTILINGUAL)),
        english: builder.add_text_field("english", unstored(ENGLISH)),
        malay: builder.add_text_field("malay", unstored(MALAY)),
        grams: builder.add_text_field("grams", unstored(GRAMS)),
        published_at: builder.add_date_field(
            "published_at",
            DateOptions::from(INDEXED | FAST).set_precision(DateTimePrecision::Microseconds),
        ),
        deadline: builder.add_i64_field("deadline", INDEXED | FAST),
        amount_min: builder.add_u64_field("amount_min", INDEXED | FAST),
        amount_max: builder.add_u64_field("amount_max", INDEXED | FAST),
        starts_at: builder.add_i64_field("starts_at", INDEXED | FAST),
        updated_at: builder.add_i64_field("updated_at", INDEXED | FAST),
        policy_type: builder.add_text_field("policy_type", STRING),
        event_type: builder.add_text_field("event_type", STRING),
        effective: builder.add_i64_field("effective", INDEXED),
    };
    (builder.build(), fields)
}
