//! Matching as the schema shows it: investor profiles, exchange rates, interests with their
//! summary, notifications, and recommendations. What each caller sees of them is decided by
//! the access module; these types only ask it.

use async_graphql::{Context, ID, Object, SimpleObject};
use entities::{exchange_rates, notifications};

use super::connection::PageInfo;
use super::content::{Content, Money, Node, Opportunity};
use super::reference::{Country, Sector};
use super::user::Person;
use crate::error::Error;
use crate::graphql::context::{caller, loaders, state};
use crate::graphql::ids::{NodeType, encode};
use crate::graphql::loaders::UserById;
use crate::graphql::scalars::DateTime;
use crate::service::RowPage;
use crate::service::content::{Details, OpportunityType};
use crate::service::inbox::{self, NotificationKind};
use crate::service::matching::interests::{self, InterestRecord, InterestStatus, Summary};
use crate::service::matching::profile;
use crate::service::matching::recommend;

/// What an investor looks for; private to its owner and the secretariat.
pub struct InvestorProfile(pub profile::InvestorProfile);

#[Object]
impl InvestorProfile {
    async fn countries(&self, context: &Context<'_>) -> async_graphql::Result<Vec<Country>> {
        let reference = &state(context)?.reference;
        Ok(self
            .0
            .countries
            .iter()
            .filter_map(|code| reference.country(code).cloned().map(Country))
            .collect())
    }
    /// A category stands for its sub-categories too.
    async fn sectors(&self, context: &Context<'_>) -> async_graphql::Result<Vec<Sector>> {
        let reference = &state(context)?.reference;
        Ok(self
            .0
            .sectors
            .iter()
            .filter_map(|code| reference.sector(code).cloned().map(Sector))
            .collect())
    }
    async fn ticket_min(&self) -> Option<Money> {
        money(self.0.ticket_min.as_ref(), self.0.currency.as_deref())
    }
    async fn ticket_max(&self) -> Option<Money> {
        money(self.0.ticket_max.as_ref(), self.0.currency.as_deref())
    }
    /// IDEA, STARTUP, GROWTH, EXPANSION or MATURE.
    async fn stages(&self) -> Vec<&'static str> {
        self.0.stages.iter().map(|stage| stage.as_str()).collect()
    }
    async fn opportunity_types(&self) -> Vec<OpportunityType> {
        self.0.opportunity_types.clone()
    }
    async fn thesis(&self) -> Option<&str> {
        self.0.thesis.as_deref()
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.updated_at)
    }
}

/// A user by id, through the request's loader.
async fn user_of(
    context: &Context<'_>,
    user_id: &str,
) -> async_graphql::Result<Option<entities::users::Model>> {
    Ok(loaders(context)?
        .load_one(UserById(user_id.to_owned()))
        .await
        .map_err(Error::from)?)
}

fn money(amount: Option<&crate::domain::Amount>, currency: Option<&str>) -> Option<Money> {
    Some(Money {
        amount: amount?.as_str().to_owned(),
        currency: currency?.to_owned(),
    })
}

/// How many US dollars one unit of a currency buys, as the secretariat set it.
#[derive(SimpleObject)]
pub struct ExchangeRate {
    pub currency: String,
    pub usd_per_unit: String,
    pub updated_at: DateTime,
}

impl From<exchange_rates::Model> for ExchangeRate {
    fn from(row: exchange_rates::Model) -> Self {
        ExchangeRate {
            currency: row.currency,
            usd_per_unit: row.usd_per_unit,
            updated_at: DateTime(row.updated_at),
        }
    }
}

/// An expression of interest in an opportunity. Seen only by its parties: the requester, the
/// opportunity's author and the secretariat.
pub struct Interest(pub InterestRecord);

