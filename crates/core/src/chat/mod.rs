//! One-to-one chat: the data-channel wire format, the identity handshake bound to the
//! connection, the conversation model (ordering, de-duplication, acknowledgements, catch-up),
//! and per-connection abuse limits.
//!
//! See `docs/PROTOCOL.md`, "Data channel".

pub mod conversation;
pub mod handshake;
pub mod limits;
pub mod text;
pub mod wire;
