//! The schema's output types.

pub mod alerts;
pub mod connection;
pub mod content;
pub mod events;
pub mod matching;
pub mod organisation;
pub mod reference;
pub mod search;
pub mod user;
