//! Storage as the engine sees it: what was found at start, writes and their results,
//! damaged values kept aside, and what to do when storage is full.
//!
//! One damaged value costs at most what it held: the contact list is rebuilt from the
//! stored conversations, each room has its own record, and a damaged segment loses only
//! its messages. A damaged value is copied under `peerchat/v1/damaged/...` before anything
//! may write its key; if even the copy fails, the key is never written in this engine's
//! life.
//!
//! When a write fails for lack of space, the engine stops accepting new messages (it does
//! not acknowledge them, so senders keep them), says so once, and tries again after a
//! growing pause or at the person's next action: never a write per received frame.

use super::input::{LinkId, StoreError};
use super::{Engine, Notice};
use crate::history::{BLOCKED_KEY, Blocked, CONTACTS_KEY, Contacts, conversation_peer};
use crate::identity::PeerId;
use crate::room::{RoomId, Rooms};
use crate::storage::{self, Record, Versioned};
use std::collections::{BTreeMap, BTreeSet};

/// Every stored value under `peerchat/v1/` that the chat uses, by key, as found at start.
pub type Snapshot = BTreeMap<String, String>;

/// First pause before trying storage again after it was full, in ms.
const FULL_RETRY_MS: u64 = 5_000;
/// Longest pause between tries.
const FULL_RETRY_CAP_MS: u64 = 60_000;

/// What to do once a write's result is known.
#[derive(Debug)]
pub(super) enum AfterWrite {
    /// Nothing (a best-effort write: unread counts, acknowledgements seen).
    Nothing,
    /// A record the person would miss: say once if it could not be saved.
    Record(&'static str),
    /// A damaged value was being copied aside.
    KeptAside {
        key: String,
        what: String,
        error: String,
        then: Resave,
    },
    /// The record of what is deleted from the conversation with `peer` is stored: delete.
    Deleting(PeerId),
    /// One segment of a deletion's rewrite is stored: write the `rest`.
    Clearing {
        /// The conversation.
        peer: PeerId,
        /// The writes still to make.
        rest: Vec<(String, String)>,
    },
    /// My new message in a conversation.
    Composed { peer: PeerId, seq: u64 },
    /// A new message received from `peer` on `link`.
    Received {
        peer: PeerId,
        link: LinkId,
        seq: u64,
    },
    /// My new message in a room.
    RoomComposed { room: RoomId, id: String },
    /// A new room message received on `link`.
    RoomReceived {
        room: RoomId,
        link: LinkId,
        id: String,
    },
}

/// What to write again once a damaged value is safely kept aside, or once storage has
/// room again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Resave {
    /// Nothing to write again (a record that is rewritten when it next changes).
    Nothing,
    /// The old single room list: removed once kept aside (each room has its own record).
    Legacy,
    Contacts,
    Blocked,
    RoomInfo(RoomId),
    ChatMeta(PeerId),
    RoomMeta(RoomId),
    /// A segment: replaced by an empty one, so the damage is not reported again.
    EmptySegment(String),
}

/// Sizes by key, sorted by key. A sorted vector rather than a map: this is the only map
/// from keys to numbers, and a map type of its own costs 3 KB of the gzipped page.
struct Sizes(Vec<(String, usize)>);

impl Sizes {
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The size stored under `key` (0: nothing).
    fn get(&self, key: &str) -> usize {
        self.find(key).map_or(0, |i| self.0[i].1)
    }

    fn set(&mut self, key: &str, size: usize) {
        match self.find(key) {
            Ok(i) => self.0[i].1 = size,
            Err(i) => self.0.insert(i, (key.to_string(), size)),
        }
    }

    fn remove(&mut self, key: &str) {
        if let Ok(i) = self.find(key) {
            self.0.remove(i);
        }
    }
}

/// A write awaited.
pub(super) struct Pending {
    /// What to do once it is done.
    pub after: AfterWrite,
    key: String,
    /// Its size: key and value.
    size: usize,
    /// What it adds to what is stored (its size less the value it replaces).
    adds: usize,
}

