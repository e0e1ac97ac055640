//! Encrypted backup and restore of everything Peerchat keeps in this browser.
//!
//! Everything a person has lives in localStorage under `peerchat/v1/`: the identity, the
//! profile, contacts, conversations, rooms. A backup is that set of key/value pairs, sealed
//! with a passphrase into one JSON file ([`seal`], [`open`]; the format is in
//! docs/PROTOCOL.md section 7). Restoring ([`plan_restore`]) either replaces what this
//! browser holds (another identity, or none) or merges the backup into it (the same
//! identity), losing nothing on either side and never storing a message twice.
//!
//! Plain Rust with no IO: the page hands in the stored values and the random bytes, and
//! carries out the writes a [`Plan`] lists. A backup file is untrusted input like a network
//! frame: every limit is checked before any costly work, and nothing here panics on it.

mod file;
mod merge;

pub use file::{
    FORMAT_VERSION, KDF_M_KIB, KDF_P, KDF_T, MAX_FILE_BYTES, MAX_KDF_M_KIB, MAX_KDF_T,
    MIN_KDF_M_KIB, open, seal,
};
pub use merge::{Plan, plan_restore};

use crate::history::{self, Contacts};
use crate::identity::PeerId;
use crate::room::{RoomId, Rooms};
use crate::segments::Segment;
use crate::storage::{self, IdentityRecord, NAMESPACE, Profile, Record};
use std::collections::{BTreeMap, BTreeSet};

/// What the page hands in: every localStorage key/value under `peerchat/v1/`.
pub type Entries = BTreeMap<String, String>;

/// Most stored values a backup may hold. A browser's localStorage holds a few MiB, so real
/// backups stay far below; the cap bounds the work a hostile file can ask for.
pub const MAX_ENTRIES: usize = 100_000;

/// An opened backup.
#[derive(Debug, Clone, PartialEq)]
pub struct Backup {
    /// When it was made (ms since the Unix epoch, from the maker's clock).
    pub made_at: u64,
    /// The stored values it holds (only `peerchat/v1/` keys; never the tab lease nor
    /// values kept aside as damaged).
    pub entries: Entries,
    /// What it holds, to show the person before restoring.
    pub summary: Summary,
}

/// What a backup holds, in words a person can check before restoring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The identity it holds.
    pub id: PeerId,
    /// The display name of its profile, if it has a readable one.
    pub name: Option<String>,
    /// Contacts in its contact list.
    pub contacts: usize,
    /// Rooms it holds a record of.
    pub rooms: usize,
    /// Messages stored in its readable conversation and room segments.
    pub messages: usize,
}

/// Why a backup could not be made or opened. The text is a sentence shown to the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackupError {
    /// Not a Peerchat backup file at all (another file was picked).
    #[error("This file is not a Peerchat backup.")]
    NotABackup,
    /// Over [`MAX_FILE_BYTES`] or [`MAX_ENTRIES`].
    #[error("This backup is too large: a backup holds at most 32 MiB and 100,000 stored values.")]
    TooLarge,
    /// Made by another version of Peerchat, or with settings this version refuses.
    #[error("This backup was made by another version of Peerchat and cannot be opened here ({0}).")]
    Unsupported(String),
    /// The passphrase is wrong, or the sealed data or its header were changed: the two
    /// cannot be told apart (that is what authenticated encryption promises).
    #[error("This file could not be opened: the passphrase is wrong or the file was changed.")]
    WrongPassphraseOrDamaged,
    /// The file has the right shape but something in it is invalid.
    #[error("This backup is damaged and cannot be used: {0}.")]
    Damaged(String),
    /// It holds no readable identity, so there is nothing to restore.
    #[error("This backup holds no Peerchat identity, so there is nothing to restore.")]
    NoIdentity,
    /// [`seal`] was given an empty passphrase.
    #[error("Please choose a passphrase to protect the backup.")]
    NoPassphrase,
}

/// Whether a stored value belongs in a backup: under `peerchat/v1/`, but not the tab lease
/// (it belongs to the tabs open now, not to the person) nor values kept aside as damaged
/// (unreadable by definition, and they stay in the browser where they were found).
pub fn is_backed_up(key: &str) -> bool {
    key.starts_with(NAMESPACE)
        && key != storage::LEASE_KEY
        && !key.starts_with(storage::DAMAGED_PREFIX)
}

