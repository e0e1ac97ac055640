//! One entry of a sidebar list, shared by the contacts and the rooms.

use leptos::prelude::*;

/// The accessible name of an entry: `base` (name and state), then the unread count if any.
pub fn with_unread(base: String, unread: u32) -> String {
    match unread {
        0 => base,
        n => format!("{base}, {n} unread"),
    }
}

/// A button that opens a contact or a room: a leading mark (the children), the name, and
/// an unread badge. The badge is hidden from screen readers; the accessible name says it.
#[component]
pub fn ListItem(
    /// The button's accessible name (see [`with_unread`]).
    accessible: String,
    /// Whether this entry is the one open.
    #[prop(into)]
    current: Signal<bool>,
    /// The visible name.
    label: String,
    /// Unread messages; no badge when 0.
    unread: u32,
    /// Called when the entry is chosen.
    #[prop(into)]
    on_open: Callback<()>,
    /// The mark before the name (presence dot, room sign).
    children: Children,
) -> impl IntoView {
    view! {
        <li>
            <button
                type="button"
                class="contact"
                aria-label=accessible
                aria-current=move || if current.get() { "true" } else { "false" }
                on:click=move |_| on_open.run(())
            >
                {children()}
                <span class="contact-name">{label}</span>
                <Show when=move || unread != 0>
                    <span class="badge" aria-hidden="true">{unread}</span>
                </Show>
            </button>
        </li>
    }
}
