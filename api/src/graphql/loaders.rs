//! DataLoaders: the countries, sectors, tags and translations of many items, and their
//! authors, each fetched with one query per request instead of one per item.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entities::{content_countries, content_sectors, content_tags, content_translations, users};
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

impl Loader<CountriesOf> for DbLoader {
    type Value = Vec<String>;
    type Error = DbErr;

    async fn load(&self, keys: &[CountriesOf]) -> Result<HashMap<CountriesOf, Vec<String>>, DbErr> {
        let rows = content_countries::Entity::find()
            .filter(content_countries::Column::ContentId.is_in(content_ids(keys, |key| &key.0)))
            .order_by_asc(content_countries::Column::CountryCode)
            .all(&self.connection)
            .await?;
        Ok(grouped(
            keys,
            CountriesOf,
            rows.into_iter()
                .map(|row| (row.content_id, row.country_code)),
        ))
    }
}

impl Loader<SectorsOf> for DbLoader {
    type Value = Vec<String>;
    type Error = DbErr;

    async fn load(&self, keys: &[SectorsOf]) -> Result<HashMap<SectorsOf, Vec<String>>, DbErr> {
        let rows = content_sectors::Entity::find()
            .filter(content_sectors::Column::ContentId.is_in(content_ids(keys, |key| &key.0)))
            .order_by_asc(content_sectors::Column::SectorCode)
            .all(&self.connection)
            .await?;
        Ok(grouped(
            keys,
            SectorsOf,
            rows.into_iter()
                .map(|row| (row.content_id, row.sector_code)),
        ))
    }
}

impl Loader<TagsOf> for DbLoader {
    type Value = Vec<String>;
    type Error = DbErr;

    async fn load(&self, keys: &[TagsOf]) -> Result<HashMap<TagsOf, Vec<String>>, DbErr> {
        let rows = content_tags::Entity::find()
            .filter(content_tags::Column::ContentId.is_in(content_ids(keys, |key| &key.0)))
            .order_by_asc(content_tags::Column::Tag)
            .all(&self.connection)
            .await?;
        Ok(grouped(
            keys,
            TagsOf,
            rows.into_iter().map(|row| (row.content_id, row.tag)),
        ))
    }
}

impl Loader<TranslationsOf> for DbLoader {
    type Value = Vec<content_translations::Model>;
    type Error = DbErr;

    async fn load(
        &self,
        keys: &[TranslationsOf],
    ) -> Result<HashMap<TranslationsOf, Self::Value>, DbErr> {
        let rows = content_translations::Entity::find()
            .filter(content_translations::Column::ContentId.is_in(content_ids(keys, |key| &key.0)))
            .order_by_asc(content_translations::Column::Language)
            .all(&self.connection)
            .await?;
        let mut groups: HashMap<TranslationsOf, Self::Value> =
            keys.iter().map(|key| (key.clone(), Vec::new())).collect();
        for row in rows {
            groups
                .entry(TranslationsOf(row.content_id.clone()))
                .or_default()
                .push(row);
        }
        Ok(groups)
    }
}

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
