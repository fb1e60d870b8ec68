//! The four content kinds, the `Content` and `Node` interfaces they implement, and their
//! small companion types.

use async_graphql::{Context, ID, Interface, Object, SimpleObject};
use entities::{
    content_status_history, content_translations, event_details, opportunity_details,
    policy_details, research_details,
};

use super::reference::{Country, Sector};
use super::user::{Person, User};
use crate::error::Error;
use crate::graphql::context::{caller, loaders, state};
use crate::graphql::ids::{NodeType, encode};
use crate::graphql::loaders::{CountriesOf, HistoryOf, SectorsOf, TagsOf, TranslationsOf};
use crate::graphql::scalars::{Date, DateTime};
use crate::reference::primary_subtag;
use crate::service::access;
use crate::service::content::{
    ContentRecord, Details, Kind, OpportunityType, Status, Visibility,
};

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
enum TextField {
    Title,
    Summary,
    Body,
}

/// The field in `lang` when a translation into it exists, else the original.
async fn localized(
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

async fn countries_of(
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

async fn sectors_of(
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

async fn tags_of(
    context: &Context<'_>,
    record: &ContentRecord,
) -> async_graphql::Result<Vec<String>> {
    Ok(loaders(context)?
        .load_one(TagsOf(record.core.id.clone()))
        .await
        .map_err(Error::from)?
        .unwrap_or_default())
}

async fn translations_of(
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
async fn author_of(
    context: &Context<'_>,
    record: &ContentRecord,
) -> async_graphql::Result<Option<Person>> {
    if !access::sees_author(&caller(context)?.audience, &record.core.author_id) {
        return Ok(None);
    }
    Person::load(context, &record.core.author_id).await
}

/// The workflow history, for those `access::sees_history` admits; null for everyone else.
async fn history_of(
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

/// Declares a content kind: the fields every kind shares, then its own.
macro_rules! content_object {
    ($(#[$meta:meta])* $name:ident($details:ty) { $($own:tt)* }) => {
        $(#[$meta])*
        pub struct $name(pub ContentRecord, pub $details);

        #[Object]
        impl $name {
            async fn id(&self) -> ID {
                encode(NodeType::Content(self.0.kind()), &self.0.core.id)
            }
            async fn kind(&self) -> Kind {
                self.0.kind()
            }
            /// With `lang`: that translation when there is one, else the original.
            async fn title(&self, context: &Context<'_>, lang: Option<String>) -> async_graphql::Result<String> {
                localized(context, &self.0, lang, TextField::Title).await
            }
            /// With `lang`: that translation when there is one, else the original.
            async fn summary(&self, context: &Context<'_>, lang: Option<String>) -> async_graphql::Result<String> {
                localized(context, &self.0, lang, TextField::Summary).await
            }
            /// With `lang`: that translation when there is one, else the original.
            async fn body(&self, context: &Context<'_>, lang: Option<String>) -> async_graphql::Result<String> {
                localized(context, &self.0, lang, TextField::Body).await
            }
            /// BCP 47 tag of the original.
            async fn language(&self) -> &str {
                &self.0.core.language
            }
            async fn translations(&self, context: &Context<'_>) -> async_graphql::Result<Vec<Translation>> {
                translations_of(context, &self.0).await
            }
            async fn countries(&self, context: &Context<'_>) -> async_graphql::Result<Vec<Country>> {
                countries_of(context, &self.0).await
            }
            async fn sectors(&self, context: &Context<'_>) -> async_graphql::Result<Vec<Sector>> {
                sectors_of(context, &self.0).await
            }
            async fn tags(&self, context: &Context<'_>) -> async_graphql::Result<Vec<String>> {
                tags_of(context, &self.0).await
            }
            async fn visibility(&self) -> Visibility {
                self.0.visibility()
            }
            async fn status(&self) -> Status {
                self.0.status()
            }
            async fn published_at(&self) -> Option<DateTime> {
                self.0.core.published_at.map(DateTime)
            }
            async fn updated_at(&self) -> DateTime {
                DateTime(self.0.core.updated_at)
            }
            async fn created_at(&self) -> DateTime {
                DateTime(self.0.core.created_at)
            }
            /// Where the information comes from.
            async fn source_url(&self) -> Option<String> {
                self.0.core.source_url.clone()
            }
            /// Who wrote it, as a public face; shown to members, the secretariat and the author, null for others.
            async fn author(&self, context: &Context<'_>) -> async_graphql::Result<Option<Person>> {
                author_of(context, &self.0).await
            }
            /// Every workflow transition; for the secretariat and the author, null for others.
            async fn history(&self, context: &Context<'_>) -> async_graphql::Result<Option<Vec<StatusChange>>> {
                history_of(context, &self.0).await
            }
            $($own)*
        }
    };
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
            self.1.deadline.is_some_and(|deadline| deadline < chrono::Utc::now().date_naive())
        }
        /// Null for those not entitled to see it: only members, the secretariat and the author are.
        async fn contact(&self, context: &Context<'_>) -> async_graphql::Result<Option<&str>> {
            Ok(if access::sees_contact(&caller(context)?.audience, &self.0.core.author_id) { self.1.contact.as_deref() } else { None })
        }
    }
);

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
    /// An industry policy: a law, regulation, incentive, standard or guideline.
    Policy(policy_details::Model) {
        async fn issuing_authority(&self) -> &str {
            &self.1.issuing_authority
        }
        /// LAW, REGULATION, INCENTIVE, STANDARD or GUIDELINE.
        async fn policy_type(&self) -> &str {
            &self.1.policy_type
        }
        /// The country whose law it is.
        async fn jurisdiction(&self, context: &Context<'_>) -> async_graphql::Result<Option<Country>> {
            let reference = &state(context)?.reference;
            Ok(self.1.jurisdiction_code.as_deref().and_then(|code| reference.country(code)).cloned().map(Country))
        }
        async fn document_number(&self) -> Option<&str> {
            self.1.document_number.as_deref()
        }
        async fn effective_date(&self) -> Option<Date> {
            self.1.effective_date.map(Date)
        }
    }
);

content_object!(
    /// A research result open (or not) to commercialisation.
    ResearchResult(research_details::Model) {
        async fn institutions(&self) -> Vec<String> {
            serde_json::from_str(&self.1.institutions).unwrap_or_default()
        }
        async fn authors(&self) -> Vec<String> {
            serde_json::from_str(&self.1.authors).unwrap_or_default()
        }
        /// Technology readiness level, 1–9.
        async fn readiness_level(&self) -> Option<i32> {
            self.1.readiness_level
        }
        /// PATENTED, PATENT_PENDING, UNPROTECTED or OPEN_SOURCE.
        async fn ip_status(&self) -> Option<&str> {
            self.1.ip_status.as_deref()
        }
        async fn open_to_commercialisation(&self) -> bool {
            self.1.open_to_commercialisation
        }
    }
);

content_object!(
    /// An event: annual meeting, forum, seminar, technology launch, expo or training.
    Event(event_details::Model) {
        async fn event_type(&self) -> &str {
            &self.1.event_type
        }
        async fn starts_at(&self) -> DateTime {
            DateTime(self.1.starts_at)
        }
        async fn ends_at(&self) -> DateTime {
            DateTime(self.1.ends_at)
        }
        /// IANA time zone the event's local times are in.
        async fn time_zone(&self) -> &str {
            &self.1.time_zone
        }
        async fn city(&self) -> Option<&str> {
            self.1.city.as_deref()
        }
        async fn country(&self, context: &Context<'_>) -> async_graphql::Result<Option<Country>> {
            let reference = &state(context)?.reference;
            Ok(self.1.country_code.as_deref().and_then(|code| reference.country(code)).cloned().map(Country))
        }
        async fn online(&self) -> bool {
            self.1.online
        }
        async fn venue(&self) -> Option<&str> {
            self.1.venue.as_deref()
        }
        async fn registration_deadline(&self) -> Option<DateTime> {
            self.1.registration_deadline.map(DateTime)
        }
        async fn capacity(&self) -> Option<i32> {
            self.1.capacity
        }
    }
);

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
