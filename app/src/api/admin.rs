//! Server functions of the provider's admin console. Each starts with
//! [`ssr::require_admin`]: anyone but an operator admin gets 404, signed in or not.

#[allow(unused_imports)]
use super::*;
use keyport_core::dto::admin::{AdminKey, CreatedToken, DeveloperDetail, DeveloperRow, SettingRow, TeamDetail, TeamRow, TokenRow};

/// The signed-in operator admin's email (the console's frame shows only for them).
#[server(endpoint = "admin/me")]
pub async fn admin_me() -> Result<String, AppError> {
    Ok(ssr::require_admin().await?.email)
}

/// Developers, newest first: `q` part of the email, `status` (`active`, `suspended`, `admin`)
/// and `since` (signed up on or after, `YYYY-MM-DD`); empty fields do not filter.
#[server(endpoint = "admin/developers")]
pub async fn admin_developers(q: String, status: String, since: String) -> Result<Vec<DeveloperRow>, AppError> {
    use keyport_core::services::admin::DeveloperFilter;
    let admin = ssr::require_admin().await?;
    Ok(ssr::services()?.admin_developers(&admin, &DeveloperFilter { query: q, status, since }).await?)
}

/// One developer.
#[server(endpoint = "admin/developer")]
pub async fn admin_developer(id: String) -> Result<DeveloperDetail, AppError> {
    let admin = ssr::require_admin().await?;
    Ok(ssr::services()?.admin_developer(&admin, &id).await?)
}

/// Suspends a developer (their sessions end; sign-in is refused with the reason).
#[server(endpoint = "admin/developer/suspend")]
pub async fn admin_suspend_developer(id: String, reason: String) -> Result<(), AppError> {
    let admin = ssr::require_admin().await?;
    ssr::services()?.suspend_developer(&admin, &id, &reason, &ssr::request_meta()).await
        .inspect_err(|_| ssr::remember_form("admin/developer/suspend", &[("reason", &reason)]))?;
    ssr::redirect(&format!("/admin/developers/{id}?done=suspended"));
    Ok(())
}

/// Lets a suspended developer sign in again.
#[server(endpoint = "admin/developer/reactivate")]
pub async fn admin_reactivate_developer(id: String) -> Result<(), AppError> {
    let admin = ssr::require_admin().await?;
    ssr::services()?.reactivate_developer(&admin, &id, &ssr::request_meta()).await?;
    ssr::redirect(&format!("/admin/developers/{id}?done=reactivated"));
    Ok(())
}

/// Grants (`grant` = `true`) or takes away the operator admin role of the account `email`.
#[server(endpoint = "admin/site-admin")]
pub async fn admin_set_site_admin(email: String, grant: bool, back: Option<String>) -> Result<bool, AppError> {
    let admin = ssr::require_admin().await?;
    let changed = ssr::services()?.admin_set_site_admin(&admin, &email, grant, &ssr::request_meta()).await
        .inspect_err(|_| ssr::remember_form("admin/site-admin", &[("email", &email)]))?;
    // Back to a console page (a developer's), never elsewhere.
    let back = back.filter(|b| b.starts_with("/admin/") && !b.starts_with("//")).unwrap_or_else(|| "/admin/developers".into());
    ssr::redirect(&format!("{back}?done={}", if grant { "granted" } else { "revoked" }));
    Ok(changed)
}

/// Teams, newest first: `q` part of the name, `status` (`active`, `suspended`).
#[server(endpoint = "admin/teams")]
pub async fn admin_teams(q: String, status: String) -> Result<Vec<TeamRow>, AppError> {
    let admin = ssr::require_admin().await?;
    Ok(ssr::services()?.admin_teams(&admin, &q, &status).await?)
}

/// One team.
#[server(endpoint = "admin/team")]
pub async fn admin_team(id: String) -> Result<TeamDetail, AppError> {
    let admin = ssr::require_admin().await?;
    Ok(ssr::services()?.admin_team(&admin, &id).await?)
}

