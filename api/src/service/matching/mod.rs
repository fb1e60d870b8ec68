//! Connecting capital with projects (charter art. 5 and 6): what investors look for
//! ([`profile`]), the rates that compare amounts across currencies ([`rates`]), expressions
//! of interest and their answers ([`interests`]), and the items suggested to a person
//! ([`recommend`], [`related`]). Who may do and see what is the access module's.

pub mod interests;
pub mod profile;
pub mod rates;
pub mod recommend;
pub mod related;
