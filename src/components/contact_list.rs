//! The contacts: name, online state, unread count.

use super::list_item::{ListItem, with_unread};
use crate::session::Session;
use leptos::prelude::*;

/// The list of contacts; choosing one opens the conversation.
#[component]
pub fn ContactList() -> impl IntoView {
    let session = expect_context::<Session>();
    let view = session.chat_view;
    view! {
        <nav class="card contacts" aria-labelledby="contacts-title">
            <h2 id="contacts-title">"Contacts"</h2>
            <Show when=move || view.contacts.with(Vec::is_empty)>
                <p class="hint">"No contacts yet."</p>
            </Show>
            <ul>
                <For each=move || view.contacts.get() key=|c| (c.id.clone(), c.name.clone(), c.online, c.unread) let:contact>
                    {
                        let id = contact.id.clone();
                        let current = {
                            let id = id.clone();
                            Signal::derive(move || view.active.with(|a| a.as_ref() == Some(&id)))
                        };
                        let state = if contact.online { "online" } else { "offline" };
                        let label = contact.label();
                        view! {
                            <ListItem
                                accessible=with_unread(format!("{label}, {state}"), contact.unread)
                                current=current
                                label=label
                                unread=contact.unread
                                on_open=move || {
                                    if let Some(chat) = session.chat() {
                                        chat.open(Some(id.clone()));
                                    }
                                }
                            >
                                <span class="presence" data-state=state aria-hidden="true"></span>
                            </ListItem>
                        }
                    }
                </For>
            </ul>
        </nav>
    }
}
