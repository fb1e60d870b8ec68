//! The state every request shares: one cloneable handle.

use std::sync::Arc;

use crate::auth::password::HashingPool;
use crate::auth::throttle::{Throttles, TrustedProxies};
use crate::auth::token::TokenKeys;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::reference::Reference;
use crate::service::search::SearchService;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub reference: Arc<Reference>,
    pub tokens: TokenKeys,
    pub metrics: Arc<Metrics>,
    pub search: Arc<SearchService>,
    pub throttle: Arc<Throttles>,
    /// Every password hash a request needs goes through this pool.
    pub hashing: Arc<HashingPool>,
    /// Who may name the client in `X-Forwarded-For`.
    pub trusted_proxies: Arc<TrustedProxies>,
    /// Publications and notifications as they happen, for subscriptions.
    pub live: crate::service::live::Live,
    /// Publications waiting to be matched against the saved searches.
    pub alerts: crate::service::alerts::AlertQueue,
    /// This node among the others on the same database.
    pub cluster: Arc<crate::service::cluster::Cluster>,
    /// Saved searches per user (`--max-saved-searches`).
    pub max_saved_searches: usize,
    /// Whether lists may read through the search index (`--list-source`).
    pub lists_from_index: bool,
}
