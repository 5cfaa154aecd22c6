//! The page for unknown URLs; answers 404 during server rendering.

use crate::components::auth_form::AuthCard;
use leptos::prelude::*;
use leptos_meta::Title;

/// "Page not found".
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <AuthCard title="Page not found">
            <p class="muted">"The page you asked for does not exist."</p>
            <a class="btn btn-primary" href="/portal">"Go to the dashboard"</a>
        </AuthCard>
    }
}
