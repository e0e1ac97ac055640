//! One entry of a sidebar list, shared by the conversation list and the requests.

use leptos::prelude::*;

/// A button that opens a conversation, a room or a request: a leading mark (the
/// children), the name, the latest message and its time, and an unread badge. The badge
/// and the time are hidden from screen readers: the accessible name says the count, and
/// the preview is the button's description.
#[component]
pub fn ListItem(
    /// The button's accessible name: name, state, unread count.
    accessible: String,
    /// Whether this entry is the one open.
    #[prop(into)]
    current: Signal<bool>,
    /// The visible name.
    label: String,
    /// The line under the name (latest message), if any.
    #[prop(optional)]
    detail: Option<String>,
    /// When the latest message came, as the list shows it.
    #[prop(optional)]
    time: Option<String>,
    /// Unread messages; no badge when 0.
    unread: u32,
    /// Called when the entry is chosen.
    #[prop(into)]
    on_open: Callback<()>,
    /// The mark before the name (presence dot, room sign).
    children: Children,
) -> impl IntoView {
    let badge = peerchat_core::alert::badge_text(u64::from(unread));
    let description = detail.clone();
    view! {
        <li>
            <button
                type="button"
                class="contact"
                aria-label=accessible
                aria-description=description
                aria-current=move || if current.get() { "true" } else { "false" }
                on:click=move |_| on_open.run(())
            >
                {children()}
                <span class="contact-text">
                    <span class="contact-line">
                        <span class="contact-name">{label}</span>
                        {time.map(|t| view! { <span class="contact-time" aria-hidden="true">{t}</span> })}
                    </span>
                    {detail.map(|d| view! { <span class="contact-detail" aria-hidden="true">{d}</span> })}
                </span>
                {badge.map(|n| view! { <span class="badge" aria-hidden="true">{n}</span> })}
            </button>
        </li>
    }
}