/// Storage state.
pub(super) struct Store {
    snapshot: Snapshot,
    /// Keys whose damaged value is not (yet) copied aside: never written.
    protected: BTreeSet<String>,
    /// Writes awaited.
    pending: BTreeMap<u64, Pending>,
    /// The size (key and value) of each value stored, as far as this page knows: what
    /// was found at start and what it wrote since.
    sizes: Sizes,
    next_token: u64,
    /// Storage is full: the time to try again.
    full_until: Option<u64>,
    /// The pause used last time it was full.
    backoff: u64,
    /// The person was told it is full, and not yet that it is back.
    told_full: bool,
    /// The least room a failed write asked for since storage last had room (what it
    /// would have added): a write that added less proves nothing.
    need: Option<usize>,
    /// Records the person was told could not be saved.
    told_not_saved: BTreeSet<&'static str>,
    /// Records not written while storage was full, to write when it has room.
    deferred: BTreeSet<Resave>,
}

impl Store {
    pub fn new(snapshot: Snapshot) -> Self {
        let sizes = Sizes(
            snapshot
                .iter()
                .map(|(k, v)| (k.clone(), k.len() + v.len()))
                .collect(),
        );
        Store {
            snapshot,
            protected: BTreeSet::new(),
            pending: BTreeMap::new(),
            sizes,
            next_token: 1,
            full_until: None,
            backoff: 0,
            told_full: false,
            need: None,
            told_not_saved: BTreeSet::new(),
            deferred: BTreeSet::new(),
        }
    }

    /// While storage is full, keeps `record` to write later instead of failing again.
    /// Returns whether it was deferred.
    pub fn defer(&mut self, record: Resave) -> bool {
        if !self.is_full() {
            return false;
        }
        self.deferred.insert(record);
        true
    }

    /// Records waiting for room.
    pub fn take_deferred(&mut self) -> BTreeSet<Resave> {
        std::mem::take(&mut self.deferred)
    }

    /// A write's result is awaited.
    pub fn awaiting(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Registers a write of `value` under `key`; returns its token.
    pub fn expect(&mut self, after: AfterWrite, key: &str, value: &str) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        let size = key.len() + value.len();
        let adds = size.saturating_sub(self.sizes.get(key));
        let key = key.to_string();
        self.pending.insert(
            token,
            Pending {
                after,
                key,
                size,
                adds,
            },
        );
        token
    }

    /// A value was removed: its size is gone, and so is its protection (nothing damaged
    /// is left there to keep aside).
    pub fn removed(&mut self, key: &str) {
        self.unprotect(key);
        self.sizes.remove(key);
    }

    /// Writes awaited, to leave what they hold out of what is shown until they are stored.
    pub fn pending(&self) -> impl Iterator<Item = &AfterWrite> {
        self.pending.values().map(|p| &p.after)
    }

    /// The awaited write `token`.
    pub fn take_pending(&mut self, token: u64) -> Option<Pending> {
        self.pending.remove(&token)
    }

    /// `write` succeeded. Returns whether storage has room again after the person was
    /// told it was full. A write that added less than one that failed would have (a
    /// record rewritten at the same size, a smaller value) proves nothing: taking it for
    /// room would ask every peer to send again, fail on the first message and begin
    /// again, every pause, for as long as storage stays full.
    pub fn mark_ok(&mut self, write: &Pending) -> bool {
        self.sizes.set(&write.key, write.size);
        if self.need.is_some_and(|need| write.adds < need) {
            return false;
        }
        self.need = None;
        self.full_until = None;
        self.backoff = 0;
        std::mem::take(&mut self.told_full)
    }

    /// `write` failed. Returns whether to tell the person (once until storage has room
    /// again).
    pub fn mark_failed(&mut self, _error: StoreError, now: u64, write: &Pending) -> bool {
        let adds = write.adds.max(1);
        self.need = Some(self.need.map_or(adds, |need| need.min(adds)));
        self.backoff = if self.backoff == 0 {
            FULL_RETRY_MS
        } else {
            (self.backoff * 2).min(FULL_RETRY_CAP_MS)
        };
        self.full_until = Some(now + self.backoff);
        !std::mem::replace(&mut self.told_full, true)
    }

    /// When to try storage again, while it is full.
    pub fn retry_at(&self) -> Option<u64> {
        self.full_until
    }

    /// Storage is full: do not try to store what peers send (they keep it).
    pub fn is_full(&self) -> bool {
        self.full_until.is_some()
    }

    /// The pause is over: the next write tries again (and a failure doubles the pause).
    pub fn end_pause(&mut self) {
        self.full_until = None;
    }

    pub fn is_protected(&self, key: &str) -> bool {
        self.protected.contains(key)
    }

    pub fn protect(&mut self, key: &str) {
        self.protected.insert(key.to_string());
    }

    pub fn unprotect(&mut self, key: &str) {
        self.protected.remove(key);
    }

