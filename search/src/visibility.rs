//! Who may see which documents in search, and relevance computed from only those.
//!
//! | visibility | who may see it                                                           |
//! |------------|--------------------------------------------------------------------------|
//! | `PUBLIC`   | everyone                                                                 |
//! | `MEMBERS`  | callers the api entitles to members' items (`Request::include_members`), |
//! |            | and the item's author (`Request::viewer_id`)                             |
//!
//! The api decides who is entitled; `visible_documents` is the one place that turns its
//! decision into a set of documents. A search uses that set twice: as a filter, so hits,
//! totals, facets and highlights only ever contain what the caller may see; and as the corpus
//! of the BM25 statistics (`VisibleStatistics`), so that a caller's relevance scores and
//! snippet choices are the same whether or not documents hidden from them exist. With
//! index-wide statistics, adding a MEMBERS item that shares a word with a PUBLIC one lowers
//! the PUBLIC one's score for anonymous callers: they could detect items they may not see.

use std::cell::RefCell;
use std::collections::HashMap;

use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, EnableScoring, Occur, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocId, DocSet, Searcher, SegmentReader, TERMINATED, Term};

use crate::query::Request;
use crate::schema::Fields;

const PUBLIC: &str = "PUBLIC";

/// The documents the caller of `request` may see; `None` when they may see every document.
pub(crate) fn visible_documents(fields: &Fields, request: &Request) -> Option<Box<dyn Query>> {
    if request.include_members {
        return None;
    }
    let public: Box<dyn Query> = Box::new(TermQuery::new(
        Term::from_field_text(fields.visibility, PUBLIC),
        IndexRecordOption::Basic,
    ));
    let Some(viewer_id) = &request.viewer_id else {
        return Some(public);
    };
    let own: Box<dyn Query> = Box::new(TermQuery::new(
        Term::from_field_text(fields.author, viewer_id),
        IndexRecordOption::Basic,
    ));
    Some(Box::new(BooleanQuery::new(vec![
        (Occur::Should, public),
        (Occur::Should, own),
    ])))
}

/// BM25 statistics (document count, average field length, document frequency) over the
/// documents one caller may see, for `Searcher::search_with_statistics_provider`. Every
/// scored query of a search asks its statistics through this provider: `TermQuery` and
/// `PhraseQuery` build their `Bm25Weight` from it, `BoostQuery` passes it through, while
/// `FuzzyTermQuery`, `TermSetQuery` and `ConstScoreQuery` score constants and ask nothing.
///
/// Cost, per search with text: building it runs the visibility query on each segment,
/// decoding the postings of `visibility:PUBLIC` (and of the viewer's `author` term) once,
/// and keeps one bit per document (12.5 KB per 100,000 documents). A field's token total
/// then reads one field-norm byte per visible document, and a term's document frequency
/// walks that term's postings once. Both are remembered for the rest of the search, so the
/// snippet generators reuse what the scorers asked for. Measured on 100,000 documents (three
/// segments, three in four PUBLIC, release build): about 0.2 ms for the sets, 0.17 ms for the
/// four text fields' totals and 0.1 to 0.4 ms for a query's document frequencies; whole
/// anonymous searches cost 0.99× to 1.37× a member's (`cargo bench -p search --bench
/// visibility`, BENCHMARKS.md), at most ~1.3 ms more. The sets and totals could be cached per searcher
/// generation and audience if that ever matters; computing them per search keeps them
/// trivially consistent with the searcher they describe.
///
/// Lengths are the field norms the scorers themselves use (exact up to 40 tokens, rounded
/// down beyond), not the index's exact token totals: those only exist for whole segments,
/// and subtracting hidden documents' rounded lengths from them would leave a residue that
/// depends on the hidden documents. Deleted documents are not counted (tantivy's own
/// statistics count them until a merge drops them).
pub(crate) struct VisibleStatistics<'a> {
    searcher: &'a Searcher,
    /// Per segment, in the searcher's order: the documents that are visible and not deleted.
    visible_by_segment: Vec<BitSet>,
    visible_count: u64,
    tokens_by_field: RefCell<HashMap<Field, u64>>,
    doc_freq_by_term: RefCell<HashMap<Term, u64>>,
}

impl<'a> VisibleStatistics<'a> {
    /// The statistics of the documents of `searcher` that `visible_documents` matches.
    pub(crate) fn new(
        searcher: &'a Searcher,
        visible_documents: &dyn Query,
    ) -> tantivy::Result<VisibleStatistics<'a>> {
        let weight = visible_documents.weight(EnableScoring::disabled_from_searcher(searcher))?;
        let mut visible_by_segment = Vec::with_capacity(searcher.segment_readers().len());
        let mut visible_count = 0;
        for segment in searcher.segment_readers() {
            let mut visible = BitSet::with_max_value(segment.max_doc());
            let alive = segment.alive_bitset();
            weight.for_each_no_score(segment, &mut |matched: &[DocId]| {
                for &doc in matched {
                    if alive.is_none_or(|alive| alive.is_alive(doc)) {
                        visible.insert(doc);
                    }
                }
            })?;
            visible_count += visible.len() as u64;
            visible_by_segment.push(visible);
        }
        Ok(VisibleStatistics {
            searcher,
            visible_by_segment,
            visible_count,
            tokens_by_field: RefCell::default(),
            doc_freq_by_term: RefCell::default(),
        })
    }

    fn segments(&self) -> impl Iterator<Item = (&SegmentReader, &BitSet)> {
        self.searcher
            .segment_readers()
            .iter()
            .zip(&self.visible_by_segment)
    }

    fn count_tokens(&self, field: Field) -> tantivy::Result<u64> {
        let mut total = 0;
        for (segment, visible) in self.segments() {
            match segment.fieldnorms_readers().get_field(field)? {
                Some(norms) => {
                    total += documents(visible)
                        .map(|doc| u64::from(norms.fieldnorm(doc)))
                        .sum::<u64>();
                }
                // A field without norms is scored as one token per document.
                None => total += visible.len() as u64,
            }
        }
        Ok(total)
    }

    fn count_documents_with(&self, term: &Term) -> tantivy::Result<u64> {
        let mut count = 0;
        for (segment, visible) in self.segments() {
            if visible.len() == 0 {
                continue;
            }
            let postings = segment
                .inverted_index(term.field())?
                .read_postings(term, IndexRecordOption::Basic)?;
            let Some(mut postings) = postings else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                count += u64::from(visible.contains(doc));
                doc = postings.advance();
            }
        }
        Ok(count)
    }
}

impl Bm25StatisticsProvider for VisibleStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        if let Some(total) = self.tokens_by_field.borrow().get(&field) {
            return Ok(*total);
        }
        let total = self.count_tokens(field)?;
        self.tokens_by_field.borrow_mut().insert(field, total);
        Ok(total)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.visible_count)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        if let Some(count) = self.doc_freq_by_term.borrow().get(term) {
            return Ok(*count);
        }
        let count = self.count_documents_with(term)?;
        self.doc_freq_by_term
            .borrow_mut()
            .insert(term.clone(), count);
        Ok(count)
    }
}

/// The documents in `set`, in order.
fn documents(set: &BitSet) -> impl Iterator<Item = DocId> + '_ {
    (0..set.max_value().div_ceil(64)).flat_map(move |bucket| {
        let mut bits = set.tinyset(bucket);
        std::iter::from_fn(move || bits.pop_lowest().map(|bit| bucket * 64 + bit))
    })
}
