//! What the secretariat reads: organisations and the audit log, as Relay connections.

use async_graphql::{Context, Object};

use crate::error::Error;
use crate::graphql::context::{caller, state};
use crate::graphql::types::connection::{AuditEntryConnection, OrganisationConnection};
use crate::service::membership::{MembershipStatus, OrganisationPageRequest};
use crate::service::{audit, membership};

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Secretariat: organisations in the given membership statuses (all when none), oldest
    /// application first; `[APPLIED]` is the review queue. At most 100 per page.
    #[graphql(complexity = "crate::graphql::page_cost(first, last) * child_complexity")]
    async fn organisations(
        &self,
        context: &Context<'_>,
        statuses: Option<Vec<MembershipStatus>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<OrganisationConnection> {
        crate::domain::optional_list_len("statuses", &statuses)?;
        let (size, backwards) = crate::service::page_window(first, last)?;
        let page = OrganisationPageRequest {
            size: size as u64,
            backwards,
            after,
            before,
        };
        let organisations = membership::list(
            state(context)?,
            caller(context)?,
            statuses.unwrap_or_default(),
            &page,
        )
        .await?;
        Ok(organisations.into())
    }

    /// Secretariat: security-relevant actions, newest first. At most 100 per page.
    #[graphql(complexity = "crate::graphql::page_cost(first, None) * child_complexity")]
    async fn audit_log(
        &self,
        context: &Context<'_>,
        #[graphql(validator(max_length = 64))] action: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(deprecation = "page with `after` and an edge's cursor")] before: Option<i32>,
    ) -> async_graphql::Result<AuditEntryConnection> {
        let (size, _) = crate::service::page_window(first, None)?;
        // `before` is the entry number the old list paged back from: the same place as the
        // cursor of that entry.
        let older_than = match (after, before) {
            (Some(_), Some(_)) => {
                return Err(Error::bad_input("before", "give after or before, not both").into());
            }
            (Some(cursor), None) => Some(audit::decode_cursor("after", &cursor)?),
            (None, before) => before.map(i64::from),
        };
        let entries = audit::list(
            state(context)?.db.connection(),
            caller(context)?,
            action,
            size as u64,
            older_than,
        )
        .await?;
        Ok(entries.into())
    }
}
