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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// One entry of the conversation list: a contact or a room.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChatItem {
    /// What opening it opens.
    pub target: Target,
    /// The contact's name (or id), or the room's name.
    pub label: String,
    /// A contact: connected now. A room: at least one other member connected.
    pub online: bool,
    /// Messages not yet seen.
    pub unread: u32,
    /// The latest message.
    pub last: Option<Preview>,
}

impl ChatItem {
    /// The line under the name: "You: …", "Bob: …" in rooms, the text, or what to do
    /// when there is no message yet.
    pub fn preview_line(&self) -> String {
        match (&self.last, &self.target) {
            (Some(p), _) if p.mine => format!("You: {}", p.text),
            (Some(p), _) => match &p.author {
                Some(author) => format!("{author}: {}", p.text),
                None => p.text.clone(),
            },
            (None, Target::Peer(_)) => "No messages yet".into(),
            (None, Target::Room(_)) => "No messages yet: invite people".into(),
        }
    }

    /// The accessible name of the entry: name, kind or state, unread count. Stable as
    /// messages arrive (the preview is the entry's description, not its name).
    pub fn accessible_name(&self) -> String {
        let state = match (&self.target, self.online) {
            (Target::Room(_), _) => "room",
            (Target::Peer(_), true) => "online",
            (Target::Peer(_), false) => "offline",
        };
        match self.unread {
            0 => format!("{}, {state}", self.label),
            n => format!("{}, {state}, {n} unread", self.label),
        }
    }
}

/// `label` with A–Z folded to a–z, for ordering names regardless of case. Only ASCII is
/// folded: Unicode's case tables (`str::to_lowercase`) would add about 10 KB to the page
/// for a tie-breaker between conversations equally recent; other letters order by code point.
fn folded(label: &str) -> impl Iterator<Item = u8> + '_ {
    label.bytes().map(|b| b.to_ascii_lowercase())
}

/// Contacts and rooms in one list, the most recent conversation first (a room without
/// messages counts from when I joined it; a contact without messages goes last), then by
/// name, so the order never depends on anything but what is shown.
pub fn chat_list(contacts: &[ContactView], rooms: &[RoomView]) -> Vec<ChatItem> {
    let mut items: Vec<(u64, ChatItem)> = contacts
        .iter()
        .map(|c| {
            let item = ChatItem {
                target: Target::Peer(c.id.clone()),
                label: c.label(),
                online: c.online,
                unread: c.unread,
                last: c.last.clone(),
            };
            (c.last.as_ref().map_or(0, |p| p.at), item)
        })
        .chain(rooms.iter().map(|r| {
            let item = ChatItem {
                target: Target::Room(r.id.clone()),
                label: r.name.clone(),
                online: r.online > 0,
                unread: r.unread,
                last: r.last.clone(),
            };
            (r.last.as_ref().map_or(r.since, |p| p.at), item)
        }))
        .collect();
    crate::sorting::sort_by(&mut items, |(at_a, a), (at_b, b)| {
        at_b.cmp(at_a)
            .then_with(|| folded(&a.label).cmp(folded(&b.label)))
            .then_with(|| a.target.cmp(&b.target))
    });
    items.into_iter().map(|(_, item)| item).collect()
}

/// Where one of my messages in a conversation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryState {
    /// The peer stored it.
    Delivered,
    /// On the channel.
    Sent,
    /// Not on the channel yet.
    Waiting,
}

impl DeliveryState {
    /// The state of my message numbered `seq`.
    pub fn of(seq: u64, delivery: &Delivery) -> Self {
        if seq <= delivery.acked {
            DeliveryState::Delivered
        } else if seq <= delivery.sent {
            DeliveryState::Sent
        } else {
            DeliveryState::Waiting
        }
    }

