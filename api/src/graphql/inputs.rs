//! Input types, and their validation into service drafts and filters: each failure is
//! `BAD_USER_INPUT` naming the field.

use async_graphql::InputObject;
use chrono::Utc;

use super::scalars::{Date, DateTime};
use crate::domain::{self, Amount};
use crate::error::{Error, Result};
use crate::reference::Reference;
use crate::service::content::{
    ContentDraft, CoreDraft, DetailsDraft, ListFilter, OpportunityType, Status, TranslationDraft,
    Visibility,
};

pub const POLICY_TYPES: &[&str] = &["LAW", "REGULATION", "INCENTIVE", "STANDARD", "GUIDELINE"];
pub const EVENT_TYPES: &[&str] = &[
    "ANNUAL_MEETING",
    "FORUM",
    "SEMINAR",
    "TECHNOLOGY_LAUNCH",
    "EXPO",
    "TRAINING",
    "OTHER",
];
pub const STAGES: &[&str] = &["IDEA", "STARTUP", "GROWTH", "EXPANSION", "MATURE"];
pub const IP_STATUSES: &[&str] = &["PATENTED", "PATENT_PENDING", "UNPROTECTED", "OPEN_SOURCE"];

#[derive(InputObject)]
pub struct TranslationInput {
    pub language: String,
    pub title: String,
    pub summary: String,
    pub body: String,
}

/// What every kind shares.
#[derive(InputObject)]
pub struct ContentInput {
    pub title: String,
    pub summary: String,
    pub body: String,
    /// BCP 47 tag of the original language.
    pub language: String,
    /// Country codes.
    pub countries: Vec<String>,
    /// Sector codes.
    pub sectors: Vec<String>,
    pub tags: Option<Vec<String>>,
    /// Default PUBLIC.
    pub visibility: Option<Visibility>,
    pub translations: Option<Vec<TranslationInput>>,
    /// Where the information comes from (http or https).
    pub source_url: Option<String>,
}

impl ContentInput {
    fn validate(self, reference: &Reference) -> Result<CoreDraft> {
        let language = domain::language_tag("content.language", &self.language)?;
        let mut translations = Vec::new();
        for (index, translation) in self
            .translations
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let field = |name: &str| format!("content.translations[{index}].{name}");
            let translation_language =
                domain::language_tag(&field("language"), &translation.language)?;
            if translation_language.eq_ignore_ascii_case(&language)
                || translations.iter().any(|other: &TranslationDraft| {
                    other.language.eq_ignore_ascii_case(&translation_language)
                })
            {
                return Err(Error::bad_input(
                    field("language"),
                    format!("there is already a text in {translation_language}"),
                ));
            }
            translations.push(TranslationDraft {
                language: translation_language,
                title: domain::required_text(
                    &field("title"),
                    &translation.title,
                    domain::TITLE_MAX_CHARS,
                )?,
                summary: domain::required_text(
                    &field("summary"),
                    &translation.summary,
                    domain::SUMMARY_MAX_CHARS,
                )?,
                body: domain::required_text(
                    &field("body"),
                    &translation.body,
                    domain::BODY_MAX_CHARS,
                )?,
            });
        }
        Ok(CoreDraft {
            title: domain::required_text("content.title", &self.title, domain::TITLE_MAX_CHARS)?,
            summary: domain::required_text(
                "content.summary",
                &self.summary,
                domain::SUMMARY_MAX_CHARS,
            )?,
            body: domain::required_text("content.body", &self.body, domain::BODY_MAX_CHARS)?,
            language,
            countries: domain::country_codes(
                "content.countries",
                &self.countries,
                reference,
                false,
            )?,
            sectors: domain::sector_codes("content.sectors", &self.sectors, reference, false)?,
            tags: domain::tags("content.tags", &self.tags.unwrap_or_default())?,
            visibility: self.visibility.unwrap_or(Visibility::Public),
            translations,
            source_url: self
                .source_url
                .as_deref()
                .filter(|url| !url.trim().is_empty())
                .map(|url| domain::url("content.sourceUrl", url))
                .transpose()?,
        })
    }
}

