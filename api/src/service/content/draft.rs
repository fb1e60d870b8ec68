//! A validated content item as written by its author: what create and update store.

use chrono::{DateTime, NaiveDate, Utc};

use super::types::{OpportunityType, Visibility};
use crate::domain::Amount;

#[derive(Debug, Clone)]
pub struct TranslationDraft {
    pub language: String,
    pub title: String,
    pub summary: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct CoreDraft {
    pub title: String,
    pub summary: String,
    pub body: String,
    pub language: String,
    pub countries: Vec<String>,
    pub sectors: Vec<String>,
    pub tags: Vec<String>,
    pub visibility: Visibility,
    pub translations: Vec<TranslationDraft>,
    pub source_url: Option<String>,
}

#[derive(Debug, Clone)]
pub enum DetailsDraft {
    Opportunity {
        opportunity_type: OpportunityType,
        amount_min: Option<Amount>,
        amount_max: Option<Amount>,
        currency: Option<String>,
        stage: Option<String>,
        deadline: Option<NaiveDate>,
        contact: Option<String>,
    },
    Policy {
        issuing_authority: String,
        jurisdiction: Option<String>,
        policy_type: String,
        document_number: Option<String>,
        effective_date: Option<NaiveDate>,
    },
    Research {
        institutions: Vec<String>,
        authors: Vec<String>,
        readiness_level: Option<i32>,
        ip_status: Option<String>,
        open_to_commercialisation: bool,
    },
    Event {
        event_type: String,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        time_zone: String,
        city: Option<String>,
        country: Option<String>,
        online: bool,
        venue: Option<String>,
        registration_deadline: Option<DateTime<Utc>>,
        capacity: Option<i32>,
    },
}

#[derive(Debug, Clone)]
pub struct ContentDraft {
    pub core: CoreDraft,
    pub details: DetailsDraft,
}
