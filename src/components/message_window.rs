//! Pieces shared by the conversation and the room panel: the back button (phones) and the
//! window over a long message list (only the latest messages are rendered).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Messages rendered at first, and added per "Show earlier messages".
pub const PAGE: usize = 100;

/// The "←" button that returns to the conversation list on narrow screens. The focus
/// goes back to the list's entry of the conversation just left (not to the page).
#[component]
pub fn BackButton(#[prop(into)] on_back: Callback<()>) -> impl IntoView {
    let back = move |_| {
        let entry = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| {
                d.query_selector(".contacts button[aria-current=\"true\"]")
                    .ok()
                    .flatten()
            })
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        on_back.run(());
        // After the list is shown again (a hidden button cannot take the focus).
        if let Some(entry) = entry {
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(0).await;
                entry.focus().ok();
            });
        }
    };
    view! {
        <button type="button" class="back" aria-label="Back to contacts" on:click=back>
            "←"
        </button>
    }
}

/// The message list's scroller and whether the reader has scrolled away from the newest
/// message. The list stacks from the bottom (`.messages` in main.css), so its newest end
/// is scroll position 0 and positions above it are negative. "Away" is read in scroll
/// events, when the layout is fresh anyway, so bringing the newest message back into view
/// costs nothing (no forced layout) when the reader never left it.
#[derive(Clone, Copy)]
pub struct Scroller {
    /// The `.messages` element.
    pub list: NodeRef<leptos::html::Div>,
    away: StoredValue<bool>,
}

impl Scroller {
    /// A scroller for a list not yet mounted.
    pub fn new() -> Self {
        Scroller {
            list: NodeRef::new(),
            away: StoredValue::new(false),
        }
    }

    /// Call from the list's `scroll` event.
    pub fn scrolled(&self) {
        if let Some(el) = self.list.get_untracked() {
            // A pixel of slack: fractional positions at the bottom are not "away".
            self.away.set_value(el.scroll_top() < -1);
        }
    }

    /// Brings the newest message into view (sending, opening another conversation), if
    /// the reader had scrolled away from it.
    pub fn show_newest(&self) {
        if !self.away.get_value() {
            return;
        }
        if let Some(el) = self.list.get_untracked() {
            el.set_scroll_top(0);
        }
        self.away.set_value(false);
    }

    /// Runs `add`, which puts earlier messages above those shown, and keeps what the
    /// reader sees where it is: the list is measured from its newest end, so its offset
    /// from there, restored once the new rows are laid out (before they are painted), puts
    /// the same messages on screen; the earlier ones wait above, to scroll up to.
    pub fn keep_place(&self, add: impl FnOnce()) {
        let Some(el) = self.list.get_untracked() else {
            return add();
        };
        let offset = el.scroll_top();
        add();
        request_animation_frame(move || el.set_scroll_top(offset));
    }
}

/// How many of `total` messages are hidden above the window of the latest `shown`.
pub fn hidden(total: usize, shown: usize) -> usize {
    total.saturating_sub(shown)
}

/// "Show earlier messages (N more)", shown while messages are hidden; each press shows
/// [`PAGE`] more above, and the reader stays where they were.
#[component]
pub fn EarlierMessages(
    #[prop(into)] hidden: Signal<usize>,
    shown: RwSignal<usize>,
    scroller: Scroller,
) -> impl IntoView {
    let more = move |_| scroller.keep_place(|| shown.update(|n| *n += PAGE));
    view! {
        <Show when=move || { hidden.get() > 0 }>
            <button type="button" class="link-button" on:click=more>
                {move || format!("Show earlier messages ({} more)", hidden.get())}
            </button>
        </Show>
    }
}
