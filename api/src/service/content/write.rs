//! The one write path for content: every create, update and transition runs in one
//! transaction that also appends to the status history and the change log.

use chrono::{DateTime, SubsecRound, Utc};
use entities::{
    change_log, content, content_countries, content_sectors, content_status_history, content_tags,
    content_translations, event_details, opportunity_details, policy_details, research_details,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::draft::{ContentDraft, DetailsDraft};
use super::read::{get, load_records};
use crate::service::access::workflow::{
    Action, Scope, check_may_edit, check_may_write, check_transition,
};
use super::types::{ContentRecord, Kind, Status};
use crate::auth::{Caller, Role};
use crate::error::{Error, Result};
use crate::state::AppState;

/// Timestamps are kept to the microsecond, the precision PostgreSQL stores, so a value read
/// back equals the value written on both databases.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Creates a draft written by `caller`.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    draft: ContentDraft,
) -> Result<ContentRecord> {
    create_with_seed_key(state, caller, draft, None).await
}

/// Creates a draft that `seed --demo` can find again by `seed_key`, so that seeding twice
/// adds nothing.
pub async fn create_with_seed_key(
    state: &AppState,
    caller: &Caller,
    draft: ContentDraft,
    seed_key: Option<String>,
) -> Result<ContentRecord> {
    let user = check_may_write(caller)?;
    if user.role == Role::Correspondent {
        Scope::load(state.db.connection(), &user.id, &state.reference)
            .await?
            .check(&draft.core.countries, &draft.core.sectors, &state.reference)?;
    }
    let id = uuid::Uuid::now_v7().to_string();
    let timestamp = now();
    let transaction = state.db.begin_write().await?;
    content::Entity::insert(content::ActiveModel {
        id: Set(id.clone()),
        kind: Set(kind_of(&draft.details).as_str().to_owned()),
        title: Set(draft.core.title.clone()),
        summary: Set(draft.core.summary.clone()),
        body: Set(draft.core.body.clone()),
        language: Set(draft.core.language.clone()),
        visibility: Set(draft.core.visibility.as_str().to_owned()),
        status: Set(Status::Draft.as_str().to_owned()),
        author_id: Set(user.id.clone()),
        organisation_id: Set(None),
        source_url: Set(draft.core.source_url.clone()),
        seed_key: Set(seed_key),
        created_at: Set(timestamp),
        updated_at: Set(timestamp),
        published_at: Set(None),
        listed_at: Set(timestamp),
    })
    .exec_without_returning(&*transaction)
    .await?;
    write_parts(&*transaction, &id, &draft, false).await?;
    record_history(
        &*transaction,
        &id,
        Some(&user.id),
        None,
        Status::Draft,
        None,
        timestamp,
    )
    .await?;
    let seq = append_change(&*transaction, &id, "CREATED", timestamp).await?;
    let record = reload(&*transaction, &id).await?;
    transaction.commit().await?;
    crate::service::search::sync(state, &[id], seq).await;
    Ok(record)
}

/// Replaces an item's content with `draft`; its status stays as it is.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    draft: ContentDraft,
) -> Result<ContentRecord> {
    // Anonymous writers learn that they must sign in before anything about the item.
    check_may_write(caller)?;
    let existing = get(state.db.connection(), caller, id)
        .await?
        .ok_or(Error::NotFound("content"))?;
    if existing.kind() != kind_of(&draft.details) {
        return Err(Error::NotFound("content"));
    }
    check_may_edit(caller, &existing)?;
    let user = caller.require_user()?;
    if user.role == Role::Correspondent {
        Scope::load(state.db.connection(), &user.id, &state.reference)
            .await?
            .check(&draft.core.countries, &draft.core.sectors, &state.reference)?;
    }
    let timestamp = now();
    let transaction = state.db.begin_write().await?;
    // Guarded by the updated_at we read, so two editors cannot silently overwrite each other.
    let result = content::Entity::update_many()
        .col_expr(
            content::Column::Title,
            Expr::value(draft.core.title.clone()),
        )
        .col_expr(
            content::Column::Summary,
            Expr::value(draft.core.summary.clone()),
        )
        .col_expr(content::Column::Body, Expr::value(draft.core.body.clone()))
        .col_expr(
            content::Column::Language,
            Expr::value(draft.core.language.clone()),
        )
        .col_expr(
            content::Column::Visibility,
            Expr::value(draft.core.visibility.as_str()),
        )
        .col_expr(
            content::Column::SourceUrl,
            Expr::value(draft.core.source_url.clone()),
        )
        .col_expr(content::Column::UpdatedAt, Expr::value(timestamp))
        .filter(content::Column::Id.eq(id))
        .filter(content::Column::UpdatedAt.eq(existing.core.updated_at))
        .exec(&*transaction)
        .await?;
    if result.rows_affected != 1 {
        return Err(Error::conflict(
            "the content changed while you were editing it; reload it and try again",
        ));
    }
    write_parts(&*transaction, id, &draft, true).await?;
    let seq = append_change(&*transaction, id, "UPDATED", timestamp).await?;
    let record = reload(&*transaction, id).await?;
    transaction.commit().await?;
    crate::service::search::sync(state, &[id.to_owned()], seq).await;
    Ok(record)
}

