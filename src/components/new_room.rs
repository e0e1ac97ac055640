//! Create a room.

use super::inline_form::InlineForm;
use crate::session::Session;
use leptos::prelude::*;

/// The "new room" form.
#[component]
pub fn NewRoom() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <InlineForm
            title="New room"
            id="new-room"
            label="New room name"
            button="Create room"
            submit=Callback::new(move |text: String| match session.chat() {
                Some(chat) => chat.create_room(&text),
                None => Ok(()),
            })
        />
    }
}
