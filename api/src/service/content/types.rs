//! The vocabulary of content: kinds, statuses, visibility, and a loaded item.

use entities::{content, event_details, opportunity_details, policy_details, research_details};

macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
        $(#[$meta])*
        pub enum $name { $($variant),+ }

        impl $name {
            /// The form stored in the database and shown in the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Every value, in declaration order.
            pub const ALL: &[$name] = &[$($name::$variant),+];

            /// The stored form of an optional caller's value (see `from_input`).
            pub fn stored_from_input(
                field: &str,
                text: Option<&str>,
            ) -> crate::error::Result<Option<String>> {
                text.map(|text| Self::from_input(field, text).map(|value| value.as_str().to_owned()))
                    .transpose()
            }

            /// Reads a caller's value (any case; spaces and hyphens for underscores), or
            /// `BAD_USER_INPUT` on `field` listing the values there are.
            pub fn from_input(field: &str, text: &str) -> crate::error::Result<Self> {
                let normalised = text.trim().to_ascii_uppercase().replace([' ', '-'], "_");
                Self::parse(&normalised).ok_or_else(|| {
                    let allowed: Vec<&str> = Self::ALL.iter().map(|value| value.as_str()).collect();
                    crate::error::Error::bad_input(
                        field,
                        format!("'{text}' is not one of {}", allowed.join(", ")),
                    )
                })
            }
        }
    };
}
pub(crate) use stored_enum;

stored_enum!(
    #[graphql(name = "ContentKind")]
    Kind { Opportunity => "OPPORTUNITY", Policy => "POLICY", Research => "RESEARCH", Event => "EVENT" }
);

stored_enum!(
    #[graphql(name = "ContentStatus")]
    Status { Draft => "DRAFT", Submitted => "SUBMITTED", Published => "PUBLISHED", Rejected => "REJECTED", Archived => "ARCHIVED" }
);

stored_enum!(
    /// PUBLIC content is for everyone; MEMBERS content only for members in good standing.
    Visibility { Public => "PUBLIC", Members => "MEMBERS" }
);

stored_enum!(
    OpportunityType {
        Investment => "INVESTMENT",
        Partnership => "PARTNERSHIP",
        Procurement => "PROCUREMENT",
        TechnologyOffer => "TECHNOLOGY_OFFER",
        TechnologyRequest => "TECHNOLOGY_REQUEST",
    }
);

stored_enum!(
    /// What kind of policy document it is.
    PolicyType { Law => "LAW", Regulation => "REGULATION", Incentive => "INCENTIVE", Standard => "STANDARD", Guideline => "GUIDELINE" }
);

stored_enum!(
    /// The event formats of charter art. 7.
    EventType {
        AnnualMeeting => "ANNUAL_MEETING",
        Forum => "FORUM",
        Seminar => "SEMINAR",
        TechnologyLaunch => "TECHNOLOGY_LAUNCH",
        Expo => "EXPO",
        Training => "TRAINING",
        Other => "OTHER",
    }
);

stored_enum!(
    /// How far a project seeking funds has come.
    Stage { Idea => "IDEA", Startup => "STARTUP", Growth => "GROWTH", Expansion => "EXPANSION", Mature => "MATURE" }
);

stored_enum!(
    /// How a research result is protected.
    IpStatus { Patented => "PATENTED", PatentPending => "PATENT_PENDING", Unprotected => "UNPROTECTED", OpenSource => "OPEN_SOURCE" }
);

/// What only one kind has.
#[derive(Debug, Clone, PartialEq)]
pub enum Details {
    Opportunity(opportunity_details::Model),
    Policy(policy_details::Model),
    Research(research_details::Model),
    Event(event_details::Model),
}

/// A content item as loaded: the core row and its kind's details. Countries, sectors, tags
/// and translations are loaded on demand through DataLoaders.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentRecord {
    pub core: content::Model,
    pub details: Details,
}

impl ContentRecord {
    pub fn kind(&self) -> Kind {
        match self.details {
            Details::Opportunity(_) => Kind::Opportunity,
            Details::Policy(_) => Kind::Policy,
            Details::Research(_) => Kind::Research,
            Details::Event(_) => Kind::Event,
        }
    }

    pub fn status(&self) -> Status {
        Status::parse(&self.core.status).unwrap_or(Status::Draft)
    }

    /// Countries the details name besides the item's own (see `ContentKind::named_countries`).
    pub fn named_countries(&self) -> Vec<String> {
        use crate::kinds::ContentKind;
        match &self.details {
            Details::Opportunity(row) => {
                crate::kinds::opportunity::Opportunities::named_countries(row)
            }
            Details::Policy(row) => crate::kinds::policy::Policies::named_countries(row),
            Details::Research(row) => crate::kinds::research::ResearchResults::named_countries(row),
            Details::Event(row) => crate::kinds::event::Events::named_countries(row),
        }
    }

    /// Fills what the item's kind adds to its search document.
    pub fn index_details(&self, document: &mut search::Document) {
        use crate::kinds::ContentKind;
        match &self.details {
            Details::Opportunity(row) => {
                crate::kinds::opportunity::Opportunities::index(row, document)
            }
            Details::Policy(row) => crate::kinds::policy::Policies::index(row, document),
            Details::Research(row) => crate::kinds::research::ResearchResults::index(row, document),
            Details::Event(row) => crate::kinds::event::Events::index(row, document),
        }
    }

    pub fn visibility(&self) -> Visibility {
        // An unreadable value is treated as the stricter one.
        Visibility::parse(&self.core.visibility).unwrap_or(Visibility::Members)
    }
}
