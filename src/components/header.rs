//! The top bar: the name of the app, the connection status and the settings button.

use super::status_badge::StatusBadge;
use crate::session::{Connection, Session};
use leptos::prelude::*;

/// The top bar. `settings_open` opens the settings dialog.
#[component]
pub fn Header(settings_open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let has_profile = Memo::new(move |_| session.profile.with(Option::is_some));
    view! {
        <header class="topbar">
            <h1 class="brand">"Peerchat"</h1>
            // Nothing to say before the person has chosen a name (nothing was tried yet).
            <Show when=move || has_profile.get() || session.connection.with(|c| *c != Connection::Idle)>
                <StatusBadge />
            </Show>
            <Show when=move || has_profile.get()>
                <button
                    type="button"
                    class="icon-button"
                    aria-label="Settings"
                    aria-haspopup="dialog"
                    on:click=move |_| settings_open.set(true)
                >
                    <span aria-hidden="true">"⚙"</span>
                </button>
            </Show>
        </header>
    }
}
