//! A modal dialog on the browser's own `<dialog>`: it traps focus, Escape closes it, the
//! page behind is inert; when it closes, focus goes back to what had it before (the
//! button that opened it).

use leptos::html::Dialog;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A modal dialog shown while `open` is true, titled by its `title` (a heading). Its
/// content is built only while open, so nothing of it is in the page when closed.
#[component]
pub fn Modal(
    /// Shown while true; set false when the dialog closes (Escape, a close button).
    open: RwSignal<bool>,
    /// The dialog's heading, which also names it.
    title: &'static str,
    /// An id for the heading (unique on the page).
    id: &'static str,
    /// The content.
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |_| {
        let Some(el) = dialog.get() else { return };
        if open.get() {
            if !el.open() {
                let active = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.active_element())
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
                opener.set_value(active);
                el.show_modal().ok();
            }
        } else if el.open() {
            el.close();
        }
    });
    let on_close = move |_| {
        open.set(false);
        if let Some(el) = opener.get_value() {
            el.focus().ok();
        }
    };
    let children = StoredValue::new(children);
    view! {
        <dialog class="modal" node_ref=dialog aria-labelledby=id on:close=on_close>
            <Show when=move || open.get()>
                <div class="modal-head">
                    <h2 id=id>{title}</h2>
                    <button type="button" class="icon-button" aria-label="Close" on:click=move |_| open.set(false)>
                        <span aria-hidden="true">"×"</span>
                    </button>
                </div>
                {children.with_value(|c| c())}
            </Show>
        </dialog>
    }
}
