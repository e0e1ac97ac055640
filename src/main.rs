//! Peerchat: secure, persistent, peer-to-peer chat in one web page.
//!
//! This crate is the browser edge: thin adapters around localStorage, the signaling
//! WebSocket and the tab lease, one session that applies their events to state, and Leptos
//! components that render that state. All decisions live in `peerchat-core`.

mod alerts;
mod boot;
mod chat;
mod components;
mod random;
mod rtc;
mod session;
mod signaling_client;
mod store;
mod tab_lease;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(components::App);
}
