//! Users and sessions: signing in, refreshing tokens, and creating users from the command line.

use chrono::Duration;
use entities::{
    correspondent_countries, correspondent_regions, correspondent_sectors, organisations,
    refresh_tokens, users,
};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use super::audit::{self, Subject};
use super::content::write::now;
use super::membership::MembershipStatus;
use crate::auth::caller::CallerUser;
use crate::auth::{Caller, Role};
use crate::domain;
use crate::error::{Error, Result};
use crate::state::AppState;

/// How long a refresh token lasts if unused.
use crate::limits::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, REFRESH_TOKEN_DAYS};

pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
}

/// The caller a bearer token stands for: its user as they are now (role, organisation), so
/// that a change of role or an expulsion takes effect on the next request.
pub async fn caller_for_token(state: &AppState, token: &str) -> Result<Caller> {
    let claims = state.tokens.verify(token).ok_or(Error::Unauthenticated)?;
    let user = users::Entity::find_by_id(claims.sub)
        .one(state.db.connection())
        .await?
        .ok_or(Error::Unauthenticated)?;
    let caller = caller_for_user(state.db.connection(), user).await?;
    Ok(Caller {
        session_id: claims.sid,
        ..caller
    })
}

/// Whether the sign-in `session_id` still stands: not signed out, nor revoked for a reused
/// refresh token. Long-lived connections (subscriptions) ask before each private delivery;
/// a request's access token is short-lived and not asked.
pub async fn session_stands(state: &AppState, session_id: &str) -> Result<bool> {
    Ok(refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::FamilyId.eq(session_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .one(state.db.connection())
        .await?
        .is_some())
}

pub async fn caller_for_user(
    connection: &impl ConnectionTrait,
    user: users::Model,
) -> Result<Caller> {
    let role = Role::parse(&user.role).ok_or_else(|| {
        Error::Internal(anyhow::anyhow!(
            "user {} has unknown role {}",
            user.id,
            user.role
        ))
    })?;
    let in_member_organisation = match &user.organisation_id {
        Some(organisation_id) => organisations::Entity::find_by_id(organisation_id.clone())
            .one(connection)
            .await?
            .is_some_and(|organisation| {
                organisation.membership_status == MembershipStatus::Member.as_str()
            }),
        None => false,
    };
    Ok(Caller::for_user(CallerUser {
        id: user.id,
        role,
        in_member_organisation,
        trusted: user.trusted,
        organisation_id: user.organisation_id,
    }))
}

/// Signs in with email and password. An unknown email and a wrong password give the same
/// error after the same amount of work; attempts are throttled per account and client address,
/// per address and per account (`RATE_LIMITED`, before any hashing; see `auth::throttle`), and
/// every attempt is audited.
pub async fn login(
    state: &AppState,
    caller: &Caller,
    email: &str,
    password_text: &str,
) -> Result<Tokens> {
    // A malformed address is refused before any work, throttle, hash or audit row: it cannot
    // name an account, and it must not reach the audit log at any length.
    let email = domain::email("email", email)?;
    let subject = || {
        Some(Subject {
            kind: "email",
            id: &email,
        })
    };
    let attempt = match state
        .throttle
        .admit_login(&email, caller.client_address.as_deref())
        .await
    {
        Ok(attempt) => attempt,
        Err(throttled) => {
            audit::record(
                state.db.connection(),
                caller,
                None,
                audit::LOGIN_THROTTLED,
                subject(),
                None,
            )
            .await?;
            return Err(throttled);
        }
    };
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(email.clone()))
        .one(state.db.connection())
        .await?;
    let stored_hash = user.as_ref().map(|user| user.password_hash.clone());
    // A full hashing queue answers RATE_LIMITED here, and the attempt is taken back.
    let matches = state
        .hashing
        .verify(password_text.to_owned(), stored_hash)
        .await?;
    match user {
        Some(user) if matches => {
            attempt.succeeded().await;
            audit::record(
                state.db.connection(),
                caller,
                Some(&user.id),
                audit::LOGIN_SUCCEEDED,
                subject(),
                None,
            )
            .await?;
            issue_tokens(state, &user, None).await
        }
        _ => {
            attempt.count().await;
            audit::record(
                state.db.connection(),
                caller,
                None,
                audit::LOGIN_FAILED,
                subject(),
                None,
            )
            .await?;
            Err(Error::InvalidCredentials)
        }
    }
}

