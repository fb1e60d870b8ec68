//! Content of the four kinds: what it is, who may see and change it, and the one write path
//! every change goes through.

mod draft;
pub mod list;
pub mod read;
mod rules;
mod types;
pub mod write;

pub use draft::{ContentDraft, CoreDraft, DetailsDraft, TranslationDraft};
pub use list::{ListFilter, Order, Page, PageRequest, list};
pub use read::{get, load_records, readable_by};
pub use rules::{Action, contact_visible_to};
pub use types::{ContentRecord, Details, Kind, OpportunityType, Status, Visibility};
pub use write::{create, create_with_seed_key, transition, update};
