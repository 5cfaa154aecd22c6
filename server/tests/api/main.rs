//! HTTP-level tests: the real server on port 0 with a fresh database (SQLite by default,
//! PostgreSQL with `KEYPORT_TEST_DATABASE=postgres`).

mod audit;
mod delivery;
mod docs;
mod email_change;
mod embed;
mod emails;
mod account;
mod admin;
mod auth;
mod helpers;
mod invitations;
mod matrix;
mod mfa;
mod invoices;
mod plans;
mod members;
mod portal_limits;
mod profile;
mod reminders;
mod request_log;
mod retrievable;
mod smtp;
mod stripe;
mod sso;
mod try_it;
mod keys;
mod review;
mod security;
mod settings;
mod signup_fields;
mod tokens;
mod teams;
mod usage;
mod verification;
mod verify;
