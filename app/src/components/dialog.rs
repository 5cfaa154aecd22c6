//! Native `<dialog>`s drawn on the server. An `OpenDialog` island opens one as a modal (the
//! browser moves focus inside, keeps it there and closes it on Escape); its form is a plain
//! form, and Cancel closes it without sending anything.

use leptos::prelude::*;

/// Cancel (closes the dialog, sends nothing) and the button that sends the form.
pub fn confirm_buttons(confirm: &'static str, class: &'static str) -> impl IntoView {
    view! {
        <div class="dialog-actions">
            <button type="submit" class="btn btn-ghost" formmethod="dialog" formnovalidate=true>"Cancel"</button>
            <button type="submit" class=class>{confirm}</button>
        </div>
    }
}

/// A native `<dialog>` drawn on the server (opened by an `OpenDialog` button, or open from
/// the start when its form came back refused): a heading that names it, then its content.
#[component]
pub fn NativeDialog(
    /// Element id (the `OpenDialog` names it).
    id: String,
    /// The heading.
    title: String,
    /// Open when the page loads (its form was refused: the error is inside).
    #[prop(optional)]
    open: bool,
    children: Children,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    view! {
        <dialog id=id class="dialog native-dialog" aria-labelledby=labelled_by open=open>
            <h2 id=title_id>{title}</h2>
            {children()}
        </dialog>
    }
}

