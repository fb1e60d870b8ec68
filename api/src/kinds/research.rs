//! A research result: its institutions and authors, technology readiness level, IP status,
//! and whether it is open to commercialisation.

use async_graphql::InputObject;
use entities::research_details;

use super::{ContentKind, details_storage};
use crate::domain;
use crate::error::{Error, Result};
use crate::graphql::types::content::content_object;
use crate::limits::NAMES_MAX;
use crate::reference::Reference;
use crate::service::content::{ContentDraft, ContentInput, DetailsDraft, IpStatus};

details_storage!(ResearchResults, research_details);

#[derive(InputObject, Debug, Clone)]
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

fn names(field: &str, values: &[String]) -> Result<Vec<String>> {
    if values.len() > NAMES_MAX {
        return Err(Error::bad_input(
            field,
            format!("at most {NAMES_MAX} names"),
        ));
    }
    values
        .iter()
        .map(|value| domain::required_text(field, value, domain::SHORT_TEXT_MAX_CHARS))
        .collect()
}

fn as_json(values: &[String]) -> Result<String> {
    serde_json::to_string(values).map_err(|error| Error::Internal(error.into()))
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
        let institutions = names("institutions", &self.institutions)?;
        if institutions.is_empty() {
            return Err(Error::bad_input(
                "institutions",
                "at least one institution is required",
            ));
        }
        let details = research_details::Model {
            content_id: String::new(),
            institutions: as_json(&institutions)?,
            authors: as_json(&names("authors", &self.authors)?)?,
            readiness_level: self.readiness_level,
            ip_status: IpStatus::stored_from_input("ipStatus", self.ip_status.as_deref())?,
            open_to_commercialisation: self.open_to_commercialisation,
        };
        Ok(ContentDraft::new(
            self.content.validate(reference)?,
            DetailsDraft::Research(Draft(details)),
        ))
    }
}

impl ContentKind for ResearchResults {}

content_object!(
    /// A research result open (or not) to commercialisation.
    ResearchResult(research_details::Model) {
        async fn institutions(&self) -> Vec<String> {
            serde_json::from_str(&self.1.institutions).unwrap_or_default()
        }
        async fn authors(&self) -> Vec<String> {
            serde_json::from_str(&self.1.authors).unwrap_or_default()
        }
        /// Technology readiness level, 1–9.
        async fn readiness_level(&self) -> Option<i32> {
            self.1.readiness_level
        }
        /// PATENTED, PATENT_PENDING, UNPROTECTED or OPEN_SOURCE.
        async fn ip_status(&self) -> Option<&str> {
            self.1.ip_status.as_deref()
        }
        async fn open_to_commercialisation(&self) -> bool {
            self.1.open_to_commercialisation
        }
    }
);
