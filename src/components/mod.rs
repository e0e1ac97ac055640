//! Leptos components. They render [`crate::session::Session`] state and call its intent
//! methods; they hold only form-local state of their own.

mod app;
mod header;
mod home;
mod notices;
mod onboarding;
mod settings;
mod status_badge;
mod tab_conflict;

pub use app::App;
