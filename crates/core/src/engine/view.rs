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
    /// The latest message, for the conversation list (`None` before the first, and for
    /// conversations last written to before previews were stored).
    pub last: Option<Preview>,
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
    /// The latest message, for the conversation list.
    pub last: Option<Preview>,
    /// When I joined (or created) the room, to place a room without messages in the list.
    pub since: u64,
}

/// The latest message of a conversation or room, as the conversation list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    /// Its text, at most [`PREVIEW_CHARS`] characters of its first line.
    pub text: String,
    /// When it was written or received (ms since the Unix epoch).
    pub at: u64,
    /// I wrote it.
    pub mine: bool,
    /// Who wrote it, in a room (their name); `None` in a one-to-one conversation.
    pub author: Option<String>,
}

/// Characters of a message kept for its preview.
pub const PREVIEW_CHARS: usize = 100;

/// The first line of `text`, cut to [`PREVIEW_CHARS`] characters (with "…" when cut).
pub fn preview_text(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let mut out: String = line.chars().take(PREVIEW_CHARS).collect();
    if line.chars().count() > PREVIEW_CHARS || text.trim().lines().count() > 1 {
        out.push('…');
    }
    out
}

/// A conversation the person can open: a contact's or a room.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// The conversation with a contact.
    Peer(PeerId),
    /// A room.
    Room(RoomId),
}

/// A message arrived where the person is not reading (the page is hidden, or another
/// conversation is open). The edge decides with [`crate::attention`] whether to show a
/// notification or play a sound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// Where it arrived; a click on the notification opens it.
    pub target: Target,
    /// Who wrote it (their name, or their id).
    pub from: String,
    /// The room's name, for a room message.
    pub room: Option<String>,
    /// The message (the notification may hide it).
    pub text: String,
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
