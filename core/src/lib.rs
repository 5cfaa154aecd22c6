//! Keyport's domain. Everything outside `server` compiles to WASM and is shared with the UI.

pub mod dto;
pub mod histogram;
pub mod key;
pub mod roles;
pub mod html;
pub mod settings;
pub mod signup;
pub mod usage_report;
pub mod validate;

#[cfg(feature = "server")]
pub mod clock;
#[cfg(feature = "server")]
pub mod crypto;
#[cfg(feature = "server")]
pub mod entity;
#[cfg(feature = "server")]
pub mod error;
#[cfg(feature = "server")]
pub mod migration;
#[cfg(feature = "server")]
pub mod openapi;
#[cfg(feature = "server")]
pub mod services;

#[cfg(feature = "server")]
pub use error::CoreError;
#[cfg(feature = "server")]
pub use services::Services;
