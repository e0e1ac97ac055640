//! Your ID, with buttons to copy it and to copy an invite link.

use super::link_field::{LinkField, copy_text};
use crate::boot::{EndpointSource, invite_link};
use crate::session::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Your name, ID, copy buttons, and the server in use.
#[component]
pub fn IdCard() -> impl IntoView {
    let session = expect_context::<Session>();
    let id = session.peer_id.get_value();
    let name = move || {
        session
            .profile
            .with(|p| p.as_ref().map(|p| p.name.to_string()).unwrap_or_default())
    };
    let feedback = RwSignal::new("");
    let copy = move |text: String, done: &'static str, by_hand: &'static str| {
        spawn_local(async move {
            feedback.set(if copy_text(&text).await {
                done
            } else {
                by_hand
            });
        });
    };
    let copy_id = {
        let id = id.to_string();
        move |_| {
            copy(
                id.clone(),
                "ID copied to the clipboard.",
                "Could not copy; select your ID above and copy it by hand.",
            )
        }
    };
    let invite = invite_link(&id);
    let invite_shown = RwSignal::new(false);
    let copy_invite = {
        let invite = invite.clone();
        move |_| {
            invite_shown.set(true);
            copy(
                invite.clone(),
                "Invite link copied. Send it to a friend.",
                "Could not copy; select the link and copy it by hand.",
            )
        }
    };
    let server = move || {
        let source = match session.endpoint_source.get() {
            EndpointSource::Default => "the public PeerJS server",
            EndpointSource::Settings => "from your settings",
            EndpointSource::PageLink => "from this page's link",
        };
        match session.endpoint.get() {
            Ok(endpoint) => format!("{endpoint} ({source})"),
            Err(_) => "none (the address is not valid)".to_string(),
        }
    };
    view! {
        <section class="card id-card" aria-labelledby="id-title">
            <h2 id="id-title">"Hello, " {name}</h2>
            <p class="hint">"Your Peerchat ID is how friends reach you."</p>
            <code class="peer-id" aria-label="Your Peerchat ID">{id.to_string()}</code>
            <div class="actions">
                <button type="button" on:click=copy_id>"Copy ID"</button>
                <button type="button" on:click=copy_invite>"Copy invite link"</button>
            </div>
            <p class="hint" aria-live="polite">{move || feedback.get()}</p>
            <LinkField label="Invite link" link=Signal::stored(invite) shown=invite_shown />
            <p class="hint">"Signaling server: " {server}</p>
        </section>
    }
}
