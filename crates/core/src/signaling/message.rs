//! Messages between a browser and a stock PeerJS server (`peer` 1.0.x).

use serde::Deserialize;
use serde_json::Value;
use std::fmt;

/// Largest signaling frame accepted from the server, in bytes. Offers carry an SDP of a few
/// kilobytes; anything far larger is not a message we want to parse.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest PeerJS id accepted from the server.
pub const MAX_REMOTE_ID_LEN: usize = 64;

/// Any id a stock PeerJS client may register (`^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$`,
/// at most 64 characters). Peerchat users have [`crate::identity::PeerId`]s, which are a
/// subset; a stock `peerjs` client may use any id of this shape.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct RemoteId(String);

impl RemoteId {
    /// Validates a PeerJS id.
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() || text.len() > MAX_REMOTE_ID_LEN {
            return None;
        }
        let mut prev_sep = true; // no separator first
        for b in text.bytes() {
            let sep = matches!(b, b' ' | b'_' | b'-');
            if sep && prev_sep || !sep && !b.is_ascii_alphanumeric() {
                return None;
            }
            prev_sep = sep;
        }
        (!prev_sep).then(|| RemoteId(text.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RemoteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which kind of relayed message (between two peers, through the server).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RelayKind {
    /// An SDP offer opening a connection.
    Offer,
    /// The SDP answer.
    Answer,
    /// A trickled ICE candidate.
    Candidate,
}

impl RelayKind {
    fn wire(self) -> &'static str {
        match self {
            RelayKind::Offer => "OFFER",
            RelayKind::Answer => "ANSWER",
            RelayKind::Candidate => "CANDIDATE",
        }
    }
}

/// What an `ERROR` message from the server means.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ErrorKind {
    /// "Invalid key provided": the endpoint's key is wrong; retrying will not help.
    InvalidKey,
    /// "Server has reached its concurrent user limit".
    ServerFull,
    /// Any other error text, kept for display (already length-limited).
    Other(String),
}

/// A message received from the signaling server.
#[derive(Clone, PartialEq, Debug)]
pub enum ServerMessage {
    /// Registration accepted.
    Open,
    /// Registration refused or another server error; the server closes the socket next.
    Error(ErrorKind),
    /// Our id is registered by a socket with another token.
    IdTaken,
    /// A message we sent to `peer` could not be delivered: that peer is not online.
    Expire {
        /// The peer that is not online.
        peer: RemoteId,
    },
    /// Forwarding to `peer` failed and the server dropped its socket.
    Leave {
        /// The peer that left.
        peer: RemoteId,
    },
    /// An offer, answer or candidate from another peer. The payload is parsed by the
    /// connection layer, which knows its shape.
    Relay {
        /// Offer, answer or candidate.
        kind: RelayKind,
        /// The sender, as stamped by the server.
        src: RemoteId,
        /// The payload object.
        payload: Value,
    },
    /// A message type this client does not know (or `HEARTBEAT`); ignored.
    Unknown(String),
}

/// Why a frame from the server was not understood. Such frames are dropped.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ParseError {
    /// Longer than [`MAX_FRAME_BYTES`].
    #[error("signaling frame too large")]
    TooLarge,
    /// Not a JSON object with a string `type`.
    #[error("signaling frame is not a JSON message")]
    NotJson,
    /// `src` missing or not a valid PeerJS id where one is required.
    #[error("signaling frame has no valid source id")]
    BadSource,
    /// A relayed message without an object payload.
    #[error("signaling frame has no payload object")]
    BadPayload,
}

#[derive(Deserialize)]
struct RawFrame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    src: Option<String>,
    #[serde(default)]
    payload: Option<Value>,
}

/// Longest server error text kept for display.
const MAX_ERROR_TEXT: usize = 200;

impl ServerMessage {
    /// Parses one text frame from the server. Never panics; anything malformed is an error.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        if text.len() > MAX_FRAME_BYTES {
            return Err(ParseError::TooLarge);
        }
        let raw: RawFrame = serde_json::from_str(text).map_err(|_| ParseError::NotJson)?;
        let src = || {
            raw.src
                .as_deref()
                .and_then(RemoteId::parse)
                .ok_or(ParseError::BadSource)
        };
        let relay = |kind| match &raw.payload {
            Some(payload @ Value::Object(_)) => Ok(ServerMessage::Relay {
                kind,
                src: src()?,
                payload: payload.clone(),
            }),
            _ => Err(ParseError::BadPayload),
        };
        Ok(match raw.kind.as_str() {
            "OPEN" => ServerMessage::Open,
            "ID-TAKEN" => ServerMessage::IdTaken,
            // The stock server never sends INVALID-KEY (it sends ERROR), but older servers did.
            "INVALID-KEY" => ServerMessage::Error(ErrorKind::InvalidKey),
            "ERROR" => ServerMessage::Error(classify_error(raw.payload.as_ref())),
            "EXPIRE" => ServerMessage::Expire { peer: src()? },
            "LEAVE" => ServerMessage::Leave { peer: src()? },
            "OFFER" => relay(RelayKind::Offer)?,
            "ANSWER" => relay(RelayKind::Answer)?,
            "CANDIDATE" => relay(RelayKind::Candidate)?,
            other => ServerMessage::Unknown(other.chars().take(32).collect()),
        })
    }
}

