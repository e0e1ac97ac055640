//! Settings, as a dialog: your name, notifications, appearance, invite links, your data,
//! and (folded away) the network settings. Save applies only what was changed; Cancel,
//! the close button and Escape change nothing.

use super::backup::DataSection;
use super::modal::Modal;
use crate::alerts::{self, Permission};
use crate::boot::EndpointSource;
use crate::session::{Session, SettingsErrors};
use leptos::prelude::*;
use leptos::task::spawn_local;
use peerchat_core::ice;
use peerchat_core::name::MAX_NAME_CHARS;
use peerchat_core::prefs::{Theme, parse_page_address};

/// The settings dialog, shown while `open`.
#[component]
pub fn SettingsDialog(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <Modal open=open title="Settings" id="settings-title">
            <SettingsForm on_close=move || open.set(false) />
        </Modal>
    }
}

#[component]
fn SettingsForm(#[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let session = expect_context::<Session>();
    let saved = session.prefs.get_untracked();
    let name = RwSignal::new(
        session
            .profile
            .with_untracked(|p| p.as_ref().map(|p| p.name.to_string()).unwrap_or_default()),
    );
    let endpoint_initial = session.settings_endpoint.with_untracked(|e| {
        e.as_ref()
            .map(|list| peerchat_core::endpoint::list_text(list).replace(',', "\n"))
            .unwrap_or_default()
    });
    let endpoint = RwSignal::new(endpoint_initial.clone());
    let ice_initial = session.ice.with_untracked(|servers| {
        if *servers == ice::default_servers() {
            String::new()
        } else {
            ice::to_text(servers)
        }
    });
    let ice_text = RwSignal::new(ice_initial.clone());
    let notify = RwSignal::new(saved.notify);
    let sound = RwSignal::new(saved.sound);
    let hide_text = RwSignal::new(saved.hide_text);
    let theme = RwSignal::new(saved.theme);
    let page = RwSignal::new(saved.page.clone().unwrap_or_default());
    let relay = RwSignal::new(saved.relay);
    let permission = RwSignal::new(alerts::permission());
    let errors = RwSignal::new(SettingsErrors::default());
    let page_error = RwSignal::new(None::<String>);
    // Turning notifications on asks the browser, on this click (never on load).
    let on_notify = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        notify.set(on);
        if on && permission.get_untracked() == Permission::Ask {
            spawn_local(async move {
                let answer = alerts::request_permission().await;
                permission.set(answer);
                if answer != Permission::Granted {
                    notify.set(false);
                }
            });
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let page_address = match parse_page_address(&page.get_untracked()) {
            Ok(p) => {
                page_error.set(None);
                p
            }
            Err(e) => {
                page_error.set(Some(e.to_string()));
                return;
            }
        };
        let mut prefs = saved.clone();
        prefs.notify = notify.get_untracked();
        prefs.sound = sound.get_untracked();
        prefs.hide_text = hide_text.get_untracked();
        prefs.theme = theme.get_untracked();
        prefs.page = page_address;
        prefs.relay = relay.get_untracked();
        let endpoint_now = endpoint.get_untracked();
        let ice_now = ice_text.get_untracked();
        let result = session.save_settings(
            &name.get_untracked(),
            (endpoint_now.trim() != endpoint_initial.trim()).then_some(endpoint_now.as_str()),
            (ice_now.trim() != ice_initial.trim()).then_some(ice_now.as_str()),
            prefs,
        );
        match result {
            Ok(()) => {
                errors.set(SettingsErrors::default());
                on_close.run(());
            }
            Err(e) => errors.set(e),
        }
    };
    let from_link = move || session.endpoint_source.get() == EndpointSource::PageLink;
    let theme_choice = move |value: Theme, label: &'static str| {
        view! {
            <label class="choice">
                <input
                    type="radio"
                    name="theme"
                    prop:checked=move || theme.get() == value
                    on:change=move |_| theme.set(value)
                />
                {label}
            </label>
        }
    };
    view! {
        <form on:submit=submit novalidate class="settings">
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

            <fieldset>
                <legend>"Notifications"</legend>
                <label class="choice">
                    <input
                        type="checkbox"
                        prop:checked=move || notify.get()
                        prop:disabled=move || matches!(permission.get(), Permission::Denied | Permission::Unsupported)
                        on:change=on_notify
                    />
                    "Show a notification when a message arrives while you are elsewhere"
                </label>
                <p class="hint">
                    {move || match permission.get() {
                        Permission::Denied => "Notifications are blocked for this page in your browser's site settings.",
                        Permission::Unsupported => "This browser cannot show notifications for this page.",
                        _ => "",
                    }}
                </p>
                <label class="choice">
                    <input type="checkbox" bind:checked=sound />
                    "Play a sound"
                </label>
                <label class="choice">
                    <input type="checkbox" bind:checked=hide_text />
                    "Hide message text in notifications"
                </label>
            </fieldset>

            <fieldset>
                <legend>"Theme"</legend>
                <div class="choices">
                    {theme_choice(Theme::System, "Like my device")}
                    {theme_choice(Theme::Light, "Light")}
                    {theme_choice(Theme::Dark, "Dark")}
                </div>
            </fieldset>

            <label for="settings-page">"Public page address (for invite links)"</label>
            <input
                id="settings-page"
                type="url"
                inputmode="url"
                spellcheck="false"
                placeholder="https://example.org/peerchat/"
                aria-invalid=move || page_error.with(Option::is_some).to_string()
                aria-describedby="settings-page-hint settings-page-error"
                bind:value=page
            />
            <p id="settings-page-hint" class="hint">
                "Where Peerchat is published, if you opened it from a file or a private address. Leave empty to use this page's address."
            </p>
            <p id="settings-page-error" class="field-error" role="alert">{move || page_error.get()}</p>

            <details class="advanced">
                <summary>"Advanced network settings"</summary>
                <label for="settings-endpoint">"Signaling servers"</label>
                <textarea
                    id="settings-endpoint"
                    rows="2"
                    inputmode="url"
                    spellcheck="false"
                    placeholder="wss://0.peerjs.com/ (default)"
                    aria-invalid=move || errors.with(|e| e.endpoint.is_some()).to_string()
                    aria-describedby="settings-endpoint-hint settings-endpoint-error"
                    bind:value=endpoint
                ></textarea>
                <p id="settings-endpoint-hint" class="hint">
                    "The servers that introduce you to your friends (they never see your messages). Leave empty for the public PeerJS server. For your own "
                    <code>"peer"</code>
                    " server: ws://host:port/path, with ?key=yourkey if it uses another key. Up to 4, one per line: you are reachable through each, and a friend needs to share only one of them."
                    <Show when=from_link>
                        " This page's link sets the servers now; changing this field replaces them."
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
                    "Servers that help connections through firewalls. One per line: a stun: or turn: URL, and for TURN a username and credential after it. "
                    "Leave empty for the default public STUN server."
                </p>
                <p id="settings-ice-error" class="field-error" role="alert">
                    {move || errors.with(|e| e.ice.clone())}
                </p>
                <label class="choice">
                    <input type="checkbox" bind:checked=relay aria-describedby="settings-relay-hint" />
                    "Always relay"
                </label>
                <p id="settings-relay-hint" class="hint">
                    "Connect only through the TURN server above: your friends never see your IP address, at some cost in speed. New connections use it."
                </p>
            </details>
            <p class="field-error" role="alert">{move || errors.with(|e| e.save.clone())}</p>
            <div class="actions">
                <button type="submit" class="primary">"Save"</button>
                <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </form>
        <DataSection />
    }
}
