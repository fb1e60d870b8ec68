//! The root query, merged from one part per domain.

mod content;
mod reference;
mod search;
mod user;

#[derive(async_graphql::MergedObject, Default)]
pub struct Query(
    reference::ReferenceQuery,
    content::ContentQuery,
    search::SearchQuery,
    user::UserQuery,
);
