//! Small inline icons (decorative: hidden from assistive technology).

use leptos::prelude::*;

/// Which icon to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconKind {
    /// Dashboard.
    Home,
    /// API keys.
    Key,
    /// Usage.
    Chart,
    /// Docs.
    Book,
    /// Billing.
    Card,
    /// Settings.
    Gear,
    /// Copy.
    Copy,
    /// Eye (reveal).
    Eye,
    /// Plus.
    Plus,
    /// People (team).
    Users,
    /// A list (audit trail).
    List,
}

fn path_of(kind: IconKind) -> &'static str {
    match kind {
        IconKind::Home => "M3 11l9-7 9 7v9a1 1 0 0 1-1 1h-5v-6H9v6H4a1 1 0 0 1-1-1z",
        IconKind::Key => "M15 7a4 4 0 1 1-3.9 4.9L3 20v-3l2-2h2v-2h2l1.1-1.1A4 4 0 0 1 15 7zm1 2.5a1 1 0 1 0 0 .01",
        IconKind::Chart => "M4 20V10m6 10V4m6 16v-7m4 7H3",
        IconKind::Book => "M4 5a2 2 0 0 1 2-2h13v16H6a2 2 0 0 0-2 2zm0 0v16M8 7h7",
        IconKind::Card => "M3 6h18v12H3zm0 4h18M7 15h3",
        IconKind::Gear => "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm7.4-3a7.4 7.4 0 0 0-.1-1.2l2-1.6-2-3.4-2.4 1a7 7 0 0 0-2-1.2L14.5 3h-5l-.4 2.6a7 7 0 0 0-2 1.2l-2.4-1-2 3.4 2 1.6a7.4 7.4 0 0 0 0 2.4l-2 1.6 2 3.4 2.4-1a7 7 0 0 0 2 1.2l.4 2.6h5l.4-2.6a7 7 0 0 0 2-1.2l2.4 1 2-3.4-2-1.6c.1-.4.1-.8.1-1.2z",
        IconKind::Copy => "M9 9h11v11H9zM5 15H4V4h11v1",
        IconKind::Eye => "M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12zm10 3a3 3 0 1 0 0-6 3 3 0 0 0 0 6z",
        IconKind::Plus => "M12 5v14M5 12h14",
        IconKind::List => "M8 6h13M8 12h13M8 18h13M3 6h.01M3 12h.01M3 18h.01",
        IconKind::Users => "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 10v-1a6 6 0 0 1 12 0v1m2-10a3 3 0 1 0 0-6m6 16v-1a5 5 0 0 0-4-4.9",
    }
}

/// An inline SVG icon.
#[component]
pub fn Icon(kind: IconKind) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false"
            fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">
            <path d=path_of(kind)/>
        </svg>
    }
}