#[Object]
impl Interest {
    pub async fn id(&self) -> ID {
        encode(NodeType::Interest, &self.0.row.id)
    }
    /// The opportunity as it stands now, even if archived since.
    async fn opportunity(&self) -> async_graphql::Result<Opportunity> {
        match &self.0.opportunity.details {
            Details::Opportunity(details) => {
                Ok(Opportunity(self.0.opportunity.clone(), details.clone()))
            }
            _ => Err(Error::Internal(anyhow::anyhow!(
                "interest {} is not about an opportunity",
                self.0.row.id
            ))
            .into()),
        }
    }
    async fn message(&self) -> &str {
        &self.0.row.message
    }
    async fn status(&self) -> InterestStatus {
        self.0.status()
    }
    /// Who expressed it (their public face).
    async fn requester(&self, context: &Context<'_>) -> async_graphql::Result<Option<Person>> {
        Person::load(context, &self.0.row.requester_id).await
    }
    /// The publisher side's note with its answer.
    async fn response_note(&self) -> Option<&str> {
        self.0.row.response_note.as_deref()
    }
    /// The requester's name and email, for the opportunity's author and the secretariat once
    /// the interest is accepted; null before and for everyone else.
    async fn requester_contact(
        &self,
        context: &Context<'_>,
    ) -> async_graphql::Result<Option<String>> {
        let accepted = self.0.status() == InterestStatus::Accepted;
        if !self
            .0
            .party(caller(context)?)
            .sees_requester_contact(accepted)
        {
            return Ok(None);
        }
        Ok(user_of(context, &self.0.row.requester_id)
            .await?
            .map(|user| match user.name {
                Some(name) => format!("{name} <{}>", user.email),
                None => user.email,
            }))
    }
    /// The opportunity's contact (its author's email when it names none), for the requester
    /// once the interest is accepted; null before and for everyone else.
    async fn opportunity_contact(
        &self,
        context: &Context<'_>,
    ) -> async_graphql::Result<Option<String>> {
        let accepted = self.0.status() == InterestStatus::Accepted;
        if !self
            .0
            .party(caller(context)?)
            .sees_opportunity_contact(accepted)
        {
            return Ok(None);
        }
        if let Some(contact) = self.0.opportunity_contact() {
            return Ok(Some(contact.to_owned()));
        }
        let author = user_of(context, &self.0.opportunity.core.author_id).await?;
        Ok(author.map(|user| user.email))
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.row.created_at)
    }
    async fn responded_at(&self) -> Option<DateTime> {
        self.0.row.responded_at.map(DateTime)
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.row.updated_at)
    }
}

#[derive(SimpleObject)]
pub struct InterestEdge {
    pub cursor: String,
    pub node: Interest,
}

/// Interests, newest first.
#[derive(SimpleObject)]
pub struct InterestConnection {
    pub edges: Vec<InterestEdge>,
    pub page_info: PageInfo,
    /// Every interest the filter admits, over all pages.
    pub total_count: i64,
}

impl From<RowPage<InterestRecord>> for InterestConnection {
    fn from(page: RowPage<InterestRecord>) -> Self {
        let page_info = PageInfo::new(page.has_next_page, page.has_previous_page, &page.cursors);
        InterestConnection {
            edges: page
                .rows
                .into_iter()
                .zip(page.cursors)
                .map(|(record, cursor)| InterestEdge {
                    cursor,
                    node: Interest(record),
                })
                .collect(),
            page_info,
            total_count: page.total_count as i64,
        }
    }
}

/// How an opportunity's interests stand: the secretariat's and the author's matching view.
pub struct InterestSummary(pub Summary);

