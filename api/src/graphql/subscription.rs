//! Subscriptions, over graphql-transport-ws on `/graphql/ws` (see `ws` for the door's rules):
//! content as it is published, and the caller's inbox as it fills.
//!
//! Every delivery is decided when it happens, with the subscriber as they are *then*: their
//! membership is read again, so an expelled member's subscription stops receiving member-only
//! items at once; after a sign-out (of the sign-in the token belongs to) `contentPublished`
//! delivers only what anyone may see, and the private subscriptions end.

use async_graphql::{Context, Subscription as SubscriptionObject};
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use crate::auth::Caller;
use crate::error::{Error, Result};
use crate::graphql::context::{caller, state};
use crate::graphql::types::content::Content;
use crate::graphql::types::matching::Notification;
use crate::service::access;
use crate::service::live::Happening;
use crate::service::search::SearchFilter;
use crate::service::{inbox, users};
use crate::state::AppState;

#[derive(Default)]
pub struct Subscription;

/// What a subscription does with one happening.
enum Step<T> {
    /// Not for this subscriber.
    Skip,
    Send(Vec<async_graphql::Result<T>>),
    /// The subscription is over (its subscriber signed out, or is gone).
    Stop,
}

type Deliveries<T> = BoxStream<'static, async_graphql::Result<T>>;

/// A subscription's deliveries: `decide` says, for each happening on the bus, what to send. A
/// subscriber that fell more than the bus's backlog behind gets one error and is dropped, so
/// nothing is buffered for it; the first error of any kind ends the subscription.
fn deliveries<T, F, Decided>(
    receiver: tokio::sync::broadcast::Receiver<Happening>,
    decide: F,
) -> Deliveries<T>
where
    T: Send + 'static,
    F: Fn(Happening) -> Decided + Send + Sync + 'static,
    Decided: std::future::Future<Output = Step<T>> + Send + 'static,
{
    let batches = stream::unfold(
        (receiver, std::sync::Arc::new(decide)),
        |(mut receiver, decide)| async move {
            loop {
                let happening = match receiver.recv().await {
                    Ok(happening) => happening,
                    Err(RecvError::Lagged(_)) => {
                        return Some((vec![Err(fell_behind())], (receiver, decide)));
                    }
                    Err(RecvError::Closed) => return None,
                };
                match decide(happening).await {
                    Step::Skip => continue,
                    Step::Send(items) => return Some((items, (receiver, decide))),
                    Step::Stop => return None,
                }
            }
        },
    );
    until_error(batches.flat_map(stream::iter))
}

/// One item to send, or the error that ends the subscription.
fn send_one<T>(found: Result<Option<T>>) -> Step<T> {
    match found {
        Ok(Some(item)) => Step::Send(vec![Ok(item)]),
        Ok(None) => Step::Skip,
        Err(error) => Step::Send(vec![Err(error.into())]),
    }
}

#[SubscriptionObject]
impl Subscription {
    /// Each item as it is published, when `filter` admits it and the subscriber may see it at
    /// that moment (the same filter and visibility as `search`).
    async fn content_published(
        &self,
        context: &Context<'_>,
        filter: Option<SearchFilter>,
    ) -> async_graphql::Result<Deliveries<Content>> {
        let state = state(context)?.clone();
        let subscriber = caller(context)?.clone();
        let request = filter.unwrap_or_default().into_request(&state.reference)?;
        let receiver = state.live.subscribe();
        Ok(deliveries(receiver, move |happening| {
            let (state, subscriber, request) = (state.clone(), subscriber.clone(), request.clone());
            async move {
                let Happening::Published { id } = happening else {
                    return Step::Skip;
                };
                send_one(published_for(&state, &subscriber, &request, &id).await)
            }
        }))
    }

    /// Each newly published item that matches one of the caller's saved searches (as the
    /// caller may see it then).
    async fn saved_search_matches(
        &self,
        context: &Context<'_>,
    ) -> async_graphql::Result<Deliveries<Content>> {
        let state = state(context)?.clone();
        let subscriber = caller(context)?.clone();
        let user_id = subscriber.require_user()?.id.clone();
        let receiver = state.live.subscribe();
        Ok(deliveries(receiver, move |happening| {
            let (state, subscriber, user_id) = (state.clone(), subscriber.clone(), user_id.clone());
            async move {
                let Happening::Matched { user_id: to, id } = happening else {
                    return Step::Skip;
                };
                if to != user_id {
                    return Step::Skip;
                }
                let now = match as_they_are_now(&state, &subscriber).await {
                    Ok(Some(now)) => now,
                    Ok(None) => return Step::Stop,
                    Err(error) => return Step::Send(vec![Err(error.into())]),
                };
                let found = crate::service::content::get(state.db.connection(), &now, &id).await;
                send_one(found.map(|record| record.map(Content::from_record)))
            }
        }))
    }

