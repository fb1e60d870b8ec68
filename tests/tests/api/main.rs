//! HTTP tests: each starts the real server on a random port with its own database and
//! calls it as a client would. One test binary, so the suite links once.

mod fixtures;
mod fuzz;
mod harness;

mod alerts;
mod caching;
mod change_log;
mod clients;
mod content_kinds;
mod database_outage;
mod events;
mod feeds;
mod graphiql;
mod hardening;
mod http;
mod identity;
mod integrity;
mod listing;
mod matching;
mod matrix;
mod membership;
mod nodes_and_errors;
mod reference;
mod relay;
mod schema;
mod search;
mod search_quality;
mod subscriptions;
mod throttling;
mod totals;
mod visibility;
mod websocket;
mod workflow;
