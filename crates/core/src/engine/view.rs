//! What the person sees, as plain data: the engine sends [`ViewChange`]s and the edge puts
//! them into the signals the components read.

use crate::conversation::Message;
use crate::identity::PeerId;
use crate::room::RoomId;
use crate::room::log::Vector;
use crate::room::message::RoomMessage;

/// A contact in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactView {
    /// Their id.
    pub id: PeerId,
    /// The name they told us, if known.
    pub name: Option<String>,
    /// A verified link is open.
    pub online: bool,
    /// Messages not yet seen.
    pub unread: u32,
}

impl ContactView {
    /// The name to show: their name, or their id.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.id.to_string())
    }
}

/// A message request: someone who is not a contact wrote (or connected).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestView {
    /// Their id.
    pub id: PeerId,
    /// The name they gave, if any (self-chosen: always shown with the id).
    pub name: Option<String>,
    /// Messages they sent, held (not stored, not acknowledged) until accepted.
    pub count: usize,
}

/// A room in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberView {
    /// Id.
    pub id: PeerId,
    /// Name (from its join).
    pub name: String,
    /// Connected to me in this room (or me).
    pub online: bool,
    /// This is me.
    pub me: bool,
}

/// Where my messages in the open conversation are: up to `sent` written to the peer's
/// verified channel, up to `acked` stored by the peer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Highest of my sequence numbers the peer stored.
    pub acked: u64,
    /// Highest of my sequence numbers on the peer's channel.
    pub sent: u64,
}

/// A change to what the person sees.
#[derive(Clone, Debug, PartialEq)]
pub enum ViewChange {
    /// The contact list.
    Contacts(Vec<ContactView>),
    /// The message requests.
    Requests(Vec<RequestView>),
    /// A conversation (or a request) was opened, or closed (`peer` is `None`).
    Opened {
        /// Whose.
        peer: Option<PeerId>,
        /// Its messages, in display order.
        messages: Vec<Message>,
        /// My messages' delivery.
        delivery: Delivery,
        /// It is a message request (not a contact).
        request: bool,
    },
    /// A message joined the open conversation (insert it in display order).
    Message(Message),
    /// My messages' delivery in the open conversation changed.
    Delivery(Delivery),
    /// The room list.
    Rooms(Vec<RoomView>),
    /// A room was opened (or closed).
    RoomOpened {
        /// Which.
        room: Option<RoomId>,
        /// Its messages, in display order.
        messages: Vec<RoomMessage>,
    },
    /// A message joined the open room (insert it in display order).
    RoomMessage(RoomMessage),
    /// The open room's present members.
    Members(Vec<MemberView>),
    /// Version vectors of the open room's members (mine included), for receipts.
    Receipts(Vec<Vector>),
}
