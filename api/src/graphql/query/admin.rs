//! What the secretariat reads: organisations and the audit log.

use async_graphql::{Context, Object};

use crate::error::Error;
use crate::graphql::context::{caller, state};
use crate::graphql::types::organisation::{AuditEntry, Organisation};
use crate::service::membership::MembershipStatus;
use crate::service::{audit, membership};

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Secretariat: organisations in the given membership statuses (all when none), oldest
    /// first; `[APPLIED]` is the review queue.
    async fn organisations(
        &self,
        context: &Context<'_>,
        statuses: Option<Vec<MembershipStatus>>,
    ) -> async_graphql::Result<Vec<Organisation>> {
        crate::domain::optional_list_len("statuses", &statuses)?;
        let organisations = membership::list(
            state(context)?,
            caller(context)?,
            statuses.unwrap_or_default(),
        )
        .await?;
        Ok(organisations.into_iter().map(Organisation).collect())
    }

    /// Secretariat: security-relevant actions, newest first. `before` is an entry's number.
    async fn audit_log(
        &self,
        context: &Context<'_>,
        #[graphql(validator(max_length = 64))] action: Option<String>,
        first: Option<i32>,
        before: Option<i32>,
    ) -> async_graphql::Result<Vec<AuditEntry>> {
        let first = first.unwrap_or(50);
        if !(1..=100).contains(&first) {
            return Err(Error::bad_input("first", "must be between 1 and 100").into());
        }
        let entries = audit::list(
            state(context)?.db.connection(),
            caller(context)?,
            action,
            first as u64,
            before.map(i64::from),
        )
        .await?;
        Ok(entries.into_iter().map(AuditEntry).collect())
    }
}
