//! Saved searches: a user's query and filter, kept under a name, matched against every new
//! publication to alert its owner.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string, text, text_null, timestamp_with_time_zone};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SavedSearches {
    Table,
    // A time-ordered UUID.
    Id,
    UserId,
    Name,
    Query,
    // The search filter as JSON: read whole, never queried by its parts.
    Filter,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SavedSearches::Table)
                    .col(string(SavedSearches::Id).primary_key())
                    .col(string(SavedSearches::UserId))
                    .col(string(SavedSearches::Name))
                    .col(text_null(SavedSearches::Query))
                    .col(text(SavedSearches::Filter))
                    .col(timestamp_with_time_zone(SavedSearches::CreatedAt))
                    .col(timestamp_with_time_zone(SavedSearches::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_saved_searches_user")
                    .table(SavedSearches::Table)
                    .col(SavedSearches::UserId)
                    .col(SavedSearches::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SavedSearches::Table).to_owned())
            .await
    }
}
