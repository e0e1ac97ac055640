//! Data-channel frames. Each frame is one JSON object with a `t` field, UTF-8 encoded, sent
//! as one binary data-channel message (the PeerJS `json` serialization); text frames with
//! the same JSON are accepted too.
//!
//! This module sits above one-to-one chat ([`crate::conversation`]) and rooms
//! ([`crate::room`]): it imports their types, and neither imports it.

use crate::identity::PeerId;
use crate::name::DisplayName;
use crate::primitives::{Bytes32, Bytes64, MAX_COUNTER, valid_message_id};
use crate::room::RoomId;
use crate::room::log::{Vector, vector_within_limits};
use crate::room::message::RoomMessage;
use serde::{Deserialize, Serialize};

/// Largest frame accepted or sent, in bytes (the stock `peerjs` client refuses 16,300 bytes
/// or more in its `json` serialization).
pub const MAX_FRAME_BYTES: usize = 16_000;
/// Protocol version in `hello`. Version 2 moved the display name out of `hello` into the
/// `name` frame, sent only to contacts after verification.
pub const PROTOCOL_VERSION: u32 = 2;

/// One data-channel frame. Encoded by serde as an internally tagged object (`"t"` names
/// the kind); decoded by [`Frame::parse`] in two steps (the tag, then that kind's fields),
/// which costs far less code in the page than serde's buffering decoder for tagged enums.
#[derive(Serialize, Clone, PartialEq, Debug)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum Frame {
    /// First frame from each side: who I claim to be and my fresh nonce.
    Hello {
        /// Protocol version ([`PROTOCOL_VERSION`]).
        v: u32,
        /// The sender's peer id.
        id: PeerId,
        /// The sender's Ed25519 public key.
        key: Bytes32,
        /// 32 fresh random bytes.
        nonce: Bytes32,
    },
    /// Second frame from each side: the signature over the handshake transcript.
    Proof {
        /// Ed25519 signature.
        sig: Bytes64,
    },
    /// After verification, to a contact: the sender's display name (checked like any
    /// display name). Sent again when it changes.
    Name {
        /// The name.
        name: String,
    },
    /// A chat message.
    Msg(WireMessage),
    /// Cumulative acknowledgement: I hold all your messages with `seq <= upto`.
    Ack {
        /// Highest contiguous sequence number received.
        upto: u64,
    },
    /// Sent once after the handshake: I hold all your messages with `seq <= have`; send
    /// me the rest.
    Sync {
        /// Highest contiguous sequence number received.
        have: u64,
        /// The id of the message numbered `have` (absent when `have` is 0): lets a sender
        /// that lost its own history notice that its numbers no longer match.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last: Option<String>,
    },
    /// Room: "I know this room's secret" (see [`crate::room::proof`]); sent by a member to
    /// another member it wants in the mesh.
    #[serde(rename = "room-join")]
    RoomJoin {
        /// The room.
        room: RoomId,
        /// HMAC proof bound to this connection.
        proof: Bytes32,
    },
    /// Room: the answer to a valid `room-join`, with the answerer's own proof.
    #[serde(rename = "room-welcome")]
    RoomWelcome {
        /// The room.
        room: RoomId,
        /// HMAC proof bound to this connection.
        proof: Bytes32,
    },
    /// Room: what I hold, per author (send me the rest).
    #[serde(rename = "room-have")]
    RoomHave {
        /// The room.
        room: RoomId,
        /// Per author id, the highest sequence number held without gaps.
        have: Vector,
    },
    /// Room: a request for the messages I lack, given what I hold. Sent to one member at
    /// a time; answered with at most [`ROOM_BATCH`] messages, then a `room-have`.
    #[serde(rename = "room-want")]
    RoomWant {
        /// The room.
        room: RoomId,
        /// Per author id, the highest sequence number held without gaps.
        have: Vector,
    },
    /// Room: a signed room message (mine, or sent in answer to a `room-want`).
    #[serde(rename = "room-msg")]
    RoomMsg {
        /// The message.
        m: RoomMessage,
    },
}

