//! The open conversation: who, the messages (only the latest are rendered; earlier ones on
//! request), and the composer.

use super::composer::Composer;
use super::message_window::{BackButton, EarlierMessages, PAGE, hidden as hidden_count};
use crate::session::Session;
use leptos::html::Div;
use leptos::prelude::*;
use peerchat_core::conversation::Message;

/// The delivery state of one of my messages.
fn delivery(seq: u64, sent: u64, acked: u64) -> &'static str {
    if seq <= acked {
        "Delivered"
    } else if seq <= sent {
        "Sent"
    } else {
        "Sending"
    }
}

/// `HH:MM` in local time.
fn clock(ts: u64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts as f64));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}

/// The conversation panel for the active contact.
#[component]
pub fn ConversationPanel() -> impl IntoView {
    let session = expect_context::<Session>();
    let view = session.chat_view;
    let me = session.peer_id.get_value();
    let contact = Memo::new(move |_| {
        let active = view.active.get()?;
        view.contacts
            .with(|list| list.iter().find(|c| c.id == active).cloned())
    });
    let request = Memo::new(move |_| {
        let active = view.active.get()?;
        view.requests
            .with(|list| list.iter().find(|r| r.id == active).cloned())
    });
    let is_request = move || view.active_is_request.get();
    let title = move || {
        contact
            .get()
            .map(|c| c.label())
            .or_else(|| {
                request
                    .get()
                    .map(|r| r.name.unwrap_or_else(|| r.id.to_string()))
            })
            .unwrap_or_default()
    };
    let peer_id = move || view.active.get().map(|p| p.to_string()).unwrap_or_default();
    let decide = move |choice: &'static str| {
        let (Some(chat), Some(peer)) = (session.chat(), view.active.get_untracked()) else {
            return;
        };
        match choice {
            "accept" => chat.accept(&peer),
            "decline" => chat.decline(&peer),
            _ => {
                if let Err(e) = chat.block(&peer) {
                    session.notify(e);
                }
            }
        }
    };
    let shown = RwSignal::new(PAGE);
    // A new conversation starts with the latest page.
    Effect::new(move |_| {
        view.active.track();
        shown.set(PAGE);
    });
    let hidden = Memo::new(move |_| hidden_count(view.messages.with(Vec::len), shown.get()));
    let visible = move || {
        let skip = hidden.get();
        view.messages.with(|all| all[skip..].to_vec())
    };
    let list_ref = NodeRef::<Div>::new();
    // Keep the newest message in sight when messages arrive.
    Effect::new(move |_| {
        view.messages.with(Vec::len);
        if let Some(el) = list_ref.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let row = move |m: Message| {
        let mine = m.author == me;
        let status = move || delivery(m.seq, view.sent.get(), view.acked.get());
        let author = if mine { "You".to_string() } else { title() };
        view! {
            <article class="msg" class:mine=mine aria-label=format!("Message from {author}")>
                // Text, never HTML: Leptos renders this as a text node.
                <p class="msg-text">{m.text.clone()}</p>
                <footer class="msg-meta">
                    <time>{clock(m.ts)}</time>
                    <Show when=move || mine>
                        <span class="delivery" data-status=status>{status}</span>
                    </Show>
                </footer>
            </article>
        }
    };
    view! {
        <section class="card conversation" aria-label=move || format!("Conversation with {}", title())>
            <header class="conversation-header">
                <BackButton on_back=move || {
                    if let Some(chat) = session.chat() {
                        chat.open(None);
                    }
                } />
                <div>
                    <h2>{title}</h2>
                    <p class="hint">
                        <span class="presence-text">
                            {move || {
                                if is_request() {
                                    "Message request, verified ID"
                                } else if contact.get().is_some_and(|c| c.online) {
                                    "Online, verified"
                                } else {
                                    "Offline"
                                }
                            }}
                        </span>
                        " · "
                        <code>{peer_id}</code>
                    </p>
                </div>
            </header>
            <Show when=is_request>
                <section class="request-actions" aria-label="Message request">
                    <p>
                        "This person is not in your contacts. Their messages are only kept until you decide, and they get nothing from you (not even your name) unless you accept."
                    </p>
                    <div class="row">
                        <button type="button" class="primary" on:click=move |_| decide("accept")>"Accept"</button>
                        <button type="button" on:click=move |_| decide("decline")>"Decline"</button>
                        <button type="button" class="danger" on:click=move |_| decide("block")>"Block"</button>
                    </div>
                </section>
            </Show>
            <div class="messages" role="log" aria-label="Messages" node_ref=list_ref>
                <EarlierMessages hidden=hidden shown=shown />
                <For each=visible key=|m| m.id.clone() children=row />
            </div>
            <Show when=move || !is_request()>
                <Composer send=Callback::new(move |text: String| {
                    let (Some(chat), Some(peer)) = (session.chat(), view.active.get_untracked()) else {
                        return Ok(());
                    };
                    chat.send(&peer, &text)
                }) />
            </Show>
        </section>
    }
}
