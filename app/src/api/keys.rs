//! Server functions of the key lifecycle: list, options, create, edit, disable and enable,
//! rotate, regenerate, revoke, approval and activity.

#[allow(unused_imports)]
use super::*;

/// The active team's keys, newest first.
#[server(endpoint = "keys/list")]
pub async fn list_keys() -> Result<Vec<KeyView>, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.list_keys(&caller).await?)
}

/// What the create-key form offers: scopes, defaults, limits.
#[server(endpoint = "keys/options")]
pub async fn get_key_options() -> Result<KeyOptions, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.key_options(&caller).await?)
}

/// Creates a key; the answer holds the full key, once. `scopes` are separated by spaces or
/// commas (or sent one per `scope[]`, as the form's checkboxes do); an empty `ratelimit`
/// takes the default; an empty `quota` means none; `expiry` `date` takes `expiry_date`.
///
/// From a plain form, the key goes to the keys page sealed in a cookie (see
/// [`ssr::hand_over_key`]), and a refused form comes back with what was typed.
#[server(endpoint = "keys/create")]
#[allow(clippy::too_many_arguments)]
pub async fn create_key(
    name: String,
    environment: String,
    expiry: String,
    expiry_date: Option<String>,
    description: Option<String>,
    scopes: Option<String>,
    scope: Option<Vec<String>>,
    ratelimit: Option<String>,
    quota: Option<String>,
) -> Result<CreatedKey, AppError> {
    use keyport_core::services::keys::KeyInput;
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    let scopes = joined_scopes(scopes, scope);
    let expiry = if expiry == "date" { expiry_date.clone().unwrap_or_default() } else { expiry };
    let (description, ratelimit, quota) = (description.unwrap_or_default(), ratelimit.unwrap_or_default(), quota.unwrap_or_default());
    let input = KeyInput { name: &name, description: &description, environment: &environment, scopes: &scopes, expiry: &expiry, ratelimit: &ratelimit, quota: &quota };
    let created = ssr::services()?.create_key(&caller, input, &ssr::request_meta()).await.inspect_err(|_| {
        let mut typed = vec![("name", name.as_str()), ("description", description.as_str()), ("environment", environment.as_str()),
            ("expiry", expiry.as_str()), ("ratelimit", ratelimit.as_str()), ("quota", quota.as_str())];
        typed.extend(scopes.split_whitespace().map(|s| ("scope", s)));
        if let Some(d) = &expiry_date {
            typed.push(("expiry_date", d));
        }
        ssr::remember_form("keys/create", &typed);
    })?;
    ssr::forget_form();
    Ok(handed_over(created, "new", |id| format!("/portal/keys?created={id}")))
}

/// The scopes of a form: the space- or comma-separated field, and the ticked boxes.
#[cfg(feature = "ssr")]
fn joined_scopes(scopes: Option<String>, scope: Option<Vec<String>>) -> String {
    let mut all = scopes.unwrap_or_default();
    for s in scope.unwrap_or_default() {
        all.push(' ');
        all.push_str(&s);
    }
    all
}

/// A new secret made by a plain form goes to the page `to` names, sealed; the answer then
/// holds no secret. A script's call gets the key itself.
#[cfg(feature = "ssr")]
fn handed_over(created: CreatedKey, kind: &str, to: impl Fn(&str) -> String) -> CreatedKey {
    if !ssr::hand_over_key(&created, kind) {
        return created;
    }
    ssr::redirect(&to(&created.key.id));
    CreatedKey { secret: keyport_core::key::PlainKey::new(String::new()), ..created }
}

/// The quickstart's one click: a test key named "Quickstart test key" with the default
/// scopes, the default rate limit and no expiry, shown once on the dashboard it leads back to.
#[server(endpoint = "keys/quickstart")]
pub async fn create_test_key() -> Result<CreatedKey, AppError> {
    use keyport_core::services::keys::KeyInput;
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    let svc = ssr::services()?;
    let scopes = svc.settings().default_scopes.join(" ");
    let input = KeyInput {
        name: "Quickstart test key",
        description: "Made by the dashboard's quickstart",
        environment: "test",
        scopes: &scopes,
        expiry: "never",
        ratelimit: "",
        quota: "",
    };
    let created = svc.create_key(&caller, input, &ssr::request_meta()).await?;
    Ok(handed_over(created, "new", |id| format!("/portal?created={id}")))
}

/// One key of the active team.
#[server(endpoint = "keys/get")]
pub async fn get_key(id: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.get_key(&caller, &id).await?)
}

