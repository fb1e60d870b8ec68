//! Typed access to what a resolver needs from the request: the shared state, the caller and
//! the request's DataLoaders.

use async_graphql::Context;

use super::loaders::Loaders;
use crate::auth::Caller;
use crate::state::AppState;

pub fn state<'a>(context: &Context<'a>) -> async_graphql::Result<&'a AppState> {
    context.data::<AppState>()
}

pub fn caller<'a>(context: &Context<'a>) -> async_graphql::Result<&'a Caller> {
    context.data::<Caller>()
}

pub fn loaders<'a>(context: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    context.data::<Loaders>()
}
