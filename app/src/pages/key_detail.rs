//! `/portal/keys/{id}`: one key — its settings, status and history — and everything that can
//! be done to it: edit, disable or enable, rotate, regenerate, revoke.
//!
//! Drawn on the server like the keys list: each action is a plain form (confirmed in a
//! native dialog where it cannot be undone), the activity and the charts stay live by
//! refreshing their part of the page.

use crate::api::{get_key, get_key_activity, get_key_options, get_request_log, get_session, get_usage_report, DisableKey, EnableKey, RegenerateKey, RevokeKey, RotateKey, UpdateKey};
use crate::components::forms::{error_message, field_error, form_error, last_error, FormAlert, Typed, ValueField};
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::components::key_parts::{KeySecret, ScopePicker, ShowOnce};
use crate::components::local_time::LocalTime;
use crate::components::usage_view::{UsageView, REFRESH_MS};
use crate::error::AppError;
use crate::format::date;
use crate::islands::{LiveRegion, OpenDialog, SubmitOnChange};
use crate::pages::keys::{handed_over_key, status_class, NumberField, RevokeDialog};
use keyport_core::dto::{thousands, KeyActivity, KeyOptions, KeyStatus, KeyView, LogFilter, RequestLogView};
use keyport_core::usage_report::UsageRange;
use keyport_core::validate::GRACE_CHOICES;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The scopes the settings form starts from: what waits for approval, if anything does, so
/// saving the form again (to rename the key, say) keeps the request instead of withdrawing it.
fn requested_scopes(key: &KeyView) -> Vec<String> {
    if key.pending_scopes.is_empty() { key.scopes.clone() } else { key.pending_scopes.clone() }
}

/// What the key's page shows besides its live parts.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct KeyData {
    key: KeyView,
    options: KeyOptions,
    manageable: bool,
    /// The account confirms with its password (else with an authenticator code).
    has_password: bool,
    /// The key a plain form just made, with its secret (shown once).
    created: Option<(KeyView, String, String)>,
}

async fn key_data(id: String, handed: Option<(String, String, String)>) -> Result<KeyData, AppError> {
    let session = get_session().await?.ok_or(AppError::Unauthenticated)?;
    let key = get_key(id).await?;
    let options = get_key_options().await?;
    let manageable = key.manageable_by(session.role, &session.user.id);
    let created = match handed {
        Some((new_id, kind, secret)) if new_id == key.id => Some((key.clone(), kind, secret)),
        Some((new_id, kind, secret)) => Some((get_key(new_id).await?, kind, secret)),
        None => None,
    };
    Ok(KeyData { key, options, manageable, has_password: session.has_password, created })
}