/// Suspends a team: its keys verify as `TEAM_SUSPENDED` until it is reactivated.
#[server(endpoint = "admin/team/suspend")]
pub async fn admin_suspend_team(id: String, reason: String) -> Result<(), AppError> {
    let admin = ssr::require_admin().await?;
    ssr::services()?.set_team_suspended(&admin, &id, Some(&reason), &ssr::request_meta()).await
        .inspect_err(|_| ssr::remember_form("admin/team/suspend", &[("reason", &reason)]))?;
    ssr::redirect(&format!("/admin/teams/{id}?done=suspended"));
    Ok(())
}

/// Moves a team to another plan at once, without a charge (the operator's move, as
/// `keyport plans assign` does); the team's owners are emailed.
#[server(endpoint = "admin/team/plan")]
pub async fn admin_assign_plan(id: String, plan: String) -> Result<(), AppError> {
    let admin = ssr::require_admin().await?;
    ssr::services()?.assign_plan(&id, &plan, &admin.email, &ssr::request_meta()).await?;
    ssr::redirect(&format!("/admin/teams/{id}?done=plan-assigned"));
    Ok(())
}

/// Reactivates a suspended team.
#[server(endpoint = "admin/team/reactivate")]
pub async fn admin_reactivate_team(id: String) -> Result<(), AppError> {
    let admin = ssr::require_admin().await?;
    ssr::services()?.set_team_suspended(&admin, &id, None, &ssr::request_meta()).await?;
    ssr::redirect(&format!("/admin/teams/{id}?done=reactivated"));
    Ok(())
}

/// Keys of every team by status (`live`, `pending`, `disabled`, `revoked`, or all).
#[server(endpoint = "admin/keys")]
pub async fn admin_keys(status: String) -> Result<Vec<AdminKey>, AppError> {
    let admin = ssr::require_admin().await?;
    Ok(ssr::services()?.admin_keys(&admin, &status).await?)
}

/// Creates a key for a team on its behalf; shown once to the admin on the team's page.
#[server(endpoint = "admin/keys/create")]
#[allow(clippy::too_many_arguments)]
pub async fn admin_create_key(
    team_id: String,
    name: String,
    environment: String,
    expiry: String,
    expiry_date: Option<String>,
    scope: Option<Vec<String>>,
    ratelimit: Option<String>,
    quota: Option<String>,
) -> Result<CreatedKey, AppError> {
    use keyport_core::services::keys::KeyInput;
    let admin = ssr::require_admin().await?;
    ssr::no_store();
    let scopes = scope.unwrap_or_default().join(" ");
    let expiry = if expiry == "date" { expiry_date.unwrap_or_default() } else { expiry };
    let (ratelimit, quota) = (ratelimit.unwrap_or_default(), quota.unwrap_or_default());
    let input = KeyInput { name: &name, description: "", environment: &environment, scopes: &scopes, expiry: &expiry, ratelimit: &ratelimit, quota: &quota };
    let created = ssr::services()?.admin_create_key(&admin, &team_id, input, &ssr::request_meta()).await.inspect_err(|_| {
        ssr::remember_form("admin/keys/create", &[("name", &name), ("environment", &environment), ("expiry", &expiry), ("ratelimit", &ratelimit), ("quota", &quota)]);
    })?;
    ssr::forget_form();
    if !ssr::hand_over_key(&created, "new") {
        return Ok(created);
    }
    ssr::redirect(&format!("/admin/teams/{team_id}?created={}", created.key.id));
    Ok(CreatedKey { secret: keyport_core::key::PlainKey::new(String::new()), ..created })
}

/// Disables, enables or revokes (`act`) a key of any team on its behalf; `back` is the
/// console page to return to.
#[server(endpoint = "admin/keys/act")]
pub async fn admin_key_act(key_id: String, act: String, back: Option<String>) -> Result<KeyView, AppError> {
    use keyport_core::services::admin::KeyAct;
    let admin = ssr::require_admin().await?;
    let Some(what) = KeyAct::parse(&act) else {
        return Err(keyport_core::CoreError::Invalid(keyport_core::validate::FieldError::new("act", "Choose disable, enable or revoke.")).into());
    };
    let key = ssr::services()?.admin_key_act(&admin, &key_id, what, &ssr::request_meta()).await?;
    let back = back.filter(|b| b.starts_with("/admin") && !b.starts_with("//")).unwrap_or_else(|| "/admin/keys".into());
    ssr::redirect(&back);
    Ok(key)
}

