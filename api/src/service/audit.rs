//! The audit log: every security-relevant action, kept for the secretariat.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entities::audit_log;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::auth::Caller;
use crate::error::{Error, Result};
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
pub const INTEREST: &str = "INTEREST";
pub const EXCHANGE_RATE: &str = "EXCHANGE_RATE";

/// What an entry is about.
pub struct Subject<'a> {
    pub kind: &'a str,
    pub id: &'a str,
}

/// At most `max` characters of `text`, so that what an attacker sends (a megabyte-long
/// "email" on every failed login) cannot fill the disk through the audit log.
fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Records `action` by `caller` (or by `actor_id` when given). Written in the caller's
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

/// A page of audit entries, newest first.
pub type AuditPage = super::RowPage<audit_log::Model>;

/// Where a page of the log starts: an entry's number, opaque to clients. Numbers only grow,
/// so a cursor stays put while new entries are written.
pub fn cursor(number: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("AuditEntry:{number}"))
}

/// The entry number of a cursor; `BAD_USER_INPUT` naming `field` when it is not one.
pub fn decode_cursor(field: &str, encoded: &str) -> Result<i64> {
    let invalid = || Error::bad_input(field, "not a cursor of this list");
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded.as_bytes())
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix("AuditEntry:")
        .and_then(|number| number.parse().ok())
        .ok_or_else(invalid)
}

/// Up to `size` entries older than entry `older_than` (all when `None`), newest first, for the
/// secretariat only.
pub async fn list(
    connection: &impl ConnectionTrait,
    caller: &Caller,
    action: Option<String>,
    size: u64,
    older_than: Option<i64>,
) -> Result<AuditPage> {
    caller.require_secretariat()?;
    let mut query = audit_log::Entity::find();
    if let Some(action) = action {
        query = query.filter(audit_log::Column::Action.eq(action));
    }
    let total_count = query.clone().count(connection).await?;
    if let Some(older_than) = older_than {
        query = query.filter(audit_log::Column::Id.lt(older_than));
    }
    let mut entries = query
        .order_by_desc(audit_log::Column::Id)
        .limit(size + 1)
        .all(connection)
        .await?;
    let has_next_page = entries.len() as u64 > size;
    entries.truncate(size as usize);
    let cursors = entries.iter().map(|entry| cursor(entry.id)).collect();
    Ok(AuditPage {
        rows: entries,
        cursors,
        has_next_page,
        has_previous_page: older_than.is_some(),
        total_count,
    })
}
