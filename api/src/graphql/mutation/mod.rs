//! The root mutation, merged from one part per domain.

mod alerts;
mod auth;
mod content;
mod events;
mod matching;
mod membership;

#[derive(async_graphql::MergedObject, Default)]
pub struct Mutation(
    alerts::AlertsMutation,
    auth::AuthMutation,
    content::ContentMutation,
    events::EventsMutation,
    matching::MatchingMutation,
    membership::MembershipMutation,
);
