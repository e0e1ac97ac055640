//! Conversation history and contacts in storage.
//!
//! History is split into segments of at most [`SEGMENT_LEN`] messages under
//! `peerchat/v1/chat/<peer>/<n>` (n = 0, 1, ...), in arrival order. Appending one message
//! rewrites only the last segment, so the storage work for a new message is bounded by the
//! segment size, whether 10 or 20,000 messages are stored. The per-conversation counters
//! are derived from the messages on load; only the peer's acknowledgement and the unread
//! count live in a small meta record.

use crate::conversation::Message;
use crate::identity::PeerId;
use crate::name::DisplayName;
use crate::primitives::{Bytes32, MAX_COUNTER, valid_message_id};
use crate::segments::SegmentLog;
use crate::storage::{self, Loaded, Record, Versioned};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Contacts kept at most.
pub const MAX_CONTACTS: usize = 500;
/// The contacts key.
pub const CONTACTS_KEY: &str = "peerchat/v1/contacts";

/// The key of segment `n` of the conversation with `peer`.
pub fn segment_key(peer: &PeerId, n: usize) -> String {
    format!("peerchat/v1/chat/{peer}/{n}")
}

/// The key of the meta record of the conversation with `peer`.
pub fn meta_key(peer: &PeerId) -> String {
    format!("peerchat/v1/chat/{peer}/meta")
}

/// The stored meta record of a conversation.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct ChatMeta {
    #[serde(default, skip_serializing)]
    v: u64,
    /// Highest of my sequence numbers the peer acknowledged.
    pub acked: u64,
    /// Messages not yet seen by the person.
    pub unread: u32,
    /// Highest of my sequence numbers ever written (so numbering goes on after a damaged
    /// segment lost my latest messages). Absent in records written before protocol 2.
    #[serde(default)]
    pub last: u64,
    /// When the last message was written or received (ms since the Unix epoch), to dial
    /// recent contacts first. Absent in records written before protocol 2.
    #[serde(default)]
    pub at: u64,
    /// The latest message's first line, cut short ([`crate::engine::preview_text`]), for
    /// the conversation list. Absent before the first message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    /// I wrote the latest message.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mine: bool,
    /// Their messages up to this number were deleted here by the person ("Delete
    /// messages"): counted as held, so the peer does not send them again.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub floor: u64,
    /// The Lamport clock when messages were deleted: new messages go on after it, so both
    /// sides keep one order.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub clock: u64,
    /// The id of their message numbered `floor`, deleted here: `sync` still names it, so
    /// a peer whose numbering restarted (it lost or removed this conversation) notices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor_id: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl ChatMeta {
    /// A meta record.
    pub fn new(acked: u64, unread: u32, last: u64, at: u64) -> Self {
        ChatMeta {
            v: Self::VERSION,
            acked,
            unread,
            last,
            at,
            ..Default::default()
        }
    }
}

impl Versioned for ChatMeta {
    const VERSION: u64 = 1;
}

pub use crate::segments::{Damaged, SEGMENT_LEN, empty_segment_text};

/// A conversation's stored messages, in arrival order, with the segment layout.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// All messages, in arrival order.
    pub messages: Vec<Message>,
    /// The segment each message is stored in.
    segments: Vec<usize>,
    log: SegmentLog<Message>,
    /// Ids of all messages, for de-duplication by id.
    ids: BTreeSet<String>,
    me: PeerId,
    /// Index in `messages` of each of my messages, by sequence number.
    mine: BTreeMap<u64, usize>,
}

fn message_valid(m: &Message, me: &PeerId, peer: &PeerId) -> bool {
    (m.author == *me || m.author == *peer)
        && valid_message_id(&m.id)
        && (1..=MAX_COUNTER).contains(&m.seq)
        && (1..=MAX_COUNTER).contains(&m.lc)
        && crate::text::clean(&m.text).as_deref() == Ok(m.text.as_str())
}

