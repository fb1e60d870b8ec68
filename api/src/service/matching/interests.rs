//! Expressions of interest: a member or investor tells an opportunity's publisher side that
//! they want to talk; the author (or the secretariat) accepts or declines; the requester may
//! withdraw. Contacts are released only on acceptance, each side receiving the other's (the
//! access module's `InterestParty`). Every step is audited and lands in the other side's
//! inbox, in the same transaction.

use chrono::{DateTime, Utc};
use entities::{content, interests};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::auth::Caller;
use crate::domain;
use crate::error::{Error, Result};
use crate::limits::INTEREST_MESSAGE_MAX_CHARS;
use crate::service::{RowPage, newest_first_page};

/// What the cursors of interest lists say they belong to.
const CURSOR_LIST: &str = "Interest";
use crate::service::access::{self, InterestParty};
use crate::service::audit::{self, Subject};
use crate::service::content::types::stored_enum;
use crate::service::content::write::now;
use crate::service::content::{ContentRecord, Details, Kind, Status, Visibility, load_records};
use crate::service::inbox::{self, Notice, NotificationKind, SubjectType};
use crate::state::AppState;

stored_enum!(
    /// Where an expression of interest stands. PENDING and ACCEPTED are open: a requester
    /// holds at most one open interest per opportunity.
    InterestStatus {
        Pending => "PENDING",
        Accepted => "ACCEPTED",
        Declined => "DECLINED",
        Withdrawn => "WITHDRAWN",
    }
);

/// An interest with the opportunity it is about.
#[derive(Debug, Clone)]
pub struct InterestRecord {
    pub row: interests::Model,
    pub opportunity: ContentRecord,
}

impl InterestRecord {
    pub fn status(&self) -> InterestStatus {
        InterestStatus::parse(&self.row.status).unwrap_or(InterestStatus::Withdrawn)
    }

    pub fn party(&self, caller: &Caller) -> InterestParty {
        let party = InterestParty::of(
            &caller.audience,
            &self.row.requester_id,
            &self.opportunity.core.author_id,
        );
        // A requester who may no longer see member content (their organisation was expelled,
        // say) loses their interests in member-only opportunities with it.
        if party == InterestParty::Requester
            && !access::sees_visibility(&caller.audience, self.opportunity.visibility())
        {
            return InterestParty::Stranger;
        }
        party
    }

    /// The opportunity's contact as the requester receives it once accepted: the contact it
    /// names, else nothing (the caller then shows its author's email).
    pub fn opportunity_contact(&self) -> Option<&str> {
        match &self.opportunity.details {
            Details::Opportunity(details) => details.contact.as_deref(),
            _ => None,
        }
    }
}

/// Reads interests with their opportunities, whatever the opportunities' status: a party
/// keeps seeing what their interest is about.
async fn with_opportunities(
    connection: &impl ConnectionTrait,
    rows: Vec<interests::Model>,
) -> Result<Vec<InterestRecord>> {
    let mut ids: Vec<String> = rows.iter().map(|row| row.opportunity_id.clone()).collect();
    ids.sort();
    ids.dedup();
    let cores = content::Entity::find()
        .filter(content::Column::Id.is_in(ids))
        .all(connection)
        .await?;
    let opportunities = load_records(connection, cores).await?;
    rows.into_iter()
        .map(|row| {
            let opportunity = opportunities
                .iter()
                .find(|record| record.core.id == row.opportunity_id)
                .cloned()
                .ok_or_else(|| {
                    Error::Internal(anyhow::anyhow!(
                        "interest {} names a missing opportunity",
                        row.id
                    ))
                })?;
            Ok(InterestRecord { row, opportunity })
        })
        .collect()
}

async fn load(connection: &impl ConnectionTrait, key: &str) -> Result<Option<InterestRecord>> {
    let Some(row) = interests::Entity::find_by_id(key.to_owned())
        .one(connection)
        .await?
    else {
        return Ok(None);
    };
    Ok(with_opportunities(connection, vec![row]).await?.pop())
}

/// One interest, for its parties only; `None` for anyone else, as if it did not exist.
pub async fn get(state: &AppState, caller: &Caller, key: &str) -> Result<Option<InterestRecord>> {
    let record = load(state.db.connection(), key).await?;
    Ok(record.filter(|record| record.party(caller).sees_interest()))
}

