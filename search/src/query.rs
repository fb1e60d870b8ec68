//! Searching: a lenient free-text query (quoted phrases, `-exclusions`, typo tolerance,
//! glossary expansion) combined with filters, sorted and paginated by keyset cursors, with
//! totals, facets and highlighted snippets over exactly what the caller may see.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, Bm25StatisticsProvider, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery,
    Occur, PhraseQuery, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::{SnippetGenerator, collapse_overlapped_ranges};
use tantivy::tokenizer::TokenStream;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentReader, TantivyDocument, Term};

use crate::analysis::{self, fold, has_han};
use crate::collect::FacetCollector;
use crate::glossary::Group;
use crate::index::SearchIndex;
use crate::names::Concept;
use crate::visibility::{VisibleStatistics, visible_documents};
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Best match first; newest first when there is no text.
    #[default]
    Relevance,
    Newest,
    /// Nearest deadline first; items without one last.
    Deadline,
}

/// A search as the caller may run it. `include_members` says whether MEMBERS items may be
/// seen: visibility is a term of the query itself, so totals, facets and highlights only
/// ever count what the caller may see, and relevance is computed over only those items
/// (`crate::visibility` holds the rule).
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub text: String,
    pub kinds: Vec<String>,
    pub countries: Vec<String>,
    /// Codes; a category matches its sub-categories (the index stores both).
    pub sectors: Vec<String>,
    pub opportunity_types: Vec<String>,
    pub published_from_micros: Option<i64>,
    pub published_to_micros: Option<i64>,
    pub deadline_from_days: Option<i64>,
    pub deadline_to_days: Option<i64>,
    /// In ten-thousandths of `currency`: items whose range overlaps [from, to].
    pub amount_from: Option<u64>,
    pub amount_to: Option<u64>,
    pub currency: Option<String>,
    pub include_expired: bool,
    /// Today in days since the epoch (opportunities with an earlier deadline are expired).
    pub today_days: i64,
    pub include_members: bool,
    /// The caller, whose own items are visible to them whatever their visibility.
    pub viewer_id: Option<String>,
    pub sort: Sort,
    pub first: usize,
    pub after: Option<String>,
    /// What lists narrow by beyond `search`'s filter (`count` serves lists' totals).
    pub list: ListFilters,
}

