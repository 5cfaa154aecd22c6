//! People and their access: sign-up and sign-in, sessions, the account (password change and
//! reset, devices), the second factor (TOTP), password hashing, and the operator's API tokens.

pub mod account;
pub mod auth;
pub mod email_change;
pub mod mfa;
pub mod passwords;
pub mod sso;
pub mod tokens;
pub mod verification;
