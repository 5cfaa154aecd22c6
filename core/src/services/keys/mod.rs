//! API keys: their lifecycle (create, edit, rotate, approve, revoke), verification with its
//! cache, the rate limiter, monthly quotas, and leak reports.

pub mod leaks;
pub mod lifecycle;
pub mod quota;
pub mod ratelimit;
pub mod reminders;
pub mod retrieval;
pub mod verify;

pub use lifecycle::*;
