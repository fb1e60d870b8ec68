//! Search results as the schema shows them.

use async_graphql::{Enum, SimpleObject};

use super::connection::PageInfo;
use super::content::Content;
use crate::service::search::{SearchPage, SuggestionRecord};

#[derive(SimpleObject)]
pub struct FacetCount {
    pub value: String,
    pub count: i64,
}

#[derive(SimpleObject)]
pub struct SearchFacets {
    pub kinds: Vec<FacetCount>,
    pub countries: Vec<FacetCount>,
    pub sectors: Vec<FacetCount>,
}

/// A snippet of a matching field: matches marked with `<mark>…</mark>`, all else HTML-escaped.
#[derive(SimpleObject)]
pub struct Highlight {
    pub field: String,
    pub snippet: String,
}

#[derive(SimpleObject)]
pub struct SearchEdge {
    pub cursor: String,
    /// Relevance (0 when sorted otherwise).
    pub score: f64,
    pub node: Content,
    pub highlights: Vec<Highlight>,
}

#[derive(SimpleObject)]
pub struct SearchResults {
    /// Counts only what the caller may see.
    pub total_count: i64,
    /// Likewise.
    pub facets: SearchFacets,
    pub edges: Vec<SearchEdge>,
    pub page_info: PageInfo,
    /// When nothing matched: the query with the words no item the caller may see contains
    /// replaced by the closest ones that some do (or left out), when that finds something.
    pub did_you_mean: Option<String>,
}

fn facet_counts(counts: Vec<(String, u64)>) -> Vec<FacetCount> {
    counts
        .into_iter()
        .map(|(value, count)| FacetCount {
            value,
            count: count as i64,
        })
        .collect()
}

impl From<SearchPage> for SearchResults {
    fn from(page: SearchPage) -> Self {
        let edges: Vec<SearchEdge> = page
            .hits
            .into_iter()
            .map(|(record, hit)| SearchEdge {
                cursor: hit.cursor,
                score: f64::from(hit.score),
                node: Content::from_record(record),
                highlights: hit
                    .highlights
                    .into_iter()
                    .map(|highlight| Highlight {
                        field: highlight.field.to_owned(),
                        snippet: highlight.snippet,
                    })
                    .collect(),
            })
            .collect();
        let page_info = PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: edges.first().map(|edge| edge.cursor.clone()),
            end_cursor: edges.last().map(|edge| edge.cursor.clone()),
        };
        SearchResults {
            total_count: page.total as i64,
            facets: SearchFacets {
                kinds: facet_counts(page.facets.kinds),
                countries: facet_counts(page.facets.countries),
                sectors: facet_counts(page.facets.sectors),
            },
            edges,
            page_info,
            did_you_mean: page.did_you_mean,
        }
    }
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionKind {
    /// A country with items the caller may see; `code` is its filter value.
    Country,
    /// A sector (category or sub-category) with items the caller may see; `code` is its
    /// filter value.
    Sector,
    /// A tag of items the caller may see.
    Tag,
    /// An item's title; `node` is the item.
    Title,
}

/// Something to complete a search box with.
#[derive(SimpleObject)]
pub struct Suggestion {
    pub kind: SuggestionKind,
    /// What to show and to search for: for a country or sector, its name in the language
    /// the typed text matched.
    pub text: String,
    /// The country or sector code (a `SearchFilter` value); null for tags and titles.
    pub code: Option<String>,
    /// The language of `text` for countries and sectors.
    pub language: Option<String>,
    /// Items the caller may see that it leads to (1 for a title).
    pub count: i64,
    /// The item a title suggestion names.
    pub node: Option<Content>,
}

impl From<SuggestionRecord> for Suggestion {
    fn from(record: SuggestionRecord) -> Self {
        let suggestion = record.suggestion;
        let kind = match suggestion.kind {
            search::SuggestionKind::Country => SuggestionKind::Country,
            search::SuggestionKind::Sector => SuggestionKind::Sector,
            search::SuggestionKind::Tag => SuggestionKind::Tag,
            search::SuggestionKind::Title => SuggestionKind::Title,
        };
        Suggestion {
            kind,
            text: suggestion.text,
            code: (kind != SuggestionKind::Title)
                .then_some(suggestion.code)
                .flatten(),
            language: suggestion.language,
            count: suggestion.count as i64,
            node: record.item.map(Content::from_record),
        }
    }
}
