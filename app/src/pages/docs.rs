//! `/portal/docs`: the API reference, drawn on the server from the operator's OpenAPI
//! document in effect — a contents list by tag and, per operation, its method and path, what
//! it does, its parameters and its responses, each with a link of its own (`#op-…`).

use crate::api::get_api_reference;
use keyport_core::dto::docs::{ApiReference, OperationView};
use leptos::prelude::*;
use leptos_meta::Title;

/// The docs page.
#[component]
pub fn DocsPage() -> impl IntoView {
    let reference = Resource::new(|| (), |_| get_api_reference());
    view! {
        <Title text="Docs"/>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading the API reference…"</p> }>
            {move || reference.get().map(|r| match r {
                Ok(Some(r)) => view! { <Reference r/> }.into_any(),
                Ok(None) => view! {
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

#[component]
fn Reference(r: ApiReference) -> impl IntoView {
    let ApiReference { title, version, description, server, groups } = r;
    let contents = groups.clone();
    view! {
        <header class="page-header">
            <h1>{title}</h1>
            <p class="muted">{format!("API reference · version {version}")}
                {server.map(|s| view! { " · " <code>{s}</code> })}
            </p>
        </header>
        // Sanitized HTML, rendered from CommonMark on the server.
        {description.map(|d| view! { <div class="docs-intro docs-md" inner_html=d></div> })}
        <div class="docs">
            <nav class="docs-nav card" aria-label="API reference contents">
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
            </nav>
            <div class="docs-body">
                {groups.into_iter().map(|g| {
                    let label = g.name.clone();
                    view! {
                    <section class="docs-group" aria-label=label>
                        <h2>{g.name}</h2>
                        {g.description.map(|d| view! { <div class="muted docs-md" inner_html=d></div> })}
                        {g.operations.into_iter().map(|o| view! { <Operation o/> }).collect_view()}
                    </section>
                }}).collect_view()}
            </div>
        </div>
    }
}

#[component]
fn Operation(o: OperationView) -> impl IntoView {
    let OperationView { anchor, method, path, summary, description, deprecated, parameters, request_body, responses } = o;
    let heading = format!("{anchor}-title");
    let labelled_by = heading.clone();
    view! {
        <article class="card docs-op" id=anchor.clone() aria-labelledby=labelled_by>
            <h3 id=heading>
                <a class="docs-anchor" href=format!("#{anchor}")>{summary}</a>
                {deprecated.then(|| view! { " " <span class="badge badge-muted">"Deprecated"</span> })}
            </h3>
            <p class="docs-route"><span class=format!("method method-{}", method.to_lowercase())>{method.clone()}</span> " " <code>{path}</code></p>
            {description.map(|d| view! { <div class="docs-text docs-md" inner_html=d></div> })}
            {(!parameters.is_empty()).then(|| view! {
                <h4>"Parameters"</h4>
                <div class="table-wrap">
                    <table class="table">
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"In"</th><th scope="col">"Type"</th><th scope="col">"Description"</th></tr></thead>
                        <tbody>
                            {parameters.into_iter().map(|p| view! {
                                <tr>
                                    <td><code>{p.name}</code>{p.required.then(|| view! { " " <span class="badge badge-muted">"required"</span> })}</td>
                                    <td>{p.location}</td>
                                    <td><code>{p.type_label}</code></td>
                                    <td class="docs-text docs-md" inner_html=p.description.unwrap_or_default()></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            {(!request_body.is_empty()).then(|| view! {
                <h4>"Request body"</h4>
                <p>{request_body.into_iter().map(|m| view! { <code class="docs-media">{m}</code> " " }).collect_view()}</p>
            })}
            {(!responses.is_empty()).then(|| view! {
                <h4>"Responses"</h4>
                <ul class="docs-responses">
                    {responses.into_iter().map(|r| view! {
                        <li>
                            <code class="docs-status">{r.status}</code> " " {r.description}
                            {r.media_types.into_iter().map(|m| view! { " " <code class="docs-media">{m}</code> }).collect_view()}
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </article>
    }
}
