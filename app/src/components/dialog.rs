//! A modal dialog: labelled, focus moves inside when it opens, Escape closes it.

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
    let panel = NodeRef::<leptos::html::Div>::new();
    // Keyboard users land in the dialog, on its first control.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::JsCast;
        if let Some(el) = panel.get() {
            if let Ok(Some(first)) = el.query_selector("input:not([type=hidden]):not([type=radio]), select, textarea, button") {
                if let Ok(first) = first.dyn_into::<web_sys::HtmlElement>() {
                    let _ = first.focus();
                }
            }
        }
    });
    view! {
        <div class="dialog-backdrop" on:click=move |_| on_close.run(())>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby=labelled_by node_ref=panel
                on:click=|ev| ev.stop_propagation()
                on:keydown=move |ev| if ev.key() == "Escape" { on_close.run(()) }>
                {children()}
            </div>
        </div>
    }
}

/// A dialog that asks before a destructive action: a title, an explanation, Cancel, and a
/// danger button that shows progress and, on failure, the error.
#[component]
pub fn ConfirmDialog(
    /// Id of the heading (unique on the page).
    id: &'static str,
    /// The question, e.g. "Remove ada@example.com?".
    title: String,
    /// The danger button's label, and its label while the action runs.
    confirm: (&'static str, &'static str),
    /// Whether the action is running.
    pending: Signal<bool>,
    /// Whether the danger button is off for another reason (a confirmation not yet typed).
    #[prop(optional)]
    disabled: Option<Signal<bool>>,
    /// The last error, if the action failed.
    error: Signal<Option<String>>,
    /// Runs the action.
    on_confirm: Callback<()>,
    /// Called when the person dismisses the dialog.
    on_close: Callback<()>,
    /// The explanation.
    children: Children,
) -> impl IntoView {
    view! {
        <Dialog labelled_by=id on_close>
            <h2 id=id>{title}</h2>
            {children()}
            <crate::components::forms::FormAlert message=error/>
            <div class="dialog-actions">
                <button type="button" class="btn btn-ghost" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button type="button" class="btn btn-danger"
                    disabled=move || pending.get() || disabled.is_some_and(|d| d.get())
                    on:click=move |_| on_confirm.run(())>
                    {move || if pending.get() { confirm.1 } else { confirm.0 }}
                </button>
            </div>
        </Dialog>
    }
}
