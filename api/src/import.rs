//! `infoharbor import FILE`: loads content from NDJSON, one item per line, the way a
//! secretariat migrates an old portal and the benchmarks load their corpus.
//!
//! A line is the kind's create input as the API takes it (`content`, `opportunityType`, …)
//! plus `kind` (OPPORTUNITY, POLICY, RESEARCH or EVENT), `author` (the email of a
//! correspondent or of the secretariat), and optionally `status` (default PUBLISHED) and
//! `publishedAt`. Every line is validated as the API validates a create (dates in the past
//! are allowed: old content is imported as it was); an invalid line is reported by its number
//! and skipped. Valid lines are written in transactions of `batch` items, each item with its
//! history and change-log row; a batch the database refuses is retried line by line, so one
//! bad line never takes others with it and nothing is half-written. Indexing waits for the
//! end: the index is then built once, and the tables' statistics are refreshed (`ANALYZE`).

use std::collections::HashMap;
use std::io::BufRead;

use anyhow::Context;
use async_graphql::InputType;
use entities::users;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value};

use crate::auth::Role;
use crate::graphql::scalars::DateTime;
use crate::kinds::event::EventInput;
use crate::kinds::opportunity::OpportunityInput;
use crate::kinds::policy::PolicyInput;
use crate::kinds::research::ResearchResultInput;
use crate::service::content::write::{NewItem, insert};
use crate::service::content::{ContentDraft, Kind, Purpose, Status};
use crate::state::AppState;

/// Lines whose reasons the summary prints; the count covers all of them.
const REASONS_SHOWN: usize = 20;

/// One line, validated and ready to write.
struct Valid {
    line: usize,
    author_id: String,
    draft: ContentDraft,
    status: Status,
    published_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Default)]
pub struct Summary {
    pub lines: usize,
    pub imported: usize,
    pub published: usize,
    /// (line number, reason)
    pub skipped: Vec<(usize, String)>,
}

/// Imports the NDJSON read from `input`, `batch` items per transaction, reporting progress
/// as (lines read, items imported).
pub async fn import(
    state: &AppState,
    input: impl BufRead,
    batch: usize,
    progress: impl Fn(usize, usize),
) -> anyhow::Result<Summary> {
    anyhow::ensure!(batch > 0, "the batch size must be at least 1");
    let mut summary = Summary::default();
    let mut authors = Authors::default();
    let mut pending: Vec<Valid> = Vec::with_capacity(batch);
    state.search.defer_indexing(true);
    let outcome = async {
        for (index, line) in input.split(b'\n').enumerate() {
            let number = index + 1;
            let line = line.with_context(|| format!("failed to read line {number}"))?;
            summary.lines = number;
            // A line that is not UTF-8 is an invalid line like any other, not the end.
            let Ok(line) = String::from_utf8(line) else {
                summary.skipped.push((number, "not UTF-8 text".into()));
                continue;
            };
            if line.trim().is_empty() {
                continue;
            }
            match validate(state, &mut authors, number, &line).await {
                Ok(valid) => pending.push(valid),
                Err(reason) => summary.skipped.push((number, reason)),
            }
            if pending.len() >= batch {
                write(state, std::mem::take(&mut pending), &mut summary).await?;
                progress(summary.lines, summary.imported);
            }
        }
        write(state, pending, &mut summary).await?;
        progress(summary.lines, summary.imported);
        anyhow::Ok(())
    }
    .await;
    state.search.defer_indexing(false);
    outcome?;
    if summary.imported > 0 {
        index_imported(state, summary.imported).await?;
        analyze(state).await?;
    }
    Ok(summary)
}

/// What a line says, checked as the API checks a create; the reason when it is invalid.
async fn validate(
    state: &AppState,
    authors: &mut Authors,
    line: usize,
    text: &str,
) -> Result<Valid, String> {
    let Value::Object(mut fields) =
        serde_json::from_str::<Value>(text).map_err(|error| format!("not JSON: {error}"))?
    else {
        return Err("not a JSON object".into());
    };
    let mut take = |name: &str| fields.remove(name);
    let kind = match take("kind") {
        Some(Value::String(kind)) => Kind::from_input("kind", &kind).map_err(|e| e.to_string())?,
        _ => return Err("kind: required (OPPORTUNITY, POLICY, RESEARCH or EVENT)".into()),
    };
    let Some(Value::String(email)) = take("author") else {
        return Err("author: required (the email of a correspondent or the secretariat)".into());
    };
    let status = match take("status") {
        None | Some(Value::Null) => Status::Published,
        Some(Value::String(status)) => {
            Status::from_input("status", &status).map_err(|e| e.to_string())?
        }
        Some(_) => return Err("status: must be a string".into()),
    };
    let published_at = match take("publishedAt") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            DateTime::parse(Some(
                async_graphql::Value::from_json(value).map_err(|e| e.to_string())?,
            ))
            .map_err(|error| {
                format!(
                    "publishedAt: {}",
                    error.into_server_error(Default::default()).message
                )
            })?
            .0,
        ),
    };
    let draft = draft(state, kind, fields)?;
    let author_id = authors.id_of(state, &email).await?;
    Ok(Valid {
        line,
        author_id,
        draft,
        status,
        published_at,
    })
}

