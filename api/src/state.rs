//! The state every request shares: one cloneable handle.

use std::sync::Arc;

use crate::auth::throttle::LoginThrottle;
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
    pub throttle: Arc<LoginThrottle>,
}
