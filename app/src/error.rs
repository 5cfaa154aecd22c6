//! The error type of the server functions: what the UI can show, nothing internal.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// An error a server function returns. Its text is fit for people; internal details never
/// reach it (they are logged once, on the server, where a `CoreError` is mapped).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// A field failed validation.
    #[error("{message}")]
    Invalid {
        /// The form field.
        field: String,
        /// What to do about it.
        message: String,
    },
    /// No valid session.
    #[error("Your session has ended. Please sign in again.")]
    Unauthenticated,
    /// Not allowed.
    #[error("You don't have permission to do that.")]
    Forbidden,
    /// The active team requires two-factor authentication and the caller has not set it up.
    #[error("This team requires two-factor authentication. Set it up in your account settings to see and change the team's keys, usage and members.")]
    SecondFactorRequired,
    /// Missing, or another team's.
    #[error("We couldn't find that. It may have been removed.")]
    NotFound,
    /// Refused by the current state; the message says why.
    #[error("{0}")]
    Conflict(String),
    /// Throttled.
    #[error("Too many attempts. Try again in {retry_after} seconds.")]
    TooManyAttempts {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// A limit was reached; the message says which.
    #[error("{message}")]
    Throttled {
        /// Seconds to wait.
        retry_after: u64,
        /// What was limited, for people.
        message: String,
    },
    /// The request could not be understood.
    #[error("The request was malformed: {0}")]
    BadRequest(String),
    /// The server could not be reached.
    #[error("Couldn't reach the server. Check your connection and try again.")]
    Network,
    /// The portal's database is out of reach for now; nothing was changed.
    #[error("The portal is temporarily unavailable: nothing was changed. Try again in a minute.")]
    Unavailable,
    /// Anything else; details are in the server log.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

impl AppError {
    /// The message for a given field, if this error is about it.
    pub fn for_field(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid { field: f, message } if f == field => Some(message.clone()),
            _ => None,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid { .. } | AppError::BadRequest(_) => 400,
            AppError::Unauthenticated => 401,
            AppError::Forbidden | AppError::SecondFactorRequired => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::TooManyAttempts { .. } | AppError::Throttled { .. } => 429,
            AppError::Network | AppError::Internal => 500,
            AppError::Unavailable => 503,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let e = match value {
            ServerFnErrorErr::Request(_) => AppError::Network,
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => AppError::BadRequest(m),
            _ => AppError::Internal,
        };
        // On the server this runs while decoding a request: answer with the matching status.
        #[cfg(feature = "ssr")]
        e.set_status();
        e
    }
}

#[cfg(feature = "ssr")]
impl From<keyport_core::CoreError> for AppError {
    fn from(e: keyport_core::CoreError) -> Self {
        use keyport_core::CoreError as C;
        let mapped = match e {
            C::Invalid(f) => AppError::Invalid { field: f.field, message: f.message },
            C::Unauthenticated => AppError::Unauthenticated,
            C::Forbidden => AppError::Forbidden,
            C::SecondFactorRequired => AppError::SecondFactorRequired,
            C::NotFound => AppError::NotFound,
            C::Conflict(m) => AppError::Conflict(m),
            C::TooManyAttempts { retry_after } => AppError::TooManyAttempts { retry_after },
            C::Throttled { retry_after, message } => AppError::Throttled { retry_after, message },
            C::Db(e) if keyport_core::error::db_unavailable(&e) => {
                tracing::warn!(error = %e, "the database is out of reach");
                #[cfg(feature = "ssr")]
                if let Some(svc) = leptos::prelude::use_context::<std::sync::Arc<keyport_core::Services>>() {
                    svc.database.mark(false);
                }
                AppError::Unavailable
            }
            C::Db(e) => {
                tracing::error!(error = %e, "database error in a server function");
                AppError::Internal
            }
            C::Internal(e) => {
                tracing::error!(error = %e, "internal error in a server function");
                AppError::Internal
            }
        };
        mapped.set_status();
        mapped
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Sets the HTTP status of the current server-function response to match this error.
    pub fn set_status(&self) {
        if plain_form_post() {
            // server_fn sends a form posted without JavaScript back to its page with the error
            // in the URL (a 302), where the page shows it; a 4xx here would replace that.
            return;
        }
        if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            // A page whose layout already redirects (a signed-out visitor sent to sign in)
            // keeps its redirect: the data the page asked for failing too changes nothing.
            let redirecting = res.0.read().map(|p| p.status.is_some_and(|s| s.is_redirection())).unwrap_or(false);
            if !redirecting {
                res.set_status(http::StatusCode::from_u16(self.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR));
            }
        }
    }
}

/// Whether this request is a server function called by a plain HTML form (JavaScript off):
/// it accepts HTML, where the portal's own calls accept JSON.
#[cfg(feature = "ssr")]
pub fn plain_form_post() -> bool {
    leptos::prelude::use_context::<http::request::Parts>().is_some_and(|p| {
        p.uri.path().starts_with("/api/")
            && p.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
    })
}
