//! Keyport's portal UI: one router, one file per page, thin server functions.

pub mod api;
pub mod app;
pub mod components;
pub mod error;
pub mod assets;
pub mod branding;
pub mod format;
pub mod islands;
pub mod pages;

pub use app::{shell, App};
