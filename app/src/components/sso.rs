//! Single sign-on on the sign-in and sign-up pages: a plain link per provider offered, and
//! the sentence for a refused sign-in.

use leptos::prelude::*;

/// "Continue with …" links, one per provider the operator switched on, then an "or" before
/// the password form. Plain links: they work without JavaScript, and the flow is a series of
/// top-level navigations anyway.
#[component]
pub fn SsoButtons(
    /// Where to land afterwards (a portal path), if the page was given one.
    #[prop(optional)]
    next: String,
) -> impl IntoView {
    let providers = crate::branding::sso_providers();
    if providers.is_empty() {
        return ().into_any();
    }
    let query = if next.is_empty() { String::new() } else { format!("?next={}", urlencode(&next)) };
    view! {
        <ul class="sso-buttons" aria-label="Sign in with another account">
            {providers.into_iter().map(|(p, label)| {
                let href = format!("/portal/sso/{p}/start{query}");
                view! { <li><a class="btn btn-secondary btn-block" href=href>{format!("Continue with {label}")}</a></li> }
            }).collect_view()}
        </ul>
        <p class="sso-or">"or with your email"</p>
    }
    .into_any()
}

fn urlencode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The sentence for a refused single sign-on, from the code the server put in the URL (a
/// fixed list: nothing from the URL reaches the page as text).
pub fn sso_error_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "refused" => "That sign-in could not be completed: it was started in another browser, took longer than ten minutes, or was used already. Try again.",
        "denied" => "The sign-in was cancelled at the provider.",
        "failed" => "The provider's answer could not be checked, so you were not signed in. Try again, or sign in with your email.",
        "unverified" => "Your account at that provider has no verified email address. Verify it there (for GitHub: your primary address), then try again.",
        "suspended" => "This account is suspended. Contact support.",
        "signup" => "No account uses that email address, and it cannot sign up on its own here. Ask for an invitation, or sign in with the address of your account.",
        "throttled" => "Too many accounts were created from your network in the last hour. Try again later.",
        "limit" => "This account has as many sign-in providers linked as it may.",
        "disabled" => "That sign-in option is not offered.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_the_server_sends_has_a_sentence_and_others_none() {
        for code in ["refused", "denied", "failed", "unverified", "suspended", "signup", "throttled", "limit", "disabled"] {
            assert!(sso_error_message(code).is_some(), "{code}");
        }
        assert_eq!(sso_error_message("<script>"), None);
        assert_eq!(urlencode("/portal/invite/a b?x=1&y"), "/portal/invite/a%20b%3Fx%3D1%26y");
    }
}
