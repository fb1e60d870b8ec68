//! `infoharbor seed --demo`: demo users of every role and a multilingual demo data set,
//! written through the same service path as the API, and idempotent.

use anyhow::Context;
use chrono::{Duration, NaiveDate, Utc};
use entities::content;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use crate::auth::Role;
use crate::auth::caller::Caller;
use crate::graphql::scalars::{Date, DateTime};
use crate::kinds::event::EventInput;
use crate::kinds::opportunity::OpportunityInput;
use crate::kinds::policy::PolicyInput;
use crate::kinds::research::ResearchResultInput;
use crate::reference::Reference;
use crate::service::content::{
    Action, ContentDraft, ContentInput, OpportunityType, Purpose, Status, Transition,
    TranslationInput, Visibility, create_with_seed_key, transition,
};
use crate::service::users::{self, NewUser};
use crate::state::AppState;

const DEMO_DATA: &str = include_str!("../../data/demo.json");

/// (email, role, name, organisation, password)
const DEMO_USERS: &[(&str, Role, &str, Option<&str>, &str)] = &[
    (
        "secretariat@demo.infoharbor.example",
        Role::Secretariat,
        "Secretariat Reviewer",
        Some("China-ASEAN Digital Economy Alliance Secretariat"),
        "demo-secretariat-2026",
    ),
    (
        "correspondent@demo.infoharbor.example",
        Role::Correspondent,
        "Regional Correspondent",
        Some("Nanning Correspondent Office"),
        "demo-correspondent-2026",
    ),
    (
        "member@demo.infoharbor.example",
        Role::Member,
        "Member Analyst",
        Some("Mekong Digital Trade Association"),
        "demo-member-2026",
    ),
    (
        "investor@demo.infoharbor.example",
        Role::Investor,
        "Venture Investor",
        Some("Lancang-Mekong Capital Partners"),
        "demo-investor-2026",
    ),
    (
        "user@demo.infoharbor.example",
        Role::User,
        "Registered Reader",
        None,
        "demo-user-2026",
    ),
];

