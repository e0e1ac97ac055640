//! The connection status: connecting, online, or offline with the reason.

use crate::session::{Connection, Session};
use leptos::prelude::*;
use peerchat_core::signaling::{OfflineReason, Status};

/// The words and the state name (for styling) of a connection.
fn describe(connection: &Connection) -> (&'static str, String) {
    match connection {
        Connection::Idle => ("idle", "Not connected".into()),
        Connection::BadEndpoint(msg) => ("offline", format!("Offline: {msg}")),
        Connection::Signaling(Status::Connecting) => ("connecting", "Connecting…".into()),
        Connection::Signaling(Status::Online) => ("online", "Online".into()),
        Connection::Signaling(Status::Offline {
            reason,
            retry_in_ms,
        }) => {
            let retry = match retry_in_ms {
                Some(ms) => format!(", retrying in {} s", ms.div_ceil(1000)),
                None => String::new(),
            };
            ("offline", format!("Offline: {}{retry}", reason.describe()))
        }
    }
}

/// Shows the connection status, with a "Reconnect now" button while offline.
#[component]
pub fn StatusBadge() -> impl IntoView {
    let session = expect_context::<Session>();
    let state = Memo::new(move |_| describe(&session.connection.get()));
    let can_retry = Memo::new(move |_| {
        matches!(
            session.connection.get(),
            Connection::Signaling(Status::Offline { ref reason, .. })
                if *reason != OfflineReason::OpenInOtherTab && *reason != OfflineReason::PageHidden
        )
    });
    view! {
        <div class="status-area">
            <p
                class="status"
                role="status"
                aria-label="Connection status"
                data-state=move || state.get().0
            >
                <span class="status-dot" aria-hidden="true"></span>
                <span>{move || state.get().1}</span>
            </p>
            <Show when=move || can_retry.get()>
                <button type="button" class="link-button" on:click=move |_| session.retry_now()>
                    "Reconnect now"
                </button>
            </Show>
        </div>
    }
}
