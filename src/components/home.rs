//! The main screen once a name is chosen: your ID and the server you use.

use super::settings::SettingsPanel;
use crate::boot::EndpointSource;
use crate::session::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Feedback after pressing "Copy ID".
#[derive(Clone, Copy, PartialEq, Eq)]
enum CopyState {
    Idle,
    Copied,
    Failed,
}

/// The home screen. `settings_open` shows the settings panel above it.
#[component]
pub fn Home(settings_open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let id = session.peer_id.get_value().to_string();
    let name = move || {
        session
            .profile
            .with(|p| p.as_ref().map(|p| p.name.to_string()).unwrap_or_default())
    };
    let copy_state = RwSignal::new(CopyState::Idle);
    let copy = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            spawn_local(async move {
                copy_state.set(if copy_text(&id).await {
                    CopyState::Copied
                } else {
                    CopyState::Failed
                });
            });
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
        <Show when=move || settings_open.get()>
            <SettingsPanel on_close=move || settings_open.set(false) />
        </Show>
        <section class="card" aria-labelledby="id-title">
            <h2 id="id-title">"Hello, " {name}</h2>
            <p>"Your Peerchat ID is how friends reach you. Share it with them."</p>
            <div class="id-row">
                <code class="peer-id" aria-label="Your Peerchat ID">{id}</code>
                <button type="button" on:click=copy>"Copy ID"</button>
            </div>
            <p class="hint" aria-live="polite">
                {move || match copy_state.get() {
                    CopyState::Idle => "",
                    CopyState::Copied => "Copied to the clipboard.",
                    CopyState::Failed => "Could not copy; select the ID and copy it by hand.",
                }}
            </p>
            <p class="hint">"Signaling server: " {server}</p>
        </section>
    }
}

/// Copies text with the asynchronous Clipboard API; false when the browser refuses.
async fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}
