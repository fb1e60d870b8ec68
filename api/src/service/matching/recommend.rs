//! Recommendations: published, unexpired opportunities the caller may see, ranked by how well
//! they fit the caller's investor profile, each with the reasons a person can check.
//!
//! Candidates come from the search index (so visibility is the access module's, as for
//! `search`): the newest items in the profile's countries and sectors, and the items closest
//! in words to the thesis and to the opportunities the investor showed interest in. Each
//! candidate is then scored in full; the weights below sum to 1, so a score is a share of a
//! perfect fit.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entities::{content, opportunity_details};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::profile::{self, InvestorProfile};
use super::rates::Rates;
use crate::auth::Caller;
use crate::domain::Amount;
use crate::error::{Error, Result};
use crate::limits::{DEFAULT_RECOMMENDATIONS, MAX_RECOMMENDATIONS};
use crate::reference::Reference;
use crate::service::access;
use crate::service::content::{ContentRecord, Details, Kind, Status, countries_and_sectors_among};
use crate::service::search::query::engine_error;
use crate::service::search::today_days;
use crate::state::AppState;

/// Candidates drawn from each source before scoring: the newest in the profile's countries
/// and sectors, and the closest in words. Each candidate is read from the database to be
/// scored, which is most of a recommendation's time (about 40 µs per candidate at 100,000
/// items on SQLite), so the sources are kept to what ranks well: the newest in countries *and*
/// sectors, then a few in either alone.
const CANDIDATES: usize = 120;
const CANDIDATES_PER_SINGLE_FILTER: usize = 40;

const COUNTRY: f64 = 0.20;
const SECTOR: f64 = 0.25;
const TICKET: f64 = 0.15;
const STAGE: f64 = 0.08;
const TYPE: f64 = 0.08;
const FRESHNESS: f64 = 0.04;
const THESIS: f64 = 0.12;
const INTERESTS: f64 = 0.08;
/// Freshness halves every this many days.
const FRESHNESS_HALF_LIFE_DAYS: f64 = 30.0;
/// Text closeness (relative to the closest candidate) worth naming as a reason.
const CLOSE_TEXT: f64 = 0.25;

/// One recommended item.
pub struct Recommendation {
    pub record: ContentRecord,
    /// Between 0 and 1: the share of a perfect fit.
    pub score: f64,
    pub reasons: Vec<String>,
}

/// How many results, as asked: 1 to 50, 10 when not said.
pub fn count(first: Option<i32>) -> Result<usize> {
    let first = first.unwrap_or(DEFAULT_RECOMMENDATIONS);
    if !(0..=MAX_RECOMMENDATIONS).contains(&first) {
        return Err(Error::bad_input(
            "first",
            format!("must be between 0 and {MAX_RECOMMENDATIONS}, got {first}"),
        ));
    }
    Ok(first as usize)
}

/// The caller's best-fitting opportunities, best first; none without a profile.
pub async fn recommend(
    state: &AppState,
    caller: &Caller,
    first: Option<i32>,
) -> Result<Vec<Recommendation>> {
    let user = caller.require_user()?;
    let first = count(first)?;
    let connection = state.db.connection();
    let Some(profile) = profile::of_user(connection, &user.id).await? else {
        return Ok(Vec::new());
    };
    if first == 0 {
        return Ok(Vec::new());
    }
    let interested = super::interests::opportunities_of_requester(connection, &user.id).await?;
    let interested_ids: Vec<String> = interested.iter().map(|(id, _)| id.clone()).collect();
    let interest_text = texts_of(state, caller, &interested_ids).await?;

    let mut base = search::Request {
        kinds: vec![Kind::Opportunity.as_str().to_owned()],
        today_days: today_days(),
        first: CANDIDATES,
        ..Default::default()
    };
    access::search_scope(&caller.audience, &mut base);
    let sources = Sources {
        base,
        countries: profile.countries.clone(),
        sectors: profile.sectors.clone(),
        thesis: profile.thesis.clone().unwrap_or_default(),
        interest_text,
        exclude: interested_ids,
    };
    let service = state.search.clone();
    let found = tokio::task::spawn_blocking(move || sources.gather(&service.index))
        .await
        .map_err(|error| Error::Internal(error.into()))?
        .map_err(|error| engine_error(error, "thesis"))?;

    let mut ids: Vec<String> = found.ids.iter().cloned().collect();
    ids.sort();
    let records =
        crate::service::content::readable(state.db.connection(), caller, ids.clone()).await?;
    let links = countries_and_sectors_among(connection, &ids).await?;
    let rates = Rates::load(connection).await?;
    let today = Utc::now();
    let mut ranked: Vec<Recommendation> = records
        .into_values()
        .filter(|record| record.status() == Status::Published && record.core.author_id != user.id)
        .filter_map(|record| {
            let Details::Opportunity(details) = &record.details else {
                return None;
            };
            if details
                .deadline
                .is_some_and(|deadline| deadline < today.date_naive())
            {
                return None;
            }
            let (countries, sectors) = links.get(&record.core.id).cloned().unwrap_or_default();
            let candidate = Candidate {
                countries: &countries,
                sectors: &sectors,
                details,
                published_at: record.core.published_at.unwrap_or(record.core.listed_at),
                thesis: found.thesis.closeness(&record.core.id),
                interests: found.interests.closeness(&record.core.id),
            };
            let (score, reasons) = fit(&profile, &candidate, &state.reference, &rates, today);
            Some(Recommendation {
                record,
                score,
                reasons,
            })
        })
        .collect();
    ranked.sort_by(|left, right| {
        right
            .score
            .total_cmp(&left.score)
            .then_with(|| {
                right
                    .record
                    .core
                    .published_at
                    .cmp(&left.record.core.published_at)
            })
            .then_with(|| left.record.core.id.cmp(&right.record.core.id))
    });
    ranked.truncate(first);
    Ok(ranked)
}

