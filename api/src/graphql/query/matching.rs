//! Matching: recommendations, related items, interests sent and received, the inbox and the
//! exchange rates.

use async_graphql::{Context, ID, Object};

use crate::graphql::context::{caller, state};
use crate::graphql::ids;
use crate::graphql::types::content::Content;
use crate::graphql::types::matching::{
    ExchangeRate, InterestConnection, NotificationConnection, Recommendation,
};
use crate::service::matching::interests::{self, Among, InterestStatus};
use crate::service::matching::{rates, recommend, related};
use crate::service::{inbox, page_window};

#[derive(Default)]
pub struct MatchingQuery;

#[Object]
impl MatchingQuery {
    /// Published, unexpired opportunities the caller may see, best fit with their investor
    /// profile first, each with its reasons. Empty without a profile. At most 50.
    #[graphql(complexity = "first.unwrap_or(10).clamp(0, 50) as usize * child_complexity")]
    async fn recommendations(
        &self,
        context: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<Recommendation>> {
        let found = recommend::recommend(state(context)?, caller(context)?, first).await?;
        Ok(found.into_iter().map(Recommendation::from).collect())
    }

    /// Items like this one (any kind): close in words, or sharing its countries and sectors;
    /// never itself, only what the caller may see. At most 50.
    #[graphql(complexity = "first.unwrap_or(5).clamp(0, 50) as usize * child_complexity")]
    async fn related(
        &self,
        context: &Context<'_>,
        id: ID,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<Content>> {
        let (_, key) = ids::decode_content("id", &id)?;
        let found = related::related(state(context)?, caller(context)?, &key, first).await?;
        Ok(found.into_iter().map(Content::from_record).collect())
    }

    /// The caller's inbox, newest first. At most 100 per page.
    #[graphql(complexity = "crate::graphql::page_cost(first, None) * child_complexity")]
    async fn notifications(
        &self,
        context: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        unread_only: Option<bool>,
    ) -> async_graphql::Result<NotificationConnection> {
        let (size, _) = page_window(first, None)?;
        let inbox = inbox::inbox(
            state(context)?,
            caller(context)?,
            size as u64,
            after,
            unread_only.unwrap_or(false),
        )
        .await?;
        Ok(inbox.into())
    }

    /// The interests the caller expressed, newest first. At most 100 per page.
    #[graphql(complexity = "crate::graphql::page_cost(first, None) * child_complexity")]
    async fn interests_sent(
        &self,
        context: &Context<'_>,
        statuses: Option<Vec<InterestStatus>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<InterestConnection> {
        interest_list(context, Among::Sent, statuses, first, after).await
    }

    /// The interests in the caller's opportunities (every interest, for the secretariat),
    /// newest first. At most 100 per page.
    #[graphql(complexity = "crate::graphql::page_cost(first, None) * child_complexity")]
    async fn interests_received(
        &self,
        context: &Context<'_>,
        statuses: Option<Vec<InterestStatus>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<InterestConnection> {
        interest_list(context, Among::Received, statuses, first, after).await
    }

    /// The caller's saved searches, oldest first.
    async fn saved_searches(
        &self,
        context: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::types::alerts::SavedSearch>> {
        let saved = crate::service::alerts::mine(state(context)?, caller(context)?).await?;
        Ok(saved
            .into_iter()
            .map(crate::graphql::types::alerts::SavedSearch)
            .collect())
    }

    /// The rates amounts are compared at: US dollars per unit of each currency.
    async fn exchange_rates(
        &self,
        context: &Context<'_>,
    ) -> async_graphql::Result<Vec<ExchangeRate>> {
        let rows = rates::all(state(context)?.db.connection()).await?;
        Ok(rows.into_iter().map(ExchangeRate::from).collect())
    }
}

/// One page of interests: the lists above and an opportunity's `interests`. `None` when the
/// caller may not see the list.
pub async fn interest_page(
    context: &Context<'_>,
    among: Among,
    statuses: Option<Vec<InterestStatus>>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<Option<InterestConnection>> {
    crate::domain::optional_list_len("statuses", &statuses)?;
    let (size, _) = page_window(first, None)?;
    let page = interests::list(
        state(context)?,
        caller(context)?,
        among,
        &statuses.unwrap_or_default(),
        size as u64,
        after,
    )
    .await?;
    Ok(page.map(InterestConnection::from))
}

async fn interest_list(
    context: &Context<'_>,
    among: Among,
    statuses: Option<Vec<InterestStatus>>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<InterestConnection> {
    Ok(interest_page(context, among, statuses, first, after)
        .await?
        .unwrap_or_else(|| {
            InterestConnection::from(crate::service::RowPage {
                rows: Vec::new(),
                cursors: Vec::new(),
                has_next_page: false,
                has_previous_page: false,
                total_count: 0,
            })
        }))
}
