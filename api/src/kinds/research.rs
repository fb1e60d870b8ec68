//! A research result: its institutions and authors, technology readiness level, IP status,
//! and whether it is open to commercialisation.

use async_graphql::InputObject;
use entities::{content, research_details};
use sea_orm::Select;

use super::ContentKind;
use crate::domain;
use crate::error::{Error, Result};
use crate::graphql::types::content::content_object;
use crate::limits::NAMES_MAX;
use crate::reference::Reference;
use crate::service::content::{ContentDraft, ContentInput, DetailsDraft, IpStatus, ListFilter};

pub struct ResearchResults;

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

/// A research result's validated details; only [`ResearchResultInput::validate`] builds one.
#[derive(Debug, Clone)]
pub struct Draft(research_details::Model);

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
            ip_status: self
                .ip_status
                .as_deref()
                .map(|status| IpStatus::from_input("ipStatus", status))
                .transpose()?
                .map(|status| status.as_str().to_owned()),
            open_to_commercialisation: self.open_to_commercialisation,
        };
        Ok(ContentDraft::new(
            self.content.validate(reference)?,
            DetailsDraft::Research(Draft(details)),
        ))
    }
}

impl ContentKind for ResearchResults {
    type Draft = Draft;
    type Entity = research_details::Entity;

    fn named_countries(_row: &research_details::Model) -> Vec<String> {
        Vec::new()
    }

    fn details(draft: &Draft) -> &research_details::Model {
        &draft.0
    }

    fn row(content_id: &str, draft: &Draft) -> research_details::Model {
        research_details::Model {
            content_id: content_id.to_owned(),
            ..draft.0.clone()
        }
    }

    fn content_id_column() -> research_details::Column {
        research_details::Column::ContentId
    }

    fn index(_row: &research_details::Model, _document: &mut search::Document) {}

    fn narrow(query: Select<content::Entity>, _filter: &ListFilter) -> Select<content::Entity> {
        query
    }
}

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
