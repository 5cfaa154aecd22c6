//! Reusable, presentational pieces.

pub mod auth_form;
pub mod sso;
pub mod charts;
pub mod dialog;
pub mod forms;
pub mod icons;
pub mod key_parts;
pub mod layout;
pub mod local_time;
pub mod upgrade;
pub mod usage_card;
pub mod usage_view;
