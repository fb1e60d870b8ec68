//! DataLoaders: the countries, sectors, tags and translations of many items, and their
//! authors, each fetched with one query per request instead of one per item.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entities::{
    content_countries, content_sectors, content_status_history, content_tags, content_translations,
    users,
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
/// The workflow history of a content item, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HistoryOf(pub String);

fn content_ids<K>(keys: &[K], id: impl Fn(&K) -> &String) -> Vec<String> {
    keys.iter().map(|key| id(key).clone()).collect()
}

/// Groups `(content id, value)` pairs by content id, with an empty list for every key.
fn grouped<K: Clone + Eq + std::hash::Hash>(
    keys: &[K],
    wrap: impl Fn(String) -> K,
    pairs: impl IntoIterator<Item = (String, String)>,
) -> HashMap<K, Vec<String>> {
    let mut groups: HashMap<K, Vec<String>> =
        keys.iter().map(|key| (key.clone(), Vec::new())).collect();
    for (content_id, value) in pairs {
        groups.entry(wrap(content_id)).or_default().push(value);
    }
    groups
}

/// A loader of the codes one link table holds for each content item, in code order.
macro_rules! codes_loader {
    ($key:ident, $table:ident, $column:ident, $field:ident) => {
        impl Loader<$key> for DbLoader {
            type Value = Vec<String>;
            type Error = DbErr;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Vec<String>>, DbErr> {
                let rows = $table::Entity::find()
                    .filter($table::Column::ContentId.is_in(content_ids(keys, |key| &key.0)))
                    .order_by_asc($table::Column::$column)
                    .all(&self.connection)
                    .await?;
                Ok(grouped(
                    keys,
                    $key,
                    rows.into_iter().map(|row| (row.content_id, row.$field)),
                ))
            }
        }
    };
}

codes_loader!(CountriesOf, content_countries, CountryCode, country_code);
codes_loader!(SectorsOf, content_sectors, SectorCode, sector_code);
codes_loader!(TagsOf, content_tags, Tag, tag);

/// A loader of the rows one table holds for each content item, in the given order.
macro_rules! rows_loader {
    ($key:ident, $table:ident, $order:ident) => {
        impl Loader<$key> for DbLoader {
            type Value = Vec<$table::Model>;
            type Error = DbErr;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, DbErr> {
                let rows = $table::Entity::find()
                    .filter($table::Column::ContentId.is_in(content_ids(keys, |key| &key.0)))
                    .order_by_asc($table::Column::$order)
                    .all(&self.connection)
                    .await?;
                let mut groups: HashMap<$key, Self::Value> =
                    keys.iter().map(|key| (key.clone(), Vec::new())).collect();
                for row in rows {
                    groups
                        .entry($key(row.content_id.clone()))
                        .or_default()
                        .push(row);
                }
                Ok(groups)
            }
        }
    };
}

rows_loader!(TranslationsOf, content_translations, Language);
rows_loader!(HistoryOf, content_status_history, Id);

impl Loader<UserById> for DbLoader {
    type Value = users::Model;
    type Error = DbErr;

    async fn load(&self, keys: &[UserById]) -> Result<HashMap<UserById, users::Model>, DbErr> {
        let rows = users::Entity::find()
            .filter(users::Column::Id.is_in(content_ids(keys, |key| &key.0)))
            .all(&self.connection)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (UserById(row.id.clone()), row))
            .collect())
    }
}
