//! A caller's search: its input validated into the engine's request, narrowed to what the
//! caller may see (the access module decides), and its hits read back from the database.

use async_graphql::{Enum, InputObject};
use chrono::Utc;

use crate::auth::Caller;
use crate::domain::{self, Amount};
use crate::error::{Error, Result};
use crate::graphql::scalars::{Date, DateTime};
use crate::reference::Reference;
use crate::service::access;
use crate::service::content::{ContentRecord, Kind, OpportunityType, readable};
use crate::state::AppState;

/// What a caller asks of `search`, as given.
#[derive(Debug, Default)]
pub struct SearchRequest {
    pub text: Option<String>,
    pub filter: Option<SearchFilter>,
    pub sort: Option<SearchSort>,
    pub first: Option<i32>,
    pub after: Option<String>,
}

impl SearchRequest {
    /// The engine's request, validated; visibility is added by `search`.
    fn into_engine_request(self, reference: &Reference) -> Result<search::Request> {
        let (first, _) = crate::service::page_window(self.first, None)?;
        let mut request = self.filter.unwrap_or_default().into_request(reference)?;
        request.text = self.text.unwrap_or_default();
        request.sort = match self.sort.unwrap_or_default() {
            SearchSort::Relevance => search::Sort::Relevance,
            SearchSort::Newest => search::Sort::Newest,
            SearchSort::Deadline => search::Sort::Deadline,
        };
        request.first = first;
        request.after = self.after;
        Ok(request)
    }
}

pub fn today_days() -> i64 {
    crate::kinds::days_since_epoch(Utc::now().date_naive())
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchSort {
    /// Best match first (newest first when there is no query text).
    #[default]
    Relevance,
    Newest,
    /// Nearest deadline first; items without one last.
    Deadline,
}

/// Narrows a search. Everything is optional.
#[derive(InputObject, Debug, Default)]
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
    crate::kinds::days_since_epoch(date.0)
}

impl SearchFilter {
    /// The engine's request for this filter (visibility is added by the service).
    pub(crate) fn into_request(self, reference: &Reference) -> Result<search::Request> {
        domain::optional_list_len("filter.kinds", &self.kinds)?;
        domain::optional_list_len("filter.opportunityTypes", &self.opportunity_types)?;
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

/// A page of search results as the caller may see them.
pub struct SearchPage {
    pub total: usize,
    pub facets: search::Facets,
    pub hits: Vec<(ContentRecord, search::Hit)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    /// For a query with no hits, a corrected query that finds something.
    pub did_you_mean: Option<String>,
}

/// Runs `asked` for `caller`. Visibility is part of the query the index runs (the access
/// module's `search_scope`), so hits, totals, facets, highlights and scores are all computed
/// over what the caller may see.
pub async fn search(state: &AppState, caller: &Caller, asked: SearchRequest) -> Result<SearchPage> {
    let mut request = asked.into_engine_request(&state.reference)?;
    access::search_scope(&caller.audience, &mut request);
    request.today_days = today_days();
    let has_previous_page = request.after.is_some();
    let service = state.search.clone();
    let results = tokio::task::spawn_blocking(move || service.index.search(&request))
        .await
        .map_err(|error| Error::Internal(error.into()))?
        .map_err(|error| engine_error(error, "query"))?;
    let ids: Vec<String> = results.hits.iter().map(|hit| hit.id.clone()).collect();
    let mut records = readable(state.db.connection(), caller, ids).await?;
    let hits = results
        .hits
        .into_iter()
        .filter_map(|hit| match records.remove(&hit.id) {
            Some(record) => Some((record, hit)),
            None => {
                tracing::warn!(id = %hit.id, "a search hit is not readable in the database; the index will catch up");
                None
            }
        })
        .collect();
    Ok(SearchPage {
        total: results.total,
        facets: results.facets,
        hits,
        has_next_page: results.has_next_page,
        has_previous_page,
        did_you_mean: results.did_you_mean,
    })
}

/// The engine's refusals as the caller's errors; `text_field` names the argument that holds
/// the text.
pub(crate) fn engine_error(error: search::Error, text_field: &str) -> Error {
    match error {
        search::Error::InvalidCursor => Error::bad_input("after", "not a cursor of this search"),
        search::Error::OverBudget(over) => Error::bad_input(
            text_field,
            format!("too many {}: at most {}", over.what, over.max),
        ),
        other => Error::Internal(other.into()),
    }
}

/// One suggestion, with the item a title suggestion names.
pub struct SuggestionRecord {
    pub suggestion: search::Suggestion,
    pub item: Option<ContentRecord>,
}

/// Suggestions for what the caller has typed so far (`prefix`), from what they may see and
/// what `filter` admits.
pub async fn suggest(
    state: &AppState,
    caller: &Caller,
    prefix: String,
    first: Option<i32>,
    filter: Option<SearchFilter>,
) -> Result<Vec<SuggestionRecord>> {
    use crate::limits::{DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS};
    let first = first.unwrap_or(DEFAULT_SUGGESTIONS);
    if !(0..=MAX_SUGGESTIONS).contains(&first) {
        return Err(Error::bad_input(
            "first",
            format!("must be between 0 and {MAX_SUGGESTIONS}, got {first}"),
        ));
    }
    let mut request = filter.unwrap_or_default().into_request(&state.reference)?;
    access::search_scope(&caller.audience, &mut request);
    request.today_days = today_days();
    let service = state.search.clone();
    let suggestions = tokio::task::spawn_blocking(move || {
        service.index.suggest(&prefix, first as usize, &request)
    })
    .await
    .map_err(|error| Error::Internal(error.into()))?
    .map_err(|error| engine_error(error, "prefix"))?;
    let ids = suggestions
        .iter()
        .filter(|suggestion| suggestion.kind == search::SuggestionKind::Title)
        .filter_map(|suggestion| suggestion.code.clone())
        .collect();
    let mut records = readable(state.db.connection(), caller, ids).await?;
    Ok(suggestions
        .into_iter()
        .filter_map(|suggestion| {
            if suggestion.kind != search::SuggestionKind::Title {
                return Some(SuggestionRecord {
                    suggestion,
                    item: None,
                });
            }
            // A title the database does not let the caller read is not suggested.
            let item = records.remove(suggestion.code.as_deref()?)?;
            Some(SuggestionRecord {
                suggestion,
                item: Some(item),
            })
        })
        .collect())
}
