//! The application's error type. Services and the CLI return it; `http::error` turns it into
//! RFC 9457 problem+json. Expected failures are `Problem`s with a stable kind; everything else is
//! `Internal`, whose details go to the log and never to the client.

use std::fmt;

/// A stable class of problem. Its slug is the `type` URI clients may match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    BadRequest,
    MalformedJson,
    UnsupportedMediaType,
    Validation,
    Unauthenticated,
    InvalidCredentials,
    InvalidToken,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    UsernameTaken,
    PayloadTooLarge,
    TooManyRequests,
    ServiceUnavailable,
    Internal,
    VersionConflict,
    PreconditionFailed,
    PreconditionRequired,
    RouterUnavailable,
    RequestTimeout,
    RequestHeaderFieldsTooLarge,
    PasswordChangeRequired,
}

impl ProblemKind {
    pub const ALL: [ProblemKind; 23] = [
        ProblemKind::BadRequest,
        ProblemKind::MalformedJson,
        ProblemKind::UnsupportedMediaType,
        ProblemKind::Validation,
        ProblemKind::Unauthenticated,
        ProblemKind::InvalidCredentials,
        ProblemKind::InvalidToken,
        ProblemKind::Forbidden,
        ProblemKind::NotFound,
        ProblemKind::MethodNotAllowed,
        ProblemKind::Conflict,
        ProblemKind::UsernameTaken,
        ProblemKind::PayloadTooLarge,
        ProblemKind::TooManyRequests,
        ProblemKind::ServiceUnavailable,
        ProblemKind::Internal,
        ProblemKind::VersionConflict,
        ProblemKind::PreconditionFailed,
        ProblemKind::PreconditionRequired,
        ProblemKind::RouterUnavailable,
        ProblemKind::RequestTimeout,
        ProblemKind::RequestHeaderFieldsTooLarge,
        ProblemKind::PasswordChangeRequired,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "bad-request",
            ProblemKind::MalformedJson => "malformed-json",
            ProblemKind::UnsupportedMediaType => "unsupported-media-type",
            ProblemKind::Validation => "validation-failed",
            ProblemKind::Unauthenticated => "unauthenticated",
            ProblemKind::InvalidCredentials => "invalid-credentials",
            ProblemKind::InvalidToken => "invalid-token",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::NotFound => "not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::Conflict => "conflict",
            ProblemKind::UsernameTaken => "username-taken",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::TooManyRequests => "too-many-requests",
            ProblemKind::ServiceUnavailable => "service-unavailable",
            ProblemKind::Internal => "internal-error",
            ProblemKind::VersionConflict => "version-conflict",
            ProblemKind::PreconditionFailed => "precondition-failed",
            ProblemKind::PreconditionRequired => "precondition-required",
            ProblemKind::RouterUnavailable => "router-unavailable",
            ProblemKind::RequestTimeout => "request-timeout",
            ProblemKind::RequestHeaderFieldsTooLarge => "request-header-fields-too-large",
            ProblemKind::PasswordChangeRequired => "password-change-required",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "Bad request",
            ProblemKind::MalformedJson => "Malformed JSON body",
            ProblemKind::UnsupportedMediaType => "Unsupported media type",
            ProblemKind::Validation => "Validation failed",
            ProblemKind::Unauthenticated => "Authentication required",
            ProblemKind::InvalidCredentials => "Invalid username or password",
            ProblemKind::InvalidToken => "Invalid or expired token",
            ProblemKind::Forbidden => "Forbidden",
            ProblemKind::NotFound => "Not found",
            ProblemKind::MethodNotAllowed => "Method not allowed",
            ProblemKind::Conflict => "Conflict",
            ProblemKind::UsernameTaken => "Username already taken",
            ProblemKind::PayloadTooLarge => "Payload too large",
            ProblemKind::TooManyRequests => "Too many requests",
            ProblemKind::ServiceUnavailable => "Service unavailable",
            ProblemKind::Internal => "Internal server error",
            ProblemKind::VersionConflict => "The resource was changed by someone else",
            ProblemKind::PreconditionFailed => "Precondition failed",
            ProblemKind::PreconditionRequired => "Precondition required",
            ProblemKind::RouterUnavailable => "Route service unavailable",
            ProblemKind::RequestTimeout => "Request timeout",
            ProblemKind::RequestHeaderFieldsTooLarge => "Request header fields too large",
            ProblemKind::PasswordChangeRequired => "Password change required",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            ProblemKind::BadRequest | ProblemKind::MalformedJson => 400,
            ProblemKind::Unauthenticated
            | ProblemKind::InvalidCredentials
            | ProblemKind::InvalidToken => 401,
            ProblemKind::Forbidden | ProblemKind::PasswordChangeRequired => 403,
            ProblemKind::RequestTimeout => 408,
            ProblemKind::RequestHeaderFieldsTooLarge => 431,
            ProblemKind::NotFound => 404,
            ProblemKind::MethodNotAllowed => 405,
            ProblemKind::Conflict | ProblemKind::UsernameTaken | ProblemKind::VersionConflict => {
                409
            }
            ProblemKind::PreconditionFailed => 412,
            ProblemKind::PreconditionRequired => 428,
            ProblemKind::PayloadTooLarge => 413,
            ProblemKind::UnsupportedMediaType => 415,
            ProblemKind::Validation => 422,
            ProblemKind::TooManyRequests => 429,
            ProblemKind::Internal => 500,
            ProblemKind::ServiceUnavailable | ProblemKind::RouterUnavailable => 503,
        }
    }

    /// The generic kind for a bare status code (used for errors raised below our handlers).
    pub fn for_status(status: u16) -> ProblemKind {
        match status {
            401 => ProblemKind::Unauthenticated,
            403 => ProblemKind::Forbidden,
            404 => ProblemKind::NotFound,
            405 => ProblemKind::MethodNotAllowed,
            408 => ProblemKind::RequestTimeout,
            431 => ProblemKind::RequestHeaderFieldsTooLarge,
            409 => ProblemKind::Conflict,
            412 => ProblemKind::PreconditionFailed,
            428 => ProblemKind::PreconditionRequired,
            413 => ProblemKind::PayloadTooLarge,
            415 => ProblemKind::UnsupportedMediaType,
            422 => ProblemKind::Validation,
            429 => ProblemKind::TooManyRequests,
            503 => ProblemKind::ServiceUnavailable,
            400..=499 => ProblemKind::BadRequest,
            _ => ProblemKind::Internal,
        }
    }

    pub fn type_uri(self) -> String {
        format!("{PROBLEM_TYPE_PREFIX}{}", self.slug())
    }
}

