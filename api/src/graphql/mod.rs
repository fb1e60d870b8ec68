//! The GraphQL schema: its types, its roots, and the limits of `crate::limits` applied.

pub mod context;
pub mod guard;
pub mod ids;
pub mod inputs;
pub mod loaders;
pub mod mutation;
pub mod panic;
pub mod persisted;
pub mod query;
pub mod scalars;
pub mod subscription;
pub mod types;

use async_graphql::{SDLExportOptions, Schema, ServerError};

use crate::error::Code;
use crate::state::AppState;

pub type AppSchema = Schema<query::Query, mutation::Mutation, subscription::Subscription>;

pub use crate::limits::{
    MAX_BATCH_OPERATIONS, MAX_COMPLEXITY, MAX_DEPTH, MAX_DIRECTIVES_PER_FIELD, MAX_RECURSIVE_DEPTH,
};

/// What a page of a list costs in complexity: each item's fields count once per item, up
/// to the largest page (a larger `first` is refused by the resolver itself, by name).
pub fn page_cost(first: Option<i32>, last: Option<i32>) -> usize {
    let requested = last.or(first).unwrap_or(crate::limits::DEFAULT_PAGE_SIZE);
    requested.clamp(1, crate::limits::MAX_PAGE_SIZE) as usize
}

fn builder()
-> async_graphql::SchemaBuilder<query::Query, mutation::Mutation, subscription::Subscription> {
    Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        subscription::Subscription,
    )
    .limit_complexity(MAX_COMPLEXITY)
    // Depth and recursion are measured by the guard, which lets introspection's `ofType` chain
    // through (see `guard`); the library's own recursion check only keeps its passes safe.
    .limit_recursive_depth(crate::limits::LIBRARY_RECURSION_BACKSTOP)
    .extension(guard::RequestGuard)
    // "Did you mean …" would map the schema for anyone who cannot see it otherwise.
    .disable_suggestions()
}

/// The schema the server runs. Its [`persisted::PersistedQueryStore`] is also schema data, so
/// the GET handler can resolve a hash before it checks that the document is no mutation.
pub fn build(state: AppState) -> AppSchema {
    let persisted_queries = persisted::PersistedQueryStore::default();
    builder()
        .extension(persisted::PersistedQueries(persisted_queries.clone()))
        .data(persisted_queries)
        .data(state)
        .finish()
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
/// limits) are classified here. An internal error shows nothing but the request id, which
/// finds its cause in the log.
pub fn classify(error: &mut ServerError, request_id: &str) -> Code {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if let Some(async_graphql::Value::String(code)) = extensions.get("code")
        && let Some(known) = Code::ALL.into_iter().find(|known| known.as_str() == code)
    {
        if known == Code::Internal {
            extensions.set("requestId", request_id);
            error.message = format!("internal error (request {request_id})");
        }
        return known;
    }
    let message = error.message.to_ascii_lowercase();
    let limit = if message.contains("too complex") {
        Some(format!(
            "the query is too complex: at most {MAX_COMPLEXITY}, where every field counts once and a list's fields once per item of its page"
        ))
    } else if message.contains("recursion") {
        // The library's backstop, far above the guard's limit, which a document past it exceeds
        // too.
        Some(format!(
            "the query recurses too deeply: at most {MAX_RECURSIVE_DEPTH} levels"
        ))
    } else if message.contains("directives") {
        Some(format!(
            "too many directives on one field: at most {MAX_DIRECTIVES_PER_FIELD}"
        ))
    } else {
        None
    };
    let code = match limit {
        Some(explained) => {
            error.message = explained;
            Code::QueryTooComplex
        }
        None => Code::BadUserInput,
    };
    extensions.set("code", code.as_str());
    code
}
