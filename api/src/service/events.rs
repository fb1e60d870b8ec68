//! Registration for events (charter art. 7): a seat while the capacity lasts, then a place on
//! the wait-list; a cancellation gives its seat to the first on the wait-list, who is told.
//! Never over-booked: the count of seats and the new registration are one transaction that
//! holds the event's row (SQLite writes one transaction at a time; PostgreSQL takes the row
//! lock `FOR UPDATE`), and a unique index refuses a second live registration.
//!
//! Who may register: anyone signed in who may see the event, before its registration deadline
//! and its start. Who sees the attendee list: the event's organiser (its author) and the
//! secretariat (`access::sees_interests_of`, the same publisher-side rule).

use chrono::Utc;
use entities::{event_details, event_registrations, users};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::content::types::stored_enum;
use super::content::write::now;
use super::content::{ContentRecord, Details, Kind, Status};
use super::inbox::{self, Notice, NotificationKind, SubjectType};
use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::state::AppState;

stored_enum!(
    /// Where a registration stands.
    RegistrationStatus {
        Registered => "REGISTERED",
        Waitlisted => "WAITLISTED",
        Cancelled => "CANCELLED",
    }
);

/// A registration with the event it is for, and its place on the wait-list.
#[derive(Debug, Clone)]
pub struct Registration {
    pub row: event_registrations::Model,
    pub event: ContentRecord,
    /// 1 for the first on the wait-list; `None` unless WAITLISTED.
    pub waitlist_position: Option<u64>,
}

impl Registration {
    pub fn status(&self) -> RegistrationStatus {
        RegistrationStatus::parse(&self.row.status).unwrap_or(RegistrationStatus::Cancelled)
    }
}

fn details(event: &ContentRecord) -> Result<&event_details::Model> {
    match &event.details {
        Details::Event(details) => Ok(details),
        _ => Err(Error::NotFound("event")),
    }
}

/// The event `key` as `caller` may see it; `NOT_FOUND` otherwise.
async fn visible_event(state: &AppState, caller: &Caller, key: &str) -> Result<ContentRecord> {
    crate::service::content::get(state.db.connection(), caller, key)
        .await?
        .filter(|record| record.kind() == Kind::Event)
        .ok_or(Error::NotFound("event"))
}

/// Holds the event's row until the transaction ends, so that concurrent registrations count
/// seats one after the other. SQLite needs nothing: its writes are one at a time already.
async fn hold_event(connection: &impl ConnectionTrait, event_id: &str) -> Result<()> {
    if connection.get_database_backend() == DbBackend::Postgres {
        connection
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT 1 FROM event_details WHERE content_id = $1 FOR UPDATE",
                [event_id.into()],
            ))
            .await?;
    }
    Ok(())
}

fn live(status: RegistrationStatus) -> sea_orm::Condition {
    sea_orm::Condition::all().add(event_registrations::Column::Status.eq(status.as_str()))
}

async fn count(
    connection: &impl ConnectionTrait,
    event_id: &str,
    status: RegistrationStatus,
) -> Result<u64> {
    Ok(event_registrations::Entity::find()
        .filter(event_registrations::Column::EventId.eq(event_id))
        .filter(live(status))
        .count(connection)
        .await?)
}

/// Where `row` stands on its event's wait-list (1 = next to get a seat).
async fn position(
    connection: &impl ConnectionTrait,
    row: &event_registrations::Model,
) -> Result<Option<u64>> {
    if row.status != RegistrationStatus::Waitlisted.as_str() {
        return Ok(None);
    }
    let ahead = event_registrations::Entity::find()
        .filter(event_registrations::Column::EventId.eq(&row.event_id))
        .filter(live(RegistrationStatus::Waitlisted))
        .filter(event_registrations::Column::Id.lt(&row.id))
        .count(connection)
        .await?;
    Ok(Some(ahead + 1))
}

