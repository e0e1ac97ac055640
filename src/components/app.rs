//! The root component: builds the session and picks the screen.

use super::header::Header;
use super::home::Home;
use super::notices::Notices;
use super::onboarding::Onboarding;
use super::tab_conflict::TabConflict;
use crate::boot::boot;
use crate::session::{Session, TabState};
use leptos::prelude::*;

/// Which screen to show.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Screen {
    Elsewhere,
    Onboarding,
    Home,
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let session = Session::new(boot());
    provide_context(session);
    let settings_open = RwSignal::new(false);
    let screen =
        Memo::new(
            move |_| match (session.tab.get(), session.profile.with(Option::is_some)) {
                (TabState::Elsewhere, _) => Screen::Elsewhere,
                (_, false) => Screen::Onboarding,
                (_, true) => Screen::Home,
            },
        );
    view! {
        <div class="app">
            <Header settings_open=settings_open />
            <Notices />
            <main class="main">
                {move || match screen.get() {
                    Screen::Elsewhere => view! { <TabConflict /> }.into_any(),
                    Screen::Onboarding => view! { <Onboarding /> }.into_any(),
                    Screen::Home => view! { <Home settings_open=settings_open /> }.into_any(),
                }}
            </main>
        </div>
    }
}