/// Moves an item through the workflow; `reason` is required to reject and kept in the history.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
    reason: Option<String>,
) -> Result<ContentRecord> {
    caller.require_user()?;
    let existing = get(state.db.connection(), caller, id)
        .await?
        .ok_or(Error::NotFound("content"))?;
    check_transition(caller, &existing, action)?;
    let user = caller.require_user()?;
    if action == Action::Publish && user.role == Role::Correspondent {
        // A trusted correspondent publishes only inside their scope, even if it shrank since.
        let scope = Scope::load(state.db.connection(), &user.id, &state.reference).await?;
        let (countries, sectors) =
            super::read::countries_and_sectors_of(state.db.connection(), id).await?;
        scope.check(&countries, &sectors, &state.reference)?;
    }
    let from = existing.status();
    let to = action.to();
    let timestamp = now();
    let transaction = state.db.begin_write().await?;
    let mut update = content::Entity::update_many()
        .col_expr(content::Column::Status, Expr::value(to.as_str()))
        .col_expr(content::Column::UpdatedAt, Expr::value(timestamp));
    if to == Status::Published {
        let published_at = existing.core.published_at.unwrap_or(timestamp);
        update = update
            .col_expr(content::Column::PublishedAt, Expr::value(published_at))
            .col_expr(content::Column::ListedAt, Expr::value(published_at));
    }
    // Guarded by the status we checked: of two racing transitions, one wins, one conflicts.
    let result = update
        .filter(content::Column::Id.eq(id))
        .filter(content::Column::Status.eq(from.as_str()))
        .exec(&*transaction)
        .await?;
    if result.rows_affected != 1 {
        return Err(Error::conflict(
            "the content's status changed meanwhile; reload it and try again",
        ));
    }
    record_history(
        &*transaction,
        id,
        Some(&user.id),
        Some(from),
        to,
        reason,
        timestamp,
    )
    .await?;
    let seq = append_change(&*transaction, id, "STATUS_CHANGED", timestamp).await?;
    let detail = format!("{} → {}", from.as_str(), to.as_str());
    crate::service::audit::record(
        &*transaction,
        caller,
        None,
        crate::service::audit::CONTENT_TRANSITION,
        Some(crate::service::audit::Subject {
            kind: "content",
            id,
        }),
        detail,
    )
    .await?;
    let record = reload(&*transaction, id).await?;
    transaction.commit().await?;
    crate::service::search::sync(state, &[id.to_owned()], seq).await;
    Ok(record)
}

fn kind_of(details: &DetailsDraft) -> Kind {
    match details {
        DetailsDraft::Opportunity { .. } => Kind::Opportunity,
        DetailsDraft::Policy { .. } => Kind::Policy,
        DetailsDraft::Research { .. } => Kind::Research,
        DetailsDraft::Event { .. } => Kind::Event,
    }
}

async fn reload(connection: &impl ConnectionTrait, id: &str) -> Result<ContentRecord> {
    let row = content::Entity::find_by_id(id.to_owned())
        .one(connection)
        .await?
        .ok_or(Error::NotFound("content"))?;
    load_records(connection, vec![row])
        .await?
        .pop()
        .ok_or(Error::NotFound("content"))
}

/// Writes the many-valued parts and the kind details, replacing what was there on update.
async fn write_parts(
    connection: &impl ConnectionTrait,
    id: &str,
    draft: &ContentDraft,
    replace: bool,
) -> Result<()> {
    if replace {
        content_countries::Entity::delete_many()
            .filter(content_countries::Column::ContentId.eq(id))
            .exec(connection)
            .await?;
        content_sectors::Entity::delete_many()
            .filter(content_sectors::Column::ContentId.eq(id))
            .exec(connection)
            .await?;
        content_tags::Entity::delete_many()
            .filter(content_tags::Column::ContentId.eq(id))
            .exec(connection)
            .await?;
        content_translations::Entity::delete_many()
            .filter(content_translations::Column::ContentId.eq(id))
            .exec(connection)
            .await?;
    }
    let core = &draft.core;
    content_countries::Entity::insert_many(core.countries.iter().map(|code| {
        content_countries::ActiveModel {
            content_id: Set(id.to_owned()),
            country_code: Set(code.clone()),
        }
    }))
    .exec_without_returning(connection)
    .await?;
    content_sectors::Entity::insert_many(core.sectors.iter().map(|code| {
        content_sectors::ActiveModel {
            content_id: Set(id.to_owned()),
            sector_code: Set(code.clone()),
        }
    }))
    .exec_without_returning(connection)
    .await?;
    content_tags::Entity::insert_many(core.tags.iter().map(|tag| content_tags::ActiveModel {
        content_id: Set(id.to_owned()),
        tag: Set(tag.clone()),
    }))
    .exec_without_returning(connection)
    .await?;
    content_translations::Entity::insert_many(core.translations.iter().map(|translation| {
        content_translations::ActiveModel {
            content_id: Set(id.to_owned()),
            language: Set(translation.language.clone()),
            title: Set(translation.title.clone()),
            summary: Set(translation.summary.clone()),
            body: Set(translation.body.clone()),
        }
    }))
    .exec_without_returning(connection)
    .await?;
    write_details(connection, id, &draft.details, replace).await
}

