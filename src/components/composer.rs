//! The message box shared by conversations and rooms.

use leptos::prelude::*;

/// The message box: Enter sends, Shift+Enter starts a new line.
/// `send` gets the text and returns an error to show, if any.
#[component]
pub fn Composer(send: Callback<String, Result<(), String>>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let send = move || match send.run(text.get_untracked()) {
        Ok(()) => {
            text.set(String::new());
            error.set(None);
        }
        Err(e) => error.set(Some(e)),
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    view! {
        <form
            class="composer"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                send();
            }
        >
            <label for="composer-text" class="visually-hidden">"Message"</label>
            <textarea
                id="composer-text"
                rows="2"
                placeholder="Write a message"
                aria-describedby="composer-error"
                on:keydown=on_key
                bind:value=text
            ></textarea>
            <button type="submit" class="primary">"Send"</button>
            <p id="composer-error" class="field-error" role="alert">{move || error.get()}</p>
        </form>
    }
}
