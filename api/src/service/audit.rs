//! The audit log: every security-relevant action, kept for the secretariat.

use entities::audit_log;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::auth::Caller;
use crate::error::Result;
use crate::limits::{AUDIT_DETAIL_MAX_CHARS, AUDIT_FIELD_MAX_CHARS};

pub const LOGIN_SUCCEEDED: &str = "LOGIN_SUCCEEDED";
pub const LOGIN_FAILED: &str = "LOGIN_FAILED";
pub const LOGIN_THROTTLED: &str = "LOGIN_THROTTLED";
pub const USER_REGISTERED: &str = "USER_REGISTERED";
pub const TOKEN_REVOKED: &str = "TOKEN_REVOKED";
pub const ROLE_CHANGED: &str = "ROLE_CHANGED";
pub const SCOPE_CHANGED: &str = "SCOPE_CHANGED";
pub const MEMBERSHIP: &str = "MEMBERSHIP";
pub const CONTENT_TRANSITION: &str = "CONTENT_TRANSITION";

/// What an entry is about.
pub struct Subject<'a> {
    pub kind: &'a str,
    pub id: &'a str,
}

/// Records `action` by `caller` (or by `actor_id` when given). Written in the caller's
/// At most `max` characters of `text`, so that what an attacker sends (a megabyte-long
/// "email" on every failed login) cannot fill the disk through the audit log.
fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// transaction where there is one, so the action and its record stand or fall together.
pub async fn record(
    connection: &impl ConnectionTrait,
    caller: &Caller,
    actor_id: Option<&str>,
    action: &str,
    subject: Option<Subject<'_>>,
    detail: impl Into<Option<String>>,
) -> Result<()> {
    audit_log::Entity::insert(audit_log::ActiveModel {
        actor_id: Set(actor_id.or(caller.user_id()).map(str::to_owned)),
        action: Set(action.to_owned()),
        subject_type: Set(subject.as_ref().map(|subject| subject.kind.to_owned())),
        subject_id: Set(subject
            .as_ref()
            .map(|subject| bounded(subject.id, AUDIT_FIELD_MAX_CHARS))),
        detail: Set(detail
            .into()
            .map(|detail| bounded(&detail, AUDIT_DETAIL_MAX_CHARS))),
        client_address: Set(caller
            .client_address
            .as_deref()
            .map(|address| bounded(address, AUDIT_FIELD_MAX_CHARS))),
        created_at: Set(crate::service::content::write::now()),
        ..Default::default()
    })
    .exec_without_returning(connection)
    .await?;
    Ok(())
}

/// The newest entries first, for the secretariat only; `before` is an entry id to page back from.
pub async fn list(
    connection: &impl ConnectionTrait,
    caller: &Caller,
    action: Option<String>,
    first: u64,
    before: Option<i64>,
) -> Result<Vec<audit_log::Model>> {
    caller.require_secretariat()?;
    let mut query = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Id)
        .limit(first);
    if let Some(action) = action {
        query = query.filter(audit_log::Column::Action.eq(action));
    }
    if let Some(before) = before {
        query = query.filter(audit_log::Column::Id.lt(before));
    }
    Ok(query.all(connection).await?)
}