    /// Takes the value found under `key` at start (each value is read once).
    pub fn take(&mut self, key: &str) -> Option<String> {
        self.snapshot.remove(key)
    }

    /// Reads the value found under `key` at start, leaving it.
    pub fn peek(&self, key: &str) -> Option<&String> {
        self.snapshot.get(key)
    }

    /// Keys found at start that begin with `prefix`.
    pub fn keys_under(&self, prefix: &str) -> Vec<String> {
        self.snapshot
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Whether to tell the person that `what` could not be saved (once per kind).
    pub fn first_not_saved(&mut self, what: &'static str) -> bool {
        self.told_not_saved.insert(what)
    }
}

impl Engine {
    /// Reads what the chat keeps: block list, contacts (rebuilt from conversations where
    /// the list lost them), rooms with their logs.
    pub(super) fn load(&mut self) {
        if let Some(blocked) =
            self.load_record::<Blocked>(BLOCKED_KEY, "block list", Resave::Blocked)
        {
            for id in blocked.list.into_iter().take(crate::history::MAX_BLOCKED) {
                self.people.blocked.insert(id);
            }
        }
        let contacts = self.load_record::<Contacts>(CONTACTS_KEY, "contact list", Resave::Contacts);
        let listed = contacts.is_some();
        for contact in contacts.map(|c| c.list).unwrap_or_default() {
            if contact.id != self.my_id && !self.people.blocked.contains(&contact.id) {
                self.people.insert_contact(contact);
            }
        }
        // A conversation in storage means its peer was a contact: whatever the list lost
        // (damaged, or a write that failed) comes back from there.
        let mut missing = false;
        for key in self.store.keys_under("peerchat/v1/chat/") {
            let Some(peer) = conversation_peer(&key) else {
                continue;
            };
            if peer != self.my_id
                && !self.people.blocked.contains(&peer)
                && !self.people.is_contact(&peer)
            {
                missing = true;
                self.people.insert_contact(crate::history::Contact {
                    id: peer,
                    name: None,
                    key: None,
                });
            }
        }
        if missing && listed {
            self.save_contacts();
        }
        let peers: Vec<PeerId> = self.people.contact_ids();
        for peer in peers {
            self.load_meta(&peer);
        }
        self.load_rooms();
    }

    /// Opens what was open when the page last ran (if it is still there).
    pub(super) fn reopen(&mut self) {
        let Some(record) = self.load_record::<crate::history::LastOpen>(
            crate::history::OPEN_KEY,
            "open conversation",
            Resave::Nothing,
        ) else {
            return;
        };
        self.remembered = Some(record.clone());
        if let Some(peer) = record.peer.filter(|p| self.people.is_contact(p)) {
            self.open_peer(Some(peer));
        } else if let Some(room) = record
            .room
            .filter(|r| self.rooms.get(r).is_some_and(|r| !r.stored.left))
        {
            self.open_room(Some(room));
        }
    }

    /// Reads a record found at start. A damaged one is kept aside (then `resave` runs)
    /// and `None` returned.
    pub(super) fn load_record<T: Record>(
        &mut self,
        key: &str,
        what: &str,
        resave: Resave,
    ) -> Option<T> {
        let raw = self.store.take(key)?;
        match storage::decode::<T>(&raw) {
            Ok(record) => Some(record),
            Err(error) => {
                self.keep_aside(key, raw, what, &error.to_string(), resave);
                None
            }
        }
    }

    /// Reads a versioned value under a key that is not a fixed [`Record`] key.
    pub(super) fn load_value<T: Versioned>(
        &mut self,
        key: &str,
        what: &str,
        resave: Resave,
    ) -> Option<T> {
        let raw = self.store.take(key)?;
        match storage::decode::<T>(&raw) {
            Ok(value) => Some(value),
            Err(error) => {
                self.keep_aside(key, raw, what, &error.to_string(), resave);
                None
            }
        }
    }

    /// Copies a damaged value aside; its key stays unwritten until the copy is made.
    pub(super) fn keep_aside(
        &mut self,
        key: &str,
        raw: String,
        what: &str,
        error: &str,
        then: Resave,
    ) {
        self.store.protect(key);
        let aside = storage::damaged_key(key, self.now);
        self.write(
            aside,
            raw,
            AfterWrite::KeptAside {
                key: key.to_string(),
                what: what.to_string(),
                error: error.to_string(),
                then,
            },
        );
    }

