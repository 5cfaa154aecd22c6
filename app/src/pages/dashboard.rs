//! `/portal`: the quickstart (one click to a test key, the first call with it, and a line
//! that turns into "first call received" by itself), the keys card and the live usage card.

use crate::api::{get_quickstart, CreateTestKey, QuickstartView};
use crate::components::forms::{form_error, last_error, FormAlert};
use crate::components::key_parts::SecretBox;
use keyport_core::dto::docs::{key_placeholder, KEY_SENTINEL};
use keyport_core::dto::KeyView;
use crate::components::icons::{Icon, IconKind};
use crate::components::usage_card::UsageCard;
use crate::islands::LiveRegion;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// How many keys the dashboard card lists.
const KEYS_ON_DASHBOARD: usize = 5;

/// The dashboard.
#[component]
pub fn DashboardPage() -> impl IntoView {
    // Read (and cleared) before anything streams, so the cookie's removal is in the headers.
    let handed = crate::pages::keys::handed_over_key();
    // One read for the quickstart and the keys card.
    let data = Resource::new(|| (), |_| get_quickstart());
    view! {
        <Title text="Dashboard"/>
        <header class="page-header">
            <h1>"Dashboard"</h1>
            <p class="muted">"Your keys and how much you use them, at a glance."</p>
        </header>
        // The provider's welcome, sanitized on the server.
        {crate::branding::welcome_html().map(|html| view! {
            <section class="card section welcome" aria-label="Welcome" inner_html=html></section>
        })}
        <Suspense fallback=|| ()>
            {move || {
                let handed = handed.clone();
                data.get().map(move |r| match r {
                    Ok(q) => (q.show || handed.is_some()).then(|| view! { <Quickstart q handed/> }).into_any(),
                    Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Suspense>
        <div class="grid">
            <section class="card" aria-labelledby="keys-title">
                <h2 id="keys-title" class="card-title">"Your API keys"</h2>
                <Suspense fallback=|| view! { <p class="muted" role="status">"Loading keys…"</p> }>
                    {move || data.get().map(|result| {
                        let result = result.map(|q| q.keys);
                        match result {
                            Ok(list) => {
                                let active: Vec<_> = list.into_iter().filter(|k| k.status.is_usable()).collect();
                                if active.is_empty() {
                                    view! {
                                        <p class="muted">"You have no active keys yet."</p>
                                        <A href="/portal/keys" attr:class="btn btn-primary"><Icon kind=IconKind::Plus/>"Create your first key"</A>
                                    }.into_any()
                                } else {
                                    let more = active.len().saturating_sub(KEYS_ON_DASHBOARD);
                                    view! {
                                        <ul class="key-mini-list">
                                            {active.into_iter().take(KEYS_ON_DASHBOARD).map(|k| view! {
                                                <li>
                                                    <span class="key-name">{k.name}</span>
                                                    <code class="key-masked">{k.masked}</code>
                                                    <span class=format!("badge badge-{}", k.environment)>{k.environment.to_string()}</span>
                                                    {(k.status == keyport_core::dto::KeyStatus::ExpiringSoon).then(|| k.expires_at.map(|at| view! {
                                                        <span class="badge badge-warn">{format!("Expires {}", crate::format::date(at))}</span>
                                                    }))}
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                        {(more > 0).then(|| view! { <p class="muted small">{format!("and {more} more")}</p> })}
                                        <A href="/portal/keys" attr:class="btn btn-secondary"><Icon kind=IconKind::Key/>"Manage keys"</A>
                                    }.into_any()
                                }
                            }
                            Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <LiveRegion id="usage-live".to_string() every_ms=crate::components::usage_card::REFRESH_MS>
                <UsageCard/>
            </LiveRegion>
        </div>
    }
}

/// The quickstart card: a test key in one click, the first call with it, and whether the
/// team's first call arrived (a live region: it changes without a reload).
#[component]
fn Quickstart(q: QuickstartView, handed: Option<(String, String, String)>) -> impl IntoView {
    let first_call = q.first_call();
    let QuickstartView { can_create, default_scopes, call, documented, keys, .. } = q;
    let usable: Vec<KeyView> = keys.into_iter().filter(|k| k.status.is_usable()).collect();
    let made = handed.and_then(|(id, _, secret)| usable.iter().find(|k| k.id == id).cloned().map(|k| (k, secret)));
    // The key the command carries when none was just made: the newest test key, else the newest.
    let existing = usable.iter().find(|k| k.environment.as_str() == "test").or(usable.first()).cloned();
    let create = ServerAction::<CreateTestKey>::new();
    let refused = last_error(create);
    let scopes = if default_scopes.is_empty() { "no scopes".to_owned() } else { format!("the default scopes ({})", default_scopes.join(", ")) };
    let step_one = match (&made, &existing) {
        (Some((k, _)), _) => view! {
            <p><strong>"✓ Your test key “" {k.name.clone()} "” is ready."</strong> " It is shown only now: copy the command (it holds the key) or the key itself."</p>
        }.into_any(),
        (None, Some(k)) => view! {
            <p>"The command uses your key " <strong>{k.name.clone()}</strong> " " <code>{k.masked.clone()}</code> ": paste the key where it says " <code>{key_placeholder(Some(&k.name))}</code> "."</p>
        }.into_any(),
        (None, None) if can_create => view! {
            <FormAlert message=form_error(refused, &[])/>
            <ActionForm action=create attr:class="inline-form quickstart-create">
                <button type="submit" class="btn btn-primary">"Create a test key"</button>
            </ActionForm>
            <p class="hint">{format!("One click: the test environment, {scopes}, the default rate limit, no expiry.")}</p>
        }.into_any(),
        (None, None) => view! { <p class="muted">"Ask an owner or admin of your team to create a key for you."</p> }.into_any(),
    };
    let command = match (&made, &existing) {
        (Some((k, secret)), _) => {
            let shown = call.curl.replace(KEY_SENTINEL, &k.masked);
            let copied = call.curl.replace(KEY_SENTINEL, secret);
            view! {
                <SecretBox dialog=String::new() key_id=k.id.clone() secret=secret.clone() masked=k.masked.clone()
                    snippets=vec![("curl".to_owned(), shown, copied)]/>
            }.into_any()
        }
        (None, Some(k)) => view! { <pre class="snippet" aria-label="First call"><code>{call.curl.replace(KEY_SENTINEL, &key_placeholder(Some(&k.name)))}</code></pre> }.into_any(),
        (None, None) => view! { <pre class="snippet" aria-label="First call"><code>{call.curl.replace(KEY_SENTINEL, "YOUR_API_KEY")}</code></pre> }.into_any(),
    };
    let about = if documented {
        view! { <p class="small muted">{format!("{}: ", call.summary)} <a href=format!("/portal/docs#{}", call.anchor)>"see it in the docs"</a></p> }.into_any()
    } else {
        view! { <p class="small muted"><a href="/portal/docs">"The docs"</a> " describe every call."</p> }.into_any()
    };
    view! {
        <section class="card section quickstart" aria-labelledby="quickstart-title">
            <h2 id="quickstart-title" class="card-title">"Quickstart"</h2>
            <ol class="quickstart-steps">
                <li><h3>"Get a test key"</h3>{step_one}</li>
                <li><h3>"Make your first call"</h3>{command}{about}</li>
                <li>
                    <h3>"See it arrive"</h3>
                    <LiveRegion id="quickstart-live".to_string() every_ms=crate::components::usage_card::REFRESH_MS>
                        <p class="quickstart-status" role="status">
                            {match first_call {
                                Some(at) => view! { <strong class="status-ok">"✓ First call received at " <time datetime=at.to_rfc3339() data-clock="">{crate::format::clock(at)}</time></strong> }.into_any(),
                                None => view! { <span class="muted">"Waiting for your first call… this line changes by itself when it arrives."</span> }.into_any(),
                            }}
                        </p>
                    </LiveRegion>
                </li>
            </ol>
        </section>
    }
}
