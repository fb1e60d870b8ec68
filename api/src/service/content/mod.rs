//! Content of the four kinds: what it is, who may see and change it, and the one write path
//! every change goes through.

mod draft;
pub mod list;
pub mod read;
pub(crate) mod types;
pub mod write;

pub use crate::service::access::workflow::Action;
pub use draft::{
    ContentDraft, ContentInput, CoreDraft, DetailsDraft, Purpose, TranslationDraft,
    TranslationInput,
};
pub use list::{Counting, ListFilter, Order, Page, PageRequest, list};
pub use read::{countries_and_sectors_among, get, load_records, readable};
pub use types::{
    ContentRecord, Details, EventType, IpStatus, Kind, OpportunityType, PolicyType, Stage, Status,
    Visibility,
};
pub use write::{Transition, create, create_with_seed_key, transition, update};
