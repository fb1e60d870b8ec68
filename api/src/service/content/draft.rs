//! A content item as its author wrote it: the input every kind shares, and the validated
//! draft that create and update store. A draft can only be built by validating an input, so
//! the API and the demo seed pass the same rules.

use async_graphql::InputObject;
use chrono::{DateTime, Utc};

use super::types::{Kind, Visibility};
use crate::domain;
use crate::error::{Error, Result};
use crate::kinds::event::{self, Events};
use crate::kinds::opportunity::{self, Opportunities};
use crate::kinds::policy::{self, Policies};
use crate::kinds::research::{self, ResearchResults};
use crate::kinds::{ContentKind, Storage};
use crate::reference::Reference;

/// Whether a write creates an item (dates must not lie before `now`, the moment of writing)
/// or edits an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Create { now: DateTime<Utc> },
    Update,
}

impl Purpose {
    pub fn create_now() -> Purpose {
        Purpose::Create { now: Utc::now() }
    }

    /// The moment before which a new item's dates may not lie; `None` on update.
    pub fn earliest(self) -> Option<DateTime<Utc>> {
        match self {
            Purpose::Create { now } => Some(now),
            Purpose::Update => None,
        }
    }
}

#[derive(InputObject, Debug, Clone)]
pub struct TranslationInput {
    pub language: String,
    pub title: String,
    pub summary: String,
    pub body: String,
}

/// What every kind shares.
#[derive(InputObject, Debug, Clone)]
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

#[derive(Debug, Clone)]
pub struct TranslationDraft {
    pub(in crate::service) language: String,
    pub(in crate::service) title: String,
    pub(in crate::service) summary: String,
    pub(in crate::service) body: String,
}

#[derive(Debug, Clone)]
pub struct CoreDraft {
    pub(in crate::service) title: String,
    pub(in crate::service) summary: String,
    pub(in crate::service) body: String,
    pub(in crate::service) language: String,
    pub(in crate::service) countries: Vec<String>,
    pub(in crate::service) sectors: Vec<String>,
    pub(in crate::service) tags: Vec<String>,
    pub(in crate::service) visibility: Visibility,
    pub(in crate::service) translations: Vec<TranslationDraft>,
    pub(in crate::service) source_url: Option<String>,
}

/// The validated details of one kind.
#[derive(Debug, Clone)]
pub enum DetailsDraft {
    Opportunity(opportunity::Draft),
    Policy(policy::Draft),
    Research(research::Draft),
    Event(event::Draft),
}

impl DetailsDraft {
    pub fn kind(&self) -> Kind {
        match self {
            DetailsDraft::Opportunity(_) => Kind::Opportunity,
            DetailsDraft::Policy(_) => Kind::Policy,
            DetailsDraft::Research(_) => Kind::Research,
            DetailsDraft::Event(_) => Kind::Event,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ContentDraft {
    pub(in crate::service) core: CoreDraft,
    pub(in crate::service) details: DetailsDraft,
}

impl ContentDraft {
    pub(crate) fn new(core: CoreDraft, details: DetailsDraft) -> ContentDraft {
        ContentDraft { core, details }
    }

    pub fn kind(&self) -> Kind {
        self.details.kind()
    }

    /// Every country the item names, its own and those of its details (a policy's
    /// jurisdiction, an event's venue): a correspondent's scope must cover them all.
    pub fn countries_in_scope(&self) -> Vec<String> {
        let mut countries = self.core.countries.clone();
        let named = match &self.details {
            DetailsDraft::Opportunity(draft) => {
                Opportunities::named_countries(Opportunities::details(draft))
            }
            DetailsDraft::Policy(draft) => Policies::named_countries(Policies::details(draft)),
            DetailsDraft::Research(draft) => {
                ResearchResults::named_countries(ResearchResults::details(draft))
            }
            DetailsDraft::Event(draft) => Events::named_countries(Events::details(draft)),
        };
        for country in named {
            if !countries.contains(&country) {
                countries.push(country);
            }
        }
        countries
    }

    pub fn sectors(&self) -> &[String] {
        &self.core.sectors
    }
}

fn translation(
    index: usize,
    input: TranslationInput,
    original_language: &str,
    earlier: &[TranslationDraft],
) -> Result<TranslationDraft> {
    let field = |name: &str| format!("content.translations[{index}].{name}");
    let language = domain::language_tag(&field("language"), &input.language)?;
    if language.eq_ignore_ascii_case(original_language)
        || earlier
            .iter()
            .any(|other| other.language.eq_ignore_ascii_case(&language))
    {
        return Err(Error::bad_input(
            field("language"),
            format!("there is already a text in {language}"),
        ));
    }
    Ok(TranslationDraft {
        language,
        title: domain::required_text(&field("title"), &input.title, domain::TITLE_MAX_CHARS)?,
        summary: domain::required_text(
            &field("summary"),
            &input.summary,
            domain::SUMMARY_MAX_CHARS,
        )?,
        body: domain::required_text(&field("body"), &input.body, domain::BODY_MAX_CHARS)?,
    })
}

impl ContentInput {
    pub(crate) fn validate(self, reference: &Reference) -> Result<CoreDraft> {
        let language = domain::language_tag("content.language", &self.language)?;
        let mut translations: Vec<TranslationDraft> = Vec::new();
        for (index, input) in self
            .translations
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let checked = translation(index, input, &language, &translations)?;
            translations.push(checked);
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
