//! What a page shows in place of something the team's plan does not include: what it is,
//! which plan lacks it, and the way to a plan that has it.

use leptos::prelude::*;

/// A locked feature with its upgrade prompt.
#[component]
pub fn UpgradePrompt(
    /// The feature, as people read it mid-sentence ("the request log").
    what: &'static str,
    /// The team's plan.
    plan: String,
) -> impl IntoView {
    view! {
        <div class="locked-feature" role="note">
            <p>{format!("Your {plan} plan does not include {what}.")}</p>
            <a class="btn btn-secondary" href="/portal/billing">"See plans"</a>
        </div>
    }
}