/// The kind's create input read from the rest of the line, and validated.
fn draft(state: &AppState, kind: Kind, fields: Map<String, Value>) -> Result<ContentDraft, String> {
    let value =
        async_graphql::Value::from_json(Value::Object(fields)).map_err(|e| e.to_string())?;
    fn parsed<T: InputType>(value: async_graphql::Value) -> Result<T, String> {
        T::parse(Some(value)).map_err(|error| error.into_server_error(Default::default()).message)
    }
    let reference = &state.reference;
    let outcome = match kind {
        Kind::Opportunity => {
            parsed::<OpportunityInput>(value)?.validate(reference, Purpose::Update)
        }
        Kind::Policy => parsed::<PolicyInput>(value)?.validate(reference),
        Kind::Research => parsed::<ResearchResultInput>(value)?.validate(reference),
        Kind::Event => parsed::<EventInput>(value)?.validate(reference, Purpose::Update),
    };
    outcome.map_err(|error| error.to_string())
}

/// Authors by email, each looked up once.
#[derive(Default)]
struct Authors(HashMap<String, Result<String, String>>);

impl Authors {
    async fn id_of(&mut self, state: &AppState, email: &str) -> Result<String, String> {
        if let Some(known) = self.0.get(email) {
            return known.clone();
        }
        let found = users::Entity::find()
            .filter(users::Column::Email.eq(email.trim().to_lowercase()))
            .one(state.db.connection())
            .await
            .map_err(|error| format!("author: failed to look it up: {error}"))?;
        let outcome = match found {
            None => Err(format!("author: no user {email}")),
            Some(user) => match Role::parse(&user.role) {
                Some(Role::Correspondent | Role::Secretariat) => Ok(user.id),
                _ => Err(format!(
                    "author: {email} is a {}; only correspondents and the secretariat write content",
                    user.role.to_lowercase()
                )),
            },
        };
        self.0.insert(email.to_owned(), outcome.clone());
        outcome
    }
}

/// Writes `items` in one transaction; if the database refuses it, item by item, each alone,
/// so that the refused line is reported and the others are written.
async fn write(state: &AppState, items: Vec<Valid>, summary: &mut Summary) -> anyhow::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    if write_together(state, &items).await.is_ok() {
        count(summary, &items);
        return Ok(());
    }
    for item in items {
        match write_together(state, std::slice::from_ref(&item)).await {
            Ok(()) => count(summary, std::slice::from_ref(&item)),
            Err(error) => summary
                .skipped
                .push((item.line, format!("the database refused it: {error}"))),
        }
    }
    Ok(())
}

fn count(summary: &mut Summary, items: &[Valid]) {
    summary.imported += items.len();
    summary.published += items
        .iter()
        .filter(|item| item.status == Status::Published)
        .count();
}

async fn write_together(state: &AppState, items: &[Valid]) -> crate::error::Result<()> {
    let transaction = state.db.begin_write().await?;
    for item in items {
        insert(
            &*transaction,
            NewItem {
                author_id: &item.author_id,
                draft: &item.draft,
                status: item.status,
                published_at: item.published_at,
                seed_key: None,
                announce: false,
            },
        )
        .await?;
    }
    transaction.commit().await?;
    Ok(())
}

/// Brings the index up to date once, at the end: a replay of the new change-log rows for a
/// small import, a rebuild (one pass over the tables) for a large one.
async fn index_imported(state: &AppState, imported: usize) -> anyhow::Result<()> {
    if !state.search.has_writer() {
        // A running server holds the index; its follower picks the new rows up.
        return Ok(());
    }
    const REPLAY_UP_TO: usize = 2_000;
    if imported <= REPLAY_UP_TO {
        crate::service::search::replay(state)
            .await
            .context("failed to index the imported items")?;
    } else {
        crate::service::search::rebuild(state, |_, _| {})
            .await
            .context("failed to build the search index")?;
    }
    Ok(())
}

/// Refreshes the planner's statistics after a bulk load (both databases know `ANALYZE`).
async fn analyze(state: &AppState) -> anyhow::Result<()> {
    state
        .db
        .connection()
        .execute_unprepared("ANALYZE")
        .await
        .context("failed to refresh the table statistics (ANALYZE)")?;
    Ok(())
}

/// The summary a person reads after an import.
pub fn report(summary: &Summary, seconds: f64) -> String {
    let mut text = format!(
        "imported {} items ({} published) from {} lines in {seconds:.1} s ({:.0} items/s)",
        summary.imported,
        summary.published,
        summary.lines,
        summary.imported as f64 / seconds.max(1e-9)
    );
    if !summary.skipped.is_empty() {
        text.push_str(&format!("\nskipped {} lines:", summary.skipped.len()));
        for (line, reason) in summary.skipped.iter().take(REASONS_SHOWN) {
            text.push_str(&format!("\n  line {line}: {reason}"));
        }
        if summary.skipped.len() > REASONS_SHOWN {
            text.push_str(&format!(
                "\n  … and {} more",
                summary.skipped.len() - REASONS_SHOWN
            ));
        }
    }
    text
}
