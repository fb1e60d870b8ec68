//! The one write path for content: every create, update and transition runs in one
//! transaction that also appends to the status history and the change log.

use chrono::{DateTime, SubsecRound, Utc};
use entities::{
    change_log, content, content_countries, content_sectors, content_status_history, content_tags,
    content_translations,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::draft::{ContentDraft, DetailsDraft};
use super::read::{get, load_records};
use super::types::{ContentRecord, Status};
use crate::auth::{Caller, Role};
use crate::error::{Error, Result};
use crate::kinds::{
    self, event::Events, opportunity::Opportunities, policy::Policies, research::ResearchResults,
};
use crate::service::access::workflow::{
    Action, Scope, check_may_edit, check_may_publish_new, check_may_write, check_transition,
};
use crate::state::AppState;

/// A workflow step as a caller asks for it.
#[derive(Debug, Clone)]
pub struct Transition {
    pub action: Action,
    /// Required to reject; kept in the history.
    pub reason: Option<String>,
    /// The `updatedAt` the caller saw: when given, the step happens only if the item has not
    /// changed since (a reviewer approves what they read, not a later edit).
    pub expected_updated_at: Option<DateTime<Utc>>,
}

/// Timestamps are kept to the microsecond, the precision PostgreSQL stores, so a value read
/// back equals the value written on both databases.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Creates an item written by `caller`: a draft, or published at once when `publish` is set
/// and the caller may publish it (in the same transaction, with one index commit: half the
/// round trips and commits of a create and then a publish).
pub async fn create(
    state: &AppState,
    caller: &Caller,
    draft: ContentDraft,
    publish: bool,
) -> Result<ContentRecord> {
    create_with_seed_key(state, caller, draft, publish, None).await
}

/// Creates an item that `seed --demo` can find again by `seed_key`, so that seeding twice
/// adds nothing.
pub async fn create_with_seed_key(
    state: &AppState,
    caller: &Caller,
    draft: ContentDraft,
    publish: bool,
    seed_key: Option<String>,
) -> Result<ContentRecord> {
    let user = check_may_write(caller)?;
    if publish {
        check_may_publish_new(caller)?;
    }
    if user.role == Role::Correspondent {
        Scope::load(state.db.connection(), &user.id, &state.reference)
            .await?
            .check(
                &draft.countries_in_scope(),
                draft.sectors(),
                &state.reference,
            )?;
    }
    let status = if publish {
        Status::Published
    } else {
        Status::Draft
    };
    let transaction = state.db.begin_write().await?;
    let (id, seq) = insert(
        &*transaction,
        NewItem {
            author_id: &user.id,
            draft: &draft,
            status,
            published_at: None,
            seed_key,
            announce: publish,
        },
    )
    .await?;
    if publish {
        audit_transition(&*transaction, caller, &id, Status::Draft, status).await?;
    }
    let record = reload(&*transaction, &id).await?;
    commit_and_follow(
        state,
        transaction,
        Committed {
            id,
            seq,
            published: publish,
            notified: Vec::new(),
        },
    )
    .await?;
    Ok(record)
}

/// An item as it is first written: by whom, in which status (a draft for everything but an
/// import), published since when.
pub(crate) struct NewItem<'a> {
    pub author_id: &'a str,
    pub draft: &'a ContentDraft,
    pub status: Status,
    /// For a published or archived item: when it was published (now when not given).
    pub published_at: Option<DateTime<Utc>>,
    pub seed_key: Option<String>,
    /// Whether subscribers are told of it as a publication (not for an import's old items).
    pub announce: bool,
}

