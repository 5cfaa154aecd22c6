//! The `keyport` server as a library: tests boot it exactly as the binary does.

pub mod backup;
pub mod cli;
pub mod config;
pub mod brand;
pub mod embed;
pub mod sso;
pub mod exports;
pub mod health;
pub mod mail;
pub mod middleware;
pub mod startup;
pub mod v1;
pub mod workers;

pub use config::Settings;
pub use startup::Application;
