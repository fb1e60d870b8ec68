//! An event (charter art. 7): annual meeting, forum, seminar, technology launch, expo or
//! training; its start and end with a time zone, its venue or online, its registration
//! deadline and capacity.

use async_graphql::{Context, InputObject};
use entities::content;
use entities::event_details::{self, Column};
use sea_orm::Select;

use super::{ContentKind, any_of, details_storage, within};
use crate::domain;
use crate::error::{Error, Result};
use crate::graphql::context::{caller, state};
use crate::graphql::scalars::DateTime;
use crate::graphql::types::content::content_object;
use crate::graphql::types::events::{AttendeeConnection, EventRegistration};
use crate::graphql::types::reference::Country;
use crate::limits::PLACE_MAX_CHARS;
use crate::reference::Reference;
use crate::service::content::{
    ContentDraft, ContentInput, DetailsDraft, EventType, ListFilter, Purpose,
};
use crate::service::events::{self, RegistrationStatus};

details_storage!(Events, event_details);

#[derive(InputObject, Debug, Clone)]
pub struct EventInput {
    pub content: ContentInput,
    /// ANNUAL_MEETING, FORUM, SEMINAR, TECHNOLOGY_LAUNCH, EXPO, TRAINING or OTHER.
    pub event_type: String,
    pub starts_at: DateTime,
    pub ends_at: DateTime,
    pub city: Option<String>,
    /// Maximum number of participants; none means unlimited.
    pub capacity: Option<i32>,
    /// IANA time zone of the event's local times; default UTC.
    pub time_zone: Option<String>,
    /// Country code of the venue.
    pub country: Option<String>,
    #[graphql(default)]
    pub online: bool,
    pub venue: Option<String>,
    pub registration_deadline: Option<DateTime>,
    /// The link to join an online event; shown only to registered attendees, the organiser
    /// and the secretariat. Makes the event online.
    pub online_url: Option<String>,
}

impl EventInput {
    pub fn validate(self, reference: &Reference, purpose: Purpose) -> Result<ContentDraft> {
        if self.ends_at.0 <= self.starts_at.0 {
            return Err(Error::bad_input("endsAt", "must be after startsAt"));
        }
        if let Some(earliest) = purpose.earliest()
            && self.starts_at.0 < earliest
        {
            return Err(Error::bad_input("startsAt", "must not be in the past"));
        }
        if let Some(deadline) = self.registration_deadline
            && deadline.0 > self.ends_at.0
        {
            return Err(Error::bad_input(
                "registrationDeadline",
                "must not be after endsAt",
            ));
        }
        if let Some(capacity) = self.capacity
            && capacity < 1
        {
            return Err(Error::bad_input("capacity", "must be at least 1"));
        }
        let city = domain::optional_text("city", self.city.as_deref(), PLACE_MAX_CHARS)?;
        let online_url = self
            .online_url
            .as_deref()
            .filter(|url| !url.trim().is_empty())
            .map(|url| domain::url("onlineUrl", url))
            .transpose()?;
        let online = self.online || online_url.is_some();
        if city.is_none() && !online {
            return Err(Error::bad_input(
                "city",
                "is required for an event that is not online",
            ));
        }
        let details = event_details::Model {
            content_id: String::new(),
            event_type: EventType::from_input("eventType", &self.event_type)?
                .as_str()
                .to_owned(),
            starts_at: self.starts_at.0,
            ends_at: self.ends_at.0,
            time_zone: self
                .time_zone
                .as_deref()
                .map(|zone| domain::time_zone("timeZone", zone))
                .transpose()?
                .unwrap_or_else(|| "UTC".to_owned()),
            city,
            country_code: self
                .country
                .as_deref()
                .map(|code| domain::country_code("country", code, reference))
                .transpose()?,
            online,
            online_url,
            venue: domain::optional_text(
                "venue",
                self.venue.as_deref(),
                domain::SHORT_TEXT_MAX_CHARS,
            )?,
            registration_deadline: self.registration_deadline.map(|deadline| deadline.0),
            capacity: self.capacity,
        };
        Ok(ContentDraft::new(
            self.content.validate(reference)?,
            DetailsDraft::Event(Draft(details)),
        ))
    }
}

impl ContentKind for Events {
    /// The venue's country is a country the correspondent must cover.
    fn named_countries(row: &event_details::Model) -> Vec<String> {
        row.country_code.iter().cloned().collect()
    }

    fn index(row: &event_details::Model, document: &mut search::Document) {
        document.starts_at_micros = Some(row.starts_at.timestamp_micros());
        document.event_type = Some(row.event_type.clone());
    }

