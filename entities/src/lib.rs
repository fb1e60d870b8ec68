//! Sea-orm entities for every table of the infoharbor database.
//!
//! Plain rows only: the rules about them live in the API's service layer.

pub mod audit_log;
pub mod calendar_feeds;
pub mod change_log;
pub mod cluster_nodes;
pub mod cluster_settings;
pub mod content;
pub mod content_countries;
pub mod content_sectors;
pub mod content_status_history;
pub mod content_tags;
pub mod content_translations;
pub mod correspondent_countries;
pub mod correspondent_regions;
pub mod correspondent_sectors;
pub mod countries;
pub mod event_details;
pub mod event_registrations;
pub mod exchange_rates;
pub mod interests;
pub mod investor_profiles;
pub mod notifications;
pub mod opportunity_details;
pub mod organisations;
pub mod policy_details;
pub mod refresh_tokens;
pub mod region_countries;
pub mod regions;
pub mod research_details;
pub mod saved_searches;
pub mod sectors;
pub mod users;
