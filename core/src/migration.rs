//! Schema migrations, applied on start and by `keyport migrate`.

use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_team_switching;
mod m0003_audit;
mod m0004_invitations;
mod m0005_key_settings;
mod m0006_quota;
mod m0007_rotation_sync;
mod m0008_approval;
mod m0009_usage_details;
mod m0010_served_traffic;
pub(crate) mod m0011_rollups;
pub(crate) mod m0012_rollup_rows;
mod m0013_session_devices;
pub mod m0014_team_minutes;
mod m0015_password_resets;
mod m0016_security_review;
mod m0017_settings;
mod m0018_token_scopes;
mod m0019_email_html;
mod m0020_site_admin;
mod m0021_embed;
mod m0022_mfa;
mod m0023_sso;
mod m0024_email_verification;
mod m0025_api_documents;
mod m0026_doc_pages;
mod m0027_key_notices;
mod m0028_profile;
mod m0029_email_changes;
mod m0030_retrievable_keys;
mod m0031_request_log;
mod m0032_plans;
mod m0033_invoices;
mod m0034_stripe;
mod m0035_catalogue;
mod m0036_trials;

/// All migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_team_switching::Migration),
            Box::new(m0003_audit::Migration),
            Box::new(m0004_invitations::Migration),
            Box::new(m0005_key_settings::Migration),
            Box::new(m0006_quota::Migration),
            Box::new(m0007_rotation_sync::Migration),
            Box::new(m0008_approval::Migration),
            Box::new(m0009_usage_details::Migration),
            Box::new(m0010_served_traffic::Migration),
            Box::new(m0011_rollups::Migration),
            Box::new(m0012_rollup_rows::Migration),
            Box::new(m0013_session_devices::Migration),
            Box::new(m0014_team_minutes::Migration),
            Box::new(m0015_password_resets::Migration),
            Box::new(m0016_security_review::Migration),
            Box::new(m0017_settings::Migration),
            Box::new(m0018_token_scopes::Migration),
            Box::new(m0019_email_html::Migration),
            Box::new(m0020_site_admin::Migration),
            Box::new(m0021_embed::Migration),
            Box::new(m0022_mfa::Migration),
            Box::new(m0023_sso::Migration),
            Box::new(m0024_email_verification::Migration),
            Box::new(m0025_api_documents::Migration),
            Box::new(m0026_doc_pages::Migration),
            Box::new(m0027_key_notices::Migration),
            Box::new(m0028_profile::Migration),
            Box::new(m0029_email_changes::Migration),
            Box::new(m0030_retrievable_keys::Migration),
            Box::new(m0031_request_log::Migration),
            Box::new(m0032_plans::Migration),
            Box::new(m0033_invoices::Migration),
            Box::new(m0034_stripe::Migration),
            Box::new(m0035_catalogue::Migration),
            Box::new(m0036_trials::Migration),
        ]
    }
}
