//! `/portal/invite/{token}`: where an invitation email's link leads. A signed-in invitee joins
//! with one click; someone new creates their account with the invited address and joins in
//! the same step; anyone else is told what to do.

use crate::api::{preview_invitation, AcceptInvitation, AcceptInvitationSignup, Logout};
use crate::components::auth_form::{new_password_hint, shown_at_field, AuthCard, SignupQuestions};
use crate::components::forms::{field_error, form_error, last_error, FormAlert, TextField, Typed};
use crate::components::local_time::LocalTime;
use crate::error::AppError;
use keyport_core::dto::{InvitationPreview, InvitationState};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The invitation page.
#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let preview = Resource::new(token, preview_invitation);
    // Read here, not inside the Suspense: the questions for someone new signing up.
    let fields = crate::branding::signup_fields();
    view! {
        <Title text="Invitation"/>
        <AuthCard title=format!("Join a team on {}", crate::format::app_name())>
            <Suspense fallback=|| view! { <p class="muted" role="status">"Checking your invitation…"</p> }>
                {move || preview.get().map(|r| match r {
                    Ok(p) => view! { <Invitation preview=p token=token() fields=fields.clone()/> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <p class="alert alert-error" role="alert">
                            "This invitation link is not valid. Check that you opened the whole link from the email, or ask the team to send a new invitation."
                        </p>
                        <p class="auth-switch"><a href="/portal">"Go to the portal"</a></p>
                    }.into_any(),
                    Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </AuthCard>
    }
}

#[component]
fn Invitation(preview: InvitationPreview, token: String, fields: Vec<keyport_core::signup::SignupField>) -> impl IntoView {
    let InvitationPreview { team_name, invited_by, email, role, message, expires_at, state, signed_in_as } = preview;
    let intro = view! {
        <p>
            <strong>{invited_by}</strong>" invited you to join "<strong>{team_name.clone()}</strong>
            {format!(" as {}.", role.label().to_lowercase())}
        </p>
        {message.map(|m| view! { <blockquote class="invite-message">{m}</blockquote> })}
    };
    let body = match state {
        InvitationState::Accepted => view! {
            <p class="alert alert-warn" role="alert">"This invitation has already been used."</p>
            <p class="auth-switch"><a href="/portal">"Go to the portal"</a></p>
        }.into_any(),
        InvitationState::Revoked => view! {
            <p class="alert alert-warn" role="alert">"This invitation was withdrawn by the team. Ask them for a new one if you still need access."</p>
        }.into_any(),
        InvitationState::Expired => view! {
            <p class="alert alert-warn" role="alert">"This invitation has expired. Ask the team to send it again; they can do so from their members page."</p>
        }.into_any(),
        InvitationState::Pending => match signed_in_as {
            Some(me) if me == email => view! { <JoinAsSignedIn token team=team_name/> }.into_any(),
            Some(me) => {
                let logout = ServerAction::<Logout>::new();
                view! {
                <p class="alert alert-warn" role="alert">
                    {format!("This invitation is for {email}, but you are signed in as {me}. Sign out, then open the link from the email again.")}
                </p>
                <ActionForm action=logout attr:class="form">
                    <button type="submit" class="btn btn-secondary btn-block">"Sign out"</button>
                </ActionForm>
            }.into_any()
            }
            None => view! { <SignUpAndJoin token email expires_at fields/> }.into_any(),
        },
    };
    view! { {intro} {body} }
}

/// A plain form (the page loads no WASM); a refusal comes back rendered by the server.
#[component]
fn JoinAsSignedIn(token: String, team: String) -> impl IntoView {
    let accept = ServerAction::<AcceptInvitation>::new();
    let error = last_error(accept);
    view! {
        <FormAlert message=form_error(error, &[])/>
        <ActionForm action=accept attr:class="form">
            <input type="hidden" name="token" value=token/>
            <button type="submit" class="btn btn-primary btn-block">{format!("Join {team}")}</button>
        </ActionForm>
    }
}

/// A plain form (the page loads no WASM); a refusal comes back rendered by the server.
#[component]
fn SignUpAndJoin(token: String, email: String, expires_at: chrono::DateTime<chrono::Utc>, fields: Vec<keyport_core::signup::SignupField>) -> impl IntoView {
    let signup = ServerAction::<AcceptInvitationSignup>::new();
    let error = last_error(signup);
    let next = format!("/portal/login?next=/portal/invite/{token}");
    let typed = if error.get_untracked().is_some() { Typed::of("invitations/accept-signup") } else { Typed::default() };
    let alert = Signal::derive(move || error.with(|e| e.as_ref().filter(|e| !shown_at_field(e, &["password"])).map(|e| e.to_string())));
    view! {
        <p class="muted small">"The link works until " <LocalTime at=expires_at/> "."</p>
        <h2 class="h3">"New to Keyport? Create your account"</h2>
        <FormAlert message=alert/>
        <ActionForm action=signup attr:class="form" attr:novalidate=true>
            <input type="hidden" name="token" value=token/>
            <div class="field">
                <label for="invite-account-email">"Email"</label>
                <input id="invite-account-email" type="email" value=email readonly autocomplete="username"
                    aria-describedby="invite-account-email-hint"/>
                <p class="hint" id="invite-account-email-hint">"Invitations are bound to the address they were sent to."</p>
            </div>
            <TextField id="password" name="password" label="Choose a password" kind="password" autocomplete="new-password"
                error=field_error(error, "password")
                hint=Some(new_password_hint())/>
            <SignupQuestions fields error typed/>
            <button type="submit" class="btn btn-primary btn-block">"Create account and join"</button>
        </ActionForm>
        <p class="auth-switch">"Already have an account with this address? " <a href=next>"Sign in to accept"</a></p>
    }
}