/// Approves (`decision` = `approve`) or denies (`deny`, with a reason) a waiting key.
#[server(endpoint = "admin/keys/decide")]
pub async fn admin_decide_key(key_id: String, decision: String, reason: String) -> Result<KeyView, AppError> {
    let admin = ssr::require_admin().await?;
    let approve = match decision.as_str() {
        "approve" => true,
        "deny" => false,
        _ => return Err(keyport_core::CoreError::Invalid(keyport_core::validate::FieldError::new("decision", "Approve or deny.")).into()),
    };
    let key = ssr::services()?.admin_decide_key(&admin, &key_id, approve, &reason, &ssr::request_meta()).await
        .inspect_err(|_| ssr::remember_form(&format!("admin/keys/decide/{key_id}"), &[("reason", &reason)]))?;
    ssr::redirect("/admin/approvals?done=decided");
    Ok(key)
}

/// Every email Keyport sent or will send, newest first.
#[server(endpoint = "admin/outbox")]
pub async fn admin_outbox() -> Result<Vec<OutboxEmailView>, AppError> {
    let admin = ssr::require_admin().await?;
    Ok(ssr::services()?.admin_outbox(&admin).await?)
}

/// The whole audit trail, narrowed like a team's and, with `team`, to one team.
#[server(endpoint = "admin/audit")]
pub async fn admin_audit(action: String, actor: String, from: String, to: String, team: String) -> Result<Vec<AuditEventView>, AppError> {
    use keyport_core::services::audit::AuditFilter;
    let admin = ssr::require_admin().await?;
    Ok(ssr::services()?.admin_audit(&admin, &AuditFilter { action, actor, from, to }, &team).await?)
}

/// Every setting with its value in effect.
#[server(endpoint = "admin/settings")]
pub async fn admin_settings() -> Result<Vec<SettingRow>, AppError> {
    ssr::require_admin().await?;
    let rows = ssr::services()?.list_settings().await?;
    Ok(rows.into_iter().map(|s| SettingRow { key: s.key.into(), value: s.value, source: s.source.into(), about: s.about.into() }).collect())
}

/// Checks and stores a setting (the CLI's validation); a refused value changes nothing.
#[server(endpoint = "admin/settings/set")]
pub async fn admin_set_setting(key: String, value: String, encrypted: Option<String>) -> Result<String, AppError> {
    let admin = ssr::require_admin().await?;
    let encrypted = encrypted.is_some_and(|v| !v.is_empty());
    let stored = ssr::services()?.set_setting(&key, &value, encrypted, &admin.email, &ssr::request_meta()).await
        .inspect_err(|_| ssr::remember_form(&format!("admin/settings/set/{key}"), &[("value", &value)]))?;
    ssr::forget_form();
    ssr::redirect(&format!("/admin/settings?saved={key}"));
    Ok(stored)
}

/// Removes a stored setting: the default applies again.
#[server(endpoint = "admin/settings/unset")]
pub async fn admin_unset_setting(key: String) -> Result<bool, AppError> {
    let admin = ssr::require_admin().await?;
    let was = ssr::services()?.unset_setting(&key, &admin.email, &ssr::request_meta()).await?;
    ssr::redirect(&format!("/admin/settings?saved={key}"));
    Ok(was)
}

/// Operator tokens (never the tokens themselves).
#[server(endpoint = "admin/tokens")]
pub async fn admin_tokens() -> Result<Vec<TokenRow>, AppError> {
    ssr::require_admin().await?;
    let rows = ssr::services()?.list_operator_tokens().await?;
    Ok(rows
        .into_iter()
        .map(|t| TokenRow { id: t.id, name: t.name, scopes: t.scopes, created_at: t.created_at, last_used_at: t.last_used_at, expires_at: t.expires_at, revoked_at: t.revoked_at })
        .collect())
}

