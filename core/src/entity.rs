//! SeaORM entities. They stay inside `core`; services return wire types.

pub mod api_document;
pub mod doc_page;
pub mod api_key;
pub mod audit_event;
pub mod email_verification;
pub mod embed_link;
pub mod identity;
pub mod invitation;
pub mod key_change;
pub mod key_quota_usage;
pub mod membership;
pub mod operator_token;
pub mod outbox_email;
pub mod password_reset;
pub mod recovery_code;
pub mod session;
pub mod setting;
pub mod signin_challenge;
pub mod sso_used_state;
pub mod team;
pub mod usage_minute;
pub mod usage_minute_detail;
pub mod usage_minute_http;
pub mod usage_minute_latency;
pub mod user;
pub mod user_totp;
