//! The membership lifecycle of the charter (articles 16–21): an organisation applies with its
//! materials, the secretariat does the preliminary review, the council's decision is recorded
//! (a member certificate, or a decline with a reason), members hold a tier, and may withdraw
//! or be expelled. Only users of an organisation in good standing (MEMBER) count as members,
//! and that is read on every request, so a change takes effect at once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entities::{organisations, users};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::audit::{self, Subject};
use super::content::write::now;
use crate::auth::Caller;
use crate::domain;
use crate::error::{Error, Result};
use crate::service::content::types::stored_enum;
use crate::state::AppState;

stored_enum!(
    /// Where an organisation stands in the membership lifecycle; only MEMBER is in good
    /// standing.
    MembershipStatus {
        Applied => "APPLIED",
        UnderCouncilReview => "UNDER_COUNCIL_REVIEW",
        Member => "MEMBER",
        Declined => "DECLINED",
        Withdrawn => "WITHDRAWN",
        Expelled => "EXPELLED",
    }
);

stored_enum!(
    /// A member's rank in the alliance (charter art. 18).
    MembershipTier { CouncilMember => "COUNCIL_MEMBER", ViceChair => "VICE_CHAIR", Chair => "CHAIR" }
);

use MembershipStatus::{Applied, Declined, Expelled, Member, UnderCouncilReview, Withdrawn};

stored_enum!(
    /// The kinds of organisation the alliance admits (charter art. 16).
    OrganisationType {
        Enterprise => "ENTERPRISE",
        Association => "ASSOCIATION",
        InvestorOrFinancialInstitution => "INVESTOR_OR_FINANCIAL_INSTITUTION",
        University => "UNIVERSITY",
        ResearchInstitute => "RESEARCH_INSTITUTE",
    }
);

/// An application as the applicant writes it, validated.
pub struct Application {
    pub name: String,
    pub country: String,
    pub organisation_type: String,
    pub description: String,
    pub business_licence_number: String,
    pub report: String,
}

impl Application {
    pub fn validate(
        name: &str,
        country: &str,
        organisation_type: &str,
        description: &str,
        business_licence_number: &str,
        report: &str,
        reference: &crate::reference::Reference,
    ) -> Result<Application> {
        Ok(Application {
            name: domain::name("input.name", name, domain::SHORT_TEXT_MAX_CHARS)?,
            country: domain::country_code("input.country", country, reference)?,
            organisation_type: OrganisationType::from_input(
                "input.organisationType",
                organisation_type,
            )?
            .as_str()
            .to_owned(),
            description: domain::required_text(
                "input.description",
                description,
                domain::SUMMARY_MAX_CHARS,
            )?,
            business_licence_number: domain::required_text(
                "input.businessLicenceNumber",
                business_licence_number,
                100,
            )?,
            report: domain::required_text("input.report", report, domain::BODY_MAX_CHARS)?,
        })
    }
}

