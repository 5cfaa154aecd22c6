//! Plans, what a team is on, and billing.

pub mod changes;
pub mod plans;
pub mod view;
