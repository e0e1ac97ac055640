//! Pieces shared by the conversation and the room panel: the back button (phones) and the
//! window over a long message list (only the latest messages are rendered).

use leptos::prelude::*;

/// Messages rendered at first, and added per "Show earlier messages".
pub const PAGE: usize = 100;

/// The "←" button that returns to the contacts on narrow screens.
#[component]
pub fn BackButton(#[prop(into)] on_back: Callback<()>) -> impl IntoView {
    view! {
        <button type="button" class="back" aria-label="Back to contacts" on:click=move |_| on_back.run(())>
            "←"
        </button>
    }
}

/// How many of `total` messages are hidden above the window of the latest `shown`.
pub fn hidden(total: usize, shown: usize) -> usize {
    total.saturating_sub(shown)
}

/// "Show earlier messages (N more)", shown while messages are hidden; each press shows
/// [`PAGE`] more.
#[component]
pub fn EarlierMessages(
    #[prop(into)] hidden: Signal<usize>,
    shown: RwSignal<usize>,
) -> impl IntoView {
    view! {
        <Show when=move || { hidden.get() > 0 }>
            <button type="button" class="link-button" on:click=move |_| shown.update(|n| *n += PAGE)>
                {move || format!("Show earlier messages ({} more)", hidden.get())}
            </button>
        </Show>
    }
}
