//! Saved searches and the alerts they raise. A user keeps up to a configurable number of
//! searches (a query and a filter, under a name); when an item is published, every saved
//! search it matches (the same analysis and filters as `search`, and only what the search's
//! owner may see at that moment) adds a notification to its owner's inbox and is pushed on
//! `savedSearchMatches`.
//!
//! Matching runs after the publication has returned, on one worker task fed by a bounded
//! queue ([`AlertQueue`]), so publishing never waits for it: each saved search is one count
//! over the index restricted to the new item.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use entities::{organisations, saved_searches, users};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::access::{self, Audience};
use super::content::write::now;
use super::content::{Kind, OpportunityType};
use super::inbox::{self, Notice, NotificationKind, SubjectType};
use super::search::SearchFilter;
use crate::auth::caller::CallerUser;
use crate::auth::{Caller, Role};
use crate::domain;
use crate::error::{Error, Result};
use crate::graphql::scalars::{Date, DateTime as DateTimeScalar};
use crate::limits::{ALERT_QUEUE, SAVED_SEARCH_NAME_MAX_CHARS};
use crate::service::membership::MembershipStatus;
use crate::state::AppState;

/// Saved searches read per batch while matching a publication.
const MATCH_BATCH: u64 = 1_000;

/// A search filter as stored: plain values, so it reads back whatever the schema becomes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoredFilter {
    pub kinds: Vec<String>,
    pub countries: Vec<String>,
    pub sectors: Vec<String>,
    pub include_expired: bool,
    pub opportunity_types: Vec<String>,
    pub published_from: Option<DateTime<Utc>>,
    pub published_to: Option<DateTime<Utc>>,
    pub deadline_from: Option<NaiveDate>,
    pub deadline_to: Option<NaiveDate>,
    pub amount_min: Option<String>,
    pub amount_max: Option<String>,
    pub currency: Option<String>,
}

impl StoredFilter {
    fn from_input(filter: SearchFilter) -> StoredFilter {
        StoredFilter {
            kinds: filter
                .kinds
                .unwrap_or_default()
                .iter()
                .map(|kind| kind.as_str().to_owned())
                .collect(),
            countries: filter.countries.unwrap_or_default(),
            sectors: filter.sectors.unwrap_or_default(),
            include_expired: filter.include_expired.unwrap_or(false),
            opportunity_types: filter
                .opportunity_types
                .unwrap_or_default()
                .iter()
                .map(|kind| kind.as_str().to_owned())
                .collect(),
            published_from: filter.published_from.map(|instant| instant.0),
            published_to: filter.published_to.map(|instant| instant.0),
            deadline_from: filter.deadline_from.map(|date| date.0),
            deadline_to: filter.deadline_to.map(|date| date.0),
            amount_min: filter.amount_min,
            amount_max: filter.amount_max,
            currency: filter.currency,
        }
    }

    pub fn to_input(&self) -> SearchFilter {
        SearchFilter {
            kinds: Some(
                self.kinds
                    .iter()
                    .filter_map(|kind| Kind::parse(kind))
                    .collect(),
            ),
            countries: Some(self.countries.clone()),
            sectors: Some(self.sectors.clone()),
            include_expired: Some(self.include_expired),
            opportunity_types: Some(
                self.opportunity_types
                    .iter()
                    .filter_map(|kind| OpportunityType::parse(kind))
                    .collect(),
            ),
            published_from: self.published_from.map(DateTimeScalar),
            published_to: self.published_to.map(DateTimeScalar),
            deadline_from: self.deadline_from.map(Date),
            deadline_to: self.deadline_to.map(Date),
            amount_min: self.amount_min.clone(),
            amount_max: self.amount_max.clone(),
            currency: self.currency.clone(),
        }
    }

    pub fn of(row: &saved_searches::Model) -> StoredFilter {
        serde_json::from_str(&row.filter).unwrap_or_default()
    }
}

