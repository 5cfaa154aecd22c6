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
/// commas; an empty `ratelimit` takes the default; an empty `quota` means none.
#[server(endpoint = "keys/create")]
#[allow(clippy::too_many_arguments)]
pub async fn create_key(
    name: String,
    environment: String,
    expiry: String,
    description: Option<String>,
    scopes: Option<String>,
    ratelimit: Option<String>,
    quota: Option<String>,
) -> Result<CreatedKey, AppError> {
    use keyport_core::services::keys::KeyInput;
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    let input = KeyInput {
        name: &name,
        description: description.as_deref().unwrap_or(""),
        environment: &environment,
        scopes: scopes.as_deref().unwrap_or(""),
        expiry: &expiry,
        ratelimit: ratelimit.as_deref().unwrap_or(""),
        quota: quota.as_deref().unwrap_or(""),
    };
    Ok(ssr::services()?.create_key(&caller, input, &ssr::request_meta()).await?)
}

/// One key of the active team.
#[server(endpoint = "keys/get")]
pub async fn get_key(id: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.get_key(&caller, &id).await?)
}

/// Saves a key's name, description, scopes, rate limit and quota.
#[server(endpoint = "keys/update")]
pub async fn update_key(id: String, name: String, description: String, scopes: String, ratelimit: String, quota: String) -> Result<KeyView, AppError> {
    use keyport_core::services::keys::KeyEdit;
    let caller = ssr::require_caller().await?;
    let edit = KeyEdit { name: &name, description: &description, scopes: &scopes, ratelimit: &ratelimit, quota: &quota };
    Ok(ssr::services()?.update_key(&caller, &id, edit, &ssr::request_meta()).await?)
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
    Ok(ssr::services()?.rotate_key(&caller, &id, &grace, &ssr::request_meta()).await?)
}

/// A key's traffic over the last hour and its latest verifications.
#[server(endpoint = "keys/activity")]
pub async fn get_key_activity(id: String) -> Result<KeyActivity, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.key_activity(&caller, &id).await?)
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
    Ok(ssr::services()?.decide_key(&caller, &id, false, &reason, &ssr::request_meta()).await?)
}

/// Gives a key a new secret (shown once); the old one stops working at once.
#[server(endpoint = "keys/regenerate")]
pub async fn regenerate_key(id: String) -> Result<CreatedKey, AppError> {
    let caller = ssr::require_caller().await?;
    ssr::no_store();
    Ok(ssr::services()?.regenerate_key(&caller, &id, &ssr::request_meta()).await?)
}

/// Revokes a key of the active team.
#[server(endpoint = "keys/revoke")]
pub async fn revoke_key(id: String) -> Result<KeyView, AppError> {
    let caller = ssr::require_caller().await?;
    Ok(ssr::services()?.revoke_key(&caller, &id, &ssr::request_meta()).await?)
}
