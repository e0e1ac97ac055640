//! What the chat shows: signals written only by the driver, from the engine's view
//! changes, and read by components.

use leptos::prelude::*;
use peerchat_core::conversation::Message;
use peerchat_core::engine::{ContactView, MemberView, RequestView, RoomView, ViewChange};
use peerchat_core::identity::PeerId;
use peerchat_core::room::RoomId;
use peerchat_core::room::log::Vector;
use peerchat_core::room::message::RoomMessage;

/// The signals of the chat. Cheap to copy.
#[derive(Clone, Copy)]
pub struct ChatView {
    /// Contacts, in the order they were added.
    pub contacts: RwSignal<Vec<ContactView>>,
    /// Message requests from people who are not contacts.
    pub requests: RwSignal<Vec<RequestView>>,
    /// The open conversation (or request).
    pub active: RwSignal<Option<PeerId>>,
    /// The open conversation is a message request.
    pub active_is_request: RwSignal<bool>,
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
            requests: RwSignal::new(Vec::new()),
            active: RwSignal::new(None),
            active_is_request: RwSignal::new(false),
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

    /// Empties every signal (before a new engine fills them).
    pub fn clear(&self) {
        self.contacts.try_set(Vec::new());
        self.requests.try_set(Vec::new());
        self.active.try_set(None);
        self.active_is_request.try_set(false);
        self.messages.try_set(Vec::new());
        self.acked.try_set(0);
        self.sent.try_set(0);
        self.rooms.try_set(Vec::new());
        self.active_room.try_set(None);
        self.room_messages.try_set(Vec::new());
        self.room_members.try_set(Vec::new());
        self.room_vectors.try_set(Vec::new());
    }

    /// Puts one change from the engine into the signals. `try_*`: the driver may outlive
    /// the reactive owner while the page is torn down.
    pub fn apply(&self, change: ViewChange) {
        match change {
            ViewChange::Contacts(list) => {
                self.contacts.try_set(list);
            }
            ViewChange::Requests(list) => {
                self.requests.try_set(list);
            }
            ViewChange::Opened {
                peer,
                messages,
                delivery,
                request,
            } => {
                if peer.is_some() {
                    self.active_room.try_set(None);
                    self.room_messages.try_set(Vec::new());
                }
                self.active.try_set(peer);
                self.active_is_request.try_set(request);
                self.messages.try_set(messages);
                self.acked.try_set(delivery.acked);
                self.sent.try_set(delivery.sent);
            }
            ViewChange::Message(m) => {
                self.messages.try_update(|list| {
                    // The engine shows each message once; a repeat would break the keyed list.
                    if list.iter().any(|x| x.id == m.id) {
                        return;
                    }
                    let at = list.partition_point(|x| x.order(&m).is_lt());
                    list.insert(at, m);
                });
            }
            ViewChange::Delivery(d) => {
                self.acked.try_set(d.acked);
                self.sent.try_set(d.sent);
            }
            ViewChange::Rooms(list) => {
                self.rooms.try_set(list);
            }
            ViewChange::RoomOpened { room, messages } => {
                if room.is_some() {
                    self.active.try_set(None);
                    self.messages.try_set(Vec::new());
                }
                self.active_room.try_set(room);
                self.room_messages.try_set(messages);
            }
            ViewChange::RoomMessage(m) => {
                self.room_messages.try_update(|list| {
                    if list.iter().any(|x| x.id == m.id) {
                        return;
                    }
                    let at = list.partition_point(|x| x.order(&m).is_lt());
                    list.insert(at, m);
                });
            }
            ViewChange::Members(list) => {
                self.room_members.try_set(list);
            }
            ViewChange::Receipts(list) => {
                self.room_vectors.try_set(list);
            }
        }
    }
}
