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

pub mod audit;
pub mod content;
pub mod inbox;
pub mod matching;
pub mod membership;
pub mod search;
pub mod users;
