//! Leptos components. They render [`crate::session::Session`] state and call its intent
//! methods; they hold only form-local state of their own.

mod app;
mod backup;
mod chat_list;
mod composer;
mod connection_details;
mod conversation;
mod header;
mod home;
mod id_card;
mod inline_form;
mod invite;
mod link_field;
mod list_item;
mod message_parts;
mod message_window;
mod modal;
mod new_chat;
mod new_room;
mod notices;
mod onboarding;
mod request_list;
mod room_panel;
mod settings;
mod status_badge;
mod tab_conflict;

pub use app::App;
