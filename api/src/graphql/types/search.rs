//! Search results as the schema shows them.

use async_graphql::{Enum, InputObject, SimpleObject};

use super::connection::PageInfo;
use super::content::Content;
use crate::domain::{self, Amount};
use crate::error::{Error, Result};
use crate::graphql::scalars::{Date, DateTime};
use crate::reference::Reference;
use crate::service::content::{Kind, OpportunityType};
use crate::service::search::SearchPage;

#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchSort {
    /// Best match first (newest first when there is no query text).
    #[default]
    Relevance,
    Newest,
    /// Nearest deadline first; items without one last.
    Deadline,
}

/// Narrows a search. Everything is optional.
#[derive(InputObject, Default)]
pub struct SearchFilter {
    pub kinds: Option<Vec<Kind>>,
    pub countries: Option<Vec<String>>,
    /// A category code also matches its sub-categories.
    pub sectors: Option<Vec<String>>,
    /// Include opportunities past their deadline (default false).
    pub include_expired: Option<bool>,
    pub opportunity_types: Option<Vec<OpportunityType>>,
    pub published_from: Option<DateTime>,
    pub published_to: Option<DateTime>,
    pub deadline_from: Option<Date>,
    pub deadline_to: Option<Date>,
    /// Opportunities whose amount range overlaps [amountMin, amountMax], in `currency`.
    pub amount_min: Option<String>,
    pub amount_max: Option<String>,
    /// ISO 4217; required with an amount.
    pub currency: Option<String>,
}

fn days(date: Date) -> i64 {
    date.0
        .signed_duration_since(chrono::NaiveDate::default())
        .num_days()
}

impl SearchFilter {
    /// The engine's request for this filter (visibility is added by the service).
    pub fn into_request(self, reference: &Reference) -> Result<search::Request> {
        let amount_min = self
            .amount_min
            .as_deref()
            .map(|amount| Amount::parse("filter.amountMin", amount))
            .transpose()?;
        let amount_max = self
            .amount_max
            .as_deref()
            .map(|amount| Amount::parse("filter.amountMax", amount))
            .transpose()?;
        let currency = self
            .currency
            .as_deref()
            .map(|code| domain::currency("filter.currency", code))
            .transpose()?;
        if (amount_min.is_some() || amount_max.is_some()) && currency.is_none() {
            return Err(Error::bad_input(
                "filter.currency",
                "is required with an amount",
            ));
        }
        let (countries, sectors) = domain::filter_codes(self.countries, self.sectors, reference)?;
        Ok(search::Request {
            kinds: self
                .kinds
                .unwrap_or_default()
                .iter()
                .map(|kind| kind.as_str().to_owned())
                .collect(),
            countries,
            sectors,
            opportunity_types: self
                .opportunity_types
                .unwrap_or_default()
                .iter()
                .map(|kind| kind.as_str().to_owned())
                .collect(),
            published_from_micros: self
                .published_from
                .map(|instant| instant.0.timestamp_micros()),
            published_to_micros: self
                .published_to
                .map(|instant| instant.0.timestamp_micros()),
            deadline_from_days: self.deadline_from.map(days),
            deadline_to_days: self.deadline_to.map(days),
            amount_from: amount_min.map(|amount| amount.ten_thousandths()),
            amount_to: amount_max.map(|amount| amount.ten_thousandths()),
            currency,
            include_expired: self.include_expired.unwrap_or(false),
            ..search::Request::default()
        })
    }
}

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
