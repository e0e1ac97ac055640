//! What the chat shows: signals written only by the chat engine, read by components.

use leptos::prelude::*;
use peerchat_core::chat::conversation::Message;
use peerchat_core::identity::PeerId;
use peerchat_core::room::RoomId;
use peerchat_core::room::log::Vector;
use peerchat_core::room::message::RoomMessage;

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

/// A room in the list.
#[derive(Clone, Debug, PartialEq)]
pub struct RoomView {
    /// The room.
    pub id: RoomId,
    /// Its name.
    pub name: String,
    /// Unseen messages.
    pub unread: u32,
    /// Members connected to me in this room.
    pub online: usize,
}

/// A member of the open room.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberView {
    /// Id.
    pub id: PeerId,
    /// Name (from its join).
    pub name: String,
    /// Connected to me (or me).
    pub online: bool,
    /// This is me.
    pub me: bool,
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
    /// Rooms I am in.
    pub rooms: RwSignal<Vec<RoomView>>,
    /// The open room.
    pub active_room: RwSignal<Option<RoomId>>,
    /// Messages of the open room, in display order.
    pub room_messages: RwSignal<Vec<RoomMessage>>,
    /// Present members of the open room.
    pub room_members: RwSignal<Vec<MemberView>>,
    /// Version vectors of the open room's members (mine included), for receipts.
    pub room_vectors: RwSignal<Vec<Vector>>,
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
            rooms: RwSignal::new(Vec::new()),
            active_room: RwSignal::new(None),
            room_messages: RwSignal::new(Vec::new()),
            room_members: RwSignal::new(Vec::new()),
            room_vectors: RwSignal::new(Vec::new()),
        }
    }
}
