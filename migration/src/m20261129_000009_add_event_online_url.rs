//! An online event's link (a webinar or stream), shown to its registered attendees, its
//! organiser and the secretariat only.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EventDetails {
    Table,
    OnlineUrl,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EventDetails::Table)
                    .add_column(text_null(EventDetails::OnlineUrl))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EventDetails::Table)
                    .drop_column(EventDetails::OnlineUrl)
                    .to_owned(),
            )
            .await
    }
}
