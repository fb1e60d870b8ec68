//! Content: one core table for the four kinds, a details table per kind, the many-valued
//! parts (countries, sectors, tags, translations), the workflow history, and the change log
//! that the search index and other API nodes follow.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_pk_auto, boolean, date_null, integer_null, string, string_null, text, text_null,
    timestamp_with_time_zone, timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Content {
    Table,
    Id,
    Kind,
    Title,
    Summary,
    Body,
    Language,
    Visibility,
    Status,
    AuthorId,
    OrganisationId,
    SourceUrl,
    // Set by `seed --demo` so that seeding again finds the item instead of duplicating it.
    SeedKey,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
    // The time lists sort by: published_at once published, created_at before. Kept as its own
    // non-null column so keyset pagination compares one column instead of a COALESCE.
    ListedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ContentCountries {
    Table,
    ContentId,
    CountryCode,
}

#[derive(DeriveIden, Clone, Copy)]
enum ContentSectors {
    Table,
    ContentId,
    SectorCode,
}

#[derive(DeriveIden, Clone, Copy)]
enum ContentTags {
    Table,
    ContentId,
    Tag,
}

#[derive(DeriveIden, Clone, Copy)]
enum ContentTranslations {
    Table,
    ContentId,
    Language,
    Title,
    Summary,
    Body,
}

#[derive(DeriveIden, Clone, Copy)]
enum OpportunityDetails {
    Table,
    ContentId,
    OpportunityType,
    // Decimal strings, never floats: money must round-trip exactly.
    AmountMin,
    AmountMax,
    Currency,
    Stage,
    Deadline,
    Contact,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyDetails {
    Table,
    ContentId,
    IssuingAuthority,
    JurisdictionCode,
    PolicyType,
    DocumentNumber,
    EffectiveDate,
}

#[derive(DeriveIden, Clone, Copy)]
enum ResearchDetails {
    Table,
    ContentId,
    // JSON arrays of strings: always read and written whole with their item.
    Institutions,
    Authors,
    ReadinessLevel,
    IpStatus,
    OpenToCommercialisation,
}

#[derive(DeriveIden, Clone, Copy)]
enum EventDetails {
    Table,
    ContentId,
    EventType,
    StartsAt,
    EndsAt,
    TimeZone,
    City,
    CountryCode,
    Online,
    Venue,
    RegistrationDeadline,
    Capacity,
}

#[derive(DeriveIden, Clone, Copy)]
enum ContentStatusHistory {
    Table,
    Id,
    ContentId,
    ActorId,
    FromStatus,
    ToStatus,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ChangeLog {
    Table,
    // Monotonic: written in the same transaction as the change it records, so a follower
    // that has applied everything up to N has missed nothing below N once N is visible.
    Seq,
    ContentId,
    Operation,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Countries {
    Table,
    Code,
}

#[derive(DeriveIden)]
enum Sectors {
    Table,
    Code,
}

fn belongs_to_content(
    table: impl IntoIden + Copy + 'static,
    column: impl IntoIden + Copy + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Content::Table, Content::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden + 'static, columns: &[Content]) -> IndexCreateStatement {
    let mut statement = Index::create().name(name).table(table).to_owned();
    for column in columns {
        statement.col(*column);
    }
    statement
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Content::Table)
                    .col(string(Content::Id).primary_key())
                    .col(string(Content::Kind))
                    .col(text(Content::Title))
                    .col(text(Content::Summary))
                    .col(text(Content::Body))
                    .col(string(Content::Language))
                    .col(string(Content::Visibility))
                    .col(string(Content::Status))
                    .col(string(Content::AuthorId))
                    .col(string_null(Content::OrganisationId))
                    .col(text_null(Content::SourceUrl))
                    .col(string_null(Content::SeedKey).unique_key())
                    .col(timestamp_with_time_zone(Content::CreatedAt))
                    .col(timestamp_with_time_zone(Content::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Content::PublishedAt))
                    .col(timestamp_with_time_zone(Content::ListedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Content::Table, Content::AuthorId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Content::Table, Content::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Lists are always one kind, usually one status, newest first.
        manager
            .create_index(index(
                "idx_content_listing",
                Content::Table,
                &[
                    Content::Kind,
                    Content::Status,
                    Content::ListedAt,
                    Content::Id,
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_content_author",
                Content::Table,
                &[Content::AuthorId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContentCountries::Table)
                    .col(string(ContentCountries::ContentId))
                    .col(string(ContentCountries::CountryCode))
                    .primary_key(
                        Index::create()
                            .col(ContentCountries::ContentId)
                            .col(ContentCountries::CountryCode),
                    )
                    .foreign_key(&mut belongs_to_content(
                        ContentCountries::Table,
                        ContentCountries::ContentId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ContentCountries::Table, ContentCountries::CountryCode)
                            .to(Countries::Table, Countries::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_content_countries_country")
                    .table(ContentCountries::Table)
                    .col(ContentCountries::CountryCode)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContentSectors::Table)
                    .col(string(ContentSectors::ContentId))
                    .col(string(ContentSectors::SectorCode))
                    .primary_key(
                        Index::create()
                            .col(ContentSectors::ContentId)
                            .col(ContentSectors::SectorCode),
                    )
                    .foreign_key(&mut belongs_to_content(
                        ContentSectors::Table,
                        ContentSectors::ContentId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ContentSectors::Table, ContentSectors::SectorCode)
                            .to(Sectors::Table, Sectors::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_content_sectors_sector")
                    .table(ContentSectors::Table)
                    .col(ContentSectors::SectorCode)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContentTags::Table)
                    .col(string(ContentTags::ContentId))
                    .col(string(ContentTags::Tag))
                    .primary_key(
                        Index::create()
                            .col(ContentTags::ContentId)
                            .col(ContentTags::Tag),
                    )
                    .foreign_key(&mut belongs_to_content(
                        ContentTags::Table,
                        ContentTags::ContentId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContentTranslations::Table)
                    .col(string(ContentTranslations::ContentId))
                    .col(string(ContentTranslations::Language))
                    .col(text(ContentTranslations::Title))
                    .col(text(ContentTranslations::Summary))
                    .col(text(ContentTranslations::Body))
                    .primary_key(
                        Index::create()
                            .col(ContentTranslations::ContentId)
                            .col(ContentTranslations::Language),
                    )
                    .foreign_key(&mut belongs_to_content(
                        ContentTranslations::Table,
                        ContentTranslations::ContentId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OpportunityDetails::Table)
                    .col(string(OpportunityDetails::ContentId).primary_key())
                    .col(string(OpportunityDetails::OpportunityType))
                    .col(string_null(OpportunityDetails::AmountMin))
                    .col(string_null(OpportunityDetails::AmountMax))
                    .col(string_null(OpportunityDetails::Currency))
                    .col(string_null(OpportunityDetails::Stage))
                    .col(date_null(OpportunityDetails::Deadline))
                    .col(text_null(OpportunityDetails::Contact))
                    .foreign_key(&mut belongs_to_content(
                        OpportunityDetails::Table,
                        OpportunityDetails::ContentId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PolicyDetails::Table)
                    .col(string(PolicyDetails::ContentId).primary_key())
                    .col(text(PolicyDetails::IssuingAuthority))
                    .col(string_null(PolicyDetails::JurisdictionCode))
                    .col(string(PolicyDetails::PolicyType))
                    .col(string_null(PolicyDetails::DocumentNumber))
                    .col(date_null(PolicyDetails::EffectiveDate))
                    .foreign_key(&mut belongs_to_content(
                        PolicyDetails::Table,
                        PolicyDetails::ContentId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ResearchDetails::Table)
                    .col(string(ResearchDetails::ContentId).primary_key())
                    .col(text(ResearchDetails::Institutions))
                    .col(text(ResearchDetails::Authors))
                    .col(integer_null(ResearchDetails::ReadinessLevel))
                    .col(string_null(ResearchDetails::IpStatus))
                    .col(boolean(ResearchDetails::OpenToCommercialisation).default(false))
                    .foreign_key(&mut belongs_to_content(
                        ResearchDetails::Table,
                        ResearchDetails::ContentId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventDetails::Table)
                    .col(string(EventDetails::ContentId).primary_key())
                    .col(string(EventDetails::EventType))
                    .col(timestamp_with_time_zone(EventDetails::StartsAt))
                    .col(timestamp_with_time_zone(EventDetails::EndsAt))
                    .col(string(EventDetails::TimeZone))
                    .col(string_null(EventDetails::City))
                    .col(string_null(EventDetails::CountryCode))
                    .col(boolean(EventDetails::Online).default(false))
                    .col(text_null(EventDetails::Venue))
                    .col(timestamp_with_time_zone_null(
                        EventDetails::RegistrationDeadline,
                    ))
                    .col(integer_null(EventDetails::Capacity))
                    .foreign_key(&mut belongs_to_content(
                        EventDetails::Table,
                        EventDetails::ContentId,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContentStatusHistory::Table)
                    .col(big_pk_auto(ContentStatusHistory::Id))
                    .col(string(ContentStatusHistory::ContentId))
                    .col(string_null(ContentStatusHistory::ActorId))
                    .col(string_null(ContentStatusHistory::FromStatus))
                    .col(string(ContentStatusHistory::ToStatus))
                    .col(text_null(ContentStatusHistory::Reason))
                    .col(timestamp_with_time_zone(ContentStatusHistory::CreatedAt))
                    .foreign_key(&mut belongs_to_content(
                        ContentStatusHistory::Table,
                        ContentStatusHistory::ContentId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ContentStatusHistory::Table, ContentStatusHistory::ActorId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_content_status_history_content")
                    .table(ContentStatusHistory::Table)
                    .col(ContentStatusHistory::ContentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChangeLog::Table)
                    .col(big_pk_auto(ChangeLog::Seq))
                    // No foreign key: the log outlives what it describes (a deletion is a change too).
                    .col(string(ChangeLog::ContentId))
                    .col(string(ChangeLog::Operation))
                    .col(timestamp_with_time_zone(ChangeLog::CreatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ChangeLog::Table.into_iden(),
            ContentStatusHistory::Table.into_iden(),
            EventDetails::Table.into_iden(),
            ResearchDetails::Table.into_iden(),
            PolicyDetails::Table.into_iden(),
            OpportunityDetails::Table.into_iden(),
            ContentTranslations::Table.into_iden(),
            ContentTags::Table.into_iden(),
            ContentSectors::Table.into_iden(),
            ContentCountries::Table.into_iden(),
            Content::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
