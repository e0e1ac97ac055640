//! Copying links: the clipboard call, and the read-only field that shows a copied link so
//! it can still be selected by hand when the browser refuses the clipboard (for example a
//! page opened from disk, or a denied permission).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Copies text with the asynchronous Clipboard API; false when the browser refuses.
pub async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// A labelled, read-only field holding `link`, shown once `shown` is true. Focusing it
/// selects the whole link, ready to copy.
#[component]
pub fn LinkField(
    /// The field's accessible name, shown as its label.
    label: &'static str,
    /// The link; follows changes (a room's link names the members online now).
    #[prop(into)]
    link: Signal<String>,
    /// Whether the field is shown.
    #[prop(into)]
    shown: Signal<bool>,
) -> impl IntoView {
    let select_all = |ev: leptos::ev::FocusEvent| {
        if let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            input.select();
        }
    };
    view! {
        <Show when=move || shown.get()>
            <label class="link-field">
                <span class="hint">{label}</span>
                <input type="text" readonly prop:value=move || link.get() on:focus=select_all />
            </label>
        </Show>
    }
}
