//! A modal dialog: labelled, closes on Escape, focus starts inside it.

use leptos::prelude::*;

/// A modal dialog shown while it is mounted. `on_close` runs on Escape or a click on the
/// backdrop.
#[component]
pub fn Dialog(
    /// Id of the element that names the dialog.
    labelled_by: &'static str,
    /// Called when the person dismisses the dialog.
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="dialog-backdrop" on:click=move |_| on_close.run(())>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby=labelled_by
                on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev| if ev.key() == "Escape" { on_close.run(()) }>
                {children()}
            </div>
        </div>
    }
}
