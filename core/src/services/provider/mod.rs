//! The provider who runs Keyport: the settings they change while it runs and the admin
//! console.

pub mod admin;
pub mod docs;
pub mod embed;
pub mod portal_limits;
pub mod settings;
