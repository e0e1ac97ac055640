//! Settings: display name and signaling server.

use crate::boot::EndpointSource;
use crate::session::{Session, SettingsErrors};
use leptos::prelude::*;
use peerchat_core::ice;
use peerchat_core::name::MAX_NAME_CHARS;

/// The settings panel. `on_close` is called after saving or cancelling.
#[component]
pub fn SettingsPanel(#[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let session = expect_context::<Session>();
    let name = RwSignal::new(
        session
            .profile
            .with_untracked(|p| p.as_ref().map(|p| p.name.to_string()).unwrap_or_default()),
    );
    let endpoint = RwSignal::new(
        session
            .settings_endpoint
            .with_untracked(|e| e.as_ref().map(ToString::to_string).unwrap_or_default()),
    );
    let ice_text = RwSignal::new(session.ice.with_untracked(|servers| {
        if *servers == ice::default_servers() {
            String::new()
        } else {
            ice::to_text(servers)
        }
    }));
    let errors = RwSignal::new(SettingsErrors::default());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match session.save_settings(
            &name.get_untracked(),
            &endpoint.get_untracked(),
            &ice_text.get_untracked(),
        ) {
            Ok(()) => {
                errors.set(SettingsErrors::default());
                on_close.run(());
            }
            Err(e) => errors.set(e),
        }
    };
    let from_link = move || session.endpoint_source.get() == EndpointSource::PageLink;
    view! {
        <section class="card settings" role="region" aria-labelledby="settings-title">
            <h2 id="settings-title">"Settings"</h2>
            <form on:submit=submit novalidate>
                <label for="settings-name">"Display name"</label>
                <input
                    id="settings-name"
                    type="text"
                    autocomplete="nickname"
                    maxlength=(MAX_NAME_CHARS * 2).to_string()
                    aria-invalid=move || errors.with(|e| e.name.is_some()).to_string()
                    aria-describedby="settings-name-error"
                    bind:value=name
                />
                <p id="settings-name-error" class="field-error" role="alert">
                    {move || errors.with(|e| e.name.clone())}
                </p>
                <label for="settings-endpoint">"Signaling server"</label>
                <input
                    id="settings-endpoint"
                    type="url"
                    inputmode="url"
                    spellcheck="false"
                    placeholder="wss://0.peerjs.com/ (default)"
                    aria-invalid=move || errors.with(|e| e.endpoint.is_some()).to_string()
                    aria-describedby="settings-endpoint-hint settings-endpoint-error"
                    bind:value=endpoint
                />
                <p id="settings-endpoint-hint" class="hint">
                    "Leave empty for the public PeerJS server. For your own "
                    <code>"peer"</code>
                    " server: ws://host:port/path, with ?key=yourkey if it uses another key."
                    <Show when=from_link>
                        " This page's link currently sets the server; saving replaces it."
                    </Show>
                </p>
                <p id="settings-endpoint-error" class="field-error" role="alert">
                    {move || errors.with(|e| e.endpoint.clone())}
                </p>
                <label for="settings-ice">"ICE servers (STUN/TURN)"</label>
                <textarea
                    id="settings-ice"
                    rows="3"
                    spellcheck="false"
                    placeholder="stun:stun.l.google.com:19302 (default)"
                    aria-invalid=move || errors.with(|e| e.ice.is_some()).to_string()
                    aria-describedby="settings-ice-hint settings-ice-error"
                    bind:value=ice_text
                ></textarea>
                <p id="settings-ice-hint" class="hint">
                    "One per line: a stun: or turn: URL, and for TURN a username and credential after it. "
                    "Leave empty for the default public STUN server."
                </p>
                <p id="settings-ice-error" class="field-error" role="alert">
                    {move || errors.with(|e| e.ice.clone())}
                </p>
                <p class="field-error" role="alert">{move || errors.with(|e| e.save.clone())}</p>
                <div class="actions">
                    <button type="submit" class="primary">"Save"</button>
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}
