//! What a person sees, rebuilt from the engine's view changes the way the page's signals
//! are.

use peerchat_core::conversation::Message;
use peerchat_core::engine::{
    Arrival, ContactView, Delivery, MemberView, Notice, RequestView, RoomView, ViewChange,
};
use peerchat_core::identity::PeerId;
use peerchat_core::room::RoomId;
use peerchat_core::room::log::Vector;
use peerchat_core::room::message::RoomMessage;

/// One page's screen.
#[derive(Default, Debug, Clone)]
pub struct Screen {
    /// The contact list.
    pub contacts: Vec<ContactView>,
    /// Message requests.
    pub requests: Vec<RequestView>,
    /// Rooms.
    pub rooms: Vec<RoomView>,
    /// The open conversation or request.
    pub open: Option<PeerId>,
    /// The open one is a request.
    pub open_request: bool,
    /// Its messages, in display order.
    pub messages: Vec<Message>,
    /// Delivery of mine there.
    pub delivery: Delivery,
    /// The open room.
    pub room: Option<RoomId>,
    /// Its messages, in display order.
    pub room_messages: Vec<RoomMessage>,
    /// Its members.
    pub members: Vec<MemberView>,
    /// Receipts' vectors.
    pub receipts: Vec<Vector>,
    /// Notices shown.
    pub notices: Vec<Notice>,
    /// Alerts (notifications the page may show), oldest first; only the latest few kept.
    pub alerts: Vec<Arrival>,
    /// What the last intent was refused for.
    pub refused: Option<String>,
    /// Messages sent that the page held off the screen for their `ack`
    /// ([`peerchat_core::engine::Effect::AckSoon`]).
    pub held: u32,
}

impl Screen {
    /// Applies a change, as the page's signals do.
    pub fn apply(&mut self, change: ViewChange) {
        match change {
            ViewChange::Contacts(list) => self.contacts = list,
            ViewChange::Requests(list) => self.requests = list,
            ViewChange::Opened {
                peer,
                messages,
                delivery,
                request,
            } => {
                if peer.is_some() {
                    self.room = None;
                    self.room_messages.clear();
                }
                self.open = peer;
                self.messages = messages;
                self.delivery = delivery;
                self.open_request = request;
            }
            ViewChange::Message(m) => {
                let at = self.messages.partition_point(|x| x.order(&m).is_lt());
                self.messages.insert(at, m);
            }
            ViewChange::Delivery(d) => self.delivery = d,
            ViewChange::Rooms(list) => self.rooms = list,
            ViewChange::RoomOpened { room, messages } => {
                if room.is_some() {
                    self.open = None;
                    self.messages.clear();
                }
                self.room = room;
                self.room_messages = messages;
            }
            ViewChange::RoomMessage(m) => {
                let at = self.room_messages.partition_point(|x| x.order(&m).is_lt());
                self.room_messages.insert(at, m);
            }
            ViewChange::Members(list) => self.members = list,
            ViewChange::Receipts(list) => self.receipts = list,
        }
    }

    /// Whether `peer` is listed as a contact, and online.
    pub fn contact_online(&self, peer: &PeerId) -> Option<bool> {
        self.contacts
            .iter()
            .find(|c| c.id == *peer)
            .map(|c| c.online)
    }
}
