//! One file per route.

pub mod admin;
pub mod audit;
pub mod billing;
pub mod catalogue;
pub mod dashboard;
pub mod docs;
pub mod email_change;
pub mod invite;
pub mod invoice;
pub mod key_detail;
pub mod keys;
pub mod login;
pub mod login_verify;
pub mod not_found;
pub mod outbox;
pub mod register;
pub mod reset;
pub mod settings;
pub mod team;
pub mod usage;
pub mod verify_email;
