//! Suggestions as a person types (titles, tags, sectors and countries, in every language),
//! and "did you mean" for a query with no hits. Both come only from what the caller may see:
//! every candidate is counted or searched with the caller's visibility, and a sector or
//! country is offered only when the caller can see an item filed under it.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{Searcher, TantivyDocument, Term};

use crate::analysis::{self, fold, is_latin_word};
use crate::budget::OverBudget;
use crate::edits::distance;
use crate::index::SearchIndex;
use crate::names::{self, Concept};
use crate::query::{Request, all_of, any_term, boxed, parse};
use crate::{Error, Result};

/// The longest prefix suggestions take, in characters, and the most words.
pub const MAX_PREFIX_CHARS: usize = 100;
pub const MAX_PREFIX_WORDS: usize = 8;
/// Dictionary terms a partial word may stand for, per segment.
const CANDIDATE_TERMS: usize = 64;
/// Tags and titles looked at before the best are kept.
const CANDIDATE_TAGS: usize = 20;
const CANDIDATE_TITLES: usize = 40;
/// The most words of one query "did you mean" corrects, and the candidates it weighs each.
const MAX_CORRECTIONS: usize = 8;
const CANDIDATE_CORRECTIONS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionKind {
    Country,
    Sector,
    Tag,
    Title,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub kind: SuggestionKind,
    /// What to show and to search for.
    pub text: String,
    /// The sector or country code; the item's id for a title.
    pub code: Option<String>,
    /// The language of `text` where known.
    pub language: Option<String>,
    /// How many items the caller may see that it leads to (titles: 1).
    pub count: u64,
}

/// Every sector's and country's names, folded once.
static FOLDED_NAMES: LazyLock<Vec<(usize, String, String)>> = LazyLock::new(|| {
    names::all()
        .iter()
        .enumerate()
        .flat_map(|(index, named)| {
            named
                .names
                .iter()
                .map(move |(language, name)| (index, language.clone(), fold(name)))
        })
        .collect()
});

/// Whether folded `text` has a word starting with folded `prefix` (anywhere, for unspaced
/// scripts).
fn starts_a_word(text: &str, prefix: &str) -> bool {
    if !prefix.is_ascii() {
        return text.contains(prefix);
    }
    text.match_indices(prefix).any(|(at, _)| {
        text[..at]
            .chars()
            .next_back()
            .is_none_or(|before| !before.is_alphanumeric())
    })
}

impl SearchIndex {
    /// The caller's filters and visibility, as clauses that narrow without scoring.
    fn narrowed(&self, query: Box<dyn Query>, request: &Request) -> BooleanQuery {
        let mut clauses = vec![(Occur::Must, query)];
        clauses.extend(self.filters(request));
        BooleanQuery::new(clauses)
    }

    fn visible_count(
        &self,
        searcher: &Searcher,
        query: Box<dyn Query>,
        request: &Request,
    ) -> Result<u64> {
        Ok(searcher.search(&self.narrowed(query, request), &Count)? as u64)
    }

