//! `/portal/keys/{id}`: one key — its settings, status and history — and everything that can
//! be done to it: edit, disable or enable, regenerate, revoke.

use crate::api::{get_key, get_key_activity, get_usage_report, get_key_options, get_session, DisableKey, EnableKey, RegenerateKey, RevokeKey, RotateKey, UpdateKey};
use crate::components::dialog::Dialog;
use keyport_core::validate::GRACE_CHOICES;
use crate::components::dialog::ConfirmDialog;
use crate::components::forms::{error_message, field_error, form_error, last_error, refresh_on_success, FormAlert, ValueField};
use crate::components::key_parts::{ScopePicker, ShowOnceDialog};
use crate::components::local_time::LocalTime;
use crate::error::AppError;
use crate::format::date;
use crate::pages::keys::{status_class, NumberField};
use keyport_core::dto::{thousands, KeyActivity, KeyOptions, KeyStatus, KeyView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use crate::components::usage_view::UsageView;
use keyport_core::usage_report::{UsageRange, UsageReport};

/// The scopes the settings form starts from: what waits for approval, if anything does, so
/// saving the form again (to rename the key, say) keeps the request instead of withdrawing it.
fn requested_scopes(key: &KeyView) -> Vec<String> {
    if key.pending_scopes.is_empty() { key.scopes.clone() } else { key.pending_scopes.clone() }
}

/// The key detail page.
#[component]
pub fn KeyDetailPage() -> impl IntoView {
    let id = use_params_map().read_untracked().get("id").unwrap_or_default();
    // The title is the key's name, read on the server; the island below shows the key.
    let title = Resource::new({
        let id = id.clone();
        move || id.clone()
    }, get_key);
    view! {
        <Suspense>
            {move || title.get().map(|r| match r {
                Ok(k) => view! { <Title text=k.name/> }.into_any(),
                Err(AppError::NotFound) => view! { <Title text="Key not found"/> }.into_any(),
                Err(_) => view! { <Title text="API key"/> }.into_any(),
            })}
        </Suspense>
        <KeyDetailView id/>
    }
}

/// The key, its activity and its usage, and every action on it, changing in place.
#[island(lazy)]
fn KeyDetailView(id: String) -> impl IntoView {
    crate::islands::ready();
    let id = StoredValue::new(id);
    let id = move || id.get_value();
    let update = ServerAction::<UpdateKey>::new();
    let disable = ServerAction::<DisableKey>::new();
    let enable = ServerAction::<EnableKey>::new();
    let regenerate = ServerAction::<RegenerateKey>::new();
    let revoke = ServerAction::<RevokeKey>::new();
    let rotate = ServerAction::<RotateKey>::new();
    let refresh = RwSignal::new(0u32);
    for_each_refresh(refresh, update, disable, enable, regenerate, revoke);
    refresh_on_success(rotate, refresh);
    let key = Resource::new(move || (id(), refresh.get()), |(id, _)| get_key(id));
    let session = Resource::new(|| (), |_| get_session());
    let options = Resource::new(|| (), |_| get_key_options());
    // Created here, at the top of the page, so server and browser agree on it; refreshed
    // every few seconds in the browser.
    let activity = Resource::new(move || id(), get_key_activity);
    let usage_range = RwSignal::new(UsageRange::Day);
    let usage = Resource::new(
        move || (id(), usage_range.get()),
        |(id, r)| get_usage_report(r.as_str().into(), r.default_granularity().as_str().into(), id, String::new()),
    );
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let timer = gloo_timers::callback::Interval::new(5_000, move || {
            activity.refetch();
            usage.refetch();
        });
        let timer = send_wrapper::SendWrapper::new(timer);
        on_cleanup(move || drop(timer));
    });
    view! {
        <p class="breadcrumb"><a href="/portal/keys">"← API keys"</a></p>
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading the key…"</p> }>
            {move || key.get().zip(session.get()).zip(options.get()).map(|((k, s), o)| match (k, s, o) {
                (Ok(k), Ok(Some(s)), Ok(o)) => {
                    let manageable = k.manageable_by(s.role, &s.user.id);
                    view! {
                        <KeyDetail key=k options=o manageable actions=KeyActions { update, disable, enable, regenerate, revoke, rotate }/>
                        <Activity activity/>
                        <KeyUsage usage range=usage_range/>
                    }.into_any()
                }
                (Err(AppError::NotFound), _, _) => view! {
                    <section class="card empty-state">
                        <h1>"Key not found"</h1>
                        <p class="muted">"This key does not exist, or it belongs to another team. Check the active team in the top bar."</p>
                    </section>
                }.into_any(),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                (_, Ok(None), _) => ().into_any(),
            })}
        </Transition>
    }
}