/// The filters of content lists that `search` does not offer. Empty means no constraint.
#[derive(Debug, Clone, Default)]
pub struct ListFilters {
    /// Only these items (a subscription asks whether one new item matches its filter).
    pub ids: Vec<String>,
    pub languages: Vec<String>,
    pub visibility: Option<String>,
    /// Lowercase, as stored.
    pub tags: Vec<String>,
    /// Only this author's items.
    pub author: Option<String>,
    pub updated_from_micros: Option<i64>,
    pub updated_to_micros: Option<i64>,
    pub policy_types: Vec<String>,
    pub effective_from_days: Option<i64>,
    pub effective_to_days: Option<i64>,
    pub event_types: Vec<String>,
    pub starts_from_micros: Option<i64>,
    pub starts_to_micros: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Highlight {
    pub field: &'static str,
    /// Matches marked with `<mark>…</mark>`, everything else HTML-escaped.
    pub snippet: String,
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub id: String,
    pub score: f32,
    pub cursor: String,
    pub highlights: Vec<Highlight>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    pub kinds: Vec<(String, u64)>,
    pub countries: Vec<(String, u64)>,
    pub sectors: Vec<(String, u64)>,
}

#[derive(Debug, Clone)]
pub struct Results {
    pub total: usize,
    pub facets: Facets,
    pub hits: Vec<Hit>,
    pub has_next_page: bool,
    /// For a query with no hits, a corrected query that has some.
    pub did_you_mean: Option<String>,
}

/// The required part of a text query (`None`: no constraint) and its exclusions.
type TextQuery = (Option<Box<dyn Query>>, Vec<Box<dyn Query>>);

/// The sort position of a document: compared as a pair, larger first.
type SortKey = (i64, u64);
const BEFORE_CURSOR: SortKey = (i64::MIN, 0);

const TITLE_BOOST: f32 = 3.0;
const SUMMARY_BOOST: f32 = 2.0;
const ENGLISH_BOOST: f32 = 1.5;
const MALAY_BOOST: f32 = 1.0;
const FUZZY_BOOST: f32 = 0.5;
/// Bigrams of unspaced text: found, but below a whole-word match.
const GRAM_BOOST: f32 = 0.4;
/// The longest unspaced run (in bigrams) the fallback matches; longer runs are sentences,
/// where the words themselves must match.
const MAX_GRAMS: usize = 12;
/// A glossary term that names a sector or country also finds the items filed under its
/// code, with this score.
const CONCEPT_SCORE: f32 = 1.0;
/// What a glossary term found in the body scores (times the field's boost elsewhere): about
/// what one ordinary word scores, so the caller's other words still order the items.
const GROUP_WEIGHT: f32 = 3.0;
const SNIPPET_BYTES: usize = 400;
/// Up to this many terms, "any of them" is a disjunction of term queries (see [`any_term`]).
const FEW_TERMS: usize = 64;

pub(crate) fn boxed(query: impl Query + 'static) -> Box<dyn Query> {
    Box::new(query)
}

/// Any of `terms`. A few terms are a disjunction of term queries: tantivy's `TermSetQuery`
/// builds an FST of its terms for every segment, megabytes of allocation that cost a
/// glossary query with its dozens of small sets 30 ms on a 300-item index (found with perf
/// on the release binary). Many terms are one `TermSetQuery`, which then pays.
pub(crate) fn any_term(terms: Vec<Term>) -> Box<dyn Query> {
    if terms.len() > FEW_TERMS {
        return boxed(TermSetQuery::new(terms));
    }
    boxed(BooleanQuery::new(
        terms
            .into_iter()
            .map(|term| {
                (
                    Occur::Should,
                    boxed(TermQuery::new(term, IndexRecordOption::Basic)),
                )
            })
            .collect(),
    ))
}

fn term_set(field: Field, values: &[String]) -> Box<dyn Query> {
    any_term(
        values
            .iter()
            .map(|value| Term::from_field_text(field, value))
            .collect(),
    )
}

/// All of `clauses` must match (`None` when there are none), scored as
/// `first + (second + (third + …))`. A flat `BooleanQuery` of three or more scored `Must`
/// clauses would add their scores in the order of their posting-list lengths, which count
/// documents the caller may not see, and floating-point addition of three terms depends on
/// their order: a hidden document could change a visible one's score in its last bit (seen
/// in segments of more than 4,096 documents). An intersection of two scored clauses adds them
/// the same way round or not at all (`a + b == b + a`), so nesting pairs keeps every score a
/// function of the visible documents alone. Filters score zero and may be flat.
pub(crate) fn all_of(clauses: Vec<Box<dyn Query>>) -> Option<Box<dyn Query>> {
    nested_pairs(clauses, Occur::Must)
}

/// Any of `clauses` may match (`None` when there are none), scored as the sum of those that
/// do, nested in pairs for the reason [`all_of`] gives.
pub(crate) fn any_of(clauses: Vec<Box<dyn Query>>) -> Option<Box<dyn Query>> {
    nested_pairs(clauses, Occur::Should)
}

/// `clauses` combined two at a time with `occur`, the last innermost.
fn nested_pairs(mut clauses: Vec<Box<dyn Query>>, occur: Occur) -> Option<Box<dyn Query>> {
    let mut combined = clauses.pop()?;
    while let Some(clause) = clauses.pop() {
        combined = boxed(BooleanQuery::new(vec![(occur, clause), (occur, combined)]));
    }
    Some(combined)
}

/// A filter that narrows without changing scores.
fn filter(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, boxed(ConstScoreQuery::new(query, 0.0)))
}

impl Sort {
    fn tag(self) -> &'static str {
        match self {
            Sort::Relevance => "r",
            Sort::Newest => "n",
            Sort::Deadline => "d",
        }
    }
}

fn encode_cursor(sort: Sort, key: SortKey) -> String {
    format!("{}.{:x}.{:x}", sort.tag(), key.0 as u64, key.1)
}

fn decode_cursor(sort: Sort, cursor: &str) -> Result<SortKey> {
    let mut parts = cursor.split('.');
    let (Some(tag), Some(primary), Some(key), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::InvalidCursor);
    };
    if tag != sort.tag() {
        return Err(Error::InvalidCursor);
    }
    let primary = u64::from_str_radix(primary, 16).map_err(|_| Error::InvalidCursor)? as i64;
    let key = u64::from_str_radix(key, 16).map_err(|_| Error::InvalidCursor)?;
    Ok((primary, key))
}

/// Splits raw query text into plain text, quoted phrases and excluded words. Any string is
/// a valid query: an unbalanced quote simply runs to the end.
pub(crate) fn parse(text: &str) -> (String, Vec<String>, Vec<String>) {
    let mut plain = String::new();
    let mut phrases = Vec::new();
    let mut excluded = Vec::new();
    for (index, part) in text.split('"').enumerate() {
        if index % 2 == 1 {
            if !part.trim().is_empty() {
                phrases.push(part.to_owned());
            }
            continue;
        }
        for word in part.split_whitespace() {
            match word.strip_prefix('-') {
                Some(rest) if !rest.is_empty() => excluded.push(rest.to_owned()),
                _ => {
                    plain.push_str(word);
                    plain.push(' ');
                }
            }
        }
    }
    (plain, phrases, excluded)
}