/// What a stored key is, for counting and merging.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    /// `chat/<peer>/<n>`: a conversation segment.
    ChatSegment(PeerId),
    /// `chat/<peer>/meta`.
    ChatMeta(PeerId),
    /// `room/<id>/<n>`: a room log segment.
    RoomSegment(RoomId),
    /// `room/<id>/info`.
    RoomInfo(RoomId),
    /// `contacts`.
    Contacts,
    /// `blocked`.
    Blocked,
    /// `rooms`: the protocol-1 list of rooms.
    LegacyRooms,
    /// Anything else: a single record, or a key this version does not know.
    Other,
}

/// A segment number as written by [`crate::segments::SegmentLog`]: decimal, no leading zero
/// (a key such as `007` is never read as a segment, so it is carried as an unknown key).
fn segment_number(tail: &str) -> bool {
    tail.parse::<usize>().is_ok_and(|n| n.to_string() == tail)
}

fn classify(key: &str) -> Key {
    if let Some(rest) = key.strip_prefix("peerchat/v1/chat/")
        && let Some((peer, tail)) = rest.split_once('/')
        && let Some(peer) = history::conversation_peer(key).filter(|p| p.as_str() == peer)
    {
        return match tail {
            "meta" => Key::ChatMeta(peer),
            t if segment_number(t) => Key::ChatSegment(peer),
            _ => Key::Other,
        };
    }
    if let Some(rest) = key.strip_prefix("peerchat/v1/room/")
        && let Some((room, tail)) = rest.split_once('/')
        && let Some(room) = RoomId::parse(room)
    {
        return match tail {
            "info" => Key::RoomInfo(room),
            t if segment_number(t) => Key::RoomSegment(room),
            _ => Key::Other,
        };
    }
    match key {
        history::CONTACTS_KEY => Key::Contacts,
        history::BLOCKED_KEY => Key::Blocked,
        k if k == Rooms::KEY => Key::LegacyRooms,
        _ => Key::Other,
    }
}

/// A segment item, skipped unread: only the number of items is counted.
#[derive(serde::Serialize)]
struct Skipped;

impl<'de> serde::Deserialize<'de> for Skipped {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Skipped)
    }
}

/// Items in a stored segment, or 0 when it does not decode (the page reports such a value
/// as damaged when it loads it; here it only counts for nothing).
fn segment_len(raw: &str) -> usize {
    storage::decode::<Segment<Skipped>>(raw).map_or(0, |s| s.m.len())
}

/// The identity a set of entries holds, if its record is there and valid.
fn identity_of(entries: &Entries) -> Option<PeerId> {
    let raw = entries.get(storage::IDENTITY_KEY)?;
    let record = storage::decode::<IdentityRecord>(raw).ok()?;
    Some(record.identity().ok()?.peer_id().clone())
}

