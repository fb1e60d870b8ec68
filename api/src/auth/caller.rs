//! The caller of one request: anonymous, or a signed-in user with their role and standing.

use crate::error::{Error, Result};
use crate::service::access::Audience;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Secretariat,
    Correspondent,
    Member,
    Investor,
    User,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Secretariat => "SECRETARIAT",
            Role::Correspondent => "CORRESPONDENT",
            Role::Member => "MEMBER",
            Role::Investor => "INVESTOR",
            Role::User => "USER",
        }
    }

    /// Accepts the stored form and the command line's lower-case form.
    pub fn parse(text: &str) -> Option<Role> {
        match text.to_ascii_uppercase().as_str() {
            "SECRETARIAT" => Some(Role::Secretariat),
            "CORRESPONDENT" => Some(Role::Correspondent),
            "MEMBER" => Some(Role::Member),
            "INVESTOR" => Some(Role::Investor),
            "USER" => Some(Role::User),
            _ => None,
        }
    }
}

/// A signed-in user as the permission rules see them.
#[derive(Debug, Clone)]
pub struct CallerUser {
    pub id: String,
    pub role: Role,
    /// The user's organisation is a member in good standing: this, not the role, is what
    /// opens member-only content, so that an expelled organisation loses it at once.
    pub in_member_organisation: bool,
    /// A trusted correspondent may publish without review.
    pub trusted: bool,
    /// The organisation the user belongs to, whatever its standing.
    pub organisation_id: Option<String>,
}

/// Who is calling, and what that lets them see: the identity and its [`Audience`], built
/// together once per request so that every rule reads the same answer.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub user: Option<CallerUser>,
    /// What the caller may see; see the access module's rule table.
    pub audience: Audience,
    /// The client's network address, for throttling and the audit log.
    pub client_address: Option<String>,
    /// The sign-in the caller's token belongs to, when it names one.
    pub session_id: Option<String>,
}

impl Caller {
    pub fn anonymous() -> Self {
        Self::default()
    }

    pub fn for_user(user: CallerUser) -> Self {
        Caller {
            audience: Audience::of(&user),
            user: Some(user),
            client_address: None,
            session_id: None,
        }
    }

    pub fn user_id(&self) -> Option<&str> {
        self.user.as_ref().map(|user| user.id.as_str())
    }

    pub fn role(&self) -> Option<Role> {
        self.user.as_ref().map(|user| user.role)
    }

    pub fn is_secretariat(&self) -> bool {
        self.role() == Some(Role::Secretariat)
    }

    pub fn require_user(&self) -> Result<&CallerUser> {
        self.user.as_ref().ok_or(Error::Unauthenticated)
    }

    /// UNAUTHENTICATED for the anonymous, FORBIDDEN for everyone but the secretariat.
    pub fn require_secretariat(&self) -> Result<&CallerUser> {
        let user = self.require_user()?;
        if user.role == Role::Secretariat {
            Ok(user)
        } else {
            Err(Error::forbidden("only the secretariat may do this"))
        }
    }
}
