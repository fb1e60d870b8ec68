//! Reading content as a given caller sees it.

use std::collections::HashMap;

use entities::{content, content_countries, content_sectors};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::types::{ContentRecord, Details, Kind};
use crate::auth::Caller;
use crate::error::Result;
use crate::kinds::{
    event::Events, load_details, opportunity::Opportunities, policy::Policies,
    research::ResearchResults,
};
use crate::service::access;

/// One item by id, if it exists and `caller` may read it; `None` otherwise, without saying
/// which of the two.
pub async fn get(
    connection: &impl ConnectionTrait,
    caller: &Caller,
    id: &str,
) -> Result<Option<ContentRecord>> {
    let row = content::Entity::find_by_id(id.to_owned())
        .filter(access::content_rows(&caller.audience))
        .one(connection)
        .await?;
    match row {
        Some(row) => Ok(load_records(connection, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

/// The items among `ids` that `caller` may read, by id, with one query for the rows (the
/// access rule applied in the query itself, as for every content read) plus one per kind:
/// `get` for many ids (`node`, and what the search index names, so that nothing the index
/// might hold by mistake reaches a caller who may not see it).
pub async fn readable(
    connection: &impl ConnectionTrait,
    caller: &Caller,
    mut ids: Vec<String>,
) -> Result<HashMap<String, ContentRecord>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    ids.sort_unstable();
    ids.dedup();
    let rows = content::Entity::find()
        .filter(content::Column::Id.is_in(ids))
        .filter(access::content_rows(&caller.audience))
        .all(connection)
        .await?;
    Ok(load_records(connection, rows)
        .await?
        .into_iter()
        .map(|record| (record.core.id.clone(), record))
        .collect())
}

/// Attaches each row's kind details, with one query per kind present, keeping the order.
pub async fn load_records(
    connection: &impl ConnectionTrait,
    rows: Vec<content::Model>,
) -> Result<Vec<ContentRecord>> {
    let ids_of = |kind: Kind| -> Vec<String> {
        rows.iter()
            .filter(|row| row.kind == kind.as_str())
            .map(|row| row.id.clone())
            .collect()
    };
    let mut details: HashMap<String, Details> = HashMap::new();
    let opportunities = load_details::<Opportunities>(connection, ids_of(Kind::Opportunity));
    for row in opportunities.await? {
        details.insert(row.content_id.clone(), Details::Opportunity(row));
    }
    for row in load_details::<Policies>(connection, ids_of(Kind::Policy)).await? {
        details.insert(row.content_id.clone(), Details::Policy(row));
    }
    let research = load_details::<ResearchResults>(connection, ids_of(Kind::Research));
    for row in research.await? {
        details.insert(row.content_id.clone(), Details::Research(row));
    }
    for row in load_details::<Events>(connection, ids_of(Kind::Event)).await? {
        details.insert(row.content_id.clone(), Details::Event(row));
    }
    let mut records = Vec::with_capacity(rows.len());
    for core in rows {
        // Core and details are written in one transaction, so a core row without details
        // means a broken database, not a caller's mistake.
        let details = details.remove(&core.id).ok_or_else(|| {
            crate::error::Error::Internal(anyhow::anyhow!(
                "content {} has no {} details",
                core.id,
                core.kind
            ))
        })?;
        records.push(ContentRecord { core, details });
    }
    Ok(records)
}

/// The country and sector codes of one item.
pub async fn countries_and_sectors_of(
    connection: &impl ConnectionTrait,
    id: &str,
) -> Result<(Vec<String>, Vec<String>)> {
    let countries = content_countries::Entity::find()
        .filter(content_countries::Column::ContentId.eq(id))
        .all(connection)
        .await?;
    let sectors = content_sectors::Entity::find()
        .filter(content_sectors::Column::ContentId.eq(id))
        .all(connection)
        .await?;
    Ok((
        countries.into_iter().map(|row| row.country_code).collect(),
        sectors.into_iter().map(|row| row.sector_code).collect(),
    ))
}

/// The country and sector codes of each of `ids`, with one query per link table.
pub async fn countries_and_sectors_among(
    connection: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, (Vec<String>, Vec<String>)>> {
    let mut links: HashMap<String, (Vec<String>, Vec<String>)> = HashMap::new();
    if ids.is_empty() {
        return Ok(links);
    }
    let countries = content_countries::Entity::find()
        .filter(content_countries::Column::ContentId.is_in(ids.iter().cloned()))
        .all(connection)
        .await?;
    for row in countries {
        links
            .entry(row.content_id)
            .or_default()
            .0
            .push(row.country_code);
    }
    let sectors = content_sectors::Entity::find()
        .filter(content_sectors::Column::ContentId.is_in(ids.iter().cloned()))
        .all(connection)
        .await?;
    for row in sectors {
        links
            .entry(row.content_id)
            .or_default()
            .1
            .push(row.sector_code);
    }
    Ok(links)
}
