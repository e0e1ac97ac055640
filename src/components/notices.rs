//! Notices: things the person must know (damaged saved data, failed saves).

use crate::session::Session;
use leptos::prelude::*;

/// The list of notices, each with a dismiss button.
#[component]
pub fn Notices() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <div class="notices">
            <Show when=move || session.undo.with(Option::is_some)>
                <div class="notice undo" role="status">
                    <p>{move || session.undo.get()}</p>
                    <button type="button" class="link-button" on:click=move |_| session.undo()>"Undo"</button>
                </div>
            </Show>
            <For each=move || session.notices.get() key=|n| n.id let:notice>
                <div class="notice" role="alert">
                    <p>{notice.text.clone()}</p>
                    <button type="button" class="link-button" on:click=move |_| session.dismiss(notice.id)>
                        "Dismiss"
                    </button>
                </div>
            </For>
        </div>
    }
}