/// Inserts `item` with its parts, its history (created as a draft by its author, then moved
/// to its status) and its change-log row, inside the caller's transaction. Returns its id
/// and the change's sequence number. Who may write it is the caller's to check.
pub(crate) async fn insert(
    connection: &impl ConnectionTrait,
    item: NewItem<'_>,
) -> Result<(String, i64)> {
    let NewItem {
        author_id,
        draft,
        status,
        published_at,
        seed_key,
        announce,
    } = item;
    let id = uuid::Uuid::now_v7().to_string();
    let timestamp = now();
    let published_at = match status {
        Status::Published | Status::Archived => Some(published_at.unwrap_or(timestamp)),
        _ => None,
    };
    content::Entity::insert(content::ActiveModel {
        id: Set(id.clone()),
        kind: Set(draft.kind().as_str().to_owned()),
        title: Set(draft.core.title.clone()),
        summary: Set(draft.core.summary.clone()),
        body: Set(draft.core.body.clone()),
        language: Set(draft.core.language.clone()),
        visibility: Set(draft.core.visibility.as_str().to_owned()),
        status: Set(status.as_str().to_owned()),
        author_id: Set(author_id.to_owned()),
        organisation_id: Set(None),
        source_url: Set(draft.core.source_url.clone()),
        seed_key: Set(seed_key),
        created_at: Set(timestamp),
        updated_at: Set(timestamp),
        published_at: Set(published_at),
        listed_at: Set(published_at.unwrap_or(timestamp)),
    })
    .exec_without_returning(connection)
    .await?;
    write_parts(connection, &id, draft, false).await?;
    record_history(
        connection,
        &id,
        Some(author_id),
        None,
        Status::Draft,
        None,
        timestamp,
    )
    .await?;
    if status != Status::Draft {
        record_history(
            connection,
            &id,
            Some(author_id),
            Some(Status::Draft),
            status,
            None,
            timestamp,
        )
        .await?;
    }
    let published = announce && status == Status::Published;
    let seq = append_change(connection, &id, "CREATED", published, timestamp).await?;
    Ok((id, seq))
}

/// Why an edit took a submitted item back to draft, as its history says.
const EDITED_AFTER_SUBMISSION: &str =
    "edited after submission; back to draft so that review sees what is published";

/// Replaces an item's content with `draft`. Its status stays as it is, except that a
/// SUBMITTED item goes back to DRAFT: review approves what it saw, never a later edit.
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
    if existing.kind() != draft.kind() {
        return Err(Error::NotFound("content"));
    }
    check_may_edit(caller, &existing)?;
    let user = caller.require_user()?;
    if user.role == Role::Correspondent {
        Scope::load(state.db.connection(), &user.id, &state.reference)
            .await?
            .check(
                &draft.countries_in_scope(),
                draft.sectors(),
                &state.reference,
            )?;
    }
    let timestamp = now();
    let back_to_draft = existing.status() == Status::Submitted;
    let status = if back_to_draft {
        Status::Draft
    } else {
        existing.status()
    };
    let transaction = state.db.begin_write().await?;
    // Guarded by the updated_at we read, so two editors cannot silently overwrite each other.
    let result = content::Entity::update_many()
        .col_expr(content::Column::Status, Expr::value(status.as_str()))
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
    if back_to_draft {
        record_history(
            &*transaction,
            id,
            Some(&user.id),
            Some(Status::Submitted),
            Status::Draft,
            Some(EDITED_AFTER_SUBMISSION.to_owned()),
            timestamp,
        )
        .await?;
    }
    let seq = append_change(&*transaction, id, "UPDATED", false, timestamp).await?;
    let record = reload(&*transaction, id).await?;
    commit_and_follow(
        state,
        transaction,
        Committed {
            id: id.to_owned(),
            seq,
            published: false,
            notified: Vec::new(),
        },
    )
    .await?;
    Ok(record)
}

/// Moves an item through the workflow; `reason` is required to reject and kept in the history.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    id: &str,
    asked: Transition,
) -> Result<ContentRecord> {
    let Transition {
        action,
        reason,
        expected_updated_at,
    } = asked;
    caller.require_user()?;
    let existing = get(state.db.connection(), caller, id)
        .await?
        .ok_or(Error::NotFound("content"))?;
    check_transition(caller, &existing, action)?;
    if let Some(expected) = expected_updated_at
        && expected != existing.core.updated_at
    {
        return Err(Error::conflict(
            "the content changed since you saw it; reload it and review it again",
        ));
    }
    let user = caller.require_user()?;
    if action == Action::Publish && user.role == Role::Correspondent {
        // A trusted correspondent publishes only inside their scope, even if it shrank since.
        let scope = Scope::load(state.db.connection(), &user.id, &state.reference).await?;
        let (mut countries, sectors) =
            super::read::countries_and_sectors_of(state.db.connection(), id).await?;
        countries.extend(existing.named_countries());
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
        .filter(content::Column::UpdatedAt.eq(existing.core.updated_at))
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
        reason.clone(),
        timestamp,
    )
    .await?;
    let seq = append_change(
        &*transaction,
        id,
        "STATUS_CHANGED",
        to == Status::Published,
        timestamp,
    )
    .await?;
    audit_transition(&*transaction, caller, id, from, to).await?;
    let mut notified = Vec::new();
    if matches!(action, Action::Approve | Action::Reject) {
        let message = match &reason {
            Some(reason) if action == Action::Reject => {
                format!("“{}” was rejected: {reason}", existing.core.title)
            }
            _ => format!("“{}” was approved and published", existing.core.title),
        };
        notified = crate::service::inbox::notify(
            &*transaction,
            std::slice::from_ref(&existing.core.author_id),
            crate::service::inbox::Notice {
                kind: crate::service::inbox::NotificationKind::ContentReviewed,
                message,
                subject: Some((crate::service::inbox::SubjectType::Content, id)),
            },
        )
        .await?;
    }
    let record = reload(&*transaction, id).await?;
    commit_and_follow(
        state,
        transaction,
        Committed {
            id: id.to_owned(),
            seq,
            published: to == Status::Published,
            notified,
        },
    )
    .await?;
    Ok(record)
}

