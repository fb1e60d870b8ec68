//! Registering for events.

use async_graphql::{Context, ID, Object};

use crate::error::Error;
use crate::graphql::context::{caller, state};
use crate::graphql::ids;
use crate::graphql::types::events::EventRegistration;
use crate::service::content::Kind;
use crate::service::events;

fn event_key(id: &ID) -> async_graphql::Result<String> {
    match ids::decode_content("eventId", id)? {
        (Kind::Event, key) => Ok(key),
        _ => Err(Error::bad_input("eventId", "not the id of an event").into()),
    }
}

#[derive(Default)]
pub struct EventsMutation;

#[Object]
impl EventsMutation {
    /// REGISTERED while seats last, WAITLISTED (with a position) once the capacity is reached.
    /// Refused after the registration deadline, once the event has started, and twice.
    async fn register_for_event(
        &self,
        context: &Context<'_>,
        event_id: ID,
    ) -> async_graphql::Result<EventRegistration> {
        let key = event_key(&event_id)?;
        let registration = events::register(state(context)?, caller(context)?, &key).await?;
        Ok(EventRegistration(registration))
    }

    /// A private calendar feed of the caller's registrations, for calendar apps: answers its
    /// path (`/calendar/<secret>.ics`), shown only now. A new one revokes the old.
    async fn create_calendar_feed(&self, context: &Context<'_>) -> async_graphql::Result<String> {
        let token = events::new_calendar_feed(state(context)?, caller(context)?).await?;
        Ok(format!("/calendar/{token}.ics"))
    }

    /// Cancels the caller's registration; a freed seat goes to the first on the wait-list.
    async fn cancel_event_registration(
        &self,
        context: &Context<'_>,
        event_id: ID,
    ) -> async_graphql::Result<EventRegistration> {
        let key = event_key(&event_id)?;
        let registration = events::cancel(state(context)?, caller(context)?, &key).await?;
        Ok(EventRegistration(registration))
    }
}