    /// Terms of `field` starting with `prefix`, at most [`CANDIDATE_TERMS`] per segment.
    fn terms_starting(
        &self,
        searcher: &Searcher,
        field: Field,
        prefix: &str,
    ) -> Result<BTreeSet<String>> {
        let mut found = BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted
                .terms()
                .range()
                .ge(prefix.as_bytes())
                .into_stream()
                .map_err(|error| Error::Directory(error.to_string()))?;
            let mut taken = 0;
            while stream.advance() && taken < CANDIDATE_TERMS {
                let Ok(term) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if !term.starts_with(prefix) {
                    break;
                }
                found.insert(term.to_owned());
                taken += 1;
            }
        }
        Ok(found)
    }

    /// Suggestions for `prefix` (what the person has typed so far), at most `first`, a few
    /// of each kind in turn: countries, sectors, tags, then titles. `request` carries the
    /// caller's visibility and filters; its text is ignored.
    pub fn suggest(
        &self,
        prefix: &str,
        first: usize,
        request: &Request,
    ) -> Result<Vec<Suggestion>> {
        if prefix.chars().count() > MAX_PREFIX_CHARS {
            return Err(Error::OverBudget(OverBudget {
                what: "characters",
                max: MAX_PREFIX_CHARS,
            }));
        }
        let mut words = analysis::tokens(prefix);
        if words.len() > MAX_PREFIX_WORDS {
            return Err(Error::OverBudget(OverBudget {
                what: "words",
                max: MAX_PREFIX_WORDS,
            }));
        }
        let folded = fold(prefix.trim());
        if folded.is_empty() || first == 0 {
            return Ok(Vec::new());
        }
        // The last word is still being typed, unless a space ends the prefix.
        let partial = if prefix.ends_with(char::is_whitespace) {
            None
        } else {
            words.pop()
        };
        let searcher = self.reader.searcher();
        let concepts = self.concept_suggestions(&searcher, &folded, request)?;
        let tags = self.tag_suggestions(&searcher, &folded, request)?;
        let titles = self.title_suggestions(&searcher, &words, partial.as_deref(), request)?;
        let mut kinds = [
            concepts
                .iter()
                .filter(|suggestion| suggestion.kind == SuggestionKind::Country)
                .cloned()
                .collect::<Vec<_>>(),
            concepts
                .into_iter()
                .filter(|suggestion| suggestion.kind == SuggestionKind::Sector)
                .collect(),
            tags,
            titles,
        ]
        .map(|suggestions| suggestions.into_iter());
        // In turn, so a short list still shows each kind that has something.
        let mut suggestions = Vec::with_capacity(first);
        loop {
            let before = suggestions.len();
            for kind in &mut kinds {
                if suggestions.len() < first
                    && let Some(suggestion) = kind.next()
                {
                    suggestions.push(suggestion);
                }
            }
            if suggestions.len() == before || suggestions.len() >= first {
                break;
            }
        }
        Ok(suggestions)
    }

    fn concept_suggestions(
        &self,
        searcher: &Searcher,
        folded: &str,
        request: &Request,
    ) -> Result<Vec<Suggestion>> {
        let all = names::all();
        let mut matched: Vec<(usize, String)> = Vec::new();
        for (index, language, name) in FOLDED_NAMES.iter() {
            if starts_a_word(name, folded) && !matched.iter().any(|(seen, _)| seen == index) {
                matched.push((*index, language.clone()));
            }
        }
        let mut suggestions = Vec::new();
        for (index, language) in matched {
            let named = &all[index];
            let (field, kind) = match named.concept {
                Concept::Sector => (self.fields.sector_scope, SuggestionKind::Sector),
                Concept::Country => (self.fields.countries, SuggestionKind::Country),
            };
            let filed = boxed(TermQuery::new(
                Term::from_field_text(field, &named.code),
                IndexRecordOption::Basic,
            ));
            let count = self.visible_count(searcher, filed, request)?;
            if count > 0 {
                suggestions.push(Suggestion {
                    kind,
                    text: named.name(&language).to_owned(),
                    code: Some(named.code.clone()),
                    language: Some(language),
                    count,
                });
            }
        }
        suggestions.sort_by_key(|suggestion| std::cmp::Reverse(suggestion.count));
        Ok(suggestions)
    }

    fn tag_suggestions(
        &self,
        searcher: &Searcher,
        folded: &str,
        request: &Request,
    ) -> Result<Vec<Suggestion>> {
        // Tags are stored lower-case and hyphenated: "cold ch" is typed for "cold-chain".
        let prefix = folded.split_whitespace().collect::<Vec<_>>().join("-");
        let mut suggestions = Vec::new();
        for tag in self
            .terms_starting(searcher, self.fields.tags, &prefix)?
            .into_iter()
            .take(CANDIDATE_TAGS)
        {
            let tagged = boxed(TermQuery::new(
                Term::from_field_text(self.fields.tags, &tag),
                IndexRecordOption::Basic,
            ));
            let count = self.visible_count(searcher, tagged, request)?;
            if count > 0 {
                suggestions.push(Suggestion {
                    kind: SuggestionKind::Tag,
                    text: tag,
                    code: None,
                    language: None,
                    count,
                });
            }
        }
        suggestions.sort_by_key(|suggestion| std::cmp::Reverse(suggestion.count));
        Ok(suggestions)
    }

    fn title_suggestions(
        &self,
        searcher: &Searcher,
        complete: &[String],
        partial: Option<&str>,
        request: &Request,
    ) -> Result<Vec<Suggestion>> {
        let title = self.fields.title;
        let mut required: Vec<Box<dyn Query>> = complete
            .iter()
            .map(|word| {
                boxed(TermQuery::new(
                    Term::from_field_text(title, word),
                    IndexRecordOption::WithFreqs,
                ))
            })
            .collect();
        let mut candidates = BTreeSet::new();
        if let Some(partial) = partial {
            candidates = self.terms_starting(searcher, title, partial)?;
            if candidates.is_empty() {
                return Ok(Vec::new());
            }
            required.push(any_term(
                candidates
                    .iter()
                    .map(|term| Term::from_field_text(title, term))
                    .collect(),
            ));
        }
        let Some(query) = all_of(required) else {
            return Ok(Vec::new());
        };
        // A constant score: titles are not ranked by statistics that count what the caller
        // may not see.
        let query = boxed(ConstScoreQuery::new(query, 1.0));
        let top = searcher.search(
            &self.narrowed(query, request),
            &TopDocs::with_limit(CANDIDATE_TITLES).order_by_score(),
        )?;
        let mut suggestions: Vec<Suggestion> = Vec::new();
        for (_, address) in top {
            let document: TantivyDocument = searcher.doc(address)?;
            let id = document
                .get_first(self.fields.id)
                .and_then(|value| value.as_str())
                .map(str::to_owned);
            // The language version of the title that holds what was typed.
            let Some(text) = document
                .get_all(title)
                .filter_map(|value| value.as_str())
                .find(|text| {
                    let tokens = analysis::tokens(text);
                    complete.iter().all(|word| tokens.contains(word))
                        && (candidates.is_empty()
                            || tokens.iter().any(|token| candidates.contains(token)))
                })
            else {
                continue;
            };
            if suggestions.iter().all(|seen| seen.text != text) {
                suggestions.push(Suggestion {
                    kind: SuggestionKind::Title,
                    text: text.to_owned(),
                    code: id,
                    language: None,
                    count: 1,
                });
            }
        }
        Ok(suggestions)
    }

    /// For a query with no hits: the query with each word nothing visible contains replaced
    /// by the closest word the caller's items do contain (or left out), when that finds
    /// something. `None` when nothing better is found.
    pub(crate) fn did_you_mean(&self, request: &Request) -> Result<Option<String>> {
        let (plain, phrases, excluded) = parse(&request.text);
        let searcher = self.reader.searcher();
        let mut corrected = Vec::new();
        let mut changed = 0;
        for word in plain.split_whitespace() {
            let tokens = analysis::tokens(word);
            let mut known = true;
            for token in &tokens {
                if self.visible_documents_with(&searcher, token, request)? == 0 {
                    known = false;
                }
            }
            if known || changed >= MAX_CORRECTIONS {
                corrected.push(word.to_owned());
                continue;
            }
            changed += 1;
            if let [token] = tokens.as_slice()
                && is_latin_word(token)
                && let Some(closest) = self.closest_word(&searcher, token, request)?
            {
                corrected.push(closest);
            }
        }
        if changed == 0 || corrected.is_empty() {
            return Ok(None);
        }
        let mut text = corrected.join(" ");
        for phrase in phrases {
            text.push_str(&format!(" \"{phrase}\""));
        }
        for word in excluded {
            text.push_str(&format!(" -{word}"));
        }
        let probe = Request {
            text: text.clone(),
            first: 0,
            after: None,
            ..request.clone()
        };
        let found = self.search_without_correction(&probe)?.total;
        Ok((found > 0).then_some(text))
    }

    /// How many items the caller may see hold `token` in their text.
    pub(crate) fn visible_documents_with(
        &self,
        searcher: &Searcher,
        token: &str,
        request: &Request,
    ) -> Result<u64> {
        let anywhere = self
            .text_fields()
            .into_iter()
            .map(|(field, _)| Term::from_field_text(field, token))
            .collect::<Vec<_>>();
        self.visible_count(searcher, any_term(anywhere), request)
    }

    /// The word of the caller's items closest to `token` (within two edits, one for short
    /// words), sharing its first letter; the most frequent of equally close ones.
    fn closest_word(
        &self,
        searcher: &Searcher,
        token: &str,
        request: &Request,
    ) -> Result<Option<String>> {
        let Some(first) = token.chars().next() else {
            return Ok(None);
        };
        let limit = if token.chars().count() >= 5 { 2 } else { 1 };
        let mut near: Vec<(usize, String)> = Vec::new();
        for (field, _) in self.text_fields() {
            for segment in searcher.segment_readers() {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted
                    .terms()
                    .range()
                    .ge(first.to_string().as_bytes())
                    .into_stream()
                    .map_err(|error| Error::Directory(error.to_string()))?;
                while stream.advance() {
                    let Ok(term) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    if !term.starts_with(first) {
                        break;
                    }
                    let length = term.chars().count();
                    if length.abs_diff(token.chars().count()) > limit || term == token {
                        continue;
                    }
                    let edits = distance(term, token);
                    if edits <= limit && near.iter().all(|(_, seen)| seen != term) {
                        near.push((edits, term.to_owned()));
                    }
                }
            }
        }
        near.sort();
        near.truncate(CANDIDATE_CORRECTIONS);
        let mut best: Option<(usize, u64, String)> = None;
        for (edits, term) in near {
            let count = self.visible_documents_with(searcher, &term, request)?;
            let better = match &best {
                None => true,
                Some((best_edits, best_count, _)) => {
                    edits < *best_edits || (edits == *best_edits && count > *best_count)
                }
            };
            if count > 0 && better {
                best = Some((edits, count, term));
            }
        }
        Ok(best.map(|(_, _, term)| term))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_starts_a_word() {
        assert!(starts_a_word("smart logistics", "log"));
        assert!(!starts_a_word("technology", "log"));
        assert!(starts_a_word("智慧物流", "物流"));
    }
}