/// A content write about to commit, and what follows its commit.
struct Committed {
    id: String,
    seq: i64,
    /// The item became PUBLISHED: subscribers are told, saved searches matched.
    published: bool,
    /// Users whose inbox the write added to.
    notified: Vec<String>,
}

/// Commits a content write, then makes it searchable and announces it, in a task of its own:
/// a client that hangs up once the commit is under way (dropping its request) cannot cancel
/// what every other subscriber and saved search is owed. The change is claimed as this
/// process's before the commit, so that the follower does not announce it a second time; a
/// commit that fails drops the claim.
async fn commit_and_follow(
    state: &AppState,
    transaction: crate::db::WriteTransaction<'_>,
    committed: Committed,
) -> Result<()> {
    state.search.claim_own(committed.seq);
    if let Err(error) = transaction.commit().await {
        state.search.unclaim_own(committed.seq);
        return Err(error.into());
    }
    let state = state.clone();
    let follow_up = tokio::spawn(async move {
        let Committed {
            id,
            seq,
            published,
            notified,
        } = committed;
        let indexed = crate::service::search::sync(&state, std::slice::from_ref(&id), seq).await;
        state.live.notified(&notified);
        if published {
            // Not indexed here: the follower announces it once the index holds it.
            if indexed {
                state.live.published(&id);
            }
            crate::service::alerts::queue_matching(&state, &id).await;
        }
    });
    // The mutation returns once its change is searchable.
    if let Err(error) = follow_up.await {
        tracing::error!(?error, "the follow-up of a committed write failed");
    }
    Ok(())
}

/// The audit log's entry for a workflow step.
async fn audit_transition(
    connection: &impl ConnectionTrait,
    caller: &Caller,
    id: &str,
    from: Status,
    to: Status,
) -> Result<()> {
    crate::service::audit::record(
        connection,
        caller,
        None,
        crate::service::audit::CONTENT_TRANSITION,
        Some(crate::service::audit::Subject {
            kind: "content",
            id,
        }),
        format!("{} → {}", from.as_str(), to.as_str()),
    )
    .await
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

/// Stores the kind's details through the kind's module.
async fn write_details(
    connection: &impl ConnectionTrait,
    id: &str,
    details: &DetailsDraft,
    replace: bool,
) -> Result<()> {
    match details {
        DetailsDraft::Opportunity(draft) => {
            kinds::write_details::<Opportunities>(connection, id, draft, replace).await
        }
        DetailsDraft::Policy(draft) => {
            kinds::write_details::<Policies>(connection, id, draft, replace).await
        }
        DetailsDraft::Research(draft) => {
            kinds::write_details::<ResearchResults>(connection, id, draft, replace).await
        }
        DetailsDraft::Event(draft) => {
            kinds::write_details::<Events>(connection, id, draft, replace).await
        }
    }
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
/// commit together or not at all. `published`: the change made the item PUBLISHED, which
/// every node announces to its subscribers. Returns the row's sequence number.
pub async fn append_change(
    connection: &impl ConnectionTrait,
    content_id: &str,
    operation: &str,
    published: bool,
    at: DateTime<Utc>,
) -> Result<i64> {
    if connection.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // The transaction's id is taken before its change-log number, so that a node missing
        // the number knows which transactions could still commit it (`search::progress`).
        connection
            .execute_unprepared("SELECT pg_current_xact_id()")
            .await?;
    }
    let inserted = change_log::Entity::insert(change_log::ActiveModel {
        content_id: Set(content_id.to_owned()),
        operation: Set(operation.to_owned()),
        published: Set(published),
        created_at: Set(at),
        ..Default::default()
    })
    .exec(connection)
    .await?;
    Ok(inserted.last_insert_id)
}
