//! Users as the schema shows them.

use async_graphql::{ID, Object};
use entities::users;

use crate::auth::Role as DomainRole;
use crate::graphql::ids::{NodeType, encode};

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
        DomainRole::parse(&self.0.role)
            .map(Role::from)
            .unwrap_or(Role::User)
    }

    /// A correspondent may publish without review.
    async fn trusted(&self) -> bool {
        self.0.trusted
    }

    /// The user's organisation, shown to the user and the secretariat.
    async fn organisation(
        &self,
        context: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<super::organisation::Organisation>> {
        let caller = crate::graphql::context::caller(context)?;
        let Some(organisation_id) = &self.0.organisation_id else {
            return Ok(None);
        };
        if !(caller.is(&self.0.id) || caller.is_secretariat()) {
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
