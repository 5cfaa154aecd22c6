//! Plans, what a team is on, and billing.

pub mod catalogue;
pub mod changes;
pub mod collect;
pub mod invoices;
pub mod pdf;
pub mod plans;
pub mod profile;
pub mod stripe;
pub mod view;
