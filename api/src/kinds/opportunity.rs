//! A business opportunity: a project seeking investment or partners, a tender, a technology
//! offer or request. Its amount range, stage, deadline (expired ones drop out of default lists
//! and search) and contact (for members only: `access::sees_contact`).

use async_graphql::{Context, InputObject};
use chrono::Utc;
use entities::{content, opportunity_details};
use sea_orm::{ColumnTrait, Condition, QueryFilter, Select};

use super::{ContentKind, any_of, details_storage, within};
use crate::domain::{self, Amount};
use crate::error::{Error, Result};
use crate::graphql::context::caller;
use crate::graphql::scalars::Date;
use crate::graphql::types::content::{Money, content_object};
use crate::graphql::types::matching::{InterestConnection, InterestSummary};
use crate::reference::Reference;
use crate::service::access;
use crate::service::content::{
    ContentDraft, ContentInput, DetailsDraft, ListFilter, OpportunityType, Purpose, Stage,
};
use crate::service::matching::interests::{self, Among, InterestStatus};

details_storage!(Opportunities, opportunity_details);

#[derive(InputObject, Debug, Clone)]
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
        let domain::MoneyRange {
            min: amount_min,
            max: amount_max,
            currency,
        } = domain::money_range(
            ["amountMin", "amountMax", "currency"],
            self.amount_min.as_deref(),
            self.amount_max.as_deref(),
            self.currency.as_deref(),
        )?;
        if let (Some(deadline), Some(earliest)) = (self.deadline, purpose.earliest())
            && deadline.0 < earliest.date_naive()
        {
            return Err(Error::bad_input("deadline", "must not be in the past"));
        }
        let details = opportunity_details::Model {
            content_id: String::new(),
            opportunity_type: self.opportunity_type.as_str().to_owned(),
            amount_min: amount_min.map(Amount::into_string),
            amount_max: amount_max.map(Amount::into_string),
            currency,
            stage: Stage::stored_from_input("stage", self.stage.as_deref())?,
            deadline: self.deadline.map(|date| date.0),
            contact: domain::optional_text(
                "contact",
                self.contact.as_deref(),
                domain::SHORT_TEXT_MAX_CHARS,
            )?,
        };
        Ok(ContentDraft::new(
            self.content.validate(reference)?,
            DetailsDraft::Opportunity(Draft(details)),
        ))
    }
}

impl ContentKind for Opportunities {
    fn index(row: &opportunity_details::Model, document: &mut search::Document) {
        document.opportunity_type = Some(row.opportunity_type.clone());
        document.currency = row.currency.clone();
        document.deadline_days = row.deadline.map(super::days_since_epoch);
        let scaled = |amount: &Option<String>| {
            amount
                .as_deref()
                .and_then(|text| Amount::parse("amount", text).ok())
                .map(|amount| amount.ten_thousandths())
        };
        // An open-ended range still overlaps every filter above its one bound.
        document.amount_min = scaled(&row.amount_min);
        document.amount_max = scaled(&row.amount_max).or(document.amount_min);
        if document.amount_min.is_none() && document.amount_max.is_some() {
            document.amount_min = Some(0);
        }
    }

    fn narrow_index(filter: &ListFilter, request: &mut search::Request) {
        request.opportunity_types = filter
            .opportunity_types
            .iter()
            .map(|kind| kind.as_str().to_owned())
            .collect();
        (request.deadline_from_days, request.deadline_to_days) =
            super::days_between(filter.deadline_from, filter.deadline_to);
        // The index files an opportunity without a deadline as the last day there is; a
        // deadline bound leaves it out, as the database's comparison with NULL does.
        if request.deadline_from_days.is_some() && request.deadline_to_days.is_none() {
            request.deadline_to_days = Some(i64::MAX - 1);
        }
        request.include_expired = filter.include_expired;
    }

    fn narrow(query: Select<content::Entity>, filter: &ListFilter) -> Select<content::Entity> {
        let types = filter.opportunity_types.iter().map(|kind| kind.as_str());
        let query = any_of(query, opportunity_details::Column::OpportunityType, types);
        let (from, to) = (filter.deadline_from, filter.deadline_to);
        let query = within(query, opportunity_details::Column::Deadline, from, to);
        if filter.include_expired {
            return query;
        }
        let today = Utc::now().date_naive();
        query.filter(
            Condition::any()
                .add(opportunity_details::Column::Deadline.is_null())
                .add(opportunity_details::Column::Deadline.gte(today)),
        )
    }
}

fn money(amount: &Option<String>, currency: &Option<String>) -> Option<Money> {
    match (amount, currency) {
        (Some(amount), Some(currency)) => Some(Money {
            amount: amount.clone(),
            currency: currency.clone(),
        }),
        _ => None,
    }
}

content_object!(
    /// A business opportunity: a project seeking investment or partners, a tender, a technology offer or request.
    Opportunity(opportunity_details::Model) {
        async fn opportunity_type(&self) -> OpportunityType {
            OpportunityType::parse(&self.1.opportunity_type).unwrap_or(OpportunityType::Partnership)
        }
        async fn amount_min(&self) -> Option<Money> {
            money(&self.1.amount_min, &self.1.currency)
        }
        async fn amount_max(&self) -> Option<Money> {
            money(&self.1.amount_max, &self.1.currency)
        }
        /// IDEA, STARTUP, GROWTH, EXPANSION or MATURE.
        async fn stage(&self) -> Option<&str> {
            self.1.stage.as_deref()
        }
        async fn deadline(&self) -> Option<Date> {
            self.1.deadline.map(Date)
        }
        /// True once the deadline has passed; expired opportunities drop out of default lists.
        async fn expired(&self) -> bool {
            self.1.deadline.is_some_and(|deadline| deadline < Utc::now().date_naive())
        }
        /// The interests expressed in it, newest first: for its author and the secretariat, null for everyone else.
        // `child_complexity` is out of reach inside `content_object!` (macro hygiene), so each
        // interest counts as a fixed estimate of its fields.
        #[graphql(complexity = "crate::graphql::page_cost(first, None) * crate::limits::NESTED_NODE_COST")]
        async fn interests(
            &self,
            context: &Context<'_>,
            statuses: Option<Vec<InterestStatus>>,
            first: Option<i32>,
            after: Option<String>,
        ) -> async_graphql::Result<Option<InterestConnection>> {
            let among = Among::Opportunity { id: self.0.core.id.clone(), author_id: self.0.core.author_id.clone() };
            crate::graphql::query::matching::interest_page(context, among, statuses, first, after).await
        }
        /// How its interests stand (counts by status, time to the first answer): for its author and the secretariat, null for everyone else.
        async fn interest_summary(&self, context: &Context<'_>) -> async_graphql::Result<Option<InterestSummary>> {
            if !access::sees_interests_of(&caller(context)?.audience, &self.0.core.author_id) {
                return Ok(None);
            }
            let state = crate::graphql::context::state(context)?;
            Ok(Some(InterestSummary(interests::summary(state.db.connection(), &self.0.core.id).await?)))
        }
        /// Null for those not entitled to see it: only members, the secretariat and the author are.
        async fn contact(&self, context: &Context<'_>) -> async_graphql::Result<Option<&str>> {
            let audience = &caller(context)?.audience;
            Ok(access::sees_contact(audience, &self.0.core.author_id).then_some(()).and(self.1.contact.as_deref()))
        }
    }
);
