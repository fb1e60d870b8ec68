//! Who may do what to content: the workflow's transitions and a correspondent's scope.

use entities::{correspondent_countries, correspondent_regions, correspondent_sectors};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::auth::caller::CallerUser;
use crate::auth::{Caller, Role};
use crate::error::{Error, Result};
use crate::reference::Reference;
use crate::service::content::{ContentRecord, Status};

/// A workflow transition a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Submit,
    Approve,
    Reject,
    Publish,
    Archive,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Publish => "publish",
            Action::Archive => "archive",
        }
    }

    /// The statuses the transition starts from.
    pub fn from(self) -> &'static [Status] {
        match self {
            Action::Submit => &[Status::Draft, Status::Rejected],
            Action::Approve | Action::Reject => &[Status::Submitted],
            Action::Publish => &[
                Status::Draft,
                Status::Submitted,
                Status::Rejected,
                Status::Archived,
            ],
            Action::Archive => &[Status::Published],
        }
    }

    pub fn to(self) -> Status {
        match self {
            Action::Submit => Status::Submitted,
            Action::Approve | Action::Publish => Status::Published,
            Action::Reject => Status::Rejected,
            Action::Archive => Status::Archived,
        }
    }
}

/// Whether `user` may act on a content item as its author: they wrote it and are still a
/// correspondent.
fn acts_as_author(user: &CallerUser, record: &ContentRecord) -> bool {
    user.role == Role::Correspondent && record.core.author_id == user.id
}

/// Checks that `caller` may perform `action` on `record`, in this order: permission first
/// (`FORBIDDEN`), then the current status (`CONFLICT`).
pub fn check_transition(caller: &Caller, record: &ContentRecord, action: Action) -> Result<()> {
    let user = caller.require_user()?;
    let secretariat = user.role == Role::Secretariat;
    let author = acts_as_author(user, record);
    let permitted = match action {
        Action::Submit | Action::Archive => secretariat || author,
        Action::Approve | Action::Reject => secretariat,
        // Archiving is final for everyone but the secretariat.
        Action::Publish if record.status() == Status::Archived => secretariat,
        Action::Publish => secretariat || (author && user.trusted),
    };
    if !permitted {
        let who = match action {
            Action::Approve | Action::Reject => "only the secretariat may",
            Action::Publish if record.status() == Status::Archived => "only the secretariat may",
            Action::Publish => "only the secretariat or a trusted correspondent who wrote it may",
            Action::Submit | Action::Archive => {
                "only the secretariat or the correspondent who wrote it may"
            }
        };
        return Err(Error::forbidden(format!(
            "{who} {} this content",
            action.name()
        )));
    }
    let status = record.status();
    if !action.from().contains(&status) {
        let allowed: Vec<&str> = action.from().iter().map(|status| status.as_str()).collect();
        return Err(Error::conflict(format!(
            "cannot {} content that is {}; it must be {}",
            action.name(),
            status.as_str(),
            allowed.join(" or ")
        )));
    }
    Ok(())
}

/// Checks that `caller` may publish a new item of theirs as they create it: whoever may
/// publish it once it exists (see [`check_transition`]: the secretariat, or its author when a
/// trusted correspondent).
pub fn check_may_publish_new(caller: &Caller) -> Result<()> {
    let user = check_may_write(caller)?;
    if user.role == Role::Secretariat || user.trusted {
        return Ok(());
    }
    Err(Error::forbidden(
        "only the secretariat or a trusted correspondent may publish as they create; create a draft and submit it",
    ))
}

/// Only correspondents and the secretariat write content.
pub fn check_may_write(caller: &Caller) -> Result<&CallerUser> {
    let user = caller.require_user()?;
    match user.role {
        Role::Secretariat | Role::Correspondent => Ok(user),
        _ => Err(Error::forbidden(
            "only correspondents and the secretariat write content",
        )),
    }
}

/// Checks that `caller` may edit `record`: the secretariat always; its author while it is
/// a draft, submitted or rejected, and once published only when trusted.
pub fn check_may_edit(caller: &Caller, record: &ContentRecord) -> Result<()> {
    let user = check_may_write(caller)?;
    if user.role == Role::Secretariat {
        return Ok(());
    }
    if !acts_as_author(user, record) {
        return Err(Error::forbidden(
            "only the correspondent who wrote it or the secretariat may edit this content",
        ));
    }
    match record.status() {
        Status::Draft | Status::Submitted | Status::Rejected => Ok(()),
        Status::Published if user.trusted => Ok(()),
        Status::Published => Err(Error::forbidden(
            "published content may be edited only by the secretariat or a trusted correspondent",
        )),
        Status::Archived => Err(Error::conflict(
            "archived content cannot be edited; ask the secretariat",
        )),
    }
}

/// The countries and sectors a correspondent was assigned. A correspondent covers a country
/// (directly or through a region) or a sector; a dimension with nothing assigned is open, but a
/// correspondent with nothing assigned at all may write nothing.
pub struct Scope {
    countries: Vec<String>,
    sectors: Vec<String>,
}

impl Scope {
    pub async fn load(
        connection: &impl ConnectionTrait,
        user_id: &str,
        reference: &Reference,
    ) -> Result<Scope> {
        let mut countries: Vec<String> = correspondent_countries::Entity::find()
            .filter(correspondent_countries::Column::UserId.eq(user_id))
            .all(connection)
            .await?
            .into_iter()
            .map(|row| row.country_code)
            .collect();
        let regions = correspondent_regions::Entity::find()
            .filter(correspondent_regions::Column::UserId.eq(user_id))
            .all(connection)
            .await?;
        for region in regions {
            if let Some(region) = reference.region(&region.region_code) {
                countries.extend(region.countries.iter().cloned());
            }
        }
        let sectors = correspondent_sectors::Entity::find()
            .filter(correspondent_sectors::Column::UserId.eq(user_id))
            .all(connection)
            .await?
            .into_iter()
            .map(|row| row.sector_code)
            .collect();
        Ok(Scope { countries, sectors })
    }

    pub fn check(
        &self,
        countries: &[String],
        sectors: &[String],
        reference: &Reference,
    ) -> Result<()> {
        if self.countries.is_empty() && self.sectors.is_empty() {
            return Err(Error::forbidden(
                "no countries, regions or sectors are assigned to you yet; ask the secretariat",
            ));
        }
        if !self.countries.is_empty()
            && let Some(outside) = countries
                .iter()
                .find(|country| !self.countries.contains(country))
        {
            return Err(Error::forbidden(format!(
                "country {outside} is outside the countries assigned to you"
            )));
        }
        if !self.sectors.is_empty()
            && let Some(outside) = sectors.iter().find(|sector| {
                !self
                    .sectors
                    .iter()
                    .any(|scope| reference.sector_covers(scope, sector))
            })
        {
            return Err(Error::forbidden(format!(
                "sector {outside} is outside the sectors assigned to you"
            )));
        }
        Ok(())
    }
}