impl SearchIndex {
    fn english_terms(&self, word: &str) -> Vec<Term> {
        let Ok(mut analyzer) = self.index.tokenizer_for_field(self.fields.english) else {
            return Vec::new();
        };
        let mut stream = analyzer.token_stream(word);
        let mut terms = Vec::new();
        while stream.advance() {
            terms.push(Term::from_field_text(
                self.fields.english,
                &stream.token().text,
            ));
        }
        terms
    }

    pub(crate) fn text_fields(&self) -> [(Field, f32); 3] {
        [
            (self.fields.title, TITLE_BOOST),
            (self.fields.summary, SUMMARY_BOOST),
            (self.fields.body, 1.0),
        ]
    }

    /// One analyzed token, matched in any text field, with typos tolerated for Latin words
    /// (edit distance 1 from 5 letters, 2 from 9) and English stems.
    fn token_query(&self, token: &str, original_word: Option<&str>, typos: bool) -> Box<dyn Query> {
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, boost) in self.text_fields() {
            let term = TermQuery::new(
                Term::from_field_text(field, token),
                IndexRecordOption::WithFreqsAndPositions,
            );
            alternatives.push((Occur::Should, boxed(BoostQuery::new(boxed(term), boost))));
        }
        for term in self.english_terms(original_word.unwrap_or(token)) {
            alternatives.push((
                Occur::Should,
                boxed(BoostQuery::new(
                    boxed(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                    ENGLISH_BOOST,
                )),
            ));
        }
        if analysis::is_latin_word(token) {
            for stem in crate::stem::malay_stems(token) {
                let term = TermQuery::new(
                    Term::from_field_text(self.fields.malay, &stem),
                    IndexRecordOption::WithFreqs,
                );
                alternatives.push((
                    Occur::Should,
                    boxed(BoostQuery::new(boxed(term), MALAY_BOOST)),
                ));
            }
        }
        let length = token.chars().count();
        if typos && crate::budget::tolerates_typos(token) {
            let distance = if length >= 9 { 2 } else { 1 };
            for (field, _) in self.text_fields() {
                let fuzzy =
                    FuzzyTermQuery::new(Term::from_field_text(field, token), distance, true);
                alternatives.push((
                    Occur::Should,
                    boxed(BoostQuery::new(boxed(fuzzy), FUZZY_BOOST)),
                ));
            }
        }
        boxed(BooleanQuery::new(alternatives))
    }

    /// Every word of `text` must match (an empty clause list means no constraint); `typos`
    /// says whether Latin words tolerate them. A run of unspaced text matches as its words or,
    /// scored lower, as the run itself inside longer text (its bigrams in a row).
    fn all_tokens(&self, text: &str, typos: bool) -> Vec<Box<dyn Query>> {
        let mut clauses = Vec::new();
        for run in analysis::runs(text) {
            let mut words = Vec::new();
            analysis::run_words(text, run, &mut words);
            let words_of_run = words.clone();
            let word_queries: Vec<Box<dyn Query>> = words
                .into_iter()
                .map(|(from, to)| {
                    self.token_query(&fold(&text[from..to]), Some(&text[from..to]), typos)
                })
                .collect();
            if !run.unspaced {
                clauses.extend(word_queries);
                continue;
            }
            let one_word = words_of_run == [(run.from, run.to)];
            let whole = all_of(word_queries);
            let inside = self.gram_query(&text[run.from..run.to]);
            // A Chinese run that is one word: its bigrams find every item that holds it, and
            // the word adds to the score where it is whole. One posting list to walk instead
            // of the union of two (Thai, Lao, Khmer and Burmese words are normalised after
            // segmentation, so their bigrams are not always a superset).
            if let (true, true, Some(whole), Some(inside)) =
                (run.is_han(), one_word, &whole, &inside)
            {
                clauses.push(boxed(BooleanQuery::new(vec![
                    (Occur::Must, inside.box_clone()),
                    (Occur::Should, whole.box_clone()),
                ])));
                continue;
            }
            match (whole, inside) {
                (Some(whole), Some(inside)) => clauses.push(boxed(BooleanQuery::new(vec![
                    (Occur::Should, whole),
                    (Occur::Should, inside),
                ]))),
                (Some(only), None) | (None, Some(only)) => clauses.push(only),
                (None, None) => {}
            }
        }
        clauses
    }

    /// The bigrams of an unspaced run in a row, anywhere in the item's text.
    fn gram_query(&self, run: &str) -> Option<Box<dyn Query>> {
        let grams: Vec<String> = analysis::grams(run)
            .into_iter()
            .map(|gram| gram.text)
            .collect();
        self.grams_query(&grams)
    }

