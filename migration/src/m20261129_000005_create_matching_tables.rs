//! Connecting capital with projects (charter art. 5 and 6): investor profiles, expressions of
//! interest in opportunities, the exchange rates that let a ticket in one currency meet an
//! amount in another, and each user's inbox of notifications.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    string, string_null, text, text_null, timestamp_with_time_zone, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InvestorProfiles {
    Table,
    // One profile per user; it is replaced as a whole.
    UserId,
    // Codes separated by commas: reference codes never hold one, and a profile is always
    // read whole, never queried by its parts.
    Countries,
    Sectors,
    Stages,
    OpportunityTypes,
    // Decimal strings in `currency`, like opportunities' amounts.
    TicketMin,
    TicketMax,
    Currency,
    Thesis,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ExchangeRates {
    Table,
    // ISO 4217. USD is 1 by definition and never stored.
    Currency,
    // How many US dollars one unit buys, as a decimal string (exact, like amounts).
    UsdPerUnit,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Interests {
    Table,
    Id,
    OpportunityId,
    RequesterId,
    Message,
    // PENDING, ACCEPTED, DECLINED or WITHDRAWN.
    Status,
    ResponseNote,
    RespondedBy,
    CreatedAt,
    RespondedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    // A time-ordered UUID: the inbox pages by it, newest first.
    Id,
    UserId,
    Kind,
    Message,
    // What the notification is about (an interest, a content item, an organisation).
    SubjectType,
    SubjectId,
    CreatedAt,
    ReadAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InvestorProfiles::Table)
                    .col(string(InvestorProfiles::UserId).primary_key())
                    .col(text(InvestorProfiles::Countries))
                    .col(text(InvestorProfiles::Sectors))
                    .col(text(InvestorProfiles::Stages))
                    .col(text(InvestorProfiles::OpportunityTypes))
                    .col(string_null(InvestorProfiles::TicketMin))
                    .col(string_null(InvestorProfiles::TicketMax))
                    .col(string_null(InvestorProfiles::Currency))
                    .col(text_null(InvestorProfiles::Thesis))
                    .col(timestamp_with_time_zone(InvestorProfiles::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExchangeRates::Table)
                    .col(string(ExchangeRates::Currency).primary_key())
                    .col(string(ExchangeRates::UsdPerUnit))
                    .col(string_null(ExchangeRates::UpdatedBy))
                    .col(timestamp_with_time_zone(ExchangeRates::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Interests::Table)
                    .col(string(Interests::Id).primary_key())
                    .col(string(Interests::OpportunityId))
                    .col(string(Interests::RequesterId))
                    .col(text(Interests::Message))
                    .col(string(Interests::Status))
                    .col(text_null(Interests::ResponseNote))
                    .col(string_null(Interests::RespondedBy))
                    .col(timestamp_with_time_zone(Interests::CreatedAt))
                    .col(timestamp_with_time_zone_null(Interests::RespondedAt))
                    .col(timestamp_with_time_zone(Interests::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_interests_opportunity", Interests::OpportunityId),
            ("idx_interests_requester", Interests::RequesterId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Interests::Table)
                        .col(column)
                        .col(Interests::Id)
                        .to_owned(),
                )
                .await?;
        }
        // One open interest per requester and opportunity, held by the database itself so
        // that two racing requests cannot both insert one. A partial index: both SQLite and
        // PostgreSQL write it the same way.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_interests_one_open ON interests (opportunity_id, requester_id) \
                 WHERE status IN ('PENDING', 'ACCEPTED')",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(string(Notifications::Id).primary_key())
                    .col(string(Notifications::UserId))
                    .col(string(Notifications::Kind))
                    .col(text(Notifications::Message))
                    .col(string_null(Notifications::SubjectType))
                    .col(string_null(Notifications::SubjectId))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_inbox")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Notifications::Table.into_iden(),
            Interests::Table.into_iden(),
            ExchangeRates::Table.into_iden(),
            InvestorProfiles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