/// The storage prefix of the conversation with `peer` (segments `<prefix>/<n>`).
pub fn prefix(peer: &PeerId) -> String {
    format!("peerchat/v1/chat/{peer}")
}

impl History {
    /// An empty history of `me` with `peer`.
    pub fn new(me: &PeerId, peer: &PeerId) -> Self {
        History {
            messages: Vec::new(),
            segments: Vec::new(),
            log: SegmentLog::new(prefix(peer)),
            ids: BTreeSet::new(),
            me: me.clone(),
            mine: BTreeMap::new(),
        }
    }

    /// Loads the history with `peer` through `read` (a storage lookup); see
    /// [`SegmentLog::load`]. Messages by anyone but `me` and `peer` are damage; a message
    /// whose id was already loaded is skipped (a duplicate written by an older version).
    pub fn load(
        me: &PeerId,
        peer: &PeerId,
        read: impl Fn(&str) -> Option<String>,
    ) -> (History, Vec<Damaged>) {
        let loaded = SegmentLog::load(prefix(peer), read, |m| message_valid(m, me, peer));
        let mut h = History {
            log: loaded.log,
            ..History::new(me, peer)
        };
        for (m, seg) in loaded.items.into_iter().zip(loaded.segments) {
            if h.ids.contains(&m.id) || (m.author == *me && h.mine.contains_key(&m.seq)) {
                continue;
            }
            h.index(m, seg);
        }
        (h, loaded.damaged)
    }

    fn index(&mut self, m: Message, seg: usize) {
        self.ids.insert(m.id.clone());
        if m.author == self.me {
            self.mine.insert(m.seq, self.messages.len());
        }
        self.messages.push(m);
        self.segments.push(seg);
    }

    /// Appends a message and returns the one write to make: (key, text).
    pub fn append(&mut self, message: Message) -> (String, String) {
        let write = self.log.append(&message);
        let seg = self.log.last_segment();
        self.index(message, seg);
        write
    }

    /// Whether a message with this id is already stored.
    pub fn contains_id(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// My message with sequence number `seq`.
    pub fn my_message(&self, seq: u64) -> Option<&Message> {
        self.mine.get(&seq).and_then(|&i| self.messages.get(i))
    }

    /// My sequence numbers held, ascending.
    pub fn my_seqs(&self) -> impl Iterator<Item = u64> + '_ {
        self.mine.keys().copied()
    }

    /// Undoes the last append (when the write failed), keeping memory and storage in step.
    pub fn undo_append(&mut self) -> Option<Message> {
        let m = self.messages.pop()?;
        self.segments.pop();
        self.ids.remove(&m.id);
        if m.author == self.me && self.mine.get(&m.seq) == Some(&self.messages.len()) {
            self.mine.remove(&m.seq);
        }
        self.log.undo_append();
        Some(m)
    }

    /// Deletes every message but those `keep` accepts, and returns the writes that store
    /// it: each segment that held a deleted message, rewritten in place with the messages
    /// it keeps (possibly none). Every write stands alone, so a page that closes halfway
    /// shows some deleted messages again, never loses a kept one nor stores one twice.
    /// Nothing is removed (segments are read until the first missing one).
    pub fn clear(&mut self, keep: impl Fn(&Message) -> bool) -> Vec<(String, String)> {
        let messages = std::mem::take(&mut self.messages);
        let segments = std::mem::take(&mut self.segments);
        self.ids.clear();
        self.mine.clear();
        let mut changed = BTreeSet::new();
        for (m, seg) in messages.into_iter().zip(segments) {
            if keep(&m) {
                self.index(m, seg);
            } else {
                changed.insert(seg);
            }
        }
        self.rewrite_segments(changed)
    }

    /// The writes that store segments `segs` again as they now are in memory.
    fn rewrite_segments(&mut self, segs: BTreeSet<usize>) -> Vec<(String, String)> {
        segs.into_iter()
            .map(|seg| {
                let items = self
                    .messages
                    .iter()
                    .zip(&self.segments)
                    .filter(|(_, s)| **s == seg)
                    .map(|(m, _)| m.clone())
                    .collect();
                self.log.rewrite(seg, items)
            })
            .collect()
    }