/// Saves a key's name, description, scopes, rate limit and quota.
#[server(endpoint = "keys/update")]
#[allow(clippy::too_many_arguments)]
pub async fn update_key(
    id: String,
    name: String,
    description: String,
    scopes: Option<String>,
    scope: Option<Vec<String>>,
    ratelimit: String,
    quota: String,
) -> Result<KeyView, AppError> {
    use keyport_core::services::keys::KeyEdit;
    let caller = ssr::require_caller().await?;
    let scopes = joined_scopes(scopes, scope);
    let edit = KeyEdit { name: &name, description: &description, scopes: &scopes, ratelimit: &ratelimit, quota: &quota };
    let key = ssr::services()?.update_key(&caller, &id, edit, &ssr::request_meta()).await.inspect_err(|_| {
        let mut typed = vec![("id", id.as_str()), ("name", name.as_str()), ("description", description.as_str()), ("ratelimit", ratelimit.as_str()), ("quota", quota.as_str())];
        typed.extend(scopes.split_whitespace().map(|s| ("scope", s)));
        ssr::remember_form("keys/update", &typed);
    })?;
    ssr::forget_form();
    ssr::redirect(&format!("/portal/keys/{}?saved", key.id));
    Ok(key)
}

/// Switches a key off; verification answers `DISABLED` until it is enabled.
#[server(endpoint = "keys/disable")]
pub async fn disable_key(id: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.set_key_disabled(&caller, &id, true, &ssr::request_meta()).await?)
}

/// Switches a disabled key on again.
#[server(endpoint = "keys/enable")]
pub async fn enable_key(id: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.set_key_disabled(&caller, &id, false, &ssr::request_meta()).await?)
}

/// Rotates a key: a new key with the same settings (shown once); the old one keeps working
/// for `grace` (`now`, `1h`, `24h`, `7d`).
#[server(endpoint = "keys/rotate")]
pub async fn rotate_key(id: String, grace: String) -> Result<CreatedKey, AppError> {
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    let created = ssr::services()?.rotate_key(&caller, &id, &grace, &ssr::request_meta()).await?;
    // Back to the old key's page (its grace banner), with the new key shown once.
    Ok(handed_over(created, "rotated", |new| format!("/portal/keys/{id}?created={new}")))
}

/// A key's traffic over the last hour.
#[server(endpoint = "keys/activity")]
pub async fn get_key_activity(id: String) -> Result<KeyActivity, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.key_activity(&caller, &id).await?)
}

/// A key's request log: its newest requests (verify answers and served requests), filtered
/// by outcome (`all`, `ok`, `refused`, `4xx`, `5xx`; anything else lists all).
#[server(endpoint = "keys/requests")]
pub async fn get_request_log(id: String, filter: Option<String>) -> Result<keyport_core::dto::RequestLogView, AppError> {
    use keyport_core::dto::LogFilter;
    let caller = ssr::require_caller().await?;
    let filter = LogFilter::parse(filter.as_deref().unwrap_or("all"));
    Ok(ssr::services()?.request_log(&caller, &id, filter).await?)
}

/// The active team's keys waiting for approval (owners and admins).
#[server(endpoint = "keys/pending")]
pub async fn list_pending_keys() -> Result<Vec<KeyView>, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.pending_keys(&caller).await?)
}

/// Approves a key waiting for approval; `reason` is optional.
#[server(endpoint = "keys/approve")]
pub async fn approve_key(id: String, reason: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.decide_key(&caller, &id, true, &reason, &ssr::request_meta()).await?)
}

/// Denies a key waiting for approval; `reason` is required and sent to the requester.
#[server(endpoint = "keys/deny")]
pub async fn deny_key(id: String, reason: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    let key = ssr::services()?.decide_key(&caller, &id, false, &reason, &ssr::request_meta()).await
        .inspect_err(|_| ssr::remember_form("keys/deny", &[("id", &id), ("reason", &reason)]))?;
    ssr::forget_form();
    Ok(key)
}

/// Gives a key a new secret (shown once); the old one stops working at once.
#[server(endpoint = "keys/regenerate")]
pub async fn regenerate_key(id: String) -> Result<CreatedKey, AppError> {
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    let created = ssr::services()?.regenerate_key(&caller, &id, &ssr::request_meta()).await?;
    Ok(handed_over(created, "regenerated", |same| format!("/portal/keys/{same}?created={same}")))
}

/// Revokes a key of the active team.
#[server(endpoint = "keys/revoke")]
pub async fn revoke_key(id: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.revoke_key(&caller, &id, &ssr::request_meta()).await?)
}

/// A retrievable key in full, to show (`purpose` = `reveal`) or to copy (`copy`) on its page.
/// Needs a recent confirmation on this session, or `proof` (the password, or an
/// authenticator code for an account without one); refused with a `proof` field error until
/// then. Audited; never cached.
#[server(endpoint = "keys/secret")]
pub async fn retrieve_key(id: String, purpose: String, proof: Option<String>) -> Result<String, AppError> {
    use keyport_core::services::keys::retrieval::Retrieval;
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    let token = ssr::session_token().ok_or(AppError::Unauthenticated)?;
    let how = Retrieval::parse(&purpose)?;
    let proof = proof.unwrap_or_default();
    if proof.len() > 1024 {
        return Err(AppError::Invalid { field: "proof".into(), message: "That password is not right.".into() });
    }
    let plain = ssr::services()?.retrieve_key(&caller, &token, &id, how, &proof, &ssr::request_meta()).await?;
    Ok(plain.expose().to_owned())
}
