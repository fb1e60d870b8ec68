//! Content of the four kinds: what it is, who may see and change it, and the one write path
//! every change goes through.

mod draft;
pub mod list;
pub mod read;
mod types;
pub mod write;

pub use draft::{ContentDraft, CoreDraft, DetailsDraft, TranslationDraft};
pub use list::{ListFilter, Order, Page, PageRequest, list};
pub use read::{get, load_records};
pub use crate::service::access::workflow::Action;
pub use types::{ContentRecord, Details, Kind, OpportunityType, Status, Visibility};
pub use write::{create, create_with_seed_key, transition, update};
