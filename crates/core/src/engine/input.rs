//! What the engine is told: events from the browser edge and the person's intents.

use crate::identity::PeerId;
use crate::name::DisplayName;
use crate::room::RoomId;
use crate::room::invite::Invite;
use crate::signaling::ServerMessage;
use serde_json::Value;

/// The engine's name for one WebRTC connection (an `RTCPeerConnection` and its data
/// channel). Never reused within an engine's life.
pub type LinkId = u64;

/// The edge's name for one signaling server connection. The engine only compares them:
/// the edge gives each server it starts a new one, so a server removed from the settings
/// never lends its name to another.
pub type ServerId = u32;

/// One event for [`super::Engine::handle`].
#[derive(Debug, Clone)]
pub enum Input {
    /// A signaling server registered us (again): dialing is possible through it.
    SignalingUp(ServerId),
    /// A signaling server's connection is down: open links stay; new dials go through the
    /// other servers, or wait for one.
    SignalingDown(ServerId),
    /// A message relayed by a signaling server (offers, answers, candidates, EXPIRE,
    /// LEAVE). Other kinds are ignored.
    Signal {
        /// The server it came through.
        server: ServerId,
        /// The message.
        message: ServerMessage,
    },
    /// Something a link reported.
    Link {
        /// Which link.
        link: LinkId,
        /// What happened.
        event: LinkEvent,
    },
    /// A write asked for by [`super::Effect::Write`] finished. The edge reports it before
    /// any other input.
    Stored {
        /// The write's token.
        token: u64,
        /// What the storage said.
        result: Result<(), StoreError>,
    },
    /// A timer asked for by [`super::Engine::poll_timeout`] is due.
    Tick,
    /// The page became visible (true) or hidden (false).
    Visible(bool),
    /// The page is going away or into the back/forward cache: close every link now, so
    /// peers see us leave at once.
    PageHidden,
    /// The person did something.
    Intent(Intent),
}

/// What a link reported. After [`super::LinkCommand::Close`] nothing more comes.
#[derive(Debug, Clone)]
pub enum LinkEvent {
    /// Our offer is set as local description (after `Dial`); its SDP.
    OfferReady(String),
    /// Our answer is set as local description (after `Answer`); its SDP.
    AnswerReady(String),
    /// A local ICE candidate, as the PeerJS `candidate` object.
    LocalCandidate(Value),
    /// The data channel is open.
    ChannelOpen,
    /// A frame arrived (binary or text, as bytes).
    Frame(Vec<u8>),
    /// The connection lost its network path; it may come back.
    Disconnected,
    /// The connection has a working path again.
    Connected,
    /// The channel or connection closed or failed, or a negotiation step failed.
    Closed(String),
    /// ICE found no working path: the connection failed before it ever connected (both
    /// sides behind NATs that need a relay, a relay refused, the network blocks UDP).
    Unreachable,
}

/// Why a write failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// The storage quota is used up.
    Full,
    /// Storage refused for another reason (disabled, private mode).
    Refused,
}

/// Something the person asked for. Text is cleaned and ids parsed at the edge, with the
/// core's parsers; the engine checks what depends on its state.
#[derive(Debug, Clone)]
pub enum Intent {
    /// My display name (at start and when changed in settings).
    SetName(DisplayName),
    /// Add a contact (typed, pasted or from an invite link) and open the conversation.
    AddContact(PeerId),
    /// Open a conversation (or a request), or close it with `None`.
    Open(Option<PeerId>),
    /// Send a (cleaned) text to a contact.
    Send {
        /// To whom.
        peer: PeerId,
        /// The text, already clean.
        text: String,
    },
    /// Accept a message request: the peer becomes a contact.
    Accept(PeerId),
    /// Decline a message request: it is forgotten (the peer may ask again).
    Decline(PeerId),
    /// Block a peer: its connections are refused, quietly, from now on.
    Block(PeerId),
    /// Create a room with this name and open it.
    CreateRoom(DisplayName),
    /// Join a room from an invitation.
    JoinRoom(Invite),
    /// Open a room, or close it with `None`.
    OpenRoom(Option<RoomId>),
    /// Write a (cleaned) text in a room.
    RoomSend {
        /// The room.
        room: RoomId,
        /// The text, already clean.
        text: String,
    },
    /// Leave a room (its history is kept; members are told).
    LeaveRoom(RoomId),
    /// Remove a contact and its conversation from this browser.
    RemoveContact(PeerId),
    /// Delete the messages of the conversation with a contact from this browser (the
    /// contact stays).
    DeleteMessages(PeerId),
}
