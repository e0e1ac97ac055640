//! The root component: builds the session and picks the screen.

use super::header::Header;
use super::home::Home;
use super::notices::Notices;
use super::onboarding::Onboarding;
use super::settings::SettingsDialog;
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
    // The unread total in the tab title and the favicon badge.
    let view = session.chat_view;
    Effect::new(move |_| {
        let unread: u64 = view
            .contacts
            .with(|c| c.iter().map(|c| u64::from(c.unread)).sum::<u64>())
            + view
                .rooms
                .with(|r| r.iter().map(|r| u64::from(r.unread)).sum::<u64>());
        crate::alerts::show_unread(unread);
    });
    // The chosen theme on the root element (the style sheet follows it).
    Effect::new(move |_| {
        let theme = session.prefs.with(|p| p.theme.attribute());
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            root.set_attribute("data-theme", theme).ok();
        }
    });
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
                    Screen::Home => view! { <Home /> }.into_any(),
                }}
            </main>
            <SettingsDialog open=settings_open />
        </div>
    }
}
