//! An industry policy: a law, regulation, incentive, standard or guideline, issued by an
//! authority for a jurisdiction.

use async_graphql::{Context, InputObject};
use entities::content;
use entities::policy_details::{self, Column};
use sea_orm::Select;

use super::{ContentKind, any_of, details_storage, within};
use crate::domain;
use crate::error::Result;
use crate::graphql::context::state;
use crate::graphql::scalars::Date;
use crate::graphql::types::content::content_object;
use crate::graphql::types::reference::Country;
use crate::limits::PLACE_MAX_CHARS;
use crate::reference::Reference;
use crate::service::content::{ContentDraft, ContentInput, DetailsDraft, ListFilter, PolicyType};

details_storage!(Policies, policy_details);

#[derive(InputObject, Debug, Clone)]
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
        let details = policy_details::Model {
            content_id: String::new(),
            issuing_authority: domain::required_text(
                "issuingAuthority",
                &self.issuing_authority,
                domain::SHORT_TEXT_MAX_CHARS,
            )?,
            jurisdiction_code: self
                .jurisdiction
                .as_deref()
                .map(|code| domain::country_code("jurisdiction", code, reference))
                .transpose()?,
            policy_type: PolicyType::from_input("policyType", &self.policy_type)?
                .as_str()
                .to_owned(),
            document_number: domain::optional_text(
                "documentNumber",
                self.document_number.as_deref(),
                PLACE_MAX_CHARS,
            )?,
            effective_date: self.effective_date.map(|date| date.0),
        };
        Ok(ContentDraft::new(
            self.content.validate(reference)?,
            DetailsDraft::Policy(Draft(details)),
        ))
    }
}

impl ContentKind for Policies {
    /// The jurisdiction is a country the correspondent must cover.
    fn named_countries(row: &policy_details::Model) -> Vec<String> {
        row.jurisdiction_code.iter().cloned().collect()
    }

    fn index(row: &policy_details::Model, document: &mut search::Document) {
        document.policy_type = Some(row.policy_type.clone());
        document.effective_days = row.effective_date.map(super::days_since_epoch);
    }

    fn narrow_index(filter: &ListFilter, request: &mut search::Request) {
        let list = &mut request.list;
        list.policy_types = filter
            .policy_types
            .iter()
            .map(|kind| kind.as_str().to_owned())
            .collect();
        (list.effective_from_days, list.effective_to_days) =
            super::days_between(filter.effective_from, filter.effective_to);
    }

    fn narrow(query: Select<content::Entity>, filter: &ListFilter) -> Select<content::Entity> {
        let types = filter.policy_types.iter().map(|kind| kind.as_str());
        let query = any_of(query, Column::PolicyType, types);
        within(
            query,
            Column::EffectiveDate,
            filter.effective_from,
            filter.effective_to,
        )
    }
}

content_object!(
    /// An industry policy: a law, regulation, incentive, standard or guideline.
    Policy(policy_details::Model) {
        async fn issuing_authority(&self) -> &str {
            &self.1.issuing_authority
        }
        /// LAW, REGULATION, INCENTIVE, STANDARD or GUIDELINE.
        async fn policy_type(&self) -> &str {
            &self.1.policy_type
        }
        /// The country whose law it is.
        async fn jurisdiction(&self, context: &Context<'_>) -> async_graphql::Result<Option<Country>> {
            let reference = &state(context)?.reference;
            Ok(self.1.jurisdiction_code.as_deref().and_then(|code| reference.country(code)).cloned().map(Country))
        }
        async fn document_number(&self) -> Option<&str> {
            self.1.document_number.as_deref()
        }
        async fn effective_date(&self) -> Option<Date> {
            self.1.effective_date.map(Date)
        }
    }
);
