//! Shown when the profile is open in another tab of this browser.

use crate::session::Session;
use leptos::prelude::*;

/// Explains the conflict and offers to take over.
#[component]
pub fn TabConflict() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <section class="card" aria-labelledby="elsewhere-title">
            <h2 id="elsewhere-title">"Peerchat is open in another tab"</h2>
            <p>
                "Your profile can only be used in one tab at a time, so that your ID is not "
                "connected twice. Close this tab, or use Peerchat here; the other tab will pause. "
                "When the other tab is closed, this one carries on by itself."
            </p>
            <button type="button" class="primary" on:click=move |_| session.use_here()>
                "Use Peerchat here"
            </button>
        </section>
    }
}