/// A chat message on the wire. The author is the authenticated peer of the connection.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
#[serde(deny_unknown_fields)]
pub struct WireMessage {
    /// Random unique id (1–32 characters of `[a-z0-9]`).
    pub id: String,
    /// The author's sequence number in this conversation, from 1, without gaps.
    pub seq: u64,
    /// Lamport clock: greater than every clock the author had seen when writing.
    pub lc: u64,
    /// The author's wall clock, milliseconds since the Unix epoch (for display only).
    pub ts: u64,
    /// The text (see [`crate::text::clean`]).
    pub text: String,
}

/// Most room messages sent in answer to one `room-want`. The asker asks again once it has
/// stored them, which paces a long catch-up and keeps it inside the per-connection limits.
pub const ROOM_BATCH: usize = 200;

/// Why a frame was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Larger than [`MAX_FRAME_BYTES`].
    #[error("frame too large")]
    TooLarge,
    /// Not UTF-8 JSON of a known frame shape.
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// Well-formed but with a value out of range.
    #[error("invalid frame: {0}")]
    Invalid(&'static str),
}

impl Frame {
    /// Parses one received frame (binary or text data-channel message).
    pub fn parse(bytes: &[u8]) -> Result<Frame, FrameError> {
        if bytes.len() > MAX_FRAME_BYTES {
            return Err(FrameError::TooLarge);
        }
        let frame = decode(bytes).map_err(|e| {
            let mut msg = e.to_string();
            msg.truncate(120);
            FrameError::Malformed(msg)
        })?;
        frame.validate()?;
        Ok(frame)
    }

    /// Encodes the frame as UTF-8 JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("frames are plain data and always serialize")
    }

    fn validate(&self) -> Result<(), FrameError> {
        match self {
            Frame::Hello { v, .. } => {
                if *v != PROTOCOL_VERSION {
                    return Err(FrameError::Invalid("unsupported protocol version"));
                }
            }
            Frame::Name { name } => {
                DisplayName::parse(name).map_err(|_| FrameError::Invalid("bad name"))?;
            }
            Frame::Msg(m) => {
                if !valid_message_id(&m.id) {
                    return Err(FrameError::Invalid("bad message id"));
                }
                if m.seq == 0
                    || m.seq > MAX_COUNTER
                    || m.lc == 0
                    || m.lc > MAX_COUNTER
                    || m.ts > MAX_COUNTER
                {
                    return Err(FrameError::Invalid("counter out of range"));
                }
                if crate::text::clean(&m.text).as_deref() != Ok(m.text.as_str()) {
                    return Err(FrameError::Invalid("text not clean or too long"));
                }
            }
            Frame::Ack { upto: n } => {
                if *n > MAX_COUNTER {
                    return Err(FrameError::Invalid("counter out of range"));
                }
            }
            Frame::Sync { have, last } => {
                if *have > MAX_COUNTER {
                    return Err(FrameError::Invalid("counter out of range"));
                }
                if last.as_deref().is_some_and(|id| !valid_message_id(id)) {
                    return Err(FrameError::Invalid("bad message id"));
                }
            }
            Frame::RoomHave { have, .. } | Frame::RoomWant { have, .. } => {
                if !vector_within_limits(have) {
                    return Err(FrameError::Invalid("version vector too large"));
                }
            }
            // Room messages are verified (signature included) when inserted into a log.
            Frame::Proof { .. }
            | Frame::RoomJoin { .. }
            | Frame::RoomWelcome { .. }
            | Frame::RoomMsg { .. } => {}
        }
        Ok(())
    }
}

