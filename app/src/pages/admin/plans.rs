//! `/admin/billing/plans/:id` and `/admin/billing/products/:id` (`new` for a new one): the
//! console's forms for a plan's terms and a product's scopes, with the same checks as
//! `keyport plans` and `keyport products`; archiving asks first.

use super::admin_view;
use crate::api::{admin_billing, AdminArchivePlan, AdminArchiveProduct, AdminDefaultPlan, AdminSavePlan, AdminSaveProduct};
use crate::components::dialog::{confirm_buttons, NativeDialog};
use crate::components::forms::{error_message, field_error, form_error, last_error, CheckboxGroup, FormAlert, TextField, Typed};
use crate::islands::OpenDialog;
use keyport_core::dto::billing::{amount_text, AdminBillingView, Feature, PlanView, ProductView, ProductVisibility};
use leptos::prelude::*;
use leptos_meta::Title;

/// The id in the path (`new` for the form of a new one).
fn path_id() -> String {
    leptos_router::hooks::use_params_map().with_untracked(|p| p.get("id").unwrap_or_default())
}

/// The page's frame: a way back, the heading and the form.
fn frame(title: String, lead: &'static str, form: impl IntoView) -> impl IntoView {
    view! {
        <header class="page-header">
            <p class="small"><a href="/admin/billing">"← Billing"</a></p>
            <h1>{title}</h1>
            <p class="muted">{lead}</p>
        </header>
        {form}
    }
}

/// A plan's form.
#[component]
pub fn PlanEditPage() -> impl IntoView {
    let id = path_id();
    let data = Resource::new(|| (), |_| admin_billing());
    view! {
        <Title text="Plan · Admin"/>
        {admin_view(data, "Loading the plan…", move |b: AdminBillingView| {
            if id == "new" {
                return frame("New plan".into(), "Teams can switch to it from their billing page once it is public.", view! { <PlanForm plan=None/> }).into_any();
            }
            match b.plans.into_iter().find(|p| p.id == id) {
                Some(p) => frame(p.name.clone(), "New terms apply to the teams on it from their next request; what they were charged stays.", view! { <PlanForm plan=Some(p)/> }).into_any(),
                None => view! { <crate::pages::not_found::NotFound/> }.into_any(),
            }
        })}
    }
}

const PLAN_FIELDS: &[&str] = &["id", "name", "description", "currency", "price", "included", "overage", "ratelimit-cap", "max-keys", "features", "trial-days", "visibility"];