/// The engine's request for a saved search, without visibility.
fn request_of(
    state: &AppState,
    query: Option<&str>,
    filter: &StoredFilter,
) -> Result<search::Request> {
    let mut request = filter.to_input().into_request(&state.reference)?;
    request.text = query.unwrap_or_default().to_owned();
    request.today_days = crate::service::search::today_days();
    Ok(request)
}

/// Saves a search for the caller, refused past the configured number per user.
pub async fn save(
    state: &AppState,
    caller: &Caller,
    name: &str,
    query: Option<String>,
    filter: Option<SearchFilter>,
) -> Result<saved_searches::Model> {
    let user = caller.require_user()?;
    let name = domain::required_text("name", name, SAVED_SEARCH_NAME_MAX_CHARS)?;
    let query = query.filter(|text| !text.trim().is_empty());
    let mut filter = StoredFilter::from_input(filter.unwrap_or_default());
    // Run once now, so that a query or filter the engine refuses is refused here, by name.
    let mut request = request_of(state, query.as_deref(), &filter)?;
    // Kept as validated: codes upper-cased and without duplicates.
    filter.countries = request.countries.clone();
    filter.sectors = request.sectors.clone();
    filter.currency = request.currency.clone();
    request.list.ids = vec![String::new()];
    let service = state.search.clone();
    tokio::task::spawn_blocking(move || service.index.count(&request))
        .await
        .map_err(|error| Error::Internal(error.into()))?
        .map_err(|error| crate::service::search::query::engine_error(error, "query"))?;
    let transaction = state.db.begin_write().await?;
    let existing = saved_searches::Entity::find()
        .filter(saved_searches::Column::UserId.eq(&user.id))
        .count(&*transaction)
        .await?;
    if existing >= state.max_saved_searches as u64 {
        return Err(Error::conflict(format!(
            "at most {} saved searches; delete one first",
            state.max_saved_searches
        )));
    }
    let timestamp = now();
    let row = saved_searches::Model {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user.id.clone(),
        name,
        query,
        filter: serde_json::to_string(&filter).map_err(|error| Error::Internal(error.into()))?,
        created_at: timestamp,
        updated_at: timestamp,
    };
    saved_searches::Entity::insert(saved_searches::ActiveModel {
        id: Set(row.id.clone()),
        user_id: Set(row.user_id.clone()),
        name: Set(row.name.clone()),
        query: Set(row.query.clone()),
        filter: Set(row.filter.clone()),
        created_at: Set(timestamp),
        updated_at: Set(timestamp),
    })
    .exec_without_returning(&*transaction)
    .await?;
    transaction.commit().await?;
    Ok(row)
}

/// The caller's saved searches, oldest first.
pub async fn mine(state: &AppState, caller: &Caller) -> Result<Vec<saved_searches::Model>> {
    let user = caller.require_user()?;
    Ok(saved_searches::Entity::find()
        .filter(saved_searches::Column::UserId.eq(&user.id))
        .order_by_asc(saved_searches::Column::Id)
        .all(state.db.connection())
        .await?)
}