    /// Bigrams in a row (`None` for none, or more than a word has).
    fn grams_query(&self, grams: &[String]) -> Option<Box<dyn Query>> {
        if grams.is_empty() || grams.len() > MAX_GRAMS {
            return None;
        }
        let mut terms: Vec<Term> = grams
            .iter()
            .map(|gram| Term::from_field_text(self.fields.grams, gram))
            .collect();
        let query = if terms.len() == 1 {
            boxed(TermQuery::new(
                terms.remove(0),
                IndexRecordOption::WithFreqsAndPositions,
            ))
        } else {
            boxed(PhraseQuery::new(terms))
        };
        Some(boxed(BoostQuery::new(query, GRAM_BOOST)))
    }

    fn phrase_query(&self, phrase: &str) -> Option<Box<dyn Query>> {
        let tokens = analysis::tokens(phrase);
        if tokens.is_empty() {
            return None;
        }
        if tokens.len() == 1 || has_han(phrase) {
            return all_of(self.all_tokens(phrase, true));
        }
        let per_field = self
            .text_fields()
            .into_iter()
            .map(|(field, boost)| {
                let terms = tokens
                    .iter()
                    .map(|token| Term::from_field_text(field, token))
                    .collect();
                (
                    Occur::Should,
                    boxed(BoostQuery::new(boxed(PhraseQuery::new(terms)), boost)),
                )
            })
            .collect();
        Some(boxed(BooleanQuery::new(per_field)))
    }