/// Decodes a frame: its kind from `"t"`, then exactly that kind's fields (and `"t"`),
/// nothing else.
fn decode(bytes: &[u8]) -> Result<Frame, serde_json::Error> {
    use serde::de::{Error, IgnoredAny};
    use serde_json::from_slice;
    #[derive(Deserialize)]
    struct Tag {
        t: String,
    }
    // Each kind's fields, with the tag beside them.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Hello {
        #[serde(rename = "t")]
        _t: IgnoredAny,
        v: u32,
        id: PeerId,
        key: Bytes32,
        nonce: Bytes32,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Proof {
        #[serde(rename = "t")]
        _t: IgnoredAny,
        sig: Bytes64,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Name {
        #[serde(rename = "t")]
        _t: IgnoredAny,
        name: String,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Msg {
        #[serde(rename = "t")]
        _t: IgnoredAny,
        id: String,
        seq: u64,
        lc: u64,
        ts: u64,
        text: String,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Ack {
        #[serde(rename = "t")]
        _t: IgnoredAny,
        upto: u64,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sync {
        #[serde(rename = "t")]
        _t: IgnoredAny,
        have: u64,
        #[serde(default)]
        last: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RoomProof {
        #[serde(rename = "t")]
        _t: IgnoredAny,
        room: RoomId,
        proof: Bytes32,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RoomVector {
        #[serde(rename = "t")]
        _t: IgnoredAny,
        room: RoomId,
        have: Vector,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RoomMsg {
        #[serde(rename = "t")]
        _t: IgnoredAny,
        m: RoomMessage,
    }
    let tag: Tag = from_slice(bytes)?;
    Ok(match tag.t.as_str() {
        "hello" => {
            let Hello {
                v, id, key, nonce, ..
            } = from_slice(bytes)?;
            Frame::Hello { v, id, key, nonce }
        }
        "proof" => Frame::Proof {
            sig: from_slice::<Proof>(bytes)?.sig,
        },
        "name" => Frame::Name {
            name: from_slice::<Name>(bytes)?.name,
        },
        "msg" => {
            let Msg {
                id,
                seq,
                lc,
                ts,
                text,
                ..
            } = from_slice(bytes)?;
            Frame::Msg(WireMessage {
                id,
                seq,
                lc,
                ts,
                text,
            })
        }
        "ack" => Frame::Ack {
            upto: from_slice::<Ack>(bytes)?.upto,
        },
        "sync" => {
            let Sync { have, last, .. } = from_slice(bytes)?;
            Frame::Sync { have, last }
        }
        "room-join" => {
            let RoomProof { room, proof, .. } = from_slice(bytes)?;
            Frame::RoomJoin { room, proof }
        }
        "room-welcome" => {
            let RoomProof { room, proof, .. } = from_slice(bytes)?;
            Frame::RoomWelcome { room, proof }
        }
        "room-have" => {
            let RoomVector { room, have, .. } = from_slice(bytes)?;
            Frame::RoomHave { room, have }
        }
        "room-want" => {
            let RoomVector { room, have, .. } = from_slice(bytes)?;
            Frame::RoomWant { room, have }
        }
        "room-msg" => Frame::RoomMsg {
            m: from_slice::<RoomMsg>(bytes)?.m,
        },
        other => {
            let mut kind = other.to_string();
            kind.truncate(32);
            return Err(serde_json::Error::custom(format!(
                "unknown frame type {kind:?}"
            )));
        }
    })
}

/// The `v` of a `hello` that did not parse, if the bytes are one: lets a receiver tell a
/// peer running another protocol version from garbage.
pub fn hello_version(bytes: &[u8]) -> Option<u64> {
    #[derive(Deserialize)]
    struct AnyHello {
        t: String,
        v: u64,
    }
    let hello: AnyHello = serde_json::from_slice(bytes).ok()?;
    (hello.t == "hello").then_some(hello.v)
}

/// Whether a frame is the stock `peerjs` client's graceful close,
/// `{"__peerData":{"type":"close"}}` (sent by `conn.close({flush: true})`).
pub fn is_peerjs_close(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Close {
        #[serde(rename = "__peerData")]
        peer_data: CloseType,
    }
    #[derive(Deserialize)]
    struct CloseType {
        #[serde(rename = "type")]
        kind: String,
    }
    bytes.len() <= 64
        && serde_json::from_slice::<Close>(bytes).is_ok_and(|c| c.peer_data.kind == "close")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg() -> WireMessage {
        WireMessage {
            id: "k3n2x9".into(),
            seq: 1,
            lc: 1,
            ts: 1_700_000_000_000,
            text: "hi".into(),
        }
    }

    /// Test vectors: the exact bytes documented in docs/PROTOCOL.md.
    #[test]
    fn vectors() {
        let cases = vec![
            (
                Frame::Msg(msg()),
                r#"{"t":"msg","id":"k3n2x9","seq":1,"lc":1,"ts":1700000000000,"text":"hi"}"#,
            ),
            (Frame::Ack { upto: 3 }, r#"{"t":"ack","upto":3}"#),
            (
                Frame::Sync {
                    have: 0,
                    last: None,
                },
                r#"{"t":"sync","have":0}"#,
            ),
            (
                Frame::Sync {
                    have: 2,
                    last: Some("k3n2x9".into()),
                },
                r#"{"t":"sync","have":2,"last":"k3n2x9"}"#,
            ),
            (
                Frame::Hello {
                    v: 2,
                    id: PeerId::parse("pc-eh7ddx5bksrgcytl7bka").unwrap(),
                    key: Bytes32([1; 32]),
                    nonce: Bytes32([2; 32]),
                },
                r#"{"t":"hello","v":2,"id":"pc-eh7ddx5bksrgcytl7bka","key":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=","nonce":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="}"#,
            ),
            (
                Frame::Name { name: "Ann".into() },
                r#"{"t":"name","name":"Ann"}"#,
            ),
            (
                Frame::Proof {
                    sig: Bytes64([3; 64]),
                },
                r#"{"t":"proof","sig":"AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw=="}"#,
            ),
        ];
        for (frame, text) in cases {
            assert_eq!(String::from_utf8(frame.encode()).unwrap(), text);
            assert_eq!(Frame::parse(text.as_bytes()).unwrap(), frame);
        }
    }

    #[test]
    fn room_frame_vectors() {
        let room = RoomId::parse("aaaaaaaaaaaaaaaaaaaaaaaaaa").unwrap();
        let mut have = Vector::new();
        have.insert(PeerId::parse("pc-eh7ddx5bksrgcytl7bka").unwrap(), 4);
        let cases = vec![
            (
                Frame::RoomJoin {
                    room: room.clone(),
                    proof: Bytes32([1; 32]),
                },
                r#"{"t":"room-join","room":"aaaaaaaaaaaaaaaaaaaaaaaaaa","proof":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="}"#,
            ),
            (
                Frame::RoomHave {
                    room: room.clone(),
                    have: have.clone(),
                },
                r#"{"t":"room-have","room":"aaaaaaaaaaaaaaaaaaaaaaaaaa","have":{"pc-eh7ddx5bksrgcytl7bka":4}}"#,
            ),
            (
                Frame::RoomWant { room, have },
                r#"{"t":"room-want","room":"aaaaaaaaaaaaaaaaaaaaaaaaaa","have":{"pc-eh7ddx5bksrgcytl7bka":4}}"#,
            ),
        ];
        for (frame, text) in cases {
            assert_eq!(String::from_utf8(frame.encode()).unwrap(), text);
            assert_eq!(Frame::parse(text.as_bytes()).unwrap(), frame);
        }
        let mut huge =
            String::from(r#"{"t":"room-have","room":"aaaaaaaaaaaaaaaaaaaaaaaaaa","have":{"#);
        for i in 0..65u8 {
            let id = crate::identity::Identity::from_secret([i; 32])
                .peer_id()
                .clone();
            huge.push_str(&format!(r#"{}"{id}":1"#, if i == 0 { "" } else { "," }));
        }
        huge.push_str("}}");
        assert!(matches!(
            Frame::parse(huge.as_bytes()),
            Err(FrameError::Invalid(_))
        ));
    }

    #[test]
    fn recognises_the_peerjs_close_frame() {
        assert!(is_peerjs_close(br#"{"__peerData":{"type":"close"}}"#));
        assert!(!is_peerjs_close(br#"{"__peerData":{"type":"open"}}"#));
        assert!(!is_peerjs_close(br#"{"t":"ack","upto":1}"#));
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        let too_big = vec![b' '; MAX_FRAME_BYTES + 1];
        assert_eq!(Frame::parse(&too_big), Err(FrameError::TooLarge));
        for bad in [
            &b""[..],
            b"\xff\xfe",
            b"null",
            b"{}",
            br#"{"t":"nope"}"#,
            br#"{"t":"ack"}"#,
            br#"{"t":"ack","upto":-1}"#,
            br#"{"t":"ack","upto":1,"extra":true}"#,
            br#"{"t":"proof","sig":"AAAA"}"#,
            br#"{"t":"hello","v":2,"id":"bob","key":"","nonce":""}"#,
            br#"{"t":"name"}"#,
        ] {
            assert!(
                matches!(Frame::parse(bad), Err(FrameError::Malformed(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn rejects_out_of_range_values() {
        let cases = [
            WireMessage { seq: 0, ..msg() },
            WireMessage { lc: 0, ..msg() },
            WireMessage {
                seq: MAX_COUNTER + 1,
                ..msg()
            },
            WireMessage {
                id: "UPPER".into(),
                ..msg()
            },
            WireMessage {
                id: "".into(),
                ..msg()
            },
            WireMessage {
                id: "a".repeat(33),
                ..msg()
            },
            WireMessage {
                text: "".into(),
                ..msg()
            },
            WireMessage {
                text: "bell\u{7}".into(),
                ..msg()
            },
            WireMessage {
                text: " padded ".into(),
                ..msg()
            },
            WireMessage {
                text: "a".repeat(2001),
                ..msg()
            },
        ];
        for m in cases {
            let bytes = serde_json::to_vec(&Frame::Msg(m.clone())).unwrap();
            assert!(
                matches!(Frame::parse(&bytes), Err(FrameError::Invalid(_))),
                "{m:?}"
            );
        }
        let ack = format!(r#"{{"t":"ack","upto":{}}}"#, MAX_COUNTER + 1);
        assert!(matches!(
            Frame::parse(ack.as_bytes()),
            Err(FrameError::Invalid(_))
        ));
        let hello = r#"{"t":"hello","v":3,"id":"pc-eh7ddx5bksrgcytl7bka","key":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=","nonce":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="}"#;
        assert!(matches!(
            Frame::parse(hello.as_bytes()),
            Err(FrameError::Invalid(_))
        ));
        assert!(matches!(
            Frame::parse(br#"{"t":"name","name":" "}"#),
            Err(FrameError::Invalid(_))
        ));
    }

    #[test]
    fn a_version_1_hello_is_told_apart() {
        let v1 = br#"{"t":"hello","v":1,"id":"pc-eh7ddx5bksrgcytl7bka","key":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=","nonce":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=","name":"Ann"}"#;
        assert!(Frame::parse(v1).is_err());
        assert_eq!(hello_version(v1), Some(1));
        assert_eq!(hello_version(br#"{"t":"ack","upto":1}"#), None);
        assert_eq!(hello_version(b"garbage"), None);
    }

    #[test]
    fn the_longest_message_fits_a_frame() {
        let m = WireMessage {
            id: "a".repeat(crate::primitives::MAX_MESSAGE_ID),
            seq: MAX_COUNTER,
            lc: MAX_COUNTER,
            ts: MAX_COUNTER,
            // 4-byte characters, and quotes that JSON escapes... emoji are not escaped.
            text: "😀".repeat(crate::text::MAX_TEXT_CHARS),
        };
        assert!(Frame::Msg(m).encode().len() <= MAX_FRAME_BYTES);
    }
}
