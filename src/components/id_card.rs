//! The top of the home screen: your name, the main action (invite a friend), your ID, and
//! the server in use.

use super::invite::InviteDialog;
use crate::boot::EndpointSource;
use crate::session::Session;
use leptos::prelude::*;

/// Your name, "Invite a friend", your ID and the server in use.
#[component]
pub fn IdCard() -> impl IntoView {
    let session = expect_context::<Session>();
    let id = session.peer_id.get_value();
    let name = move || {
        session
            .profile
            .with(|p| p.as_ref().map(|p| p.name.to_string()).unwrap_or_default())
    };
    let invite_open = RwSignal::new(false);
    let heading = NodeRef::<leptos::html::H2>::new();
    // Right after the name is chosen focus would drop to the page: it lands here instead.
    Effect::new(move |_| {
        let Some(el) = heading.get() else { return };
        let on_body = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element())
            .is_none_or(|e| e.tag_name() == "BODY");
        if on_body {
            el.focus().ok();
        }
    });
    let source = move || match session.endpoint_source.get() {
        EndpointSource::Default => "the public PeerJS server",
        EndpointSource::Settings => "from your settings",
        EndpointSource::PageLink => "from this page's link",
    };
    let server = move || match session.endpoint.get() {
        Ok(list) if list.len() == 1 => format!("{} ({})", list[0], source()),
        Ok(_) => format!("{} servers ({})", session.servers.with(Vec::len), source()),
        Err(_) => "none (the address is not valid)".to_string(),
    };
    // With several servers, each one's status: one may be down while another works.
    let several = move || session.servers.with(|s| s.len() > 1);
    let each = move || {
        session.servers.with(|servers| {
            servers
                .iter()
                .map(|s| {
                    let state =
                        peerchat_core::signaling::Overall::of(std::slice::from_ref(&s.status));
                    view! { <li><code>{s.endpoint.to_string()}</code>": "{state.words()}</li> }
                })
                .collect_view()
        })
    };
    view! {
        <section class="card id-card" aria-labelledby="id-title">
            <h2 id="id-title" tabindex="-1" node_ref=heading>"Hello, " {name}</h2>
            <button type="button" class="primary wide" on:click=move |_| invite_open.set(true)>
                "Invite a friend"
            </button>
            <p class="hint id-line">
                "Your ID: "
                <code class="peer-id" aria-label="Your Peerchat ID">{id.to_string()}</code>
            </p>
            <p class="hint">"Signaling server: " {server}</p>
            <Show when=several>
                <ul class="hint servers" aria-label="Signaling servers">{each}</ul>
            </Show>
            <InviteDialog open=invite_open />
        </section>
    }
}
