//! The GraphQL schema: its types, its roots, and its limits, all set here in one place.

pub mod context;
pub mod ids;
pub mod inputs;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod scalars;
pub mod types;

use async_graphql::{EmptySubscription, SDLExportOptions, Schema, ServerError};

use crate::error::Code;
use crate::state::AppState;

pub type AppSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Deepest nesting a query may have; the deepest useful query (a connection's node's
/// sectors' children's parent) is well under it.
pub const MAX_DEPTH: usize = 12;
/// Largest complexity: every field counts one, so this admits a full page of 100 items
/// with a dozen fields each, and refuses alias floods.
pub const MAX_COMPLEXITY: usize = 2_500;
pub const MAX_RECURSIVE_DEPTH: usize = 16;
/// Batched requests are capped; beyond this the whole batch is refused.
pub const MAX_BATCH_OPERATIONS: usize = 10;

fn builder() -> async_graphql::SchemaBuilder<query::Query, mutation::Mutation, EmptySubscription> {
    Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        EmptySubscription,
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(MAX_RECURSIVE_DEPTH)
    // "Did you mean …" would map the schema for anyone who cannot see it otherwise.
    .disable_suggestions()
}

pub fn build(state: AppState) -> AppSchema {
    builder().data(state).finish()
}

/// The schema as SDL, in a stable order: what `schema.graphql` holds.
pub fn sdl() -> String {
    builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}

/// Gives every error a public code: ours carry one; async-graphql's own (parse, validation,
/// limits) are classified here.
pub fn classify(error: &mut ServerError) -> Code {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if let Some(async_graphql::Value::String(code)) = extensions.get("code")
        && let Some(known) = Code::ALL.into_iter().find(|known| known.as_str() == code)
    {
        return known;
    }
    let message = error.message.to_ascii_lowercase();
    let code = if message.contains("too complex")
        || message.contains("nested too deep")
        || message.contains("too deep")
        || message.contains("recursion")
    {
        Code::QueryTooComplex
    } else {
        Code::BadUserInput
    };
    extensions.set("code", code.as_str());
    code
}
