//! Rooms: group chat in a full mesh.
//!
//! A room is an id, a 32-byte secret and a name. Knowing the secret is membership: a joiner
//! proves it on each connection with an HMAC bound to that connection ([`proof`]). Every room
//! message is signed by its author ([`message`]), so any member can pass it on and nobody can
//! forge or alter another member's message. Each member's messages are numbered 1, 2, 3, ...;
//! members exchange what they hold as a version vector and send each other exactly what is
//! missing ([`log`]).

pub mod invite;
pub mod log;
pub mod message;
pub mod proof;

use std::fmt;

/// A room id: 26 characters of lowercase base32 (128 random bits).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, serde::Serialize)]
#[serde(transparent)]
pub struct RoomId(String);

impl RoomId {
    /// A room id from 16 random bytes.
    pub fn from_random(bytes: &[u8; 16]) -> Self {
        RoomId(crate::codec::base32_lower(bytes))
    }

    /// Parses a room id.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = text.len() == 26 && text.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7'));
        ok.then(|| RoomId(text.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for RoomId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        RoomId::parse(&text).ok_or_else(|| serde::de::Error::custom("invalid room id"))
    }
}

/// The room secret (32 bytes). Never sent over any connection; only in invite links
/// (inside the URL fragment) and local storage.
#[derive(Clone, PartialEq, Eq)]
pub struct RoomSecret(pub [u8; 32]);

impl fmt::Debug for RoomSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RoomSecret(..)")
    }
}

/// A room this browser is in, as stored in `peerchat/v1/rooms`.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoredRoom {
    /// The room.
    pub id: RoomId,
    /// Its name.
    pub name: crate::name::DisplayName,
    /// Its secret, base64.
    pub secret: crate::primitives::Bytes32,
    /// Members to dial before the log names any (from the invitation).
    pub via: Vec<crate::identity::PeerId>,
    /// Whether I left it (its history is kept).
    pub left: bool,
    /// After I left: every member present then holds my `leave`, so this page stops
    /// taking part in the room. Absent in records written before protocol 2.
    #[serde(default)]
    pub leave_known: bool,
    /// A damaged log lost part of the room here, maybe messages of mine: I write nothing
    /// until every member I know of told me what it holds of mine. Absent: false.
    #[serde(default)]
    pub recovering: bool,
}

/// The rooms record.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Rooms {
    // Read only so `deny_unknown_fields` accepts the version; `encode` writes it.
    #[serde(default, skip_serializing)]
    v: u64,
    /// The rooms.
    pub list: Vec<StoredRoom>,
}

impl Rooms {
    /// A record holding `list`.
    pub fn new(list: Vec<StoredRoom>) -> Self {
        Rooms { v: 1, list }
    }
}

impl crate::storage::Versioned for Rooms {
    const VERSION: u64 = 1;
}

impl crate::storage::Record for Rooms {
    const KEY: &'static str = "peerchat/v1/rooms";
}

/// A room's own record, `peerchat/v1/room/<id>/info`: one per room, so a damaged value
/// costs one room at most.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RoomInfo {
    // Read only so `deny_unknown_fields` accepts the version; `encode` writes it.
    #[serde(default, skip_serializing)]
    v: u64,
    /// Its name.
    pub name: crate::name::DisplayName,
    /// Its secret, base64.
    pub secret: crate::primitives::Bytes32,
    /// Members to dial before the log names any (from the invitation).
    pub via: Vec<crate::identity::PeerId>,
    /// Whether I left it (its history is kept).
    pub left: bool,
    /// After I left: every member present then holds my `leave`.
    #[serde(default)]
    pub leave_known: bool,
    /// A damaged log lost part of the room here, maybe messages of mine: I write nothing
    /// until every member I know of told me what it holds of mine. Absent: false.
    #[serde(default)]
    pub recovering: bool,
}

impl RoomInfo {
    /// The record of `room` (the id is in the key).
    pub fn from_stored(room: &StoredRoom) -> Self {
        RoomInfo {
            v: 1,
            name: room.name.clone(),
            secret: room.secret,
            via: room.via.clone(),
            left: room.left,
            leave_known: room.leave_known,
            recovering: room.recovering,
        }
    }

