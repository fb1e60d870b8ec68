//! Content as the index sees it: a published item becomes a document (its core, texts in every
//! language, and what its kind adds); anything else once published becomes a delete.

use std::collections::HashMap;

use entities::{content, content_countries, content_sectors, content_tags, content_translations};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use search::{Change, Document, Text};

use crate::error::Result;
use crate::reference::Reference;
use crate::service::content::{Status, load_records};

/// The index changes that bring the items `ids` up to date: published items are upserted,
/// all others (and missing ones) deleted.
pub async fn changes_for(
    connection: &impl ConnectionTrait,
    reference: &Reference,
    ids: &[String],
) -> Result<Vec<Change>> {
    let rows = content::Entity::find()
        .filter(content::Column::Id.is_in(ids.to_vec()))
        .all(connection)
        .await?;
    let mut deleted: Vec<Change> = ids
        .iter()
        .filter(|id| !rows.iter().any(|row| &row.id == *id))
        .map(|id| Change::Delete {
            id: id.clone(),
            version: i64::MAX,
        })
        .collect();
    let (published, unpublished): (Vec<content::Model>, Vec<content::Model>) = rows
        .into_iter()
        .partition(|row| row.status == Status::Published.as_str());
    // Only what was once published can be in the index; a draft that never was costs no
    // index commit.
    deleted.extend(
        unpublished
            .into_iter()
            .filter(|row| row.published_at.is_some())
            .map(|row| Change::Delete {
                id: row.id,
                version: row.updated_at.timestamp_micros(),
            }),
    );
    let mut changes: Vec<Change> = documents_for(connection, reference, published)
        .await?
        .into_iter()
        .map(|document| Change::Upsert(Box::new(document)))
        .collect();
    changes.extend(deleted);
    Ok(changes)
}

/// Groups `(content id, value)` pairs by content id.
fn by_content<V>(pairs: impl IntoIterator<Item = (String, V)>) -> HashMap<String, Vec<V>> {
    let mut groups: HashMap<String, Vec<V>> = HashMap::new();
    for (id, value) in pairs {
        groups.entry(id).or_default().push(value);
    }
    groups
}

pub(super) async fn documents_for(
    connection: &impl ConnectionTrait,
    reference: &Reference,
    rows: Vec<content::Model>,
) -> Result<Vec<Document>> {
    let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut countries = by_content(
        content_countries::Entity::find()
            .filter(content_countries::Column::ContentId.is_in(ids.clone()))
            .all(connection)
            .await?
            .into_iter()
            .map(|row| (row.content_id, row.country_code)),
    );
    let mut sectors = by_content(
        content_sectors::Entity::find()
            .filter(content_sectors::Column::ContentId.is_in(ids.clone()))
            .all(connection)
            .await?
            .into_iter()
            .map(|row| (row.content_id, row.sector_code)),
    );
    let mut tags = by_content(
        content_tags::Entity::find()
            .filter(content_tags::Column::ContentId.is_in(ids.clone()))
            .all(connection)
            .await?
            .into_iter()
            .map(|row| (row.content_id, row.tag)),
    );
    let mut translations = by_content(
        content_translations::Entity::find()
            .filter(content_translations::Column::ContentId.is_in(ids))
            .all(connection)
            .await?
            .into_iter()
            .map(|row| (row.content_id.clone(), row)),
    );
    let records = load_records(connection, rows).await?;
    Ok(records
        .into_iter()
        .map(|record| {
            let id = record.core.id.clone();
            let sectors = sectors.remove(&id).unwrap_or_default();
            let mut sector_scope = sectors.clone();
            for code in &sectors {
                if let Some(parent) = reference
                    .sector(code)
                    .and_then(|sector| sector.parent_code.clone())
                    && !sector_scope.contains(&parent)
                {
                    sector_scope.push(parent);
                }
            }
            let mut texts = vec![Text {
                language: record.core.language.clone(),
                title: record.core.title.clone(),
                summary: record.core.summary.clone(),
                body: record.core.body.clone(),
            }];
            texts.extend(
                translations
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|row| Text {
                        language: row.language,
                        title: row.title,
                        summary: row.summary,
                        body: row.body,
                    }),
            );
            let mut document = Document {
                id: id.clone(),
                version: record.core.updated_at.timestamp_micros(),
                kind: record.kind().as_str().to_owned(),
                visibility: record.visibility().as_str().to_owned(),
                author_id: record.core.author_id.clone(),
                language: record.core.language.clone(),
                texts,
                countries: countries.remove(&id).unwrap_or_default(),
                sectors,
                sector_scope,
                tags: tags.remove(&id).unwrap_or_default(),
                opportunity_type: None,
                currency: None,
                published_at_micros: record
                    .core
                    .published_at
                    .unwrap_or(record.core.listed_at)
                    .timestamp_micros(),
                deadline_days: None,
                amount_min: None,
                amount_max: None,
                starts_at_micros: None,
                ..Document::default()
            };
            record.index_details(&mut document);
            document
        })
        .collect())
}
