//! Signed room messages: any member can relay them, nobody can forge or alter them.

use super::RoomId;
use crate::identity::{Identity, PeerId, verify};
use crate::primitives::{Bytes32, Bytes64, MAX_COUNTER, valid_message_id};
use crate::text;
use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};

/// Domain separation for room message signatures.
pub const SIGNATURE_LABEL: &str = "peerchat/room-message/v1";

/// What a room message is.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A chat message.
    Text,
    /// The author joined (its first message; `text` is its display name).
    Join,
    /// The author left (`text` is its display name).
    Leave,
}

impl Kind {
    fn wire(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Join => "join",
            Kind::Leave => "leave",
        }
    }
}

/// A signed room message, as sent, relayed and stored.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
#[serde(deny_unknown_fields)]
pub struct RoomMessage {
    /// The room.
    pub room: RoomId,
    /// Unique id (1–32 of `[a-z0-9]`).
    pub id: String,
    /// The author's id.
    pub author: PeerId,
    /// The author's public key (derives to `author`, so every message is self-certifying).
    pub key: Bytes32,
    /// The author's sequence number in this room: 1, 2, 3, ...
    pub seq: u64,
    /// Lamport clock.
    pub lc: u64,
    /// The author's wall clock, ms since the Unix epoch.
    pub ts: u64,
    /// Text, join or leave.
    pub kind: Kind,
    /// The text (for join/leave: the author's display name).
    pub text: String,
    /// Ed25519 signature over [`RoomMessage::signed_bytes`].
    pub sig: Bytes64,
}

/// Why a room message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoomMessageError {
    /// A field is out of range or malformed.
    #[error("invalid field: {0}")]
    Invalid(&'static str),
    /// The key does not derive to the author id.
    #[error("the key does not belong to the author")]
    WrongKey,
    /// The signature does not verify.
    #[error("the signature does not verify")]
    BadSignature,
}

/// The exact bytes an author signs: every field but the signature, one per line.
#[allow(clippy::too_many_arguments)]
fn signed_bytes(
    room: &RoomId,
    id: &str,
    author: &PeerId,
    key: &Bytes32,
    seq: u64,
    lc: u64,
    ts: u64,
    kind: Kind,
    text: &str,
) -> Vec<u8> {
    format!(
        "{SIGNATURE_LABEL}\nroom={room}\nid={id}\nauthor={author}\nkey={}\nseq={seq}\nlc={lc}\nts={ts}\nkind={}\ntext={text}",
        crate::codec::BASE64.encode(&key.0),
        kind.wire(),
    )
    .into_bytes()
}

impl RoomMessage {
    /// Writes and signs a message.
    #[allow(clippy::too_many_arguments)]
    pub fn sign(
        identity: &Identity,
        room: RoomId,
        id: String,
        seq: u64,
        lc: u64,
        ts: u64,
        kind: Kind,
        text: String,
    ) -> Self {
        let key = Bytes32(identity.public_key().to_bytes());
        let author = identity.peer_id().clone();
        let bytes = signed_bytes(&room, &id, &author, &key, seq, lc, ts, kind, &text);
        let sig = Bytes64(identity.sign(&bytes).to_bytes());
        RoomMessage {
            room,
            id,
            author,
            key,
            seq,
            lc,
            ts,
            kind,
            text,
            sig,
        }
    }

    /// The bytes the author signed.
    pub fn signed_bytes(&self) -> Vec<u8> {
        signed_bytes(
            &self.room,
            &self.id,
            &self.author,
            &self.key,
            self.seq,
            self.lc,
            self.ts,
            self.kind,
            &self.text,
        )
    }

    /// Checks every field and the signature. Call on everything received or loaded.
    pub fn verify(&self) -> Result<(), RoomMessageError> {
        let id_ok = valid_message_id(&self.id);
        if !id_ok {
            return Err(RoomMessageError::Invalid("id"));
        }
        if !(1..=MAX_COUNTER).contains(&self.seq)
            || !(1..=MAX_COUNTER).contains(&self.lc)
            || self.ts > MAX_COUNTER
        {
            return Err(RoomMessageError::Invalid("counter"));
        }
        let text_ok = match self.kind {
            Kind::Text => text::clean(&self.text).as_deref() == Ok(self.text.as_str()),
            Kind::Join | Kind::Leave => {
                crate::name::DisplayName::parse(&self.text).is_ok_and(|n| n.as_str() == self.text)
            }
        };
        if !text_ok {
            return Err(RoomMessageError::Invalid("text"));
        }
        if self.seq == 1 && self.kind != Kind::Join {
            // Joins can come again later (rejoining after leaving), but one comes first.
            return Err(RoomMessageError::Invalid(
                "a member's first message is its join",
            ));
        }
        let key = VerifyingKey::from_bytes(&self.key.0).map_err(|_| RoomMessageError::WrongKey)?;
        if !self.author.matches_key(&key) || key.is_weak() {
            return Err(RoomMessageError::WrongKey);
        }
        if !verify(
            &key,
            &self.signed_bytes(),
            &Signature::from_bytes(&self.sig.0),
        ) {
            return Err(RoomMessageError::BadSignature);
        }
        Ok(())
    }

