//! One file per route.

pub mod audit;
pub mod dashboard;
pub mod keys;
pub mod login;
pub mod not_found;
pub mod placeholder;
pub mod register;
pub mod team;
