//! "More like this": the items whose words are closest to a given text (an item's own text
//! for related items, an investor's thesis for recommendations), among what a request's
//! filters and visibility admit.

use std::collections::HashMap;

use tantivy::Term;
use tantivy::collector::TopDocs;
use tantivy::query::{Bm25StatisticsProvider, BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TokenStream;

use crate::Result;
use crate::index::SearchIndex;
use crate::query::{Request, boxed};
use crate::visibility::{VisibleStatistics, visible_documents};

/// At most this many of the text's words make the query: the most telling ones (frequent in
/// the text, rare in the index), as a person skimming it would pick them.
const MAX_QUERY_TERMS: usize = 24;
/// Only this much of the text is read: an item's opening says what it is about.
const MAX_TEXT_BYTES: usize = 8_000;

/// One item found like the text, with its similarity (BM25 over the chosen words).
#[derive(Debug, Clone, PartialEq)]
pub struct Similar {
    pub id: String,
    pub score: f32,
}

impl SearchIndex {
    /// The ids of the newest `request.first` items `request`'s filters admit for its caller
    /// (its text plays no part): the candidates that match by country and sector alone.
    pub fn newest(&self, request: &Request) -> Result<Vec<String>> {
        let query = self.filters_alone(request);
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &query,
            &TopDocs::with_limit(request.first.max(1))
                .order_by_fast_field::<tantivy::DateTime>("published_at", tantivy::Order::Desc),
        )?;
        self.ids_at(&searcher, top.into_iter().map(|(_, address)| address))
    }

    /// Up to `request.first` items most like `text` that `request`'s filters admit for its
    /// caller, best first, leaving out the items in `exclude`. Word weights come from what
    /// the caller may see, as in `search`. Empty when the text has no word the index knows.
    pub fn similar(
        &self,
        request: &Request,
        text: &str,
        exclude: &[String],
    ) -> Result<Vec<Similar>> {
        Ok(self
            .similar_to_each(request, &[text], exclude)?
            .pop()
            .unwrap_or_default())
    }

    /// [`SearchIndex::similar`] for each of `texts`, reading the caller's statistics once.
    pub fn similar_to_each(
        &self,
        request: &Request,
        texts: &[&str],
        exclude: &[String],
    ) -> Result<Vec<Vec<Similar>>> {
        let searcher = self.reader.searcher();
        let visible = visible_documents(&self.fields, request);
        let visible_statistics = match &visible {
            Some(visible) => Some(VisibleStatistics::new(&searcher, &**visible)?),
            None => None,
        };
        let statistics: &dyn Bm25StatisticsProvider = match &visible_statistics {
            Some(visible_statistics) => visible_statistics,
            None => &searcher,
        };
        let mut found = Vec::with_capacity(texts.len());
        for text in texts {
            found.push(self.similar_with(&searcher, statistics, request, text, exclude)?);
        }
        Ok(found)
    }

    fn similar_with(
        &self,
        searcher: &tantivy::Searcher,
        statistics: &dyn Bm25StatisticsProvider,
        request: &Request,
        text: &str,
        exclude: &[String],
    ) -> Result<Vec<Similar>> {
        let terms = self.telling_terms(text, statistics)?;
        if terms.is_empty() || request.first == 0 {
            return Ok(Vec::new());
        }
        let mut words: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (word, weight) in terms {
            for (field, boost) in self.text_fields() {
                let term = Term::from_field_text(field, &word);
                let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                words.push((
                    Occur::Should,
                    boxed(BoostQuery::new(boxed(query), boost * weight)),
                ));
            }
        }
        let mut clauses = vec![(Occur::Must, boxed(BooleanQuery::new(words)))];
        clauses.extend(self.filters(request));
        for id in exclude {
            clauses.push((
                Occur::MustNot,
                boxed(TermQuery::new(
                    Term::from_field_text(self.fields.id, id),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let top = searcher.search_with_statistics_provider(
            &query,
            &TopDocs::with_limit(request.first).order_by_score(),
            statistics,
        )?;
        let scores: Vec<f32> = top.iter().map(|(score, _)| *score).collect();
        let ids = self.ids_at(searcher, top.into_iter().map(|(_, address)| address))?;
        Ok(ids
            .into_iter()
            .zip(scores)
            .map(|(id, score)| Similar { id, score })
            .collect())
    }

    /// The words of `text` (analysed as the text fields are) that say most about it, with a
    /// weight each: how often the text uses the word times how rare the word is among the
    /// items (inverse document frequency), normalised so the strongest weighs 1.
    fn telling_terms(
        &self,
        text: &str,
        statistics: &dyn Bm25StatisticsProvider,
    ) -> Result<Vec<(String, f32)>> {
        let mut end = text.len().min(MAX_TEXT_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut analyzer = self.index.tokenizer_for_field(self.fields.body)?;
        let mut stream = analyzer.token_stream(&text[..end]);
        let mut counts: HashMap<String, u32> = HashMap::new();
        while stream.advance() {
            let token = &stream.token().text;
            if token.chars().count() > 1 || !token.is_ascii() {
                *counts.entry(token.clone()).or_default() += 1;
            }
        }
        let total_docs = statistics.total_num_docs()? as f32;
        let mut weighted = Vec::with_capacity(counts.len());
        for (word, count) in counts {
            let doc_freq = statistics.doc_freq(&Term::from_field_text(self.fields.body, &word))?;
            if doc_freq == 0 {
                continue;
            }
            let doc_freq = doc_freq as f32;
            let idf = (1.0 + (total_docs - doc_freq + 0.5) / (doc_freq + 0.5)).ln();
            weighted.push((word, count as f32 * idf));
        }
        weighted.sort_by(|left, right| {
            right
                .1
                .total_cmp(&left.1)
                .then_with(|| left.0.cmp(&right.0))
        });
        weighted.truncate(MAX_QUERY_TERMS);
        let strongest = weighted.first().map(|(_, weight)| *weight).unwrap_or(1.0);
        Ok(weighted
            .into_iter()
            .map(|(word, weight)| (word, (weight / strongest).max(0.05)))
            .collect())
    }
}
