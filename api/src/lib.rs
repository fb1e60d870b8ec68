//! infoharbor: the GraphQL API of the China–ASEAN digital economy information exchange.

pub mod app;
pub mod auth;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod feeds;
pub mod graphiql;
pub mod graphql;
pub mod http;
pub mod import;
pub mod kinds;
pub mod limits;
pub mod metrics;
pub mod reference;
pub mod seed;
pub mod service;
pub mod state;
pub mod telemetry;
pub mod ws;
