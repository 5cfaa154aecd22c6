//! The provider who runs Keyport: the settings they change while it runs.

pub mod settings;
