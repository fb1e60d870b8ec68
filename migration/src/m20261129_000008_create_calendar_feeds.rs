//! Private calendar feeds: a secret URL per user that calendar apps poll for the events they
//! registered for. Only a SHA-256 of the secret is kept, as for refresh tokens.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string, string_uniq, timestamp_with_time_zone};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CalendarFeeds {
    Table,
    // One feed per user; a new one replaces (and so revokes) the old.
    UserId,
    TokenHash,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CalendarFeeds::Table)
                    .col(string(CalendarFeeds::UserId).primary_key())
                    .col(string_uniq(CalendarFeeds::TokenHash))
                    .col(timestamp_with_time_zone(CalendarFeeds::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CalendarFeeds::Table).to_owned())
            .await
    }
}
