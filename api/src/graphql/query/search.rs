//! One search over all kinds.

use async_graphql::{Context, Object};

use crate::graphql::context::{caller, state};
use crate::graphql::types::search::{SearchResults, Suggestion};
use crate::service::search::{self, SearchFilter, SearchSort};

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
        let asked = search::SearchRequest {
            text: query,
            filter,
            sort,
            first,
            after,
        };
        Ok(search::search(state(context)?, caller(context)?, asked)
            .await?
            .into())
    }

    /// Suggestions while a person types in a search box: countries and sectors (by their
    /// names in any of the exchange's languages), tags and titles, a few of each kind in
    /// turn, only from what the caller may see and `filter` admits. The last word of
    /// `prefix` is taken as the start of a word unless a space follows it. At most 20.
    #[graphql(
        complexity = "first.unwrap_or(crate::limits::DEFAULT_SUGGESTIONS).clamp(1, crate::limits::MAX_SUGGESTIONS) as usize * child_complexity"
    )]
    async fn suggest(
        &self,
        context: &Context<'_>,
        prefix: String,
        first: Option<i32>,
        filter: Option<SearchFilter>,
    ) -> async_graphql::Result<Vec<Suggestion>> {
        Ok(
            search::suggest(state(context)?, caller(context)?, prefix, first, filter)
                .await?
                .into_iter()
                .map(Suggestion::from)
                .collect(),
        )
    }
}
