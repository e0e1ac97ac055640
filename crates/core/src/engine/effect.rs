//! What the engine asks the browser edge to do, and what it tells the person.

use super::input::LinkId;
use super::view::ViewChange;
use crate::signaling::ClientMessage;
use serde_json::Value;

/// One thing for the edge to carry out, drained with [`super::Engine::poll_effect`].
#[derive(Debug, Clone)]
pub enum Effect {
    /// Send a message through one signaling server (dropped by the edge while that server
    /// is offline).
    Signal {
        /// The server.
        server: super::input::ServerId,
        /// The message.
        message: ClientMessage,
    },
    /// Act on a link. Commands of one link are carried out in order, each after the
    /// previous one finished.
    Link {
        /// Which link.
        link: LinkId,
        /// What to do.
        command: LinkCommand,
    },
    /// Write `value` under `key` at once, then report [`super::Input::Stored`] with `token`
    /// before any other input.
    Write {
        /// Reported back with the result.
        token: u64,
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// Remove `key` (a value whose content lives on elsewhere). Never reported back.
    Remove {
        /// The key.
        key: String,
    },
    /// Change what the person sees.
    View(ViewChange),
    /// Tell the person something, until they dismiss it.
    Notice(Notice),
    /// A message arrived where the person is not reading: the edge may notify (see
    /// [`crate::attention`]).
    Alert(super::view::Arrival),
    /// The intent being handled could not be carried out: say why where the person acted
    /// (the composer keeps its text, a form shows the error).
    Refused(String),
    /// The message just sent went to a friend connected now, so its `ack` may come
    /// within [`super::ACK_SOON_MS`]: the edge may hold what this input changes on screen
    /// for that long, so the `ack` is handled before the frame that shows the message
    /// rather than after its paint. Without it (the friend is away), show at once.
    AckSoon,
    /// A User Timing mark, for benchmarks (`performance.mark`).
    Mark(String),
    /// A line for whoever debugs (`console.debug`): why a link ended, and the like.
    Log(String),
}

/// A command for one link.
#[derive(Debug, Clone)]
pub enum LinkCommand {
    /// Create the peer connection and its data channel labelled `label` (reliable,
    /// ordered), create the offer, set it as local description, then report
    /// [`super::LinkEvent::OfferReady`].
    Dial {
        /// The PeerJS connection id.
        label: String,
    },
    /// Create the peer connection, set `offer` as remote description, create the answer,
    /// set it as local description, then report [`super::LinkEvent::AnswerReady`].
    Answer {
        /// The offer's SDP.
        offer: String,
    },
    /// Restart ICE on the connection (it lost its path): create an offer with new ICE
    /// credentials (`iceRestart: true`), set it as local description, then report
    /// [`super::LinkEvent::OfferReady`]. The data channel and DTLS stay as they are.
    Restart,
    /// The peer restarts ICE: set `offer` as remote description on the existing
    /// connection, create the answer, set it as local description, then report
    /// [`super::LinkEvent::AnswerReady`].
    Renegotiate {
        /// The peer's restart offer.
        offer: String,
    },
    /// Set the peer's answer as remote description.
    SetAnswer {
        /// The answer's SDP.
        answer: String,
    },
    /// Add a remote ICE candidate (the PeerJS `candidate` object).
    AddCandidate(Value),
    /// Send one frame on the data channel.
    Send(Vec<u8>),
    /// Close the channel and the connection; report nothing more about this link.
    Close,
}

/// A message for the person. [`Notice::text`] says it in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A stored value could not be read; it was kept aside (or, without room to copy it,
    /// left untouched and protected from writes).
    Damaged {
        /// What it held, in words ("contact list").
        what: String,
        /// What is wrong with it.
        error: String,
        /// Where the copy is, if one could be made.
        aside: Option<String>,
    },
    /// Storage is full: new messages are not accepted until there is room.
    StorageFull,
    /// There is room again: messages are accepted again.
    StorageBack,
    /// A record could not be saved (it is kept for this session).
    NotSaved {
        /// What, in words.
        what: String,
    },
    /// A connection claiming to be a contact failed the handshake.
    Impersonation {
        /// The contact: "Bob (pc-…)", or its id.
        who: String,
        /// Why it was refused.
        reason: String,
    },
    /// Messages could not be deleted: the record of what was deleted could not be saved,
    /// so nothing was deleted.
    NotDeleted {
        /// The conversation: "Bob (pc-…)", or the id.
        who: String,
    },
    /// No network path to a contact was found (ICE failed before connecting).
    NoPath {
        /// The contact's name, or its id.
        who: String,
    },
    /// A contact presented another key than the one pinned at the first connection.
    KeyChanged {
        /// The contact: "Bob (pc-…)", or its id.
        who: String,
    },
    /// A contact runs a Peerchat that speaks another protocol version.
    OtherVersion {
        /// The contact's name, or its id.
        who: String,
        /// The version it speaks.
        version: u64,
    },
    /// Too many message requests are waiting: new ones are refused until some are
    /// accepted or declined.
    RequestsFull,
    /// The contact list is full.
    ContactsFull,
}

impl Notice {
    /// The sentence to show.
    pub fn text(&self) -> String {
        match self {
            Notice::Damaged {
                what,
                error,
                aside: Some(aside),
            } => format!(
                "Your saved {what} could not be read ({error}). It was kept aside under \"{aside}\" and Peerchat went on without it."
            ),
            Notice::Damaged {
                what,
                error,
                aside: None,
            } => format!(
                "Your saved {what} could not be read ({error}), and there was no room to back it up, so it was left untouched and nothing will be saved over it."
            ),
            Notice::StorageFull => "Storage is full, so new messages cannot be saved. Peerchat stopped accepting them (senders keep them and will send them again) until there is room; nothing already saved was lost.".into(),
            Notice::StorageBack => "There is room in storage again: messages are being received again.".into(),
            Notice::NotSaved { what } => format!(
                "Your {what} could not be saved (storage full or disabled); it is kept until this page closes."
            ),
            Notice::NotDeleted { who } => format!(
                "Your messages with {who} were not deleted: storage refused the change (full or disabled). Nothing was lost; try again."
            ),
            Notice::NoPath { who } => format!(
                "Could not reach {who}: no network path. A TURN server may help (Settings, Advanced network settings). Peerchat keeps trying."
            ),
            Notice::Impersonation { who, reason } => format!(
                "Warning: a connection claiming to be your contact {who} was refused because {reason}. Someone may be trying to impersonate them. Nothing was sent on it: not your name, not your messages."
            ),
            Notice::KeyChanged { who } => format!(
                "Warning: your contact {who} presented a different key than the one saved at your first connection. The connection was refused and nothing was sent on it."
            ),
            Notice::OtherVersion { who, version } => format!(
                "Could not connect to {who}: their Peerchat speaks protocol version {version}, this one speaks {}. One of you needs the current page.",
                crate::frame::PROTOCOL_VERSION
            ),
            Notice::RequestsFull => "Too many message requests are waiting: new ones are refused until you accept or decline some.".into(),
            Notice::ContactsFull => format!(
                "Your contact list is full ({} contacts).",
                crate::history::MAX_CONTACTS
            ),
        }
    }
}
