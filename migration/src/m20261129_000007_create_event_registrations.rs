//! Registrations for events: a seat, or a place on the wait-list once the capacity is
//! reached; cancelled registrations are kept, so the attendee list has its history.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string, timestamp_with_time_zone};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EventRegistrations {
    Table,
    // A time-ordered UUID: the wait-list's order.
    Id,
    EventId,
    UserId,
    // REGISTERED, WAITLISTED or CANCELLED.
    Status,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventRegistrations::Table)
                    .col(string(EventRegistrations::Id).primary_key())
                    .col(string(EventRegistrations::EventId))
                    .col(string(EventRegistrations::UserId))
                    .col(string(EventRegistrations::Status))
                    .col(timestamp_with_time_zone(EventRegistrations::CreatedAt))
                    .col(timestamp_with_time_zone(EventRegistrations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_event_registrations_event")
                    .table(EventRegistrations::Table)
                    .col(EventRegistrations::EventId)
                    .col(EventRegistrations::Status)
                    .col(EventRegistrations::Id)
                    .to_owned(),
            )
            .await?;
        // No double registration: one live (REGISTERED or WAITLISTED) row per user and event,
        // held by the database against racing requests. Written alike for SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_event_registrations_one_live ON event_registrations (event_id, user_id) \
                 WHERE status IN ('REGISTERED', 'WAITLISTED')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventRegistrations::Table).to_owned())
            .await
    }
}