#[Object]
impl InterestSummary {
    async fn total(&self) -> u64 {
        self.0.total()
    }
    async fn pending(&self) -> u64 {
        self.0.pending
    }
    async fn accepted(&self) -> u64 {
        self.0.accepted
    }
    async fn declined(&self) -> u64 {
        self.0.declined
    }
    async fn withdrawn(&self) -> u64 {
        self.0.withdrawn
    }
    async fn first_interest_at(&self) -> Option<DateTime> {
        self.0.first_interest_at.map(DateTime)
    }
    /// When the publisher side first answered any of them.
    async fn first_response_at(&self) -> Option<DateTime> {
        self.0.first_response_at.map(DateTime)
    }
    /// From the first interest to the first answer; null while none is answered.
    async fn seconds_to_first_response(&self) -> Option<i64> {
        let (first, answered) = (self.0.first_interest_at?, self.0.first_response_at?);
        Some((answered - first).num_seconds().max(0))
    }
}

/// One entry of the caller's inbox.
pub struct Notification(pub notifications::Model);

#[Object]
impl Notification {
    pub async fn id(&self) -> ID {
        encode(NodeType::Notification, &self.0.id)
    }
    async fn kind(&self) -> async_graphql::Result<NotificationKind> {
        Ok(NotificationKind::parse(&self.0.kind).ok_or_else(|| {
            Error::Internal(anyhow::anyhow!(
                "notification {} has unknown kind {}",
                self.0.id,
                self.0.kind
            ))
        })?)
    }
    async fn message(&self) -> &str {
        &self.0.message
    }
    async fn read(&self) -> bool {
        self.0.read_at.is_some()
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    /// What it is about, as `node` would answer it for the caller now: null when they may no
    /// longer see it.
    async fn subject(&self, context: &Context<'_>) -> async_graphql::Result<Option<Node>> {
        let (Some(subject_type), Some(key)) = (&self.0.subject_type, &self.0.subject_id) else {
            return Ok(None);
        };
        let state = state(context)?;
        let caller = caller(context)?;
        Ok(match subject_type.as_str() {
            "interest" => interests::get(state, caller, key)
                .await?
                .map(|record| Node::Interest(Interest(record))),
            "content" => crate::service::content::get(state.db.connection(), caller, key)
                .await?
                .map(|record| Node::from_content(Content::from_record(record))),
            "organisation" => crate::service::membership::get(state, caller, key)
                .await?
                .map(|organisation| {
                    Node::Organisation(super::organisation::Organisation(organisation))
                }),
            _ => None,
        })
    }
}

#[derive(SimpleObject)]
pub struct NotificationEdge {
    pub cursor: String,
    pub node: Notification,
}

/// The caller's inbox, newest first.
#[derive(SimpleObject)]
pub struct NotificationConnection {
    pub edges: Vec<NotificationEdge>,
    pub page_info: PageInfo,
    /// Every notification the filter admits, over all pages.
    pub total_count: i64,
    /// The caller's unread notifications, over all pages, whatever the filter.
    pub unread_count: i64,
}

impl From<inbox::Inbox> for NotificationConnection {
    fn from(inbox: inbox::Inbox) -> Self {
        let page = inbox.page;
        let page_info = PageInfo::new(page.has_next_page, page.has_previous_page, &page.cursors);
        NotificationConnection {
            edges: page
                .rows
                .into_iter()
                .zip(page.cursors)
                .map(|(row, cursor)| NotificationEdge {
                    cursor,
                    node: Notification(row),
                })
                .collect(),
            page_info,
            total_count: page.total_count as i64,
            unread_count: inbox.unread_count as i64,
        }
    }
}

/// An opportunity recommended for the caller's profile, with why.
#[derive(SimpleObject)]
pub struct Recommendation {
    pub content: Content,
    /// From 0 to 1: the share of a perfect fit.
    pub score: f64,
    /// Why, in words a person can check: "sector 0505 Digital finance", "ticket overlaps USD 0.8–1.2 m".
    pub reasons: Vec<String>,
}

impl From<recommend::Recommendation> for Recommendation {
    fn from(found: recommend::Recommendation) -> Self {
        Recommendation {
            content: Content::from_record(found.record),
            score: found.score,
            reasons: found.reasons,
        }
    }
}