    /// The keys of every segment written so far (to remove the conversation).
    pub fn segment_keys(&self) -> Vec<String> {
        (0..=self.log.last_segment())
            .map(|n| self.log.key(n))
            .collect()
    }

    /// Gives my messages new sequence numbers (`renumber` maps old to new) and returns the
    /// writes that store the change: one per segment touched. Used after local loss, when
    /// the peer holds more of my messages than this browser remembers writing.
    pub fn renumber(&mut self, renumber: &BTreeMap<u64, u64>) -> Vec<(String, String)> {
        let mut touched = BTreeSet::new();
        let mut moved = Vec::new();
        for (&old, &new) in renumber {
            if let Some(i) = self.mine.remove(&old) {
                moved.push((new, i));
            }
        }
        for (new, i) in moved {
            if let (Some(m), Some(&seg)) = (self.messages.get_mut(i), self.segments.get(i)) {
                m.seq = new;
                touched.insert(seg);
            }
            self.mine.insert(new, i);
        }
        self.rewrite_segments(touched)
    }
}

/// A contact.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Their id.
    pub id: PeerId,
    /// The last name they announced (self-chosen, so always shown with the id).
    pub name: Option<DisplayName>,
    /// Their public key, pinned at the first verified connection.
    pub key: Option<Bytes32>,
}

/// The contacts record.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    #[serde(default, skip_serializing)]
    v: u64,
    /// The contacts, in the order they were added.
    pub list: Vec<Contact>,
}

impl Contacts {
    /// A record holding `list`.
    pub fn new(list: Vec<Contact>) -> Self {
        Contacts {
            v: Self::VERSION,
            list,
        }
    }
}

impl Versioned for Contacts {
    const VERSION: u64 = 1;
}

impl Record for Contacts {
    const KEY: &'static str = CONTACTS_KEY;
}

/// The key of the record of what was open last.
pub const OPEN_KEY: &str = "peerchat/v1/open";

/// What was open when the page last showed a conversation, to open it again after a
/// reload: a contact's conversation, a room, or nothing.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct LastOpen {
    #[serde(default, skip_serializing)]
    v: u64,
    /// The contact whose conversation was open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<PeerId>,
    /// The room that was open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<crate::room::RoomId>,
}

impl LastOpen {
    /// A record naming `peer` or `room` (or neither).
    pub fn new(peer: Option<PeerId>, room: Option<crate::room::RoomId>) -> Self {
        LastOpen {
            v: Self::VERSION,
            peer,
            room,
        }
    }
}

impl Versioned for LastOpen {
    const VERSION: u64 = 1;
}

impl Record for LastOpen {
    const KEY: &'static str = OPEN_KEY;
}

/// Most ids on the block list.
pub const MAX_BLOCKED: usize = 1_000;
/// The block list's key.
pub const BLOCKED_KEY: &str = "peerchat/v1/blocked";

/// The block list: ids whose connections are refused at the handshake, quietly.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Blocked {
    #[serde(default, skip_serializing)]
    v: u64,
    /// The blocked ids.
    pub list: Vec<PeerId>,
}

impl Blocked {
    /// A record holding `list`.
    pub fn new(list: Vec<PeerId>) -> Self {
        Blocked {
            v: Self::VERSION,
            list,
        }
    }
}

impl Versioned for Blocked {
    const VERSION: u64 = 1;
}

impl Record for Blocked {
    const KEY: &'static str = BLOCKED_KEY;
}

/// The peer of a conversation key (`peerchat/v1/chat/<peer>/<anything>`), if it is one.
pub fn conversation_peer(key: &str) -> Option<PeerId> {
    let rest = key.strip_prefix("peerchat/v1/chat/")?;
    let (peer, _) = rest.split_once('/')?;
    PeerId::parse(peer).ok().filter(|p| p.as_str() == peer)
}

