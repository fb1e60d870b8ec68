//! Relay connections of each content kind.

use async_graphql::SimpleObject;

use super::content::{Event, Opportunity, Policy, ResearchResult};
use crate::service::content::{Details, Page};

#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

impl PageInfo {
    fn of(page: &Page) -> PageInfo {
        PageInfo {
            has_next_page: page.has_next_page,
            has_previous_page: page.has_previous_page,
            start_cursor: page.cursors.first().cloned(),
            end_cursor: page.cursors.last().cloned(),
        }
    }
}

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
