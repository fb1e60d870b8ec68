//! Who sees what: the one place that decides, for every path (lists, totals, `node`, nested
//! fields, search hits, totals, facets, highlights and scores, mutation look-ups).
//!
//! Charter art. 19.7: what the alliance circulates to its members stays with its members. A
//! member is a user of an organisation in good standing, read on every request, so an
//! expulsion closes member content at once. What a caller may not see answers exactly as
//! what does not exist.
//!
//! | what                                         | anonymous | user¹ | member² | correspondent³ | secretariat |
//! |----------------------------------------------|-----------|-------|---------|----------------|-------------|
//! | published PUBLIC content, on every path      | yes       | yes   | yes     | yes            | yes         |
//! | published MEMBERS content, on every path     | –         | –     | yes     | own, or member | yes         |
//! | content in any other status                  | –         | –     | own     | own            | yes         |
//! | search scores and snippets: statistics of    | PUBLIC    | PUBLIC + own | all | as its content | all      |
//! | suggestions and "did you mean": drawn from   | PUBLIC    | PUBLIC + own | all | as its content | all      |
//! | an opportunity's `contact`                   | –         | own   | yes     | own, or member | yes         |
//! | an item's `author` (a public face⁴)          | –         | own   | yes     | own, or member | yes         |
//! | an item's `history`, actors as public faces⁴ | –         | own   | own     | own            | yes         |
//! | a user's email, trusted flag, `node(User)`   | –         | self  | self    | self           | yes         |
//! | a user's organisation, `node(Organisation)`  | –         | own   | own     | own            | yes         |
//! | the review queue (`statuses` filters)        | –         | –     | –       | own items      | yes         |
//! | the audit log, organisations list, roles     | –         | –     | –       | –              | yes         |
//! | an investor profile                          | –         | own   | own     | own            | yes         |
//! | express interest in a visible opportunity⁵   | –         | investor | yes  | member, not own | –          |
//! | an interest, its message and its opportunity⁶| –         | party | party   | party          | yes         |
//! | respond to an interest                       | –         | –     | –       | its author     | yes         |
//! | withdraw an interest                         | –         | requester | requester | requester  | –           |
//! | the requester's contact on an interest       | –         | –     | –       | author, once accepted | once accepted |
//! | the opportunity's contact on an interest     | –         | requester, once accepted | likewise | likewise | –    |
//! | an opportunity's interests and their summary | –         | –     | –       | its author     | yes         |
//! | an inbox (notifications)                     | –         | own   | own     | own            | own         |
//! | recommendations, related items: drawn from   | –         | as its content | as its content | as its content | – ⁷ |
//! | opportunities without interest after N days  | –         | –     | –       | –              | yes         |
//! | exchange rates: read / set                   | read      | read  | read    | read           | read, set   |
//! | register for a visible event, cancel own     | –         | yes   | yes     | yes            | yes         |
//! | an event's attendee list and its CSV         | –         | –     | –       | its organiser  | yes         |
//! | an online event's `onlineUrl`                | –         | registered | registered | organiser, or registered | yes |
//! | an event's `.ics`                            | as its content | as its content | as its content | as its content | yes |
//! | saved searches                               | –         | own   | own     | own            | own         |
//! | alerts, `savedSearchMatches`: drawn from     | –         | as its content, when published | likewise | likewise | all |
//! | `contentPublished`: drawn from               | PUBLIC    | as its content, at each delivery | likewise | likewise | all |
//! | Atom feeds                                   | PUBLIC    | PUBLIC | PUBLIC | PUBLIC         | PUBLIC      |
//!
//! ¹ signed in without a member organisation in good standing: plain users, investors
//! without one, users of an expelled or withdrawn organisation.
//! ² any role whose organisation is a member in good standing.
//! ³ writes only inside the countries, regions and sectors assigned to them, on every
//! country and sector field; see [`workflow`] for what each role may *do*.
//! ⁴ name, role and organisation name; never the email.
//! ⁵ members in good standing, users with the INVESTOR role or an investor profile; never the
//! opportunity's author or the secretariat, who are the publisher side.
//! ⁶ the parties: the requester, and the publisher side (the opportunity's author and the
//! secretariat). A party sees the opportunity the interest is about even after it is archived;
//! a requester who can no longer see member content no longer sees their interests in
//! member-only opportunities.
//! ⁷ related items for everyone (anonymous included), drawn from what the caller may see;
//! recommendations for any signed-in caller with a profile, the secretariat included.

pub mod workflow;

use entities::content;
use sea_orm::{ColumnTrait, Condition};

