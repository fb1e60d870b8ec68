//! Search results as the schema shows them.

use async_graphql::SimpleObject;

use super::connection::PageInfo;
use super::content::Content;
use crate::service::search::SearchPage;

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
        }
    }
}
