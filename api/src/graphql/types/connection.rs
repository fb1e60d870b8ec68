//! Relay connections: of each content kind, of organisations and of the audit log, with the
//! one rule for their page sizes.

use async_graphql::SimpleObject;

use super::content::{Event, Opportunity, Policy, ResearchResult};
use super::organisation::{AuditEntry, Organisation};
use crate::service::RowPage;
use crate::service::content::{Details, Page};

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

impl PageInfo {
    pub fn new(has_next_page: bool, has_previous_page: bool, cursors: &[String]) -> PageInfo {
        PageInfo {
            has_next_page,
            has_previous_page,
            start_cursor: cursors.first().cloned(),
            end_cursor: cursors.last().cloned(),
        }
    }

    fn of(page: &Page) -> PageInfo {
        PageInfo::new(page.has_next_page, page.has_previous_page, &page.cursors)
    }
}

/// Declares the edge and connection types of a keyset-paged list of rows (`RowPage`).
macro_rules! row_connection {
    ($(#[$meta:meta])* $node:ident($model:ty), $edge:ident, $connection:ident, $total:literal) => {
        #[derive(SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        $(#[$meta])*
        #[derive(SimpleObject)]
        pub struct $connection {
            pub edges: Vec<$edge>,
            pub page_info: PageInfo,
            #[doc = $total]
            pub total_count: i64,
        }

        impl From<RowPage<$model>> for $connection {
            fn from(page: RowPage<$model>) -> Self {
                let page_info =
                    PageInfo::new(page.has_next_page, page.has_previous_page, &page.cursors);
                let edges = page
                    .rows
                    .into_iter()
                    .zip(page.cursors)
                    .map(|(row, cursor)| $edge {
                        cursor,
                        node: $node(row),
                    })
                    .collect();
                $connection {
                    edges,
                    page_info,
                    total_count: page.total_count as i64,
                }
            }
        }
    };
}

row_connection!(
    /// Organisations, oldest application first.
    Organisation(entities::organisations::Model),
    OrganisationEdge,
    OrganisationConnection,
    "Every organisation in the requested statuses, over all pages."
);
row_connection!(
    /// Audit entries, newest first.
    AuditEntry(entities::audit_log::Model),
    AuditEntryEdge,
    AuditEntryConnection,
    "Every entry of the requested action, over all pages."
);

/// Declares the edge and connection types of one kind.
macro_rules! connection {
    ($node:ident, $details:ident, $edge:ident, $connection:ident) => {
        #[derive(SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        #[derive(SimpleObject)]
        pub struct $connection {
            pub edges: Vec<$edge>,
            pub page_info: PageInfo,
            /// Every item the filter admits that the caller may see, over all pages.
            pub total_count: i64,
        }

        impl From<Page> for $connection {
            fn from(page: Page) -> Self {
                let page_info = PageInfo::of(&page);
                let total_count = page.total_count as i64;
                let edges = page
                    .records
                    .into_iter()
                    .zip(page.cursors)
                    .filter_map(|(record, cursor)| match record.details.clone() {
                        Details::$details(details) => Some($edge {
                            cursor,
                            node: $node(record, details),
                        }),
                        _ => None,
                    })
                    .collect();
                $connection {
                    edges,
                    page_info,
                    total_count,
                }
            }
        }
    };
}

connection!(
    Opportunity,
    Opportunity,
    OpportunityEdge,
    OpportunityConnection
);
connection!(Policy, Policy, PolicyEdge, PolicyConnection);
connection!(
    ResearchResult,
    Research,
    ResearchResultEdge,
    ResearchResultConnection
);
connection!(Event, Event, EventEdge, EventConnection);