/// Whether a write creates (dates must not lie in the past) or edits an existing item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Create,
    Update,
}

#[derive(InputObject)]
pub struct OpportunityInput {
    pub content: ContentInput,
    pub opportunity_type: OpportunityType,
    /// Decimal string, e.g. "250000" or "1250.50".
    pub amount_min: Option<String>,
    pub amount_max: Option<String>,
    /// ISO 4217; required with an amount.
    pub currency: Option<String>,
    /// IDEA, STARTUP, GROWTH, EXPANSION or MATURE.
    pub stage: Option<String>,
    pub deadline: Option<Date>,
    /// Shown only to members, the secretariat and the author.
    pub contact: Option<String>,
}

impl OpportunityInput {
    pub fn validate(self, reference: &Reference, purpose: Purpose) -> Result<ContentDraft> {
        let amount_min = self
            .amount_min
            .as_deref()
            .map(|amount| Amount::parse("amountMin", amount))
            .transpose()?;
        let amount_max = self
            .amount_max
            .as_deref()
            .map(|amount| Amount::parse("amountMax", amount))
            .transpose()?;
        if let (Some(min), Some(max)) = (&amount_min, &amount_max)
            && min > max
        {
            return Err(Error::bad_input(
                "amountMax",
                "must not be less than amountMin",
            ));
        }
        let currency = self
            .currency
            .as_deref()
            .filter(|code| !code.trim().is_empty())
            .map(|code| domain::currency("currency", code))
            .transpose()?;
        if (amount_min.is_some() || amount_max.is_some()) && currency.is_none() {
            return Err(Error::bad_input("currency", "is required with an amount"));
        }
        if let Some(deadline) = self.deadline
            && purpose == Purpose::Create
            && deadline.0 < Utc::now().date_naive()
        {
            return Err(Error::bad_input("deadline", "must not be in the past"));
        }
        Ok(ContentDraft {
            core: self.content.validate(reference)?,
            details: DetailsDraft::Opportunity {
                opportunity_type: self.opportunity_type,
                amount_min,
                amount_max,
                currency,
                stage: self
                    .stage
                    .as_deref()
                    .map(|stage| domain::one_of("stage", stage, STAGES))
                    .transpose()?,
                deadline: self.deadline.map(|date| date.0),
                contact: domain::optional_text(
                    "contact",
                    self.contact.as_deref(),
                    domain::SHORT_TEXT_MAX_CHARS,
                )?,
            },
        })
    }
}

#[derive(InputObject)]
pub struct PolicyInput {
    pub content: ContentInput,
    pub issuing_authority: String,
    /// LAW, REGULATION, INCENTIVE, STANDARD or GUIDELINE.
    pub policy_type: String,
    /// The country whose policy it is.
    pub jurisdiction: Option<String>,
    pub document_number: Option<String>,
    pub effective_date: Option<Date>,
}

impl PolicyInput {
    pub fn validate(self, reference: &Reference) -> Result<ContentDraft> {
        Ok(ContentDraft {
            core: self.content.validate(reference)?,
            details: DetailsDraft::Policy {
                issuing_authority: domain::required_text(
                    "issuingAuthority",
                    &self.issuing_authority,
                    domain::SHORT_TEXT_MAX_CHARS,
                )?,
                jurisdiction: self
                    .jurisdiction
                    .as_deref()
                    .map(|code| domain::country_code("jurisdiction", code, reference))
                    .transpose()?,
                policy_type: domain::one_of("policyType", &self.policy_type, POLICY_TYPES)?,
                document_number: domain::optional_text(
                    "documentNumber",
                    self.document_number.as_deref(),
                    200,
                )?,
                effective_date: self.effective_date.map(|date| date.0),
            },
        })
    }
}

