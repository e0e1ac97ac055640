//! Leptos components. They render [`crate::session::Session`] state and call its intent
//! methods; they hold only form-local state of their own.

mod app;
mod composer;
mod contact_list;
mod conversation;
mod header;
mod home;
mod id_card;
mod link_field;
mod list_item;
mod message_window;
mod new_chat;
mod notices;
mod onboarding;
mod request_list;
mod room_list;
mod room_panel;
mod settings;
mod status_badge;
mod tab_conflict;

pub use app::App;
