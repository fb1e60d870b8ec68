//! The API's one error type and its small, deliberate set of public codes.
//!
//! User errors (the caller's fault) are shown with their message; internal errors are logged
//! once, here, with their cause, and reach the client as `INTERNAL` with no detail.

use async_graphql::ErrorExtensions;

/// The public error codes of CONTRACT.graphql.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    RateLimited,
    QueryTooComplex,
    /// Apollo's automatic persisted queries: the hash a request names is not (or no longer)
    /// stored, so the client sends the document with it. Apollo's clients match this code.
    PersistedQueryNotFound,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::NotFound => "NOT_FOUND",
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::Conflict => "CONFLICT",
            Code::RateLimited => "RATE_LIMITED",
            Code::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Code::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Code::Internal => "INTERNAL",
        }
    }

    pub const ALL: [Code; 9] = [
        Code::Unauthenticated,
        Code::Forbidden,
        Code::NotFound,
        Code::BadUserInput,
        Code::Conflict,
        Code::RateLimited,
        Code::QueryTooComplex,
        Code::PersistedQueryNotFound,
        Code::Internal,
    ];
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    /// Also what a caller gets for something that exists but that they may not see, so that
    /// the answer reveals nothing.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{field}: {message}")]
    BadUserInput { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    QueryTooComplex(String),
    #[error("too many attempts; try again in a few minutes")]
    RateLimited,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::BadUserInput {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::Forbidden(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Error::Conflict(message.into())
    }

    pub fn code(&self) -> Code {
        match self {
            Error::Unauthenticated | Error::InvalidCredentials => Code::Unauthenticated,
            Error::Forbidden(_) => Code::Forbidden,
            Error::NotFound(_) => Code::NotFound,
            Error::BadUserInput { .. } => Code::BadUserInput,
            Error::Conflict(_) => Code::Conflict,
            Error::QueryTooComplex(_) => Code::QueryTooComplex,
            Error::RateLimited => Code::RateLimited,
            Error::Internal(_) => Code::Internal,
        }
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(error: sea_orm::DbErr) -> Self {
        Error::Internal(anyhow::Error::new(error).context("database error"))
    }
}

impl From<Error> for async_graphql::Error {
    fn from(error: Error) -> Self {
        if let Error::Internal(cause) = &error {
            tracing::error!(error = ?cause, "internal error");
        }
        let code = error.code();
        let mut graphql_error =
            async_graphql::Error::new(error.to_string()).extend_with(|_, extensions| {
                extensions.set("code", code.as_str());
            });
        if let Error::BadUserInput { field, .. } = &error {
            graphql_error =
                graphql_error.extend_with(|_, extensions| extensions.set("field", field.as_str()));
        }
        graphql_error
    }
}
