//! A team's billing contact (who invoices are addressed and sent to) and the payment method
//! its provider holds.

use crate::dto::billing::{check_billing_profile, BillingProfileView};
use crate::entity::billing_profile;
use crate::error::CoreError;
use crate::roles::Action;
use crate::services::audit::{AuditAction, RequestMeta};
use crate::services::auth::Caller;
use crate::services::Services;
use crate::validate::FieldError;
use sea_orm::{EntityTrait, IntoActiveModel};

fn some(s: &str) -> Option<String> {
    Some(s.to_owned()).filter(|s| !s.is_empty())
}

impl Services {
    /// The caller's team's billing contact and payment method (owners and admins).
    pub async fn billing_profile(&self, caller: &Caller) -> Result<BillingProfileView, CoreError> {
        caller.require(Action::ManageBilling)?;
        let p = billing_profile::Entity::find_by_id(&caller.team.id).one(&self.db).await?;
        let provider = self.settings().billing.provider.clone();
        Ok(match p {
            Some(p) => BillingProfileView {
                email: p.email.unwrap_or_default(),
                company: p.company.unwrap_or_default(),
                address: p.address.unwrap_or_default(),
                tax_id: p.tax_id.unwrap_or_default(),
                card: match (p.card_brand, p.card_last4, p.card_exp_month, p.card_exp_year) {
                    (Some(b), Some(l), Some(m), Some(y)) => Some(format!("{b} •••• {l}, expires {m:02}/{y}")),
                    _ => None,
                },
                provider,
            },
            None => BillingProfileView { provider, ..BillingProfileView::default() },
        })
    }

    /// Saves the caller's team's billing contact; later invoices are addressed to it.
    pub async fn save_billing_profile(&self, caller: &Caller, input: &BillingProfileView, meta: &RequestMeta) -> Result<BillingProfileView, CoreError> {
        caller.require(Action::ManageBilling)?;
        let p = check_billing_profile(input).map_err(|(f, m)| CoreError::from(FieldError::new(f, m)))?;
        let txn = self.begin_write().await?;
        let old = billing_profile::Entity::find_by_id(&caller.team.id).one(&txn).await?;
        let row = billing_profile::Model {
            team_id: caller.team.id.clone(),
            email: some(&p.email),
            company: some(&p.company),
            address: some(&p.address),
            tax_id: some(&p.tax_id),
            updated_at: self.now(),
            ..old.unwrap_or_else(|| billing_profile::Model::empty(&caller.team.id, self.now()))
        };
        billing_profile::Entity::insert(row.into_active_model())
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(billing_profile::Column::TeamId)
                    .update_columns([
                        billing_profile::Column::Email,
                        billing_profile::Column::Company,
                        billing_profile::Column::Address,
                        billing_profile::Column::TaxId,
                        billing_profile::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(&txn)
            .await?;
        let detail = if p.email.is_empty() { "invoices go to the team's owners".to_owned() } else { format!("invoices go to {}", p.email) };
        self.audit(&txn, meta, caller.entry(AuditAction::BillingContactChanged, ("team", &caller.team.id)).with_detail(detail)).await?;
        txn.commit().await?;
        self.billing_profile(caller).await
    }
}