#[derive(InputObject)]
pub struct ResearchResultInput {
    pub content: ContentInput,
    pub institutions: Vec<String>,
    #[graphql(default)]
    pub authors: Vec<String>,
    /// Technology readiness level, 1–9.
    pub readiness_level: Option<i32>,
    /// PATENTED, PATENT_PENDING, UNPROTECTED or OPEN_SOURCE.
    pub ip_status: Option<String>,
    #[graphql(default)]
    pub open_to_commercialisation: bool,
}

impl ResearchResultInput {
    pub fn validate(self, reference: &Reference) -> Result<ContentDraft> {
        if let Some(level) = self.readiness_level
            && !(1..=9).contains(&level)
        {
            return Err(Error::bad_input(
                "readinessLevel",
                format!("must be between 1 and 9, got {level}"),
            ));
        }
        let names = |field: &str, values: &[String]| -> Result<Vec<String>> {
            if values.len() > 50 {
                return Err(Error::bad_input(field, "at most 50 names"));
            }
            values
                .iter()
                .map(|value| domain::required_text(field, value, domain::SHORT_TEXT_MAX_CHARS))
                .collect()
        };
        let institutions = names("institutions", &self.institutions)?;
        if institutions.is_empty() {
            return Err(Error::bad_input(
                "institutions",
                "at least one institution is required",
            ));
        }
        Ok(ContentDraft {
            core: self.content.validate(reference)?,
            details: DetailsDraft::Research {
                institutions,
                authors: names("authors", &self.authors)?,
                readiness_level: self.readiness_level,
                ip_status: self
                    .ip_status
                    .as_deref()
                    .map(|status| domain::one_of("ipStatus", status, IP_STATUSES))
                    .transpose()?,
                open_to_commercialisation: self.open_to_commercialisation,
            },
        })
    }
}

#[derive(InputObject)]
pub struct EventInput {
    pub content: ContentInput,
    /// ANNUAL_MEETING, FORUM, SEMINAR, TECHNOLOGY_LAUNCH, EXPO, TRAINING or OTHER.
    pub event_type: String,
    pub starts_at: DateTime,
    pub ends_at: DateTime,
    pub city: Option<String>,
    /// Maximum number of participants; none means unlimited.
    pub capacity: Option<i32>,
    /// IANA time zone of the event's local times; default UTC.
    pub time_zone: Option<String>,
    /// Country code of the venue.
    pub country: Option<String>,
    #[graphql(default)]
    pub online: bool,
    pub venue: Option<String>,
    pub registration_deadline: Option<DateTime>,
}

impl EventInput {
    pub fn validate(self, reference: &Reference, purpose: Purpose) -> Result<ContentDraft> {
        if self.ends_at.0 <= self.starts_at.0 {
            return Err(Error::bad_input("endsAt", "must be after startsAt"));
        }
        if purpose == Purpose::Create && self.starts_at.0 < Utc::now() {
            return Err(Error::bad_input("startsAt", "must not be in the past"));
        }
        if let Some(deadline) = self.registration_deadline
            && deadline.0 > self.ends_at.0
        {
            return Err(Error::bad_input(
                "registrationDeadline",
                "must not be after endsAt",
            ));
        }
        if let Some(capacity) = self.capacity
            && capacity < 1
        {
            return Err(Error::bad_input("capacity", "must be at least 1"));
        }
        let city = domain::optional_text("city", self.city.as_deref(), 200)?;
        if city.is_none() && !self.online {
            return Err(Error::bad_input(
                "city",
                "is required for an event that is not online",
            ));
        }
        Ok(ContentDraft {
            core: self.content.validate(reference)?,
            details: DetailsDraft::Event {
                event_type: domain::one_of("eventType", &self.event_type, EVENT_TYPES)?,
                starts_at: self.starts_at.0,
                ends_at: self.ends_at.0,
                time_zone: self
                    .time_zone
                    .as_deref()
                    .map(|zone| domain::time_zone("timeZone", zone))
                    .transpose()?
                    .unwrap_or_else(|| "UTC".to_owned()),
                city,
                country: self
                    .country
                    .as_deref()
                    .map(|code| domain::country_code("country", code, reference))
                    .transpose()?,
                online: self.online,
                venue: domain::optional_text(
                    "venue",
                    self.venue.as_deref(),
                    domain::SHORT_TEXT_MAX_CHARS,
                )?,
                registration_deadline: self.registration_deadline.map(|deadline| deadline.0),
                capacity: self.capacity,
            },
        })
    }
}

