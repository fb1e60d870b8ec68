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

#[SubscriptionObject]
impl Subscription {
    /// Each item as it is published, when `filter` admits it and the subscriber may see it at
    /// that moment (the same filter and visibility as `search`).
    async fn content_published(
        &self,
        context: &Context<'_>,
        filter: Option<SearchFilter>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<Content>>> {
        let state = state(context)?.clone();
        let subscriber = caller(context)?.clone();
        let request = filter.unwrap_or_default().into_request(&state.reference)?;
        let receiver = state.live.subscribe();
        let deliveries = stream::unfold(
            (receiver, state, subscriber, request),
            |(mut receiver, state, subscriber, request)| async move {
                loop {
                    let id = match receiver.recv().await {
                        Ok(Happening::Published { id }) => id,
                        Ok(_) => continue,
                        Err(RecvError::Lagged(_)) => {
                            let error = fell_behind();
                            return Some((Err(error), (receiver, state, subscriber, request)));
                        }
                        Err(RecvError::Closed) => return None,
                    };
                    match published_for(&state, &subscriber, &request, &id).await {
                        Ok(Some(content)) => {
                            return Some((Ok(content), (receiver, state, subscriber, request)));
                        }
                        Ok(None) => continue,
                        Err(error) => {
                            return Some((
                                Err(error.into()),
                                (receiver, state, subscriber, request),
                            ));
                        }
                    }
                }
            },
        );
        Ok(until_error(deliveries))
    }

    /// Each newly published item that matches one of the caller's saved searches (as the
    /// caller may see it then).
    async fn saved_search_matches(
        &self,
        context: &Context<'_>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<Content>>> {
        let state = state(context)?.clone();
        let subscriber = caller(context)?.clone();
        let user_id = subscriber.require_user()?.id.clone();
        let receiver = state.live.subscribe();
        let deliveries = stream::unfold(
            (receiver, state, subscriber, user_id),
            |(mut receiver, state, subscriber, user_id)| async move {
                loop {
                    let id = match receiver.recv().await {
                        Ok(Happening::Matched { user_id: to, id }) if to == user_id => id,
                        Ok(_) => continue,
                        Err(RecvError::Lagged(_)) => {
                            let error = fell_behind();
                            return Some((Err(error), (receiver, state, subscriber, user_id)));
                        }
                        Err(RecvError::Closed) => return None,
                    };
                    let found = match as_they_are_now(&state, &subscriber).await {
                        Ok(Some(now)) => {
                            crate::service::content::get(state.db.connection(), &now, &id)
                                .await
                                .map(|record| record.map(Content::from_record))
                        }
                        Ok(None) => return None,
                        Err(error) => Err(error),
                    };
                    match found {
                        Ok(Some(content)) => {
                            return Some((Ok(content), (receiver, state, subscriber, user_id)));
                        }
                        Ok(None) => continue,
                        Err(error) => {
                            return Some((
                                Err(error.into()),
                                (receiver, state, subscriber, user_id),
                            ));
                        }
                    }
                }
            },
        );
        Ok(until_error(deliveries))
    }

    /// Each notification as it reaches the caller's inbox.
    async fn notification_added(
        &self,
        context: &Context<'_>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<Notification>>> {
        let state = state(context)?.clone();
        let subscriber = caller(context)?.clone();
        let user_id = subscriber.require_user()?.id.clone();
        let receiver = state.live.subscribe();
        // Only what arrives from now on.
        let seen = inbox::newest_key(&state, &user_id).await?;
        let batches = stream::unfold(
            (receiver, state, user_id, seen),
            move |(mut receiver, state, user_id, seen)| {
                let subscriber = subscriber.clone();
                async move {
                    loop {
                        match receiver.recv().await {
                            Ok(Happening::Notified { user_id: to }) if to == user_id => {
                                // An inbox is private: a sign-out ends its subscription.
                                match as_they_are_now(&state, &subscriber).await {
                                    Ok(Some(_)) => {}
                                    Ok(None) => return None,
                                    Err(error) => {
                                        let batch = vec![Err(error.into())];
                                        return Some((batch, (receiver, state, user_id, seen)));
                                    }
                                }
                            }
                            Ok(_) => continue,
                            Err(RecvError::Lagged(_)) => {
                                let batch = vec![Err(fell_behind())];
                                return Some((batch, (receiver, state, user_id, seen)));
                            }
                            Err(RecvError::Closed) => return None,
                        }
                        match inbox::newer_than(&state, &user_id, seen.as_deref()).await {
                            Ok(rows) if rows.is_empty() => continue,
                            Ok(rows) => {
                                let newest = rows.last().map(|row| row.id.clone()).or(seen);
                                let batch =
                                    rows.into_iter().map(|row| Ok(Notification(row))).collect();
                                return Some((batch, (receiver, state, user_id, newest)));
                            }
                            Err(error) => {
                                let batch = vec![Err(error.into())];
                                return Some((batch, (receiver, state, user_id, seen)));
                            }
                        }
                    }
                }
            },
        );
        Ok(until_error(batches.flat_map(stream::iter)))
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
    let matches = tokio::task::spawn_blocking(move || service.index.matches(&request, 1))
        .await
        .map_err(|error| Error::Internal(error.into()))?
        .map_err(|error| Error::Internal(error.into()))?;
    if matches.count == 0 {
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
