//! List filter input and its validation: each failure is `BAD_USER_INPUT` naming the field.
//! Content inputs and their validation live with the content they describe: the shared core
//! in `service::content::draft`, each kind's in its module under `kinds`.

use async_graphql::InputObject;

use super::scalars::{Date, DateTime};
use crate::domain;
use crate::error::Result;
use crate::reference::Reference;
use crate::service::content::{
    EventType, ListFilter, OpportunityType, PolicyType, Status, Visibility,
};

/// Narrows a list. Fields named for one kind are refused on the others.
#[derive(InputObject, Default)]
pub struct ContentFilter {
    pub countries: Option<Vec<String>>,
    /// A category code also matches its sub-categories.
    pub sectors: Option<Vec<String>>,
    /// Staff only (the secretariat; correspondents for their own items); others always get PUBLISHED.
    pub statuses: Option<Vec<Status>>,
    /// Original languages (primary subtags such as zh, th).
    pub languages: Option<Vec<String>>,
    pub visibility: Option<Visibility>,
    pub tags: Option<Vec<String>>,
    pub published_from: Option<DateTime>,
    pub published_to: Option<DateTime>,
    pub updated_from: Option<DateTime>,
    pub updated_to: Option<DateTime>,
    /// Only the caller's own items (requires signing in).
    pub mine: Option<bool>,
    /// Opportunities only.
    pub opportunity_types: Option<Vec<OpportunityType>>,
    /// Opportunities only.
    pub deadline_from: Option<Date>,
    /// Opportunities only.
    pub deadline_to: Option<Date>,
    /// Opportunities only: include those past their deadline (default false).
    pub include_expired: Option<bool>,
    /// Opportunities only, the secretariat only: those published at least this many days ago
    /// that nobody has expressed interest in.
    #[graphql(validator(minimum = 0, maximum = 36500))]
    pub without_interest_for_days: Option<i32>,
    /// Policies only.
    pub policy_types: Option<Vec<String>>,
    /// Policies only.
    pub effective_from: Option<Date>,
    /// Policies only.
    pub effective_to: Option<Date>,
    /// Events only.
    pub event_types: Option<Vec<String>>,
    /// Events only.
    pub starts_from: Option<DateTime>,
    /// Events only.
    pub starts_to: Option<DateTime>,
}

impl ContentFilter {
    pub fn validate(self, reference: &Reference) -> Result<ListFilter> {
        domain::optional_list_len("filter.statuses", &self.statuses)?;
        domain::optional_list_len("filter.languages", &self.languages)?;
        domain::optional_list_len("filter.tags", &self.tags)?;
        domain::optional_list_len("filter.opportunityTypes", &self.opportunity_types)?;
        domain::optional_list_len("filter.policyTypes", &self.policy_types)?;
        domain::optional_list_len("filter.eventTypes", &self.event_types)?;
        let languages = self
            .languages
            .unwrap_or_default()
            .iter()
            .map(|tag| domain::language_tag("filter.languages", tag))
            .collect::<Result<Vec<_>>>()?;
        let (countries, sectors) = domain::filter_codes(self.countries, self.sectors, reference)?;
        Ok(ListFilter {
            countries,
            sectors,
            statuses: self.statuses.unwrap_or_default(),
            languages,
            visibility: self.visibility,
            tags: self
                .tags
                .unwrap_or_default()
                .iter()
                .map(|tag| tag.trim().to_lowercase())
                .collect(),
            published_from: self.published_from.map(|instant| instant.0),
            published_to: self.published_to.map(|instant| instant.0),
            updated_from: self.updated_from.map(|instant| instant.0),
            updated_to: self.updated_to.map(|instant| instant.0),
            mine: self.mine.unwrap_or(false),
            opportunity_types: self.opportunity_types.unwrap_or_default(),
            deadline_from: self.deadline_from.map(|date| date.0),
            deadline_to: self.deadline_to.map(|date| date.0),
            include_expired: self.include_expired.unwrap_or(false),
            without_interest_for_days: self.without_interest_for_days.map(i64::from),
            policy_types: self
                .policy_types
                .unwrap_or_default()
                .iter()
                .map(|value| PolicyType::from_input("filter.policyTypes", value))
                .collect::<Result<_>>()?,
            effective_from: self.effective_from.map(|date| date.0),
            effective_to: self.effective_to.map(|date| date.0),
            event_types: self
                .event_types
                .unwrap_or_default()
                .iter()
                .map(|value| EventType::from_input("filter.eventTypes", value))
                .collect::<Result<_>>()?,
            starts_from: self.starts_from.map(|instant| instant.0),
            starts_to: self.starts_to.map(|instant| instant.0),
        })
    }
}
