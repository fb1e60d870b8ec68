//! The membership lifecycle and the secretariat's management of users.

use async_graphql::{Context, ID, InputObject, Object};

use crate::auth::Role as DomainRole;
use crate::error::Error;
use crate::graphql::context::{caller, state};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::types::organisation::Organisation;
use crate::graphql::types::user::{Role, User};
use crate::service::membership::{self, Application, MembershipTier};
use crate::service::users;

#[derive(InputObject)]
pub struct MembershipApplicationInput {
    pub name: String,
    /// Country code of the organisation's seat.
    pub country: String,
    /// ENTERPRISE, ASSOCIATION, INVESTOR_OR_FINANCIAL_INSTITUTION, UNIVERSITY or RESEARCH_INSTITUTE.
    pub organisation_type: String,
    pub description: String,
    pub business_licence_number: String,
    /// A report on the organisation's digital-economy work.
    pub report: String,
}

fn key(field: &str, id: &ID, expected: NodeType) -> Result<String, Error> {
    match ids::decode(field, id)? {
        (node_type, key) if node_type == expected => Ok(key),
        _ => Err(Error::bad_input(
            field,
            "not the id of the right kind of object",
        )),
    }
}

#[derive(Default)]
pub struct MembershipMutation;

#[Object]
impl MembershipMutation {
    /// The caller applies for membership on behalf of a new organisation and becomes its liaison.
    async fn apply_for_membership(
        &self,
        context: &Context<'_>,
        input: MembershipApplicationInput,
    ) -> async_graphql::Result<Organisation> {
        let state = state(context)?;
        let application = Application::validate(
            &input.name,
            &input.country,
            &input.organisation_type,
            &input.description,
            &input.business_licence_number,
            &input.report,
            &state.reference,
        )?;
        Ok(Organisation(
            membership::apply(state, caller(context)?, application).await?,
        ))
    }

    /// Secretariat: the preliminary review. `recommend` forwards the application to the
    /// council; otherwise it is declined with `note` as the reason.
    async fn review_membership(
        &self,
        context: &Context<'_>,
        organisation_id: ID,
        recommend: bool,
        note: Option<String>,
    ) -> async_graphql::Result<Organisation> {
        let id = key("organisationId", &organisation_id, NodeType::Organisation)?;
        Ok(Organisation(
            membership::review(state(context)?, caller(context)?, &id, recommend, note).await?,
        ))
    }

    /// Secretariat: records the council's decision. Approval needs the member certificate
    /// number (tier defaults to COUNCIL_MEMBER); a decline needs a reason.
    async fn decide_membership(
        &self,
        context: &Context<'_>,
        organisation_id: ID,
        approve: bool,
        certificate_number: Option<String>,
        tier: Option<MembershipTier>,
        reason: Option<String>,
    ) -> async_graphql::Result<Organisation> {
        let id = key("organisationId", &organisation_id, NodeType::Organisation)?;
        Ok(Organisation(
            membership::decide(
                state(context)?,
                caller(context)?,
                &id,
                approve,
                certificate_number,
                tier,
                reason,
            )
            .await?,
        ))
    }

    /// Secretariat: COUNCIL_MEMBER, VICE_CHAIR or CHAIR.
    async fn set_membership_tier(
        &self,
        context: &Context<'_>,
        organisation_id: ID,
        tier: MembershipTier,
    ) -> async_graphql::Result<Organisation> {
        let id = key("organisationId", &organisation_id, NodeType::Organisation)?;
        Ok(Organisation(
            membership::set_tier(state(context)?, caller(context)?, &id, tier).await?,
        ))
    }

    /// The organisation's liaison (or the secretariat) withdraws it.
    async fn withdraw_membership(
        &self,
        context: &Context<'_>,
        organisation_id: ID,
        reason: Option<String>,
    ) -> async_graphql::Result<Organisation> {
        let id = key("organisationId", &organisation_id, NodeType::Organisation)?;
        Ok(Organisation(
            membership::withdraw(state(context)?, caller(context)?, &id, reason).await?,
        ))
    }

    /// Secretariat: expels a member, with a reason; its users lose member access at once.
    async fn expel_member(
        &self,
        context: &Context<'_>,
        organisation_id: ID,
        reason: String,
    ) -> async_graphql::Result<Organisation> {
        let id = key("organisationId", &organisation_id, NodeType::Organisation)?;
        Ok(Organisation(
            membership::expel(state(context)?, caller(context)?, &id, &reason).await?,
        ))
    }

    /// Secretariat: changes a user's role.
    async fn set_user_role(
        &self,
        context: &Context<'_>,
        user_id: ID,
        role: Role,
    ) -> async_graphql::Result<User> {
        let id = key("userId", &user_id, NodeType::User)?;
        let role = match role {
            Role::Secretariat => DomainRole::Secretariat,
            Role::Correspondent => DomainRole::Correspondent,
            Role::Member => DomainRole::Member,
            Role::Investor => DomainRole::Investor,
            Role::User => DomainRole::User,
        };
        Ok(User(
            users::set_role(state(context)?, caller(context)?, &id, role).await?,
        ))
    }

    /// Secretariat: the countries, regions and sectors a correspondent writes about (a
    /// category covers its sub-categories), and whether they may publish without review.
    async fn set_correspondent_scope(
        &self,
        context: &Context<'_>,
        user_id: ID,
        countries: Vec<String>,
        #[graphql(default)] regions: Vec<String>,
        sectors: Vec<String>,
        #[graphql(default)] trusted: bool,
    ) -> async_graphql::Result<User> {
        let state = state(context)?;
        let id = key("userId", &user_id, NodeType::User)?;
        crate::domain::list_len("regions", regions.len())?;
        let scope = users::validate_scope(&countries, &regions, &sectors, &state.reference)?;
        Ok(User(
            users::set_scope(state, caller(context)?, &id, scope, trusted).await?,
        ))
    }
}