#[component]
fn PlanForm(plan: Option<PlanView>) -> impl IntoView {
    let save = ServerAction::<AdminSavePlan>::new();
    let err = last_error(save);
    let typed = Typed::of(&format!("admin/plans/save/{}", plan.as_ref().map_or("new", |p| p.id.as_str())));
    let fresh = typed.is_empty();
    let known: Vec<&str> = Feature::ALL.iter().map(|f| f.as_str()).collect();
    // What a field shows: what was typed into a refused form, else the plan's value.
    let val = |name: &str, current: Option<String>| if fresh { current } else { typed.get(name) };
    let p = plan.clone();
    let cur = move |f: fn(&PlanView) -> String| p.as_ref().map(f);
    let (ticked, other) = if fresh {
        let features = plan.as_ref().map(|p| p.features.clone()).unwrap_or_default();
        let (k, o): (Vec<String>, Vec<String>) = features.into_iter().partition(|f| known.contains(&f.as_str()));
        (k, o.join(" "))
    } else {
        (typed.all("feature"), typed.get("other_features").unwrap_or_default())
    };
    let visibility = val("visibility", plan.as_ref().map(|p| p.visibility.as_str().to_owned())).unwrap_or_else(|| "public".into());
    let v_name = val("name", cur(|p| p.name.clone()));
    let v_price = val("price", cur(|p| amount_text(p.price_minor, &p.currency))).or(Some("0".into()));
    let v_currency = val("currency", cur(|p| p.currency.clone())).or(Some("USD".into()));
    let v_included = val("included", cur(|p| keyport_core::dto::thousands(p.included_requests)));
    let v_overage = val("overage", cur(|p| p.overage_per_1000_minor.map_or_else(|| "stop".to_owned(), |o| amount_text(o, &p.currency)))).or(Some("stop".into()));
    let v_ratelimit_cap = val("ratelimit_cap", cur(|p| p.ratelimit_cap.map(|v| v.to_string()).unwrap_or_default()));
    let v_max_keys = val("max_keys", cur(|p| p.max_keys.map(|v| v.to_string()).unwrap_or_default()));
    let v_trial_days = val("trial_days", cur(|p| p.trial_days.to_string())).or(Some("0".into()));
    let v_description = val("description", cur(|p| p.description.clone().unwrap_or_default()));
    let typed_id = typed.get("id");
    let creating = plan.is_none();
    let id = plan.as_ref().map(|p| p.id.clone()).unwrap_or_default();
    view! {
        <section class="card section" aria-labelledby="plan-form-title">
            <h2 id="plan-form-title">{if creating { "Terms" } else { "Change the terms" }}</h2>
            <FormAlert message=form_error(err, PLAN_FIELDS)/>
            <ActionForm action=save attr:class="form form-wide" attr:novalidate=true>
                <input type="hidden" name="mode" value=if creating { "create" } else { "update" }/>
                {if creating {
                    view! { <TextField id="plan-id" name="id" label="Id" maxlength=40 error=field_error(err, "id") value=typed_id.clone()
                        hint=Some("Fixed once created: lowercase letters, digits and - (pro, team-2027).".to_owned())/> }.into_any()
                } else {
                    view! { <input type="hidden" name="id" value=id.clone()/> <p class="small muted">"Id " <code>{id.clone()}</code></p> }.into_any()
                }}
                <TextField id="plan-name" name="name" label="Name" maxlength=80 error=field_error(err, "name") value=v_name/>
                <div class="field">
                    <label for="plan-description">"Description (optional)"</label>
                    <textarea id="plan-description" name="description" rows="2" maxlength="500" aria-describedby="plan-description-error">
                        {v_description}
                    </textarea>
                    <p class="field-error" id="plan-description-error" role="alert" hidden=move || field_error(err, "description").get().is_none()>{move || field_error(err, "description").get()}</p>
                </div>
                <div class="form-row">
                    <TextField id="plan-price" name="price" label="Price per month" maxlength=20 error=field_error(err, "price")
                        value=v_price hint=Some("In major units: 49 or 49.00; 0 for free.".to_owned())/>
                    <TextField id="plan-currency" name="currency" label="Currency" maxlength=3 error=field_error(err, "currency")
                        value=v_currency hint=Some("ISO code; fixed while teams are on the plan.".to_owned())/>
                </div>
                <div class="form-row">
                    <TextField id="plan-included" name="included" label="Requests included per month" maxlength=20 error=field_error(err, "included")
                        value=v_included/>
                    <TextField id="plan-overage" name="overage" label="Past the included requests" maxlength=20 error=field_error(err, "overage")
                        value=v_overage
                        hint=Some("stop refuses them (USAGE_EXCEEDED); a price charges per 1,000 (0.50).".to_owned())/>
                </div>
                <div class="form-row">
                    <TextField id="plan-ratelimit-cap" name="ratelimit_cap" label="Rate-limit cap per key (per minute)" required=false maxlength=12 error=field_error(err, "ratelimit-cap")
                        value=v_ratelimit_cap hint=Some("Blank for the portal's own maximum.".to_owned())/>
                    <TextField id="plan-max-keys" name="max_keys" label="Most working keys" required=false maxlength=8 error=field_error(err, "max-keys")
                        value=v_max_keys hint=Some("Blank for no limit but the portal's.".to_owned())/>
                    <TextField id="plan-trial-days" name="trial_days" label="Trial days" maxlength=3 error=field_error(err, "trial-days")
                        value=v_trial_days hint=Some("Free days the first time a team takes it.".to_owned())/>
                </div>
                <CheckboxGroup id="plan-feature" name="feature" legend="Features" hint="What is locked without them shows an upgrade prompt."
                    options=Feature::ALL.iter().map(|f| (f.as_str().to_owned(), f.label().to_owned())).collect() selected=ticked error=field_error(err, "features")/>
                <TextField id="plan-other-features" name="other_features" label="Other feature flags (optional)" required=false maxlength=500 error=Signal::derive(|| None)
                    value=Some(other) hint=Some("Names of your own, separated by spaces (beta_api).".to_owned())/>
                <div class="field">
                    <label for="plan-visibility">"Visibility"</label>
                    <select id="plan-visibility" name="visibility" aria-describedby="plan-visibility-error">
                        {[("public", "Public: listed on every billing page"), ("hidden", "Hidden: only teams you put on it")].into_iter()
                            .map(|(v, l)| view! { <option value=v selected=visibility == v>{l}</option> }).collect_view()}
                    </select>
                    <p class="field-error" id="plan-visibility-error" role="alert" hidden=move || field_error(err, "visibility").get().is_none()>{move || field_error(err, "visibility").get()}</p>
                </div>
                <div class="button-row">
                    <button type="submit" class="btn btn-primary">{if creating { "Create plan" } else { "Save plan" }}</button>
                    <a class="btn btn-ghost" href="/admin/billing">"Cancel"</a>
                </div>
            </ActionForm>
        </section>
        {plan.map(|p| view! { <PlanStanding p/> })}
    }
}