/// The caller registers for the event `key`: REGISTERED while seats last, WAITLISTED after.
pub async fn register(state: &AppState, caller: &Caller, key: &str) -> Result<Registration> {
    let user = caller.require_user()?;
    let event = visible_event(state, caller, key).await?;
    let details = details(&event)?.clone();
    if event.status() != Status::Published {
        return Err(Error::conflict(
            "only a published event takes registrations",
        ));
    }
    let now_instant = Utc::now();
    if details.starts_at <= now_instant {
        return Err(Error::conflict("the event has already started"));
    }
    if details
        .registration_deadline
        .is_some_and(|deadline| deadline < now_instant)
    {
        return Err(Error::conflict("the registration deadline has passed"));
    }
    let transaction = state.db.begin_write().await?;
    hold_event(&*transaction, &event.core.id).await?;
    let registered = count(
        &*transaction,
        &event.core.id,
        RegistrationStatus::Registered,
    )
    .await?;
    let status = match details.capacity {
        Some(capacity) if registered >= capacity.max(0) as u64 => RegistrationStatus::Waitlisted,
        _ => RegistrationStatus::Registered,
    };
    let timestamp = now();
    let row = event_registrations::Model {
        id: uuid::Uuid::now_v7().to_string(),
        event_id: event.core.id.clone(),
        user_id: user.id.clone(),
        status: status.as_str().to_owned(),
        created_at: timestamp,
        updated_at: timestamp,
    };
    let inserted = event_registrations::Entity::insert(event_registrations::ActiveModel {
        id: Set(row.id.clone()),
        event_id: Set(row.event_id.clone()),
        user_id: Set(row.user_id.clone()),
        status: Set(row.status.clone()),
        created_at: Set(timestamp),
        updated_at: Set(timestamp),
    })
    .exec_without_returning(&*transaction)
    .await;
    if let Err(error) = inserted {
        return Err(match error.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                Error::conflict("you are already registered or on the wait-list for this event")
            }
            _ => error.into(),
        });
    }
    let waitlist_position = position(&*transaction, &row).await?;
    transaction.commit().await?;
    Ok(Registration {
        row,
        event,
        waitlist_position,
    })
}

/// The caller cancels their registration for the event `key`; a freed seat goes to the first
/// on the wait-list, who is notified.
pub async fn cancel(state: &AppState, caller: &Caller, key: &str) -> Result<Registration> {
    let user = caller.require_user()?;
    let event = visible_event(state, caller, key).await?;
    let transaction = state.db.begin_write().await?;
    hold_event(&*transaction, &event.core.id).await?;
    let mine = event_registrations::Entity::find()
        .filter(event_registrations::Column::EventId.eq(&event.core.id))
        .filter(event_registrations::Column::UserId.eq(&user.id))
        .filter(event_registrations::Column::Status.is_in([
            RegistrationStatus::Registered.as_str(),
            RegistrationStatus::Waitlisted.as_str(),
        ]))
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound("registration"))?;
    let timestamp = now();
    set_status(&*transaction, &mine.id, RegistrationStatus::Cancelled).await?;
    let mut notified = Vec::new();
    if mine.status == RegistrationStatus::Registered.as_str() {
        let first_waiting = event_registrations::Entity::find()
            .filter(event_registrations::Column::EventId.eq(&event.core.id))
            .filter(live(RegistrationStatus::Waitlisted))
            .order_by_asc(event_registrations::Column::Id)
            .one(&*transaction)
            .await?;
        if let Some(promoted) = first_waiting {
            set_status(&*transaction, &promoted.id, RegistrationStatus::Registered).await?;
            notified = inbox::notify(
                &*transaction,
                std::slice::from_ref(&promoted.user_id),
                Notice {
                    kind: NotificationKind::RegistrationConfirmed,
                    message: format!(
                        "A seat came free: you are registered for “{}”",
                        event.core.title
                    ),
                    subject: Some((SubjectType::Content, &event.core.id)),
                },
            )
            .await?;
        }
    }
    transaction.commit().await?;
    state.live.notified(&notified);
    Ok(Registration {
        row: event_registrations::Model {
            status: RegistrationStatus::Cancelled.as_str().to_owned(),
            updated_at: timestamp,
            ..mine
        },
        event,
        waitlist_position: None,
    })
}

async fn set_status(
    connection: &impl ConnectionTrait,
    id: &str,
    status: RegistrationStatus,
) -> Result<()> {
    event_registrations::Entity::update_many()
        .col_expr(
            event_registrations::Column::Status,
            Expr::value(status.as_str()),
        )
        .col_expr(event_registrations::Column::UpdatedAt, Expr::value(now()))
        .filter(event_registrations::Column::Id.eq(id))
        .exec(connection)
        .await?;
    Ok(())
}

/// The caller's live registration for `event`, if any.
pub async fn mine(
    state: &AppState,
    caller: &Caller,
    event: &ContentRecord,
) -> Result<Option<Registration>> {
    let Some(user_id) = caller.user_id() else {
        return Ok(None);
    };
    let connection = state.db.connection();
    let Some(row) = event_registrations::Entity::find()
        .filter(event_registrations::Column::EventId.eq(&event.core.id))
        .filter(event_registrations::Column::UserId.eq(user_id))
        .filter(event_registrations::Column::Status.ne(RegistrationStatus::Cancelled.as_str()))
        .one(connection)
        .await?
    else {
        return Ok(None);
    };
    let waitlist_position = position(connection, &row).await?;
    Ok(Some(Registration {
        row,
        event: event.clone(),
        waitlist_position,
    }))
}

