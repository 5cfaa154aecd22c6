//! Plans, what a team is on, and billing.

pub mod plans;
pub mod view;
