//! Service functions: the rules of the exchange (permissions, transactions, the change log).
//! Resolvers call these and nothing below them.

pub mod access;
pub mod audit;
pub mod content;
pub mod membership;
pub mod search;
pub mod users;
