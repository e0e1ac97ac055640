//! Message requests: people who are not contacts and connected or wrote. Nothing of
//! theirs is kept, and nothing of mine reaches them, until the person accepts.

use super::list_item::ListItem;
use crate::session::Session;
use leptos::prelude::*;

/// The requests in the sidebar; shown only when there are some.
#[component]
pub fn RequestList() -> impl IntoView {
    let session = expect_context::<Session>();
    let view = session.chat_view;
    view! {
        <Show when=move || view.requests.with(|r| !r.is_empty())>
            <nav class="card contacts requests" aria-labelledby="requests-title">
                <h2 id="requests-title">"Message requests"</h2>
                <p class="hint">"Not in your contacts. Nothing is saved or sent to them until you accept."</p>
                <ul>
                    <For each=move || view.requests.get() key=|r| (r.id.clone(), r.name.clone(), r.count) let:request>
                        {
                            let id = request.id.clone();
                            let current = {
                                let id = id.clone();
                                Signal::derive(move || view.active.with(|a| a.as_ref() == Some(&id)))
                            };
                            let label = request.name.clone().unwrap_or_else(|| id.to_string());
                            let count = request.count;
                            let accessible = match count {
                                0 => format!("{label}, request"),
                                1 => format!("{label}, request, 1 message"),
                                n => format!("{label}, request, {n} messages"),
                            };
                            view! {
                                <ListItem
                                    accessible=accessible
                                    current=current
                                    label=label
                                    unread=u32::try_from(count).unwrap_or(u32::MAX)
                                    on_open=move || {
                                        if let Some(chat) = session.chat() {
                                            chat.open(Some(id.clone()));
                                        }
                                    }
                                >
                                    <span class="request-mark" aria-hidden="true">"?"</span>
                                </ListItem>
                            }
                        }
                    </For>
                </ul>
            </nav>
        </Show>
    }
}