/// The caller expresses interest in the opportunity `opportunity_key` with `message`.
pub async fn express(
    state: &AppState,
    caller: &Caller,
    opportunity_key: &str,
    message: &str,
) -> Result<InterestRecord> {
    let user = caller.require_user()?;
    let connection = state.db.connection();
    let opportunity = crate::service::content::get(connection, caller, opportunity_key)
        .await?
        .filter(|record| record.kind() == Kind::Opportunity)
        .ok_or(Error::NotFound("opportunity"))?;
    let has_profile = super::profile::of_user(connection, &user.id)
        .await?
        .is_some();
    if !access::may_express_interest(
        &caller.audience,
        user,
        has_profile,
        &opportunity.core.author_id,
    ) {
        return Err(Error::forbidden(
            "only members and investors may express interest, and never in their own opportunity",
        ));
    }
    if opportunity.status() != Status::Published {
        return Err(Error::conflict(
            "only a published opportunity takes interest",
        ));
    }
    if let Details::Opportunity(details) = &opportunity.details
        && details
            .deadline
            .is_some_and(|deadline| deadline < Utc::now().date_naive())
    {
        return Err(Error::conflict(
            "the opportunity's deadline has passed; it takes no new interest",
        ));
    }
    let message = domain::required_text("message", message, INTEREST_MESSAGE_MAX_CHARS)?;
    let timestamp = now();
    let row = interests::Model {
        id: uuid::Uuid::now_v7().to_string(),
        opportunity_id: opportunity.core.id.clone(),
        requester_id: user.id.clone(),
        message,
        status: InterestStatus::Pending.as_str().to_owned(),
        response_note: None,
        responded_by: None,
        created_at: timestamp,
        responded_at: None,
        updated_at: timestamp,
    };
    let transaction = state.db.begin_write().await?;
    let inserted = interests::Entity::insert(interests::ActiveModel {
        id: Set(row.id.clone()),
        opportunity_id: Set(row.opportunity_id.clone()),
        requester_id: Set(row.requester_id.clone()),
        message: Set(row.message.clone()),
        status: Set(row.status.clone()),
        response_note: Set(None),
        responded_by: Set(None),
        created_at: Set(timestamp),
        responded_at: Set(None),
        updated_at: Set(timestamp),
    })
    .exec_without_returning(&*transaction)
    .await;
    if let Err(error) = inserted {
        return Err(match error.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Error::conflict(
                "you already have an open interest in this opportunity; withdraw it first",
            ),
            _ => error.into(),
        });
    }
    record_step(
        &*transaction,
        caller,
        &row.id,
        "expressed interest".to_owned(),
    )
    .await?;
    let notified = inbox::notify(
        &*transaction,
        std::slice::from_ref(&opportunity.core.author_id),
        Notice {
            kind: NotificationKind::InterestReceived,
            message: format!("New interest in “{}”", opportunity.core.title),
            subject: Some((SubjectType::Interest, &row.id)),
        },
    )
    .await?;
    transaction.commit().await?;
    state.live.notified(&notified);
    Ok(InterestRecord { row, opportunity })
}

async fn record_step(
    connection: &impl ConnectionTrait,
    caller: &Caller,
    key: &str,
    detail: String,
) -> Result<()> {
    audit::record(
        connection,
        caller,
        None,
        audit::INTEREST,
        Some(Subject {
            kind: "interest",
            id: key,
        }),
        detail,
    )
    .await
}

/// One move of an interest: from one of `from` to `to`, answered by `answer` (who, and their
/// note) when it is an answer, and told to `tell` in their inbox.
struct Move<'a> {
    from: &'a [InterestStatus],
    to: InterestStatus,
    answer: Option<(&'a str, Option<String>)>,
    tell: &'a str,
    kind: NotificationKind,
    message: String,
}

