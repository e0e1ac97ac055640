//! Inviting a friend: the invite link (with a QR code of it, Copy, and Share where the
//! browser has it), your ID, and a plain warning when the page's address cannot work on
//! a friend's machine (a file on this computer, a private address).

use super::link_field::{LinkField, copy_text};
use super::modal::Modal;
use crate::boot::invite_link;
use crate::session::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use peerchat_core::prefs::reachable_by_friends;
use peerchat_core::qr::qr_path;

/// Whether the browser can share (the Web Share API, phones mostly).
fn can_share() -> bool {
    web_sys::window()
        .is_some_and(|w| js_sys::Reflect::has(&w.navigator(), &"share".into()).unwrap_or(false))
}

/// Opens the browser's share sheet with `text` and `url`.
async fn share(text: &str, url: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let navigator = window.navigator();
    let data = js_sys::Object::new();
    js_sys::Reflect::set(&data, &"text".into(), &text.into()).ok();
    js_sys::Reflect::set(&data, &"url".into(), &url.into()).ok();
    let Ok(share) = js_sys::Reflect::get(&navigator, &"share".into()) else {
        return;
    };
    let Ok(share) = share.dyn_into::<js_sys::Function>() else {
        return;
    };
    if let Ok(promise) = share.call1(&navigator, &data)
        && let Ok(promise) = promise.dyn_into::<js_sys::Promise>()
    {
        // Cancelling the sheet rejects the promise: nothing to tell the person.
        wasm_bindgen_futures::JsFuture::from(promise).await.ok();
    }
}

use wasm_bindgen::JsCast;

/// The "Invite a friend" dialog.
#[component]
pub fn InviteDialog(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <Modal open=open title="Invite a friend" id="invite-title">
            <InviteBody />
        </Modal>
    }
}

#[component]
fn InviteBody() -> impl IntoView {
    let session = expect_context::<Session>();
    let id = session.peer_id.get_value();
    let name = session
        .profile
        .with_untracked(|p| p.as_ref().map(|p| p.name.to_string()));
    let link = {
        let id = id.clone();
        Memo::new(move |_| {
            let page = session.prefs.with(|p| p.page.clone());
            let servers = session.link_servers();
            invite_link(&id, name.as_deref(), page.as_deref(), servers.as_deref())
        })
    };
    let reachable = Memo::new(move |_| link.with(|l| reachable_by_friends(l)));
    let feedback = RwSignal::new("");
    let copy = move |text: String, done: &'static str| {
        spawn_local(async move {
            feedback.set(if copy_text(&text).await {
                done
            } else {
                "Could not copy; select it above and copy it by hand."
            });
        });
    };
    let qr = move || {
        link.with(|l| qr_path(l)).map(|q| {
            let size = q.size + 8;
            view! {
                <svg
                    class="qr"
                    role="img"
                    aria-label="QR code of the invite link"
                    viewBox=format!("-4 -4 {size} {size}")
                    shape-rendering="crispEdges"
                >
                    <rect x="-4" y="-4" width=size.to_string() height=size.to_string() fill="#fff"></rect>
                    <path d=q.path fill="#000"></path>
                </svg>
            }
        })
    };
    let id_text = id.to_string();
    view! {
        <p class="hint">
            "Send this link to a friend. When they open it and pick a name, you are connected. "
            "Anyone with the link can ask to chat with you; you decide whether to accept."
        </p>
        <Show when=move || !reachable.get()>
            <p class="warning" role="note">
                "This page's address only works on this computer or network, so the link cannot open Peerchat on your friend's machine. "
                "Your friend needs Peerchat too: send them the page file (or a public address of it) together with your ID below. "
                "If Peerchat is published somewhere, set its address under Settings → Invite links."
            </p>
        </Show>
        <LinkField label="Invite link" link=link shown=Signal::stored(true) />
        <div class="actions">
            <button type="button" class="primary" on:click=move |_| copy(link.get_untracked(), "Invite link copied. Send it to a friend.")>
                "Copy invite link"
            </button>
            <Show when=can_share>
                <button type="button" on:click=move |_| {
                    let url = link.get_untracked();
                    spawn_local(async move { share("Chat with me on Peerchat", &url).await });
                }>"Share…"</button>
            </Show>
        </div>
        <p class="hint" aria-live="polite">{move || feedback.get()}</p>
        // A QR code of a file on this computer could not open anything on a phone.
        <Show when=move || !link.with(|l| l.starts_with("file:"))>
            <figure class="qr-figure">
                {qr}
                <figcaption class="hint">"Or scan this with your friend's phone."</figcaption>
            </figure>
        </Show>
        <h3>"Your ID"</h3>
        <div class="id-row">
            <code class="peer-id" aria-label="Your ID in the invitation">{id_text.clone()}</code>
            <button type="button" on:click=move |_| copy(id_text.clone(), "ID copied to the clipboard.")>"Copy ID"</button>
        </div>
    }
}