/// One attendee row: the registration and who made it.
pub struct Attendee {
    pub registration: event_registrations::Model,
    pub user: users::Model,
}

/// Every registration of the event (all statuses), in registration order, with its person;
/// for the organiser and the secretariat only (`None` for anyone else).
pub async fn attendees(
    state: &AppState,
    caller: &Caller,
    event: &ContentRecord,
) -> Result<Option<Vec<Attendee>>> {
    if !crate::service::access::sees_interests_of(&caller.audience, &event.core.author_id) {
        return Ok(None);
    }
    let connection = state.db.connection();
    let rows = event_registrations::Entity::find()
        .filter(event_registrations::Column::EventId.eq(&event.core.id))
        .order_by_asc(event_registrations::Column::Id)
        .all(connection)
        .await?;
    let user_ids: Vec<String> = rows.iter().map(|row| row.user_id.clone()).collect();
    let people = users::Entity::find()
        .filter(users::Column::Id.is_in(user_ids))
        .all(connection)
        .await?;
    Ok(Some(
        rows.into_iter()
            .filter_map(|registration| {
                let user = people
                    .iter()
                    .find(|user| user.id == registration.user_id)?
                    .clone();
                Some(Attendee { registration, user })
            })
            .collect(),
    ))
}

/// The attendee list as CSV (RFC 4180): name, email, status, registered at.
pub fn attendees_csv(attendees: &[Attendee]) -> String {
    let field = |text: &str| {
        // A leading =, +, - or @ would be a formula to a spreadsheet: quoted with a ' first.
        let text = if text.starts_with(['=', '+', '-', '@']) {
            format!("'{text}")
        } else {
            text.to_owned()
        };
        format!("\"{}\"", text.replace('"', "\"\""))
    };
    let mut csv = String::from("name,email,status,registered_at\r\n");
    for attendee in attendees {
        csv.push_str(&format!(
            "{},{},{},{}\r\n",
            field(attendee.user.name.as_deref().unwrap_or("")),
            field(&attendee.user.email),
            field(&attendee.registration.status),
            field(&attendee.registration.created_at.to_rfc3339()),
        ));
    }
    csv
}

/// Gives the caller a new private calendar feed (replacing, and so revoking, any earlier one);
/// answers its secret, which is shown only now.
pub async fn new_calendar_feed(state: &AppState, caller: &Caller) -> Result<String> {
    use sea_orm::sea_query::OnConflict;
    let user = caller.require_user()?;
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let transaction = state.db.begin_write().await?;
    entities::calendar_feeds::Entity::insert(entities::calendar_feeds::ActiveModel {
        user_id: Set(user.id.clone()),
        token_hash: Set(crate::service::users::hash_token(&token)),
        created_at: Set(now()),
    })
    .on_conflict(
        OnConflict::column(entities::calendar_feeds::Column::UserId)
            .update_columns([
                entities::calendar_feeds::Column::TokenHash,
                entities::calendar_feeds::Column::CreatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&*transaction)
    .await?;
    transaction.commit().await?;
    Ok(token)
}

/// The events the owner of the calendar feed `token` is registered or wait-listed for, as
/// they may see them now; `None` for a token that is not (or no longer) a feed's.
pub async fn calendar_feed(state: &AppState, token: &str) -> Result<Option<Vec<ContentRecord>>> {
    let connection = state.db.connection();
    let Some(feed) = entities::calendar_feeds::Entity::find()
        .filter(
            entities::calendar_feeds::Column::TokenHash
                .eq(crate::service::users::hash_token(token.trim())),
        )
        .one(connection)
        .await?
    else {
        return Ok(None);
    };
    let Some(user) = users::Entity::find_by_id(feed.user_id)
        .one(connection)
        .await?
    else {
        return Ok(None);
    };
    let owner = crate::service::users::caller_for_user(connection, user).await?;
    let event_ids: Vec<String> = event_registrations::Entity::find()
        .filter(event_registrations::Column::UserId.eq(owner.user_id().unwrap_or_default()))
        .filter(event_registrations::Column::Status.ne(RegistrationStatus::Cancelled.as_str()))
        .order_by_desc(event_registrations::Column::Id)
        .limit(crate::limits::MAX_PAGE_SIZE as u64)
        .all(connection)
        .await?
        .into_iter()
        .map(|row| row.event_id)
        .collect();
    let rows = entities::content::Entity::find()
        .filter(entities::content::Column::Id.is_in(event_ids))
        .filter(crate::service::access::content_rows(&owner.audience))
        .all(connection)
        .await?;
    Ok(Some(
        crate::service::content::load_records(connection, rows).await?,
    ))
}