fn classify_error(payload: Option<&Value>) -> ErrorKind {
    let msg = payload
        .and_then(|p| p.get("msg"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if msg == "Invalid key provided" {
        ErrorKind::InvalidKey
    } else if msg.contains("concurrent user limit") {
        ErrorKind::ServerFull
    } else {
        let clean: String = msg
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_ERROR_TEXT)
            .collect();
        ErrorKind::Other(if clean.is_empty() {
            "unknown server error".into()
        } else {
            clean
        })
    }
}

/// A message this client sends to the server.
#[derive(Clone, PartialEq, Debug)]
pub enum ClientMessage {
    /// Keeps the registration alive; sent every 5 seconds.
    Heartbeat,
    /// An offer, answer or candidate for `dst`.
    Relay {
        /// Offer, answer or candidate.
        kind: RelayKind,
        /// The receiving peer.
        dst: RemoteId,
        /// The payload object.
        payload: Value,
    },
}

impl ClientMessage {
    /// The JSON text frame for this message.
    pub fn to_json(&self) -> String {
        match self {
            ClientMessage::Heartbeat => r#"{"type":"HEARTBEAT"}"#.to_string(),
            ClientMessage::Relay { kind, dst, payload } => serde_json::json!({
                "type": kind.wire(),
                "dst": dst.as_str(),
                "payload": payload,
            })
            .to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id(s: &str) -> RemoteId {
        RemoteId::parse(s).unwrap()
    }

    #[test]
    fn every_server_message_type() {
        use ServerMessage as M;
        let cases = vec![
            (r#"{"type":"OPEN"}"#, M::Open),
            (
                r#"{"type":"ID-TAKEN","payload":{"msg":"ID is taken"}}"#,
                M::IdTaken,
            ),
            (
                r#"{"type":"ERROR","payload":{"msg":"Invalid key provided"}}"#,
                M::Error(ErrorKind::InvalidKey),
            ),
            (r#"{"type":"INVALID-KEY"}"#, M::Error(ErrorKind::InvalidKey)),
            (
                r#"{"type":"ERROR","payload":{"msg":"Server has reached its concurrent user limit"}}"#,
                M::Error(ErrorKind::ServerFull),
            ),
            (
                r#"{"type":"ERROR","payload":{"msg":"No id, token, or key supplied to websocket server"}}"#,
                M::Error(ErrorKind::Other(
                    "No id, token, or key supplied to websocket server".into(),
                )),
            ),
            (
                r#"{"type":"ERROR"}"#,
                M::Error(ErrorKind::Other("unknown server error".into())),
            ),
            (
                r#"{"type":"EXPIRE","src":"pc-a","dst":"me"}"#,
                M::Expire { peer: id("pc-a") },
            ),
            (
                r#"{"type":"LEAVE","src":"b_2","dst":"me"}"#,
                M::Leave { peer: id("b_2") },
            ),
            (
                r#"{"type":"OFFER","src":"x","dst":"me","payload":{"type":"data"}}"#,
                M::Relay {
                    kind: RelayKind::Offer,
                    src: id("x"),
                    payload: json!({"type":"data"}),
                },
            ),
            (
                r#"{"type":"ANSWER","src":"x","payload":{}}"#,
                M::Relay {
                    kind: RelayKind::Answer,
                    src: id("x"),
                    payload: json!({}),
                },
            ),
            (
                r#"{"type":"CANDIDATE","src":"x","payload":{"candidate":{}}}"#,
                M::Relay {
                    kind: RelayKind::Candidate,
                    src: id("x"),
                    payload: json!({"candidate":{}}),
                },
            ),
            (r#"{"type":"HEARTBEAT"}"#, M::Unknown("HEARTBEAT".into())),
            (
                r#"{"type":"SOMETHING-NEW","extra":[1,2]}"#,
                M::Unknown("SOMETHING-NEW".into()),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(ServerMessage::parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        use ParseError::*;
        let long = format!(r#"{{"type":"OPEN","x":"{}"}}"#, "a".repeat(MAX_FRAME_BYTES));
        let cases: Vec<(&str, ParseError)> = vec![
            ("", NotJson),
            ("not json", NotJson),
            ("[]", NotJson),
            ("null", NotJson),
            (r#"{"type":5}"#, NotJson),
            (r#"{"payload":{}}"#, NotJson),
            (r#"{"type":"OFFER","payload":{}}"#, BadSource),
            (r#"{"type":"OFFER","src":"x"}"#, BadPayload),
            (r#"{"type":"OFFER","src":"x","payload":"str"}"#, BadPayload),
            (r#"{"type":"EXPIRE"}"#, BadSource),
            (r#"{"type":"LEAVE","src":"<script>"}"#, BadSource),
            (&long, TooLarge),
        ];
        for (text, want) in cases {
            assert_eq!(ServerMessage::parse(text), Err(want), "{text:.60}");
        }
    }

    #[test]
    fn error_text_is_cleaned_and_bounded() {
        let text = format!(
            r#"{{"type":"ERROR","payload":{{"msg":"a\u0007b{}"}}}}"#,
            "c".repeat(500)
        );
        match ServerMessage::parse(&text).unwrap() {
            ServerMessage::Error(ErrorKind::Other(msg)) => {
                assert!(msg.starts_with("abc"));
                assert_eq!(msg.chars().count(), MAX_ERROR_TEXT);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn remote_id_rules_match_peerjs() {
        for ok in ["a", "pc-abc", "A1 b2_c3-d4", &"x".repeat(64)] {
            assert!(RemoteId::parse(ok).is_some(), "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "a -b", "é", "a.b", &"x".repeat(65)] {
            assert!(RemoteId::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn client_messages_encode() {
        assert_eq!(
            ClientMessage::Heartbeat.to_json(),
            r#"{"type":"HEARTBEAT"}"#
        );
        let m = ClientMessage::Relay {
            kind: RelayKind::Candidate,
            dst: id("pc-b"),
            payload: json!({"candidate": {"candidate": "c"}}),
        };
        let v: Value = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(
            v,
            json!({"type":"CANDIDATE","dst":"pc-b","payload":{"candidate":{"candidate":"c"}}})
        );
    }
}
