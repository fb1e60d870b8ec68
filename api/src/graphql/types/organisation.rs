//! Organisations and the audit log as the schema shows them.

use async_graphql::{Context, ID, Object};
use entities::{audit_log, organisations};

use super::reference::Country;
use super::user::Person;
use crate::graphql::context::state;
use crate::graphql::ids::{NodeType, encode};
use crate::graphql::scalars::DateTime;
use crate::service::membership::{MembershipStatus, MembershipTier};

/// An organisation of the alliance: an applicant, a member, or a former member. Visible to
/// its own users and the secretariat.
pub struct Organisation(pub organisations::Model);

#[Object]
impl Organisation {
    pub async fn id(&self) -> ID {
        encode(NodeType::Organisation, &self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn country(&self, context: &Context<'_>) -> async_graphql::Result<Option<Country>> {
        let reference = &state(context)?.reference;
        Ok(self
            .0
            .country_code
            .as_deref()
            .and_then(|code| reference.country(code))
            .cloned()
            .map(Country))
    }
    /// ENTERPRISE, ASSOCIATION, INVESTOR_OR_FINANCIAL_INSTITUTION, UNIVERSITY or RESEARCH_INSTITUTE.
    async fn organisation_type(&self) -> &str {
        &self.0.org_type
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn business_licence_number(&self) -> Option<&str> {
        self.0.business_licence_number.as_deref()
    }
    /// The applicant's report on its digital-economy work.
    async fn report(&self) -> Option<&str> {
        self.0.report.as_deref()
    }
    /// APPLIED, UNDER_COUNCIL_REVIEW, MEMBER (in good standing), DECLINED, WITHDRAWN or EXPELLED.
    async fn membership_status(&self) -> async_graphql::Result<MembershipStatus> {
        Ok(
            MembershipStatus::parse(&self.0.membership_status).ok_or_else(|| {
                crate::error::Error::Internal(anyhow::anyhow!(
                    "organisation {} has unknown status {}",
                    self.0.id,
                    self.0.membership_status
                ))
            })?,
        )
    }
    /// COUNCIL_MEMBER, VICE_CHAIR or CHAIR, for members.
    async fn tier(&self) -> Option<MembershipTier> {
        self.0.tier.as_deref().and_then(MembershipTier::parse)
    }
    async fn certificate_number(&self) -> Option<&str> {
        self.0.certificate_number.as_deref()
    }
    /// Why it was declined, withdrew or was expelled.
    async fn status_reason(&self) -> Option<&str> {
        self.0.status_reason.as_deref()
    }
    /// The user who speaks for the organisation.
    async fn liaison(&self, context: &Context<'_>) -> async_graphql::Result<Option<Person>> {
        match &self.0.liaison_user_id {
            Some(id) => Person::load(context, id).await,
            None => Ok(None),
        }
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}

/// One security-relevant action.
pub struct AuditEntry(pub audit_log::Model);

#[Object]
impl AuditEntry {
    /// Entries are numbered in the order they were written.
    async fn number(&self) -> i64 {
        self.0.id
    }
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn actor(&self, context: &Context<'_>) -> async_graphql::Result<Option<Person>> {
        match &self.0.actor_id {
            Some(id) => Person::load(context, id).await,
            None => Ok(None),
        }
    }
    async fn subject_type(&self) -> Option<&str> {
        self.0.subject_type.as_deref()
    }
    async fn subject_id(&self) -> Option<&str> {
        self.0.subject_id.as_deref()
    }
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
    async fn client_address(&self) -> Option<&str> {
        self.0.client_address.as_deref()
    }
    async fn at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
}
