//! Writing content: create and update per kind, and the workflow transitions.

use async_graphql::{Context, ID, Object};

use crate::error::Error;
use crate::graphql::context::{caller, state};
use crate::graphql::ids;
use crate::graphql::scalars::DateTime;
use crate::graphql::types::content::{Content, Event, Opportunity, Policy, ResearchResult};
use crate::kinds::event::EventInput;
use crate::kinds::opportunity::OpportunityInput;
use crate::kinds::policy::PolicyInput;
use crate::kinds::research::ResearchResultInput;
use crate::service::content::{
    self as service, Action, ContentDraft, ContentRecord, Details, Kind, Purpose,
};

#[derive(Default)]
pub struct ContentMutation;

async fn create(
    context: &Context<'_>,
    draft: ContentDraft,
    publish: bool,
) -> async_graphql::Result<ContentRecord> {
    Ok(service::create(state(context)?, caller(context)?, draft, publish).await?)
}

/// Updates the item `id` names, which must be of `kind`.
async fn update(
    context: &Context<'_>,
    id: &ID,
    kind: Kind,
    draft: ContentDraft,
) -> async_graphql::Result<ContentRecord> {
    let (id_kind, key) = ids::decode_content("id", id)?;
    if id_kind != kind {
        return Err(Error::bad_input(
            "id",
            format!("not the id of a {}", kind.as_str().to_lowercase()),
        )
        .into());
    }
    Ok(service::update(state(context)?, caller(context)?, &key, draft).await?)
}

async fn transition(
    context: &Context<'_>,
    id: &ID,
    action: Action,
    reason: Option<String>,
    expected_updated_at: Option<DateTime>,
) -> async_graphql::Result<Content> {
    let (_, key) = ids::decode_content("id", id)?;
    let asked = service::Transition {
        action,
        reason,
        expected_updated_at: expected_updated_at.map(|instant| instant.0),
    };
    Ok(Content::from_record(
        service::transition(state(context)?, caller(context)?, &key, asked).await?,
    ))
}

/// Unwraps the record of a kind the caller asked for; anything else is a bug, reported as one.
macro_rules! as_kind {
    ($record:expr, $variant:ident, $object:ident) => {{
        let record = $record;
        match record.details.clone() {
            Details::$variant(details) => Ok($object(record, details)),
            _ => Err(
                Error::Internal(anyhow::anyhow!("content {} changed kind", record.core.id)).into(),
            ),
        }
    }};
}

