//! What the chat shows: signals written only by the chat engine, read by components.

use leptos::prelude::*;
use peerchat_core::chat::conversation::Message;
use peerchat_core::identity::PeerId;

/// A contact in the list.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactView {
    /// Their id.
    pub id: PeerId,
    /// The name they announced, if known.
    pub name: Option<String>,
    /// A verified data channel is open.
    pub online: bool,
    /// Messages not yet seen.
    pub unread: u32,
}

impl ContactView {
    /// The name to show: their announced name, or their id.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.id.to_string())
    }
}

/// The signals of the chat. Cheap to copy.
#[derive(Clone, Copy)]
pub struct ChatView {
    /// Contacts, in the order they were added.
    pub contacts: RwSignal<Vec<ContactView>>,
    /// The open conversation.
    pub active: RwSignal<Option<PeerId>>,
    /// Messages of the open conversation, in display order.
    pub messages: RwSignal<Vec<Message>>,
    /// In the open conversation: my messages up to this sequence number were delivered.
    pub acked: RwSignal<u64>,
    /// In the open conversation: my messages up to this sequence number are on the channel.
    pub sent: RwSignal<u64>,
}

impl ChatView {
    /// Empty signals.
    pub fn new() -> Self {
        ChatView {
            contacts: RwSignal::new(Vec::new()),
            active: RwSignal::new(None),
            messages: RwSignal::new(Vec::new()),
            acked: RwSignal::new(0),
            sent: RwSignal::new(0),
        }
    }
}
