//! The four content kinds, the `Content` and `Node` interfaces they implement, and their
//! small companion types.

use async_graphql::{Context, ID, Interface, Object, SimpleObject};
use entities::{content_status_history, content_translations};

use super::reference::{Country, Sector};
use super::user::{Person, User};
use crate::error::Error;
use crate::graphql::context::{caller, loaders, state};
use crate::graphql::loaders::{CountriesOf, HistoryOf, SectorsOf, TagsOf, TranslationsOf};
use crate::graphql::scalars::DateTime;
use crate::reference::primary_subtag;
use crate::service::access;
use crate::service::content::{ContentRecord, Details, Kind, Status, Visibility};

/// A translation of an item's text into another language.
pub struct Translation(pub content_translations::Model);

#[Object]
impl Translation {
    async fn language(&self) -> &str {
        &self.0.language
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
}

/// An exact amount of money: a decimal string and an ISO 4217 currency.
#[derive(SimpleObject)]
pub struct Money {
    pub amount: String,
    pub currency: String,
}

/// One step of an item's workflow: who moved it, when, from which status to which, and why.
pub struct StatusChange(pub content_status_history::Model);

#[Object]
impl StatusChange {
    async fn from_status(&self) -> Option<Status> {
        self.0.from_status.as_deref().and_then(Status::parse)
    }
    async fn to_status(&self) -> Option<Status> {
        Status::parse(&self.0.to_status)
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    async fn at(&self) -> DateTime {
        self.0.created_at.into()
    }
    /// Who made the change, as a public face (never their email).
    async fn actor(&self, context: &Context<'_>) -> async_graphql::Result<Option<Person>> {
        match &self.0.actor_id {
            Some(actor_id) => Person::load(context, actor_id).await,
            None => Ok(None),
        }
    }
}

#[derive(Clone, Copy)]
pub(crate) enum TextField {
    Title,
    Summary,
    Body,
}

/// The field in `lang` when a translation into it exists, else the original.
pub(crate) async fn localized(
    context: &Context<'_>,
    record: &ContentRecord,
    lang: Option<String>,
    field: TextField,
) -> async_graphql::Result<String> {
    let original = match field {
        TextField::Title => &record.core.title,
        TextField::Summary => &record.core.summary,
        TextField::Body => &record.core.body,
    };
    let Some(lang) = lang.filter(|lang| !lang.trim().is_empty()) else {
        return Ok(original.clone());
    };
    let wanted = lang.trim().to_ascii_lowercase();
    if record.core.language.to_ascii_lowercase() == wanted {
        return Ok(original.clone());
    }
    let translations = loaders(context)?
        .load_one(TranslationsOf(record.core.id.clone()))
        .await
        .map_err(Error::from)?
        .unwrap_or_default();
    // An exact tag first (zh-Hant), then the same primary language (zh for zh-CN).
    let translation = translations
        .iter()
        .find(|translation| translation.language.to_ascii_lowercase() == wanted)
        .or_else(|| {
            translations.iter().find(|translation| {
                primary_subtag(&translation.language) == primary_subtag(&wanted)
            })
        });
    Ok(match (translation, field) {
        (Some(translation), TextField::Title) => translation.title.clone(),
        (Some(translation), TextField::Summary) => translation.summary.clone(),
        (Some(translation), TextField::Body) => translation.body.clone(),
        (None, _) => original.clone(),
    })
}

pub(crate) async fn countries_of(
    context: &Context<'_>,
    record: &ContentRecord,
) -> async_graphql::Result<Vec<Country>> {
    let codes = loaders(context)?
        .load_one(CountriesOf(record.core.id.clone()))
        .await
        .map_err(Error::from)?
        .unwrap_or_default();
    let reference = &state(context)?.reference;
    Ok(codes
        .iter()
        .filter_map(|code| reference.country(code))
        .cloned()
        .map(Country)
        .collect())
}

pub(crate) async fn sectors_of(
    context: &Context<'_>,
    record: &ContentRecord,
) -> async_graphql::Result<Vec<Sector>> {
    let codes = loaders(context)?
        .load_one(SectorsOf(record.core.id.clone()))
        .await
        .map_err(Error::from)?
        .unwrap_or_default();
    let reference = &state(context)?.reference;
    Ok(codes
        .iter()
        .filter_map(|code| reference.sector(code))
        .cloned()
        .map(Sector)
        .collect())
}

pub(crate) async fn tags_of(
    context: &Context<'_>,
    record: &ContentRecord,
) -> async_graphql::Result<Vec<String>> {
    Ok(loaders(context)?
        .load_one(TagsOf(record.core.id.clone()))
        .await
        .map_err(Error::from)?
        .unwrap_or_default())
}

pub(crate) async fn translations_of(
    context: &Context<'_>,
    record: &ContentRecord,
) -> async_graphql::Result<Vec<Translation>> {
    let rows = loaders(context)?
        .load_one(TranslationsOf(record.core.id.clone()))
        .await
        .map_err(Error::from)?
        .unwrap_or_default();
    Ok(rows.into_iter().map(Translation).collect())
}

/// The author's public face, for those `access::sees_author` admits; null for others.
pub(crate) async fn author_of(
    context: &Context<'_>,
    record: &ContentRecord,
) -> async_graphql::Result<Option<Person>> {
    if !access::sees_author(&caller(context)?.audience, &record.core.author_id) {
        return Ok(None);
    }
    Person::load(context, &record.core.author_id).await
}

/// The workflow history, for those `access::sees_history` admits; null for everyone else.
pub(crate) async fn history_of(
    context: &Context<'_>,
    record: &ContentRecord,
) -> async_graphql::Result<Option<Vec<StatusChange>>> {
    if !access::sees_history(&caller(context)?.audience, &record.core.author_id) {
        return Ok(None);
    }
    let rows = loaders(context)?
        .load_one(HistoryOf(record.core.id.clone()))
        .await
        .map_err(Error::from)?
        .unwrap_or_default();
    Ok(Some(rows.into_iter().map(StatusChange).collect()))
}

/// Declares a content kind's GraphQL object: the fields every kind shares, then its own
/// (written in the kind's module).
macro_rules! content_object {
    ($(#[$meta:meta])* $name:ident($details:ty) { $($own:tt)* }) => {
        $(#[$meta])*
        pub struct $name(
            pub $crate::service::content::ContentRecord,
            pub $details,
        );

        #[async_graphql::Object]
        impl $name {
            pub async fn id(&self) -> async_graphql::ID {
                $crate::graphql::ids::encode(
                    $crate::graphql::ids::NodeType::Content(self.0.kind()),
                    &self.0.core.id,
                )
            }
            pub async fn kind(&self) -> $crate::service::content::Kind {
                self.0.kind()
            }
            /// With `lang`: that translation when there is one, else the original.
            pub async fn title(&self, context: &async_graphql::Context<'_>, lang: Option<String>) -> async_graphql::Result<String> {
                $crate::graphql::types::content::localized(context, &self.0, lang, $crate::graphql::types::content::TextField::Title).await
            }
            /// With `lang`: that translation when there is one, else the original.
            pub async fn summary(&self, context: &async_graphql::Context<'_>, lang: Option<String>) -> async_graphql::Result<String> {
                $crate::graphql::types::content::localized(context, &self.0, lang, $crate::graphql::types::content::TextField::Summary).await
            }
            /// With `lang`: that translation when there is one, else the original.
            pub async fn body(&self, context: &async_graphql::Context<'_>, lang: Option<String>) -> async_graphql::Result<String> {
                $crate::graphql::types::content::localized(context, &self.0, lang, $crate::graphql::types::content::TextField::Body).await
            }
            /// BCP 47 tag of the original.
            pub async fn language(&self) -> &str {
                &self.0.core.language
            }
            #[graphql(complexity = "crate::limits::TRANSLATIONS_MAX * child_complexity")]
            pub async fn translations(&self, context: &async_graphql::Context<'_>) -> async_graphql::Result<Vec<$crate::graphql::types::content::Translation>> {
                $crate::graphql::types::content::translations_of(context, &self.0).await
            }
            #[graphql(complexity = "crate::limits::COUNTRIES_MAX * child_complexity")]
            pub async fn countries(&self, context: &async_graphql::Context<'_>) -> async_graphql::Result<Vec<$crate::graphql::types::reference::Country>> {
                $crate::graphql::types::content::countries_of(context, &self.0).await
            }
            #[graphql(complexity = "crate::limits::SECTORS_PER_ITEM_MAX * child_complexity")]
            pub async fn sectors(&self, context: &async_graphql::Context<'_>) -> async_graphql::Result<Vec<$crate::graphql::types::reference::Sector>> {
                $crate::graphql::types::content::sectors_of(context, &self.0).await
            }
            pub async fn tags(&self, context: &async_graphql::Context<'_>) -> async_graphql::Result<Vec<String>> {
                $crate::graphql::types::content::tags_of(context, &self.0).await
            }
            pub async fn visibility(&self) -> $crate::service::content::Visibility {
                self.0.visibility()
            }
            pub async fn status(&self) -> $crate::service::content::Status {
                self.0.status()
            }
            pub async fn published_at(&self) -> Option<$crate::graphql::scalars::DateTime> {
                self.0.core.published_at.map($crate::graphql::scalars::DateTime)
            }
            pub async fn updated_at(&self) -> $crate::graphql::scalars::DateTime {
                $crate::graphql::scalars::DateTime(self.0.core.updated_at)
            }
            pub async fn created_at(&self) -> $crate::graphql::scalars::DateTime {
                $crate::graphql::scalars::DateTime(self.0.core.created_at)
            }
            /// Where the information comes from.
            pub async fn source_url(&self) -> Option<String> {
                self.0.core.source_url.clone()
            }
            /// Who wrote it, as a public face; shown to members, the secretariat and the author, null for others.
            pub async fn author(&self, context: &async_graphql::Context<'_>) -> async_graphql::Result<Option<$crate::graphql::types::user::Person>> {
                $crate::graphql::types::content::author_of(context, &self.0).await
            }
            /// Every workflow transition; for the secretariat and the author, null for others.
            #[graphql(complexity = "crate::limits::HISTORY_STEPS_COUNTED * child_complexity")]
            pub async fn history(&self, context: &async_graphql::Context<'_>) -> async_graphql::Result<Option<Vec<$crate::graphql::types::content::StatusChange>>> {
                $crate::graphql::types::content::history_of(context, &self.0).await
            }
            $($own)*
        }
    };
}
pub(crate) use content_object;

pub use crate::kinds::event::Event;
pub use crate::kinds::opportunity::Opportunity;
pub use crate::kinds::policy::Policy;
pub use crate::kinds::research::ResearchResult;

/// What the four kinds share.
// The repeated `ty`/`arg` keys are one field each, not duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(Interface)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "kind", ty = "Kind"),
    field(
        name = "title",
        ty = "String",
        arg(name = "lang", ty = "Option<String>")
    ),
    field(
        name = "summary",
        ty = "String",
        arg(name = "lang", ty = "Option<String>")
    ),
    field(
        name = "body",
        ty = "String",
        arg(name = "lang", ty = "Option<String>")
    ),
    field(name = "language", ty = "String"),
    field(name = "translations", ty = "Vec<Translation>"),
    field(name = "countries", ty = "Vec<Country>"),
    field(name = "sectors", ty = "Vec<Sector>"),
    field(name = "tags", ty = "Vec<String>"),
    field(name = "visibility", ty = "Visibility"),
    field(name = "status", ty = "Status"),
    field(name = "published_at", ty = "Option<DateTime>"),
    field(name = "updated_at", ty = "DateTime"),
    field(name = "created_at", ty = "DateTime"),
    field(name = "source_url", ty = "Option<String>"),
    field(name = "author", ty = "Option<Person>"),
    field(name = "history", ty = "Option<Vec<StatusChange>>")
)]
pub enum Content {
    Opportunity(Opportunity),
    Policy(Policy),
    ResearchResult(ResearchResult),
    Event(Event),
}

impl Content {
    pub fn from_record(record: ContentRecord) -> Content {
        match record.details.clone() {
            Details::Opportunity(details) => Content::Opportunity(Opportunity(record, details)),
            Details::Policy(details) => Content::Policy(Policy(record, details)),
            Details::Research(details) => Content::ResearchResult(ResearchResult(record, details)),
            Details::Event(details) => Content::Event(Event(record, details)),
        }
    }
}

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Content(Content),
    Opportunity(Opportunity),
    Policy(Policy),
    ResearchResult(ResearchResult),
    Event(Event),
    User(User),
    Organisation(super::organisation::Organisation),
    Interest(super::matching::Interest),
    Notification(super::matching::Notification),
    SavedSearch(super::alerts::SavedSearch),
}

impl Node {
    /// The node of a content item as its own kind (not as the `Content` interface).
    pub fn from_content(content: Content) -> Node {
        match content {
            Content::Opportunity(item) => Node::Opportunity(item),
            Content::Policy(item) => Node::Policy(item),
            Content::ResearchResult(item) => Node::ResearchResult(item),
            Content::Event(item) => Node::Event(item),
        }
    }
}
