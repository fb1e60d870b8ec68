//! Saved searches: save, rename, delete.

use async_graphql::{Context, ID, Object};

use crate::graphql::context::{caller, state};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::types::alerts::SavedSearch;
use crate::service::alerts;
use crate::service::search::SearchFilter;

#[derive(Default)]
pub struct AlertsMutation;

#[Object]
impl AlertsMutation {
    /// Keeps a search under a name: each item published from now on that it finds (and the
    /// caller may see) is announced in the caller's inbox and on `savedSearchMatches`.
    async fn save_search(
        &self,
        context: &Context<'_>,
        name: String,
        query: Option<String>,
        filter: Option<SearchFilter>,
    ) -> async_graphql::Result<SavedSearch> {
        let saved = alerts::save(state(context)?, caller(context)?, &name, query, filter).await?;
        Ok(SavedSearch(saved))
    }

    async fn rename_saved_search(
        &self,
        context: &Context<'_>,
        id: ID,
        name: String,
    ) -> async_graphql::Result<SavedSearch> {
        let key = ids::decode_as("id", &id, NodeType::SavedSearch)?;
        let renamed = alerts::rename(state(context)?, caller(context)?, &key, &name).await?;
        Ok(SavedSearch(renamed))
    }

    /// Deletes one of the caller's saved searches; answers its id.
    async fn delete_saved_search(
        &self,
        context: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ID> {
        let key = ids::decode_as("id", &id, NodeType::SavedSearch)?;
        alerts::delete(state(context)?, caller(context)?, &key).await?;
        Ok(id)
    }
}