#[Object]
impl ContentMutation {
    /// A new opportunity, as a draft of the caller's (correspondents and the secretariat).
    async fn create_opportunity(
        &self,
        context: &Context<'_>,
        input: OpportunityInput,
        #[graphql(
            default = false,
            desc = "Publish at once (the secretariat and trusted correspondents): one step instead of a create and a `publishContent`."
        )]
        publish: bool,
    ) -> async_graphql::Result<Opportunity> {
        let draft = input.validate(&state(context)?.reference, Purpose::create_now())?;
        as_kind!(
            create(context, draft, publish).await?,
            Opportunity,
            Opportunity
        )
    }

    /// Replaces an opportunity's content; its status stays.
    async fn update_opportunity(
        &self,
        context: &Context<'_>,
        id: ID,
        input: OpportunityInput,
    ) -> async_graphql::Result<Opportunity> {
        let draft = input.validate(&state(context)?.reference, Purpose::Update)?;
        as_kind!(
            update(context, &id, Kind::Opportunity, draft).await?,
            Opportunity,
            Opportunity
        )
    }

    async fn create_policy(
        &self,
        context: &Context<'_>,
        input: PolicyInput,
        #[graphql(
            default = false,
            desc = "Publish at once (the secretariat and trusted correspondents): one step instead of a create and a `publishContent`."
        )]
        publish: bool,
    ) -> async_graphql::Result<Policy> {
        let draft = input.validate(&state(context)?.reference)?;
        as_kind!(create(context, draft, publish).await?, Policy, Policy)
    }

    async fn update_policy(
        &self,
        context: &Context<'_>,
        id: ID,
        input: PolicyInput,
    ) -> async_graphql::Result<Policy> {
        let draft = input.validate(&state(context)?.reference)?;
        as_kind!(
            update(context, &id, Kind::Policy, draft).await?,
            Policy,
            Policy
        )
    }

    async fn create_research_result(
        &self,
        context: &Context<'_>,
        input: ResearchResultInput,
        #[graphql(
            default = false,
            desc = "Publish at once (the secretariat and trusted correspondents): one step instead of a create and a `publishContent`."
        )]
        publish: bool,
    ) -> async_graphql::Result<ResearchResult> {
        let draft = input.validate(&state(context)?.reference)?;
        as_kind!(
            create(context, draft, publish).await?,
            Research,
            ResearchResult
        )
    }

    async fn update_research_result(
        &self,
        context: &Context<'_>,
        id: ID,
        input: ResearchResultInput,
    ) -> async_graphql::Result<ResearchResult> {
        let draft = input.validate(&state(context)?.reference)?;
        as_kind!(
            update(context, &id, Kind::Research, draft).await?,
            Research,
            ResearchResult
        )
    }

    async fn create_event(
        &self,
        context: &Context<'_>,
        input: EventInput,
        #[graphql(
            default = false,
            desc = "Publish at once (the secretariat and trusted correspondents): one step instead of a create and a `publishContent`."
        )]
        publish: bool,
    ) -> async_graphql::Result<Event> {
        let draft = input.validate(&state(context)?.reference, Purpose::create_now())?;
        as_kind!(create(context, draft, publish).await?, Event, Event)
    }

    async fn update_event(
        &self,
        context: &Context<'_>,
        id: ID,
        input: EventInput,
    ) -> async_graphql::Result<Event> {
        let draft = input.validate(&state(context)?.reference, Purpose::Update)?;
        as_kind!(
            update(context, &id, Kind::Event, draft).await?,
            Event,
            Event
        )
    }

    /// The author sends a draft (or a rejected item) for review: DRAFT|REJECTED → SUBMITTED.
    async fn submit_content(
        &self,
        context: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Content> {
        transition(context, &id, Action::Submit, None, None).await
    }

    /// Secretariat: SUBMITTED → PUBLISHED. With `expectedUpdatedAt` (the `updatedAt` the
    /// reviewer saw), CONFLICT when the item changed since.
    async fn approve_content(
        &self,
        context: &Context<'_>,
        id: ID,
        expected_updated_at: Option<DateTime>,
    ) -> async_graphql::Result<Content> {
        transition(context, &id, Action::Approve, None, expected_updated_at).await
    }

    /// Secretariat: SUBMITTED → REJECTED, with a reason the author sees in the history.
    async fn reject_content(
        &self,
        context: &Context<'_>,
        id: ID,
        reason: String,
        expected_updated_at: Option<DateTime>,
    ) -> async_graphql::Result<Content> {
        let reason =
            crate::domain::required_text("reason", &reason, crate::domain::SUMMARY_MAX_CHARS)?;
        transition(
            context,
            &id,
            Action::Reject,
            Some(reason),
            expected_updated_at,
        )
        .await
    }

    /// A trusted correspondent (their own items) or the secretariat: straight to PUBLISHED;
    /// from ARCHIVED only the secretariat. With `expectedUpdatedAt`, CONFLICT when the item
    /// changed since.
    async fn publish_content(
        &self,
        context: &Context<'_>,
        id: ID,
        expected_updated_at: Option<DateTime>,
    ) -> async_graphql::Result<Content> {
        transition(context, &id, Action::Publish, None, expected_updated_at).await
    }

    /// The author or the secretariat: PUBLISHED → ARCHIVED.
    async fn archive_content(
        &self,
        context: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Content> {
        transition(context, &id, Action::Archive, None, None).await
    }
}