    /// Each notification as it reaches the caller's inbox.
    async fn notification_added(
        &self,
        context: &Context<'_>,
    ) -> async_graphql::Result<Deliveries<Notification>> {
        let state = state(context)?.clone();
        let subscriber = caller(context)?.clone();
        let user_id = subscriber.require_user()?.id.clone();
        let receiver = state.live.subscribe();
        // Only what arrives from now on.
        let seen = std::sync::Arc::new(tokio::sync::Mutex::new(
            inbox::newest_key(&state, &user_id).await?,
        ));
        Ok(deliveries(receiver, move |happening| {
            let (state, subscriber, user_id, seen) = (
                state.clone(),
                subscriber.clone(),
                user_id.clone(),
                seen.clone(),
            );
            async move {
                if happening
                    != (Happening::Notified {
                        user_id: user_id.clone(),
                    })
                {
                    return Step::Skip;
                }
                // An inbox is private: a sign-out ends its subscription.
                match as_they_are_now(&state, &subscriber).await {
                    Ok(Some(_)) => {}
                    Ok(None) => return Step::Stop,
                    Err(error) => return Step::Send(vec![Err(error.into())]),
                }
                let mut seen = seen.lock().await;
                match inbox::newer_than(&state, &user_id, seen.as_deref()).await {
                    Ok(rows) if rows.is_empty() => Step::Skip,
                    Ok(rows) => {
                        if let Some(newest) = rows.last() {
                            *seen = Some(newest.id.clone());
                        }
                        Step::Send(rows.into_iter().map(|row| Ok(Notification(row))).collect())
                    }
                    Err(error) => Step::Send(vec![Err(error.into())]),
                }
            }
        }))
    }
}

/// The item `id` as `subscriber` may see it now, if `request`'s filter admits it.
async fn published_for(
    state: &AppState,
    subscriber: &Caller,
    request: &search::Request,
    id: &str,
) -> Result<Option<Content>> {
    // Signed out (or the account gone), a subscriber still receives what anyone may see.
    let now = as_they_are_now(state, subscriber)
        .await?
        .unwrap_or_else(Caller::anonymous);
    let mut request = request.clone();
    request.list.ids = vec![id.to_owned()];
    request.today_days = crate::service::search::today_days();
    access::search_scope(&now.audience, &mut request);
    let service = state.search.clone();
    let matches = tokio::task::spawn_blocking(move || service.index.matches(&request))
        .await
        .map_err(|error| Error::Internal(error.into()))?
        .map_err(|error| Error::Internal(error.into()))?;
    if matches == 0 {
        return Ok(None);
    }
    let record = crate::service::content::get(state.db.connection(), &now, id).await?;
    Ok(record.map(Content::from_record))
}

/// The subscriber with their role and membership read again; `None` when the account is gone
/// or the sign-in their token belongs to has ended (signed out, or revoked).
async fn as_they_are_now(state: &AppState, subscriber: &Caller) -> Result<Option<Caller>> {
    let Some(user_id) = subscriber.user_id() else {
        return Ok(Some(subscriber.clone()));
    };
    if let Some(session_id) = &subscriber.session_id
        && !users::session_stands(state, session_id).await?
    {
        return Ok(None);
    }
    let Some(user) = users::find(state.db.connection(), user_id).await? else {
        return Ok(None);
    };
    let mut now = users::caller_for_user(state.db.connection(), user).await?;
    now.client_address = subscriber.client_address.clone();
    Ok(Some(now))
}

fn fell_behind() -> async_graphql::Error {
    Error::conflict("the subscription fell too far behind and was ended; subscribe again").into()
}

/// Ends a stream after its first error: a subscriber that fell behind is dropped, not kept.
fn until_error<T: Send + 'static>(
    items: impl futures_util::Stream<Item = async_graphql::Result<T>> + Send + 'static,
) -> BoxStream<'static, async_graphql::Result<T>> {
    items
        .scan(false, |ended, item| {
            let next = if *ended {
                None
            } else {
                *ended = item.is_err();
                Some(item)
            };
            async move { next }
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_gets_one_error_and_is_dropped() {
        let (sender, receiver) = tokio::sync::broadcast::channel(4);
        let mut delivered = deliveries(receiver, |happening| async move {
            match happening {
                Happening::Published { id } => Step::Send(vec![Ok(id)]),
                _ => Step::Skip,
            }
        });
        sender
            .send(Happening::Published { id: "first".into() })
            .unwrap();
        assert_eq!(delivered.next().await.unwrap().unwrap(), "first");
        // Ten happenings while the subscriber reads nothing: more than the backlog of four.
        for number in 0..10 {
            sender
                .send(Happening::Published {
                    id: number.to_string(),
                })
                .unwrap();
        }
        let error = delivered.next().await.unwrap().unwrap_err();
        assert!(
            error.message.contains("fell too far behind"),
            "{}",
            error.message
        );
        assert!(delivered.next().await.is_none(), "dropped, not resumed");
    }

    #[tokio::test]
    async fn a_stopped_subscription_ends_and_skipped_happenings_send_nothing() {
        let (sender, receiver) = tokio::sync::broadcast::channel(16);
        let mut delivered = deliveries(receiver, |happening| async move {
            match happening {
                Happening::Published { id } if id == "stop" => Step::Stop,
                Happening::Published { id } => Step::Send(vec![Ok(id)]),
                Happening::Notified { .. } | Happening::Matched { .. } => Step::Skip,
            }
        });
        sender
            .send(Happening::Notified {
                user_id: "u".into(),
            })
            .unwrap();
        sender
            .send(Happening::Published { id: "kept".into() })
            .unwrap();
        sender
            .send(Happening::Published { id: "stop".into() })
            .unwrap();
        sender
            .send(Happening::Published { id: "never".into() })
            .unwrap();
        assert_eq!(delivered.next().await.unwrap().unwrap(), "kept");
        assert!(delivered.next().await.is_none());
    }
}