use super::content::{Status, Visibility};
use crate::auth::Role;
use crate::auth::caller::CallerUser;

/// What one caller may see, built once per request from who they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Audience {
    #[default]
    Anonymous,
    /// Signed in, without a member organisation in good standing.
    User {
        id: String,
    },
    /// A user of an organisation in good standing, whatever their role.
    Member {
        id: String,
    },
    /// Writes within a scope; sees member content only through a member organisation.
    Correspondent {
        id: String,
        member: bool,
    },
    Secretariat {
        id: String,
    },
}

impl Audience {
    pub fn of(user: &CallerUser) -> Audience {
        let id = user.id.clone();
        match user.role {
            Role::Secretariat => Audience::Secretariat { id },
            Role::Correspondent => Audience::Correspondent {
                id,
                member: user.in_member_organisation,
            },
            _ if user.in_member_organisation => Audience::Member { id },
            _ => Audience::User { id },
        }
    }

    /// The signed-in user, if any.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Audience::Anonymous => None,
            Audience::User { id }
            | Audience::Member { id }
            | Audience::Correspondent { id, .. }
            | Audience::Secretariat { id } => Some(id),
        }
    }

    fn is(&self, user_id: &str) -> bool {
        self.user_id() == Some(user_id)
    }

    pub fn is_secretariat(&self) -> bool {
        matches!(self, Audience::Secretariat { .. })
    }

    /// Member-only content is for members in good standing and the secretariat.
    pub fn sees_members_content(&self) -> bool {
        matches!(
            self,
            Audience::Member { .. }
                | Audience::Secretariat { .. }
                | Audience::Correspondent { member: true, .. }
        )
    }
}

/// Whether `audience` may see published content of `visibility`.
pub fn sees_visibility(audience: &Audience, visibility: Visibility) -> bool {
    visibility == Visibility::Public || audience.sees_members_content()
}

/// The content rows `audience` may read: published PUBLIC content for everyone, published
/// MEMBERS content for members, their own content in any status for authors, everything for
/// the secretariat. Every database read of content filters with this, in the query itself,
/// so lists, totals, look-ups and nested fields always agree.
pub fn content_rows(audience: &Audience) -> Condition {
    if audience.is_secretariat() {
        return Condition::all();
    }
    let mut published =
        Condition::all().add(content::Column::Status.eq(Status::Published.as_str()));
    if !audience.sees_members_content() {
        published = published.add(content::Column::Visibility.eq(Visibility::Public.as_str()));
    }
    match audience.user_id() {
        Some(user_id) => Condition::any()
            .add(published)
            .add(content::Column::AuthorId.eq(user_id)),
        None => published,
    }
}

/// Narrows `request` to what of the index `audience` may search: the index holds published items only, and the
/// search engine applies this to hits, totals, facets, highlights and the statistics behind
/// scores alike.
pub fn search_scope(audience: &Audience, request: &mut search::Request) {
    request.include_members = audience.sees_members_content();
    request.viewer_id = audience.user_id().map(str::to_owned);
}

/// Whether `statuses` filters are honoured: the secretariat's review queue, and a
/// correspondent's own items in every status. Everyone else lists published content only.
pub fn may_filter_by_status(audience: &Audience) -> bool {
    matches!(
        audience,
        Audience::Secretariat { .. } | Audience::Correspondent { .. }
    )
}

/// An opportunity's contact is for members, the secretariat and its author (art. 19.7: the
/// contact is what a member gains from membership).
pub fn sees_contact(audience: &Audience, author_id: &str) -> bool {
    audience.sees_members_content() || audience.is(author_id)
}

/// Who wrote an item is for members, the secretariat and the author; the public sees the
/// item, not who in the alliance wrote it. Even then only a public face is shown.
pub fn sees_author(audience: &Audience, author_id: &str) -> bool {
    audience.sees_members_content() || audience.is(author_id)
}

/// An item's workflow history (who moved it, why it was rejected) is between its author and
/// the secretariat.
pub fn sees_history(audience: &Audience, author_id: &str) -> bool {
    audience.is_secretariat() || audience.is(author_id)
}

/// A user's private side (email, trusted flag, their organisation link, their `node`) is for
/// that user and the secretariat: everyone else sees a public face.
pub fn sees_private_user(audience: &Audience, user_id: &str) -> bool {
    audience.is_secretariat() || audience.is(user_id)
}

/// An organisation's record (licence number, review steps, liaison) is for its own users and
/// the secretariat.
pub fn sees_organisation(
    audience: &Audience,
    own_organisation_id: Option<&str>,
    organisation_id: &str,
) -> bool {
    audience.is_secretariat() || own_organisation_id == Some(organisation_id)
}

