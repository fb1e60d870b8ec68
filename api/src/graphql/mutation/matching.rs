//! Matching: investor profiles, exchange rates, expressions of interest and their answers,
//! and marking the inbox read.

use async_graphql::{Context, ID, InputObject, Object};

use crate::graphql::context::{caller, state};
use crate::graphql::ids::{self, NodeType};
use crate::graphql::types::matching::{ExchangeRate, Interest};
use crate::graphql::types::user::User;
use crate::service::content::{Kind, OpportunityType};
use crate::service::inbox;
use crate::service::matching::profile::ProfileInput;
use crate::service::matching::{interests, profile, rates};

/// What an investor looks for. Replaces the whole profile.
#[derive(InputObject)]
pub struct InvestorProfileInput {
    /// Country codes (e.g. VN).
    pub countries: Vec<String>,
    /// Sector codes; a category (e.g. 05) stands for its sub-categories.
    pub sectors: Vec<String>,
    /// Decimal string in `currency`.
    pub ticket_min: Option<String>,
    pub ticket_max: Option<String>,
    /// ISO 4217; required with a ticket size.
    pub currency: Option<String>,
    /// IDEA, STARTUP, GROWTH, EXPANSION or MATURE.
    pub stages: Option<Vec<String>>,
    pub opportunity_types: Option<Vec<OpportunityType>>,
    /// What the investor looks for, in their words.
    pub thesis: Option<String>,
}

#[derive(Default)]
pub struct MatchingMutation;

#[Object]
impl MatchingMutation {
    /// Sets the caller's investor profile (replacing any earlier one).
    async fn set_investor_profile(
        &self,
        context: &Context<'_>,
        input: InvestorProfileInput,
    ) -> async_graphql::Result<User> {
        let state = state(context)?;
        let caller = caller(context)?;
        caller.require_user()?;
        crate::domain::list_len("input.countries", input.countries.len())?;
        crate::domain::list_len("input.sectors", input.sectors.len())?;
        let validated = ProfileInput {
            countries: input.countries,
            sectors: input.sectors,
            ticket_min: input.ticket_min,
            ticket_max: input.ticket_max,
            currency: input.currency,
            stages: input.stages.unwrap_or_default(),
            opportunity_types: input.opportunity_types.unwrap_or_default(),
            thesis: input.thesis,
        }
        .validate(&state.reference)?;
        Ok(User(profile::set(state, caller, validated).await?))
    }

    /// Secretariat: how many US dollars one unit of `currency` buys (e.g. VND "0.00004").
    async fn set_exchange_rate(
        &self,
        context: &Context<'_>,
        #[graphql(validator(max_length = 16))] currency: String,
        #[graphql(validator(max_length = 64))] usd_per_unit: String,
    ) -> async_graphql::Result<ExchangeRate> {
        let row = rates::set(state(context)?, caller(context)?, &currency, &usd_per_unit).await?;
        Ok(row.into())
    }

    /// A member or investor tells the opportunity's publisher side they want to talk. One
    /// open interest per requester and opportunity.
    async fn express_interest(
        &self,
        context: &Context<'_>,
        opportunity_id: ID,
        message: String,
    ) -> async_graphql::Result<Interest> {
        let (kind, key) = ids::decode_content("opportunityId", &opportunity_id)?;
        if kind != Kind::Opportunity {
            return Err(crate::error::Error::bad_input(
                "opportunityId",
                "not the id of an opportunity",
            )
            .into());
        }
        let record = interests::express(state(context)?, caller(context)?, &key, &message).await?;
        Ok(Interest(record))
    }

    /// The opportunity's author or the secretariat accepts or declines a pending interest;
    /// acceptance releases each side's contact to the other.
    async fn respond_to_interest(
        &self,
        context: &Context<'_>,
        id: ID,
        accept: bool,
        note: Option<String>,
    ) -> async_graphql::Result<Interest> {
        let key = ids::decode_as("id", &id, NodeType::Interest)?;
        let record =
            interests::respond(state(context)?, caller(context)?, &key, accept, note).await?;
        Ok(Interest(record))
    }

    /// The requester withdraws their pending or accepted interest.
    async fn withdraw_interest(
        &self,
        context: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Interest> {
        let key = ids::decode_as("id", &id, NodeType::Interest)?;
        let record = interests::withdraw(state(context)?, caller(context)?, &key).await?;
        Ok(Interest(record))
    }

    /// Marks the caller's notifications read: these (at most 100), or all when `ids` is null.
    /// Answers how many were unread and now are read.
    async fn mark_notifications_read(
        &self,
        context: &Context<'_>,
        ids: Option<Vec<ID>>,
    ) -> async_graphql::Result<u64> {
        let caller = caller(context)?;
        caller.require_user()?;
        let keys = match ids {
            Some(ids) => {
                crate::domain::list_len("ids", ids.len())?;
                Some(
                    ids.iter()
                        .map(|id| ids::decode_as("ids", id, NodeType::Notification))
                        .collect::<Result<Vec<_>, _>>()?,
                )
            }
            None => None,
        };
        Ok(inbox::mark_read(state(context)?, caller, keys).await?)
    }
}
