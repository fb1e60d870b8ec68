//! What happens as it happens, for subscriptions: an item published, a notification added.
//! One bounded broadcast channel per process. A subscriber that falls more than
//! [`LIVE_BACKLOG`] happenings behind (a client that stopped reading) is dropped rather than
//! buffered: its subscription ends with an error, and memory stays bounded.
//!
//! Happenings are announced after their transaction commits (and, for a publication, after the
//! search index holds the item), so a subscriber that reacts to one finds it.
//!
//! With several nodes, a subscriber's websocket is on one of them, whichever made the write.
//! A publication reaches the other nodes through the change log: each announces it to its own
//! subscribers once its index holds the item (`search::replay`). A notification or a match
//! for a user is relayed to the other nodes as it happens (`cluster`, over PostgreSQL's
//! notifications). Either way each node delivers to its own subscribers, so a subscriber hears
//! of a happening once, from the node that holds its socket.
//!
//! [`LIVE_BACKLOG`]: crate::limits::LIVE_BACKLOG

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

use crate::limits::LIVE_BACKLOG;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Happening {
    /// An item became PUBLISHED.
    Published { id: String },
    /// A notification was added to this user's inbox.
    Notified { user_id: String },
    /// A newly published item matched one of this user's saved searches.
    Matched { user_id: String, id: String },
}

#[derive(Clone)]
pub struct Live {
    here: broadcast::Sender<Happening>,
    /// Where happenings for users go to reach the other nodes (set when there are others).
    relay: Arc<OnceLock<mpsc::Sender<Happening>>>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            here: broadcast::channel(LIVE_BACKLOG).0,
            relay: Arc::default(),
        }
    }
}

impl Live {
    /// An item became PUBLISHED and this node's index holds it.
    pub fn published(&self, id: &str) {
        self.deliver_here(Happening::Published { id: id.to_owned() });
    }

    pub fn notified(&self, user_ids: &[String]) {
        for user_id in user_ids {
            self.everywhere(Happening::Notified {
                user_id: user_id.clone(),
            });
        }
    }

    pub fn matched(&self, user_id: &str, id: &str) {
        self.everywhere(Happening::Matched {
            user_id: user_id.to_owned(),
            id: id.to_owned(),
        });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Happening> {
        self.here.subscribe()
    }

    /// Sends this node's happenings for users to the other nodes through `relay` too.
    pub fn relay_to(&self, relay: mpsc::Sender<Happening>) {
        let _ = self.relay.set(relay);
    }

    /// Tells this node's subscribers.
    pub fn deliver_here(&self, happening: Happening) {
        // No subscriber is no error: nobody is listening.
        let _ = self.here.send(happening);
    }

    fn everywhere(&self, happening: Happening) {
        if let Some(relay) = self.relay.get()
            && relay.try_send(happening.clone()).is_err()
        {
            tracing::warn!("the relay to other nodes is full; a happening stays on this node");
        }
        self.deliver_here(happening);
    }
}