/// An organisation the caller may see (`access::sees_organisation`); `None` otherwise.
pub async fn get(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<Option<organisations::Model>> {
    let own_organisation = caller
        .user
        .as_ref()
        .and_then(|user| user.organisation_id.as_deref());
    if !super::access::sees_organisation(&caller.audience, own_organisation, id) {
        return Ok(None);
    }
    Ok(organisations::Entity::find_by_id(id.to_owned())
        .one(state.db.connection())
        .await?)
}

/// A page of organisations, oldest application first.
pub type OrganisationPage = super::RowPage<organisations::Model>;

/// Which page of organisations: `size` of them after the `after` cursor, or before the
/// `before` cursor when `backwards` (Relay's `last`).
pub struct OrganisationPageRequest {
    pub size: u64,
    pub backwards: bool,
    pub after: Option<String>,
    pub before: Option<String>,
}

/// Where a page starts: the application time and id of the organisation next to it. Keyset,
/// not an offset, so a page stays put while organisations apply or change status meanwhile.
#[derive(Serialize, Deserialize)]
struct Cursor {
    #[serde(rename = "c")]
    created_at: DateTime<Utc>,
    #[serde(rename = "i")]
    id: String,
}

fn encode_cursor(organisation: &organisations::Model) -> String {
    let cursor = Cursor {
        created_at: organisation.created_at,
        id: organisation.id.clone(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).unwrap_or_default())
}

fn decode_cursor(field: &str, encoded: &str) -> Result<Cursor> {
    let invalid = || Error::bad_input(field, "not a cursor of this list");
    let bytes = URL_SAFE_NO_PAD
        .decode(encoded.as_bytes())
        .map_err(|_| invalid())?;
    serde_json::from_slice(&bytes).map_err(|_| invalid())
}

/// Organisations in `statuses` (all when empty), oldest application first, one page at a
/// time; secretariat only.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    statuses: Vec<MembershipStatus>,
    page: &OrganisationPageRequest,
) -> Result<OrganisationPage> {
    caller.require_secretariat()?;
    if page.after.is_some() && page.before.is_some() {
        return Err(Error::bad_input("before", "give after or before, not both"));
    }
    let connection = state.db.connection();
    let mut query = organisations::Entity::find();
    if !statuses.is_empty() {
        query = query.filter(
            organisations::Column::MembershipStatus
                .is_in(statuses.iter().map(|status| status.as_str())),
        );
    }
    let total_count = query.clone().count(connection).await?;
    // Going backwards walks newest first from `before`, then flips the page.
    let (boundary, field) = if page.backwards {
        (&page.before, "before")
    } else {
        (&page.after, "after")
    };
    if let Some(encoded) = boundary {
        let cursor = decode_cursor(field, encoded)?;
        let (created_at, id) = (organisations::Column::CreatedAt, organisations::Column::Id);
        query = query.filter(if page.backwards {
            Condition::any().add(created_at.lt(cursor.created_at)).add(
                Condition::all()
                    .add(created_at.eq(cursor.created_at))
                    .add(id.lt(cursor.id)),
            )
        } else {
            Condition::any().add(created_at.gt(cursor.created_at)).add(
                Condition::all()
                    .add(created_at.eq(cursor.created_at))
                    .add(id.gt(cursor.id)),
            )
        });
    }
    let order = if page.backwards {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let mut rows = query
        .order_by(organisations::Column::CreatedAt, order.clone())
        .order_by(organisations::Column::Id, order)
        .limit(page.size + 1)
        .all(connection)
        .await?;
    let has_more = rows.len() as u64 > page.size;
    rows.truncate(page.size as usize);
    if page.backwards {
        rows.reverse();
    }
    let cursors = rows.iter().map(encode_cursor).collect();
    Ok(OrganisationPage {
        rows,
        cursors,
        has_next_page: if page.backwards {
            page.before.is_some()
        } else {
            has_more
        },
        has_previous_page: if page.backwards {
            has_more
        } else {
            page.after.is_some()
        },
        total_count,
    })
}

/// The caller applies on behalf of a new organisation and becomes its liaison.
pub async fn apply(
    state: &AppState,
    caller: &Caller,
    application: Application,
) -> Result<organisations::Model> {
    let user = caller.require_user()?;
    let connection = state.db.connection();
    let stored_user = super::users::find(connection, &user.id)
        .await?
        .ok_or(Error::Unauthenticated)?;
    if stored_user.organisation_id.is_some() {
        return Err(Error::conflict("you already belong to an organisation"));
    }
    // Names differing only in case are the same organisation.
    let lower_name = Expr::expr(Func::lower(Expr::col(organisations::Column::Name)));
    if organisations::Entity::find()
        .filter(lower_name.eq(application.name.to_lowercase()))
        .one(connection)
        .await?
        .is_some()
    {
        return Err(Error::conflict(
            "an organisation with this name already exists",
        ));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let transaction = state.db.begin_write().await?;
    organisations::Entity::insert(organisations::ActiveModel {
        id: Set(id.clone()),
        name: Set(application.name),
        country_code: Set(Some(application.country)),
        org_type: Set(application.organisation_type),
        membership_status: Set(Applied.as_str().to_owned()),
        tier: Set(None),
        created_at: Set(now()),
        description: Set(Some(application.description)),
        business_licence_number: Set(Some(application.business_licence_number)),
        report: Set(Some(application.report)),
        liaison_user_id: Set(Some(user.id.clone())),
        certificate_number: Set(None),
        status_reason: Set(None),
    })
    .exec_without_returning(&*transaction)
    .await?;
    users::Entity::update_many()
        .col_expr(users::Column::OrganisationId, Expr::value(id.clone()))
        .col_expr(users::Column::UpdatedAt, Expr::value(now()))
        .filter(users::Column::Id.eq(user.id.clone()))
        .exec(&*transaction)
        .await?;
    audit::record(
        &*transaction,
        caller,
        None,
        audit::MEMBERSHIP,
        Some(Subject {
            kind: "organisation",
            id: &id,
        }),
        "applied for membership".to_owned(),
    )
    .await?;
    let organisation = organisations::Entity::find_by_id(id)
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound("organisation"))?;
    transaction.commit().await?;
    Ok(organisation)
}

/// A change of membership status, guarded by the status it starts from.
struct Step<'a> {
    from: &'a [MembershipStatus],
    to: MembershipStatus,
    tier: Option<MembershipTier>,
    certificate_number: Option<String>,
    reason: Option<String>,
    what: String,
}

