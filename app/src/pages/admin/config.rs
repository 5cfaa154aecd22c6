//! `/admin/settings` (the CLI's settings, same validation) and `/admin/tokens` (operator
//! tokens: created ones shown once, list, revoke).

use super::{admin_view, done_line};
use crate::api::{admin_settings, admin_tokens, AdminCreateToken, AdminRevokeToken, AdminSetSetting, AdminUnsetSetting};
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::components::forms::{error_message, field_error, form_error, last_error, FormAlert, TextField, Typed};
use crate::format::{date, date_or};
use crate::islands::OpenDialog;
use keyport_core::dto::admin::{SettingRow, TokenRow};
use leptos::prelude::*;
use leptos_meta::Title;

/// Settings whose value is long text, edited in a text area.
fn multiline(key: &str) -> bool {
    key.ends_with("_html") || key.ends_with("_css") || key == "signup.fields"
}

/// Every setting, each with its own form.
#[component]
pub fn AdminSettingsPage() -> impl IntoView {
    let rows = Resource::new(|| (), |_| admin_settings());
    let saved = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("saved"));
    view! {
        <Title text="Settings · Admin"/>
        {admin_view(rows, "Loading settings…", move |list: Vec<SettingRow>| {
            let saved = saved.clone();
            view! {
                <header class="page-header">
                    <h1>"Settings"</h1>
                    <p class="muted">"What keyport settings changes, here: checked the same way, audited, and in effect on every node within a second. Unset one to go back to the default from the environment."</p>
                </header>
                {saved.map(|k| view! { <p class="alert alert-ok" role="status">{format!("Saved {k}.")}</p> })}
                <div class="settings-list">
                    {list.into_iter().map(|s| view! { <SettingForm s/> }).collect_view()}
                </div>
            }
        })}
    }
}

#[component]
fn SettingForm(s: SettingRow) -> impl IntoView {
    let set = ServerAction::<AdminSetSetting>::new();
    let unset = ServerAction::<AdminUnsetSetting>::new();
    let err = last_error(set);
    let value_err = field_error(err, "value");
    let typed = Typed::of(&format!("admin/settings/set/{}", s.key));
    let id = format!("setting-{}", s.key.replace('.', "-"));
    let error_id = format!("{id}-error");
    let encrypted = s.value == "<encrypted>";
    let value = typed.get("value").unwrap_or_else(|| if encrypted { String::new() } else { s.value.clone() });
    let stored = s.source == "stored";
    let label_id = format!("{id}-label");
    let section_label = label_id.clone();
    let (key, unset_key, save_label, unset_label) =
        (s.key.clone(), s.key.clone(), format!("Save {}", s.key), format!("Back to the default for {}", s.key));
    let (about, shown_key, long) = (s.about.clone(), s.key.clone(), multiline(&s.key));
    view! {
        <section class="card section setting" aria-labelledby=section_label>
            <FormAlert message=form_error(err, &["value"])/>
            <FormAlert message=error_message(unset)/>
            <ActionForm action=set attr:class="form" attr:novalidate=true>
                <input type="hidden" name="key" value=key/>
                <div class="field">
                    <label id=label_id for=id.clone()><code>{shown_key}</code></label>
                    <p class="hint">{about} {if stored { " · stored" } else { " · default" }}</p>
                    {if long {
                        view! { <textarea id=id.clone() name="value" rows="4" aria-describedby=error_id.clone()>{value}</textarea> }.into_any()
                    } else {
                        view! { <input id=id.clone() name="value" type="text" value=value placeholder=encrypted.then_some("<encrypted>: type a new value") aria-describedby=error_id.clone()/> }.into_any()
                    }}
                    <p class="field-error" id=error_id role="alert" hidden=move || value_err.get().is_none()>{move || value_err.get()}</p>
                </div>
                <div class="button-row">
                    <label class="checkbox small"><input type="checkbox" name="encrypted" value="on" checked=encrypted/>" Store encrypted"</label>
                    <button type="submit" class="btn btn-primary btn-sm" aria-label=save_label>"Save"</button>
                </div>
            </ActionForm>
            {stored.then(|| view! {
                <ActionForm action=unset attr:class="inline-form">
                    <input type="hidden" name="key" value=unset_key.clone()/>
                    <button type="submit" class="btn btn-ghost btn-sm" aria-label=unset_label.clone()>"Back to default"</button>
                </ActionForm>
            })}
        </section>
    }
}

/// What an operator token may call, for the create form.
const TOKEN_SCOPES: [(&str, &str); 5] = [
    ("verify", "verify keys (POST /v1/keys/verify)"),
    ("usage", "report served requests and read usage"),
    ("leaks", "report leaked keys"),
    ("embed", "start embedded portal sessions"),
    ("admin", "operator routes of /v1"),
];