/// The key detail page.
#[component]
pub fn KeyDetailPage() -> impl IntoView {
    let id = use_params_map().read_untracked().get("id").unwrap_or_default();
    let (range, saved, log_filter) = use_query_map().with_untracked(|q| {
        (q.get("range").and_then(|r| UsageRange::parse(&r)).unwrap_or(UsageRange::Day), q.get("saved").is_some(), LogFilter::parse(&q.get("log").unwrap_or_default()))
    });
    // Read (and cleared) before anything streams, so the cookie's removal is in the headers.
    let handed = handed_over_key();
    let data = Resource::new({
        let id = id.clone();
        move || (id.clone(), handed.clone())
    }, |(id, handed)| key_data(id, handed));
    let activity = Resource::new({
        let id = id.clone();
        move || id.clone()
    }, get_key_activity);
    let log = Resource::new({
        let id = id.clone();
        move || id.clone()
    }, move |id| get_request_log(id, Some(log_filter.as_str().to_owned())));
    let usage = Resource::new({
        let id = id.clone();
        move || id.clone()
    }, move |id| get_usage_report(range.as_str().into(), range.default_granularity().as_str().into(), id, String::new()));
    let path = format!("/portal/keys/{id}");
    view! {
        <p class="breadcrumb"><a href="/portal/keys">"← API keys"</a></p>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading the key…"</p> }>
            {move || data.get().map(|r| match r {
                Ok(d) => view! {
                    <Title text=d.key.name.clone()/>
                    <KeyDetail data=d saved/>
                }.into_any(),
                Err(AppError::NotFound) => view! {
                    <Title text="Key not found"/>
                    <section class="card empty-state">
                        <h1>"Key not found"</h1>
                        <p class="muted">"This key does not exist, or it belongs to another team. Check the active team in the top bar."</p>
                    </section>
                }.into_any(),
                Err(e) => view! { <Title text="API key"/><p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
        <section class="card section" aria-labelledby="activity-title">
            <h2 id="activity-title">"Activity"</h2>
            <LiveRegion id="key-activity".to_owned() every_ms=REFRESH_MS>
                <Suspense fallback=|| view! { <p class="muted" role="status">"Loading activity…"</p> }>
                    {move || activity.get().map(|r| match r {
                        Ok(a) => view! { <ActivityView a/> }.into_any(),
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    })}
                </Suspense>
            </LiveRegion>
        </section>
        <section class="card section" aria-labelledby="log-title">
            <div class="section-head">
                <h2 id="log-title">"Request log"</h2>
                <form class="field inline-field" method="get" action=path.clone() aria-label="Request log filter">
                    <input type="hidden" name="range" value=range.as_str()/>
                    <label for="log-filter">"Show"</label>
                    <SubmitOnChange>
                        <select id="log-filter" name="log">
                            {LogFilter::ALL.into_iter().map(|f| view! { <option value=f.as_str() selected=f == log_filter>{f.label()}</option> }).collect_view()}
                        </select>
                    </SubmitOnChange>
                    <noscript><button type="submit" class="btn btn-ghost btn-sm">"Show"</button></noscript>
                </form>
            </div>
            <LiveRegion id="key-log".to_owned() every_ms=REFRESH_MS>
                <Suspense fallback=|| view! { <p class="muted" role="status">"Loading the request log…"</p> }>
                    {move || log.get().map(|r| match r {
                        Ok(l) => view! { <RequestLog log=l/> }.into_any(),
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    })}
                </Suspense>
            </LiveRegion>
        </section>
        <section class="section key-usage" aria-labelledby="key-usage-title">
            <div class="section-head">
                <h2 id="key-usage-title">"Usage"</h2>
                <form class="field inline-field" method="get" action=path aria-label="Usage range">
                    <input type="hidden" name="log" value=log_filter.as_str()/>
                    <label for="key-usage-range">"Range"</label>
                    <SubmitOnChange>
                        <select id="key-usage-range" name="range">
                            {UsageRange::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=r == range>{r.label()}</option> }).collect_view()}
                        </select>
                    </SubmitOnChange>
                    <noscript><button type="submit" class="btn btn-ghost btn-sm">"Show"</button></noscript>
                </form>
            </div>
            <LiveRegion id="key-usage".to_owned() every_ms=REFRESH_MS>
                <Suspense fallback=|| view! { <p class="muted" role="status">"Loading usage…"</p> }>
                    {move || usage.get().map(|r| match r {
                        Ok(r) => view! { <UsageView report=r/> }.into_any(),
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    })}
                </Suspense>
            </LiveRegion>
        </section>
    }
}

/// The hidden field that names the key a form acts on.
fn hidden_id(id: &str) -> impl IntoView {
    view! { <input type="hidden" name="id" value=id.to_owned()/> }
}

/// What the status means, in a sentence.
fn status_sentence(k: &KeyView) -> String {
    match k.status {
        KeyStatus::Active => "Active: requests with this key are accepted.".into(),
        KeyStatus::ExpiringSoon => format!("Expires on {}: create a replacement soon.", k.expires_at.map(date).unwrap_or_default()),
        KeyStatus::InGrace => format!("Replaced; keeps working until {} UTC.", k.grace_until.map(crate::format::date_time).unwrap_or_default()),
        KeyStatus::Expired => "Expired: requests are refused.".into(),
        KeyStatus::Disabled => "Disabled: requests are refused until the key is enabled again.".into(),
        KeyStatus::Revoked => "Revoked: requests are refused, for good.".into(),
        KeyStatus::PendingApproval => "Waiting for approval; until then requests are answered PENDING_APPROVAL.".into(),
        KeyStatus::Denied => match &k.approval_note {
            Some(n) => format!("Denied by an owner or admin: {n}"),
            None => "Denied by an owner or admin.".into(),
        },
    }
}

#[component]
fn KeyDetail(data: KeyData, saved: bool) -> impl IntoView {
    let KeyData { key: k, options, manageable, has_password, created } = data;
    let disable = ServerAction::<DisableKey>::new();
    let enable = ServerAction::<EnableKey>::new();
    let regenerate = ServerAction::<RegenerateKey>::new();
    let revoke = ServerAction::<RevokeKey>::new();
    let rotate = ServerAction::<RotateKey>::new();
    let shown = created.map(|(key, kind, secret)| {
        let title = if kind == "rotated" { "Your new key (rotated)" } else if kind == "regenerated" { "Your regenerated key" } else { "Your new API key" };
        view! { <ShowOnce key secret api_base_url=options.api_base_url.clone() title/> }
    });
    let active = manageable && !matches!(k.status, KeyStatus::Revoked | KeyStatus::Denied);
    // Copied into each form (their contents are built separately).
    let kid = StoredValue::new(k.id.clone());
    view! {
        <header class="page-header">
            <h1>{k.name.clone()}</h1>
            <p class="key-line">
                <code class="key-masked">{k.masked.clone()}</code>
                <span class=format!("badge badge-{}", k.environment)>{k.environment.to_string()}</span>
                <span class=status_class(k.status)>{k.status.label()}</span>
            </p>
            {k.description.clone().map(|d| view! { <p class="muted">{d}</p> })}
        </header>
        <FormAlert message=Signal::derive(move || {
            [error_message(disable), error_message(enable), error_message(regenerate), error_message(revoke), error_message(rotate)]
                .into_iter().find_map(|e| e.get())
        })/>
        {(k.status == KeyStatus::InGrace).then(|| {
            let new_id = k.replaced_by.clone().unwrap_or_default();
            view! {
                <section class="alert alert-warn grace-banner" aria-labelledby="grace-title">
                    <h2 id="grace-title" class="h3">"This key was rotated"</h2>
                    // Live: the old key's last use shows up while the switch-over happens.
                    <LiveRegion id="grace-live".to_owned() every_ms=REFRESH_MS>
                        <p>
                            "It was replaced by " <a href=format!("/portal/keys/{new_id}")>"its new key"</a>
                            " and keeps working until " {k.grace_until.map(|t| view! { <LocalTime at=t/> })} ". "
                            "Last used: " {match k.last_used_at { Some(t) => view! { <LocalTime at=t/> }.into_any(), None => "never".into_any() }} "."
                        </p>
                    </LiveRegion>
                    <p class="small">"Once your applications use the new key, this one sees no traffic: revoke it then."</p>
                    {manageable.then(|| view! {
                        <OpenDialog dialog="revoke-key".to_owned() label="Revoke old key now".to_owned() class="btn btn-danger".to_owned()/>
                    })}
                </section>
            }
        })}
        <section class="card section" aria-labelledby="details-title">
            <h2 id="details-title">"Details"</h2>
            <p role="status">{status_sentence(&k)}</p>
            <dl class="details">
                <dt>"Scopes"</dt>
                <dd>{if k.scopes.is_empty() {
                    view! { <span class="muted">"None"</span> }.into_any()
                } else {
                    k.scopes.iter().map(|s| view! { <code class="scope">{s.clone()}</code> }).collect_view().into_any()
                }}</dd>
                {(!k.pending_scopes.is_empty()).then(|| view! {
                    <dt>"Asked for"</dt>
                    <dd>
                        {k.pending_scopes.iter().map(|s| view! { <code class="scope">{s.clone()}</code> }).collect_view()}
                        <span class="small muted">" waiting for approval; until then the key keeps the scopes above"</span>
                    </dd>
                })}
                <dt>"Rate limit"</dt><dd>{format!("{} requests per minute", thousands(k.ratelimit_per_minute))}</dd>
                <dt>"Monthly quota"</dt><dd>{k.monthly_quota.map(|q| format!("{} requests", thousands(q))).unwrap_or_else(|| "None".into())}</dd>
                <dt>"Created"</dt><dd><LocalTime at=k.created_at/>{k.created_by_email.clone().map(|e| format!(" by {e}"))}</dd>
                <dt>"Expires"</dt><dd>{k.expires_at.map(|t| format!("{} (end of day, UTC)", date(t))).unwrap_or_else(|| "Never".into())}</dd>
                <dt>"Last used"</dt><dd>{match k.last_used_at { Some(t) => view! { <LocalTime at=t/> }.into_any(), None => "Never".into_any() }}</dd>
            </dl>
        </section>
        {(manageable && k.retrievable).then(|| {
            let (label, kind) = if has_password { ("Your password", "password") } else { ("Code from your authenticator app", "text") };
            view! {
                <section class="card section" aria-labelledby="secret-title">
                    <h2 id="secret-title">"The key"</h2>
                    <p class="small muted">"This provider keeps keys like this one so you can copy them again. Copying or showing it asks you to confirm it is you, and is recorded in the audit trail."</p>
                    <KeySecret key_id=k.id.clone() masked=k.masked.clone() proof_label=label.to_owned() proof_kind=kind.to_owned()/>
                </section>
            }
        })}
        {active.then({
            let k = k.clone();
            move || view! {
            <EditKey key=k.clone() options=options.clone() saved/>
            <section class="card section" aria-labelledby="actions-title">
                <h2 id="actions-title">"Actions"</h2>
                <div class="action-rows">
                    <div class="action-row">
                        {if k.status == KeyStatus::Disabled {
                            view! {
                                <div><strong>"Enable"</strong><p class="small muted">"Requests with this key are accepted again."</p></div>
                                <ActionForm action=enable attr:class="inline-form">
                                    {hidden_id(&kid.get_value())}
                                    <button type="submit" class="btn btn-secondary">"Enable key"</button>
                                </ActionForm>
                            }.into_any()
                        } else {
                            view! {
                                <div><strong>"Disable"</strong><p class="small muted">"Refuse requests for now, without losing the key; enable it again any time."</p></div>
                                <ActionForm action=disable attr:class="inline-form">
                                    {hidden_id(&kid.get_value())}
                                    <button type="submit" class="btn btn-secondary">"Disable key"</button>
                                </ActionForm>
                            }.into_any()
                        }}
                    </div>
                    {k.replaced_by.is_none().then(|| view! {
                        <div class="action-row">
                            <div><strong>"Rotate"</strong><p class="small muted">"A new key with the same settings; this one keeps working for a grace period you choose, so you can switch over without downtime."</p></div>
                            <OpenDialog dialog="rotate-key".to_owned() label="Rotate key".to_owned() class="btn btn-secondary".to_owned()/>
                        </div>
                    })}
                    <div class="action-row">
                        <div><strong>"Regenerate"</strong><p class="small muted">"A new secret with the same settings. The current secret stops working at once."</p></div>
                        <OpenDialog dialog="regenerate-key".to_owned() label="Regenerate key".to_owned() class="btn btn-secondary".to_owned()/>
                    </div>
                    <div class="action-row">
                        <div><strong>"Revoke"</strong><p class="small muted">"Refuse every request with this key, for good."</p></div>
                        <OpenDialog dialog="revoke-key".to_owned() label="Revoke key".to_owned() class="btn btn-danger-ghost".to_owned()/>
                    </div>
                </div>
            </section>
            <NativeDialog id="rotate-key".to_owned() title="Rotate this key".to_owned()>
                <p>"A new key with the same settings is created and shown once. How long should the current key keep working?"</p>
                <ActionForm action=rotate>
                    {hidden_id(&kid.get_value())}
                    <fieldset class="field">
                        <legend>"Grace period for the old key"</legend>
                        <div class="grace-options">
                            {GRACE_CHOICES.iter().map(|(value, label, _)| view! {
                                <label class="radio">
                                    <input type="radio" name="grace" value=*value checked=*value == "24h"/>
                                    {*label}
                                </label>
                            }).collect_view()}
                        </div>
                    </fieldset>
                    {confirm_buttons("Rotate key", "btn btn-primary")}
                </ActionForm>
            </NativeDialog>
            <NativeDialog id="regenerate-key".to_owned() title="Regenerate this key?".to_owned()>
                <p>"Applications using the current secret are refused from their next request. The new secret is shown once."</p>
                <ActionForm action=regenerate>
                    {hidden_id(&kid.get_value())}
                    {confirm_buttons("Regenerate key", "btn btn-danger")}
                </ActionForm>
            </NativeDialog>
        }})}
        {manageable.then(|| view! { <RevokeDialog id="revoke-key".to_owned() key=k.clone() revoke/> })}
        {shown}
    }
}

#[component]
fn EditKey(key: KeyView, options: KeyOptions, saved: bool) -> impl IntoView {
    let update = ServerAction::<UpdateKey>::new();
    let error = last_error(update);
    // A refused form comes back with what was typed; otherwise it shows the key as it is.
    let typed = if error.get_untracked().is_some() { Typed::of("keys/update") } else { Typed::default() };
    let typed = if typed.get("id").as_deref() == Some(key.id.as_str()) { typed } else { Typed::default() };
    let scopes = if typed.is_empty() { requested_scopes(&key) } else { typed.all("scope") };
    let refused = !typed.is_empty();
    let or = move |field: &str, current: String| typed.get(field).unwrap_or(current);
    view! {
        <section class="card section" aria-labelledby="edit-title">
            <h2 id="edit-title">"Settings"</h2>
            <FormAlert message=form_error(error, &["name", "description", "scopes", "ratelimit", "quota"])/>
            <ActionForm action=update attr:class="form" attr:novalidate=true>
                <input type="hidden" name="id" value=key.id.clone()/>
                <div class="form-grid">
                    <ValueField id="edit-name" name="name" label="Name" value=or("name", key.name.clone()) maxlength=64 error=field_error(error, "name")/>
                    <ValueField id="edit-description" name="description" label="Description" value=or("description", key.description.clone().unwrap_or_default())
                        maxlength=280 error=field_error(error, "description")/>
                </div>
                <ScopePicker id="edit-scope" catalogue=options.scopes selected=scopes error=field_error(error, "scopes")/>
                <div class="form-grid">
                    <NumberField id="edit-ratelimit" name="ratelimit" label="Requests per minute" value=or("ratelimit", key.ratelimit_per_minute.to_string())
                        min=1 max=options.max_ratelimit hint=format!("1 to {}", options.max_ratelimit) error=field_error(error, "ratelimit")/>
                    <NumberField id="edit-quota" name="quota" label="Monthly quota" value=or("quota", key.monthly_quota.map(|q| q.to_string()).unwrap_or_default())
                        min=1 max=1_000_000_000 hint="Empty for no quota.".to_owned() error=field_error(error, "quota")/>
                </div>
                <div>
                    <button type="submit" class="btn btn-primary">"Save changes"</button>
                    <span class="small muted status-inline" role="status">
                        {(saved && !refused).then_some("Saved. The next verification uses the new settings.")}
                    </span>
                </div>
            </ActionForm>
        </section>
    }
}

/// The key's last hour, per minute, and its latest answers.
#[component]
fn ActivityView(a: KeyActivity) -> impl IntoView {
    let total_valid: i64 = a.valid.iter().sum();
    let total_refused: i64 = a.refused.iter().sum();
    let peak = a.valid.iter().zip(&a.refused).map(|(v, r)| v + r).max().unwrap_or(0).max(1);
    let (w, h) = (600.0_f64, 120.0_f64);
    let bar = w / 60.0;
    let bars = a.valid.iter().zip(&a.refused).enumerate().map(|(i, (v, r))| {
        let x = i as f64 * bar;
        let hv = *v as f64 / peak as f64 * (h - 4.0);
        let hr = *r as f64 / peak as f64 * (h - 4.0);
        let minutes_ago = 59 - i;
        let label = format!("{minutes_ago} min ago: {v} valid, {r} refused");
        view! {
            <g>
                <title>{label}</title>
                <rect x=format!("{:.1}", x + 1.0) y=format!("{:.1}", h - hv) width=format!("{:.1}", bar - 2.0) height=format!("{:.1}", hv) class="bar-valid"/>
                <rect x=format!("{:.1}", x + 1.0) y=format!("{:.1}", h - hv - hr) width=format!("{:.1}", bar - 2.0) height=format!("{:.1}", hr) class="bar-refused"/>
            </g>
        }
    }).collect_view();
    let summary = format!("Last hour: {} valid, {} refused; busiest minute {}.", thousands(total_valid), thousands(total_refused), thousands(peak));
    view! {
        <p class="small muted" role="status">{summary.clone()}</p>
        <figure class="mini-chart">
            <svg viewBox=format!("0 0 {w} {h}") role="img" aria-label=summary preserveAspectRatio="none">
                <line x1="0" y1=h x2=w y2=h class="axis"/>
                {bars}
            </svg>
            <figcaption class="chart-axis small muted"><span>"60 min ago"</span><span class="legend"><i class="sw sw-valid"></i>"valid "<i class="sw sw-refused"></i>"refused"</span><span>"now"</span></figcaption>
        </figure>
    }
}

/// The newest requests of the key: verify answers and requests the backend reported, with
/// what the operator sent about each (endpoint, latency, client address).
#[component]
fn RequestLog(log: RequestLogView) -> impl IntoView {
    let RequestLogView { filter, entries, kept, locked } = log;
    if let Some(plan) = locked {
        return view! { <crate::components::upgrade::UpgradePrompt what="the request log" plan/> }.into_any();
    }
    if entries.is_empty() {
        let text = if kept == 0 {
            "No requests yet. Verifications of this key and the requests your backend reports through /v1/usage appear here within a second or two.".to_owned()
        } else {
            format!("None of the {} requests kept match this filter.", thousands(kept))
        };
        return view! { <p class="muted small" role="status">{text}</p> }.into_any();
    }
    let summary = format!(
        "The newest {} of {} requests kept (the last {} per key, up to {} days){}.",
        entries.len(),
        thousands(kept),
        keyport_core::dto::REQUEST_LOG_PER_KEY,
        keyport_core::dto::REQUEST_LOG_DAYS,
        if filter == "all" { String::new() } else { format!(", {}", LogFilter::parse(&filter).label().to_lowercase()) }
    );
    view! {
        <p class="small muted" role="status">{summary}</p>
        <div class="table-wrap">
            <table class="keys-table request-log">
                <thead><tr>
                    <th scope="col">"Time"</th><th scope="col">"Outcome"</th><th scope="col">"Endpoint"</th>
                    <th scope="col">"Latency"</th><th scope="col">"Client"</th>
                </tr></thead>
                <tbody>
                    {entries.into_iter().map(|r| {
                        let class = if r.ok { "badge badge-ok" } else { "badge badge-warn" };
                        let what = if r.served { "served" } else { "verify" };
                        let dash = || view! { <span class="muted">"—"</span> }.into_any();
                        view! {
                            <tr>
                                <td><LocalTime at=r.at/></td>
                                <td><span class=class>{r.outcome}</span>" "<span class="small muted">{what}</span></td>
                                <td>{r.endpoint.map(|e| view! { <code>{e}</code> }.into_any()).unwrap_or_else(dash)}</td>
                                <td>{r.latency_ms.map(|l| format!("{l:.0} ms").into_any()).unwrap_or_else(dash)}</td>
                                <td>{r.ip.map(|ip| view! { <code>{ip}</code> }.into_any()).unwrap_or_else(dash)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}