    /// A glossary group: any of its terms, in any language, or the sector or country it names.
    /// Each field scores a constant when any term is in it (the title most), whatever the
    /// term's language: BM25 would weigh a term by how rare it is among the items of its own
    /// language, so the smaller languages' items would always outrank the larger ones'.
    /// Equivalents are known spellings, matched exactly (which also keeps a query's typo
    /// automata to the caller's own words, see `budget`), as words or, for unspaced scripts,
    /// inside longer text.
    fn group_query(&self, group: &Group) -> Option<Box<dyn Query>> {
        let analysed = group.analysed();
        let tokens: Vec<&Vec<String>> = analysed.iter().map(|term| &term.words).collect();
        let mut scored = Vec::new();
        for (field, boost) in self.text_fields() {
            // One-word terms in one set (one query to weigh, not one per term), longer terms
            // as all their words.
            let single: Vec<Term> = tokens
                .iter()
                .filter(|words| words.len() == 1)
                .map(|words| Term::from_field_text(field, &words[0]))
                .collect();
            let mut any: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, any_term(single))];
            any.extend(
                tokens
                    .iter()
                    .filter(|words| words.len() > 1)
                    .filter_map(|words| {
                        all_of(
                            words
                                .iter()
                                .map(|word| {
                                    boxed(TermQuery::new(
                                        Term::from_field_text(field, word),
                                        IndexRecordOption::Basic,
                                    ))
                                })
                                .collect(),
                        )
                    })
                    .map(|query| (Occur::Should, query)),
            );
            if field == self.fields.body {
                // Where the words are not whole, the weakest evidence: inside unspaced text,
                // or an English or Malay stem.
                for term in analysed {
                    let inside = term
                        .inside
                        .as_ref()
                        .and_then(|runs| {
                            runs.iter()
                                .map(|grams| self.grams_query(grams))
                                .collect::<Option<Vec<_>>>()
                        })
                        .and_then(all_of);
                    any.extend(inside.map(|query| (Occur::Should, query)));
                    let english = term
                        .words
                        .iter()
                        .map(|token| self.stem_query(token))
                        .collect::<Option<Vec<_>>>()
                        .and_then(all_of);
                    any.extend(english.map(|query| (Occur::Should, query)));
                }
            }
            if !any.is_empty() {
                scored.push(boxed(ConstScoreQuery::new(
                    boxed(BooleanQuery::new(any)),
                    boost * GROUP_WEIGHT,
                )));
            }
        }
        for (concept, code) in &group.concepts {
            let field = match concept {
                Concept::Sector => self.fields.sector_scope,
                Concept::Country => self.fields.countries,
            };
            let filed =
                TermQuery::new(Term::from_field_text(field, code), IndexRecordOption::Basic);
            scored.push(boxed(ConstScoreQuery::new(boxed(filed), CONCEPT_SCORE)));
        }
        any_of(scored)
    }

    /// A Latin word's English and Malay stems (`None` for other words).
    fn stem_query(&self, token: &str) -> Option<Box<dyn Query>> {
        if !analysis::is_latin_word(token) {
            return None;
        }
        let mut stems: Vec<Term> = self.english_terms(token);
        stems.extend(
            crate::stem::malay_stems(token)
                .iter()
                .map(|stem| Term::from_field_text(self.fields.malay, stem)),
        );
        Some(any_term(stems))
    }

    /// The text part of a search: `None` when the text asks for nothing (blank, or only
    /// exclusions), plus the exclusions.
    fn text_query(&self, text: &str, request: &Request) -> Result<TextQuery> {
        let (plain, phrases, excluded) = parse(text);
        let mut required: Vec<Box<dyn Query>> = Vec::new();
        let (mut groups, rest) = self.glossary.extract(&fold(&plain));
        // A misspelt term still names its group, when no item the caller may see holds the
        // word as typed (a word someone uses is taken as meant).
        let searcher = self.reader.searcher();
        let mut failure = None;
        let (misspelt, rest) = self.glossary.extract_misspelt(
            &rest,
            crate::budget::MAX_GLOSSARY_TERMS.saturating_sub(groups.len()),
            |word| match self.visible_documents_with(&searcher, word, request) {
                Ok(count) => count > 0,
                Err(error) => {
                    failure = Some(error);
                    true
                }
            },
        );
        if let Some(error) = failure {
            return Err(error);
        }
        groups.extend(
            misspelt
                .into_iter()
                .filter(|group| !groups.contains(group))
                .collect::<Vec<_>>(),
        );
        let concepts = !groups.is_empty();
        for group in groups {
            required.extend(self.group_query(self.glossary.group(group)));
        }
        // Beside a glossary term, the other words rank but do not restrict: they are in the
        // caller's language, and an item in another language about the term never holds them.
        let others = self.all_tokens(&rest, true);
        let optional = if concepts {
            any_of(others)
        } else {
            required.extend(others);
            None
        };
        required.extend(
            phrases
                .iter()
                .filter_map(|phrase| self.phrase_query(phrase)),
        );
        let exclusions = excluded
            .iter()
            .flat_map(|word| analysis::tokens(word))
            .map(|token| {
                let anywhere = self
                    .text_fields()
                    .into_iter()
                    .map(|(field, _)| Term::from_field_text(field, &token))
                    .collect::<Vec<_>>();
                any_term(anywhere)
            })
            .collect();
        let text = match (all_of(required), optional) {
            (Some(required), Some(optional)) => Some(boxed(BooleanQuery::new(vec![
                (Occur::Must, required),
                (Occur::Should, optional),
            ]))),
            (required, None) => required,
            (None, optional) => optional,
        };
        Ok((text, exclusions))
    }

    pub(crate) fn filters(&self, request: &Request) -> Vec<(Occur, Box<dyn Query>)> {
        let fields = &self.fields;
        let mut clauses = Vec::new();
        if let Some(visible) = visible_documents(fields, request) {
            clauses.push(filter(visible));
        }

        let list = &request.list;
        let single = |value: &Option<String>| value.iter().cloned().collect::<Vec<_>>();
        for (field, values) in [
            (fields.kind, &request.kinds),
            (fields.countries, &request.countries),
            (fields.sector_scope, &request.sectors),
            (fields.opportunity_type, &request.opportunity_types),
            (fields.id, &list.ids),
            (fields.language, &list.languages),
            (fields.visibility, &single(&list.visibility)),
            (fields.tags, &list.tags),
            (fields.author, &single(&list.author)),
            (fields.policy_type, &list.policy_types),
            (fields.event_type, &list.event_types),
        ] {
            if !values.is_empty() {
                clauses.push(filter(term_set(field, values)));
            }
        }
        for (field, from, to) in [
            (
                fields.updated_at,
                list.updated_from_micros,
                list.updated_to_micros,
            ),
            (
                fields.effective,
                list.effective_from_days,
                list.effective_to_days,
            ),
            (
                fields.starts_at,
                list.starts_from_micros,
                list.starts_to_micros,
            ),
        ] {
            let bound = |value: i64| Term::from_field_i64(field, value);
            if let Some(range) = range(from.map(bound), to.map(bound)) {
                clauses.push(filter(range));
            }
        }
        let date = |micros: i64| {
            Term::from_field_date(
                fields.published_at,
                tantivy::DateTime::from_timestamp_micros(micros),
            )
        };
        if let Some(range) = range(
            request.published_from_micros.map(date),
            request.published_to_micros.map(date),
        ) {
            clauses.push(filter(range));
        }
        let today = (!request.include_expired).then_some(request.today_days);
        let deadline_from = match (request.deadline_from_days, today) {
            (Some(from), Some(today)) => Some(from.max(today)),
            (from, today) => from.or(today),
        };
        let days = |value: i64| Term::from_field_i64(fields.deadline, value);
        if let Some(range) = range(deadline_from.map(days), request.deadline_to_days.map(days)) {
            clauses.push(filter(range));
        }
        if let Some(from) = request.amount_from {
            clauses.push(filter(boxed(RangeQuery::new(
                Bound::Included(Term::from_field_u64(fields.amount_max, from)),
                Bound::Unbounded,
            ))));
        }
        if let Some(to) = request.amount_to {
            clauses.push(filter(boxed(RangeQuery::new(
                Bound::Unbounded,
                Bound::Included(Term::from_field_u64(fields.amount_min, to)),
            ))));
        }
        if let Some(currency) = &request.currency {
            clauses.push(filter(boxed(TermQuery::new(
                Term::from_field_text(fields.currency, currency),
                IndexRecordOption::Basic,
            ))));
        }
        clauses
    }

    /// How many items the filters of `request` admit that its caller may see (its text, sort
    /// and page play no part): whether a new item matches a subscription's filter.
    pub fn matches(&self, request: &Request) -> Result<usize> {
        let searcher = self.reader.searcher();
        Ok(self.filters_alone(request).count(&searcher)?)
    }

    /// The filters of `request` and nothing else (its text plays no part). Without any, every
    /// document: an intersection with "every document" would walk them all.
    pub(crate) fn filters_alone(&self, request: &Request) -> BooleanQuery {
        let mut clauses = self.filters(request);
        if clauses.is_empty() {
            clauses.push((Occur::Must, boxed(AllQuery)));
        }
        BooleanQuery::new(clauses)
    }

    /// The ids of the documents at `addresses`, in their order, read from the `id` fast field:
    /// a stored document would be decompressed whole (its body too) for one short string.
    /// Per segment, the ids are decoded in the dictionary's order, so each compressed block
    /// of it is opened once (one by one, each look-up opened a block: a fifth of the time
    /// of a recommendation at 100,000 items, in `perf`).
    pub(crate) fn ids_at(
        &self,
        searcher: &Searcher,
        addresses: impl IntoIterator<Item = DocAddress>,
    ) -> Result<Vec<String>> {
        let mut by_segment: BTreeMap<u32, Vec<(u64, usize)>> = BTreeMap::new();
        let mut count = 0;
        for (position, address) in addresses.into_iter().enumerate() {
            count += 1;
            let reader = searcher.segment_reader(address.segment_ord);
            let Some(column) = reader.fast_fields().str("id")? else {
                continue;
            };
            if let Some(ord) = column.term_ords(address.doc_id).next() {
                by_segment
                    .entry(address.segment_ord)
                    .or_default()
                    .push((ord, position));
            }
        }
        let mut ids: Vec<Option<String>> = vec![None; count];
        for (segment_ord, mut wanted) in by_segment {
            let reader = searcher.segment_reader(segment_ord);
            let Some(column) = reader.fast_fields().str("id")? else {
                continue;
            };
            wanted.sort_unstable();
            let mut ords: Vec<u64> = wanted.iter().map(|(ord, _)| *ord).collect();
            ords.dedup();
            let mut texts = Vec::with_capacity(ords.len());
            column
                .dictionary()
                .sorted_ords_to_term_cb(&ords, |bytes| {
                    texts.push(String::from_utf8_lossy(bytes).into_owned());
                })
                .map_err(|error| Error::Directory(error.to_string()))?;
            for (ord, position) in wanted {
                if let Ok(index) = ords.binary_search(&ord)
                    && let Some(text) = texts.get(index)
                {
                    ids[position] = Some(text.clone());
                }
            }
        }
        Ok(ids.into_iter().flatten().collect())
    }

    /// How many items `request` finds (its text, filters and visibility; no sort, page,
    /// facets or snippets): what a saved search asks of one new item, restricted to it by
    /// `request.list.ids`.
    pub fn count(&self, request: &Request) -> Result<usize> {
        crate::budget::check(&request.text, &self.glossary).map_err(Error::OverBudget)?;
        let (text_query, exclusions) = self.text_query(&request.text, request)?;
        let mut clauses = self.filters(request);
        if let Some(text_query) = text_query {
            clauses.push((Occur::Must, text_query));
        }
        if clauses.is_empty() {
            clauses.push((Occur::Must, boxed(AllQuery)));
        }
        clauses.extend(exclusions.into_iter().map(|query| (Occur::MustNot, query)));
        let searcher = self.reader.searcher();
        Ok(BooleanQuery::new(clauses).count(&searcher)?)
    }

    /// Runs `request`; when nothing matches, offers a corrected query (see `suggest`).
    pub fn search(&self, request: &Request) -> Result<Results> {
        let mut results = self.search_without_correction(request)?;
        if results.total == 0 && !request.text.trim().is_empty() {
            results.did_you_mean = self.did_you_mean(request)?;
        }
        Ok(results)
    }

    pub(crate) fn search_without_correction(&self, request: &Request) -> Result<Results> {
        crate::budget::check(&request.text, &self.glossary).map_err(Error::OverBudget)?;
        let (text_query, exclusions) = self.text_query(&request.text, request)?;
        let sort = match (request.sort, &text_query) {
            (Sort::Relevance, None) => Sort::Newest,
            (sort, _) => sort,
        };
        let after = request
            .after
            .as_deref()
            .map(|cursor| decode_cursor(sort, cursor))
            .transpose()?;
        let mut clauses = vec![(
            Occur::Must,
            text_query
                .as_ref()
                .map(|query| query.box_clone())
                .unwrap_or_else(|| boxed(AllQuery)),
        )];
        clauses.extend(self.filters(request));
        clauses.extend(exclusions.into_iter().map(|query| (Occur::MustNot, query)));
        let query = BooleanQuery::new(clauses);

        let searcher = self.reader.searcher();
        // Relevance and snippet term weights come from statistics over what the caller may
        // see (see `visibility`). A caller who sees everything gets tantivy's index-wide
        // statistics, which are then already theirs; a search without text scores no terms.
        let visible_statistics = match (visible_documents(&self.fields, request), &text_query) {
            (Some(visible), Some(_)) => Some(VisibleStatistics::new(&searcher, &*visible)?),
            _ => None,
        };
        let statistics: &dyn Bm25StatisticsProvider = match &visible_statistics {
            Some(visible_statistics) => visible_statistics,
            None => &searcher,
        };
        let limit = request.first + 1;
        let top = TopDocs::with_limit(limit.max(1)).tweak_score(move |segment: &SegmentReader| {
            let keys = segment.fast_fields().u64("key").ok();
            let published = segment.fast_fields().date("published_at").ok();
            let deadlines = segment.fast_fields().i64("deadline").ok();
            move |doc: DocId, score: Score| -> SortKey {
                let key = keys
                    .as_ref()
                    .and_then(|column| column.first(doc))
                    .unwrap_or(0);
                let primary = match sort {
                    Sort::Relevance => i64::from(score.max(0.0).to_bits()),
                    Sort::Newest => published
                        .as_ref()
                        .and_then(|column| column.first(doc))
                        .map(|date| date.into_timestamp_micros())
                        .unwrap_or(i64::MIN + 1),
                    Sort::Deadline => deadlines
                        .as_ref()
                        .and_then(|column| column.first(doc))
                        .map(|days| -days.min(i64::MAX - 1))
                        .unwrap_or(-(i64::MAX - 1)),
                };
                match after {
                    Some(cursor) if (primary, key) >= cursor => BEFORE_CURSOR,
                    _ => (primary, key),
                }
            }
        });
        let facet_collector = FacetCollector {
            fields: vec!["kind", "countries", "sectors"],
        };
        let (top_docs, total, facet_counts) = searcher.search_with_statistics_provider(
            &query,
            &(top, Count, facet_collector),
            statistics,
        )?;

        let mut ranked: Vec<(SortKey, DocAddress)> = top_docs
            .into_iter()
            .filter(|(key, _)| *key != BEFORE_CURSOR)
            .collect();
        let has_next_page = ranked.len() > request.first;
        ranked.truncate(request.first);

        let generators = match &text_query {
            Some(text_query) => self
                .text_fields()
                .into_iter()
                .zip(["title", "summary", "body"])
                .map(|((field, _), name)| {
                    let words =
                        snippet_generator(&searcher, statistics, &**text_query, field, field)?;
                    // A match found only as bigrams inside unspaced text is marked as such.
                    let inside = snippet_generator(
                        &searcher,
                        statistics,
                        &**text_query,
                        self.fields.grams,
                        field,
                    )?;
                    Ok((name, [words, inside]))
                })
                .collect::<tantivy::Result<Vec<_>>>()?,
            None => Vec::new(),
        };
        let mut hits = Vec::with_capacity(ranked.len());
        for (sort_key, address) in ranked {
            let document: TantivyDocument = searcher.doc(address)?;
            let id = document
                .get_first(self.fields.id)
                .and_then(|value| value.as_str())
                .unwrap_or_default()
                .to_owned();
            let score = if sort == Sort::Relevance {
                f32::from_bits(sort_key.0 as u32)
            } else {
                0.0
            };
            let highlights = generators
                .iter()
                .filter_map(|(name, generators)| {
                    let snippet = generators
                        .iter()
                        .map(|generator| generator.snippet_from_doc(&document))
                        .find(|snippet| !snippet.highlighted().is_empty())?;
                    Some(Highlight {
                        field: name,
                        snippet: marked_html(snippet.fragment(), snippet.highlighted()),
                    })
                })
                .collect();
            hits.push(Hit {
                id,
                score,
                cursor: encode_cursor(sort, sort_key),
                highlights,
            });
        }
        let mut facet_counts = facet_counts.into_iter();
        let mut sorted = || {
            let mut counts: Vec<(String, u64)> = facet_counts
                .next()
                .unwrap_or_default()
                .into_iter()
                .collect();
            counts.sort_by(|left, right| right.1.cmp(&left.1).then_with(|| left.0.cmp(&right.0)));
            counts
        };
        let facets = Facets {
            kinds: sorted(),
            countries: sorted(),
            sectors: sorted(),
        };
        Ok(Results {
            total,
            facets,
            hits,
            has_next_page,
            did_you_mean: None,
        })
    }
}