/// Who a caller is to an interest: the one who expressed it, the publisher side, or nobody
/// it concerns (who then cannot tell it exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterestParty {
    Requester,
    /// The opportunity's author.
    Author,
    Secretariat,
    Stranger,
}

impl InterestParty {
    pub fn of(audience: &Audience, requester_id: &str, opportunity_author_id: &str) -> Self {
        if audience.is(requester_id) {
            InterestParty::Requester
        } else if audience.is(opportunity_author_id) {
            InterestParty::Author
        } else if audience.is_secretariat() {
            InterestParty::Secretariat
        } else {
            InterestParty::Stranger
        }
    }

    pub fn sees_interest(self) -> bool {
        self != InterestParty::Stranger
    }

    /// Accepting or declining is the publisher side's, never the requester's.
    pub fn may_respond(self) -> bool {
        matches!(self, InterestParty::Author | InterestParty::Secretariat)
    }

    pub fn may_withdraw(self) -> bool {
        self == InterestParty::Requester
    }

    /// Contacts are released on acceptance only, each side receiving the other's.
    pub fn sees_requester_contact(self, accepted: bool) -> bool {
        accepted && self.may_respond()
    }

    pub fn sees_opportunity_contact(self, accepted: bool) -> bool {
        accepted && self == InterestParty::Requester
    }
}

/// Whether `user` may express interest in an opportunity written by `author_id`: members in
/// good standing, investors by role, and anyone who has set an investor profile; never the
/// author, never the secretariat (both are the side that answers).
pub fn may_express_interest(
    audience: &Audience,
    user: &CallerUser,
    has_profile: bool,
    author_id: &str,
) -> bool {
    if audience.is_secretariat() || audience.is(author_id) {
        return false;
    }
    audience.sees_members_content() || user.role == Role::Investor || has_profile
}

/// An opportunity's interests, and how they are answered, are for its author and the
/// secretariat.
pub fn sees_interests_of(audience: &Audience, author_id: &str) -> bool {
    audience.is_secretariat() || audience.is(author_id)
}

/// An investor profile is private to its owner and the secretariat.
pub fn sees_investor_profile(audience: &Audience, owner_id: &str) -> bool {
    sees_private_user(audience, owner_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, member: bool) -> Audience {
        Audience::of(&CallerUser {
            id: "u1".into(),
            role,
            in_member_organisation: member,
            trusted: false,
            organisation_id: None,
        })
    }

    #[test]
    fn member_content_follows_the_organisation_not_the_role() {
        assert!(!user(Role::Member, false).sees_members_content());
        assert!(user(Role::User, true).sees_members_content());
        assert!(user(Role::Investor, true).sees_members_content());
        assert!(!user(Role::Correspondent, false).sees_members_content());
        assert!(user(Role::Correspondent, true).sees_members_content());
        assert!(user(Role::Secretariat, false).sees_members_content());
        assert!(!Audience::Anonymous.sees_members_content());
    }

    #[test]
    fn private_user_fields_are_for_self_and_the_secretariat() {
        assert!(sees_private_user(&user(Role::User, false), "u1"));
        assert!(!sees_private_user(&user(Role::Member, true), "u2"));
        assert!(sees_private_user(&user(Role::Secretariat, false), "u2"));
        assert!(!sees_private_user(&Audience::Anonymous, "u1"));
    }

    #[test]
    fn only_the_publisher_side_answers_and_only_the_requester_withdraws() {
        let member = user(Role::Member, true);
        assert_eq!(
            InterestParty::of(&member, "u1", "a"),
            InterestParty::Requester
        );
        assert_eq!(InterestParty::of(&member, "x", "u1"), InterestParty::Author);
        assert_eq!(
            InterestParty::of(&member, "x", "a"),
            InterestParty::Stranger
        );
        assert!(!InterestParty::Requester.may_respond());
        assert!(InterestParty::Secretariat.may_respond());
        assert!(!InterestParty::Author.may_withdraw());
        assert!(!InterestParty::Author.sees_requester_contact(false));
        assert!(InterestParty::Author.sees_requester_contact(true));
        assert!(!InterestParty::Secretariat.sees_opportunity_contact(true));
    }

    #[test]
    fn history_is_between_author_and_secretariat() {
        assert!(sees_history(&user(Role::Correspondent, false), "u1"));
        assert!(!sees_history(&user(Role::Member, true), "u2"));
        assert!(sees_history(&user(Role::Secretariat, false), "u2"));
    }
}