/// Creates a plain user account and signs it in. Sign-ups are throttled per client address
/// (`RATE_LIMITED`), counting tries at a taken email too, so that probing which emails have
/// accounts is as slow as minting them.
pub async fn register(
    state: &AppState,
    caller: &Caller,
    email: &str,
    password_text: &str,
    name: Option<String>,
) -> Result<Tokens> {
    let email = domain::email("email", email)?;
    check_password(password_text)?;
    let name = name
        .filter(|name| !name.trim().is_empty())
        .map(|name| domain::name("name", &name, domain::PLACE_MAX_CHARS))
        .transpose()?;
    let attempt = state
        .throttle
        .admit_registration(caller.client_address.as_deref())
        .await?;
    let exists = users::Entity::find()
        .filter(users::Column::Email.eq(email.clone()))
        .one(state.db.connection())
        .await?;
    if exists.is_some() {
        attempt.count().await;
        return Err(Error::conflict("an account with this email already exists"));
    }
    // A full hashing queue answers RATE_LIMITED here, and the sign-up is taken back.
    let password_hash = state.hashing.hash(password_text.to_owned()).await?;
    attempt.count().await;
    let timestamp = now();
    let id = uuid::Uuid::now_v7().to_string();
    let transaction = state.db.begin_write().await?;
    let inserted = users::Entity::insert(users::ActiveModel {
        id: Set(id.clone()),
        email: Set(email.clone()),
        name: Set(name),
        password_hash: Set(password_hash),
        role: Set(Role::User.as_str().to_owned()),
        organisation_id: Set(None),
        trusted: Set(false),
        created_at: Set(timestamp),
        updated_at: Set(timestamp),
    })
    .exec_without_returning(&*transaction)
    .await;
    if let Err(error) = inserted {
        // Two registrations racing for one email: the unique index decides.
        if matches!(
            error.sql_err(),
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
        ) {
            return Err(Error::conflict("an account with this email already exists"));
        }
        return Err(error.into());
    }
    audit::record(
        &*transaction,
        caller,
        Some(&id),
        audit::USER_REGISTERED,
        Some(Subject {
            kind: "user",
            id: &id,
        }),
        None,
    )
    .await?;
    let user = users::Entity::find_by_id(id)
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound("user"))?;
    transaction.commit().await?;
    issue_tokens(state, &user, None).await
}

