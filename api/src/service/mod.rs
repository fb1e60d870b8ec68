//! Service functions: the rules of the exchange (permissions, transactions, the change log).
//! Resolvers call these and nothing below them.

pub mod access;

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
pub mod membership;
pub mod search;
pub mod users;