/// The usage page's charts for this key, over a range chosen here.
#[component]
fn KeyUsage(usage: Resource<Result<UsageReport, AppError>>, range: RwSignal<UsageRange>) -> impl IntoView {
    view! {
        <section class="section key-usage" aria-labelledby="key-usage-title">
            <div class="section-head">
                <h2 id="key-usage-title">"Usage"</h2>
                <div class="field inline-field">
                    <label for="key-usage-range">"Range"</label>
                    <select id="key-usage-range" prop:value=move || range.get().as_str()
                        on:change=move |ev| if let Some(r) = UsageRange::parse(&event_target_value(&ev)) { range.set(r) }>
                        {UsageRange::ALL.into_iter().map(|r| view! { <option value=r.as_str() selected=move || range.get() == r>{r.label()}</option> }).collect_view()}
                    </select>
                </div>
            </div>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading usage…"</p> }>
                {move || usage.get().map(|r| match r {
                    Ok(r) => view! { <UsageView report=r/> }.into_any(),
                    Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

fn for_each_refresh(
    refresh: RwSignal<u32>,
    update: ServerAction<UpdateKey>,
    disable: ServerAction<DisableKey>,
    enable: ServerAction<EnableKey>,
    regenerate: ServerAction<RegenerateKey>,
    revoke: ServerAction<RevokeKey>,
) {
    refresh_on_success(update, refresh);
    refresh_on_success(disable, refresh);
    refresh_on_success(enable, refresh);
    refresh_on_success(regenerate, refresh);
    refresh_on_success(revoke, refresh);
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

/// Everything that can be done to a key, created once per page.
#[derive(Clone, Copy)]
struct KeyActions {
    update: ServerAction<UpdateKey>,
    disable: ServerAction<DisableKey>,
    enable: ServerAction<EnableKey>,
    regenerate: ServerAction<RegenerateKey>,
    revoke: ServerAction<RevokeKey>,
    rotate: ServerAction<RotateKey>,
}

#[component]
fn KeyDetail(key: KeyView, options: KeyOptions, manageable: bool, actions: KeyActions) -> impl IntoView {
    let KeyActions { update, disable, enable, regenerate, revoke, rotate } = actions;
    let k = key.clone();
    let key_id = key.id.clone();
    let rotated = Signal::derive(move || rotate.value().get().and_then(Result::ok));
    let api2 = options.api_base_url.clone();
    let asking = RwSignal::new(None::<&'static str>);
    let api = options.api_base_url.clone();
    let regenerated = Signal::derive(move || regenerate.value().get().and_then(Result::ok));
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
        {(k.status == KeyStatus::InGrace).then(|| {
            let new_id = k.replaced_by.clone().unwrap_or_default();
            view! {
                <section class="alert alert-warn grace-banner" aria-labelledby="grace-title">
                    <h2 id="grace-title" class="h3">"This key was rotated"</h2>
                    <p>
                        "It was replaced by " <a href=format!("/portal/keys/{new_id}")>"its new key"</a>
                        " and keeps working until " {k.grace_until.map(|t| view! { <LocalTime at=t/> })} ". "
                        "Last used: " {match k.last_used_at { Some(t) => view! { <LocalTime at=t/> }.into_any(), None => "never".into_any() }} "."
                    </p>
                    <p class="small">"Once your applications use the new key, this one sees no traffic: revoke it then."</p>
                    {manageable.then(|| view! {
                        <button type="button" class="btn btn-danger" on:click=move |_| asking.set(Some("revoke"))>"Revoke old key now"</button>
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
        {(manageable && !matches!(k.status, KeyStatus::Revoked | KeyStatus::Denied)).then(|| view! {
            <EditKey key=key.clone() options=options.clone() update/>
            <section class="card section" aria-labelledby="actions-title">
                <h2 id="actions-title">"Actions"</h2>
                <FormAlert message=Signal::derive(move || error_message(disable).get().or_else(|| error_message(enable).get()))/>
                <div class="action-rows">
                    <div class="action-row">
                        {if k.status == KeyStatus::Disabled {
                            let id = k.id.clone();
                            view! {
                                <div><strong>"Enable"</strong><p class="small muted">"Requests with this key are accepted again."</p></div>
                                <button type="button" class="btn btn-secondary" disabled=move || enable.pending().get()
                                    on:click=move |_| { enable.dispatch(EnableKey { id: id.clone() }); }>"Enable key"</button>
                            }.into_any()
                        } else {
                            let id = k.id.clone();
                            view! {
                                <div><strong>"Disable"</strong><p class="small muted">"Refuse requests for now, without losing the key; enable it again any time."</p></div>
                                <button type="button" class="btn btn-secondary" disabled=move || disable.pending().get()
                                    on:click=move |_| { disable.dispatch(DisableKey { id: id.clone() }); }>"Disable key"</button>
                            }.into_any()
                        }}
                    </div>
                    {k.replaced_by.is_none().then(|| view! {
                        <div class="action-row">
                            <div><strong>"Rotate"</strong><p class="small muted">"A new key with the same settings; this one keeps working for a grace period you choose, so you can switch over without downtime."</p></div>
                            <button type="button" class="btn btn-secondary" on:click=move |_| asking.set(Some("rotate"))>"Rotate key"</button>
                        </div>
                    })}
                    <div class="action-row">
                        <div><strong>"Regenerate"</strong><p class="small muted">"A new secret with the same settings. The current secret stops working at once."</p></div>
                        <button type="button" class="btn btn-secondary" on:click=move |_| asking.set(Some("regenerate"))>"Regenerate key"</button>
                    </div>
                    <div class="action-row">
                        <div><strong>"Revoke"</strong><p class="small muted">"Refuse every request with this key, for good."</p></div>
                        <button type="button" class="btn btn-danger-ghost" on:click=move |_| asking.set(Some("revoke"))>"Revoke key"</button>
                    </div>
                </div>
            </section>
        })}
        {move || (asking.get() == Some("regenerate") && regenerated.get().is_none()).then(|| {
            let id = key.id.clone();
            view! {
                <ConfirmDialog id="regenerate-title" title="Regenerate this key?".to_owned()
                    confirm=("Regenerate key", "Regenerating…")
                    pending=regenerate.pending().into() error=error_message(regenerate)
                    on_confirm=Callback::new(move |_| { regenerate.dispatch(RegenerateKey { id: id.clone() }); })
                    on_close=Callback::new(move |_| asking.set(None))>
                    <p>"Applications using the current secret are refused from their next request. The new secret is shown once."</p>
                </ConfirmDialog>
            }
        })}
        {move || regenerated.get().map(|created| view! {
            <ShowOnceDialog created api_base_url=api.clone() title="Your regenerated key"
                on_close=Callback::new(move |_| { regenerate.value().set(None); asking.set(None); })/>
        })}
        {move || (asking.get() == Some("rotate") && rotated.get().is_none()).then(|| {
            let id = key_id.clone();
            view! { <RotateDialog id rotate on_close=Callback::new(move |_| asking.set(None))/> }
        })}
        {move || rotated.get().map(|created| view! {
            <ShowOnceDialog created api_base_url=api2.clone() title="Your new key (rotated)"
                on_close=Callback::new(move |_| { rotate.value().set(None); asking.set(None); })/>
        })}
        {move || (asking.get() == Some("revoke")).then(|| {
            let id = k.id.clone();
            let masked = k.masked.clone();
            view! {
                <ConfirmDialog id="revoke-title" title=format!("Revoke “{}”?", k.name)
                    confirm=("Revoke key", "Revoking…")
                    pending=revoke.pending().into() error=error_message(revoke)
                    on_confirm=Callback::new(move |_| { revoke.dispatch(RevokeKey { id: id.clone() }); })
                    on_close=Callback::new(move |_| asking.set(None))>
                    <p>"Requests using " <code>{masked}</code> " will be refused immediately. This cannot be undone."</p>
                </ConfirmDialog>
            }
        })}
    }
}

#[component]
fn EditKey(key: KeyView, options: KeyOptions, update: ServerAction<UpdateKey>) -> impl IntoView {
    let error = last_error(update);
    let pending = update.pending();
    let saved = Signal::derive(move || match update.value().get() {
        Some(Ok(_)) => "Saved. The next verification uses the new settings.".to_owned(),
        _ => String::new(),
    });
    view! {
        <section class="card section" aria-labelledby="edit-title">
            <h2 id="edit-title">"Settings"</h2>
            <FormAlert message=form_error(error, &["name", "description", "scopes", "ratelimit", "quota"])/>
            <ActionForm action=update attr:class="form" attr:novalidate=true>
                <input type="hidden" name="id" value=key.id.clone()/>
                <div class="form-grid">
                    <ValueField id="edit-name" name="name" label="Name" value=key.name.clone() maxlength=64 error=field_error(error, "name")/>
                    <ValueField id="edit-description" name="description" label="Description" value=key.description.clone().unwrap_or_default()
                        maxlength=280 error=field_error(error, "description")/>
                </div>
                <ScopePicker id="edit-scope" catalogue=options.scopes selected=requested_scopes(&key) error=field_error(error, "scopes")/>
                <div class="form-grid">
                    <NumberField id="edit-ratelimit" name="ratelimit" label="Requests per minute" value=key.ratelimit_per_minute.to_string()
                        min=1 max=options.max_ratelimit hint=format!("1 to {}", options.max_ratelimit) error=field_error(error, "ratelimit")/>
                    <NumberField id="edit-quota" name="quota" label="Monthly quota" value=key.monthly_quota.map(|q| q.to_string()).unwrap_or_default()
                        min=1 max=1_000_000_000 hint="Empty for no quota.".to_owned() error=field_error(error, "quota")/>
                </div>
                <div>
                    <button type="submit" class="btn btn-primary" disabled=move || pending.get()>
                        {move || if pending.get() { "Saving…" } else { "Save changes" }}
                    </button>
                    <span class="small muted status-inline" role="status">{saved}</span>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn RotateDialog(id: String, rotate: ServerAction<RotateKey>, on_close: Callback<()>) -> impl IntoView {
    let grace = RwSignal::new("24h".to_owned());
    let pending = rotate.pending();
    view! {
        <Dialog labelled_by="rotate-title" on_close>
            <h2 id="rotate-title">"Rotate this key"</h2>
            <p>"A new key with the same settings is created and shown once. How long should the current key keep working?"</p>
            <FormAlert message=error_message(rotate)/>
            <fieldset class="field">
                <legend>"Grace period for the old key"</legend>
                <div class="grace-options">
                    {GRACE_CHOICES.iter().map(|(value, label, _)| {
                        let v = value.to_string();
                        view! {
                            <label class="radio">
                                <input type="radio" name="grace" value=*value checked=*value == "24h"
                                    on:change=move |_| grace.set(v.clone())/>
                                {*label}
                            </label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <div class="dialog-actions">
                <button type="button" class="btn btn-ghost" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button type="button" class="btn btn-primary" disabled=move || pending.get()
                    on:click=move |_| { rotate.dispatch(RotateKey { id: id.clone(), grace: grace.get_untracked() }); }>
                    {move || if pending.get() { "Rotating…" } else { "Rotate key" }}
                </button>
            </div>
        </Dialog>
    }
}

/// The key's last hour, per minute, and its latest answers.
#[component]
fn Activity(activity: Resource<Result<KeyActivity, AppError>>) -> impl IntoView {
    view! {
        <section class="card section" aria-labelledby="activity-title">
            <h2 id="activity-title">"Activity"</h2>
            <Transition fallback=|| view! { <p class="muted" role="status">"Loading activity…"</p> }>
                {move || activity.get().map(|r| match r {
                    Ok(a) => view! { <ActivityView a/> }.into_any(),
                    Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

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
        <h3 class="h3">"Latest verifications"</h3>
        {if a.recent.is_empty() {
            view! { <p class="muted small">"None since this server started."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="keys-table">
                        <thead><tr><th scope="col">"Time"</th><th scope="col">"Answer"</th><th scope="col">"Endpoint"</th></tr></thead>
                        <tbody>
                            {a.recent.into_iter().map(|r| {
                                let class = if r.code == "VALID" { "badge badge-ok" } else { "badge badge-warn" };
                                view! {
                                    <tr>
                                        <td><LocalTime at=r.at/></td>
                                        <td><span class=class>{r.code}</span></td>
                                        <td>{r.endpoint.map(|e| view! { <code>{e}</code> }.into_any()).unwrap_or_else(|| view! { <span class="muted">"—"</span> }.into_any())}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}
