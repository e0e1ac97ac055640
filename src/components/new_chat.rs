//! Start a chat by pasting a friend's ID.

use super::inline_form::InlineForm;
use crate::session::Session;
use leptos::prelude::*;

/// The "start a chat" form.
#[component]
pub fn NewChat() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <InlineForm
            title="Start a chat"
            id="new-chat"
            label="Friend's ID"
            button="Start chat"
            primary=true
            placeholder="pc-…"
            no_spellcheck=true
            submit=Callback::new(move |text: String| match session.chat() {
                Some(chat) => chat.add_contact(&text),
                None => Ok(()),
            })
        />
    }
}
