//! The search index (tantivy): the engine behind the `search` query. It knows nothing of
//! GraphQL or HTTP: it takes documents and queries, and answers hits, totals and facets.

pub mod analysis;
pub mod budget;
mod collect;
pub mod edits;
pub mod glossary;
mod index;
mod listing;
pub mod names;
mod query;
mod schema;
mod similar;
pub mod stem;
pub mod suggest;
mod visibility;
mod writer;

pub use index::{Document, OpenState, SearchIndex, Text};
pub use listing::{ListSort, ListWalk, Listed, NO_DEADLINE_DAYS, id_order};
pub use query::{Facets, Highlight, Hit, ListFilters, Request, Results, Sort};
pub use similar::Similar;
pub use suggest::{Suggestion, SuggestionKind};
pub use writer::{Change, Indexer, Staged};

/// Errors of the search engine; all are internal from a caller's point of view, except a
/// busy index (another process holds the writer lock).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the search index is locked by another process")]
    Locked,
    #[error("search index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory error: {0}")]
    Directory(String),
    #[error("the index writer has stopped")]
    WriterStopped,
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("the query has too many {}: at most {}", .0.what, .0.max)]
    OverBudget(budget::OverBudget),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