/// Makes `step` in one transaction with its audit entry and its notification, guarded by the
/// status read, so that of two racing moves one wins and the other conflicts.
async fn apply(
    state: &AppState,
    caller: &Caller,
    record: &InterestRecord,
    step: Move<'_>,
) -> Result<InterestRecord> {
    if !step.from.contains(&record.status()) {
        return Err(Error::conflict(format!(
            "the interest is {}; this needs it to be {}",
            record.row.status,
            step.from
                .iter()
                .map(|status| status.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        )));
    }
    let key = record.row.id.as_str();
    let timestamp = now();
    let mut update = interests::Entity::update_many()
        .col_expr(interests::Column::Status, Expr::value(step.to.as_str()))
        .col_expr(interests::Column::UpdatedAt, Expr::value(timestamp));
    if let Some((responder, note)) = step.answer {
        update = update
            .col_expr(interests::Column::RespondedAt, Expr::value(timestamp))
            .col_expr(interests::Column::RespondedBy, Expr::value(responder))
            .col_expr(interests::Column::ResponseNote, Expr::value(note));
    }
    let transaction = state.db.begin_write().await?;
    let result = update
        .filter(interests::Column::Id.eq(key))
        .filter(interests::Column::Status.eq(&record.row.status))
        .exec(&*transaction)
        .await?;
    if result.rows_affected != 1 {
        return Err(Error::conflict(
            "the interest changed meanwhile; reload it and try again",
        ));
    }
    let detail = format!("{} → {}", record.row.status, step.to.as_str());
    record_step(&*transaction, caller, key, detail).await?;
    let notice = Notice {
        kind: step.kind,
        message: step.message,
        subject: Some((SubjectType::Interest, key)),
    };
    let notified = inbox::notify(&*transaction, &[step.tell.to_owned()], notice).await?;
    let updated = load(&*transaction, key)
        .await?
        .ok_or(Error::NotFound("interest"))?;
    transaction.commit().await?;
    state.live.notified(&notified);
    Ok(updated)
}

/// The publisher side accepts or declines a pending interest, with an optional note.
pub async fn respond(
    state: &AppState,
    caller: &Caller,
    key: &str,
    accept: bool,
    note: Option<String>,
) -> Result<InterestRecord> {
    let user = caller.require_user()?;
    let record = get(state, caller, key)
        .await?
        .ok_or(Error::NotFound("interest"))?;
    if !record.party(caller).may_respond() {
        return Err(Error::forbidden(
            "only the opportunity's author or the secretariat may answer an interest",
        ));
    }
    let note = domain::optional_text("note", note.as_deref(), INTEREST_MESSAGE_MAX_CHARS)?;
    let (to, answer) = if accept {
        (InterestStatus::Accepted, "accepted")
    } else {
        (InterestStatus::Declined, "declined")
    };
    let title = &record.opportunity.core.title;
    let step = Move {
        from: &[InterestStatus::Pending],
        to,
        answer: Some((&user.id, note)),
        tell: &record.row.requester_id,
        kind: NotificationKind::InterestAnswered,
        message: format!("Your interest in “{title}” was {answer}"),
    };
    apply(state, caller, &record, step).await
}

/// The requester withdraws an open interest.
pub async fn withdraw(state: &AppState, caller: &Caller, key: &str) -> Result<InterestRecord> {
    caller.require_user()?;
    let record = get(state, caller, key)
        .await?
        .ok_or(Error::NotFound("interest"))?;
    if !record.party(caller).may_withdraw() {
        return Err(Error::forbidden(
            "only the requester may withdraw an interest",
        ));
    }
    let title = &record.opportunity.core.title;
    let step = Move {
        from: &[InterestStatus::Pending, InterestStatus::Accepted],
        to: InterestStatus::Withdrawn,
        answer: None,
        tell: &record.opportunity.core.author_id,
        kind: NotificationKind::InterestWithdrawn,
        message: format!("An interest in “{title}” was withdrawn"),
    };
    apply(state, caller, &record, step).await
}

/// Which interests a list holds.
#[derive(Debug, Clone)]
pub enum Among {
    /// The caller's own, as requester.
    Sent,
    /// On the caller's opportunities; every interest for the secretariat, who answers for
    /// every publisher.
    Received,
    /// On one opportunity, for its author and the secretariat (`access::sees_interests_of`).
    Opportunity { id: String, author_id: String },
}

/// A page of interests, newest first; `None` when the caller may not see the list.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    among: Among,
    statuses: &[InterestStatus],
    size: u64,
    after: Option<String>,
) -> Result<Option<RowPage<InterestRecord>>> {
    if let Among::Opportunity { author_id, .. } = &among
        && !access::sees_interests_of(&caller.audience, author_id)
    {
        return Ok(None);
    }
    let user = caller.require_user()?;
    let connection = state.db.connection();
    let mut query = interests::Entity::find();
    match &among {
        Among::Sent => {
            query = query.filter(interests::Column::RequesterId.eq(&user.id));
            if !access::sees_visibility(&caller.audience, Visibility::Members) {
                let public = Query::select()
                    .column(content::Column::Id)
                    .from(content::Entity)
                    .and_where(content::Column::Visibility.eq(Visibility::Public.as_str()))
                    .to_owned();
                query = query.filter(interests::Column::OpportunityId.in_subquery(public));
            }
        }
        Among::Received if caller.is_secretariat() => {}
        Among::Received => {
            let own = Query::select()
                .column(content::Column::Id)
                .from(content::Entity)
                .and_where(content::Column::AuthorId.eq(&user.id))
                .and_where(content::Column::Kind.eq(Kind::Opportunity.as_str()))
                .to_owned();
            query = query.filter(interests::Column::OpportunityId.in_subquery(own));
        }
        Among::Opportunity { id, .. } => {
            query = query.filter(interests::Column::OpportunityId.eq(id));
        }
    }
    if !statuses.is_empty() {
        query = query
            .filter(interests::Column::Status.is_in(statuses.iter().map(|status| status.as_str())));
    }
    let total_count = query.clone().count(connection).await?;
    let page = newest_first_page(
        connection,
        query,
        interests::Column::Id,
        |row| row.id.as_str(),
        CURSOR_LIST,
        (size, after.as_deref()),
        total_count,
    )
    .await?;
    Ok(Some(RowPage {
        rows: with_opportunities(connection, page.rows).await?,
        cursors: page.cursors,
        has_next_page: page.has_next_page,
        has_previous_page: page.has_previous_page,
        total_count,
    }))
}