/// One of the caller's saved searches; `None` when it is not theirs.
pub async fn get(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> Result<Option<saved_searches::Model>> {
    let Some(user_id) = caller.user_id() else {
        return Ok(None);
    };
    Ok(saved_searches::Entity::find_by_id(key.to_owned())
        .filter(saved_searches::Column::UserId.eq(user_id))
        .one(state.db.connection())
        .await?)
}

pub async fn rename(
    state: &AppState,
    caller: &Caller,
    key: &str,
    name: &str,
) -> Result<saved_searches::Model> {
    caller.require_user()?;
    let name = domain::required_text("name", name, SAVED_SEARCH_NAME_MAX_CHARS)?;
    let existing = get(state, caller, key)
        .await?
        .ok_or(Error::NotFound("saved search"))?;
    let transaction = state.db.begin_write().await?;
    saved_searches::Entity::update_many()
        .col_expr(saved_searches::Column::Name, Expr::value(name.clone()))
        .col_expr(saved_searches::Column::UpdatedAt, Expr::value(now()))
        .filter(saved_searches::Column::Id.eq(&existing.id))
        .exec(&*transaction)
        .await?;
    transaction.commit().await?;
    Ok(saved_searches::Model { name, ..existing })
}

/// Deletes one of the caller's saved searches.
pub async fn delete(state: &AppState, caller: &Caller, key: &str) -> Result<()> {
    let user = caller.require_user()?;
    let transaction = state.db.begin_write().await?;
    let result = saved_searches::Entity::delete_many()
        .filter(saved_searches::Column::Id.eq(key))
        .filter(saved_searches::Column::UserId.eq(&user.id))
        .exec(&*transaction)
        .await?;
    transaction.commit().await?;
    if result.rows_affected == 0 {
        return Err(Error::NotFound("saved search"));
    }
    Ok(())
}

/// The queue of publications waiting to be matched. One worker takes them in order, so
/// matching never runs more than once at a time however fast items are published, and alerts
/// come in the order of the publications.
#[derive(Clone)]
pub struct AlertQueue(Option<mpsc::Sender<String>>);

impl AlertQueue {
    /// A queue nobody works (command-line tools: an import raises no alerts).
    pub fn idle() -> AlertQueue {
        AlertQueue(None)
    }

    /// A queue and the worker that empties it, to be spawned with the server.
    pub fn start(state: &AppState) -> (AlertQueue, impl std::future::Future<Output = ()> + use<>) {
        let (sender, mut receiver) = mpsc::channel::<String>(ALERT_QUEUE);
        let state = state.clone();
        let worker = async move {
            while let Some(id) = receiver.recv().await {
                let started = std::time::Instant::now();
                match match_publication(&state, &id).await {
                    Ok(matched) => {
                        state.metrics.record_alert_matching(matched.len() as u64);
                        tracing::info!(
                            content = %id,
                            alerted = matched.len(),
                            elapsed_ms = started.elapsed().as_secs_f64() * 1_000.0,
                            "matched a publication against the saved searches"
                        );
                    }
                    Err(error) => {
                        tracing::error!(error = ?error, content = %id, "saved-search alerts failed");
                    }
                }
            }
        };
        (AlertQueue(Some(sender)), worker)
    }
}

/// Queues the newly published item `id` for matching against every saved search. A full
/// queue makes the publisher wait (it holds [`ALERT_QUEUE`] publications); it never grows.
pub async fn queue_matching(state: &AppState, id: &str) {
    if let Some(sender) = &state.alerts.0
        && sender.send(id.to_owned()).await.is_err()
    {
        tracing::warn!(content = %id, "the alert worker is gone; no alerts for this item");
    }
}

/// What a publication's matching found: per owner, the names of their searches it matched.
pub type Matched = BTreeMap<String, Vec<String>>;

/// Matches the published item `id` against every saved search, notifies the owners and pushes
/// `savedSearchMatches`; answers who was alerted (the fan-out benchmark reads it).
pub async fn match_publication(state: &AppState, id: &str) -> Result<Matched> {
    let connection = state.db.connection();
    let Some(item) = entities::content::Entity::find_by_id(id.to_owned())
        .one(connection)
        .await?
    else {
        return Ok(Matched::new());
    };
    let mut matched = Matched::new();
    let mut answers: HashMap<Question, bool> = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = saved_searches::Entity::find().order_by_asc(saved_searches::Column::Id);
        if let Some(after) = &after {
            query = query.filter(saved_searches::Column::Id.gt(after.as_str()));
        }
        let batch = query.limit(MATCH_BATCH).all(connection).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id.clone());
        let audiences = audiences_of(state, &batch).await?;
        // Many searches ask the same thing: each distinct question is put to the index once.
        let mut owners_by_question: Vec<(String, String, Question)> = Vec::new();
        let mut unasked: HashMap<Question, search::Request> = HashMap::new();
        for search in &batch {
            let Some(audience) = audiences.get(&search.user_id) else {
                continue;
            };
            let question = Question {
                query: search.query.clone().unwrap_or_default(),
                filter: search.filter.clone(),
                include_members: audience.sees_members_content(),
                is_author: search.user_id == item.author_id,
            };
            if !answers.contains_key(&question) && !unasked.contains_key(&question) {
                let Ok(mut request) =
                    request_of(state, search.query.as_deref(), &StoredFilter::of(search))
                else {
                    continue;
                };
                request.list.ids = vec![id.to_owned()];
                access::search_scope(audience, &mut request);
                unasked.insert(question.clone(), request);
            }
            owners_by_question.push((search.user_id.clone(), search.name.clone(), question));
        }
        let service = state.search.clone();
        let answered = tokio::task::spawn_blocking(move || {
            unasked
                .into_iter()
                .map(|(question, request)| {
                    let found = service.index.count(&request).unwrap_or(0) > 0;
                    (question, found)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|error| Error::Internal(error.into()))?;
        answers.extend(answered);
        for (owner, name, question) in owners_by_question {
            if answers.get(&question).copied().unwrap_or(false) {
                matched.entry(owner).or_default().push(name);
            }
        }
        if (batch.len() as u64) < MATCH_BATCH {
            break;
        }
    }
    if matched.is_empty() {
        return Ok(matched);
    }
    let transaction = state.db.begin_write().await?;
    let mut notified = Vec::new();
    for (owner, names) in &matched {
        let message = match names.as_slice() {
            [one] => format!("New for your search “{one}”: “{}”", item.title),
            [first, second, third, rest @ ..] if !rest.is_empty() => format!(
                "New for your searches “{first}”, “{second}”, “{third}” and {} more: “{}”",
                rest.len(),
                item.title
            ),
            _ => format!(
                "New for your searches “{}”: “{}”",
                names.join("”, “"),
                item.title
            ),
        };
        notified.extend(
            inbox::notify(
                &*transaction,
                std::slice::from_ref(owner),
                Notice {
                    kind: NotificationKind::SavedSearchMatched,
                    message,
                    subject: Some((SubjectType::Content, id)),
                },
            )
            .await?,
        );
    }
    transaction.commit().await?;
    state.live.notified(&notified);
    for owner in matched.keys() {
        state.live.matched(owner, id);
    }
    Ok(matched)
}

/// What a saved search asks of one item: its query and filter, and what of the visibility
/// rule bears on it (member content, and the owner's own items). Searches asking the same are
/// answered together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Question {
    query: String,
    filter: String,
    include_members: bool,
    is_author: bool,
}

/// What each owner of `searches` may see now: their role and membership read afresh.
async fn audiences_of(
    state: &AppState,
    searches: &[saved_searches::Model],
) -> Result<HashMap<String, Audience>> {
    let mut owner_ids: Vec<String> = searches
        .iter()
        .map(|search| search.user_id.clone())
        .collect();
    owner_ids.sort();
    owner_ids.dedup();
    let owners = users::Entity::find()
        .filter(users::Column::Id.is_in(owner_ids))
        .all(state.db.connection())
        .await?;
    let mut organisation_ids: Vec<String> = owners
        .iter()
        .filter_map(|owner| owner.organisation_id.clone())
        .collect();
    organisation_ids.sort();
    organisation_ids.dedup();
    let in_good_standing: Vec<String> = organisations::Entity::find()
        .select_only()
        .column(organisations::Column::Id)
        .filter(organisations::Column::Id.is_in(organisation_ids))
        .filter(organisations::Column::MembershipStatus.eq(MembershipStatus::Member.as_str()))
        .into_tuple()
        .all(state.db.connection())
        .await?;
    Ok(owners
        .into_iter()
        .filter_map(|owner| {
            let role = Role::parse(&owner.role)?;
            let user = CallerUser {
                in_member_organisation: owner
                    .organisation_id
                    .as_ref()
                    .is_some_and(|organisation| in_good_standing.contains(organisation)),
                id: owner.id.clone(),
                role,
                trusted: owner.trusted,
                organisation_id: owner.organisation_id,
            };
            Some((owner.id, Audience::of(&user)))
        })
        .collect())
}
