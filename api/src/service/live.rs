//! What happens as it happens, for subscriptions: an item published, a notification added.
//! One bounded broadcast channel per process. A subscriber that falls more than
//! [`LIVE_BACKLOG`] happenings behind (a client that stopped reading) is dropped rather than
//! buffered: its subscription ends with an error, and memory stays bounded.
//!
//! Happenings are announced after their transaction commits (and, for a publication, after the
//! search index holds the item), so a subscriber that reacts to one finds it.
//!
//! [`LIVE_BACKLOG`]: crate::limits::LIVE_BACKLOG

use tokio::sync::broadcast;

use crate::limits::LIVE_BACKLOG;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Happening {
    /// An item became PUBLISHED.
    Published { id: String },
    /// A notification was added to this user's inbox.
    Notified { user_id: String },
    /// A newly published item matched one of this user's saved searches.
    Matched { user_id: String, id: String },
}

#[derive(Clone)]
pub struct Live(broadcast::Sender<Happening>);

impl Default for Live {
    fn default() -> Self {
        Live(broadcast::channel(LIVE_BACKLOG).0)
    }
}

impl Live {
    pub fn published(&self, id: &str) {
        // No subscriber is no error: nobody is listening.
        let _ = self.0.send(Happening::Published { id: id.to_owned() });
    }

    pub fn notified(&self, user_ids: &[String]) {
        for user_id in user_ids {
            let _ = self.0.send(Happening::Notified {
                user_id: user_id.clone(),
            });
        }
    }

    pub fn matched(&self, user_id: &str, id: &str) {
        let _ = self.0.send(Happening::Matched {
            user_id: user_id.to_owned(),
            id: id.to_owned(),
        });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Happening> {
        self.0.subscribe()
    }
}