/// A snippet generator for `field` that weighs each query term as `SnippetGenerator::create`
/// does (`1 / (1 + doc_freq)`, so the fragment with the rarest words wins), but with the
/// document frequency from `statistics`: `create` reads the index-wide `Searcher::doc_freq`,
/// which counts documents the caller may not see and so would let them decide which
/// fragment a caller is shown. `SnippetGenerator::new` takes the weights directly. The
/// query's terms of `terms_of` are marked in the text of `field`, analysed as `terms_of` is.
fn snippet_generator(
    searcher: &Searcher,
    statistics: &dyn Bm25StatisticsProvider,
    query: &dyn Query,
    terms_of: Field,
    field: Field,
) -> tantivy::Result<SnippetGenerator> {
    let mut terms: BTreeSet<&Term> = BTreeSet::new();
    query.query_terms(&mut |term, _| {
        if term.field() == terms_of {
            terms.insert(term);
        }
    });
    let mut weights: BTreeMap<String, Score> = BTreeMap::new();
    for term in terms {
        let value = term.value();
        let Some(text) = value.as_str() else {
            continue;
        };
        let doc_freq = statistics.doc_freq(term)?;
        if doc_freq > 0 {
            weights.insert(text.to_owned(), 1.0 / (1.0 + doc_freq as Score));
        }
    }
    let tokenizer = searcher.index().tokenizer_for_field(terms_of)?;
    Ok(SnippetGenerator::new(
        weights,
        tokenizer,
        field,
        SNIPPET_BYTES,
    ))
}