/// Checks `entries` as a backup's contents and says what they hold: at most
/// [`MAX_ENTRIES`], every key under `peerchat/v1/`, and a valid identity record (without
/// one a restore would start a new identity, and its messages would belong to nobody).
/// Other values are counted when readable; an unreadable one is not an error here, as the
/// page handles damaged values when it loads them.
pub fn summarize(entries: &Entries) -> Result<Summary, BackupError> {
    if entries.len() > MAX_ENTRIES {
        return Err(BackupError::TooLarge);
    }
    if let Some(key) = entries.keys().find(|k| !k.starts_with(NAMESPACE)) {
        let shown: String = key.chars().take(40).collect();
        return Err(BackupError::Damaged(format!(
            "it holds a value outside Peerchat's storage ({shown:?})"
        )));
    }
    let id = identity_of(entries).ok_or(BackupError::NoIdentity)?;
    let name = entries
        .get(Profile::KEY)
        .and_then(|raw| storage::decode::<Profile>(raw).ok())
        .map(|p| p.name.as_str().to_string());
    let mut contacts = 0;
    let mut rooms = BTreeSet::new();
    let mut messages = 0;
    for (key, raw) in entries {
        match classify(key) {
            Key::ChatSegment(_) | Key::RoomSegment(_) => messages += segment_len(raw),
            Key::RoomInfo(room) => {
                rooms.insert(room);
            }
            Key::Contacts => {
                contacts = storage::decode::<Contacts>(raw).map_or(0, |c| c.list.len());
            }
            Key::LegacyRooms => {
                if let Ok(list) = storage::decode::<Rooms>(raw) {
                    rooms.extend(list.list.into_iter().map(|r| r.id));
                }
            }
            Key::ChatMeta(_) | Key::Blocked | Key::Other => {}
        }
    }
    Ok(Summary {
        id,
        name,
        contacts,
        rooms: rooms.len(),
        messages,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::identity::Identity;

    /// The identity record of the test identity `n`.
    pub(crate) fn identity_entry(n: u8) -> (String, String) {
        let id = Identity::from_secret([n; 32]);
        let record = IdentityRecord::new(&id, storage::token_from_random(&[n; 24]));
        (storage::IDENTITY_KEY.to_string(), storage::encode(&record))
    }

    #[test]
    fn keys_kept_in_a_backup() {
        assert!(is_backed_up("peerchat/v1/identity"));
        assert!(is_backed_up("peerchat/v1/chat/x/0"));
        assert!(!is_backed_up("peerchat/v1/tab-lease"));
        assert!(!is_backed_up("peerchat/v1/damaged/profile/12"));
        assert!(!is_backed_up("other-app/key"));
        assert!(!is_backed_up("peerchat/v2/identity"));
    }

    #[test]
    fn keys_are_classified() {
        let peer = Identity::from_secret([2; 32]).peer_id().clone();
        let room = RoomId::from_random(&[3; 16]);
        assert_eq!(
            classify(&history::segment_key(&peer, 12)),
            Key::ChatSegment(peer.clone())
        );
        assert_eq!(
            classify(&history::meta_key(&peer)),
            Key::ChatMeta(peer.clone())
        );
        assert_eq!(classify(&format!("peerchat/v1/chat/{peer}/07")), Key::Other);
        assert_eq!(classify(&format!("peerchat/v1/chat/{peer}/x")), Key::Other);
        let upper = peer.as_str().to_uppercase();
        assert_eq!(classify(&format!("peerchat/v1/chat/{upper}/0")), Key::Other);
        assert_eq!(
            classify(&format!("{}/0", crate::room::log_prefix(&room))),
            Key::RoomSegment(room.clone())
        );
        assert_eq!(
            classify(&crate::room::info_key(&room)),
            Key::RoomInfo(room.clone())
        );
        assert_eq!(classify(&crate::room::meta_key(&room)), Key::Other);
        assert_eq!(classify("peerchat/v1/contacts"), Key::Contacts);
        assert_eq!(classify("peerchat/v1/blocked"), Key::Blocked);
        assert_eq!(classify("peerchat/v1/rooms"), Key::LegacyRooms);
        assert_eq!(classify("peerchat/v1/profile"), Key::Other);
    }

    #[test]
    fn summary_counts_and_requires_an_identity() {
        let peer = Identity::from_secret([2; 32]).peer_id().clone();
        let mut entries = Entries::from([identity_entry(1)]);
        entries.insert(
            Profile::KEY.into(),
            storage::encode(&Profile::new(
                crate::name::DisplayName::parse("Ann").unwrap(),
            )),
        );
        entries.insert(
            history::segment_key(&peer, 0),
            r#"{"v":1,"m":[1,2,3]}"#.into(),
        );
        entries.insert(history::segment_key(&peer, 1), "{damaged".into());
        entries.insert(
            history::CONTACTS_KEY.into(),
            storage::encode(&Contacts::new(vec![history::Contact {
                id: peer.clone(),
                name: None,
                key: None,
            }])),
        );
        let s = summarize(&entries).unwrap();
        assert_eq!(s.id, Identity::from_secret([1; 32]).peer_id().clone());
        assert_eq!(s.name.as_deref(), Some("Ann"));
        assert_eq!((s.contacts, s.rooms, s.messages), (1, 0, 3));

        let mut foreign = entries.clone();
        foreign.insert("elsewhere".into(), "x".into());
        assert!(matches!(summarize(&foreign), Err(BackupError::Damaged(_))));
        let mut no_id = entries.clone();
        no_id.remove(storage::IDENTITY_KEY);
        assert_eq!(summarize(&no_id), Err(BackupError::NoIdentity));
        no_id.insert(
            storage::IDENTITY_KEY.into(),
            r#"{"v":1,"secret":"AA==","token":"x"}"#.into(),
        );
        assert_eq!(summarize(&no_id), Err(BackupError::NoIdentity));
        let many: Entries = (0..=MAX_ENTRIES)
            .map(|i| (format!("peerchat/v1/x/{i}"), String::new()))
            .collect();
        assert_eq!(summarize(&many), Err(BackupError::TooLarge));
    }

    #[test]
    fn errors_read_as_sentences() {
        assert_eq!(
            BackupError::WrongPassphraseOrDamaged.to_string(),
            "This file could not be opened: the passphrase is wrong or the file was changed."
        );
        assert_eq!(
            BackupError::Unsupported("file version 2".into()).to_string(),
            "This backup was made by another version of Peerchat and cannot be opened here (file version 2)."
        );
    }
}
