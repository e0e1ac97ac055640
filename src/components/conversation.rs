//! The open conversation: who, the messages (only the latest are rendered; earlier ones on
//! request) with day separators, and the composer. The header holds *Delete messages* and
//! *Remove contact*, each confirmed and undoable for a few seconds.

use super::composer::Composer;
use super::connection_details::ConnectionDetails;
use super::message_parts::{DaySeparator, MessageText, MessageTime, day_breaks};
use super::message_window::{BackButton, EarlierMessages, PAGE, Scroller, hidden as hidden_count};
use crate::session::{Session, UNDO_MS};
use leptos::prelude::*;
use peerchat_core::conversation::Message;
use peerchat_core::engine::{Delivery, DeliveryState};

/// What the person is asked to confirm in the header.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Asking {
    Nothing,
    Delete,
    Remove,
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
    let online = Memo::new(move |_| contact.get().is_some_and(|c| c.online));
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
    let asking = RwSignal::new(Asking::Nothing);
    let details_open = RwSignal::new(false);
    let confirm = move |_| {
        let Some(peer) = view.active.get_untracked() else {
            return;
        };
        let who = title();
        let what = asking.get_untracked();
        asking.set(Asking::Nothing);
        let (said, remove) = match what {
            Asking::Delete => (format!("Messages with {who} deleted."), false),
            Asking::Remove => (format!("{who} removed from your contacts."), true),
            Asking::Nothing => return,
        };
        if remove {
            // The list shows no open conversation while the removal waits.
            if let Some(chat) = session.chat() {
                chat.open(None);
            }
        }
        session.after_undo_delay(said, move || {
            if let Some(chat) = session.chat() {
                if remove {
                    chat.remove_contact(&peer);
                } else {
                    chat.delete_messages(&peer);
                }
            }
        });
    };
    let shown = RwSignal::new(PAGE);
    let scroller = Scroller::new();
    // A new conversation starts with the latest page.
    Effect::new(move |_| {
        view.active.track();
        shown.set(PAGE);
        asking.set(Asking::Nothing);
        details_open.set(false);
        scroller.show_newest();
    });
    let hidden = Memo::new(move |_| hidden_count(view.messages.with(Vec::len), shown.get()));
    let visible = move || {
        let skip = hidden.get();
        view.messages.with(|all| {
            let page = &all[skip..];
            let breaks = day_breaks(page.iter().map(|m| m.ts));
            page.iter().cloned().zip(breaks).collect::<Vec<_>>()
        })
    };
    let row = move |(m, day): (Message, Option<String>)| {
        let mine = m.author == me;
        // My messages' delivery: each row follows its own state, so an `ack` re-renders
        // the rows whose state changed, not every row on the page.
        let delivery = mine.then(|| {
            let seq = m.seq;
            let state = Memo::new(move |_| {
                let delivery = Delivery {
                    acked: view.acked.get(),
                    sent: view.sent.get(),
                };
                DeliveryState::of(seq, &delivery)
            });
            let status = move || state.get().label(online.get(), &title());
            view! { <span class="delivery" data-status=move || state.get().name()>{status}</span> }
        });
        let author = if mine { "You".to_string() } else { title() };
        view! {
            {day.map(|label| view! { <DaySeparator label=label /> })}
            <article class="msg" class:mine=mine aria-label=format!("Message from {author}")>
                <MessageText text=m.text.clone() />
                <footer class="msg-meta">
                    <MessageTime ts=m.ts />
                    {delivery}
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
                <div class="room-title">
                    <h2>{title}</h2>
                    <p class="hint">
                        <span class="presence-text">
                            {move || {
                                if is_request() {
                                    "Message request, verified ID"
                                } else if online.get() {
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
                <Show when=move || !is_request()>
                    <div class="actions">
                        <button
                            type="button"
                            aria-expanded=move || details_open.get().to_string()
                            aria-controls="connection-details"
                            on:click=move |_| details_open.update(|o| *o = !*o)
                        >
                            "Connection details"
                        </button>
                        <button type="button" on:click=move |_| asking.set(Asking::Delete)>"Delete messages"</button>
                        <button type="button" on:click=move |_| asking.set(Asking::Remove)>"Remove contact"</button>
                    </div>
                </Show>
            </header>
            <Show when=move || details_open.get() && !is_request()>
                {move || view.active.get().map(|peer| view! { <ConnectionDetails peer=peer /> })}
            </Show>
            <Show when=move || asking.get() != Asking::Nothing>
                <div class="confirm" role="alertdialog" aria-labelledby="conversation-confirm">
                    <p id="conversation-confirm">
                        {move || match asking.get() {
                            Asking::Remove => format!(
                                "Remove {} from your contacts? Your messages with them are deleted from this browser, and they can only reach you again as a message request.",
                                title()
                            ),
                            _ => format!(
                                "Delete your messages with {} from this browser? They keep their copy. Messages still on their way are kept until delivered.",
                                title()
                            ),
                        }}
                    </p>
                    <div class="actions">
                        <button type="button" class="danger" on:click=confirm>
                            {move || if asking.get() == Asking::Remove { "Remove" } else { "Delete" }}
                        </button>
                        <button type="button" on:click=move |_| asking.set(Asking::Nothing)>"Cancel"</button>
                    </div>
                    <p class="hint">{format!("You can undo for {} seconds.", UNDO_MS / 1_000)}</p>
                </div>
            </Show>
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
            <div class="messages" role="log" aria-label="Messages" tabindex="0" node_ref=scroller.list on:scroll=move |_| scroller.scrolled()>
                <div class="messages-inner">
                    <EarlierMessages hidden=hidden shown=shown scroller=scroller />
                    <For each=visible key=|(m, day)| (m.id.clone(), day.clone()) children=row />
                </div>
            </div>
            <Show when=move || !is_request()>
                <Composer
                    focus_on=Signal::derive(move || view.active.get().map(|p| p.to_string()))
                    send=Callback::new(move |text: String| {
                        let (Some(chat), Some(peer)) = (session.chat(), view.active.get_untracked()) else {
                            return Ok(());
                        };
                        scroller.show_newest();
                        chat.send(&peer, &text)
                    })
                />
            </Show>
        </section>
    }
}
