//! Users as the schema shows them: `User` with its private side, for the user themself and
//! the secretariat, and `Person`, the public face everyone else sees of an author or an actor.

use async_graphql::{Context, ID, Object};
use entities::users;

use crate::auth::Role as DomainRole;
use crate::error::Error;
use crate::graphql::context::{caller, loaders};
use crate::graphql::ids::{NodeType, encode};
use crate::graphql::loaders::{OrganisationById, UserById};
use crate::service::access;

#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "Role")]
pub enum Role {
    Secretariat,
    Correspondent,
    Member,
    Investor,
    User,
}

impl From<DomainRole> for Role {
    fn from(role: DomainRole) -> Self {
        match role {
            DomainRole::Secretariat => Role::Secretariat,
            DomainRole::Correspondent => Role::Correspondent,
            DomainRole::Member => Role::Member,
            DomainRole::Investor => Role::Investor,
            DomainRole::User => Role::User,
        }
    }
}

fn role_of(user: &users::Model) -> Role {
    DomainRole::parse(&user.role)
        .map(Role::from)
        .unwrap_or(Role::User)
}

/// A user with their private side. Only built where `access::sees_private_user` admits the
/// caller: `me`, `node` and the secretariat's user management.
pub struct User(pub users::Model);

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        encode(NodeType::User, &self.0.id)
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    async fn role(&self) -> Role {
        role_of(&self.0)
    }

    /// A correspondent may publish without review.
    async fn trusted(&self) -> bool {
        self.0.trusted
    }

    /// What the user looks for as an investor; only for the user and the secretariat.
    async fn investor_profile(
        &self,
        context: &Context<'_>,
    ) -> async_graphql::Result<Option<super::matching::InvestorProfile>> {
        if !access::sees_investor_profile(&caller(context)?.audience, &self.0.id) {
            return Ok(None);
        }
        let state = crate::graphql::context::state(context)?;
        Ok(
            crate::service::matching::profile::of_user(state.db.connection(), &self.0.id)
                .await?
                .map(super::matching::InvestorProfile),
        )
    }

    /// The user's organisation, shown to the user and the secretariat.
    async fn organisation(
        &self,
        context: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<super::organisation::Organisation>> {
        let caller = caller(context)?;
        let Some(organisation_id) = &self.0.organisation_id else {
            return Ok(None);
        };
        if !access::sees_private_user(&caller.audience, &self.0.id) {
            return Ok(None);
        }
        let state = crate::graphql::context::state(context)?;
        Ok(
            crate::service::membership::get(state, caller, organisation_id)
                .await?
                .map(super::organisation::Organisation),
        )
    }
}

/// Another person as the caller may see them: a public face (name, role, organisation name)
/// for everyone, and the email only for that person and the secretariat.
pub struct Person(users::Model);

impl Person {
    pub async fn load(
        context: &Context<'_>,
        user_id: &str,
    ) -> async_graphql::Result<Option<Person>> {
        Ok(loaders(context)?
            .load_one(UserById(user_id.to_owned()))
            .await
            .map_err(Error::from)?
            .map(Person))
    }
}

#[Object]
impl Person {
    /// The user's id; `node` answers it only for the user themself and the secretariat.
    async fn id(&self) -> ID {
        encode(NodeType::User, &self.0.id)
    }

    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    async fn role(&self) -> Role {
        role_of(&self.0)
    }

    /// Only for the person themself and the secretariat; null for everyone else.
    async fn email(&self, context: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        let audience = &caller(context)?.audience;
        Ok(access::sees_private_user(audience, &self.0.id).then_some(self.0.email.as_str()))
    }

    /// The name of the organisation the person belongs to.
    async fn organisation_name(
        &self,
        context: &Context<'_>,
    ) -> async_graphql::Result<Option<String>> {
        let Some(organisation_id) = &self.0.organisation_id else {
            return Ok(None);
        };
        Ok(loaders(context)?
            .load_one(OrganisationById(organisation_id.clone()))
            .await
            .map_err(Error::from)?
            .map(|organisation| organisation.name))
    }
}
