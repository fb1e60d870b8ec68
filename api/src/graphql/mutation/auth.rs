//! Signing in and refreshing tokens.

use async_graphql::{Context, Object, SimpleObject};

use crate::graphql::context::{caller, state};
use crate::service::users;

#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer …`; valid for 15 minutes.
    pub access_token: String,
    /// Trade for a new pair with `refresh`; works once, valid for 30 days.
    pub refresh_token: String,
}

impl From<users::Tokens> for AuthPayload {
    fn from(tokens: users::Tokens) -> Self {
        AuthPayload {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
        }
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Signs in; a wrong email and a wrong password answer alike (UNAUTHENTICATED).
    async fn login(
        &self,
        context: &Context<'_>,
        email: String,
        password: String,
    ) -> async_graphql::Result<AuthPayload> {
        Ok(
            users::login(state(context)?, caller(context)?, &email, &password)
                .await?
                .into(),
        )
    }

    /// Creates a plain user account (role USER) and signs it in. CONFLICT when the email is taken.
    async fn register(
        &self,
        context: &Context<'_>,
        email: String,
        password: String,
        name: Option<String>,
    ) -> async_graphql::Result<AuthPayload> {
        Ok(
            users::register(state(context)?, caller(context)?, &email, &password, name)
                .await?
                .into(),
        )
    }

    /// Signs out: revokes the refresh token and every token rotated from the same sign-in.
    /// Always true, so the answer reveals nothing about the token.
    async fn logout(
        &self,
        context: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<bool> {
        users::logout(state(context)?, caller(context)?, &refresh_token).await?;
        Ok(true)
    }

    /// A new token pair for a refresh token, which is spent by it. Presenting a spent refresh
    /// token again revokes every token of its sign-in.
    async fn refresh(
        &self,
        context: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        Ok(
            users::refresh(state(context)?, caller(context)?, &refresh_token)
                .await?
                .into(),
        )
    }
}
