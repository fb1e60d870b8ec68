//! One search over all kinds.

use async_graphql::{Context, Object};

use crate::error::Error;
use crate::graphql::context::{caller, state};
use crate::graphql::types::search::{SearchFilter, SearchResults, SearchSort};
use crate::service::content::list::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::service::search;

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Free text in any of the exchange's languages: words, "quoted phrases", -exclusions;
    /// small typos in Latin words are forgiven and the glossary finds equivalents in other
    /// languages. Null or blank: every item the filter admits, newest first unless `sort`
    /// says otherwise. At most 100 per page.
    #[graphql(complexity = "crate::graphql::page_cost(first, None) * child_complexity")]
    async fn search(
        &self,
        context: &Context<'_>,
        query: Option<String>,
        filter: Option<SearchFilter>,
        sort: Option<SearchSort>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<SearchResults> {
        let state = state(context)?;
        let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(0..=MAX_PAGE_SIZE).contains(&first) {
            return Err(Error::bad_input(
                "first",
                format!("must be between 0 and {MAX_PAGE_SIZE}, got {first}"),
            )
            .into());
        }
        let mut request = filter.unwrap_or_default().into_request(&state.reference)?;
        request.text = query.unwrap_or_default();
        request.sort = match sort.unwrap_or_default() {
            SearchSort::Relevance => ::search::Sort::Relevance,
            SearchSort::Newest => ::search::Sort::Newest,
            SearchSort::Deadline => ::search::Sort::Deadline,
        };
        request.first = first as usize;
        request.after = after;
        Ok(search::search(state, caller(context)?, request)
            .await?
            .into())
    }
}
