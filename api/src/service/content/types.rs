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
        }
    };
}

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

    pub fn visibility(&self) -> Visibility {
        // An unreadable value is treated as the stricter one.
        Visibility::parse(&self.core.visibility).unwrap_or(Visibility::Members)
    }
}
