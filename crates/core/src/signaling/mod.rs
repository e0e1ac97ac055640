//! The PeerJS signaling protocol: the messages the server sends and accepts, and the
//! connection state machine that registers with it and keeps the registration alive.
//!
//! See `docs/PROTOCOL.md` ("Signaling") for the wire format.

mod machine;
mod message;
mod servers;

pub use machine::{Action, Input, OfflineReason, SignalingMachine, Status, Timer};
pub use message::{
    ClientMessage, ErrorKind, MAX_FRAME_BYTES, ParseError, RelayKind, RemoteId, ServerMessage,
};
pub use servers::Overall;