/// The default mark and archiving, for a plan that exists.
#[component]
fn PlanStanding(p: PlanView) -> impl IntoView {
    let archive = ServerAction::<AdminArchivePlan>::new();
    let make_default = ServerAction::<AdminDefaultPlan>::new();
    let teams = p.teams;
    view! {
        <section class="card section" aria-labelledby="plan-standing-title">
            <h2 id="plan-standing-title">"Standing"</h2>
            <FormAlert message=error_message(make_default)/>
            <FormAlert message=error_message(archive)/>
            {if p.archived {
                view! { <p>"Archived: teams on it stay on it; nobody can switch to it. Plans are never deleted (invoices name them)."</p> }.into_any()
            } else if p.is_default {
                view! { <p>"The default: new teams start on it. Make another plan the default to archive this one."</p> }.into_any()
            } else {
                let (id_default, id_archive) = (p.id.clone(), p.id.clone());
                view! {
                    <div class="button-row">
                        <ActionForm action=make_default attr:class="inline-form">
                            <input type="hidden" name="id" value=id_default/>
                            <button type="submit" class="btn btn-secondary">"Make it the default"</button>
                        </ActionForm>
                        <OpenDialog dialog="archive-plan".to_owned() label="Archive plan".to_owned() class="btn btn-danger".to_owned()/>
                    </div>
                    <NativeDialog id="archive-plan".to_owned() title=format!("Archive {}?", p.name)>
                        <p>{format!("Nobody can switch to it any more. The {teams} team(s) on it stay on it, on these terms, until they or you move them.")}</p>
                        <ActionForm action=archive attr:class="form">
                            <input type="hidden" name="id" value=id_archive/>
                            {confirm_buttons("Archive plan", "btn btn-danger")}
                        </ActionForm>
                    </NativeDialog>
                }.into_any()
            }}
        </section>
    }
}

/// A product's form.
#[component]
pub fn ProductEditPage() -> impl IntoView {
    let id = path_id();
    let data = Resource::new(|| (), |_| admin_billing());
    view! {
        <Title text="Product · Admin"/>
        {admin_view(data, "Loading the product…", move |b: AdminBillingView| {
            let plans: Vec<(String, String)> = b.plans.iter().filter(|p| !p.archived).map(|p| (p.id.clone(), p.name.clone())).collect();
            if id == "new" {
                return frame("New product".into(), "An API of your catalogue: the scopes it grants keys and who may have it.", view! { <ProductForm product=None scopes=b.scopes plans/> }).into_any();
            }
            match b.products.into_iter().find(|p| p.id == id) {
                Some(p) => frame(p.name.clone(), "Keys keep the scopes they hold; new and edited keys follow the new terms.", view! { <ProductForm product=Some(p) scopes=b.scopes plans/> }).into_any(),
                None => view! { <crate::pages::not_found::NotFound/> }.into_any(),
            }
        })}
    }
}

const PRODUCT_FIELDS: &[&str] = &["id", "name", "description", "docs", "scopes", "plans", "visibility"];

