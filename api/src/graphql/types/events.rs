//! Event registrations and attendee lists as the schema shows them.

use async_graphql::{Object, SimpleObject};

use super::connection::PageInfo;
use super::content::Event;
use super::user::Role;
use crate::graphql::scalars::DateTime;
use crate::service::events::{Attendee as AttendeeRow, Registration, RegistrationStatus};

/// A registration for an event as its holder sees it.
pub struct EventRegistration(pub Registration);

#[Object]
impl EventRegistration {
    async fn event(&self) -> async_graphql::Result<Event> {
        match &self.0.event.details {
            crate::service::content::Details::Event(details) => {
                Ok(Event(self.0.event.clone(), details.clone()))
            }
            _ => Err(crate::error::Error::NotFound("event").into()),
        }
    }
    async fn status(&self) -> RegistrationStatus {
        self.0.status()
    }
    /// 1 for the next to get a seat; null unless WAITLISTED.
    async fn waitlist_position(&self) -> Option<u64> {
        self.0.waitlist_position
    }
    async fn registered_at(&self) -> DateTime {
        DateTime(self.0.row.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.row.updated_at)
    }
}

/// One person on an event's attendee list (the organiser's and the secretariat's view).
#[derive(SimpleObject)]
pub struct Attendee {
    pub name: Option<String>,
    pub email: String,
    pub role: Role,
    pub status: RegistrationStatus,
    pub registered_at: DateTime,
}

#[derive(SimpleObject)]
pub struct AttendeeEdge {
    pub cursor: String,
    pub node: Attendee,
}

/// An event's registrations in the order they were made, cancelled ones included.
#[derive(SimpleObject)]
pub struct AttendeeConnection {
    pub edges: Vec<AttendeeEdge>,
    pub page_info: PageInfo,
    /// Registrations in the requested statuses, over all pages.
    pub total_count: i64,
}

impl AttendeeConnection {
    /// A page of `rows` (already in order) in `statuses`, after the cursor `after`.
    pub fn page(
        rows: Vec<AttendeeRow>,
        statuses: &[RegistrationStatus],
        size: usize,
        after: Option<&str>,
    ) -> async_graphql::Result<AttendeeConnection> {
        let wanted: Vec<AttendeeRow> = rows
            .into_iter()
            .filter(|row| {
                statuses.is_empty()
                    || RegistrationStatus::parse(&row.registration.status)
                        .is_some_and(|status| statuses.contains(&status))
            })
            .collect();
        let total_count = wanted.len() as i64;
        let start = match after {
            Some(cursor) => {
                let key = crate::service::decode_key_cursor("Attendee", "after", cursor)?;
                wanted
                    .iter()
                    .position(|row| row.registration.id > key)
                    .unwrap_or(wanted.len())
            }
            None => 0,
        };
        let has_next_page = wanted.len() > start + size;
        let edges: Vec<AttendeeEdge> = wanted
            .into_iter()
            .skip(start)
            .take(size)
            .map(|row| AttendeeEdge {
                cursor: crate::service::key_cursor("Attendee", &row.registration.id),
                node: Attendee {
                    name: row.user.name.clone(),
                    email: row.user.email.clone(),
                    role: crate::auth::Role::parse(&row.user.role)
                        .map(Role::from)
                        .unwrap_or(Role::User),
                    status: RegistrationStatus::parse(&row.registration.status)
                        .unwrap_or(RegistrationStatus::Cancelled),
                    registered_at: DateTime(row.registration.created_at),
                },
            })
            .collect();
        let cursors: Vec<String> = edges.iter().map(|edge| edge.cursor.clone()).collect();
        Ok(AttendeeConnection {
            edges,
            page_info: PageInfo::new(has_next_page, after.is_some(), &cursors),
            total_count,
        })
    }
}
