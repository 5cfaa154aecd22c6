//! `/portal/catalogue`: the APIs this portal offers. Each product says what it is, where its
//! docs are and which scopes it grants keys; the team has it (every team, through its plan,
//! or approved), has asked for it, was denied (with the reason), or may ask for it.

use crate::api::{get_catalogue, RequestProduct};
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::components::forms::{field_error, form_error, last_error, FormAlert, Typed};
use crate::islands::OpenDialog;
use keyport_core::dto::billing::{CatalogueEntry, ProductAccessStatus};
use leptos::prelude::*;
use leptos_meta::Title;

/// The catalogue page.
#[component]
pub fn CataloguePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_catalogue());
    let ask = ServerAction::<RequestProduct>::new();
    let err = last_error(ask);
    let requested = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("requested").is_some());
    view! {
        <Title text="API catalogue"/>
        <header class="page-header">
            <h1>"API catalogue"</h1>
            <p class="muted">"The APIs you can use, the permissions (scopes) they give your keys, and those you can ask for."</p>
        </header>
        {requested.then(|| view! { <p class="alert alert-ok" role="status">"Asked: the provider reviews it and you get an email with the answer."</p> })}
        <FormAlert message=form_error(err, &["reason"])/>
        <Suspense fallback=|| view! { <p class="muted" role="status">"Loading the catalogue…"</p> }>
            {move || data.get().map(|r| match r {
                Ok(c) if c.entries.is_empty() => view! {
                    <p class="muted">"This portal lists no products: every permission is open to your keys."</p>
                }.into_any(),
                Ok(c) => {
                    let can = c.can_request;
                    view! {
                        <ul class="plan-list product-list">
                            {c.entries.into_iter().map(|e| view! { <Product e can ask err/> }).collect_view()}
                        </ul>
                    }.into_any()
                }
                Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Product(e: CatalogueEntry, can: bool, ask: ServerAction<RequestProduct>, err: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    let p = e.product;
    let heading = format!("product-{}", p.id);
    let dialog = format!("ask-{}", p.id);
    let typed = Typed::of("catalogue/request");
    let refused_here = typed.get("product").as_deref() == Some(p.id.as_str());
    let reason = if refused_here { typed.get("reason").unwrap_or_default() } else { String::new() };
    let (badge, note) = match &e.status {
        ProductAccessStatus::Included { how } => ("badge badge-ok", format!("Your team has it ({how}).")),
        ProductAccessStatus::Requested { at } => ("badge badge-warn", format!("Asked for on {}: waiting for the provider.", at.format("%d %b %Y"))),
        ProductAccessStatus::Denied { reason } => ("badge badge-muted", format!("Not approved: {reason}")),
        ProductAccessStatus::Available => ("badge badge-muted", "Offered on request: ask for it, saying what you will build.".to_owned()),
    };
    let label = match &e.status {
        ProductAccessStatus::Included { .. } => "Included",
        ProductAccessStatus::Requested { .. } => "Requested",
        ProductAccessStatus::Denied { .. } => "Denied",
        ProductAccessStatus::Available => "On request",
    };
    let askable = can && matches!(e.status, ProductAccessStatus::Available | ProductAccessStatus::Denied { .. });
    view! {
        <li class="card plan-card" aria-labelledby=heading.clone()>
            <h2 id=heading.clone() class="plan-name">{p.name.clone()}</h2>
            <p><span class=badge>{label}</span></p>
            {p.description.clone().map(|d| view! { <p class="muted">{d}</p> })}
            <p class="small">{note}</p>
            <dl class="details">
                <dt>"Scopes"</dt>
                <dd><ul class="feature-list">{p.scopes.iter().map(|s| view! { <li><code>{s.clone()}</code></li> }).collect_view()}</ul></dd>
            </dl>
            {p.docs_path.clone().map(|d| view! { <p><a href=d>{format!("{} docs", p.name)}</a></p> })}
            {askable.then(|| view! {
                <OpenDialog dialog=dialog.clone() label=format!("Ask for {}", p.name) class="btn btn-primary".to_owned()/>
                <NativeDialog id=dialog.clone() title=format!("Ask for {}", p.name) open=refused_here>
                    <ActionForm action=ask attr:class="form" attr:novalidate=true>
                        <input type="hidden" name="product" value=p.id.clone()/>
                        <div class="field">
                            <label for=format!("{dialog}-reason")>"What will you use it for?"</label>
                            <textarea id=format!("{dialog}-reason") name="reason" rows="4" maxlength="500" required=true
                                aria-describedby=format!("{dialog}-reason-error")>{reason}</textarea>
                            <p class="field-error" id=format!("{dialog}-reason-error") role="alert" hidden=move || field_error(err, "reason").get().is_none()>
                                {move || field_error(err, "reason").get()}
                            </p>
                        </div>
                        {confirm_buttons("Send request", "btn btn-primary")}
                    </ActionForm>
                </NativeDialog>
            })}
        </li>
    }
}