async fn step(
    state: &AppState,
    caller: &Caller,
    id: &str,
    step: Step<'_>,
) -> Result<organisations::Model> {
    let connection = state.db.connection();
    let organisation = organisations::Entity::find_by_id(id.to_owned())
        .one(connection)
        .await?
        .ok_or(Error::NotFound("organisation"))?;
    let current = MembershipStatus::parse(&organisation.membership_status);
    if !current.is_some_and(|current| step.from.contains(&current)) {
        let allowed: Vec<&str> = step.from.iter().map(|status| status.as_str()).collect();
        return Err(Error::conflict(format!(
            "the organisation is {}; this needs it to be {}",
            organisation.membership_status,
            allowed.join(" or ")
        )));
    }
    let transaction = state.db.begin_write().await?;
    let mut update = organisations::Entity::update_many()
        .col_expr(
            organisations::Column::MembershipStatus,
            Expr::value(step.to.as_str()),
        )
        .col_expr(
            organisations::Column::StatusReason,
            Expr::value(step.reason.clone()),
        );
    if step.tier.is_some() {
        update = update.col_expr(
            organisations::Column::Tier,
            Expr::value(step.tier.map(|tier| tier.as_str())),
        );
    }
    if step.certificate_number.is_some() {
        update = update.col_expr(
            organisations::Column::CertificateNumber,
            Expr::value(step.certificate_number.clone()),
        );
    }
    let result = update
        .filter(organisations::Column::Id.eq(id))
        .filter(organisations::Column::MembershipStatus.eq(organisation.membership_status.clone()))
        .exec(&*transaction)
        .await?;
    if result.rows_affected != 1 {
        return Err(Error::conflict(
            "the membership changed meanwhile; reload and try again",
        ));
    }
    let detail = match &step.reason {
        Some(reason) => format!(
            "{}: {} → {} ({reason})",
            step.what,
            organisation.membership_status,
            step.to.as_str()
        ),
        None => format!(
            "{}: {} → {}",
            step.what,
            organisation.membership_status,
            step.to.as_str()
        ),
    };
    audit::record(
        &*transaction,
        caller,
        None,
        audit::MEMBERSHIP,
        Some(Subject {
            kind: "organisation",
            id,
        }),
        detail,
    )
    .await?;
    let mut notified = Vec::new();
    if let Some(message) = decision_message(&organisation.name, &step, caller) {
        notified = super::inbox::notify_organisation(
            &*transaction,
            id,
            super::inbox::Notice {
                kind: super::inbox::NotificationKind::MembershipDecided,
                message,
                subject: Some((super::inbox::SubjectType::Organisation, id)),
            },
        )
        .await?;
    }
    let updated = organisations::Entity::find_by_id(id.to_owned())
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound("organisation"))?;
    transaction.commit().await?;
    state.live.notified(&notified);
    Ok(updated)
}

/// What the organisation's users are told of a step: the decisions made about them (admitted,
/// declined, expelled, withdrawn by the secretariat), not the steps they took themselves or
/// the forwarding of their application.
fn decision_message(name: &str, step: &Step<'_>, caller: &Caller) -> Option<String> {
    let decision = match step.to {
        Member if step.from.contains(&UnderCouncilReview) => format!("{name} is now a member"),
        Declined => format!("The application of {name} was declined"),
        Expelled => format!("{name} was expelled from the alliance"),
        Withdrawn if caller.is_secretariat() => format!("{name} was recorded as withdrawn"),
        _ => return None,
    };
    Some(match &step.reason {
        Some(reason) => format!("{decision}: {reason}"),
        None => decision,
    })
}

