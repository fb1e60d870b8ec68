//! What several API nodes on one database share beyond the content: the nodes themselves (how
//! far each has applied the change log, when it was last heard of), settings every node must
//! agree on (the token-signing secret, how far the change log was trimmed), the login and
//! sign-up throttles' counts, and which change-log entries announce a publication.
//!
//! On PostgreSQL a statement that appends to the change log also notifies the channel
//! `infoharbor_changes` (delivered at commit), so the other nodes apply the change at once
//! instead of at their next poll.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, blob, boolean, integer, string, string_null, timestamp_with_time_zone,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChangeLog {
    Table,
    Published,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ClusterNodes {
    Table,
    NodeId,
    AppliedSeq,
    HeartbeatAt,
    StartedAt,
    Address,
}

#[derive(DeriveIden)]
enum ClusterSettings {
    Table,
    Name,
    Value,
}

#[derive(DeriveIden)]
enum ThrottleCounts {
    Table,
    Counter,
    Key,
    Slot,
    Count,
}

const NOTIFY_FUNCTION: &str = "CREATE OR REPLACE FUNCTION infoharbor_notify_change() RETURNS trigger \
     LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('infoharbor_changes', ''); RETURN NULL; END $$";
const NOTIFY_TRIGGER: &str = "CREATE TRIGGER change_log_notify AFTER INSERT ON change_log \
     FOR EACH STATEMENT EXECUTE FUNCTION infoharbor_notify_change()";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeLog::Table)
                    .add_column(boolean(ChangeLog::Published).default(false))
                    .to_owned(),
            )
            .await?;
        // Compaction finds the oldest entry within the retention by it.
        manager
            .create_index(
                Index::create()
                    .name("change_log_by_created_at")
                    .table(ChangeLog::Table)
                    .col(ChangeLog::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClusterNodes::Table)
                    .col(string(ClusterNodes::NodeId).primary_key())
                    .col(big_integer(ClusterNodes::AppliedSeq))
                    .col(timestamp_with_time_zone(ClusterNodes::HeartbeatAt))
                    .col(timestamp_with_time_zone(ClusterNodes::StartedAt))
                    .col(string_null(ClusterNodes::Address))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClusterSettings::Table)
                    .col(string(ClusterSettings::Name).primary_key())
                    .col(string(ClusterSettings::Value))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ThrottleCounts::Table)
                    .col(integer(ThrottleCounts::Counter))
                    .col(blob(ThrottleCounts::Key))
                    .col(big_integer(ThrottleCounts::Slot))
                    .col(integer(ThrottleCounts::Count))
                    .primary_key(
                        Index::create()
                            .col(ThrottleCounts::Counter)
                            .col(ThrottleCounts::Key)
                            .col(ThrottleCounts::Slot),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("throttle_counts_by_slot")
                    .table(ThrottleCounts::Table)
                    .col(ThrottleCounts::Slot)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            let connection = manager.get_connection();
            connection.execute_unprepared(NOTIFY_FUNCTION).await?;
            connection.execute_unprepared(NOTIFY_TRIGGER).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            let connection = manager.get_connection();
            connection
                .execute_unprepared("DROP TRIGGER IF EXISTS change_log_notify ON change_log")
                .await?;
            connection
                .execute_unprepared("DROP FUNCTION IF EXISTS infoharbor_notify_change()")
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("change_log_by_created_at")
                    .table(ChangeLog::Table)
                    .to_owned(),
            )
            .await?;
        for table in [
            ThrottleCounts::Table.into_iden(),
            ClusterSettings::Table.into_iden(),
            ClusterNodes::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ChangeLog::Table)
                    .drop_column(ChangeLog::Published)
                    .to_owned(),
            )
            .await
    }
}