/// Creates an operator token (`expires`: `never` or a number of days), shown once.
#[server(endpoint = "admin/tokens/create")]
pub async fn admin_create_token(name: String, scope: Option<Vec<String>>, expires: String) -> Result<CreatedToken, AppError> {
    ssr::require_admin().await?;
    ssr::no_store();
    let lifetime = match expires.as_str() {
        "never" => None,
        days => match days.parse::<i64>() {
            Ok(d) if (1..=3650).contains(&d) => Some(chrono::Duration::days(d)),
            _ => return Err(keyport_core::CoreError::Invalid(keyport_core::validate::FieldError::new("expires", "Choose when the token expires.")).into()),
        },
    };
    let scopes = scope.unwrap_or_default().join(",");
    let t = ssr::services()?.create_operator_token_with(&name, &scopes, lifetime).await
        .inspect_err(|_| ssr::remember_form("admin/tokens/create", &[("name", &name)]))?;
    ssr::forget_form();
    if ssr::hand_over_token(&t.id, &t.token) {
        ssr::redirect(&format!("/admin/tokens?created={}", t.id));
        return Ok(CreatedToken { id: t.id, token: String::new() });
    }
    Ok(CreatedToken { id: t.id, token: t.token })
}

/// Revokes an operator token: refused on every node within a second.
#[server(endpoint = "admin/tokens/revoke")]
pub async fn admin_revoke_token(id: String) -> Result<(), AppError> {
    ssr::require_admin().await?;
    ssr::services()?.revoke_operator_token(&id).await?;
    ssr::redirect("/admin/tokens?done=revoked");
    Ok(())
}

/// The API document's versions and the guides, for the console's docs page.
#[server(endpoint = "admin/docs")]
pub async fn admin_docs() -> Result<keyport_core::dto::admin::AdminDocs, AppError> {
    ssr::require_admin().await?;
    let svc = ssr::services()?;
    let versions = svc.document_versions().await?;
    let guides = svc.doc_pages().await?.into_iter().map(Into::into).collect();
    Ok(keyport_core::dto::admin::AdminDocs { versions, guides })
}

/// Imports the text of an OpenAPI document as the next version, like `keyport docs import`:
/// a refusal names where and why, and nothing changes. JSON in (a document is long text).
#[server(endpoint = "admin/docs/import", input = server_fn::codec::Json)]
pub async fn admin_import_document(document: String) -> Result<keyport_core::dto::admin::DocVersionRow, AppError> {
    let admin = ssr::require_admin().await?;
    Ok(ssr::services()?.import_document(document.as_bytes(), &admin.email, &ssr::request_meta()).await?)
}

/// Puts an earlier version of the document back in effect.
#[server(endpoint = "admin/docs/rollback")]
pub async fn admin_rollback_document(to: i64) -> Result<(), AppError> {
    let admin = ssr::require_admin().await?;
    ssr::services()?.rollback_document(Some(to), &admin.email, &ssr::request_meta()).await?;
    ssr::redirect("/admin/docs?done=rolled-back");
    Ok(())
}

/// Removes one of the guides.
#[server(endpoint = "admin/docs/guides/remove")]
pub async fn admin_remove_guide(slug: String) -> Result<(), AppError> {
    let admin = ssr::require_admin().await?;
    ssr::services()?.remove_doc_page(&slug, &admin.email, &ssr::request_meta()).await?;
    ssr::redirect("/admin/docs?done=guide-removed");
    Ok(())
}

/// The console's billing page: plans, products, requests waiting and recent invoices.
#[server(endpoint = "admin/billing")]
pub async fn admin_billing() -> Result<keyport_core::dto::billing::AdminBillingView, AppError> {
    ssr::require_admin().await?;
    let svc = ssr::services()?;
    Ok(keyport_core::dto::billing::AdminBillingView {
        plans: svc.list_plans().await?,
        products: svc.list_products().await?,
        requests: svc.product_requests(true).await?,
        invoices: svc.list_invoices(None, None).await?,
        scopes: svc.settings().scopes.clone(),
    })
}

/// Whether a console form creates (`create`) or changes (`update`) its plan or product.
#[cfg(feature = "ssr")]
fn creating(mode: &str) -> Result<bool, AppError> {
    match mode {
        "create" => Ok(true),
        "update" => Ok(false),
        _ => Err(keyport_core::CoreError::Invalid(keyport_core::validate::FieldError::new("mode", "Create or update.")).into()),
    }
}

/// Ticked boxes and a free list, as one space-separated list.
#[cfg(feature = "ssr")]
fn ticked(boxes: Option<Vec<String>>, more: Option<String>) -> String {
    let mut all = boxes.unwrap_or_default();
    all.extend(more.into_iter());
    all.join(" ")
}

