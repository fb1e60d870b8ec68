//! The membership lifecycle (application, preliminary review, council decision, tier,
//! withdrawal, expulsion) on organisations, and the audit log of security-relevant actions.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_pk_auto, string, string_null, text_null, timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Organisations {
    Table,
    Description,
    BusinessLicenceNumber,
    // The applicant's report on its digital-economy work (charter article 17).
    Report,
    LiaisonUserId,
    CertificateNumber,
    // The latest decision's reason (a decline, a withdrawal, an expulsion).
    StatusReason,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    ActorId,
    Action,
    SubjectType,
    SubjectId,
    // Free text for people: what changed, and why.
    Detail,
    ClientAddress,
    CreatedAt,
}

const NEW_ORGANISATION_COLUMNS: [Organisations; 6] = [
    Organisations::Description,
    Organisations::BusinessLicenceNumber,
    Organisations::Report,
    Organisations::LiaisonUserId,
    Organisations::CertificateNumber,
    Organisations::StatusReason,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in NEW_ORGANISATION_COLUMNS {
            let definition = if matches!(
                column,
                Organisations::Description | Organisations::Report | Organisations::StatusReason
            ) {
                text_null(column)
            } else {
                string_null(column)
            };
            manager
                .alter_table(
                    Table::alter()
                        .table(Organisations::Table)
                        .add_column(definition)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(string_null(AuditLog::ActorId))
                    .col(string(AuditLog::Action))
                    .col(string_null(AuditLog::SubjectType))
                    .col(string_null(AuditLog::SubjectId))
                    .col(text_null(AuditLog::Detail))
                    .col(string_null(AuditLog::ClientAddress))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_action")
                    .table(AuditLog::Table)
                    .col(AuditLog::Action)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await?;
        for column in NEW_ORGANISATION_COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organisations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