/// How an opportunity's interests stand, for its author and the secretariat.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub pending: u64,
    pub accepted: u64,
    pub declined: u64,
    pub withdrawn: u64,
    pub first_interest_at: Option<DateTime<Utc>>,
    pub first_response_at: Option<DateTime<Utc>>,
}

impl Summary {
    pub fn total(&self) -> u64 {
        self.pending + self.accepted + self.declined + self.withdrawn
    }
}

pub async fn summary(connection: &impl ConnectionTrait, opportunity_id: &str) -> Result<Summary> {
    let of_opportunity =
        interests::Entity::find().filter(interests::Column::OpportunityId.eq(opportunity_id));
    let counts: Vec<(String, i64)> = of_opportunity
        .clone()
        .select_only()
        .column(interests::Column::Status)
        .column_as(interests::Column::Id.count(), "count")
        .group_by(interests::Column::Status)
        .into_tuple()
        .all(connection)
        .await?;
    let mut summary = Summary::default();
    for (status, count) in counts {
        let count = count.max(0) as u64;
        match InterestStatus::parse(&status) {
            Some(InterestStatus::Pending) => summary.pending = count,
            Some(InterestStatus::Accepted) => summary.accepted = count,
            Some(InterestStatus::Declined) => summary.declined = count,
            Some(InterestStatus::Withdrawn) | None => summary.withdrawn += count,
        }
    }
    summary.first_interest_at = of_opportunity
        .clone()
        .order_by_asc(interests::Column::CreatedAt)
        .one(connection)
        .await?
        .map(|row| row.created_at);
    summary.first_response_at = of_opportunity
        .filter(interests::Column::RespondedAt.is_not_null())
        .order_by_asc(interests::Column::RespondedAt)
        .one(connection)
        .await?
        .and_then(|row| row.responded_at);
    Ok(summary)
}

/// The opportunities the caller has expressed interest in, with whether that interest is
/// still open (recommendations leave those out, and learn from all of them).
pub async fn opportunities_of_requester(
    connection: &impl ConnectionTrait,
    requester_id: &str,
) -> Result<Vec<(String, bool)>> {
    let rows: Vec<(String, String)> = interests::Entity::find()
        .select_only()
        .column(interests::Column::OpportunityId)
        .column(interests::Column::Status)
        .filter(interests::Column::RequesterId.eq(requester_id))
        .order_by_desc(interests::Column::Id)
        .limit(200)
        .into_tuple()
        .all(connection)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, status)| {
            let open = matches!(
                InterestStatus::parse(&status),
                Some(InterestStatus::Pending | InterestStatus::Accepted)
            );
            (id, open)
        })
        .collect())
}
