//! People and organisations: member organisations, users with their role, a correspondent's
//! scope (countries, regions, sectors), and refresh tokens.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, string, string_null, string_uniq, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
    Name,
    CountryCode,
    OrgType,
    // APPLICANT, MEMBER, WITHDRAWN, EXPELLED: only MEMBER is "in good standing".
    MembershipStatus,
    Tier,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    Role,
    OrganisationId,
    // A trusted correspondent may publish without review.
    Trusted,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CorrespondentCountries {
    Table,
    UserId,
    CountryCode,
}

#[derive(DeriveIden, Clone, Copy)]
enum CorrespondentRegions {
    Table,
    UserId,
    RegionCode,
}

#[derive(DeriveIden, Clone, Copy)]
enum CorrespondentSectors {
    Table,
    UserId,
    SectorCode,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    UserId,
    // Tokens issued by rotation from one login share a family; reuse of a spent token
    // revokes the whole family, which is how a stolen token is detected.
    FamilyId,
    // Only a SHA-256 of the token is kept: a database leak must not hand out sessions.
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Countries {
    Table,
    Code,
}

#[derive(DeriveIden)]
enum Regions {
    Table,
    Code,
}

#[derive(DeriveIden)]
enum Sectors {
    Table,
    Code,
}

/// A (user, code) scope table with both columns as the key.
fn scope_table(
    table: impl IntoIden + Copy + 'static,
    user_column: impl IntoIden + Copy + 'static,
    code_column: impl IntoIden + Copy + 'static,
    target: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(string(user_column))
        .col(string(code_column))
        .primary_key(Index::create().col(user_column).col(code_column))
        .foreign_key(
            ForeignKey::create()
                .from(table, user_column)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(table, code_column)
                .to(target.0, target.1)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisations::Table)
                    .col(string(Organisations::Id).primary_key())
                    .col(string_uniq(Organisations::Name))
                    .col(string_null(Organisations::CountryCode))
                    .col(string(Organisations::OrgType))
                    .col(string(Organisations::MembershipStatus))
                    .col(string_null(Organisations::Tier))
                    .col(timestamp_with_time_zone(Organisations::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Organisations::Table, Organisations::CountryCode)
                            .to(Countries::Table, Countries::Code),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(string(Users::Id).primary_key())
                    // Stored lower-cased by the service, so a plain unique index is enough.
                    .col(string_uniq(Users::Email))
                    .col(string_null(Users::Name))
                    .col(string(Users::PasswordHash))
                    .col(string(Users::Role))
                    .col(string_null(Users::OrganisationId))
                    .col(boolean(Users::Trusted).default(false))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Users::Table, Users::OrganisationId)
                            .to(Organisations::Table, Organisations::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(scope_table(
                CorrespondentCountries::Table,
                CorrespondentCountries::UserId,
                CorrespondentCountries::CountryCode,
                (Countries::Table, Countries::Code),
            ))
            .await?;
        manager
            .create_table(scope_table(
                CorrespondentRegions::Table,
                CorrespondentRegions::UserId,
                CorrespondentRegions::RegionCode,
                (Regions::Table, Regions::Code),
            ))
            .await?;
        manager
            .create_table(scope_table(
                CorrespondentSectors::Table,
                CorrespondentSectors::UserId,
                CorrespondentSectors::SectorCode,
                (Sectors::Table, Sectors::Code),
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(string(RefreshTokens::Id).primary_key())
                    .col(string(RefreshTokens::UserId))
                    .col(string(RefreshTokens::FamilyId))
                    .col(string_uniq(RefreshTokens::TokenHash))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshTokens::Table, RefreshTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_refresh_tokens_family")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::FamilyId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RefreshTokens::Table.into_iden(),
            CorrespondentSectors::Table.into_iden(),
            CorrespondentRegions::Table.into_iden(),
            CorrespondentCountries::Table.into_iden(),
            Users::Table.into_iden(),
            Organisations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