/// The titles and summaries of the opportunities the caller showed interest in (the newest
/// five they may still see): what "more like what I liked" is made of.
async fn texts_of(state: &AppState, caller: &Caller, ids: &[String]) -> Result<String> {
    if ids.is_empty() {
        return Ok(String::new());
    }
    let rows = content::Entity::find()
        .filter(content::Column::Id.is_in(ids.iter().take(5).cloned()))
        .filter(access::content_rows(&caller.audience))
        .all(state.db.connection())
        .await?;
    Ok(rows
        .iter()
        .map(|row| format!("{}\n{}", row.title, row.summary))
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Where candidates come from, run on a blocking thread.
struct Sources {
    base: search::Request,
    countries: Vec<String>,
    sectors: Vec<String>,
    thesis: String,
    interest_text: String,
    exclude: Vec<String>,
}

/// Text closeness by item id, relative to the closest (1.0).
#[derive(Default)]
struct Closeness(HashMap<String, f64>);

impl Closeness {
    fn of(similar: Vec<search::Similar>) -> Closeness {
        let best = similar
            .first()
            .map(|found| f64::from(found.score))
            .unwrap_or(1.0)
            .max(f64::EPSILON);
        Closeness(
            similar
                .into_iter()
                .map(|found| (found.id, f64::from(found.score) / best))
                .collect(),
        )
    }

    fn closeness(&self, id: &str) -> f64 {
        self.0.get(id).copied().unwrap_or(0.0)
    }
}

struct Found {
    ids: HashSet<String>,
    thesis: Closeness,
    interests: Closeness,
}

impl Sources {
    fn gather(self, index: &search::SearchIndex) -> search::Result<Found> {
        let mut ids = HashSet::new();
        let narrowed = |countries: &[String], sectors: &[String], first: usize| {
            let mut request = self.base.clone();
            request.countries = countries.to_vec();
            request.sectors = sectors.to_vec();
            request.first = first;
            request
        };
        let mut filters = vec![(self.countries.clone(), self.sectors.clone(), CANDIDATES)];
        if !self.countries.is_empty() && !self.sectors.is_empty() {
            let single = CANDIDATES_PER_SINGLE_FILTER;
            filters.push((self.countries.clone(), Vec::new(), single));
            filters.push((Vec::new(), self.sectors.clone(), single));
        }
        for (countries, sectors, first) in filters {
            ids.extend(index.newest(&narrowed(&countries, &sectors, first))?);
        }
        let mut similar = index
            .similar_to_each(
                &self.base,
                &[&self.thesis, &self.interest_text],
                &self.exclude,
            )?
            .into_iter();
        let thesis = Closeness::of(similar.next().unwrap_or_default());
        let interests = Closeness::of(similar.next().unwrap_or_default());
        ids.extend(thesis.0.keys().cloned());
        ids.extend(interests.0.keys().cloned());
        for id in &self.exclude {
            ids.remove(id);
        }
        Ok(Found {
            ids,
            thesis,
            interests,
        })
    }
}

/// What of a candidate the score reads.
struct Candidate<'a> {
    countries: &'a [String],
    sectors: &'a [String],
    details: &'a opportunity_details::Model,
    published_at: DateTime<Utc>,
    /// Closeness in words to the thesis and to what the investor showed interest in, 0 to 1.
    thesis: f64,
    interests: f64,
}

/// How well `candidate` fits `profile`, from 0 to 1, with the reasons in the order of their
/// weight.
fn fit(
    profile: &InvestorProfile,
    candidate: &Candidate,
    reference: &Reference,
    rates: &Rates,
    now: DateTime<Utc>,
) -> (f64, Vec<String>) {
    let mut score = 0.0;
    let mut reasons = Vec::new();

    if let Some(code) = candidate
        .countries
        .iter()
        .find(|code| profile.countries.contains(code))
    {
        score += COUNTRY;
        let name = reference
            .country(code)
            .map(|country| country.name(Some("en")))
            .unwrap_or_default();
        reasons.push(format!("country {code} {name}").trim_end().to_owned());
    }

    // A category in the profile matches its sub-categories fully; an item filed only under the
    // category of a sub-category the profile names is half a match.
    let sector_match = candidate.sectors.iter().find_map(|code| {
        if profile
            .sectors
            .iter()
            .any(|wanted| reference.sector_covers(wanted, code))
        {
            Some((code, 1.0))
        } else if profile
            .sectors
            .iter()
            .any(|wanted| reference.sector_covers(code, wanted))
        {
            Some((code, 0.5))
        } else {
            None
        }
    });
    if let Some((code, share)) = sector_match {
        score += SECTOR * share;
        let name = reference
            .sector(code)
            .map(|sector| sector.name(Some("en")))
            .unwrap_or_default();
        reasons.push(format!("sector {code} {name}").trim_end().to_owned());
    }

    if let Some(overlap) = ticket_overlap(profile, candidate.details, rates) {
        score += TICKET;
        reasons.push(overlap);
    }

    if let Some(stage) = candidate.details.stage.as_deref()
        && profile.stages.iter().any(|wanted| wanted.as_str() == stage)
    {
        score += STAGE;
        reasons.push(format!("stage {stage}"));
    }
    if profile
        .opportunity_types
        .iter()
        .any(|wanted| wanted.as_str() == candidate.details.opportunity_type)
    {
        score += TYPE;
        reasons.push(format!("type {}", candidate.details.opportunity_type));
    }

    if candidate.thesis > 0.0 {
        score += THESIS * candidate.thesis;
        if candidate.thesis >= CLOSE_TEXT {
            reasons.push("close to your thesis".to_owned());
        }
    }
    if candidate.interests > 0.0 {
        score += INTERESTS * candidate.interests;
        if candidate.interests >= CLOSE_TEXT {
            reasons.push("like opportunities you showed interest in".to_owned());
        }
    }

    let age_days = (now - candidate.published_at).num_days().max(0);
    score += FRESHNESS * 0.5_f64.powf(age_days as f64 / FRESHNESS_HALF_LIFE_DAYS);
    match age_days {
        0 => reasons.push("published today".to_owned()),
        1 => reasons.push("published 1 day ago".to_owned()),
        2..=14 => reasons.push(format!("published {age_days} days ago")),
        _ => {}
    }
    ((score * 10_000.0).round() / 10_000.0, reasons)
}

/// "ticket overlaps USD 0.8–1.2 m" when the opportunity's amount range, converted into the
/// profile's currency at the secretariat's rates, overlaps the ticket size; `None` when it
/// does not, or when either side gives no amount or a currency has no rate.
fn ticket_overlap(
    profile: &InvestorProfile,
    details: &opportunity_details::Model,
    rates: &Rates,
) -> Option<String> {
    let wanted_currency = profile.currency.as_deref()?;
    if profile.ticket_min.is_none() && profile.ticket_max.is_none() {
        return None;
    }
    let units = |amount: &Amount| amount.ten_thousandths() as f64 / 10_000.0;
    let parsed = |text: &Option<String>| {
        text.as_deref()
            .and_then(|text| Amount::parse("amount", text).ok())
            .map(|amount| units(&amount))
    };
    let item_currency = details.currency.as_deref()?;
    let (item_min, item_max) = match (parsed(&details.amount_min), parsed(&details.amount_max)) {
        (None, None) => return None,
        (Some(min), None) => (min, min),
        (None, Some(max)) => (0.0, max),
        (Some(min), Some(max)) => (min, max),
    };
    let item_min = rates.convert(item_min, item_currency, wanted_currency)?;
    let item_max = rates.convert(item_max, item_currency, wanted_currency)?;
    let wanted_min = profile.ticket_min.as_ref().map(units).unwrap_or(0.0);
    let wanted_max = profile
        .ticket_max
        .as_ref()
        .map(units)
        .unwrap_or(f64::INFINITY);
    if item_min > wanted_max || item_max < wanted_min {
        return None;
    }
    let low = item_min.max(wanted_min);
    let high = item_max.min(wanted_max);
    Some(format!(
        "ticket overlaps {wanted_currency} {}",
        compact_range(low, high)
    ))
}

/// "0.5–1.5 m", "250–400 k", "3 b": both ends in the unit of the larger one.
fn compact_range(low: f64, high: f64) -> String {
    let (divisor, unit) = match high {
        value if value >= 1e9 => (1e9, " b"),
        value if value >= 1e6 => (1e6, " m"),
        value if value >= 1e3 => (1e3, " k"),
        _ => (1.0, ""),
    };
    let short = |value: f64| {
        let text = format!("{:.2}", value / divisor);
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    if short(low) == short(high) {
        format!("{}{unit}", short(high))
    } else {
        format!("{}–{}{unit}", short(low), short(high))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_in_the_unit_of_their_larger_end() {
        assert_eq!(compact_range(500_000.0, 1_500_000.0), "0.5–1.5 m");
        assert_eq!(compact_range(250_000.0, 400_000.0), "250–400 k");
        assert_eq!(compact_range(3e9, 3e9), "3 b");
        assert_eq!(compact_range(12.0, 80.0), "12–80");
    }
}
