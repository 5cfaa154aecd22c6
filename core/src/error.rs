//! The error type of the services.

use crate::validate::FieldError;

/// What can go wrong in a service. Internal details are logged once where mapped, never shown.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Input failed validation.
    #[error("invalid {}: {}", .0.field, .0.message)]
    Invalid(FieldError),
    /// Email or password wrong, or no valid session.
    #[error("unauthenticated")]
    Unauthenticated,
    /// Signed in but not allowed.
    #[error("forbidden")]
    Forbidden,
    /// No such object in the caller's team (also: another team's object).
    #[error("not found")]
    NotFound,
    /// Allowed in principle, but refused by the current state (the last owner leaving, a
    /// used invitation); the message says why, for people.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The active team requires a second factor and the caller has none yet: nothing of the
    /// team is shown or changed until they set one up (account settings keep working).
    #[error("second factor required")]
    SecondFactorRequired,
    /// Too many attempts; retry after this many seconds.
    #[error("too many attempts")]
    TooManyAttempts {
        /// Seconds until another attempt is allowed.
        retry_after: u64,
    },
    /// A limit on something that sends email or costs work was reached; the message says
    /// which, for people.
    #[error("throttled: {message}")]
    Throttled {
        /// Seconds until another attempt may succeed.
        retry_after: u64,
        /// What was limited.
        message: String,
    },
    /// A database failure.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// Any other internal failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<FieldError> for CoreError {
    fn from(e: FieldError) -> Self {
        CoreError::Invalid(e)
    }
}

/// Maps a unique-constraint violation to a field error; any other database error stays one.
/// This is the one place constraint violations are interpreted.
pub fn unique_violation_as(err: sea_orm::DbErr, field: &str, message: &str) -> CoreError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            CoreError::Invalid(FieldError::new(field, message))
        }
        _ => CoreError::Db(err),
    }
}

/// Whether a database error means the database cannot be reached now (refused, timed out,
/// the connection lost) rather than a statement failing: the portal answers "temporarily
/// unavailable" for these, and retries later.
pub fn db_unavailable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::DbErr;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(e) | DbErr::Query(e) => {
            let text = e.to_string().to_ascii_lowercase();
            ["connection refused", "connection reset", "broken pipe", "pool timed out", "terminating connection", "connection closed", "io error", "error communicating with database"]
                .iter()
                .any(|t| text.contains(t))
        }
        _ => false,
    }
}

impl CoreError {
    /// Whether this is the database being out of reach (see [`db_unavailable`]).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, CoreError::Db(e) if db_unavailable(e))
    }
}
