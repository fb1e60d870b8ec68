//! Investor profiles: what an investor looks for. An investor is any signed-in user with a
//! profile (or the INVESTOR role); the profile is private to its owner and the secretariat.

use chrono::{DateTime, Utc};
use entities::{investor_profiles, users};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::auth::Caller;
use crate::domain::{self, Amount};
use crate::error::{Error, Result};
use crate::limits::THESIS_MAX_CHARS;
use crate::reference::Reference;
use crate::service::content::write::now;
use crate::service::content::{OpportunityType, Stage};
use crate::state::AppState;

/// A profile as read and used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvestorProfile {
    pub countries: Vec<String>,
    /// A category code stands for its sub-categories too.
    pub sectors: Vec<String>,
    pub stages: Vec<Stage>,
    pub opportunity_types: Vec<OpportunityType>,
    pub ticket_min: Option<Amount>,
    pub ticket_max: Option<Amount>,
    pub currency: Option<String>,
    pub thesis: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A profile as its owner writes it, before validation.
#[derive(Debug, Default)]
pub struct ProfileInput {
    pub countries: Vec<String>,
    pub sectors: Vec<String>,
    pub ticket_min: Option<String>,
    pub ticket_max: Option<String>,
    pub currency: Option<String>,
    pub stages: Vec<String>,
    pub opportunity_types: Vec<OpportunityType>,
    pub thesis: Option<String>,
}

impl ProfileInput {
    pub fn validate(self, reference: &Reference) -> Result<InvestorProfile> {
        let countries = domain::country_codes("input.countries", &self.countries, reference, true)?;
        let sectors = domain::sector_codes("input.sectors", &self.sectors, reference, true)?;
        domain::list_len("input.stages", self.stages.len())?;
        domain::list_len("input.opportunityTypes", self.opportunity_types.len())?;
        let mut stages = Vec::new();
        for stage in &self.stages {
            let stage = Stage::from_input("input.stages", stage)?;
            if !stages.contains(&stage) {
                stages.push(stage);
            }
        }
        let mut opportunity_types = Vec::new();
        for kind in self.opportunity_types {
            if !opportunity_types.contains(&kind) {
                opportunity_types.push(kind);
            }
        }
        let domain::MoneyRange {
            min: ticket_min,
            max: ticket_max,
            currency,
        } = domain::money_range(
            ["input.ticketMin", "input.ticketMax", "input.currency"],
            self.ticket_min.as_deref(),
            self.ticket_max.as_deref(),
            self.currency.as_deref(),
        )?;
        let thesis =
            domain::optional_text("input.thesis", self.thesis.as_deref(), THESIS_MAX_CHARS)?;
        Ok(InvestorProfile {
            countries,
            sectors,
            stages,
            opportunity_types,
            ticket_min,
            ticket_max,
            currency,
            thesis,
            updated_at: now(),
        })
    }
}

fn joined<T>(values: &[T], text: impl Fn(&T) -> &str) -> String {
    values.iter().map(text).collect::<Vec<_>>().join(",")
}

fn split(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').filter(|part| !part.is_empty())
}

impl InvestorProfile {
    fn from_row(row: investor_profiles::Model) -> InvestorProfile {
        let amount = |value: &Option<String>| {
            value
                .as_deref()
                .and_then(|text| Amount::parse("ticket", text).ok())
        };
        InvestorProfile {
            countries: split(&row.countries).map(str::to_owned).collect(),
            sectors: split(&row.sectors).map(str::to_owned).collect(),
            stages: split(&row.stages).filter_map(Stage::parse).collect(),
            opportunity_types: split(&row.opportunity_types)
                .filter_map(OpportunityType::parse)
                .collect(),
            ticket_min: amount(&row.ticket_min),
            ticket_max: amount(&row.ticket_max),
            currency: row.currency,
            thesis: row.thesis,
            updated_at: row.updated_at,
        }
    }
}

/// The profile of `user_id`, if they set one. Callers check `access::sees_investor_profile`.
pub async fn of_user(
    connection: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Option<InvestorProfile>> {
    Ok(investor_profiles::Entity::find_by_id(user_id.to_owned())
        .one(connection)
        .await?
        .map(InvestorProfile::from_row))
}

/// Sets (replaces) the caller's profile; answers the caller.
pub async fn set(
    state: &AppState,
    caller: &Caller,
    profile: InvestorProfile,
) -> Result<users::Model> {
    let user = caller.require_user()?;
    let row = investor_profiles::ActiveModel {
        user_id: Set(user.id.clone()),
        countries: Set(profile.countries.join(",")),
        sectors: Set(profile.sectors.join(",")),
        stages: Set(joined(&profile.stages, |stage| stage.as_str())),
        opportunity_types: Set(joined(&profile.opportunity_types, |kind| kind.as_str())),
        ticket_min: Set(profile.ticket_min.map(Amount::into_string)),
        ticket_max: Set(profile.ticket_max.map(Amount::into_string)),
        currency: Set(profile.currency),
        thesis: Set(profile.thesis),
        updated_at: Set(profile.updated_at),
    };
    let transaction = state.db.begin_write().await?;
    investor_profiles::Entity::insert(row)
        .on_conflict(
            OnConflict::column(investor_profiles::Column::UserId)
                .update_columns([
                    investor_profiles::Column::Countries,
                    investor_profiles::Column::Sectors,
                    investor_profiles::Column::Stages,
                    investor_profiles::Column::OpportunityTypes,
                    investor_profiles::Column::TicketMin,
                    investor_profiles::Column::TicketMax,
                    investor_profiles::Column::Currency,
                    investor_profiles::Column::Thesis,
                    investor_profiles::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&*transaction)
        .await?;
    let stored = crate::service::users::find(&*transaction, &user.id)
        .await?
        .ok_or(Error::Unauthenticated)?;
    transaction.commit().await?;
    Ok(stored)
}
