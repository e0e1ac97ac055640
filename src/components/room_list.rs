//! The rooms: create one, and the list of rooms you are in.

use super::list_item::{ListItem, with_unread};
use crate::session::Session;
use leptos::prelude::*;

/// Rooms in the sidebar.
#[component]
pub fn RoomList() -> impl IntoView {
    let session = expect_context::<Session>();
    let view = session.chat_view;
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(chat) = session.chat() else { return };
        match chat.create_room(&name.get_untracked()) {
            Ok(()) => {
                name.set(String::new());
                error.set(None);
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <nav class="card contacts" aria-labelledby="rooms-title">
            <h2 id="rooms-title">"Rooms"</h2>
            <ul>
                <For each=move || view.rooms.get() key=|r| (r.id.clone(), r.name.clone(), r.unread, r.online) let:room>
                    {
                        let id = room.id.clone();
                        let current = {
                            let id = id.clone();
                            Signal::derive(move || view.active_room.with(|a| a.as_ref() == Some(&id)))
                        };
                        view! {
                            <ListItem
                                accessible=with_unread(format!("{}, room", room.name), room.unread)
                                current=current
                                label=room.name.clone()
                                unread=room.unread
                                on_open=move || {
                                    if let Some(chat) = session.chat() {
                                        chat.open_room(Some(id.clone()));
                                    }
                                }
                            >
                                <span class="room-mark" aria-hidden="true">"#"</span>
                            </ListItem>
                        }
                    }
                </For>
            </ul>
            <form on:submit=create novalidate class="inline-form">
                <label for="room-name">"New room name"</label>
                <div class="row">
                    <input
                        id="room-name"
                        type="text"
                        autocomplete="off"
                        aria-describedby="room-name-error"
                        bind:value=name
                    />
                    <button type="submit">"Create room"</button>
                </div>
                <p id="room-name-error" class="field-error" role="alert">{move || error.get()}</p>
            </form>
        </nav>
    }
}