/// Problem `type` URIs are URNs: stable identifiers that do not pretend to be a web page.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:korsel:problem:";

/// An expected failure, safe to show to the client.
#[derive(Debug, Clone)]
pub struct Problem {
    pub kind: ProblemKind,
    pub detail: String,
    /// Extension members (RFC 9457 §3.2), e.g. the offending field.
    pub extensions: serde_json::Map<String, serde_json::Value>,
    /// Seconds to put in `Retry-After`.
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Problem {
            kind,
            detail: detail.into(),
            extensions: serde_json::Map::new(),
            retry_after: None,
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.extensions.insert(key.to_string(), value.into());
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {}", .0.kind.slug(), .0.detail)]
    Problem(Problem),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn problem(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Error::Problem(Problem::new(kind, detail))
    }

    pub fn not_found(what: &str) -> Self {
        Error::problem(ProblemKind::NotFound, format!("{what} not found"))
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Error::problem(ProblemKind::Forbidden, detail)
    }

    /// A 422 naming the offending field (a JSON pointer-ish path such as `points/3/lat`).
    pub fn validation(field: &str, detail: impl fmt::Display) -> Self {
        Error::Problem(
            Problem::new(ProblemKind::Validation, format!("{field}: {detail}"))
                .with("field", field),
        )
    }

    pub fn kind(&self) -> ProblemKind {
        match self {
            Error::Problem(p) => p.kind,
            Error::Internal(_) => ProblemKind::Internal,
        }
    }
}

impl From<Problem> for Error {
    fn from(p: Problem) -> Self {
        Error::Problem(p)
    }
}

impl From<diesel::result::Error> for Error {
    /// A query error is korsel's (500), except SQLite's "database is locked": another writer
    /// held the file for longer than the busy timeout (an address import runs in one
    /// transaction), which passes, so it is a 503 to try again.
    fn from(e: diesel::result::Error) -> Self {
        if crate::db::is_database_locked(&e) {
            tracing::warn!(error = %e, "a write waited for another writer longer than the busy timeout");
            let mut problem = Problem::new(
                ProblemKind::ServiceUnavailable,
                "the database is busy with another write (such as an address import); try again \
                 shortly",
            );
            problem.retry_after = Some(DATABASE_BUSY_RETRY_SECONDS);
            return Error::Problem(problem);
        }
        Error::Internal(anyhow::Error::new(e).context("database query failed"))
    }
}

/// How long a client is asked to wait after the database was busy.
const DATABASE_BUSY_RETRY_SECONDS: u64 = 5;

impl From<diesel::r2d2::PoolError> for Error {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        // Log the cause; tell the client only that the database is unavailable.
        tracing::error!(error = %e, "database connection unavailable");
        Error::problem(
            ProblemKind::ServiceUnavailable,
            "the database is unavailable; try again shortly",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// SQLite's own "database is locked" (a second writer that gave up waiting) is a 503 with
    /// Retry-After; another query error stays a 500.
    #[test]
    fn a_locked_sqlite_database_is_a_503_to_retry() {
        use diesel::connection::SimpleConnection;
        use diesel::{Connection, SqliteConnection};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locked.db");
        let mut holder = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
        holder
            .batch_execute("CREATE TABLE t (x INTEGER); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
            .unwrap();
        let mut waiter = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
        let locked = waiter
            .batch_execute("PRAGMA busy_timeout = 0; BEGIN IMMEDIATE;")
            .unwrap_err();
        match Error::from(locked) {
            Error::Problem(p) => {
                assert_eq!(p.kind, ProblemKind::ServiceUnavailable);
                assert_eq!(p.retry_after, Some(DATABASE_BUSY_RETRY_SECONDS));
            }
            other => panic!("expected a 503, got {other:?}"),
        }
        let broken = waiter
            .batch_execute("SELECT * FROM no_such_table")
            .unwrap_err();
        assert_eq!(Error::from(broken).kind(), ProblemKind::Internal);
    }

    #[test]
    fn slugs_are_unique_and_statuses_are_errors() {
        let slugs: HashSet<_> = ProblemKind::ALL.iter().map(|k| k.slug()).collect();
        assert_eq!(slugs.len(), ProblemKind::ALL.len());
        assert!(ProblemKind::ALL.iter().all(|k| k.status() >= 400));
    }

    #[test]
    fn bare_statuses_map_to_their_kind() {
        for kind in ProblemKind::ALL {
            let generic = ProblemKind::for_status(kind.status());
            assert_eq!(generic.status(), kind.status(), "{kind:?}");
        }
    }
}
