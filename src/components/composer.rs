//! The message box shared by conversations and rooms.

use crate::session::Session;
use leptos::prelude::*;

/// The message box: Enter sends, Shift+Enter starts a new line.
/// `send` gets the text and returns an error to show, if any; the text stays in the box
/// then (nothing typed is lost when a message cannot be saved). The box takes the focus
/// whenever `focus_on` changes (another conversation opened).
#[component]
pub fn Composer(
    send: Callback<String, Result<(), String>>,
    #[prop(into)] focus_on: Signal<Option<String>>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let area = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        focus_on.track();
        if let Some(el) = area.get() {
            el.focus().ok();
        }
    });
    let error = RwSignal::new(None::<String>);
    // The text just sent, until the box empties: a second Enter in between does not send
    // it twice.
    let leaving = StoredValue::new(None::<String>);
    let session = use_context::<Session>();
    let send = move || {
        let sent = text.get_untracked();
        if leaving.get_value().as_ref() == Some(&sent) {
            return;
        }
        match send.run(sent.clone()) {
            // The box empties with the message shown: at once, or a few milliseconds on
            // when the page waits for a fast acknowledgement (`ChatDriver::when_shown`),
            // unless the person already typed something else by then.
            Ok(()) => {
                leaving.set_value(Some(sent.clone()));
                let empty = move || {
                    if text.try_get_untracked().as_ref() == Some(&sent) {
                        text.try_set(String::new());
                    }
                    error.try_set(None);
                    leaving.try_set_value(None);
                };
                match session.and_then(|s| s.chat()) {
                    Some(chat) => chat.when_shown(empty),
                    None => empty(),
                }
            }
            Err(e) => error.set(Some(e)),
        }
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
                node_ref=area
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