/// Operator tokens.
#[component]
pub fn AdminTokensPage() -> impl IntoView {
    let rows = Resource::new(|| (), |_| admin_tokens());
    let created = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("created"));
    #[cfg(feature = "ssr")]
    let shown = created.and_then(|id| crate::api::ssr::take_handed_over_token(&id).map(|t| (id, t)));
    #[cfg(not(feature = "ssr"))]
    let shown: Option<(String, String)> = {
        let _ = created;
        None
    };
    view! {
        <Title text="Operator tokens · Admin"/>
        {admin_view(rows, "Loading tokens…", move |list: Vec<TokenRow>| {
            let shown = shown.clone();
            view! {
                <header class="page-header page-header-row">
                    <div>
                        <h1>"Operator tokens"</h1>
                        <p class="muted">"Your backend and gateway call /v1 with these. Each token is shown once, when it is made; a revoked token is refused on every node within a second."</p>
                    </div>
                    <OpenDialog dialog="new-token".to_owned() label="New token".to_owned() class="btn btn-primary".to_owned()/>
                </header>
                {shown.map(|(id, token)| view! {
                    <section class="card section alert-ok" aria-labelledby="token-once">
                        <h2 id="token-once">"Your new token"</h2>
                        <p>"Store it now: it is not shown again. Send it as " <code>"Authorization: Bearer …"</code> "."</p>
                        <label for="token-value" class="visually-hidden">{format!("Token {id}")}</label>
                        <input id="token-value" class="key-full" type="text" readonly=true value=token/>
                    </section>
                })}
                {done_line(&[("revoked", "Token revoked: refused on every node within a second.")])}
                <NewTokenDialog/>
                {if list.is_empty() {
                    view! { <section class="card empty-state"><h2>"No tokens yet"</h2><p class="muted">"Create one for your gateway or backend."</p></section> }.into_any()
                } else {
                    view! { <TokenTable list/> }.into_any()
                }}
            }
        })}
    }
}

#[component]
fn TokenTable(list: Vec<TokenRow>) -> impl IntoView {
    let revoke = ServerAction::<AdminRevokeToken>::new();
    view! {
        <FormAlert message=error_message(revoke)/>
        <div class="table-wrap card">
            <table class="keys-table">
                <caption class="visually-hidden">"Operator tokens"</caption>
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Scopes"</th><th scope="col" class="hide-sm">"Created"</th>
                    <th scope="col" class="hide-sm">"Last used"</th><th scope="col">"Expires"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|t| {
                        let dialog = format!("revoke-{}", t.id);
                        view! {
                            <tr>
                                <th scope="row">{t.name.clone()} <div class="small muted"><code>{t.id.clone()}</code></div></th>
                                <td>{t.scopes.replace(',', ", ")}</td>
                                <td class="hide-sm">{date(t.created_at)}</td>
                                <td class="hide-sm">{date_or(t.last_used_at, "Never")}</td>
                                <td>{if t.revoked_at.is_some() { "Revoked".to_owned() } else { date_or(t.expires_at, "Never") }}</td>
                                <td class="actions">{t.revoked_at.is_none().then(|| view! {
                                    <OpenDialog dialog=dialog.clone() label="Revoke".to_owned() class="btn btn-danger-ghost btn-sm".to_owned() aria_label=format!("Revoke {}", t.name)/>
                                    <NativeDialog id=dialog title=format!("Revoke {}?", t.name)>
                                        <p>"Whatever uses this token is refused from the next second on, on every node."</p>
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="id" value=t.id.clone()/>
                                            {confirm_buttons("Revoke token", "btn btn-danger")}
                                        </ActionForm>
                                    </NativeDialog>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn NewTokenDialog() -> impl IntoView {
    let create = ServerAction::<AdminCreateToken>::new();
    let err = last_error(create);
    let typed = Typed::of("admin/tokens/create");
    let open = err.get_untracked().is_some();
    view! {
        <NativeDialog id="new-token".to_owned() title="Create an operator token".to_owned() open>
            <FormAlert message=form_error(err, &["name", "scopes"])/>
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <TextField id="token-name" name="name" label="Name" maxlength=64 error=field_error(err, "name") value=typed.get("name")
                    hint=Some("What uses it, e.g. gateway.".to_owned())/>
                <fieldset class="field">
                    <legend>"May call"</legend>
                    {TOKEN_SCOPES.iter().map(|(v, l)| view! {
                        <label class="checkbox"><input type="checkbox" name="scope[]" value=*v checked=*v == "verify"/> <code>{*v}</code> " " {*l}</label>
                    }).collect_view()}
                    <p class="field-error" role="alert" hidden=move || field_error(err, "scopes").get().is_none()>{move || field_error(err, "scopes").get()}</p>
                </fieldset>
                <div class="field">
                    <label for="token-expires">"Expires"</label>
                    <select id="token-expires" name="expires">
                        {[("90", "In 90 days"), ("30", "In 30 days"), ("365", "In a year"), ("never", "Never")].into_iter()
                            .map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                    </select>
                </div>
                {confirm_buttons("Create token", "btn btn-primary")}
            </ActionForm>
        </NativeDialog>
    }
}
