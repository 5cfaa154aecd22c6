//! `/portal/docs`: the API reference, drawn on the server from the operator's OpenAPI
//! document in effect — contents by tag, an authentication guide, and per operation its
//! method and path, what it does, the security and scopes it needs (beside whether the
//! team's keys hold them), parameters, request bodies and responses with schema trees and
//! examples, code samples carrying the chosen key and a "Try it" form; named schemas at the
//! end; the operator's guides after the authentication guide; a search box over all of it
//! (`?q=`). Each has a link of its own (`#op-…`, `#schema-…`, `#guide-…`). One island
//! ([`DocsTools`]) switches sample languages, copies and sends "Try it" calls through the
//! relay; without it the page reads the same, with curl samples.

use crate::api::{get_api_reference, DocsKey, DocsView};
use crate::islands::SubmitOnChange;
use keyport_core::dto::docs::{ApiReference, BodyView, CodeSample, GuideView, KeyUsage, MediaView, OperationView, ParameterView, ResponseView, SchemaRow, SearchResults, KEY_SENTINEL, MAX_SEARCH_CHARS};
use leptos::prelude::*;
use leptos_meta::Title;

/// The docs page.
#[component]
pub fn DocsPage() -> impl IntoView {
    let (chosen, q) = leptos_router::hooks::use_query_map().with_untracked(|m| (m.get("key"), m.get("q").filter(|q| !q.trim().is_empty())));
    let asked = q.clone();
    let reference = Resource::new(move || asked.clone(), get_api_reference);
    view! {
        <Title text="Docs"/>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading the API reference…"</p> }>
            {move || reference.get().map(|r| match r {
                Ok(DocsView { reference: Some(r), keys, guides, search, try_it }) => view! { <Reference r keys guides search try_it chosen=chosen.clone() q=q.clone()/> }.into_any(),
                Ok(DocsView { reference: None, keys, guides, search, .. }) if !guides.is_empty() => {
                    // Guides without an API document: the reference part stays empty.
                    let usage = KeyUsage { location: "header".into(), name: "Authorization".into(), prefix: "Bearer ".into(), scheme: None };
                    let r = ApiReference { title: "Docs".into(), key_usage: usage, ..Default::default() };
                    view! { <Reference r keys guides search try_it=false chosen=chosen.clone() q=q.clone()/> }.into_any()
                }
                Ok(DocsView { reference: None, .. }) => view! {
                    <header class="page-header"><h1>"Docs"</h1></header>
                    <section class="card empty-state">
                        <h2>"No API reference yet"</h2>
                        <p class="muted">"Your API provider has not published its API description here yet. Your keys already work: send them as your provider describes."</p>
                    </section>
                }.into_any(),
                Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// The key the samples carry: the one asked for, else the newest test key, else the newest.
fn pick_key(keys: &[DocsKey], chosen: Option<&str>) -> Option<DocsKey> {
    chosen
        .and_then(|id| keys.iter().find(|k| k.id == id))
        .or_else(|| keys.iter().find(|k| k.environment == "test"))
        .or_else(|| keys.first())
        .cloned()
}

/// What the samples show and copy for the key.
#[derive(Clone)]
struct SampleKey {
    id: String,
    shown: String,
    placeholder: String,
    retrievable: bool,
}

#[component]
fn Reference(r: ApiReference, keys: Vec<DocsKey>, guides: Vec<GuideView>, search: Option<SearchResults>, try_it: bool, chosen: Option<String>, q: Option<String>) -> impl IntoView {
    let ApiReference { title, version, description, server, groups, schemas, security_schemes, key_usage, truncated } = r;
    let key = pick_key(&keys, chosen.as_deref());
    let placeholder = keyport_core::dto::docs::key_placeholder(key.as_ref().map(|k| k.name.as_str()));
    let sample_key = SampleKey {
        id: key.as_ref().map(|k| k.id.clone()).unwrap_or_default(),
        shown: key.as_ref().map(|k| k.masked.clone()).unwrap_or_else(|| placeholder.clone()),
        placeholder,
        retrievable: key.as_ref().is_some_and(|k| k.retrievable),
    };
    let contents = groups.clone();
    let schema_links: Vec<(String, String)> = schemas.iter().map(|s| (s.name.clone(), s.anchor.clone())).collect();
    let keys_for_ops = keys.clone();
    let chosen_id = key.as_ref().map(|k| k.id.clone()).unwrap_or_default();
    let header_line = format!("{}{}: {}…", key_usage.name, if key_usage.location == "query" { " (query parameter)" } else { "" }, key_usage.prefix);
    let has_reference = !version.is_empty() || !contents.is_empty();
    let target = TryTarget { server: server.clone().filter(|_| try_it), key_usage: key_usage.clone() };
    let guide_links: Vec<(String, String)> = guides.iter().map(|g| (g.title.clone(), g.anchor.clone())).collect();
    view! {
        <header class="page-header">
            <h1>{title}</h1>
            {has_reference.then(|| view! {
                <p class="muted">{format!("API reference · version {version}")}
                    {server.clone().map(|s| view! { " · " <code>{s}</code> })}
                </p>
            })}
        </header>
        <form method="get" action="/portal/docs" class="inline-form docs-search" role="search">
            <label for="docs-q" class="visually-hidden">"Search the docs"</label>
            <input type="search" id="docs-q" name="q" value=q.clone().unwrap_or_default() maxlength=MAX_SEARCH_CHARS.to_string()
                placeholder="Search operations, schemas and guides" autocomplete="off"/>
            {chosen.clone().map(|k| view! { <input type="hidden" name="key" value=k/> })}
            <button type="submit" class="btn btn-primary btn-sm">"Search"</button>
        </form>
        {search.map(|s| view! { <SearchResultsView s/> })}
        // Sanitized HTML, rendered from CommonMark on the server.
        {description.map(|d| view! { <div class="docs-intro docs-md" inner_html=d></div> })}
        <DocsTools>
        <div class="docs">
            <nav class="docs-nav card" aria-label="API reference contents">
                <h2 class="docs-nav-tag">"Guides"</h2>
                <ul>
                    <li><a href="#authentication">"Authentication"</a></li>
                    {guide_links.into_iter().map(|(title, anchor)| view! { <li><a href=format!("#{anchor}")>{title}</a></li> }).collect_view()}
                </ul>
                {contents.into_iter().map(|g| view! {
                    <h2 class="docs-nav-tag">{g.name}</h2>
                    <ul>
                        {g.operations.into_iter().map(|o| view! {
                            <li><a href=format!("#{}", o.anchor)>
                                <span class=format!("method method-{}", o.method.to_lowercase())>{o.method.clone()}</span>
                                " " {o.summary}
                            </a></li>
                        }).collect_view()}
                    </ul>
                }).collect_view()}
                {(!schema_links.is_empty()).then(|| view! {
                    <h2 class="docs-nav-tag">"Schemas"</h2>
                    <ul>
                        {schema_links.into_iter().map(|(name, anchor)| view! { <li><a href=format!("#{anchor}")><code>{name}</code></a></li> }).collect_view()}
                    </ul>
                })}
            </nav>
            <div class="docs-body">
                <section class="card docs-guide" id="authentication" aria-labelledby="authentication-title">
                    <h2 id="authentication-title"><a class="docs-anchor" href="#authentication">"Authentication"</a></h2>
                    <p>"Every call carries one of your API keys in " <code>{header_line}</code>
                        {key_usage.scheme.map(|s| view! { " (the document's " <code>{s}</code> " scheme)" })} "."</p>
                    <ul>
                        <li>"Keys look like " <code>"kp_live_…"</code> " or " <code>"kp_test_…"</code> ": " <strong>"live"</strong> " keys are for production traffic, " <strong>"test"</strong> " keys for development. Both reach the same API; your usage shows them apart."</li>
                        <li>"A key is shown once, when it is made. Keep it on your server or in a secrets manager, never in a browser or an app you ship."</li>
                        <li>"Each key holds scopes: an operation that needs a scope the key lacks is refused. The reference says per operation what it needs and which of your keys hold it."</li>
                        <li>"Limits are per key. Answers carry " <code>"X-RateLimit-Limit"</code> ", " <code>"X-RateLimit-Remaining"</code> " and " <code>"X-RateLimit-Reset"</code> " (a Unix time); past the limit wait for " <code>"Retry-After"</code> " seconds."</li>
                    </ul>
                    <h3>"When a key is refused"</h3>
                    <div class="table-wrap">
                        <table class="table">
                            <thead><tr><th scope="col">"Code"</th><th scope="col">"What happened"</th><th scope="col">"What to do"</th></tr></thead>
                            <tbody>
                                {REFUSALS.iter().map(|(code, what, todo)| view! {
                                    <tr><td><code>{*code}</code></td><td>{*what}</td><td>{*todo}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    {(!security_schemes.is_empty()).then(|| view! {
                        <h3>"Security schemes of this API"</h3>
                        <ul>
                            {security_schemes.into_iter().map(|s| view! {
                                <li><code>{s.name}</code> ": " {s.summary}
                                    {s.description.map(|d| view! { <div class="docs-md muted" inner_html=d></div> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    })}
                    <form method="get" action="/portal/docs" class="inline-form docs-key-form">
                        <label for="docs-key">"Samples use"</label>
                        {if keys.is_empty() {
                            view! { <span class="muted">"a placeholder: " <a href="/portal/keys">"create a key"</a> " to see yours in them."</span> }.into_any()
                        } else {
                            view! {
                                <SubmitOnChange>
                                    <select id="docs-key" name="key">
                                        {keys.iter().map(|k| {
                                            let label = format!("{} ({}) · {}", k.name, k.environment, k.masked);
                                            view! { <option value=k.id.clone() selected=k.id == chosen_id>{label}</option> }
                                        }).collect_view()}
                                    </select>
                                </SubmitOnChange>
                                <noscript><button type="submit" class="btn btn-ghost btn-sm">"Use"</button></noscript>
                            }.into_any()
                        }}
                    </form>
                </section>
                {guides.into_iter().map(|g| {
                    let heading = format!("{}-title", g.anchor);
                    let labelled = heading.clone();
                    view! {
                        <section class="card docs-guide" id=g.anchor.clone() aria-labelledby=labelled>
                            <h2 id=heading><a class="docs-anchor" href=format!("#{}", g.anchor)>{g.title}</a></h2>
                            // Sanitized HTML, rendered from the operator's Markdown on the server.
                            <div class="docs-md docs-guide-body" inner_html=g.html></div>
                        </section>
                    }
                }).collect_view()}
                {(!has_reference).then(|| view! {
                    <section class="card empty-state">
                        <h2>"No API reference yet"</h2>
                        <p class="muted">"Your API provider has not published its API description here yet."</p>
                    </section>
                })}
                {groups.into_iter().map(|g| {
                    let label = g.name.clone();
                    let keys = keys_for_ops.clone();
                    let sample_key = sample_key.clone();
                    let target = target.clone();
                    view! {
                    <section class="docs-group" aria-label=label>
                        <h2>{g.name}</h2>
                        {g.description.map(|d| view! { <div class="muted docs-md" inner_html=d></div> })}
                        {g.operations.into_iter().map(|o| view! { <Operation o keys=keys.clone() sample_key=sample_key.clone() target=target.clone()/> }).collect_view()}
                    </section>
                }}).collect_view()}
                {truncated.then(|| view! { <p class="muted small">"Some large schemas are shortened here; their full trees are under Schemas."</p> })}
                {(!schemas.is_empty()).then(|| view! {
                    <section class="docs-group" aria-label="Schemas">
                        <h2>"Schemas"</h2>
                        {schemas.into_iter().map(|s| {
                            let heading = format!("{}-title", s.anchor);
                            let labelled = heading.clone();
                            view! {
                                <article class="card docs-op docs-schema" id=s.anchor.clone() aria-labelledby=labelled>
                                    <h3 id=heading><a class="docs-anchor" href=format!("#{}", s.anchor)><code>{s.name}</code></a></h3>
                                    <SchemaTree rows=s.rows/>
                                </article>
                            }
                        }).collect_view()}
                    </section>
                })}
            </div>
        </div>
        </DocsTools>
    }
}

/// Where "Try it" sends calls and how the key goes in: from the reference, the same for
/// every operation.
#[derive(Clone)]
struct TryTarget {
    /// The document's server (absolute), if it names one.
    server: Option<String>,
    /// Where the key goes.
    key_usage: KeyUsage,
}

/// A parameter's example as a form value (`"abc"` → `abc`).
fn example_value(example: Option<&str>) -> String {
    match example {
        Some(e) if e.len() >= 2 && e.starts_with('"') && e.ends_with('"') => e[1..e.len() - 1].to_owned(),
        Some(e) => e.to_owned(),
        None => String::new(),
    }
}

/// "Try it": a form for one call of the operation, sent through Keyport's relay by the
/// page's island (the form carries what it needs in data attributes).
#[component]
fn TryIt(anchor: String, method: String, path: String, parameters: Vec<ParameterView>, body: Option<(String, String)>, target: TryTarget) -> impl IntoView {
    let Some(server) = target.server.filter(|s| s.starts_with("http://") || s.starts_with("https://")) else {
        return ().into_any();
    };
    let KeyUsage { location, name, prefix, .. } = target.key_usage;
    let key_id = format!("{anchor}-try-key");
    let fields: Vec<ParameterView> = parameters.into_iter().filter(|p| matches!(p.location.as_str(), "path" | "query" | "header")).collect();
    let hint = format!("Sent by this portal's server to {server}, with the key you paste: it is used for this call only, never stored.");
    let media = body.as_ref().map(|(m, _)| m.clone()).unwrap_or_default();
    let key_hint = format!("Goes in {}{}.", if location == "query" { "the query parameter " } else { "" }, if prefix.is_empty() { name.clone() } else { format!("{name}: {prefix}…") });
    view! {
        <details class="try-it">
            <summary>"Try it"</summary>
            <form class="form try-form" data-try="" data-method=method.clone() data-path=path data-server=server
                data-key-in=location data-key-name=name data-key-prefix=prefix data-media=media>
                <p class="hint">{hint}</p>
                <div class="field">
                    <label for=key_id.clone()>"Your API key"</label>
                    <input type="password" id=key_id data-field="key" autocomplete="off" spellcheck="false" placeholder="kp_test_…"/>
                    <p class="hint">{key_hint}</p>
                </div>
                {fields.into_iter().map(|p| {
                    let id = format!("{anchor}-try-{}-{}", p.location, keyport_core::dto::docs::anchor_safe(&p.name));
                    let label = format!("{} ({}{})", p.name, p.location, if p.required { ", required" } else { "" });
                    view! {
                        <div class="field">
                            <label for=id.clone()>{label}</label>
                            <input type="text" id=id data-field=p.location.clone() data-name=p.name.clone() value=example_value(p.example.as_deref()) required=p.required autocomplete="off"/>
                        </div>
                    }
                }).collect_view()}
                {body.map(|(media, example)| {
                    let id = format!("{anchor}-try-body");
                    view! {
                        <div class="field">
                            <label for=id.clone()>{format!("Body ({media})")}</label>
                            <textarea id=id data-field="body" rows="8" spellcheck="false" class="try-body">{example}</textarea>
                        </div>
                    }
                })}
                <button type="submit" class="btn btn-primary btn-sm">{format!("Send {method}")}</button>
                <noscript><p class="hint">"Try it needs JavaScript; the curl sample above works in a terminal."</p></noscript>
                <div class="try-out" data-try-out="" aria-live="polite"></div>
            </form>
        </details>
    }
    .into_any()
}

/// What a search found: links to the places on this page.
#[component]
fn SearchResultsView(s: SearchResults) -> impl IntoView {
    let SearchResults { query, hits, more } = s;
    let count = match hits.len() {
        0 => format!("Nothing matches “{query}”."),
        1 => format!("1 result for “{query}”"),
        n if more => format!("The first {n} results for “{query}”"),
        n => format!("{n} results for “{query}”"),
    };
    let none = hits.is_empty();
    view! {
        <section class="card docs-results" aria-label="Search results">
            <h2 class="docs-results-title" role="status">{count}</h2>
            {none.then(|| view! { <p class="muted">"Try fewer or shorter words, a path such as " <code>"/payments"</code> ", or a schema's name. " <a href="/portal/docs">"Show everything"</a></p> })}
            <ul class="docs-hits">
                {hits.into_iter().map(|h| view! {
                    <li>
                        <span class="badge badge-muted">{h.kind}</span> " "
                        <a href=format!("#{}", h.anchor)>{h.title}</a>
                        <span class="small muted docs-hit-detail">{h.detail}</span>
                    </li>
                }).collect_view()}
            </ul>
            {more.then(|| view! { <p class="small muted">"More match: add a word to narrow the search."</p> })}
        </section>
    }
}

/// How each refusal looks to a caller, for the authentication guide.
const REFUSALS: [(&str, &str, &str); 9] = [
    ("NOT_FOUND", "The key is not one we know (mistyped, or from another installation).", "Check the key you send; copy it again from where you stored it."),
    ("INVALID_FORMAT", "What was sent is not a key.", "Send the whole key, as it was shown, in the right header."),
    ("REVOKED", "The key was revoked, or its rotation grace period ended.", "Use its replacement, or create a new key."),
    ("EXPIRED", "The key is past its expiry date.", "Create a new key (or rotate it before it expires)."),
    ("DISABLED", "Someone on your team switched the key off.", "Ask your team's owner or admin, or use another key."),
    ("PENDING_APPROVAL", "The key waits for an approval.", "It works once approved; you get an email."),
    ("INSUFFICIENT_SCOPES", "The key lacks a scope this operation needs.", "Use a key holding the scope, or edit the key's scopes."),
    ("RATE_LIMITED", "Too many calls this minute for the key's limit.", "Wait for Retry-After seconds; spread calls out."),
    ("USAGE_EXCEEDED", "The key's or your plan's monthly quota is used up.", "Wait for the next period, or raise the quota."),
];

/// One sample's text on screen (the masked key, or a placeholder).
fn shown(s: &CodeSample, k: &SampleKey) -> String {
    s.code.replace(KEY_SENTINEL, &k.shown)
}

#[component]
fn Operation(o: OperationView, keys: Vec<DocsKey>, sample_key: SampleKey, target: TryTarget) -> impl IntoView {
    let OperationView { anchor, method, path, summary, description, deprecated, parameters, request_body, responses, security, security_optional, scopes, samples } = o;
    // "Try it" starts from the first example body of the first media type that has one.
    let try_body = request_body.as_ref().and_then(|b| b.contents.iter().find_map(|m| m.examples.first().map(|e| (m.media_type.clone(), e.value.clone()))));
    let try_it = view! { <TryIt anchor=anchor.clone() method=method.clone() path=path.clone() parameters=parameters.clone() body=try_body target/> };
    let heading = format!("{anchor}-title");
    let labelled_by = heading.clone();
    let holders: Vec<String> = keys.iter().filter(|k| scopes.iter().all(|s| k.scopes.contains(s))).map(|k| k.name.clone()).collect();
    let needs_scopes = !scopes.is_empty();
    let samples_label = format!("Code samples: {summary}");
    view! {
        <article class="card docs-op" id=anchor.clone() aria-labelledby=labelled_by>
            <h3 id=heading>
                <a class="docs-anchor" href=format!("#{anchor}")>{summary}</a>
                {deprecated.then(|| view! { " " <span class="badge badge-muted">"Deprecated"</span> })}
            </h3>
            <p class="docs-route"><span class=format!("method method-{}", method.to_lowercase())>{method.clone()}</span> " " <code>{path}</code></p>
            {description.map(|d| view! { <div class="docs-text docs-md" inner_html=d></div> })}
            {(!security.is_empty() || needs_scopes).then(|| view! {
                <div class="docs-security">
                    {(!security.is_empty()).then(|| view! {
                        <p><strong>"Authorization: "</strong>
                            {security.iter().enumerate().map(|(i, alt)| view! {
                                {(i > 0).then_some(" or ")}
                                {alt.iter().enumerate().map(|(j, u)| view! {
                                    {(j > 0).then_some(" and ")}
                                    <span title=u.summary.clone()><code>{u.scheme.clone()}</code></span>
                                }).collect_view()}
                            }).collect_view()}
                            {security_optional.then_some(" (optional)")}
                        </p>
                    })}
                    {needs_scopes.then(|| view! {
                        <p><strong>"Scopes: "</strong>
                            {scopes.iter().map(|s| view! { <code class="docs-scope">{s.clone()}</code> " " }).collect_view()}
                        </p>
                        <p class=if holders.is_empty() { "small docs-scope-none" } else { "small docs-scope-ok" }>
                            {if holders.is_empty() {
                                view! { "None of your keys holds " {if scopes.len() == 1 { "it" } else { "them all" }} ". " <a href="/portal/keys">"Create a key with these scopes"</a> }.into_any()
                            } else {
                                view! { "✓ Held by your key" {if holders.len() == 1 { " " } else { "s " }} {holders.join(", ")} }.into_any()
                            }}
                        </p>
                    })}
                </div>
            })}
            {(!parameters.is_empty()).then(|| view! {
                <h4>"Parameters"</h4>
                <ParamTable parameters/>
            })}
            {request_body.map(|b| view! { <RequestBody b/> })}
            {(!responses.is_empty()).then(|| view! {
                <h4>"Responses"</h4>
                <div class="docs-responses">
                    {responses.into_iter().enumerate().map(|(i, r)| view! { <Response r open=i == 0/> }).collect_view()}
                </div>
            })}
            {(!samples.is_empty()).then(|| {
                let first = samples[0].lang.clone();
                view! {
                <div class="samples" role="group" aria-label=samples_label
                    data-key-id=sample_key.id.clone() data-key-shown=sample_key.shown.clone() data-key-placeholder=sample_key.placeholder.clone()
                    data-key-retrievable=sample_key.retrievable.then_some("true")>
                    <div class="sample-tabs" role="group" aria-label="Sample language">
                        {samples.iter().map(|s| view! {
                            <button type="button" class="btn btn-ghost btn-sm" data-lang-pick=s.lang.clone() aria-pressed=(s.lang == first).to_string()>{s.lang.clone()}</button>
                        }).collect_view()}
                        <button type="button" class="btn btn-secondary btn-sm sample-copy" data-copy="">"Copy"</button>
                    </div>
                    {samples.iter().map(|s| view! {
                        <pre class="sample" data-lang=s.lang.clone() aria-label=format!("{} sample", s.lang)><code>{shown(s, &sample_key)}</code></pre>
                    }).collect_view()}
                </div>
            }})}
            {try_it}
        </article>
    }
}

#[component]
fn ParamTable(parameters: Vec<ParameterView>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table docs-params">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"In"</th><th scope="col">"Type"</th><th scope="col">"Description"</th></tr></thead>
                <tbody>
                    {parameters.into_iter().map(|p| view! {
                        <tr>
                            <td><code>{p.name}</code>
                                {p.required.then(|| view! { " " <span class="badge badge-warn">"required"</span> })}
                                {p.deprecated.then(|| view! { " " <span class="badge badge-muted">"deprecated"</span> })}
                            </td>
                            <td>{p.location}</td>
                            <td><code>{p.type_label}</code></td>
                            <td>
                                <div class="docs-text docs-md" inner_html=p.description.unwrap_or_default()></div>
                                <Facts constraints=p.constraints enum_values=p.enum_values enum_more=p.enum_more example=p.example/>
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Limits, allowed values and an example, under a description.
#[component]
fn Facts(constraints: Vec<String>, enum_values: Vec<String>, enum_more: u32, example: Option<String>) -> impl IntoView {
    view! {
        {(!constraints.is_empty()).then(|| view! { <p class="docs-facts">{constraints.join(" · ")}</p> })}
        {(!enum_values.is_empty()).then(|| view! {
            <p class="docs-facts">"One of: "
                {enum_values.into_iter().map(|v| view! { <code>{v}</code> " " }).collect_view()}
                {(enum_more > 0).then(|| format!("and {enum_more} more"))}
            </p>
        })}
        {example.map(|e| view! { <p class="docs-facts">"Example: " <code>{e}</code></p> })}
    }
}

#[component]
fn RequestBody(b: BodyView) -> impl IntoView {
    view! {
        <h4>"Request body" {b.required.then(|| view! { " " <span class="badge badge-warn">"required"</span> })}</h4>
        {b.description.map(|d| view! { <div class="docs-text docs-md" inner_html=d></div> })}
        {b.contents.into_iter().map(|m| view! { <Media m/> }).collect_view()}
    }
}

#[component]
fn Response(r: ResponseView, open: bool) -> impl IntoView {
    let ResponseView { status, description, headers, contents } = r;
    let class = match status.chars().next() {
        Some('2') => "docs-status status-ok",
        Some('4') | Some('5') => "docs-status status-err",
        _ => "docs-status",
    };
    let empty = headers.is_empty() && contents.is_empty();
    let head = view! { <code class=class>{status}</code> " " <span>{description}</span> };
    if empty {
        return view! { <div class="docs-response docs-response-plain">{head}</div> }.into_any();
    }
    view! {
        <details class="docs-response" open=open>
            <summary>{head}</summary>
            {(!headers.is_empty()).then(|| view! { <h5>"Headers"</h5> <ParamTable parameters=headers/> })}
            {contents.into_iter().map(|m| view! { <Media m/> }).collect_view()}
        </details>
    }
    .into_any()
}

#[component]
fn Media(m: MediaView) -> impl IntoView {
    let MediaView { media_type, schema, examples } = m;
    view! {
        <div class="docs-media-block">
            <p class="docs-media-type"><code class="docs-media">{media_type}</code></p>
            {(!schema.is_empty()).then(|| view! { <SchemaTree rows=schema/> })}
            {examples.into_iter().map(|e| view! {
                <p class="small muted docs-example-label">
                    {match (e.name, e.summary, e.generated) {
                        (_, _, true) => "Example (made from the schema)".to_owned(),
                        (Some(n), Some(s), _) => format!("Example “{n}”: {s}"),
                        (Some(n), None, _) => format!("Example “{n}”"),
                        (None, Some(s), _) => format!("Example: {s}"),
                        (None, None, _) => "Example".to_owned(),
                    }}
                </p>
                <pre class="docs-example"><code>{e.value}</code></pre>
            }).collect_view()}
        </div>
    }
}

/// A schema as a nested list drawn from flat rows (no recursion: each row has its depth).
#[component]
pub fn SchemaTree(rows: Vec<SchemaRow>) -> impl IntoView {
    view! {
        <ul class="schema" role="list">
            {rows.into_iter().map(|r| {
                let depth = format!("schema-row depth-{}", r.depth.min(10));
                let link = r.ref_name.as_ref().filter(|_| r.circular || r.collapsed).map(|n| format!("#{}", keyport_core::dto::docs::schema_anchor(n)));
                view! {
                    <li class=depth>
                        <div class="schema-head">
                            {r.name.map(|n| view! { <code class="schema-name">{n}</code> " " })}
                            {match link {
                                Some(href) => view! { <a class="schema-type" href=href>{r.type_label}</a> }.into_any(),
                                None => view! { <span class="schema-type">{r.type_label}</span> }.into_any(),
                            }}
                            {r.required.then(|| view! { " " <span class="badge badge-warn">"required"</span> })}
                            {r.nullable.then(|| view! { " " <span class="badge badge-muted">"nullable"</span> })}
                            {r.read_only.then(|| view! { " " <span class="badge badge-muted">"read-only"</span> })}
                            {r.write_only.then(|| view! { " " <span class="badge badge-muted">"write-only"</span> })}
                            {r.deprecated.then(|| view! { " " <span class="badge badge-muted">"deprecated"</span> })}
                            {r.circular.then(|| view! { " " <span class="badge badge-muted" title="This refers back to a schema above; it is not drawn again.">"↻ circular"</span> })}
                            {r.choice.map(|c| view! { " " <span class="small muted">{format!("({c} the options below)")}</span> })}
                        </div>
                        {r.description.map(|d| view! { <div class="docs-text docs-md schema-desc" inner_html=d></div> })}
                        <Facts constraints=r.constraints enum_values=r.enum_values enum_more=r.enum_more example=r.example/>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// The page's one island: picks the samples' language (remembered in this browser) and
/// copies a sample — with the key itself when it was made in this tab moments ago, else
/// with a placeholder named after the key. Everything it works on is drawn by the server.
#[island]
fn DocsTools(children: Children) -> impl IntoView {
    crate::islands::ready();
    let status = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(lang) = storage(false).and_then(|s| s.get_item("keyport.sample-lang").ok().flatten()) {
            pick_language(&lang);
        }
    });
    view! {
        <div class="docs-tools" on:submit=move |ev| {
            #[cfg(feature = "hydrate")]
            submit_try(ev);
            #[cfg(not(feature = "hydrate"))]
            let _ = ev;
        } on:click=move |ev| {
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
                if let Ok(Some(button)) = el.closest("[data-lang-pick]") {
                    if let Some(lang) = button.get_attribute("data-lang-pick") {
                        pick_language(&lang);
                        if let Some(s) = storage(false) {
                            let _ = s.set_item("keyport.sample-lang", &lang);
                        }
                    }
                } else if let Ok(Some(button)) = el.closest("[data-copy]") {
                    leptos::task::spawn_local(async move {
                        if let Some(message) = copy_sample(&button).await {
                            status.set(message);
                        }
                    });
                }
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (ev, status);
        }>
            {children()}
            <p class="visually-hidden" role="status">{move || status.get()}</p>
        </div>
    }
}

/// "Try it": builds the call from the form the server drew (its data attributes and
/// fields), sends it through the relay and shows the answer as text.
#[cfg(feature = "hydrate")]
fn submit_try(ev: web_sys::SubmitEvent) {
    use wasm_bindgen::JsCast;
    let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok()) else { return };
    if !form.has_attribute("data-try") {
        return;
    }
    ev.prevent_default();
    let attr = |n: &str| form.get_attribute(n).unwrap_or_default();
    let encode = |s: &str| js_sys::encode_uri_component(s).as_string().unwrap_or_default();
    let (method, mut path, server) = (attr("data-method"), attr("data-path"), attr("data-server"));
    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers = String::new();
    let mut body = None;
    let mut key = String::new();
    let Ok(fields) = form.query_selector_all("[data-field]") else { return };
    for i in 0..fields.length() {
        let Some(el) = fields.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok()) else { continue };
        let value = if let Some(input) = el.dyn_ref::<web_sys::HtmlInputElement>() {
            input.value()
        } else if let Some(area) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
            area.value()
        } else {
            continue;
        };
        let name = el.get_attribute("data-name").unwrap_or_default();
        match el.get_attribute("data-field").as_deref() {
            Some("key") => key = value.trim().to_owned(),
            Some("path") => path = path.replace(&format!("{{{name}}}"), &encode(&value)),
            Some("query") if !value.is_empty() => query.push((name, value)),
            Some("header") if !value.is_empty() => headers.push_str(&format!("{name}: {}\n", value.replace(['\r', '\n'], " "))),
            Some("body") if !value.trim().is_empty() => body = Some(value),
            _ => {}
        }
    }
    if !key.is_empty() {
        if attr("data-key-in") == "query" {
            query.push((attr("data-key-name"), key));
        } else {
            headers.push_str(&format!("{}: {}{key}\n", attr("data-key-name"), attr("data-key-prefix")));
        }
    }
    if body.is_some() && !attr("data-media").is_empty() {
        headers.push_str(&format!("Content-Type: {}\n", attr("data-media")));
    }
    let mut url = format!("{server}{path}");
    if !query.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&"));
    }
    let Some(out) = form.query_selector("[data-try-out]").ok().flatten() else { return };
    out.set_text_content(Some("Sending…"));
    leptos::task::spawn_local(async move {
        let answer = crate::api::try_call(method, url, headers, body).await;
        show_answer(&out, answer);
    });
}

/// Draws the relay's answer (or why it was not sent) into `out`, as text only.
#[cfg(feature = "hydrate")]
fn show_answer(out: &web_sys::Element, answer: Result<crate::api::TryAnswer, crate::error::AppError>) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let el = |tag: &str, class: &str, text: &str| {
        let e = doc.create_element(tag).ok()?;
        e.set_class_name(class);
        e.set_text_content(Some(text));
        Some(e)
    };
    out.set_text_content(None);
    match answer {
        Ok(a) => {
            let class = if a.status < 400 { "try-status status-ok" } else { "try-status status-err" };
            if let Some(p) = el("p", class, &format!("{} {} · {} ms", a.status, a.reason, a.elapsed_ms)) {
                let _ = p.set_attribute("role", "status");
                let _ = out.append_child(&p);
            }
            if let Some(d) = el("details", "try-headers", "") {
                if let Some(s) = el("summary", "", &format!("Headers ({})", a.headers.len())) {
                    let _ = d.append_child(&s);
                }
                let lines: Vec<String> = a.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                if let Some(pre) = el("pre", "docs-example", &lines.join("\n")) {
                    let _ = d.append_child(&pre);
                }
                let _ = out.append_child(&d);
            }
            if let Some(pre) = el("pre", "docs-example try-body-out", &a.body) {
                let _ = pre.set_attribute("aria-label", "Answer body");
                let _ = out.append_child(&pre);
            }
            if a.truncated {
                if let Some(p) = el("p", "small muted", "The answer is longer than 256 KB; the rest is cut.") {
                    let _ = out.append_child(&p);
                }
            }
        }
        Err(e) => {
            if let Some(p) = el("p", "alert alert-error", &e.to_string()) {
                let _ = p.set_attribute("role", "alert");
                let _ = out.append_child(&p);
            }
        }
    }
}

/// The browser's session (`true`) or local storage.
#[cfg(feature = "hydrate")]
fn storage(session: bool) -> Option<web_sys::Storage> {
    let w = web_sys::window()?;
    if session { w.session_storage().ok().flatten() } else { w.local_storage().ok().flatten() }
}

/// Shows every sample in `lang` and marks its buttons pressed.
#[cfg(feature = "hydrate")]
fn pick_language(lang: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    if let Ok(Some(root)) = doc.query_selector(".docs-tools") {
        let _ = root.set_attribute("data-lang", lang);
    }
    if let Ok(buttons) = doc.query_selector_all("[data-lang-pick]") {
        for i in 0..buttons.length() {
            if let Some(b) = buttons.item(i).and_then(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok()) {
                let pressed = b.get_attribute("data-lang-pick").as_deref() == Some(lang);
                let _ = b.set_attribute("aria-pressed", if pressed { "true" } else { "false" });
            }
        }
    }
}

/// Copies the sample shown beside `button`; says what was copied. The key goes in when this
/// tab made it in the last fifteen minutes (the key page left it in session storage), or
/// when it is retrievable and this session confirmed its person recently (asked from the
/// server, which audits the copy); otherwise a placeholder named after it.
#[cfg(feature = "hydrate")]
async fn copy_sample(button: &web_sys::Element) -> Option<String> {
    let block = button.closest(".samples").ok()??;
    let lang = web_sys::window()?.document()?.query_selector(".docs-tools").ok()??.get_attribute("data-lang").unwrap_or_else(|| "curl".into());
    let pre = block.query_selector(&format!("pre[data-lang=\"{lang}\"]")).ok()??;
    let text = pre.text_content()?;
    let id = block.get_attribute("data-key-id").unwrap_or_default();
    let shown = block.get_attribute("data-key-shown").unwrap_or_default();
    let placeholder = block.get_attribute("data-key-placeholder").unwrap_or_default();
    let recent = storage(true).and_then(|s| s.get_item("keyport.recent-key").ok().flatten()).and_then(|v| {
        // "<key id> <made at, ms since the epoch> <key>"
        let mut parts = v.splitn(3, ' ');
        let (key_id, at, secret) = (parts.next()?, parts.next()?.parse::<f64>().ok()?, parts.next()?);
        let fresh = js_sys::Date::now() - at < 15.0 * 60.0 * 1000.0;
        (fresh && !id.is_empty() && key_id == id).then(|| secret.to_owned())
    });
    let mut confirm_first = false;
    let recent = match recent {
        Some(s) => Some(s),
        None if block.get_attribute("data-key-retrievable").is_some() => match crate::api::retrieve_key(id.clone(), "copy".into(), None).await {
            Ok(secret) => Some(secret),
            Err(_) => {
                confirm_first = true;
                None
            }
        },
        None => None,
    };
    let (text, message) = match recent {
        Some(secret) => (text.replace(&shown, &secret), "Sample copied, with your key in it.".to_owned()),
        None if shown.is_empty() => (text, "Sample copied.".to_owned()),
        None if confirm_first => (
            text.replace(&shown, &placeholder),
            format!("Sample copied with {placeholder} in it: confirm it is you on the key's page, and samples copied after carry the key."),
        ),
        None => (text.replace(&shown, &placeholder), format!("Sample copied: put your key where it says {placeholder}.")),
    };
    let done = RwSignal::new(None::<bool>);
    crate::components::key_parts::copy_to_clipboard(text, done);
    let _ = button.set_attribute("data-copied", "true");
    button.set_text_content(Some("Copied"));
    Some(message)
}
