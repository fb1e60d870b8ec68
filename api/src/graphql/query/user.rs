//! The signed-in user.

use async_graphql::{Context, Object};

use crate::graphql::context::{caller, state};
use crate::graphql::types::user::User;
use crate::service::users;

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The caller; null when anonymous.
    async fn me(&self, context: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = caller(context)?.user_id() else {
            return Ok(None);
        };
        Ok(users::find(state(context)?.db.connection(), user_id)
            .await?
            .map(User))
    }
}