/// A range query from optional bounds; `None` when both are open.
fn range(from: Option<Term>, to: Option<Term>) -> Option<Box<dyn Query>> {
    match (from, to) {
        (None, None) => None,
        (from, to) => Some(boxed(RangeQuery::new(
            from.map_or(Bound::Unbounded, Bound::Included),
            to.map_or(Bound::Unbounded, Bound::Included),
        ))),
    }
}

fn escape_into(text: &str, html: &mut String) {
    for character in text.chars() {
        match character {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            other => html.push(other),
        }
    }
}

/// The fragment with `<mark>` around the highlighted byte ranges and everything else escaped.
fn marked_html(fragment: &str, highlighted: &[std::ops::Range<usize>]) -> String {
    let mut html = String::with_capacity(fragment.len() + 32);
    let mut written = 0;
    for range in collapse_overlapped_ranges(highlighted) {
        if range.is_empty()
            || range.start < written
            || range.end > fragment.len()
            || !fragment.is_char_boundary(range.start)
            || !fragment.is_char_boundary(range.end)
        {
            continue;
        }
        escape_into(&fragment[written..range.start], &mut html);
        html.push_str("<mark>");
        escape_into(&fragment[range.clone()], &mut html);
        html.push_str("</mark>");
        written = range.end;
    }
    escape_into(&fragment[written..], &mut html);
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_syntax_is_lenient() {
        assert_eq!(
            parse("smart \"cold chain\" -tender hub"),
            (
                "smart hub ".to_owned(),
                vec!["cold chain".to_owned()],
                vec!["tender".to_owned()]
            )
        );
        assert_eq!(
            parse("unbalanced \"quote here").1,
            vec!["quote here".to_owned()]
        );
        let (plain, phrases, excluded) = parse("- -- AND OR ( ) : * title:x");
        assert_eq!(
            plain, "- AND OR ( ) : * title:x ",
            "query syntax characters are plain text"
        );
        assert!(phrases.is_empty());
        assert_eq!(excluded, vec!["-".to_owned()]);
    }

    #[test]
    fn snippets_mark_matches_and_escape_the_rest() {
        assert_eq!(
            marked_html("<b>Tom & Jerry</b>", &[3..6, 6..6]),
            "&lt;b&gt;<mark>Tom</mark> &amp; Jerry&lt;/b&gt;"
        );
    }

    #[test]
    fn cursors_round_trip_and_belong_to_their_sort() {
        let key = (-5, 42);
        assert_eq!(
            decode_cursor(Sort::Newest, &encode_cursor(Sort::Newest, key)).unwrap(),
            key
        );
        assert!(decode_cursor(Sort::Deadline, &encode_cursor(Sort::Newest, key)).is_err());
        assert!(decode_cursor(Sort::Newest, "garbage").is_err());
    }
}
