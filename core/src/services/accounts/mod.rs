//! People and their access: sign-up and sign-in, sessions, the account (password change and
//! reset, devices), password hashing, and the operator's API tokens.

pub mod account;
pub mod auth;
pub mod passwords;
pub mod sso;
pub mod tokens;
