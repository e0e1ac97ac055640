//! A contact's connection, in detail: the verified key (the contact's id is its
//! fingerprint), since when, the path (direct or relayed) and round-trip time as the
//! browser measures them, and the signaling server that introduced you.

use super::chat_list::local;
use crate::session::Session;
use gloo_timers::callback::Interval;
use leptos::prelude::*;
use leptos::task::spawn_local;
use peerchat_core::calendar;
use peerchat_core::engine::path_label;
use peerchat_core::identity::PeerId;

/// What the panel shows, refreshed while it is open.
#[derive(Clone, Debug, PartialEq, Default)]
struct Shown {
    connected: bool,
    since: String,
    dialed: bool,
    key: String,
    path: String,
    rtt: String,
    server: Option<peerchat_core::engine::ServerId>,
}

/// The details of the connection with `peer`, refreshed every 2 s while shown.
#[component]
pub fn ConnectionDetails(peer: PeerId) -> impl IntoView {
    let session = expect_context::<Session>();
    let shown = RwSignal::new(Shown::default());
    let refresh = {
        let peer = peer.clone();
        move || {
            let Some(chat) = session.chat() else { return };
            let Some(c) = chat.connection(&peer) else {
                shown.set(Shown::default());
                return;
            };
            let base = Shown {
                connected: true,
                since: calendar::full(&local(c.since)),
                dialed: c.dialed,
                key: c.key.clone(),
                path: "Measuring…".into(),
                rtt: "Measuring…".into(),
                server: c.server,
            };
            spawn_local(async move {
                let measured = chat.path(c.link).await;
                let mut s = base;
                if let Some((kind, rtt)) = measured {
                    s.path = path_label(&kind).to_string();
                    s.rtt = rtt.map_or("Not measured yet".into(), |ms| {
                        format!("{} ms", ms.round() as u64)
                    });
                }
                shown.try_set(s);
            });
        }
    };
    refresh();
    let ticker = StoredValue::new_local(Some(Interval::new(2_000, refresh)));
    on_cleanup(move || {
        ticker.try_update_value(|t| t.take());
    });
    let server = move || {
        let id = shown.with(|s| s.server);
        session.servers.with(|servers| {
            servers
                .iter()
                .find(|s| Some(s.id) == id)
                .map(|s| s.endpoint.to_string())
                .unwrap_or_else(|| "a server no longer in use".into())
        })
    };
    view! {
        <section class="details" id="connection-details" aria-label="Connection details">
            <Show
                when=move || shown.with(|s| s.connected)
                fallback=|| view! { <p class="hint">"Not connected now: details show while you are connected."</p> }
            >
                <dl>
                    <dt>"Verified ID"</dt>
                    <dd><code>{peer.to_string()}</code>" (the fingerprint of their key)"</dd>
                    <dt>"Key"</dt>
                    <dd><code class="key">{move || shown.with(|s| s.key.clone())}</code></dd>
                    <dt>"Connected since"</dt>
                    <dd>{move || shown.with(|s| s.since.clone())}{move || if shown.with(|s| s.dialed) { " (you called)" } else { " (they called)" }}</dd>
                    <dt>"Path"</dt>
                    <dd class="path">{move || shown.with(|s| s.path.clone())}</dd>
                    <dt>"Round trip"</dt>
                    <dd class="rtt">{move || shown.with(|s| s.rtt.clone())}</dd>
                    <dt>"Introduced by"</dt>
                    <dd>{server}" (signaling server)"</dd>
                </dl>
            </Show>
        </section>
    }
}