/// Creates a plan (`mode` = `create`) or changes one (`update`): the same fields and checks
/// as `keyport plans create|update`. A refused form comes back with what was typed.
#[server(endpoint = "admin/plans/save")]
#[allow(clippy::too_many_arguments)]
pub async fn admin_save_plan(
    mode: String,
    id: String,
    name: String,
    description: String,
    price: String,
    currency: String,
    included: String,
    overage: String,
    ratelimit_cap: String,
    max_keys: String,
    feature: Option<Vec<String>>,
    other_features: Option<String>,
    trial_days: String,
    visibility: String,
) -> Result<(), AppError> {
    use keyport_core::services::plans::PlanChanges;
    let admin = ssr::require_admin().await?;
    let create = creating(&mode)?;
    let typed_features = feature.clone().unwrap_or_default();
    let changes = PlanChanges {
        name: Some(name.clone()),
        description: Some(description.clone()),
        price: Some(price.clone()),
        currency: Some(currency.clone()),
        included: Some(included.clone()),
        overage: Some(overage.clone()),
        ratelimit_cap: Some(ratelimit_cap.clone()),
        max_keys: Some(max_keys.clone()),
        features: Some(ticked(feature, other_features.clone())),
        trial_days: Some(trial_days.clone()),
        visibility: Some(visibility.clone()),
        position: None,
    };
    let svc = ssr::services()?;
    let meta = ssr::request_meta();
    let saved = if create { svc.create_plan(&id, &changes, &admin.email, &meta).await } else { svc.update_plan(&id, &changes, &admin.email, &meta).await };
    if saved.is_err() {
        let mut typed: Vec<(&str, &str)> = vec![
            ("id", &id), ("name", &name), ("description", &description), ("price", &price), ("currency", &currency), ("included", &included),
            ("overage", &overage), ("ratelimit_cap", &ratelimit_cap), ("max_keys", &max_keys), ("trial_days", &trial_days), ("visibility", &visibility),
        ];
        let other = other_features.unwrap_or_default();
        typed.push(("other_features", &other));
        typed.extend(typed_features.iter().map(|f| ("feature", f.as_str())));
        ssr::remember_form(&format!("admin/plans/save/{}", if create { "new" } else { id.as_str() }), &typed);
    }
    let saved = saved?;
    ssr::redirect(&format!("/admin/billing?done=plan-saved#plan-{}", saved.id));
    Ok(())
}

/// Archives a plan (teams on it stay; nobody can switch to it).
#[server(endpoint = "admin/plans/archive")]
pub async fn admin_archive_plan(id: String) -> Result<(), AppError> {
    let admin = ssr::require_admin().await?;
    ssr::services()?.archive_plan(&id, &admin.email, &ssr::request_meta()).await?;
    ssr::redirect("/admin/billing?done=plan-archived#plans");
    Ok(())
}

/// Makes a plan the one new teams get.
#[server(endpoint = "admin/plans/default")]
pub async fn admin_default_plan(id: String) -> Result<(), AppError> {
    let admin = ssr::require_admin().await?;
    ssr::services()?.set_default_plan(&id, &admin.email, &ssr::request_meta()).await?;
    ssr::redirect("/admin/billing?done=plan-default#plans");
    Ok(())
}

