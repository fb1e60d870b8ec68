//! Database migrations, run at start-up and by `infoharbor migrate`, on SQLite and PostgreSQL alike.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_reference_tables;
mod m20261126_000002_create_identity_tables;
mod m20261126_000003_create_content_tables;
mod m20261126_000004_add_membership_and_audit;
mod m20261129_000005_create_matching_tables;
mod m20261129_000006_create_saved_searches;
mod m20261129_000007_create_event_registrations;
mod m20261129_000008_create_calendar_feeds;
mod m20261129_000009_add_event_online_url;
mod m20261129_000010_create_cluster_tables;
mod reference_csv;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_reference_tables::Migration),
            Box::new(m20261126_000002_create_identity_tables::Migration),
            Box::new(m20261126_000003_create_content_tables::Migration),
            Box::new(m20261126_000004_add_membership_and_audit::Migration),
            Box::new(m20261129_000005_create_matching_tables::Migration),
            Box::new(m20261129_000006_create_saved_searches::Migration),
            Box::new(m20261129_000007_create_event_registrations::Migration),
            Box::new(m20261129_000008_create_calendar_feeds::Migration),
            Box::new(m20261129_000009_add_event_online_url::Migration),
            Box::new(m20261129_000010_create_cluster_tables::Migration),
        ]
    }
}
