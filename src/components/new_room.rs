//! Create a room.

use crate::session::Session;
use leptos::prelude::*;

/// The "new room" form.
#[component]
pub fn NewRoom() -> impl IntoView {
    let session = expect_context::<Session>();
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
        <section class="card" aria-labelledby="new-room-title">
            <h2 id="new-room-title">"New room"</h2>
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
        </section>
    }
}
