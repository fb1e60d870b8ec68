//! Who is calling: password hashing, access tokens, and the per-request caller.

pub mod caller;
pub mod password;
pub mod throttle;
pub mod token;

pub use caller::{Caller, Role};