    pub(super) fn after_write_ok(&mut self, after: AfterWrite) {
        match after {
            AfterWrite::Nothing | AfterWrite::Record(_) => {}
            AfterWrite::KeptAside {
                key,
                what,
                error,
                then,
            } => {
                self.store.unprotect(&key);
                let aside = storage::damaged_key(&key, self.now);
                self.notice(Notice::Damaged {
                    what,
                    error,
                    aside: Some(aside),
                });
                self.resave(then);
            }
            AfterWrite::Deleting(peer) => self.deletion_recorded(&peer),
            AfterWrite::Clearing { peer, rest } => self.clear_next(&peer, rest),
            AfterWrite::Composed { peer, seq } => self.composed_stored(&peer, seq),
            AfterWrite::Received { peer, link, seq } => self.received_stored(&peer, link, seq),
            AfterWrite::RoomComposed { room, id } => self.room_composed_stored(&room, &id),
            AfterWrite::RoomReceived { room, link, id } => {
                self.room_received_stored(&room, link, &id)
            }
        }
    }

    pub(super) fn after_write_failed(&mut self, after: AfterWrite) {
        match after {
            AfterWrite::Nothing => {}
            AfterWrite::Record(what) => {
                if self.store.first_not_saved(what) {
                    self.notice(Notice::NotSaved { what: what.into() });
                }
            }
            AfterWrite::KeptAside {
                what, error, key, ..
            } => {
                // Still protected: the only copy stays where it is, untouched.
                self.log(format!("Peerchat: could not keep {key} aside"));
                self.notice(Notice::Damaged {
                    what,
                    error,
                    aside: None,
                });
            }
            AfterWrite::Deleting(peer) => {
                let who = self.people.label(&peer);
                self.notice(Notice::NotDeleted { who });
            }
            // The rest is not written and nothing is removed.
            AfterWrite::Clearing { peer, .. } => self.clear_failed(&peer),
            AfterWrite::Composed { peer, seq } => self.composed_failed(&peer, seq),
            AfterWrite::Received { peer, seq, .. } => self.received_failed(&peer, seq),
            AfterWrite::RoomComposed { room, id } => self.room_composed_failed(&room, &id),
            AfterWrite::RoomReceived { room, id, .. } => self.room_received_failed(&room, &id),
        }
    }

    fn resave(&mut self, then: Resave) {
        match then {
            Resave::Legacy => self.remove(<Rooms as Record>::KEY.into()),
            Resave::Contacts => self.save_contacts(),
            Resave::Blocked => self.save_blocked(),
            // A room whose record was lost is not loaded: its damaged record, now kept
            // aside, is removed so that it is not reported again at every start.
            Resave::RoomInfo(room) if !self.rooms.contains_key(&room) => {
                self.remove(crate::room::info_key(&room));
            }
            Resave::RoomInfo(room) => self.save_room_info(&room),
            Resave::Nothing => {}
            Resave::ChatMeta(peer) => self.save_meta(&peer),
            Resave::RoomMeta(room) => self.save_room_meta(&room),
            Resave::EmptySegment(key) => self.write(
                key,
                crate::segments::empty_segment_text(),
                AfterWrite::Nothing,
            ),
        }
    }

    /// The pause after a full storage is over: accept messages again (peers resend).
    pub(super) fn storage_retry(&mut self) {
        self.store.end_pause();
        self.resume_receiving();
    }

    /// Asks every verified peer again for what I lack: after storage refused writes,
    /// their messages were not acknowledged, and this makes them come again.
    pub(super) fn resume_receiving(&mut self) {
        for record in self.store.take_deferred() {
            self.resave(record);
        }
        self.resync_conversations();
        self.resync_rooms();
    }

    /// The old single room list (before each room had its own record), if any.
    pub(super) fn load_legacy_rooms(&mut self) -> Vec<crate::room::StoredRoom> {
        const LEGACY: &str = <Rooms as Record>::KEY;
        let Some(raw) = self.store.peek(LEGACY).cloned() else {
            return Vec::new();
        };
        match storage::decode::<Rooms>(&raw) {
            Ok(rooms) => rooms.list,
            Err(error) => {
                self.store.take(LEGACY);
                self.keep_aside(LEGACY, raw, "room list", &error.to_string(), Resave::Legacy);
                Vec::new()
            }
        }
    }

    /// Removes the old room list once every room in it has its own record.
    pub(super) fn retire_legacy_rooms(&mut self, migrated: bool) {
        const LEGACY: &str = <Rooms as Record>::KEY;
        if migrated && self.store.take(LEGACY).is_some() {
            self.remove(LEGACY.into());
        }
    }
}
