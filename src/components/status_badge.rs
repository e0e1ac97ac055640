//! The connection status: connecting, online, or offline with the reason.

use crate::session::{Connection, Session};
use gloo_timers::callback::Interval;
use leptos::prelude::*;
use peerchat_core::signaling::{OfflineReason, Status};

/// The words and the state name (for styling) of a connection.
fn describe(connection: &Connection) -> (&'static str, String) {
    match connection {
        Connection::Idle => ("idle", "Not connected".into()),
        Connection::BadEndpoint(msg) => ("offline", format!("Offline: {msg}")),
        Connection::Signaling(all) => (
            match all.status {
                Status::Connecting => "connecting",
                Status::Online => "online",
                Status::Offline { .. } => "offline",
            },
            all.words(),
        ),
    }
}

/// When the next automatic attempt is due (ms since the epoch), if one is planned.
fn retry_deadline(connection: &Connection, now: f64) -> Option<f64> {
    match connection {
        Connection::Signaling(all) => match all.status {
            Status::Offline {
                retry_in_ms: Some(ms),
                ..
            } => Some(now + f64::from(ms)),
            _ => None,
        },
        _ => None,
    }
}

/// "retrying in N s", counting down to `deadline`.
fn retry_text(deadline: f64, now: f64) -> String {
    // Whole seconds, formatted as an integer: formatting an f64 would compile the float
    // printer into the page (about 15 KB of wasm) for this one line.
    let seconds = ((deadline - now) / 1000.0).ceil().max(0.0) as u64;
    if seconds > 0 {
        format!("retrying in {seconds} s")
    } else {
        "retrying now".into()
    }
}

/// Shows the connection status, with a "Reconnect now" button while offline.
#[component]
pub fn StatusBadge() -> impl IntoView {
    let session = expect_context::<Session>();
    let state = Memo::new(move |_| describe(&session.connection.get()));
    // The countdown ticks outside the live status region, so a screen reader announces the
    // reason once rather than every second.
    let deadline = Memo::new(move |_| {
        session
            .connection
            .with(|c| retry_deadline(c, js_sys::Date::now()))
    });
    let now = RwSignal::new(js_sys::Date::now());
    let ticker = StoredValue::new_local(None::<Interval>);
    Effect::new(move |_| {
        let counting = deadline.get().is_some();
        now.set(js_sys::Date::now());
        ticker
            .set_value(counting.then(|| Interval::new(250, move || now.set(js_sys::Date::now()))));
    });
    let countdown = move || deadline.get().map(|d| retry_text(d, now.get()));
    let can_retry = Memo::new(move |_| {
        session.connection.with(|c| {
            matches!(
                c,
                Connection::Signaling(all) if matches!(
                    &all.status,
                    Status::Offline { reason, .. }
                        if *reason != OfflineReason::OpenInOtherTab && *reason != OfflineReason::PageHidden
                )
            )
        })
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
            <span class="retry-in hint">{countdown}</span>
            <Show when=move || can_retry.get()>
                <button type="button" class="link-button" on:click=move |_| session.retry_now()>
                    "Reconnect now"
                </button>
            </Show>
        </div>
    }
}
