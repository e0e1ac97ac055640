//! The main screen once a name is chosen: your ID, contacts, and the open conversation.

use super::contact_list::ContactList;
use super::conversation::ConversationPanel;
use super::id_card::IdCard;
use super::new_chat::NewChat;
use super::request_list::RequestList;
use super::room_list::RoomList;
use super::room_panel::RoomPanel;
use super::settings::SettingsPanel;
use crate::session::Session;
use leptos::prelude::*;

/// The home screen. `settings_open` shows the settings panel above it.
#[component]
pub fn Home(settings_open: RwSignal<bool>) -> impl IntoView {
    let session = expect_context::<Session>();
    let has_active = Memo::new(move |_| session.chat_view.active.with(Option::is_some));
    let has_room = Memo::new(move |_| session.chat_view.active_room.with(Option::is_some));
    view! {
        <Show when=move || settings_open.get()>
            <SettingsPanel on_close=move || settings_open.set(false) />
        </Show>
        <div class="chat-layout" data-conversation-open=move || (has_active.get() || has_room.get()).to_string()>
            <aside class="sidebar" aria-label="Contacts and your ID">
                <IdCard />
                <NewChat />
                <RequestList />
                <ContactList />
                <RoomList />
            </aside>
            <Show when=move || has_room.get()>
                <RoomPanel />
            </Show>
            <Show
                when=move || has_active.get() || has_room.get()
                fallback=|| {
                    view! {
                        <section class="card empty-conversation" aria-label="No conversation open">
                            <p>"Pick a contact, or paste a friend's ID to start a chat."</p>
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