/// Creates a product (`mode` = `create`) or changes one (`update`), as `keyport products
/// create|update` does.
#[server(endpoint = "admin/products/save")]
#[allow(clippy::too_many_arguments)]
pub async fn admin_save_product(
    mode: String,
    id: String,
    name: String,
    description: String,
    docs_path: String,
    scope: Option<Vec<String>>,
    plan: Option<Vec<String>>,
    visibility: String,
) -> Result<(), AppError> {
    use keyport_core::services::catalogue::ProductChanges;
    let admin = ssr::require_admin().await?;
    let create = creating(&mode)?;
    let (scopes, plans) = (scope.unwrap_or_default(), plan.unwrap_or_default());
    let changes = ProductChanges {
        name: Some(name.clone()),
        description: Some(description.clone()),
        docs_path: Some(docs_path.clone()),
        scopes: Some(scopes.join(" ")),
        plans: Some(plans.join(" ")),
        visibility: Some(visibility.clone()),
    };
    let svc = ssr::services()?;
    let meta = ssr::request_meta();
    let saved = if create { svc.create_product(&id, &changes, &admin.email, &meta).await } else { svc.update_product(&id, &changes, &admin.email, &meta).await };
    if saved.is_err() {
        let mut typed: Vec<(&str, &str)> = vec![("id", &id), ("name", &name), ("description", &description), ("docs_path", &docs_path), ("visibility", &visibility)];
        typed.extend(scopes.iter().map(|s| ("scope", s.as_str())));
        typed.extend(plans.iter().map(|p| ("plan", p.as_str())));
        ssr::remember_form(&format!("admin/products/save/{}", if create { "new" } else { id.as_str() }), &typed);
    }
    let saved = saved?;
    ssr::redirect(&format!("/admin/billing?done=product-saved#product-{}", saved.id));
    Ok(())
}

/// Archives a product: it leaves the catalogue and grants nothing more.
#[server(endpoint = "admin/products/archive")]
pub async fn admin_archive_product(id: String) -> Result<(), AppError> {
    let admin = ssr::require_admin().await?;
    ssr::services()?.archive_product(&id, &admin.email, &ssr::request_meta()).await?;
    ssr::redirect("/admin/billing?done=product-archived#products");
    Ok(())
}

/// Approves (`decision` = `approve`, with an optional note) or denies (`deny`, with the
/// reason the team reads) a team's request for a product.
#[server(endpoint = "admin/products/decide")]
pub async fn admin_decide_product(request_id: String, decision: String, reason: String) -> Result<(), AppError> {
    let admin = ssr::require_admin().await?;
    let approve = match decision.as_str() {
        "approve" => true,
        "deny" => false,
        _ => return Err(keyport_core::CoreError::Invalid(keyport_core::validate::FieldError::new("decision", "Approve or deny.")).into()),
    };
    ssr::services()?.decide_product_request(&request_id, approve, Some(&reason), &admin.email, &ssr::request_meta()).await
        .inspect_err(|_| ssr::remember_form(&format!("admin/products/decide/{request_id}"), &[("reason", &reason)]))?;
    ssr::redirect("/admin/billing?done=decided");
    Ok(())
}

/// Marks a due invoice paid (the manual provider: the transfer arrived).
#[server(endpoint = "admin/invoices/pay")]
pub async fn admin_pay_invoice(number: i64, note: String) -> Result<(), AppError> {
    let admin = ssr::require_admin().await?;
    if number <= 0 {
        return Err(keyport_core::CoreError::Invalid(keyport_core::validate::FieldError::new("number", "An invoice number is 1 or more.")).into());
    }
    ssr::services()?.mark_invoice_paid(number, Some(&note), &admin.email, &ssr::request_meta()).await?;
    ssr::redirect("/admin/billing?done=paid#invoices");
    Ok(())
}

/// Voids a due invoice with the reason; with `reissue` ticked, issues its correction at once
/// (less an optional credit in the invoice's currency), as `keyport invoices void` does.
#[server(endpoint = "admin/invoices/void")]
pub async fn admin_void_invoice(number: i64, reason: String, reissue: Option<String>, credit: Option<String>, credit_description: Option<String>) -> Result<(), AppError> {
    use keyport_core::services::invoices::Reissue;
    let admin = ssr::require_admin().await?;
    let again = reissue.is_some().then(|| Reissue { credit: credit.clone(), credit_description: credit_description.clone() });
    let form = format!("admin/invoices/void/{number}");
    let voided = ssr::services()?.void_invoice(number, &reason, again, &admin.email, &ssr::request_meta()).await.inspect_err(|_| {
        let (c, d) = (credit.clone().unwrap_or_default(), credit_description.clone().unwrap_or_default());
        let r = if reissue.is_some() { "on" } else { "" };
        ssr::remember_form(&form, &[("reason", &reason), ("reissue", r), ("credit", &c), ("credit_description", &d)]);
    })?;
    let done = if voided.1.is_some() { "reissued" } else { "voided" };
    ssr::redirect(&format!("/admin/billing?done={done}#invoices"));
    Ok(())
}
