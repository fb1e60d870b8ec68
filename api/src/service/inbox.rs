//! Each user's inbox: what happened that concerns them (an interest received or answered, a
//! review decision on their content, a membership decision), stored so that it waits for
//! them, newest first, read or unread.
//!
//! A notification is written in the transaction of what it tells of, so the two stand or
//! fall together.

use entities::{notifications, users};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::content::types::stored_enum;
use super::content::write::now;
use super::{RowPage, newest_first_page};
use crate::auth::Caller;
use crate::error::Result;
use crate::state::AppState;

stored_enum!(
    /// What a notification tells of.
    NotificationKind {
        InterestReceived => "INTEREST_RECEIVED",
        InterestAnswered => "INTEREST_ANSWERED",
        InterestWithdrawn => "INTEREST_WITHDRAWN",
        ContentReviewed => "CONTENT_REVIEWED",
        MembershipDecided => "MEMBERSHIP_DECIDED",
        SavedSearchMatched => "SAVED_SEARCH_MATCHED",
        RegistrationConfirmed => "REGISTRATION_CONFIRMED",
    }
);

/// What a notification is about, for its `subject`.
#[derive(Debug, Clone, Copy)]
pub enum SubjectType {
    Interest,
    Content,
    Organisation,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Interest => "interest",
            SubjectType::Content => "content",
            SubjectType::Organisation => "organisation",
        }
    }
}

/// What the cursors of the inbox say they belong to.
const CURSOR_LIST: &str = "Notification";

/// One notification to write.
pub struct Notice<'a> {
    pub kind: NotificationKind,
    pub message: String,
    pub subject: Option<(SubjectType, &'a str)>,
}

/// Adds `notice` to the inbox of each of `user_ids`, in the caller's transaction; answers
/// them, for the caller to announce (`Live::notified`) once the transaction commits.
pub async fn notify(
    connection: &impl ConnectionTrait,
    user_ids: &[String],
    notice: Notice<'_>,
) -> Result<Vec<String>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let created_at = now();
    let rows = user_ids.iter().map(|user_id| notifications::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        user_id: Set(user_id.clone()),
        kind: Set(notice.kind.as_str().to_owned()),
        message: Set(notice.message.clone()),
        subject_type: Set(notice.subject.map(|(kind, _)| kind.as_str().to_owned())),
        subject_id: Set(notice.subject.map(|(_, id)| id.to_owned())),
        created_at: Set(created_at),
        read_at: Set(None),
    });
    notifications::Entity::insert_many(rows)
        .exec_without_returning(connection)
        .await?;
    Ok(user_ids.to_vec())
}

/// Notifies every user of an organisation (a membership decision concerns them all).
pub async fn notify_organisation(
    connection: &impl ConnectionTrait,
    organisation_id: &str,
    notice: Notice<'_>,
) -> Result<Vec<String>> {
    let user_ids: Vec<String> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .filter(users::Column::OrganisationId.eq(organisation_id))
        .into_tuple()
        .all(connection)
        .await?;
    notify(connection, &user_ids, notice).await
}

/// A page of the caller's inbox, with what is still unread over all pages.
pub struct Inbox {
    pub page: RowPage<notifications::Model>,
    pub unread_count: u64,
}

/// Up to `size` of the caller's notifications after the `after` cursor, newest first.
pub async fn inbox(
    state: &AppState,
    caller: &Caller,
    size: u64,
    after: Option<String>,
    unread_only: bool,
) -> Result<Inbox> {
    let user = caller.require_user()?;
    let connection = state.db.connection();
    let mine = notifications::Entity::find().filter(notifications::Column::UserId.eq(&user.id));
    let unread = mine.clone().filter(notifications::Column::ReadAt.is_null());
    let unread_count = unread.clone().count(connection).await?;
    let query = if unread_only { unread } else { mine };
    let total_count = if unread_only {
        unread_count
    } else {
        query.clone().count(connection).await?
    };
    let page = newest_first_page(
        connection,
        query,
        notifications::Column::Id,
        |row| row.id.as_str(),
        CURSOR_LIST,
        (size, after.as_deref()),
        total_count,
    )
    .await?;
    Ok(Inbox { page, unread_count })
}

/// Marks the caller's notifications with these keys read (all of theirs when `None`);
/// others' keys change nothing. Answers how many were unread and now are read.
pub async fn mark_read(
    state: &AppState,
    caller: &Caller,
    keys: Option<Vec<String>>,
) -> Result<u64> {
    let user = caller.require_user()?;
    let mut update = notifications::Entity::update_many()
        .col_expr(notifications::Column::ReadAt, Expr::value(now()))
        .filter(notifications::Column::UserId.eq(&user.id))
        .filter(notifications::Column::ReadAt.is_null());
    if let Some(keys) = keys {
        if keys.is_empty() {
            return Ok(0);
        }
        update = update.filter(notifications::Column::Id.is_in(keys));
    }
    let transaction = state.db.begin_write().await?;
    let result = update.exec(&*transaction).await?;
    transaction.commit().await?;
    Ok(result.rows_affected)
}

/// One of the caller's notifications, by key; `None` when it is not theirs.
pub async fn get(
    state: &AppState,
    caller: &Caller,
    key: &str,
) -> Result<Option<notifications::Model>> {
    let Some(user_id) = caller.user_id() else {
        return Ok(None);
    };
    Ok(notifications::Entity::find_by_id(key.to_owned())
        .filter(notifications::Column::UserId.eq(user_id))
        .one(state.db.connection())
        .await?)
}

/// The key of `user_id`'s newest notification, if any: where a live inbox starts.
pub async fn newest_key(state: &AppState, user_id: &str) -> Result<Option<String>> {
    Ok(notifications::Entity::find()
        .filter(notifications::Column::UserId.eq(user_id))
        .order_by_desc(notifications::Column::Id)
        .one(state.db.connection())
        .await?
        .map(|row| row.id))
}

/// `user_id`'s notifications newer than the key `after` (all when `None`), oldest first, at
/// most a page.
pub async fn newer_than(
    state: &AppState,
    user_id: &str,
    after: Option<&str>,
) -> Result<Vec<notifications::Model>> {
    let mut query = notifications::Entity::find().filter(notifications::Column::UserId.eq(user_id));
    if let Some(after) = after {
        query = query.filter(notifications::Column::Id.gt(after));
    }
    Ok(query
        .order_by_asc(notifications::Column::Id)
        .limit(crate::limits::MAX_PAGE_SIZE as u64)
        .all(state.db.connection())
        .await?)
}