/// The secretariat's preliminary review: forward to the council, or decline with a note.
pub async fn review(
    state: &AppState,
    caller: &Caller,
    id: &str,
    recommend: bool,
    note: Option<String>,
) -> Result<organisations::Model> {
    caller.require_secretariat()?;
    let note = domain::optional_text("note", note.as_deref(), domain::SUMMARY_MAX_CHARS)?;
    if !recommend && note.is_none() {
        return Err(Error::bad_input(
            "note",
            "a declined application needs a reason",
        ));
    }
    let to = if recommend {
        UnderCouncilReview
    } else {
        Declined
    };
    step(
        state,
        caller,
        id,
        Step {
            from: &[Applied],
            to,
            tier: None,
            certificate_number: None,
            reason: note,
            what: "preliminary review".into(),
        },
    )
    .await
}

/// Records the council's decision: membership with a certificate number and a tier, or a
/// decline with a reason.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    id: &str,
    approve: bool,
    certificate_number: Option<String>,
    tier: Option<MembershipTier>,
    reason: Option<String>,
) -> Result<organisations::Model> {
    caller.require_secretariat()?;
    let reason = domain::optional_text("reason", reason.as_deref(), domain::SUMMARY_MAX_CHARS)?;
    if approve {
        let certificate_number = domain::required_text(
            "certificateNumber",
            certificate_number.as_deref().unwrap_or_default(),
            crate::limits::CERTIFICATE_NUMBER_MAX_CHARS,
        )?;
        let tier = tier.unwrap_or(MembershipTier::CouncilMember);
        step(
            state,
            caller,
            id,
            Step {
                from: &[UnderCouncilReview],
                to: Member,
                tier: Some(tier),
                certificate_number: Some(certificate_number),
                reason,
                what: "council decision".into(),
            },
        )
        .await
    } else {
        if reason.is_none() {
            return Err(Error::bad_input(
                "reason",
                "a declined application needs a reason",
            ));
        }
        step(
            state,
            caller,
            id,
            Step {
                from: &[UnderCouncilReview],
                to: Declined,
                tier: None,
                certificate_number: None,
                reason,
                what: "council decision".into(),
            },
        )
        .await
    }
}

pub async fn set_tier(
    state: &AppState,
    caller: &Caller,
    id: &str,
    tier: MembershipTier,
) -> Result<organisations::Model> {
    caller.require_secretariat()?;
    step(
        state,
        caller,
        id,
        Step {
            from: &[Member],
            to: Member,
            tier: Some(tier),
            certificate_number: None,
            reason: None,
            what: format!("tier set to {}", tier.as_str()),
        },
    )
    .await
}

/// A member withdraws on request of its liaison (or the secretariat records it).
pub async fn withdraw(
    state: &AppState,
    caller: &Caller,
    id: &str,
    reason: Option<String>,
) -> Result<organisations::Model> {
    let user = caller.require_user()?;
    let organisation = get(state, caller, id)
        .await?
        .ok_or(Error::NotFound("organisation"))?;
    if !(caller.is_secretariat()
        || organisation.liaison_user_id.as_deref() == Some(user.id.as_str()))
    {
        return Err(Error::forbidden(
            "only the organisation's liaison or the secretariat may withdraw it",
        ));
    }
    let reason = domain::optional_text("reason", reason.as_deref(), domain::SUMMARY_MAX_CHARS)?;
    step(
        state,
        caller,
        id,
        Step {
            from: &[Member, Applied, UnderCouncilReview],
            to: Withdrawn,
            tier: None,
            certificate_number: None,
            reason,
            what: "withdrawal".into(),
        },
    )
    .await
}

/// The secretariat expels a member, with a reason; its users lose member access at once.
pub async fn expel(
    state: &AppState,
    caller: &Caller,
    id: &str,
    reason: &str,
) -> Result<organisations::Model> {
    caller.require_secretariat()?;
    let reason = domain::required_text("reason", reason, domain::SUMMARY_MAX_CHARS)?;
    step(
        state,
        caller,
        id,
        Step {
            from: &[Member],
            to: Expelled,
            tier: None,
            certificate_number: None,
            reason: Some(reason),
            what: "expulsion".into(),
        },
    )
    .await
}
