//! The conversation list: contacts and rooms together, the most recent first, each with
//! its latest message, its time and the unread count (the order is the core's
//! [`chat_list`]).

use super::list_item::ListItem;
use crate::session::Session;
use leptos::prelude::*;
use peerchat_core::calendar;
use peerchat_core::engine::{ChatItem, Target, chat_list};

/// The list time of `ms` in the browser's time zone.
pub fn list_time(ms: u64) -> String {
    let now = js_sys::Date::now() as u64;
    calendar::list_time(&local(ms), &local(now))
}

/// The local time of `ms` (the browser's offset at that moment, summer time included).
pub fn local(ms: u64) -> calendar::Local {
    let offset =
        js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)).get_timezone_offset();
    calendar::local(ms, -(offset as i32))
}

/// Contacts and rooms in one list.
#[component]
pub fn ChatList() -> impl IntoView {
    let session = expect_context::<Session>();
    let view = session.chat_view;
    let items = Memo::new(move |_| {
        view.contacts
            .with(|contacts| view.rooms.with(|rooms| chat_list(contacts, rooms)))
    });
    let entry = move |item: ChatItem| {
        let target = item.target.clone();
        let current = {
            let target = target.clone();
            Signal::derive(move || match &target {
                Target::Peer(p) => view.active.with(|a| a.as_ref() == Some(p)),
                Target::Room(r) => view.active_room.with(|a| a.as_ref() == Some(r)),
            })
        };
        let mark = match &target {
            Target::Room(_) => {
                view! { <span class="room-mark" aria-hidden="true">"#"</span> }.into_any()
            }
            Target::Peer(_) => {
                let state = if item.online { "online" } else { "offline" };
                view! { <span class="presence" data-state=state aria-hidden="true"></span> }
                    .into_any()
            }
        };
        view! {
            <ListItem
                accessible=item.accessible_name()
                current=current
                label=item.label.clone()
                detail=item.preview_line()
                time=item.last.as_ref().map(|p| list_time(p.at)).unwrap_or_default()
                unread=item.unread
                on_open=move || session.open_target(target.clone())
            >
                {mark}
            </ListItem>
        }
    };
    view! {
        <nav class="card contacts" aria-labelledby="chats-title">
            <h2 id="chats-title">"Chats"</h2>
            <Show when=move || items.with(Vec::is_empty)>
                <p class="hint empty-chats">
                    "No conversations yet. Invite a friend, or paste their ID below to start one."
                </p>
            </Show>
            <ul>
                <For each=move || items.get() key=|item| item.clone() children=entry />
            </ul>
        </nav>
    }
}
