//! The pure core of Peerchat.
//!
//! Everything here is plain Rust with no browser APIs, so it is tested natively with
//! `cargo test`. The web crate feeds it events (socket frames, timers, stored strings) and
//! carries out the actions it returns; untrusted input (network frames and stored values)
//! is parsed here into types with limits, never panicking.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alert;
pub mod backoff;
pub mod backup;
pub mod binding;
pub mod calendar;
pub mod codec;
pub mod conversation;
pub mod endpoint;
pub mod engine;
pub mod frame;
pub mod handshake;
pub mod history;
pub mod ice;
pub mod identity;
pub mod lease;
pub mod limits;
pub mod links;
pub mod name;
pub mod prefs;
pub mod primitives;
pub mod qr;
pub mod room;
pub mod segments;
pub mod signaling;
pub mod sorting;
pub mod storage;
pub mod text;