    fn narrow_index(filter: &ListFilter, request: &mut search::Request) {
        let list = &mut request.list;
        list.event_types = filter
            .event_types
            .iter()
            .map(|kind| kind.as_str().to_owned())
            .collect();
        list.starts_from_micros = filter.starts_from.map(|instant| instant.timestamp_micros());
        list.starts_to_micros = filter.starts_to.map(|instant| instant.timestamp_micros());
    }

    fn narrow(query: Select<content::Entity>, filter: &ListFilter) -> Select<content::Entity> {
        let types = filter.event_types.iter().map(|kind| kind.as_str());
        let query = any_of(query, Column::EventType, types);
        within(
            query,
            Column::StartsAt,
            filter.starts_from,
            filter.starts_to,
        )
    }
}

/// (registered, waitlisted) for the event `id`, through the request's loader.
async fn registration_counts(context: &Context<'_>, id: &str) -> async_graphql::Result<(u64, u64)> {
    let counts = crate::graphql::context::loaders(context)?
        .load_one(crate::graphql::loaders::RegistrationCountsOf(id.to_owned()))
        .await
        .map_err(Error::from)?;
    Ok(counts.unwrap_or_default())
}

content_object!(
    /// An event: annual meeting, forum, seminar, technology launch, expo or training.
    Event(event_details::Model) {
        async fn event_type(&self) -> &str {
            &self.1.event_type
        }
        async fn starts_at(&self) -> DateTime {
            DateTime(self.1.starts_at)
        }
        async fn ends_at(&self) -> DateTime {
            DateTime(self.1.ends_at)
        }
        /// IANA time zone the event's local times are in.
        async fn time_zone(&self) -> &str {
            &self.1.time_zone
        }
        async fn city(&self) -> Option<&str> {
            self.1.city.as_deref()
        }
        async fn country(&self, context: &Context<'_>) -> async_graphql::Result<Option<Country>> {
            let reference = &state(context)?.reference;
            Ok(self.1.country_code.as_deref().and_then(|code| reference.country(code)).cloned().map(Country))
        }
        async fn online(&self) -> bool {
            self.1.online
        }
        async fn venue(&self) -> Option<&str> {
            self.1.venue.as_deref()
        }
        /// The link to join: for registered attendees (not the wait-list), the organiser and the secretariat; null for everyone else.
        async fn online_url(&self, context: &Context<'_>) -> async_graphql::Result<Option<&str>> {
            let Some(url) = self.1.online_url.as_deref() else {
                return Ok(None);
            };
            let caller = caller(context)?;
            if crate::service::access::sees_interests_of(&caller.audience, &self.0.core.author_id) {
                return Ok(Some(url));
            }
            let registered = events::mine(state(context)?, caller, &self.0)
                .await?
                .is_some_and(|registration| registration.status() == RegistrationStatus::Registered);
            Ok(registered.then_some(url))
        }
        async fn registration_deadline(&self) -> Option<DateTime> {
            self.1.registration_deadline.map(DateTime)
        }
        async fn capacity(&self) -> Option<i32> {
            self.1.capacity
        }
        /// Seats taken.
        async fn registered_count(&self, context: &Context<'_>) -> async_graphql::Result<u64> {
            Ok(registration_counts(context, &self.0.core.id).await?.0)
        }
        /// People on the wait-list.
        async fn waitlist_count(&self, context: &Context<'_>) -> async_graphql::Result<u64> {
            Ok(registration_counts(context, &self.0.core.id).await?.1)
        }
        /// Seats still free; null when the capacity is unlimited.
        async fn seats_left(&self, context: &Context<'_>) -> async_graphql::Result<Option<u64>> {
            let (registered, _) = registration_counts(context, &self.0.core.id).await?;
            Ok(self.1.capacity.map(|capacity| (capacity.max(0) as u64).saturating_sub(registered)))
        }
        /// The caller's registration (REGISTERED or WAITLISTED); null when they have none.
        async fn my_registration(&self, context: &Context<'_>) -> async_graphql::Result<Option<EventRegistration>> {
            let found = events::mine(state(context)?, caller(context)?, &self.0).await?;
            Ok(found.map(EventRegistration))
        }
        /// Who registered, in order, cancelled ones included: for the organiser (the author) and the secretariat; null for everyone else. At most 100 per page.
        #[graphql(complexity = "crate::graphql::page_cost(first, None) * crate::limits::NESTED_NODE_COST")]
        async fn attendees(
            &self,
            context: &Context<'_>,
            statuses: Option<Vec<RegistrationStatus>>,
            first: Option<i32>,
            after: Option<String>,
        ) -> async_graphql::Result<Option<AttendeeConnection>> {
            let (size, _) = crate::service::page_window(first, None)?;
            let Some(rows) = events::attendees(state(context)?, caller(context)?, &self.0).await? else {
                return Ok(None);
            };
            Ok(Some(AttendeeConnection::page(rows, &statuses.unwrap_or_default(), size, after.as_deref())?))
        }
    }
);
