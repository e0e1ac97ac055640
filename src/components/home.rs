//! The main screen once a name is chosen: the conversation list (with the invite action,
//! requests, and the forms to start a chat or a room) beside the open conversation. On a
//! phone one pane shows at a time.

use super::chat_list::ChatList;
use super::conversation::ConversationPanel;
use super::id_card::IdCard;
use super::new_chat::NewChat;
use super::new_room::NewRoom;
use super::request_list::RequestList;
use super::room_panel::RoomPanel;
use crate::session::Session;
use leptos::prelude::*;

/// The home screen.
#[component]
pub fn Home() -> impl IntoView {
    let session = expect_context::<Session>();
    let has_active = Memo::new(move |_| session.chat_view.active.with(Option::is_some));
    let has_room = Memo::new(move |_| session.chat_view.active_room.with(Option::is_some));
    view! {
        <div class="chat-layout" data-conversation-open=move || (has_active.get() || has_room.get()).to_string()>
            <aside class="sidebar" aria-label="Conversations and invitations">
                <IdCard />
                <RequestList />
                <ChatList />
                <NewChat />
                <NewRoom />
            </aside>
            <Show when=move || has_room.get()>
                <RoomPanel />
            </Show>
            <Show
                when=move || has_active.get() || has_room.get()
                fallback=|| {
                    view! {
                        <section class="card empty-conversation" aria-label="No conversation open">
                            <p>"Pick a conversation, or invite a friend to start one."</p>
                        </section>
                    }
                }
            >
                <Show when=move || has_active.get()>
                    <ConversationPanel />
                </Show>
            </Show>
        </div>
    }
}