#[derive(Deserialize)]
struct DemoData {
    items: Vec<DemoItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoItem {
    key: String,
    language: String,
    title: String,
    summary: String,
    body: String,
    countries: Vec<String>,
    sectors: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    visibility: String,
    status: String,
    #[serde(default)]
    translations: Vec<DemoTranslation>,
    opportunity: Option<DemoOpportunity>,
    policy: Option<DemoPolicy>,
    research: Option<DemoResearch>,
    event: Option<DemoEvent>,
}

#[derive(Deserialize)]
struct DemoTranslation {
    language: String,
    title: String,
    summary: String,
    body: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoOpportunity {
    #[serde(rename = "type")]
    opportunity_type: String,
    amount_min: Option<String>,
    amount_max: Option<String>,
    currency: Option<String>,
    stage: Option<String>,
    deadline_days: Option<i64>,
    contact: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoPolicy {
    issuing_authority: String,
    jurisdiction: Option<String>,
    policy_type: String,
    document_number: Option<String>,
    effective_date: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoResearch {
    institutions: Vec<String>,
    #[serde(default)]
    authors: Vec<String>,
    readiness_level: Option<i32>,
    ip_status: Option<String>,
    #[serde(default)]
    open_to_commercialisation: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoEvent {
    event_type: String,
    starts_in_days: i64,
    duration_hours: Option<i64>,
    time_zone: Option<String>,
    city: Option<String>,
    country: Option<String>,
    #[serde(default)]
    online: bool,
    venue: Option<String>,
    capacity: Option<i32>,
}

pub async fn demo(state: &AppState) -> anyhow::Result<()> {
    let data: DemoData =
        serde_json::from_str(DEMO_DATA).context("the shipped demo data is not valid")?;
    let mut callers = Vec::new();
    for (email, role, name, organisation, password) in DEMO_USERS {
        let user = users::upsert(
            state,
            NewUser {
                email: (*email).to_owned(),
                password: (*password).to_owned(),
                role: *role,
                name: Some((*name).to_owned()),
                organisation: organisation.map(str::to_owned),
                // The demo correspondent covers every country, so every demo item is in scope.
                countries: if *role == Role::Correspondent {
                    state
                        .reference
                        .countries
                        .iter()
                        .map(|country| country.code.clone())
                        .collect()
                } else {
                    Vec::new()
                },
                regions: Vec::new(),
                sectors: Vec::new(),
                trusted: *role == Role::Correspondent,
            },
        )
        .await
        .with_context(|| format!("failed to create demo user {email}"))?;
        // The same caller a sign-in as this user would give.
        callers.push(
            users::caller_for_user(state.db.connection(), user)
                .await
                .with_context(|| format!("failed to load demo user {email}"))?,
        );
    }
    let secretariat = &callers[0];
    let correspondent = &callers[1];

    let total = data.items.len();
    let mut created = 0;
    // One index commit for the whole load instead of one per write.
    state.search.defer_indexing(true);
    for (index, item) in data.items.into_iter().enumerate() {
        let exists = content::Entity::find()
            .filter(content::Column::SeedKey.eq(item.key.clone()))
            .one(state.db.connection())
            .await?
            .is_some();
        if !exists {
            seed_item(state, correspondent, secretariat, item).await?;
            created += 1;
        }
        if (index + 1) % 20 == 0 || index + 1 == total {
            eprintln!("demo items: {}/{total}", index + 1);
        }
    }
    state.search.defer_indexing(false);
    crate::service::search::replay(state)
        .await
        .context("failed to index the demo data")?;
    seed_matching(state, secretariat, &callers[3]).await?;
    println!(
        "demo data: {created} items added, {} already there",
        total - created
    );
    println!("demo users (email / password):");
    for (email, role, _, _, password) in DEMO_USERS {
        println!(
            "  {:<14} {email} / {password}",
            role.as_str().to_lowercase()
        );
    }
    Ok(())
}

/// Rough US-dollar rates for the region's currencies, for comparing orders of magnitude in the
/// demo's recommendations (the secretariat maintains real ones).
const DEMO_RATES: &[(&str, &str)] = &[
    ("CNY", "0.14"),
    ("BND", "0.74"),
    ("KHR", "0.00025"),
    ("IDR", "0.000062"),
    ("LAK", "0.000046"),
    ("MYR", "0.21"),
    ("MMK", "0.00048"),
    ("PHP", "0.017"),
    ("SGD", "0.74"),
    ("THB", "0.028"),
    ("VND", "0.00004"),
    ("EUR", "1.08"),
];

/// The demo's exchange rates, and an investor profile for the demo investor (kept when they
/// have one), so that recommendations have something to rank by from the start.
async fn seed_matching(
    state: &AppState,
    secretariat: &crate::auth::Caller,
    investor: &crate::auth::Caller,
) -> anyhow::Result<()> {
    use crate::service::matching::{profile, rates};
    let existing = rates::all(state.db.connection()).await?;
    for (currency, rate) in DEMO_RATES {
        if !existing.iter().any(|row| row.currency == *currency) {
            rates::set(state, secretariat, currency, rate)
                .await
                .with_context(|| format!("failed to set the demo rate of {currency}"))?;
        }
    }
    let investor_id = investor.user_id().context("the demo investor is a user")?;
    if profile::of_user(state.db.connection(), investor_id)
        .await?
        .is_none()
    {
        let wanted = profile::ProfileInput {
            countries: vec!["VN".into(), "TH".into(), "ID".into()],
            sectors: vec!["05".into()],
            ticket_min: Some("250000".into()),
            ticket_max: Some("3000000".into()),
            currency: Some("USD".into()),
            stages: vec!["STARTUP".into(), "GROWTH".into()],
            opportunity_types: vec![crate::service::content::OpportunityType::Investment],
            thesis: Some(
                "Digital payments, cross-border e-commerce and logistics platforms serving \
                 small merchants in the Mekong region."
                    .into(),
            ),
        }
        .validate(&state.reference)?;
        profile::set(state, investor, wanted).await?;
    }
    Ok(())
}

async fn seed_item(
    state: &AppState,
    author: &Caller,
    secretariat: &Caller,
    item: DemoItem,
) -> anyhow::Result<()> {
    let key = item.key.clone();
    let status = Status::parse(&item.status).with_context(|| format!("{key}: unknown status"))?;
    let draft =
        draft_of(item, &state.reference).with_context(|| format!("{key}: invalid demo item"))?;
    let record = create_with_seed_key(state, author, draft, false, Some(key.clone()))
        .await
        .with_context(|| format!("{key}: failed to create it"))?;
    let id = record.core.id;
    let steps: &[(Action, Option<&str>)] = match status {
        Status::Draft => &[],
        Status::Submitted => &[(Action::Submit, None)],
        Status::Published => &[(Action::Submit, None), (Action::Approve, None)],
        Status::Rejected => &[
            (Action::Submit, None),
            (
                Action::Reject,
                Some("please add the source and the contact person"),
            ),
        ],
        Status::Archived => &[
            (Action::Submit, None),
            (Action::Approve, None),
            (Action::Archive, None),
        ],
    };
    for (action, reason) in steps {
        let actor = if *action == Action::Submit {
            author
        } else {
            secretariat
        };
        let asked = Transition {
            action: *action,
            reason: reason.map(str::to_owned),
            expected_updated_at: None,
        };
        transition(state, actor, &id, asked)
            .await
            .with_context(|| format!("{key}: failed to {}", action.name()))?;
    }
    Ok(())
}

/// The demo items were written before today: events and deadlines that lie in the past now
/// (the demo shows expired opportunities and past events) were in the future then. Validation
/// judges "not in the past" against this moment, like any write against its own.
const DEMO_WRITTEN_DAYS_AGO: i64 = 120;

/// Validates a demo item through the same inputs and rules as the API.
fn draft_of(item: DemoItem, reference: &Reference) -> anyhow::Result<ContentDraft> {
    let today = Utc::now();
    let purpose = Purpose::Create {
        now: today - Duration::days(DEMO_WRITTEN_DAYS_AGO),
    };
    let content = ContentInput {
        title: item.title,
        summary: item.summary,
        body: item.body,
        language: item.language,
        countries: item.countries,
        sectors: item.sectors,
        tags: Some(item.tags),
        visibility: Some(Visibility::parse(&item.visibility).context("unknown visibility")?),
        translations: Some(
            item.translations
                .into_iter()
                .map(|translation| TranslationInput {
                    language: translation.language,
                    title: translation.title,
                    summary: translation.summary,
                    body: translation.body,
                })
                .collect(),
        ),
        source_url: None,
    };
    let validated = match (item.opportunity, item.policy, item.research, item.event) {
        (Some(opportunity), None, None, None) => OpportunityInput {
            content,
            opportunity_type: OpportunityType::from_input("type", &opportunity.opportunity_type)?,
            amount_min: opportunity.amount_min,
            amount_max: opportunity.amount_max,
            currency: opportunity.currency,
            stage: opportunity.stage,
            deadline: opportunity
                .deadline_days
                .map(|days| Date((today + Duration::days(days)).date_naive())),
            contact: opportunity.contact,
        }
        .validate(reference, purpose),
        (None, Some(policy), None, None) => PolicyInput {
            content,
            issuing_authority: policy.issuing_authority,
            policy_type: policy.policy_type,
            jurisdiction: policy.jurisdiction,
            document_number: policy.document_number,
            effective_date: policy.effective_date.map(Date),
        }
        .validate(reference),
        (None, None, Some(research), None) => ResearchResultInput {
            content,
            institutions: research.institutions,
            authors: research.authors,
            readiness_level: research.readiness_level,
            ip_status: research.ip_status,
            open_to_commercialisation: research.open_to_commercialisation,
        }
        .validate(reference),
        (None, None, None, Some(event)) => {
            // Whole hours from the next midnight, so seeding twice a day gives the same times.
            let midnight = today
                .date_naive()
                .and_hms_opt(1, 0, 0)
                .context("a valid time")?
                .and_utc();
            let starts_at = midnight + Duration::days(event.starts_in_days);
            let hours = event.duration_hours.unwrap_or(8).max(1);
            EventInput {
                content,
                event_type: event.event_type,
                starts_at: DateTime(starts_at),
                ends_at: DateTime(starts_at + Duration::hours(hours)),
                city: event.city,
                capacity: event.capacity,
                time_zone: event.time_zone,
                country: event.country,
                online: event.online,
                venue: event.venue,
                registration_deadline: Some(DateTime(starts_at - Duration::days(2))),
                online_url: None,
            }
            .validate(reference, purpose)
        }
        _ => anyhow::bail!("an item needs exactly one of opportunity, policy, research or event"),
    };
    Ok(validated?)
}