    /// The order every member agrees on.
    pub fn order(&self, other: &RoomMessage) -> std::cmp::Ordering {
        (self.lc, &self.author, self.seq).cmp(&(other.lc, &other.author, other.seq))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> RoomId {
        RoomId::from_random(&[7; 16])
    }

    fn sample(identity: &Identity) -> RoomMessage {
        RoomMessage::sign(
            identity,
            room(),
            "abc".into(),
            2,
            5,
            1_700_000_000_000,
            Kind::Text,
            "hello room".into(),
        )
    }

    #[test]
    fn valid_message_verifies() {
        let a = Identity::from_secret([1; 32]);
        assert_eq!(sample(&a).verify(), Ok(()));
        let join = RoomMessage::sign(&a, room(), "j".into(), 1, 1, 0, Kind::Join, "Ann".into());
        assert_eq!(join.verify(), Ok(()));
    }

    /// Test vector: the exact signed bytes (docs/PROTOCOL.md).
    #[test]
    fn signed_bytes_vector() {
        let a = Identity::from_secret([1; 32]);
        let m = sample(&a);
        let text = String::from_utf8(m.signed_bytes()).unwrap();
        assert_eq!(
            text,
            format!(
                "peerchat/room-message/v1\nroom={}\nid=abc\nauthor={}\nkey={}\nseq=2\nlc=5\nts=1700000000000\nkind=text\ntext=hello room",
                room(),
                a.peer_id(),
                crate::codec::BASE64.encode(a.public_key().as_bytes())
            )
        );
    }

    #[test]
    fn forged_author_is_refused() {
        let (a, m) = (
            Identity::from_secret([1; 32]),
            Identity::from_secret([3; 32]),
        );
        // Mallory signs with her key but names Alice as the author.
        let mut forged = sample(&m);
        forged.author = a.peer_id().clone();
        assert_eq!(forged.verify(), Err(RoomMessageError::WrongKey));
        // ... or also puts Alice's key in: the signature is Mallory's.
        forged.key = Bytes32(a.public_key().to_bytes());
        assert_eq!(forged.verify(), Err(RoomMessageError::BadSignature));
    }

    #[test]
    fn altered_text_timestamp_or_position_is_refused() {
        let a = Identity::from_secret([1; 32]);
        let good = sample(&a);
        let mut m = good.clone();
        m.text = "hello rooM".into();
        assert_eq!(m.verify(), Err(RoomMessageError::BadSignature));
        let mut m = good.clone();
        m.ts += 1;
        assert_eq!(m.verify(), Err(RoomMessageError::BadSignature));
        let mut m = good.clone();
        m.lc = 1;
        assert_eq!(m.verify(), Err(RoomMessageError::BadSignature));
        let mut m = good.clone();
        m.seq = 3;
        assert_eq!(m.verify(), Err(RoomMessageError::BadSignature));
        let mut m = good.clone();
        m.room = RoomId::from_random(&[8; 16]);
        assert_eq!(m.verify(), Err(RoomMessageError::BadSignature));
    }

    #[test]
    fn malformed_fields_are_refused() {
        let a = Identity::from_secret([1; 32]);
        let sign = |seq, kind, text: &str| {
            RoomMessage::sign(&a, room(), "x".into(), seq, 1, 0, kind, text.into())
        };
        assert!(matches!(
            sign(1, Kind::Text, "hi").verify(),
            Err(RoomMessageError::Invalid(_))
        ));
        assert_eq!(
            sign(2, Kind::Join, "Ann").verify(),
            Ok(()),
            "rejoining after leaving"
        );
        assert!(matches!(
            sign(2, Kind::Text, " pad ").verify(),
            Err(RoomMessageError::Invalid(_))
        ));
        assert!(matches!(
            sign(0, Kind::Text, "hi").verify(),
            Err(RoomMessageError::Invalid(_))
        ));
        assert!(matches!(
            sign(1, Kind::Join, "").verify(),
            Err(RoomMessageError::Invalid(_))
        ));
    }
}

#[cfg(test)]
mod vector {
    use super::*;
    use crate::frame::Frame;

    /// The documented room-message vector (docs/PROTOCOL.md, section 6): Ed25519 is
    /// deterministic, so the exact frame is fixed.
    #[test]
    fn documented_room_message_frame() {
        let author = Identity::from_secret([1; 32]);
        let room = RoomId::from_random(&[7; 16]);
        let m = RoomMessage::sign(
            &author,
            room,
            "k3n2x9".into(),
            2,
            5,
            1_700_000_000_000,
            Kind::Text,
            "hello room".into(),
        );
        let frame = String::from_utf8(Frame::RoomMsg { m: m.clone() }.encode()).unwrap();
        println!("{frame}");
        assert_eq!(
            frame,
            include_str!("../../test-vectors/room-msg-vector.json").trim()
        );
        assert_eq!(
            Frame::parse(frame.as_bytes()).unwrap(),
            Frame::RoomMsg { m }
        );
    }
}