/// Loads the meta record of a conversation (missing → zeros).
pub fn load_meta(raw: Option<&str>) -> Loaded<ChatMeta> {
    storage::load::<ChatMeta>(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;
    use std::cell::RefCell;
    use std::collections::HashMap;

    fn ids() -> (PeerId, PeerId) {
        (
            Identity::from_secret([1; 32]).peer_id().clone(),
            Identity::from_secret([2; 32]).peer_id().clone(),
        )
    }

    fn msg(author: &PeerId, seq: u64) -> Message {
        Message {
            id: format!("m{seq}"),
            author: author.clone(),
            seq,
            lc: seq,
            ts: 0,
            text: format!("text {seq}"),
        }
    }

    #[test]
    fn append_writes_one_bounded_segment_whatever_the_history_size() {
        let (me, peer) = ids();
        let store = RefCell::new(HashMap::<String, String>::new());
        let mut h = History::new(&me, &peer);
        let mut max_write = 0;
        for seq in 1..=20_000u64 {
            let (key, text) = h.append(msg(&me, seq));
            max_write = max_write.max(text.len());
            store.borrow_mut().insert(key, text);
        }
        assert_eq!(store.borrow().len(), 20_000 / SEGMENT_LEN);
        // The largest write holds one segment, not the history.
        assert!(max_write < 200 * 200, "{max_write}");
        let (loaded, damaged) = History::load(&me, &peer, |k| store.borrow().get(k).cloned());
        assert!(damaged.is_empty());
        assert_eq!(loaded.messages.len(), 20_000);
        assert_eq!(loaded.messages[19_999].seq, 20_000);
        // The next message opens segment 100.
        let mut loaded = loaded;
        assert_eq!(loaded.append(msg(&me, 20_001)).0, segment_key(&peer, 100));
    }

    #[test]
    fn appending_after_reload_continues_the_last_segment() {
        let (me, peer) = ids();
        let store = RefCell::new(HashMap::<String, String>::new());
        let mut h = History::new(&me, &peer);
        for seq in 1..=3 {
            let (k, t) = h.append(msg(&me, seq));
            store.borrow_mut().insert(k, t);
        }
        let (mut h2, _) = History::load(&me, &peer, |k| store.borrow().get(k).cloned());
        let (k, t) = h2.append(msg(&peer, 1));
        assert_eq!(k, segment_key(&peer, 0));
        assert_eq!(
            storage::decode::<crate::segments::Segment<Message>>(&t)
                .unwrap()
                .m
                .len(),
            4
        );
    }

    #[test]
    fn damaged_segments_are_reported_skipped_and_never_overwritten() {
        let (me, peer) = ids();
        let store = RefCell::new(HashMap::<String, String>::new());
        let mut h = History::new(&me, &peer);
        for seq in 1..=(SEGMENT_LEN as u64 * 2 + 5) {
            let (k, t) = h.append(msg(&me, seq));
            store.borrow_mut().insert(k, t);
        }
        store
            .borrow_mut()
            .insert(segment_key(&peer, 1), "{garbage".into());
        let (mut loaded, damaged) = History::load(&me, &peer, |k| store.borrow().get(k).cloned());
        assert_eq!(damaged.len(), 1);
        assert_eq!(damaged[0].key, segment_key(&peer, 1));
        assert_eq!(loaded.messages.len(), SEGMENT_LEN + 5);
        // Last segment (2) was fine: appends continue there.
        assert_eq!(loaded.append(msg(&me, 999)).0, segment_key(&peer, 2));

        // Now damage the last one: appends must go to a new segment.
        store
            .borrow_mut()
            .insert(segment_key(&peer, 2), "[]".into());
        let (mut loaded, damaged) = History::load(&me, &peer, |k| store.borrow().get(k).cloned());
        assert_eq!(damaged.len(), 2);
        assert_eq!(loaded.append(msg(&me, 999)).0, segment_key(&peer, 3));
    }

    #[test]
    fn forged_or_foreign_messages_in_storage_are_damage() {
        let (me, peer) = ids();
        let stranger = Identity::from_secret([9; 32]).peer_id().clone();
        let seg = storage::encode(&crate::segments::Segment::new(vec![msg(&stranger, 1)]));
        let (h, damaged) = History::load(&me, &peer, |k| {
            (k == segment_key(&peer, 0)).then(|| seg.clone())
        });
        assert!(h.messages.is_empty());
        assert_eq!(damaged.len(), 1);
    }

    #[test]
    fn knows_its_ids_across_reload_and_undo() {
        let (me, peer) = ids();
        let store = RefCell::new(HashMap::<String, String>::new());
        let mut h = History::new(&me, &peer);
        let (k, t) = h.append(msg(&me, 1));
        store.borrow_mut().insert(k, t);
        h.append(msg(&me, 2));
        assert!(h.contains_id("m2") && h.my_message(2).is_some());
        h.undo_append();
        assert!(!h.contains_id("m2") && h.my_message(2).is_none());
        let (loaded, _) = History::load(&me, &peer, |k| store.borrow().get(k).cloned());
        assert!(loaded.contains_id("m1") && !loaded.contains_id("m2"));
    }

    #[test]
    fn renumbering_rewrites_only_the_segments_touched() {
        let (me, peer) = ids();
        let store = RefCell::new(HashMap::<String, String>::new());
        let mut h = History::new(&me, &peer);
        for seq in 1..=(SEGMENT_LEN as u64 + 3) {
            let (k, t) = h.append(msg(&me, seq));
            store.borrow_mut().insert(k, t);
        }
        let writes = h.renumber(&BTreeMap::from([(202, 500), (203, 501)]));
        assert_eq!(writes.len(), 1);
        assert_eq!(writes[0].0, segment_key(&peer, 1));
        for (k, t) in writes {
            store.borrow_mut().insert(k, t);
        }
        assert_eq!(h.my_message(500).map(|m| m.id.as_str()), Some("m202"));
        assert!(h.my_message(202).is_none());
        let (loaded, _) = History::load(&me, &peer, |k| store.borrow().get(k).cloned());
        let seqs: Vec<u64> = loaded.my_seqs().collect();
        assert_eq!(seqs.len(), SEGMENT_LEN + 3);
        assert_eq!(seqs[seqs.len() - 2..], [500, 501]);
        // Appends go on in the rewritten last segment.
        let mut loaded = loaded;
        assert_eq!(loaded.append(msg(&me, 502)).0, segment_key(&peer, 1));
    }

    #[test]
    fn conversation_keys_name_their_peer() {
        let (_, peer) = ids();
        assert_eq!(
            conversation_peer(&segment_key(&peer, 3)),
            Some(peer.clone())
        );
        assert_eq!(conversation_peer(&meta_key(&peer)), Some(peer));
        assert_eq!(conversation_peer("peerchat/v1/chat/PC-X/0"), None);
        assert_eq!(conversation_peer("peerchat/v1/contacts"), None);
    }

    #[test]
    fn meta_reads_records_without_the_new_fields() {
        let old = r#"{"v":1,"acked":3,"unread":1}"#;
        assert_eq!(load_meta(Some(old)), Loaded::Ok(ChatMeta::new(3, 1, 0, 0)));
        let new = storage::encode(&ChatMeta::new(3, 1, 4, 99));
        assert_eq!(new, r#"{"v":1,"acked":3,"unread":1,"last":4,"at":99}"#);
    }

    #[test]
    fn contacts_round_trip() {
        let (_, peer) = ids();
        let c = Contacts::new(vec![Contact {
            id: peer,
            name: DisplayName::parse("Bo").ok(),
            key: Some(Bytes32([5; 32])),
        }]);
        let text = storage::encode(&c);
        assert!(
            matches!(storage::load::<Contacts>(Some(&text)), Loaded::Ok(x) if x.list == c.list)
        );
    }
}