#[component]
fn ProductForm(product: Option<ProductView>, scopes: Vec<String>, plans: Vec<(String, String)>) -> impl IntoView {
    let save = ServerAction::<AdminSaveProduct>::new();
    let archive = ServerAction::<AdminArchiveProduct>::new();
    let err = last_error(save);
    let typed = Typed::of(&format!("admin/products/save/{}", product.as_ref().map_or("new", |p| p.id.as_str())));
    let fresh = typed.is_empty();
    let val = |name: &str, current: Option<String>| if fresh { current } else { typed.get(name) };
    let pr = product.clone();
    let cur = move |f: fn(&ProductView) -> String| pr.as_ref().map(f);
    let (scopes_on, plans_on) = if fresh {
        (product.as_ref().map(|p| p.scopes.clone()).unwrap_or_default(), product.as_ref().map(|p| p.plans.clone()).unwrap_or_default())
    } else {
        (typed.all("scope"), typed.all("plan"))
    };
    let visibility = val("visibility", product.as_ref().map(|p| p.visibility.as_str().to_owned())).unwrap_or_else(|| "public".into());
    let v_name = val("name", cur(|p| p.name.clone()));
    let v_docs_path = val("docs_path", cur(|p| p.docs_path.clone().unwrap_or_default()));
    let v_description = val("description", cur(|p| p.description.clone().unwrap_or_default()));
    let typed_id = typed.get("id");
    let creating = product.is_none();
    let id = product.as_ref().map(|p| p.id.clone()).unwrap_or_default();
    view! {
        <section class="card section" aria-labelledby="product-form-title">
            <h2 id="product-form-title">{if creating { "The product" } else { "Change the product" }}</h2>
            <FormAlert message=form_error(err, PRODUCT_FIELDS)/>
            <ActionForm action=save attr:class="form form-wide" attr:novalidate=true>
                <input type="hidden" name="mode" value=if creating { "create" } else { "update" }/>
                {if creating {
                    view! { <TextField id="product-id" name="id" label="Id" maxlength=40 error=field_error(err, "id") value=typed_id.clone()
                        hint=Some("Fixed once created: lowercase letters, digits and - (payments).".to_owned())/> }.into_any()
                } else {
                    view! { <input type="hidden" name="id" value=id.clone()/> <p class="small muted">"Id " <code>{id.clone()}</code></p> }.into_any()
                }}
                <TextField id="product-name" name="name" label="Name" maxlength=80 error=field_error(err, "name") value=v_name/>
                <div class="field">
                    <label for="product-description">"Description (optional)"</label>
                    <textarea id="product-description" name="description" rows="3" maxlength="1000" aria-describedby="product-description-error">
                        {v_description}
                    </textarea>
                    <p class="field-error" id="product-description-error" role="alert" hidden=move || field_error(err, "description").get().is_none()>{move || field_error(err, "description").get()}</p>
                </div>
                <TextField id="product-docs" name="docs_path" label="Its docs (optional)" required=false maxlength=300 error=field_error(err, "docs")
                    value=v_docs_path hint=Some("A path of the portal's docs: /portal/docs#tag-payments.".to_owned())/>
                <CheckboxGroup id="product-scope" name="scope" legend="Scopes it grants" hint="Keys of teams that have the product may hold these (the scopes of keys.scopes)."
                    options=scopes.into_iter().map(|s| (s.clone(), s)).collect() selected=scopes_on code=true error=field_error(err, "scopes")/>
                <CheckboxGroup id="product-plan" name="plan" legend="Plans that include it" hint="Teams on these plans have it without asking."
                    options=plans selected=plans_on error=field_error(err, "plans")/>
                <div class="field">
                    <label for="product-visibility">"Visibility"</label>
                    <select id="product-visibility" name="visibility" aria-describedby="product-visibility-error">
                        {[ProductVisibility::Public, ProductVisibility::OnRequest, ProductVisibility::Hidden].into_iter().map(|v| {
                            let (value, label) = (v.as_str(), match v {
                                ProductVisibility::Public => "Public: every team has it",
                                ProductVisibility::OnRequest => "On request: teams ask, you approve or deny",
                                ProductVisibility::Hidden => "Hidden: only through a plan",
                            });
                            view! { <option value=value selected=visibility == value>{label}</option> }
                        }).collect_view()}
                    </select>
                    <p class="field-error" id="product-visibility-error" role="alert" hidden=move || field_error(err, "visibility").get().is_none()>{move || field_error(err, "visibility").get()}</p>
                </div>
                <div class="button-row">
                    <button type="submit" class="btn btn-primary">{if creating { "Create product" } else { "Save product" }}</button>
                    <a class="btn btn-ghost" href="/admin/billing">"Cancel"</a>
                </div>
            </ActionForm>
        </section>
        {product.filter(|p| !p.archived).map(|p| view! {
            <section class="card section" aria-labelledby="product-standing-title">
                <h2 id="product-standing-title">"Standing"</h2>
                <FormAlert message=error_message(archive)/>
                <OpenDialog dialog="archive-product".to_owned() label="Archive product".to_owned() class="btn btn-danger".to_owned()/>
                <NativeDialog id="archive-product".to_owned() title=format!("Archive {}?", p.name)>
                    <p>"It leaves the catalogue and grants nothing more: new and edited keys cannot take its scopes. Keys keep the scopes they hold; nothing is deleted."</p>
                    <ActionForm action=archive attr:class="form">
                        <input type="hidden" name="id" value=p.id.clone()/>
                        {confirm_buttons("Archive product", "btn btn-danger")}
                    </ActionForm>
                </NativeDialog>
            </section>
        })}
    }
}