fn check_password(password_text: &str) -> Result<()> {
    let length = password_text.chars().count();
    if length < PASSWORD_MIN_CHARS {
        return Err(Error::bad_input(
            "password",
            format!("must be at least {PASSWORD_MIN_CHARS} characters"),
        ));
    }
    if length > PASSWORD_MAX_CHARS {
        return Err(Error::bad_input(
            "password",
            format!("must be at most {PASSWORD_MAX_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Revokes the sign-in a refresh token belongs to (all its rotations). Unknown tokens are
/// ignored, so the answer says nothing about which tokens exist.
pub async fn logout(state: &AppState, caller: &Caller, refresh_token: &str) -> Result<()> {
    let token_hash = hash_token(refresh_token.trim());
    let Some(stored) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .one(state.db.connection())
        .await?
    else {
        return Ok(());
    };
    revoke_family(state, caller, &stored, "signed out").await
}

async fn revoke_family(
    state: &AppState,
    caller: &Caller,
    token: &refresh_tokens::Model,
    why: &str,
) -> Result<()> {
    let transaction = state.db.begin_write().await?;
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now()))
        .filter(refresh_tokens::Column::FamilyId.eq(token.family_id.clone()))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(&*transaction)
        .await?;
    audit::record(
        &*transaction,
        caller,
        Some(&token.user_id),
        audit::TOKEN_REVOKED,
        Some(Subject {
            kind: "session",
            id: &token.family_id,
        }),
        why.to_owned(),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

pub(crate) fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn issue_tokens(
    state: &AppState,
    user: &users::Model,
    family_id: Option<String>,
) -> Result<Tokens> {
    let family_id = family_id.unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let access_token = state
        .tokens
        .issue_for_session(&user.id, &user.role, Some(&family_id))
        .map_err(Error::Internal)?;
    let refresh_token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let issued_at = now();
    let transaction = state.db.begin_write().await?;
    refresh_tokens::Entity::insert(refresh_tokens::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        user_id: Set(user.id.clone()),
        family_id: Set(family_id),
        token_hash: Set(hash_token(&refresh_token)),
        created_at: Set(issued_at),
        expires_at: Set(issued_at + Duration::days(REFRESH_TOKEN_DAYS)),
        used_at: Set(None),
        revoked_at: Set(None),
    })
    .exec_without_returning(&*transaction)
    .await?;
    transaction.commit().await?;
    Ok(Tokens {
        access_token,
        refresh_token,
    })
}

/// Trades a refresh token for a new pair. Each refresh token works once; presenting a spent
/// one means it was stolen (or the client is broken), so its whole family is revoked.
pub async fn refresh(state: &AppState, caller: &Caller, refresh_token: &str) -> Result<Tokens> {
    let token_hash = hash_token(refresh_token.trim());
    let stored = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .one(state.db.connection())
        .await?;
    let Some(stored) = stored else {
        return Err(Error::Unauthenticated);
    };
    let timestamp = now();
    if stored.revoked_at.is_some() || stored.expires_at <= timestamp {
        return Err(Error::Unauthenticated);
    }
    let transaction = state.db.begin_write().await?;
    let spent = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(timestamp))
        .filter(refresh_tokens::Column::Id.eq(stored.id.clone()))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .exec(&*transaction)
        .await?;
    transaction.commit().await?;
    if spent.rows_affected != 1 {
        tracing::warn!(family = %stored.family_id, "a spent refresh token was presented; its family is revoked");
        revoke_family(
            state,
            caller,
            &stored,
            "a spent refresh token was presented again",
        )
        .await?;
        return Err(Error::Unauthenticated);
    }
    let user = users::Entity::find_by_id(stored.user_id)
        .one(state.db.connection())
        .await?
        .ok_or(Error::Unauthenticated)?;
    issue_tokens(state, &user, Some(stored.family_id)).await
}

pub async fn find(connection: &impl ConnectionTrait, id: &str) -> Result<Option<users::Model>> {
    Ok(users::Entity::find_by_id(id.to_owned())
        .one(connection)
        .await?)
}

/// A user to create or update from the command line or the demo seed.
pub struct NewUser {
    pub email: String,
    pub password: String,
    pub role: Role,
    pub name: Option<String>,
    pub organisation: Option<String>,
    pub countries: Vec<String>,
    pub regions: Vec<String>,
    pub sectors: Vec<String>,
    pub trusted: bool,
}

/// Creates the user, or updates the one with this email (role, name, password, scope).
/// A new organisation is created as a member in good standing.
pub async fn upsert(state: &AppState, new_user: NewUser) -> Result<users::Model> {
    let email = domain::email("email", &new_user.email)?;
    check_password(&new_user.password)?;
    let scope = validate_scope(
        &new_user.countries,
        &new_user.regions,
        &new_user.sectors,
        &state.reference,
    )?;
    let password_hash = state.hashing.hash(new_user.password.clone()).await?;
    let timestamp = now();
    let transaction = state.db.begin_write().await?;
    let organisation_id = match &new_user.organisation {
        Some(name) => Some(find_or_create_organisation(&*transaction, name).await?),
        None => None,
    };
    let existing = users::Entity::find()
        .filter(users::Column::Email.eq(email.clone()))
        .one(&*transaction)
        .await?;
    let id = existing
        .as_ref()
        .map(|user| user.id.clone())
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let model = users::ActiveModel {
        id: Set(id.clone()),
        email: Set(email),
        name: Set(new_user.name.clone()),
        password_hash: Set(password_hash),
        role: Set(new_user.role.as_str().to_owned()),
        organisation_id: Set(organisation_id),
        trusted: Set(new_user.trusted),
        created_at: Set(existing
            .as_ref()
            .map(|user| user.created_at)
            .unwrap_or(timestamp)),
        updated_at: Set(timestamp),
    };
    if existing.is_some() {
        users::Entity::update(model).exec(&*transaction).await?;
    } else {
        users::Entity::insert(model)
            .exec_without_returning(&*transaction)
            .await?;
    }
    write_scope(&*transaction, &id, &scope).await?;
    let user = users::Entity::find_by_id(id)
        .one(&*transaction)
        .await?
        .ok_or(Error::NotFound("user"))?;
    transaction.commit().await?;
    Ok(user)
}

/// A correspondent's assigned countries, regions and sectors (validated codes).
pub struct Scope {
    pub countries: Vec<String>,
    pub regions: Vec<String>,
    pub sectors: Vec<String>,
}

/// Replaces the user's scope with `scope`.
pub async fn write_scope(
    connection: &impl ConnectionTrait,
    user_id: &str,
    scope: &Scope,
) -> Result<()> {
    correspondent_countries::Entity::delete_many()
        .filter(correspondent_countries::Column::UserId.eq(user_id))
        .exec(connection)
        .await?;
    correspondent_regions::Entity::delete_many()
        .filter(correspondent_regions::Column::UserId.eq(user_id))
        .exec(connection)
        .await?;
    correspondent_sectors::Entity::delete_many()
        .filter(correspondent_sectors::Column::UserId.eq(user_id))
        .exec(connection)
        .await?;
    let user = || Set(user_id.to_owned());
    correspondent_countries::Entity::insert_many(scope.countries.iter().map(|code| {
        correspondent_countries::ActiveModel {
            user_id: user(),
            country_code: Set(code.clone()),
        }
    }))
    .exec_without_returning(connection)
    .await?;
    correspondent_regions::Entity::insert_many(scope.regions.iter().map(|code| {
        correspondent_regions::ActiveModel {
            user_id: user(),
            region_code: Set(code.clone()),
        }
    }))
    .exec_without_returning(connection)
    .await?;
    correspondent_sectors::Entity::insert_many(scope.sectors.iter().map(|code| {
        correspondent_sectors::ActiveModel {
            user_id: user(),
            sector_code: Set(code.clone()),
        }
    }))
    .exec_without_returning(connection)
    .await?;
    Ok(())
}

/// Validates scope codes against the reference data.
pub fn validate_scope(
    countries: &[String],
    regions: &[String],
    sectors: &[String],
    reference: &crate::reference::Reference,
) -> Result<Scope> {
    let countries = domain::country_codes("countries", countries, reference, true)?;
    let sectors = domain::sector_codes("sectors", sectors, reference, true)?;
    let mut known_regions = Vec::new();
    for region in regions {
        let code = region.trim().to_ascii_uppercase();
        if reference.region(&code).is_none() {
            return Err(Error::bad_input(
                "regions",
                format!("unknown region '{region}'"),
            ));
        }
        if !known_regions.contains(&code) {
            known_regions.push(code);
        }
    }
    Ok(Scope {
        countries,
        regions: known_regions,
        sectors,
    })
}

/// The secretariat changes a user's role.
pub async fn set_role(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    role: Role,
) -> Result<users::Model> {
    caller.require_secretariat()?;
    let user = find(state.db.connection(), user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let transaction = state.db.begin_write().await?;
    users::Entity::update_many()
        .col_expr(users::Column::Role, Expr::value(role.as_str()))
        .col_expr(users::Column::UpdatedAt, Expr::value(now()))
        .filter(users::Column::Id.eq(user_id))
        .exec(&*transaction)
        .await?;
    let detail = format!("{} → {}", user.role, role.as_str());
    audit::record(
        &*transaction,
        caller,
        None,
        audit::ROLE_CHANGED,
        Some(Subject {
            kind: "user",
            id: user_id,
        }),
        detail,
    )
    .await?;
    let updated = find(&*transaction, user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    transaction.commit().await?;
    Ok(updated)
}

/// The secretariat assigns a correspondent's scope and whether they may publish unreviewed.
pub async fn set_scope(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    scope: Scope,
    trusted: bool,
) -> Result<users::Model> {
    caller.require_secretariat()?;
    find(state.db.connection(), user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let transaction = state.db.begin_write().await?;
    write_scope(&*transaction, user_id, &scope).await?;
    users::Entity::update_many()
        .col_expr(users::Column::Trusted, Expr::value(trusted))
        .col_expr(users::Column::UpdatedAt, Expr::value(now()))
        .filter(users::Column::Id.eq(user_id))
        .exec(&*transaction)
        .await?;
    let detail = format!(
        "countries [{}], regions [{}], sectors [{}], trusted {trusted}",
        scope.countries.join(", "),
        scope.regions.join(", "),
        scope.sectors.join(", ")
    );
    audit::record(
        &*transaction,
        caller,
        None,
        audit::SCOPE_CHANGED,
        Some(Subject {
            kind: "user",
            id: user_id,
        }),
        detail,
    )
    .await?;
    let updated = find(&*transaction, user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    transaction.commit().await?;
    Ok(updated)
}

async fn find_or_create_organisation(
    connection: &impl ConnectionTrait,
    name: &str,
) -> Result<String> {
    let name = domain::name("org", name, domain::SHORT_TEXT_MAX_CHARS)?;
    // Names differing only in case are the same organisation.
    let lower_name = Expr::expr(Func::lower(Expr::col(organisations::Column::Name)));
    if let Some(existing) = organisations::Entity::find()
        .filter(lower_name.eq(name.to_lowercase()))
        .one(connection)
        .await?
    {
        return Ok(existing.id);
    }
    let id = uuid::Uuid::now_v7().to_string();
    organisations::Entity::insert(organisations::ActiveModel {
        id: Set(id.clone()),
        name: Set(name),
        country_code: Set(None),
        org_type: Set("ENTERPRISE".to_owned()),
        membership_status: Set(MembershipStatus::Member.as_str().to_owned()),
        tier: Set(None),
        created_at: Set(now()),
        ..Default::default()
    })
    .exec_without_returning(connection)
    .await?;
    Ok(id)
}
