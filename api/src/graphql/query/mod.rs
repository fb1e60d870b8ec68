//! The root query, merged from one part per domain.

mod admin;
mod content;
pub mod matching;
mod reference;
mod search;
mod user;

#[derive(async_graphql::MergedObject, Default)]
pub struct Query(
    admin::AdminQuery,
    reference::ReferenceQuery,
    content::ContentQuery,
    matching::MatchingQuery,
    search::SearchQuery,
    user::UserQuery,
);