async fn write_details(
    connection: &impl ConnectionTrait,
    id: &str,
    details: &DetailsDraft,
    replace: bool,
) -> Result<()> {
    let content_id = Set(id.to_owned());
    match details.clone() {
        DetailsDraft::Opportunity {
            opportunity_type,
            amount_min,
            amount_max,
            currency,
            stage,
            deadline,
            contact,
        } => {
            if replace {
                opportunity_details::Entity::delete_by_id(id.to_owned())
                    .exec(connection)
                    .await?;
            }
            opportunity_details::Entity::insert(opportunity_details::ActiveModel {
                content_id,
                opportunity_type: Set(opportunity_type.as_str().to_owned()),
                amount_min: Set(amount_min.map(|amount| amount.into_string())),
                amount_max: Set(amount_max.map(|amount| amount.into_string())),
                currency: Set(currency),
                stage: Set(stage),
                deadline: Set(deadline),
                contact: Set(contact),
            })
            .exec_without_returning(connection)
            .await?;
        }
        DetailsDraft::Policy {
            issuing_authority,
            jurisdiction,
            policy_type,
            document_number,
            effective_date,
        } => {
            if replace {
                policy_details::Entity::delete_by_id(id.to_owned())
                    .exec(connection)
                    .await?;
            }
            policy_details::Entity::insert(policy_details::ActiveModel {
                content_id,
                issuing_authority: Set(issuing_authority),
                jurisdiction_code: Set(jurisdiction),
                policy_type: Set(policy_type),
                document_number: Set(document_number),
                effective_date: Set(effective_date),
            })
            .exec_without_returning(connection)
            .await?;
        }
        DetailsDraft::Research {
            institutions,
            authors,
            readiness_level,
            ip_status,
            open_to_commercialisation,
        } => {
            if replace {
                research_details::Entity::delete_by_id(id.to_owned())
                    .exec(connection)
                    .await?;
            }
            research_details::Entity::insert(research_details::ActiveModel {
                content_id,
                institutions: Set(serde_json::to_string(&institutions)
                    .map_err(|error| Error::Internal(error.into()))?),
                authors: Set(serde_json::to_string(&authors)
                    .map_err(|error| Error::Internal(error.into()))?),
                readiness_level: Set(readiness_level),
                ip_status: Set(ip_status),
                open_to_commercialisation: Set(open_to_commercialisation),
            })
            .exec_without_returning(connection)
            .await?;
        }
        DetailsDraft::Event {
            event_type,
            starts_at,
            ends_at,
            time_zone,
            city,
            country,
            online,
            venue,
            registration_deadline,
            capacity,
        } => {
            if replace {
                event_details::Entity::delete_by_id(id.to_owned())
                    .exec(connection)
                    .await?;
            }
            event_details::Entity::insert(event_details::ActiveModel {
                content_id,
                event_type: Set(event_type),
                starts_at: Set(starts_at),
                ends_at: Set(ends_at),
                time_zone: Set(time_zone),
                city: Set(city),
                country_code: Set(country),
                online: Set(online),
                venue: Set(venue),
                registration_deadline: Set(registration_deadline),
                capacity: Set(capacity),
            })
            .exec_without_returning(connection)
            .await?;
        }
    }
    Ok(())
}

async fn record_history(
    connection: &impl ConnectionTrait,
    content_id: &str,
    actor_id: Option<&str>,
    from: Option<Status>,
    to: Status,
    reason: Option<String>,
    at: DateTime<Utc>,
) -> Result<()> {
    content_status_history::Entity::insert(content_status_history::ActiveModel {
        content_id: Set(content_id.to_owned()),
        actor_id: Set(actor_id.map(str::to_owned)),
        from_status: Set(from.map(|status| status.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        reason: Set(reason),
        created_at: Set(at),
        ..Default::default()
    })
    .exec_without_returning(connection)
    .await?;
    Ok(())
}

/// Appends to the change log inside the caller's transaction: the change and its log row
/// commit together or not at all. Returns the row's sequence number.
pub async fn append_change(
    connection: &impl ConnectionTrait,
    content_id: &str,
    operation: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    let inserted = change_log::Entity::insert(change_log::ActiveModel {
        content_id: Set(content_id.to_owned()),
        operation: Set(operation.to_owned()),
        created_at: Set(at),
        ..Default::default()
    })
    .exec(connection)
    .await?;
    Ok(inserted.last_insert_id)
}