    /// A stable name for styling (`data-status`).
    pub fn name(self) -> &'static str {
        match self {
            DeliveryState::Delivered => "Delivered",
            DeliveryState::Sent => "Sent",
            DeliveryState::Waiting => "Waiting",
        }
    }

    /// In words: "Delivered" (the peer stored it), "Sent" (on the channel), "Waiting for
    /// Bob to come online" (Bob is not connected: it goes when they are), or "Sending".
    pub fn label(self, peer_online: bool, peer: &str) -> String {
        match self {
            DeliveryState::Waiting if !peer_online => {
                format!("Waiting for {peer} to come online")
            }
            DeliveryState::Waiting => "Sending".into(),
            state => state.name().into(),
        }
    }
}

/// What a room message's receipt says: how many of the members present hold a copy.
pub fn receipt_label(holders: usize, present: usize) -> String {
    format!("Received by {} of {present}", holders.min(present))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(id: &str, name: &str, at: Option<u64>) -> ContactView {
        ContactView {
            id: PeerId::parse(id).unwrap(),
            name: Some(name.into()),
            online: false,
            unread: 0,
            last: at.map(|at| Preview {
                text: "hi".into(),
                at,
                mine: false,
                author: None,
            }),
        }
    }

    #[test]
    fn newest_conversation_first() {
        let a = contact("pc-aaaaaaaaaaaaaaaaaaaa", "Ann", Some(10));
        let b = contact("pc-bbbbbbbbbbbbbbbbbbbb", "Bob", None);
        let c = contact("pc-cccccccccccccccccccc", "Cy", Some(30));
        let room = RoomView {
            id: crate::room::RoomId::parse("es45fivs2bcudqatncdiqtz7rq").unwrap(),
            name: "Team".into(),
            unread: 2,
            online: 1,
            last: None,
            since: 20,
        };
        let list = chat_list(&[a, b, c], &[room]);
        let labels: Vec<&str> = list.iter().map(|i| i.label.as_str()).collect();
        assert_eq!(labels, ["Cy", "Team", "Ann", "Bob"]);
        assert_eq!(list[1].accessible_name(), "Team, room, 2 unread");
        assert_eq!(list[3].accessible_name(), "Bob, offline");
        assert_eq!(list[3].preview_line(), "No messages yet");
        assert_eq!(list[0].preview_line(), "hi");
    }

    #[test]
    fn equally_recent_conversations_by_name_whatever_its_case() {
        let b = contact("pc-bbbbbbbbbbbbbbbbbbbb", "bea", None);
        let a = contact("pc-aaaaaaaaaaaaaaaaaaaa", "Al", None);
        let c = contact("pc-cccccccccccccccccccc", "Carl", None);
        let list = chat_list(&[b, c, a], &[]);
        let labels: Vec<&str> = list.iter().map(|i| i.label.as_str()).collect();
        assert_eq!(labels, ["Al", "bea", "Carl"]);
    }

    #[test]
    fn delivery_words() {
        let d = Delivery { acked: 1, sent: 2 };
        let label = |seq, online| DeliveryState::of(seq, &d).label(online, "Bob");
        assert_eq!(label(1, false), "Delivered");
        assert_eq!(label(2, false), "Sent");
        assert_eq!(label(3, false), "Waiting for Bob to come online");
        assert_eq!(label(3, true), "Sending");
        assert_eq!(receipt_label(4, 3), "Received by 3 of 3");
    }
}

/// The verified connection with a contact, for its details panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionView {
    /// The link, to ask the browser for its path and round-trip time.
    pub link: super::LinkId,
    /// When the contact proved who it is on it (ms since the Unix epoch).
    pub since: u64,
    /// I dialed it (else they did).
    pub dialed: bool,
    /// The contact's verified public key, base64 (its id is this key's fingerprint).
    pub key: String,
    /// The signaling server that introduced us on this connection.
    pub server: Option<super::ServerId>,
}

/// The connection's path in words, from the ICE candidate type the browser reports for
/// this side of the pair in use.
pub fn path_label(candidate_type: &str) -> &'static str {
    match candidate_type {
        "host" => "Direct, on the same network",
        "srflx" | "prflx" => "Direct, through your router (NAT)",
        "relay" => "Relayed by a TURN server",
        _ => "Unknown",
    }
}
