//! The open room: members, messages with their authors and receipts, invite, leave.

use super::composer::Composer;
use super::link_field::{LinkField, copy_text};
use super::message_parts::{DaySeparator, MessageText, MessageTime, day_breaks};
use super::message_window::{BackButton, EarlierMessages, PAGE, Scroller, hidden as hidden_count};
use crate::boot::link_base;
use crate::session::{Session, UNDO_MS};
use leptos::prelude::*;
use peerchat_core::engine::receipt_label;
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
    let scroller = Scroller::new();
    let hidden = Memo::new(move |_| hidden_count(view.room_messages.with(Vec::len), shown.get()));
    let visible = move || {
        let skip = hidden.get();
        view.room_messages.with(|all| {
            let page = &all[skip..];
            let breaks = day_breaks(page.iter().map(|m| m.ts));
            page.iter().cloned().zip(breaks).collect::<Vec<_>>()
        })
    };
    let members_open = RwSignal::new(false);
    let leaving = RwSignal::new(false);
    let leave = move |_| {
        leaving.set(false);
        let Some(id) = view.active_room.get_untracked() else {
            return;
        };
        let name = title();
        if let Some(chat) = session.chat() {
            chat.open_room(None);
        }
        session.after_undo_delay(format!("You left {name}."), move || {
            if let Some(chat) = session.chat() {
                chat.leave_room(&id);
            }
        });
    };
    let present = Memo::new(move |_| view.room_members.with(Vec::len));
    // The link names members to dial among those online now, so it follows the member list.
    let invite = Signal::derive(move || {
        view.room_members.track();
        let id = view.active_room.get()?;
        let fragment = session.chat()?.room_invite(&id)?;
        let page = session.prefs.with(|p| p.page.clone());
        let servers = session.link_servers();
        Some(format!(
            "{}#{fragment}",
            link_base(page.as_deref(), servers.as_deref())
        ))
    });
    let invite_shown = RwSignal::new(false);
    let copied = RwSignal::new("");
    // Another room opened in this panel: its link stays hidden until asked for.
    Effect::new(move |_| {
        view.active_room.track();
        invite_shown.set(false);
        copied.set("");
        members_open.set(false);
        leaving.set(false);
        // A room opens at its newest messages, like a conversation.
        shown.set(PAGE);
        scroller.show_newest();
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
    let row = move |(m, day): (RoomMessage, Option<String>)| {
        let day = day.map(|label| view! { <DaySeparator label=label /> });
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
                view! { {day}<p class="system-msg">{format!("{} {verb} the room", m.text)}</p> }
                    .into_any()
            }
            Kind::Text => {
                let receipts = {
                    let m = m.clone();
                    move || {
                        let have = view.room_vectors.with(|vs| RoomLog::holders(&m, vs.iter()));
                        receipt_label(have, present.get())
                    }
                };
                view! {
                    {day}
                    <article class="msg" class:mine=mine aria-label=format!("Message from {author}")>
                        <p class="msg-author">{author.clone()}</p>
                        <MessageText text=m.text.clone() />
                        <footer class="msg-meta">
                            <MessageTime ts=m.ts />
                            <span class="receipts" title="Members present who hold a copy of this message">{receipts}</span>
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
                    <button
                        type="button"
                        class="link-button members-toggle"
                        aria-expanded=move || members_open.get().to_string()
                        aria-controls="room-members"
                        on:click=move |_| members_open.update(|o| *o = !*o)
                    >
                        {move || match present.get() { 1 => "1 member".to_string(), n => format!("{n} members") }}
                    </button>
                </div>
                <div class="actions">
                    <button type="button" on:click=copy_invite>"Copy room invite link"</button>
                    <button type="button" on:click=move |_| leaving.set(true)>"Leave room"</button>
                </div>
            </header>
            <Show when=move || leaving.get()>
                <div class="confirm" role="alertdialog" aria-labelledby="leave-question">
                    <p id="leave-question">
                        {move || format!("Leave {}? The members are told, you stop receiving its messages, and you need a new invitation to come back. Its history stays in this browser.", title())}
                    </p>
                    <div class="actions">
                        <button type="button" class="danger" on:click=leave>"Leave"</button>
                        <button type="button" on:click=move |_| leaving.set(false)>"Stay"</button>
                    </div>
                    <p class="hint">{format!("You can undo for {} seconds.", UNDO_MS / 1_000)}</p>
                </div>
            </Show>
            <p class="hint room-feedback" aria-live="polite">{move || copied.get()}</p>
            <LinkField
                label="Room invite link"
                link=Signal::derive(move || invite.get().unwrap_or_default())
                shown=invite_shown
            />
            <ul class="members" id="room-members" class:open=move || members_open.get() aria-label="Members">
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
            <div class="messages" role="log" aria-label="Messages" tabindex="0" node_ref=scroller.list on:scroll=move |_| scroller.scrolled()>
                <div class="messages-inner">
                    <EarlierMessages hidden=hidden shown=shown scroller=scroller />
                    <For each=visible key=|(m, day)| (m.id.clone(), day.clone()) children=row />
                </div>
            </div>
            <Composer
                focus_on=Signal::derive(move || view.active_room.get().map(|r| r.to_string()))
                send=Callback::new(move |text: String| {
                    let (Some(chat), Some(id)) = (session.chat(), view.active_room.get_untracked()) else {
                        return Ok(());
                    };
                    scroller.show_newest();
                    chat.room_send(&id, &text)
                })
            />
        </section>
    }
}
