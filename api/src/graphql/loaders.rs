//! DataLoaders: the countries, sectors, tags and translations of many items, and their
//! authors and organisations, each fetched with one query per request instead of one per item.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entities::{
    content_countries, content_sectors, content_status_history, content_tags, content_translations,
    organisations, users,
};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// Loads from the database; one instance per request, so nothing is cached across callers.
pub struct DbLoader {
    connection: DatabaseConnection,
}

pub type Loaders = DataLoader<DbLoader, HashMapCache>;

pub fn per_request(connection: DatabaseConnection) -> Loaders {
    DataLoader::with_cache(
        DbLoader { connection },
        tokio::spawn,
        HashMapCache::default(),
    )
}

/// The country codes of a content item, in code order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CountriesOf(pub String);
/// The sector codes of a content item, in code order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SectorsOf(pub String);
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TagsOf(pub String);
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TranslationsOf(pub String);
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserById(pub String);
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrganisationById(pub String);
/// The workflow history of a content item, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HistoryOf(pub String);

fn content_ids<K>(keys: &[K], id: impl Fn(&K) -> &String) -> Vec<String> {
    keys.iter().map(|key| id(key).clone()).collect()
}

/// Groups `(content id, value)` pairs by content id, with an empty list for every key.
fn grouped<K: Clone + Eq + std::hash::Hash, V>(
    keys: &[K],
    wrap: impl Fn(String) -> K,
    pairs: impl IntoIterator<Item = (String, V)>,
) -> HashMap<K, Vec<V>> {
    let mut groups: HashMap<K, Vec<V>> = keys.iter().map(|key| (key.clone(), Vec::new())).collect();
    for (content_id, value) in pairs {
        groups.entry(wrap(content_id)).or_default().push(value);
    }
    groups
}

/// A loader of what one table holds for each content item, in `order`, each row mapped by
/// `value` (a code of a link table, or the whole row).
macro_rules! per_content_loader {
    ($key:ident, $table:ident, $order:ident, $value:ty, $map:expr) => {
        impl Loader<$key> for DbLoader {
            type Value = Vec<$value>;
            type Error = DbErr;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Vec<$value>>, DbErr> {
                let rows = $table::Entity::find()
                    .filter($table::Column::ContentId.is_in(content_ids(keys, |key| &key.0)))
                    .order_by_asc($table::Column::$order)
                    .all(&self.connection)
                    .await?;
                let value: fn($table::Model) -> $value = $map;
                Ok(grouped(
                    keys,
                    $key,
                    rows.into_iter()
                        .map(|row| (row.content_id.clone(), value(row))),
                ))
            }
        }
    };
}

per_content_loader!(CountriesOf, content_countries, CountryCode, String, |row| {
    row.country_code
});
per_content_loader!(SectorsOf, content_sectors, SectorCode, String, |row| row
    .sector_code);
per_content_loader!(TagsOf, content_tags, Tag, String, |row| row.tag);
per_content_loader!(
    TranslationsOf,
    content_translations,
    Language,
    content_translations::Model,
    |row| row
);
per_content_loader!(
    HistoryOf,
    content_status_history,
    Id,
    content_status_history::Model,
    |row| row
);

/// A loader of rows by their primary key `id`.
macro_rules! by_id_loader {
    ($key:ident, $table:ident) => {
        impl Loader<$key> for DbLoader {
            type Value = $table::Model;
            type Error = DbErr;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $table::Model>, DbErr> {
                let rows = $table::Entity::find()
                    .filter($table::Column::Id.is_in(content_ids(keys, |key| &key.0)))
                    .all(&self.connection)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|row| ($key(row.id.clone()), row))
                    .collect())
            }
        }
    };
}

by_id_loader!(UserById, users);
by_id_loader!(OrganisationById, organisations);

/// Seats taken and people waiting for an event: every event of a list counted with one
/// grouped query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistrationCountsOf(pub String);

/// (registered, waitlisted)
impl Loader<RegistrationCountsOf> for DbLoader {
    type Value = (u64, u64);
    type Error = DbErr;

    async fn load(
        &self,
        keys: &[RegistrationCountsOf],
    ) -> Result<HashMap<RegistrationCountsOf, (u64, u64)>, DbErr> {
        use entities::event_registrations::{Column, Entity};
        use sea_orm::QuerySelect;
        let rows: Vec<(String, String, i64)> = Entity::find()
            .select_only()
            .column(Column::EventId)
            .column(Column::Status)
            .column_as(Column::Id.count(), "count")
            .filter(Column::EventId.is_in(content_ids(keys, |key| &key.0)))
            .group_by(Column::EventId)
            .group_by(Column::Status)
            .into_tuple()
            .all(&self.connection)
            .await?;
        let mut counts: HashMap<RegistrationCountsOf, (u64, u64)> =
            keys.iter().map(|key| (key.clone(), (0, 0))).collect();
        for (event_id, status, count) in rows {
            let entry = counts.entry(RegistrationCountsOf(event_id)).or_default();
            match crate::service::events::RegistrationStatus::parse(&status) {
                Some(crate::service::events::RegistrationStatus::Registered) => {
                    entry.0 = count as u64
                }
                Some(crate::service::events::RegistrationStatus::Waitlisted) => {
                    entry.1 = count as u64
                }
                _ => {}
            }
        }
        Ok(counts)
    }
}
