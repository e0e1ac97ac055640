//! Start a chat by pasting a friend's ID.

use crate::session::Session;
use leptos::prelude::*;

/// The "start a chat" form.
#[component]
pub fn NewChat() -> impl IntoView {
    let session = expect_context::<Session>();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(chat) = session.chat() else { return };
        match chat.add_contact(&text.get_untracked()) {
            Ok(()) => {
                error.set(None);
                text.set(String::new());
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <section class="card" aria-labelledby="new-chat-title">
            <h2 id="new-chat-title">"Start a chat"</h2>
            <form on:submit=submit novalidate class="inline-form">
                <label for="friend-id">"Friend's ID"</label>
                <div class="row">
                    <input
                        id="friend-id"
                        type="text"
                        spellcheck="false"
                        autocomplete="off"
                        placeholder="pc-…"
                        aria-invalid=move || error.with(Option::is_some).to_string()
                        aria-describedby="friend-id-error"
                        bind:value=text
                    />
                    <button type="submit" class="primary">"Start chat"</button>
                </div>
                <p id="friend-id-error" class="field-error" role="alert">{move || error.get()}</p>
            </form>
        </section>
    }
}
