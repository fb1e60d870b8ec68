//! Related items: what else to read after this one. Items close in words (more like this,
//! over the search index, with the caller's visibility) and items sharing its countries and
//! sectors; never the item itself, only what the caller may see.

use std::collections::HashSet;

use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::limits::{DEFAULT_RELATED, MAX_RELATED};
use crate::reference::Reference;
use crate::service::access;
use crate::service::content::{ContentRecord, countries_and_sectors_among};
use crate::service::search::query::engine_error;
use crate::service::search::today_days;
use crate::state::AppState;

/// Candidates: the closest in words, and the newest sharing the item's countries and sectors.
/// Each is read from the database to be scored (see `recommend`), so they are few.
const CANDIDATES: usize = 60;
const CANDIDATES_SHARING_PLACE: usize = 30;

const WORDS: f64 = 0.6;
const COUNTRIES: f64 = 0.2;
const SECTORS: f64 = 0.2;

/// Up to `first` items like the item `key`, closest first. `NOT_FOUND` when the caller may
/// not see the item.
pub async fn related(
    state: &AppState,
    caller: &Caller,
    key: &str,
    first: Option<i32>,
) -> Result<Vec<ContentRecord>> {
    let first = first.unwrap_or(DEFAULT_RELATED);
    if !(0..=MAX_RELATED).contains(&first) {
        return Err(Error::bad_input(
            "first",
            format!("must be between 0 and {MAX_RELATED}, got {first}"),
        ));
    }
    let connection = state.db.connection();
    let item = crate::service::content::get(connection, caller, key)
        .await?
        .ok_or(Error::NotFound("content"))?;
    if first == 0 {
        return Ok(Vec::new());
    }
    let links = countries_and_sectors_among(connection, std::slice::from_ref(&item.core.id))
        .await?
        .remove(&item.core.id)
        .unwrap_or_default();
    let (countries, sectors) = links.clone();
    let mut base = search::Request {
        today_days: today_days(),
        first: CANDIDATES,
        ..Default::default()
    };
    access::search_scope(&caller.audience, &mut base);
    let text = format!(
        "{}\n{}\n{}",
        item.core.title, item.core.summary, item.core.body
    );
    let exclude = vec![item.core.id.clone()];
    let service = state.search.clone();
    let (similar, alike) = tokio::task::spawn_blocking(move || {
        let similar = service.index.similar(&base, &text, &exclude)?;
        let mut sharing = base.clone();
        sharing.first = CANDIDATES_SHARING_PLACE;
        sharing.countries = countries;
        sharing.sectors = sectors;
        let alike = if sharing.countries.is_empty() && sharing.sectors.is_empty() {
            Vec::new()
        } else {
            service.index.newest(&sharing)?
        };
        Ok::<_, search::Error>((similar, alike))
    })
    .await
    .map_err(|error| Error::Internal(error.into()))?
    .map_err(|error| engine_error(error, "id"))?;

    let best = similar
        .first()
        .map(|found| f64::from(found.score))
        .unwrap_or(1.0)
        .max(f64::EPSILON);
    let mut ids: HashSet<String> = alike.into_iter().collect();
    ids.extend(similar.iter().map(|found| found.id.clone()));
    ids.remove(&item.core.id);
    let ids: Vec<String> = ids.into_iter().collect();
    let records =
        crate::service::content::readable(state.db.connection(), caller, ids.clone()).await?;
    let candidate_links = countries_and_sectors_among(connection, &ids).await?;
    let mut scored: Vec<(f64, ContentRecord)> = records
        .into_values()
        .filter(|record| record.core.id != item.core.id)
        .map(|record| {
            let words = similar
                .iter()
                .find(|found| found.id == record.core.id)
                .map(|found| f64::from(found.score) / best)
                .unwrap_or(0.0);
            let (their_countries, their_sectors) = candidate_links
                .get(&record.core.id)
                .cloned()
                .unwrap_or_default();
            let score = WORDS * words
                + COUNTRIES * shares_country(&links.0, &their_countries)
                + SECTORS * shares_sector(&state.reference, &links.1, &their_sectors);
            (score, record)
        })
        .filter(|(score, _)| *score > 0.0)
        .collect();
    scored.sort_by(|left, right| {
        right
            .0
            .total_cmp(&left.0)
            .then_with(|| right.1.core.published_at.cmp(&left.1.core.published_at))
            .then_with(|| left.1.core.id.cmp(&right.1.core.id))
    });
    Ok(scored
        .into_iter()
        .take(first as usize)
        .map(|(_, record)| record)
        .collect())
}

fn shares_country(ours: &[String], theirs: &[String]) -> f64 {
    if theirs.iter().any(|code| ours.contains(code)) {
        1.0
    } else {
        0.0
    }
}

/// A shared sector, or one the other's category covers.
fn shares_sector(reference: &Reference, ours: &[String], theirs: &[String]) -> f64 {
    let covers = |ours: &str, theirs: &str| {
        reference.sector_covers(ours, theirs) || reference.sector_covers(theirs, ours)
    };
    if ours
        .iter()
        .any(|our| theirs.iter().any(|their| covers(our, their)))
    {
        1.0
    } else {
        0.0
    }
}
