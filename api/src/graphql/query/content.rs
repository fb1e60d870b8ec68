//! Reading content: by global id and as one Relay connection per kind.

use async_graphql::{Context, ID, Object};

use crate::graphql::context::{caller, state};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::inputs::ContentFilter;
use crate::graphql::types::connection::{
    EventConnection, OpportunityConnection, PolicyConnection, ResearchResultConnection,
};
use crate::graphql::types::content::{Content, Node};
use crate::graphql::types::user::User;
use crate::service::content::{self as service, Kind, Order, Page, PageRequest};
use crate::service::{access, users};

#[derive(Default)]
pub struct ContentQuery;

async fn list(
    context: &Context<'_>,
    kind: Kind,
    filter: Option<ContentFilter>,
    order: Option<Order>,
    page: PageRequest,
) -> async_graphql::Result<Page> {
    let state = state(context)?;
    let filter = filter.unwrap_or_default().validate(&state.reference)?;
    Ok(service::list(
        state.db.connection(),
        caller(context)?,
        &state.reference,
        kind,
        &filter,
        order.unwrap_or_default(),
        &page,
    )
    .await?)
}

#[Object]
impl ContentQuery {
    /// Anything by its global id; null when it does not exist or the caller may not see it.
    async fn node(&self, context: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let state = state(context)?;
        let caller = caller(context)?;
        match ids::decode("id", &id)? {
            (NodeType::Content(kind), key) => {
                let record = service::get(state.db.connection(), caller, &key).await?;
                Ok(record
                    .filter(|record| record.kind() == kind)
                    .map(|record| Node::from_content(Content::from_record(record))))
            }
            (NodeType::Organisation, key) => {
                Ok(crate::service::membership::get(state, caller, &key)
                    .await?
                    .map(|organisation| {
                        Node::Organisation(crate::graphql::types::organisation::Organisation(
                            organisation,
                        ))
                    }))
            }
            (NodeType::User, key) => {
                if !access::sees_private_user(&caller.audience, &key) {
                    return Ok(None);
                }
                Ok(users::find(state.db.connection(), &key)
                    .await?
                    .map(|user| Node::User(User(user))))
            }
        }
    }

    /// Opportunities, newest first unless `orderBy` says otherwise; expired ones only with
    /// `filter.includeExpired`. At most 100 per page.
    #[graphql(complexity = "crate::graphql::page_cost(first, last) * child_complexity")]
    async fn opportunities(
        &self,
        context: &Context<'_>,
        filter: Option<ContentFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<Order>,
    ) -> async_graphql::Result<OpportunityConnection> {
        Ok(list(
            context,
            Kind::Opportunity,
            filter,
            order_by,
            PageRequest {
                first,
                after,
                last,
                before,
            },
        )
        .await?
        .into())
    }

    /// Policies, newest first unless `orderBy` says otherwise. At most 100 per page.
    #[graphql(complexity = "crate::graphql::page_cost(first, last) * child_complexity")]
    async fn policies(
        &self,
        context: &Context<'_>,
        filter: Option<ContentFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<Order>,
    ) -> async_graphql::Result<PolicyConnection> {
        Ok(list(
            context,
            Kind::Policy,
            filter,
            order_by,
            PageRequest {
                first,
                after,
                last,
                before,
            },
        )
        .await?
        .into())
    }

    /// Research results, newest first unless `orderBy` says otherwise. At most 100 per page.
    #[graphql(complexity = "crate::graphql::page_cost(first, last) * child_complexity")]
    async fn research_results(
        &self,
        context: &Context<'_>,
        filter: Option<ContentFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<Order>,
    ) -> async_graphql::Result<ResearchResultConnection> {
        Ok(list(
            context,
            Kind::Research,
            filter,
            order_by,
            PageRequest {
                first,
                after,
                last,
                before,
            },
        )
        .await?
        .into())
    }

    /// Events, newest first unless `orderBy` says otherwise (STARTS_SOONEST for a calendar).
    /// At most 100 per page.
    #[graphql(complexity = "crate::graphql::page_cost(first, last) * child_complexity")]
    async fn events(
        &self,
        context: &Context<'_>,
        filter: Option<ContentFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<Order>,
    ) -> async_graphql::Result<EventConnection> {
        Ok(list(
            context,
            Kind::Event,
            filter,
            order_by,
            PageRequest {
                first,
                after,
                last,
                before,
            },
        )
        .await?
        .into())
    }
}
