//! First visit: ask for a display name.

use crate::session::Session;
use leptos::prelude::*;
use peerchat_core::name::MAX_NAME_CHARS;

/// The welcome form.
#[component]
pub fn Onboarding() -> impl IntoView {
    let session = expect_context::<Session>();
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let invited = session.invited.get_value();
    let field = NodeRef::<leptos::html::Input>::new();
    // The one thing to do here: the name field has the focus from the start.
    Effect::new(move |_| {
        if let Some(el) = field.get() {
            el.focus().ok();
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(session.choose_name(&name.get_untracked()).err());
    };
    view! {
        <section class="card onboarding" aria-labelledby="welcome-title">
            <h2 id="welcome-title">"Welcome to Peerchat"</h2>
            {invited.by.clone().map(|by| {
                let text = match &invited.room {
                    Some(room) => format!("{by} invited you to the room {room}."),
                    None => format!("{by} invited you to chat."),
                };
                view! { <p class="invited">{text}</p> }
            })}
            {invited.by.is_none().then(|| invited.room.clone()).flatten().map(|room| {
                view! { <p class="invited">{format!("You are invited to the room {room}.")}</p> }
            })}
            <p>
                "Chat straight from your browser to your friends' browsers. "
                "Pick the name they will see; you can change it later."
            </p>
            <form on:submit=submit novalidate>
                <label for="display-name">"Your name"</label>
                <input
                    id="display-name"
                    node_ref=field
                    type="text"
                    autocomplete="nickname"
                    maxlength=(MAX_NAME_CHARS * 2).to_string()
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    aria-describedby="display-name-error"
                    bind:value=name
                />
                <p id="display-name-error" class="field-error" role="alert">
                    {move || error.get()}
                </p>
                <button type="submit" class="primary">"Start chatting"</button>
            </form>
        </section>
    }
}
