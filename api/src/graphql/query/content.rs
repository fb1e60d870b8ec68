//! Reading content: by global id and as one Relay connection per kind.

use async_graphql::{Context, ID, Object};

use crate::error::Error;
use crate::graphql::context::{caller, state};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::inputs::ContentFilter;
use crate::graphql::types::connection::{
    EventConnection, OpportunityConnection, PolicyConnection, ResearchResultConnection,
};
use crate::graphql::types::content::{Content, Node};
use crate::graphql::types::matching::{Interest, Notification};
use crate::graphql::types::organisation::Organisation;
use crate::graphql::types::user::User;
use crate::limits::MAX_PAGE_SIZE;
use crate::service::content::{self as service, Counting, Kind, Order, Page, PageRequest};
use crate::service::inbox;
use crate::service::matching::interests;
use crate::service::{access, membership, users};

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
    // A total no one asked for is not counted.
    let counting = Counting {
        index: state.lists_from_index.then(|| state.search.clone()),
        total: context.look_ahead().field("totalCount").exists(),
    };
    let page = service::list(
        state.db.connection(),
        caller(context)?,
        &state.reference,
        kind,
        &filter,
        order.unwrap_or_default(),
        &page,
        counting,
    )
    .await?;
    state
        .metrics
        .record_list(page.page_from_index, page.total_from_index);
    Ok(page)
}

/// What `node` and `nodes` answer for each of `ids`, in order: the thing, or `None` where it
/// does not exist or the caller may not see it, without saying which. A malformed id is
/// `BAD_USER_INPUT` naming `field`. Content items are read with one query for all of them.
async fn resolve_nodes(
    context: &Context<'_>,
    field: &str,
    ids: &[ID],
) -> async_graphql::Result<Vec<Option<Node>>> {
    let state = state(context)?;
    let caller = caller(context)?;
    let decoded = ids
        .iter()
        .map(|id| ids::decode(field, id))
        .collect::<Result<Vec<_>, _>>()?;
    let content_keys = decoded
        .iter()
        .filter(|(node_type, _)| matches!(node_type, NodeType::Content(_)))
        .map(|(_, key)| key.clone())
        .collect();
    let readable = service::readable(state.db.connection(), caller, content_keys).await?;
    let mut nodes = Vec::with_capacity(decoded.len());
    for (node_type, key) in decoded {
        let node = match node_type {
            NodeType::Content(kind) => readable
                .get(&key)
                .filter(|record| record.kind() == kind)
                .cloned()
                .map(|record| Node::from_content(Content::from_record(record))),
            NodeType::Organisation => membership::get(state, caller, &key)
                .await?
                .map(|organisation| Node::Organisation(Organisation(organisation))),
            NodeType::User if access::sees_private_user(&caller.audience, &key) => {
                users::find(state.db.connection(), &key)
                    .await?
                    .map(|user| Node::User(User(user)))
            }
            NodeType::User => None,
            NodeType::Interest => interests::get(state, caller, &key)
                .await?
                .map(|record| Node::Interest(Interest(record))),
            NodeType::Notification => inbox::get(state, caller, &key)
                .await?
                .map(|row| Node::Notification(Notification(row))),
            NodeType::SavedSearch => crate::service::alerts::get(state, caller, &key)
                .await?
                .map(|row| Node::SavedSearch(crate::graphql::types::alerts::SavedSearch(row))),
        };
        nodes.push(node);
    }
    Ok(nodes)
}

#[Object]
impl ContentQuery {
    /// Anything by its global id; null when it does not exist or the caller may not see it.
    async fn node(&self, context: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let mut nodes = resolve_nodes(context, "id", std::slice::from_ref(&id)).await?;
        Ok(nodes.pop().flatten())
    }

    /// Several things by their global ids (at most 100): one entry per id, in order, each
    /// exactly what `node` answers for it, so null where it does not exist or the caller may
    /// not see it.
    #[graphql(
        complexity = "ids.len().min(crate::limits::MAX_PAGE_SIZE as usize) * child_complexity"
    )]
    async fn nodes(
        &self,
        context: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_PAGE_SIZE as usize {
            return Err(Error::bad_input(
                "ids",
                format!("at most {MAX_PAGE_SIZE} ids, got {}", ids.len()),
            )
            .into());
        }
        resolve_nodes(context, "ids", &ids).await
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
