//! The open room: members, messages with their authors and receipts, invite, leave.

use super::composer::Composer;
use super::link_field::{LinkField, copy_text};
use super::message_window::{BackButton, EarlierMessages, PAGE, hidden as hidden_count};
use crate::boot::invite_base;
use crate::session::Session;
use leptos::prelude::*;
use peerchat_core::room::log::RoomLog;
use peerchat_core::room::message::{Kind, RoomMessage};

/// The room panel for the active room.
#[component]
pub fn RoomPanel() -> impl IntoView {
    let session = expect_context::<Session>();
    let view = session.chat_view;
    let room = Memo::new(move |_| {
        let id = view.active_room.get()?;
        view.rooms
            .with(|list| list.iter().find(|r| r.id == id).cloned())
    });
    let title = move || room.get().map(|r| r.name).unwrap_or_default();
    let shown = RwSignal::new(PAGE);
    let hidden = Memo::new(move |_| hidden_count(view.room_messages.with(Vec::len), shown.get()));
    let visible = move || {
        let skip = hidden.get();
        view.room_messages.with(|all| all[skip..].to_vec())
    };
    let present = Memo::new(move |_| view.room_members.with(Vec::len));
    // The link names members to dial among those online now, so it follows the member list.
    let invite = Signal::derive(move || {
        view.room_members.track();
        let id = view.active_room.get()?;
        let fragment = session.chat()?.room_invite(&id)?;
        Some(format!("{}#{fragment}", invite_base()))
    });
    let invite_shown = RwSignal::new(false);
    let copied = RwSignal::new("");
    // Another room opened in this panel: its link stays hidden until asked for.
    Effect::new(move |_| {
        view.active_room.track();
        invite_shown.set(false);
        copied.set("");
    });
    let copy_invite = move |_| {
        let Some(link) = invite.get_untracked() else {
            return;
        };
        invite_shown.set(true);
        leptos::task::spawn_local(async move {
            copied.set(if copy_text(&link).await {
                "Room invite link copied."
            } else {
                "Could not copy; select the link and copy it by hand."
            });
        });
    };
    let row = move |m: RoomMessage| {
        let author = view
            .room_members
            .with_untracked(|ms| {
                ms.iter().find(|x| x.id == m.author).map(|x| {
                    if x.me {
                        "You".to_string()
                    } else {
                        x.name.clone()
                    }
                })
            })
            .unwrap_or_else(|| {
                if m.kind == Kind::Text {
                    m.author.to_string()
                } else {
                    m.text.clone()
                }
            });
        let mine = m.author == session.peer_id.get_value();
        match m.kind {
            Kind::Join | Kind::Leave => {
                let verb = if m.kind == Kind::Join {
                    "joined"
                } else {
                    "left"
                };
                view! { <p class="system-msg">{format!("{} {verb} the room", m.text)}</p> }
                    .into_any()
            }
            Kind::Text => {
                let receipts = {
                    let m = m.clone();
                    move || {
                        let have = view.room_vectors.with(|vs| RoomLog::holders(&m, vs.iter()));
                        format!("Seen by {} of {}", have.min(present.get()), present.get())
                    }
                };
                view! {
                    <article class="msg" class:mine=mine aria-label=format!("Message from {author}")>
                        <p class="msg-author">{author.clone()}</p>
                        <p class="msg-text">{m.text.clone()}</p>
                        <footer class="msg-meta">
                            <span class="receipts">{receipts}</span>
                        </footer>
                    </article>
                }
                .into_any()
            }
        }
    };
    view! {
        <section class="card conversation" aria-label=move || format!("Room {}", title())>
            <header class="conversation-header">
                <BackButton on_back=move || {
                    if let Some(chat) = session.chat() {
                        chat.open_room(None);
                    }
                } />
                <div class="room-title">
                    <h2>{title}</h2>
                    <p class="hint">{move || format!("{} members", present.get())}</p>
                </div>
                <div class="actions">
                    <button type="button" on:click=copy_invite>"Copy room invite link"</button>
                    <button
                        type="button"
                        on:click=move |_| {
                            if let (Some(chat), Some(id)) = (session.chat(), view.active_room.get_untracked()) {
                                chat.leave_room(&id);
                            }
                        }
                    >
                        "Leave room"
                    </button>
                </div>
            </header>
            <p class="hint room-feedback" aria-live="polite">{move || copied.get()}</p>
            <LinkField
                label="Room invite link"
                link=Signal::derive(move || invite.get().unwrap_or_default())
                shown=invite_shown
            />
            <ul class="members" aria-label="Members">
                <For each=move || view.room_members.get() key=|m| (m.id.clone(), m.online, m.name.clone()) let:member>
                    <li aria-label=format!("{}, {}", member.name, if member.online { "online" } else { "offline" })>
                        <span class="presence" data-state=if member.online { "online" } else { "offline" } aria-hidden="true"></span>
                        {if member.me { format!("{} (you)", member.name) } else { member.name.clone() }}
                        // The id is the fingerprint of the member's verified key.
                        <code class="member-id" title="Verified ID (fingerprint of this member's key)">
                            {member.id.to_string()}
                        </code>
                    </li>
                </For>
            </ul>
            <div class="messages" role="log" aria-label="Messages">
                <EarlierMessages hidden=hidden shown=shown />
                <For each=visible key=|m| m.id.clone() children=row />
            </div>
            <Composer send=Callback::new(move |text: String| {
                let (Some(chat), Some(id)) = (session.chat(), view.active_room.get_untracked()) else {
                    return Ok(());
                };
                chat.room_send(&id, &text)
            }) />
        </section>
    }
}