    /// The room it describes.
    pub fn to_stored(&self, id: RoomId) -> StoredRoom {
        StoredRoom {
            id,
            name: self.name.clone(),
            secret: self.secret,
            via: self.via.clone(),
            left: self.left,
            leave_known: self.leave_known,
            recovering: self.recovering,
        }
    }
}

impl crate::storage::Versioned for RoomInfo {
    const VERSION: u64 = 1;
}

/// The key of a room's own record.
pub fn info_key(room: &RoomId) -> String {
    format!("peerchat/v1/room/{room}/info")
}

/// The room of a key `peerchat/v1/room/<id>/info`, if it is one.
pub fn info_room(key: &str) -> Option<RoomId> {
    let rest = key.strip_prefix("peerchat/v1/room/")?;
    RoomId::parse(rest.strip_suffix("/info")?)
}

/// The storage prefix of a room's message log (segments `<prefix>/<n>`).
pub fn log_prefix(room: &RoomId) -> String {
    format!("peerchat/v1/room/{room}")
}

/// The key of a room's meta record, beside its log segments (which are numbered).
pub fn meta_key(room: &RoomId) -> String {
    format!("peerchat/v1/room/{room}/meta")
}

/// A room's meta record: what the page keeps about a room besides its log. A separate
/// small record, so counting an unread message does not rewrite the room list.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RoomMeta {
    // Read only so `deny_unknown_fields` accepts the version; `encode` writes it.
    #[serde(default, skip_serializing)]
    v: u64,
    /// Messages of others not yet seen by the person.
    pub unread: u32,
}

impl RoomMeta {
    /// A meta record.
    pub fn new(unread: u32) -> Self {
        RoomMeta { v: 1, unread }
    }
}

impl crate::storage::Versioned for RoomMeta {
    const VERSION: u64 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{self, Loaded};

    #[test]
    fn room_meta_round_trips_and_rejects_damage() {
        let text = storage::encode(&RoomMeta::new(7));
        assert_eq!(text, r#"{"v":1,"unread":7}"#);
        assert_eq!(
            storage::load::<RoomMeta>(Some(&text)),
            Loaded::Ok(RoomMeta::new(7))
        );
        for bad in [
            r#"{"v":1,"unread":-1}"#,
            r#"{"v":1,"unread":"7"}"#,
            r#"{"v":2,"unread":7}"#,
            r#"{"v":1,"unread":7,"extra":1}"#,
            "not json",
        ] {
            assert!(
                matches!(storage::load::<RoomMeta>(Some(bad)), Loaded::Damaged { .. }),
                "{bad}"
            );
        }
        assert_eq!(storage::load::<RoomMeta>(None), Loaded::Missing);
    }

    #[test]
    fn room_info_round_trips_and_names_its_room() {
        let id = RoomId::from_random(&[3; 16]);
        let stored = StoredRoom {
            id: id.clone(),
            name: crate::name::DisplayName::parse("Ops").unwrap(),
            secret: crate::primitives::Bytes32([4; 32]),
            via: vec![],
            left: false,
            leave_known: false,
            recovering: false,
        };
        let text = storage::encode(&RoomInfo::from_stored(&stored));
        assert!(
            text.starts_with(r#"{"v":1,"name":"Ops","secret":"#),
            "{text}"
        );
        let Loaded::Ok(back) = storage::load::<RoomInfo>(Some(&text)) else {
            panic!("{text}")
        };
        assert_eq!(back.to_stored(id.clone()), stored);
        assert_eq!(info_room(&info_key(&id)), Some(id.clone()));
        assert_eq!(info_room(&meta_key(&id)), None);
        assert_eq!(info_room("peerchat/v1/rooms"), None);
    }

    #[test]
    fn meta_key_is_not_a_segment_key() {
        let id = RoomId::from_random(&[3; 16]);
        let meta = meta_key(&id);
        let segment = format!("{}/0", log_prefix(&id));
        assert_ne!(meta, segment);
        assert!(meta.starts_with(&log_prefix(&id)));
        assert!(
            !meta
                .rsplit('/')
                .next()
                .unwrap()
                .chars()
                .all(|c| c.is_ascii_digit())
        );
    }
}
