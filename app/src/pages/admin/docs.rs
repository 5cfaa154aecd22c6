//! `/admin/docs`: the API document the portal's docs show — import a new version from a file
//! (checked first; a refusal says where and why and changes nothing), every version with the
//! one in effect marked and a way back to any other — and the operator's guides (added with
//! `keyport docs page add`), each removable.

use super::{admin_view, done_line};
use crate::api::{admin_docs, AdminRemoveGuide, AdminRollbackDocument};
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::components::forms::{error_message, FormAlert};
use crate::format::date_time;
use crate::islands::OpenDialog;
use keyport_core::dto::admin::{AdminDocs, DocVersionRow, GuideRow};
use leptos::prelude::*;
use leptos_meta::Title;

/// The console's docs page.
#[component]
pub fn AdminDocsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| admin_docs());
    view! {
        <Title text="Docs · Admin"/>
        {admin_view(data, "Loading the API document…", move |d: AdminDocs| view! {
            <header class="page-header">
                <h1>"Docs"</h1>
                <p class="muted">"The OpenAPI document the portal's docs draw, in effect on every node at once, and your own guides beside it."</p>
            </header>
            {done_line(&[
                ("imported", "Imported: the new version is in effect on every node."),
                ("rolled-back", "That version is in effect again on every node."),
                ("guide-removed", "Guide removed."),
            ])}
            <section class="card section" aria-labelledby="import-title">
                <h2 id="import-title">"Import a version"</h2>
                <p class="muted">"OpenAPI 3.0 or 3.1, YAML or JSON, at most 5 MB. It is checked first: a refused document changes nothing. The same as " <code>"keyport docs import FILE"</code> "."</p>
                <ImportDocument/>
                <noscript><p class="hint">"Importing from here needs JavaScript; " <code>"keyport docs import FILE"</code> " does the same."</p></noscript>
            </section>
            <Versions list=d.versions/>
            <Guides list=d.guides/>
        })}
    }
}

