//! Saved searches as the schema shows them, to their owner only.

use async_graphql::{ID, Object, SimpleObject};
use entities::saved_searches;

use crate::graphql::ids::{NodeType, encode};
use crate::graphql::scalars::{Date, DateTime};
use crate::service::alerts::StoredFilter;
use crate::service::content::{Kind, OpportunityType};

/// A search kept under a name; each new publication it matches alerts its owner.
pub struct SavedSearch(pub saved_searches::Model);

#[Object]
impl SavedSearch {
    pub async fn id(&self) -> ID {
        encode(NodeType::SavedSearch, &self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn query(&self) -> Option<&str> {
        self.0.query.as_deref()
    }
    /// The filter, as saved.
    async fn filter(&self) -> SavedSearchFilter {
        SavedSearchFilter::from(StoredFilter::of(&self.0))
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}

/// A saved search's filter: the fields of `SearchFilter`.
#[derive(SimpleObject)]
pub struct SavedSearchFilter {
    pub kinds: Vec<Kind>,
    pub countries: Vec<String>,
    pub sectors: Vec<String>,
    pub include_expired: bool,
    pub opportunity_types: Vec<OpportunityType>,
    pub published_from: Option<DateTime>,
    pub published_to: Option<DateTime>,
    pub deadline_from: Option<Date>,
    pub deadline_to: Option<Date>,
    pub amount_min: Option<String>,
    pub amount_max: Option<String>,
    pub currency: Option<String>,
}

impl From<StoredFilter> for SavedSearchFilter {
    fn from(stored: StoredFilter) -> Self {
        let input = stored.to_input();
        SavedSearchFilter {
            kinds: input.kinds.unwrap_or_default(),
            countries: stored.countries,
            sectors: stored.sectors,
            include_expired: stored.include_expired,
            opportunity_types: input.opportunity_types.unwrap_or_default(),
            published_from: input.published_from,
            published_to: input.published_to,
            deadline_from: input.deadline_from,
            deadline_to: input.deadline_to,
            amount_min: stored.amount_min,
            amount_max: stored.amount_max,
            currency: stored.currency,
        }
    }
}