/// Narrows a list. Fields named for one kind are refused on the others.
#[derive(InputObject, Default)]
pub struct ContentFilter {
    pub countries: Option<Vec<String>>,
    /// A category code also matches its sub-categories.
    pub sectors: Option<Vec<String>>,
    /// Staff only (the secretariat; correspondents for their own items); others always get PUBLISHED.
    pub statuses: Option<Vec<Status>>,
    /// Original languages (primary subtags such as zh, th).
    pub languages: Option<Vec<String>>,
    pub visibility: Option<Visibility>,
    pub tags: Option<Vec<String>>,
    pub published_from: Option<DateTime>,
    pub published_to: Option<DateTime>,
    pub updated_from: Option<DateTime>,
    pub updated_to: Option<DateTime>,
    /// Only the caller's own items (requires signing in).
    pub mine: Option<bool>,
    /// Opportunities only.
    pub opportunity_types: Option<Vec<OpportunityType>>,
    /// Opportunities only.
    pub deadline_from: Option<Date>,
    /// Opportunities only.
    pub deadline_to: Option<Date>,
    /// Opportunities only: include those past their deadline (default false).
    pub include_expired: Option<bool>,
    /// Policies only.
    pub policy_types: Option<Vec<String>>,
    /// Policies only.
    pub effective_from: Option<Date>,
    /// Policies only.
    pub effective_to: Option<Date>,
    /// Events only.
    pub event_types: Option<Vec<String>>,
    /// Events only.
    pub starts_from: Option<DateTime>,
    /// Events only.
    pub starts_to: Option<DateTime>,
}

impl ContentFilter {
    pub fn validate(self, reference: &Reference) -> Result<ListFilter> {
        let languages = self
            .languages
            .unwrap_or_default()
            .iter()
            .map(|tag| domain::language_tag("filter.languages", tag))
            .collect::<Result<Vec<_>>>()?;
        let upper =
            |field: &str, values: Option<Vec<String>>, allowed: &[&str]| -> Result<Vec<String>> {
                values
                    .unwrap_or_default()
                    .iter()
                    .map(|value| domain::one_of(field, value, allowed))
                    .collect()
            };
        let (countries, sectors) = domain::filter_codes(self.countries, self.sectors, reference)?;
        Ok(ListFilter {
            countries,
            sectors,
            statuses: self.statuses.unwrap_or_default(),
            languages,
            visibility: self.visibility,
            tags: self
                .tags
                .unwrap_or_default()
                .iter()
                .map(|tag| tag.trim().to_lowercase())
                .collect(),
            published_from: self.published_from.map(|instant| instant.0),
            published_to: self.published_to.map(|instant| instant.0),
            updated_from: self.updated_from.map(|instant| instant.0),
            updated_to: self.updated_to.map(|instant| instant.0),
            mine: self.mine.unwrap_or(false),
            opportunity_types: self.opportunity_types.unwrap_or_default(),
            deadline_from: self.deadline_from.map(|date| date.0),
            deadline_to: self.deadline_to.map(|date| date.0),
            include_expired: self.include_expired.unwrap_or(false),
            policy_types: upper("filter.policyTypes", self.policy_types, POLICY_TYPES)?,
            effective_from: self.effective_from.map(|date| date.0),
            effective_to: self.effective_to.map(|date| date.0),
            event_types: upper("filter.eventTypes", self.event_types, EVENT_TYPES)?,
            starts_from: self.starts_from.map(|instant| instant.0),
            starts_to: self.starts_to.map(|instant| instant.0),
        })
    }
}
