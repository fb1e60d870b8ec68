//! Service functions: the rules of the exchange (permissions, transactions, the change log).
//! Resolvers call these and nothing below them.

pub mod access;

/// How many items a page holds, and whether it is read backwards (`last`): the one rule for
/// every list and search. [`DEFAULT_PAGE_SIZE`] when neither `first` nor `last` is given, at
/// most [`MAX_PAGE_SIZE`], refused (never silently cut) above.
///
/// [`DEFAULT_PAGE_SIZE`]: crate::limits::DEFAULT_PAGE_SIZE
/// [`MAX_PAGE_SIZE`]: crate::limits::MAX_PAGE_SIZE
pub fn page_window(first: Option<i32>, last: Option<i32>) -> crate::error::Result<(usize, bool)> {
    use crate::error::Error;
    use crate::limits::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
    let (field, requested, backwards) = match (first, last) {
        (Some(_), Some(_)) => return Err(Error::bad_input("last", "give first or last, not both")),
        (None, Some(last)) => ("last", last, true),
        (Some(first), None) => ("first", first, false),
        (None, None) => ("first", DEFAULT_PAGE_SIZE, false),
    };
    if !(0..=MAX_PAGE_SIZE).contains(&requested) {
        return Err(Error::bad_input(
            field,
            format!("must be between 0 and {MAX_PAGE_SIZE}, got {requested}"),
        ));
    }
    Ok((requested as usize, backwards))
}

/// One page of rows as a keyset-paged list returns it (organisations, the audit log).
#[derive(Debug, Clone)]
pub struct RowPage<T> {
    pub rows: Vec<T>,
    /// One per row: where the next (or previous) page starts when read from it.
    pub cursors: Vec<String>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    /// Rows the filter admits over all pages.
    pub total_count: u64,
}

/// The cursor of a row in a list ordered by its key alone (the inbox, interests): base64url
/// of `List:key`, opaque to clients.
pub fn key_cursor(list: &str, key: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{list}:{key}"))
}

/// The key a [`key_cursor`] of `list` stands at; `BAD_USER_INPUT` naming `field` for anything
/// else (another list's cursor included).
pub fn decode_key_cursor(list: &str, field: &str, encoded: &str) -> crate::error::Result<String> {
    use base64::Engine;
    let invalid = || crate::error::Error::bad_input(field, "not a cursor of this list");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.trim().as_bytes())
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix(list)
        .and_then(|rest| rest.strip_prefix(':'))
        .filter(|key| !key.is_empty() && key.len() <= 64)
        .map(str::to_owned)
        .ok_or_else(invalid)
}

/// One page of a list ordered newest first by a time-ordered key (UUID v7), after the
/// [`key_cursor`] `after` of `list`; `total_count` is the caller's, counted over the filter.
pub async fn newest_first_page<E>(
    connection: &impl sea_orm::ConnectionTrait,
    query: sea_orm::Select<E>,
    key_column: E::Column,
    key_of: impl Fn(&E::Model) -> &str,
    list: &str,
    (size, after): (u64, Option<&str>),
    total_count: u64,
) -> crate::error::Result<RowPage<E::Model>>
where
    E: sea_orm::EntityTrait,
{
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let older_than = after
        .map(|cursor| decode_key_cursor(list, "after", cursor))
        .transpose()?;
    let mut query = query;
    if let Some(older_than) = &older_than {
        query = query.filter(key_column.lt(older_than.as_str()));
    }
    let mut rows = query
        .order_by_desc(key_column)
        .limit(size + 1)
        .all(connection)
        .await?;
    let has_next_page = rows.len() as u64 > size;
    rows.truncate(size as usize);
    let cursors = rows
        .iter()
        .map(|row| key_cursor(list, key_of(row)))
        .collect();
    Ok(RowPage {
        rows,
        cursors,
        has_next_page,
        has_previous_page: older_than.is_some(),
        total_count,
    })
}

pub mod alerts;
pub mod audit;
pub mod cluster;
pub mod content;
pub mod events;
pub mod inbox;
pub mod live;
pub mod matching;
pub mod membership;
pub mod search;
pub mod users;