#[component]
fn Versions(list: Vec<DocVersionRow>) -> impl IntoView {
    let rollback = ServerAction::<AdminRollbackDocument>::new();
    if list.is_empty() {
        return view! {
            <section class="card empty-state" aria-labelledby="versions-title">
                <h2 id="versions-title">"No document yet"</h2>
                <p class="muted">"Import your API's OpenAPI document: the portal's docs draw it for every developer."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <FormAlert message=error_message(rollback)/>
        <section class="card section" aria-labelledby="versions-title">
            <h2 id="versions-title">"Versions"</h2>
            <div class="table-wrap">
                <table class="keys-table">
                    <thead><tr>
                        <th scope="col">"Version"</th><th scope="col">"Title"</th><th scope="col" class="hide-sm">"OpenAPI"</th>
                        <th scope="col">"Operations"</th><th scope="col" class="hide-sm">"Imported"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|v| {
                            let dialog = format!("rollback-{}", v.version);
                            view! {
                                <tr>
                                    <th scope="row">{format!("v{}", v.version)}
                                        {v.active.then(|| view! { " " <span class="badge badge-ok">"In effect"</span> })}
                                    </th>
                                    <td>{format!("{} {}", v.title, v.api_version)}</td>
                                    <td class="hide-sm">{format!("{} · {}", v.openapi, v.format)}</td>
                                    <td>{v.operations}</td>
                                    <td class="hide-sm">{date_time(v.created_at)} <div class="small muted">{v.created_by.clone()}</div></td>
                                    <td class="actions">{(!v.active).then(|| view! {
                                        <OpenDialog dialog=dialog.clone() label="Put back".to_owned() class="btn btn-ghost btn-sm".to_owned() aria_label=format!("Put version {} back in effect", v.version)/>
                                        <NativeDialog id=dialog title=format!("Put version {} back?", v.version)>
                                            <p>"Every node's docs show this version from now on. The history stays; importing again makes a new version."</p>
                                            <ActionForm action=rollback>
                                                <input type="hidden" name="to" value=v.version.to_string()/>
                                                {confirm_buttons("Put it back", "btn btn-primary")}
                                            </ActionForm>
                                        </NativeDialog>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

#[component]
fn Guides(list: Vec<GuideRow>) -> impl IntoView {
    let remove = ServerAction::<AdminRemoveGuide>::new();
    view! {
        <FormAlert message=error_message(remove)/>
        <section class="card section" aria-labelledby="guides-title">
            <h2 id="guides-title">"Guides"</h2>
            <p class="muted">"Markdown pages shown after the authentication guide, lowest position first. Add or replace one with "
                <code>"keyport docs page add --title T --file F.md"</code> "."</p>
            {if list.is_empty() {
                view! { <p class="muted">"No guides yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="admin-guides">
                        {list.into_iter().map(|g| {
                            let dialog = format!("remove-guide-{}", g.slug);
                            view! {
                                <li>
                                    <span><strong>{g.title.clone()}</strong>
                                        <span class="small muted">{format!(" · #guide-{} · position {} · {} bytes · {}", g.slug, g.position, g.bytes, date_time(g.updated_at))}</span>
                                    </span>
                                    <OpenDialog dialog=dialog.clone() label="Remove".to_owned() class="btn btn-danger-ghost btn-sm".to_owned() aria_label=format!("Remove {}", g.title)/>
                                    <NativeDialog id=dialog title=format!("Remove “{}”?", g.title)>
                                        <p>"It disappears from every node's docs. Its Markdown is not kept here: keep your file."</p>
                                        <ActionForm action=remove>
                                            <input type="hidden" name="slug" value=g.slug.clone()/>
                                            {confirm_buttons("Remove guide", "btn btn-danger")}
                                        </ActionForm>
                                    </NativeDialog>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Reads the chosen file in the browser and sends its text to the import; the answer (the
/// new version, or where and why it was refused) shows below, and the file stays chosen.
#[island]
fn ImportDocument() -> impl IntoView {
    crate::islands::ready();
    let message = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    let send = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = input.get().and_then(|i| i.files()).and_then(|f| f.get(0)) else {
                message.set(Some(Err("Choose a file first.".into())));
                return;
            };
            if file.size() > keyport_core::dto::docs::MAX_DOCUMENT_BYTES as f64 {
                message.set(Some(Err(format!("{} is larger than 5 MB: nothing was sent.", file.name()))));
                return;
            }
            busy.set(true);
            message.set(None);
            leptos::task::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string());
                let outcome = match text {
                    None => Err("The file could not be read as text.".to_owned()),
                    Some(document) => match crate::api::admin_import_document(document).await {
                        Ok(v) => Ok(format!("Imported version {}: {} {} ({} operations).", v.version, v.title, v.api_version, v.operations)),
                        Err(e) => Err(e.to_string()),
                    },
                };
                let imported = outcome.is_ok();
                message.set(Some(outcome));
                busy.set(false);
                if imported {
                    // The versions table is drawn on the server: load it again with the news.
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().set_href("/admin/docs?done=imported");
                    }
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (input, busy);
    };
    view! {
        <div class="form import-form">
            <div class="field">
                <label for="docs-file">"Document file"</label>
                <input type="file" id="docs-file" node_ref=input accept=".yaml,.yml,.json,application/json,application/yaml"/>
            </div>
            <button type="button" class="btn btn-primary" disabled=move || busy.get() on:click=send>
                {move || if busy.get() { "Importing…" } else { "Import" }}
            </button>
            <p role="status" class=move || match message.get() { Some(Ok(_)) => "alert alert-ok", Some(Err(_)) => "alert alert-error", None => "" }
                hidden=move || message.get().is_none()>
                {move || message.get().map(|m| m.unwrap_or_else(|e| e))}
            </p>
        </div>
    }
}
