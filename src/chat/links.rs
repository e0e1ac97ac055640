//! Connections: dialing, answering, trickle ICE, glare, the identity handshake, and
//! tearing down. One [`Link`] per peer at most.

use super::{Chat, ChatEvent, dispatch};
use crate::rtc::{self, Emit, RtcEvent};
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use leptos::task::spawn_local;
use peerchat_core::chat::conversation::keep_my_dial;
use peerchat_core::chat::handshake::{Binding, Handshake, HandshakeError, Verified};
use peerchat_core::chat::limits::{PeerLimiter, Verdict};
use peerchat_core::chat::wire::{Bytes32, Frame, is_peerjs_close};
use peerchat_core::identity::PeerId;
use peerchat_core::signaling::{ClientMessage, RelayKind, RemoteId, ServerMessage};
use serde_json::{Value, json};
use web_sys::{RtcDataChannel, RtcDataChannelState, RtcPeerConnection, RtcSdpType};

/// How long a connection may take from dial (or offer) to verified.
const CONNECT_TIMEOUT_MS: u32 = 20_000;
/// Candidates held for connections whose offer has not arrived yet.
const MAX_EARLY_CANDIDATES: usize = 200;
/// Candidates held per connection until its remote description is set.
const MAX_QUEUED_CANDIDATES: usize = 100;
/// Longest PeerJS connection id accepted.
const MAX_CONN_ID: usize = 64;
/// How long a connection may stay `disconnected` before it counts as gone. A peer whose
/// page was killed sends no close; ICE consent checks notice within seconds, and this grace
/// lets a brief network blip recover without a redial.
const DISCONNECTED_GRACE_MS: u32 = 2_000;
/// Longest SDP accepted.
const MAX_SDP: usize = 32 * 1024;
/// Frames held from a channel that opened before its descriptions could be read. A peer
/// sends one frame (`hello`) before it hears from us, so more is a protocol violation.
const MAX_EARLY_FRAMES: usize = 1;

/// An asynchronous WebRTC step that finished.
#[derive(Debug)]
pub enum Step {
    /// Our offer is set locally: send it.
    OfferReady(String),
    /// Our answer is set locally: send it.
    AnswerReady(String),
    /// The peer's answer is set.
    AnswerSet,
    /// A step failed.
    Failed(String),
}

/// One connection with a peer.
pub struct Link {
    /// The PeerJS connection id.
    pub conn: String,
    outgoing: bool,
    pc: RtcPeerConnection,
    pub(super) dc: Option<RtcDataChannel>,
    remote_set: bool,
    queued: Vec<Value>,
    handshake: Option<Handshake>,
    /// The channel is open, but the handshake waits for both descriptions to be readable.
    awaiting_descriptions: bool,
    /// Frames that arrived while the handshake waited (at most [`MAX_EARLY_FRAMES`]).
    early_frames: Vec<Vec<u8>>,
    /// The peer proved its identity on this connection.
    pub verified: bool,
    /// My messages up to this sequence number were written to this channel.
    pub sent_upto: u64,
    pub(super) limiter: PeerLimiter,
    /// What binds this verified connection (for room proofs).
    pub(super) binding: Option<Binding>,
    listeners: Vec<EventListener>,
    timeout: Option<Timeout>,
    stale: Option<Timeout>,
}

impl Drop for Link {
    fn drop(&mut self) {
        // Listeners go first so closing reports nothing.
        self.listeners.clear();
        if let Some(dc) = &self.dc {
            dc.close();
        }
        self.pc.close();
    }
}

impl Chat {
    fn emitter(&self, peer: &PeerId, conn: &str) -> Emit {
        let (weak, peer, conn) = (self.weak.clone(), peer.clone(), conn.to_string());
        std::rc::Rc::new(move |event| {
            if let Some(shared) = weak.upgrade() {
                dispatch(
                    &shared,
                    ChatEvent::Rtc {
                        peer: peer.clone(),
                        conn: conn.clone(),
                        event,
                    },
                );
            }
        })
    }

    fn negotiate(&self, peer: &PeerId, conn: &str, work: impl Future<Output = Step> + 'static) {
        let (weak, peer, conn) = (self.weak.clone(), peer.clone(), conn.to_string());
        spawn_local(async move {
            let step = work.await;
            if let Some(shared) = weak.upgrade() {
                dispatch(&shared, ChatEvent::Negotiated { peer, conn, step });
            }
        });
    }

    fn connect_timeout(&self, peer: &PeerId, conn: &str) -> Timeout {
        let (weak, peer, conn) = (self.weak.clone(), peer.clone(), conn.to_string());
        Timeout::new(CONNECT_TIMEOUT_MS, move || {
            if let Some(shared) = weak.upgrade() {
                dispatch(&shared, ChatEvent::ConnectTimeout { peer, conn });
            }
        })
    }

    fn relay(&self, kind: RelayKind, peer: &PeerId, payload: Value) {
        let Some(dst) = RemoteId::parse(peer.as_str()) else {
            return;
        };
        (self.ports.signal)(ClientMessage::Relay { kind, dst, payload });
    }

    /// Dials `peer` unless a connection exists or the signaling server is unreachable.
    pub(super) fn dial(&mut self, peer: &PeerId) {
        if self.links.contains_key(peer) || !self.signaling_online || peer == self.me.peer_id() {
            return;
        }
        let conn = format!("dc_{}", hex(&crate::random::bytes::<8>()));
        super::mark(&format!("peerchat:dial:{peer}"));
        let pc = match rtc::peer_connection(&self.ice) {
            Ok(pc) => pc,
            Err(e) => {
                (self.ports.notify)(format!(
                    "This browser could not create a WebRTC connection: {}",
                    rtc::describe(&e)
                ));
                return;
            }
        };
        let dc = rtc::data_channel(&pc, &conn);
        let emit = self.emitter(peer, &conn);
        let mut listeners = rtc::listen_connection(&pc, emit.clone());
        listeners.extend(rtc::listen_channel(&dc, emit));
        let pc2 = pc.clone();
        self.negotiate(peer, &conn, async move {
            match rtc::make_offer(&pc2).await {
                Ok(sdp) => Step::OfferReady(sdp),
                Err(e) => Step::Failed(rtc::describe(&e)),
            }
        });
        let timeout = Some(self.connect_timeout(peer, &conn));
        self.links.insert(
            peer.clone(),
            new_link(conn, true, pc, Some(dc), listeners, timeout),
        );
    }

    pub(super) fn on_signal(&mut self, message: ServerMessage) {
        match message {
            ServerMessage::Relay { kind, src, payload } => {
                // Only Peerchat ids can be verified; anything else is not a Peerchat peer.
                let Ok(peer) = PeerId::parse(src.as_str()) else {
                    return;
                };
                let Some(conn) = payload
                    .get("connectionId")
                    .and_then(Value::as_str)
                    .filter(|c| !c.is_empty() && c.len() <= MAX_CONN_ID)
                    .map(str::to_string)
                else {
                    return;
                };
                match kind {
                    RelayKind::Offer => self.on_offer(&peer, conn, &payload),
                    RelayKind::Answer => self.on_answer(&peer, &conn, &payload),
                    RelayKind::Candidate => self.on_candidate(&peer, conn, &payload),
                }
            }
            // The server could not deliver to this peer (offline) or dropped it.
            ServerMessage::Expire { peer } | ServerMessage::Leave { peer } => {
                let Ok(peer) = PeerId::parse(peer.as_str()) else {
                    return;
                };
                if self.links.get(&peer).is_some_and(|l| !l.verified) {
                    self.drop_link(&peer, "not online");
                }
            }
            _ => {}
        }
    }

    fn on_offer(&mut self, peer: &PeerId, conn: String, payload: &Value) {
        let Some(sdp) = sdp_of(payload, "offer") else {
            return;
        };
        if payload.get("type").and_then(Value::as_str) != Some("data")
            || payload.get("serialization").and_then(Value::as_str) != Some("json")
        {
            web_sys::console::warn_1(
                &format!(
                    "Peerchat: ignored an offer from {peer} that is not a json data connection"
                )
                .into(),
            );
            return;
        }
        if let Some(existing) = self.links.get(peer) {
            // Glare: both dialed at once. The dial of the smaller id survives.
            if existing.outgoing && !existing.verified && keep_my_dial(self.me.peer_id(), peer) {
                return;
            }
            // Otherwise the new offer replaces what we had (the peer may have reloaded).
            self.links.remove(peer);
        }
        let pc = match rtc::peer_connection(&self.ice) {
            Ok(pc) => pc,
            Err(_) => return,
        };
        let listeners = rtc::listen_connection(&pc, self.emitter(peer, &conn));
        let mut queued = Vec::new();
        self.early_candidates.retain(|(p, c, cand)| {
            let mine = p == peer && *c == conn;
            if mine && queued.len() < MAX_QUEUED_CANDIDATES {
                queued.push(cand.clone());
            }
            !mine
        });
        let (pc2, sdp) = (pc.clone(), sdp.to_string());
        self.negotiate(peer, &conn, async move {
            match rtc::accept_offer(&pc2, &sdp).await {
                Ok(answer) => Step::AnswerReady(answer),
                Err(e) => Step::Failed(rtc::describe(&e)),
            }
        });
        let timeout = Some(self.connect_timeout(peer, &conn));
        let mut link = new_link(conn, false, pc, None, listeners, timeout);
        link.queued = queued;
        self.links.insert(peer.clone(), link);
    }

    fn on_answer(&mut self, peer: &PeerId, conn: &str, payload: &Value) {
        let Some(link) = self
            .links
            .get(peer)
            .filter(|l| l.conn == conn && l.outgoing && !l.remote_set)
        else {
            return;
        };
        let Some(sdp) = sdp_of(payload, "answer") else {
            return;
        };
        let (pc, sdp) = (link.pc.clone(), sdp.to_string());
        self.negotiate(peer, conn, async move {
            match rtc::set_remote(&pc, RtcSdpType::Answer, &sdp).await {
                Ok(()) => Step::AnswerSet,
                Err(e) => Step::Failed(rtc::describe(&e)),
            }
        });
    }

    fn on_candidate(&mut self, peer: &PeerId, conn: String, payload: &Value) {
        let Some(candidate) = payload.get("candidate").filter(|c| c.is_object()).cloned() else {
            return;
        };
        match self.links.get_mut(peer) {
            Some(link) if link.conn == conn => {
                if link.remote_set {
                    let pc = link.pc.clone();
                    spawn_local(async move {
                        // A bad candidate only loses that path.
                        rtc::add_candidate(&pc, &candidate).await.ok();
                    });
                } else if link.queued.len() < MAX_QUEUED_CANDIDATES {
                    link.queued.push(candidate);
                }
            }
            // It may precede the offer that creates the connection.
            _ => {
                if self.early_candidates.len() >= MAX_EARLY_CANDIDATES {
                    self.early_candidates.pop_front();
                }
                self.early_candidates
                    .push_back((peer.clone(), conn, candidate));
            }
        }
    }

    pub(super) fn on_negotiated(&mut self, peer: &PeerId, conn: &str, step: Step) {
        let Some(link) = self.links.get_mut(peer).filter(|l| l.conn == conn) else {
            return;
        };
        match step {
            Step::OfferReady(sdp) => {
                let payload = json!({
                    "sdp": {"type": "offer", "sdp": sdp},
                    "type": "data",
                    "connectionId": conn,
                    "label": conn,
                    "reliable": true,
                    "serialization": "json",
                    "metadata": {"app": "peerchat", "protocol": 1},
                });
                self.relay(RelayKind::Offer, peer, payload);
            }
            Step::AnswerReady(sdp) => {
                link.remote_set = true;
                flush_candidates(link);
                let payload = json!({"sdp": {"type": "answer", "sdp": sdp}, "type": "data", "connectionId": conn});
                self.relay(RelayKind::Answer, peer, payload);
                self.resume_handshake(peer);
            }
            Step::AnswerSet => {
                link.remote_set = true;
                flush_candidates(link);
                self.resume_handshake(peer);
            }
            Step::Failed(reason) => self.drop_link(peer, &reason),
        }
    }

    pub(super) fn on_rtc(&mut self, peer: &PeerId, conn: &str, event: RtcEvent) {
        let Some(link) = self.links.get_mut(peer).filter(|l| l.conn == conn) else {
            return;
        };
        match event {
            RtcEvent::LocalCandidate(candidate) => {
                let payload = json!({"candidate": candidate, "type": "data", "connectionId": conn});
                self.relay(RelayKind::Candidate, peer, payload);
            }
            RtcEvent::DataChannel(dc) => {
                if link.dc.is_some() {
                    return;
                }
                let emit = self.emitter(peer, conn);
                let link = self.links.get_mut(peer).expect("checked above");
                link.listeners.extend(rtc::listen_channel(&dc, emit));
                let open = dc.ready_state() == RtcDataChannelState::Open;
                link.dc = Some(dc);
                if open {
                    self.start_handshake(peer);
                }
            }
            RtcEvent::ChannelOpen => self.start_handshake(peer),
            RtcEvent::Frame(bytes) => self.on_frame(peer, &bytes),
            RtcEvent::Closed(reason) => self.drop_link(peer, reason),
            RtcEvent::Disconnected => {
                let (weak, p, c) = (self.weak.clone(), peer.clone(), conn.to_string());
                let link = self.links.get_mut(peer).expect("checked above");
                link.stale = Some(Timeout::new(DISCONNECTED_GRACE_MS, move || {
                    if let Some(shared) = weak.upgrade() {
                        dispatch(&shared, ChatEvent::ConnectionLost { peer: p, conn: c });
                    }
                }));
            }
            RtcEvent::Connected => {
                if let Some(link) = self.links.get_mut(peer) {
                    link.stale = None;
                }
            }
        }
    }

    fn start_handshake(&mut self, peer: &PeerId) {
        let Some(name) = (self.ports.my_name)() else {
            return self.drop_link(peer, "no name yet");
        };
        let Some(link) = self.links.get_mut(peer) else {
            return;
        };
        if link.handshake.is_some() {
            return;
        }
        let (Some(local), Some(remote)) = (rtc::local_sdp(&link.pc), rtc::remote_sdp(&link.pc))
        else {
            // Chromium can open the channel (and deliver the peer's hello) before the
            // promise of setRemoteDescription has resolved and `remoteDescription` shows
            // it. The negotiation step that resolves it resumes the handshake; the connect
            // timeout bounds the wait.
            if !link.awaiting_descriptions {
                web_sys::console::debug_1(
                    &format!(
                        "Peerchat: connection {} with {peer} open before its descriptions; waiting",
                        link.conn
                    )
                    .into(),
                );
            }
            link.awaiting_descriptions = true;
            return;
        };
        link.awaiting_descriptions = false;
        match Handshake::start(
            &self.me,
            &name,
            peer.clone(),
            &local,
            &remote,
            crate::random::bytes::<32>(),
        ) {
            Ok((handshake, hello)) => {
                link.handshake = Some(handshake);
                send_frame(link, &hello);
                for frame in std::mem::take(&mut link.early_frames) {
                    self.on_frame(peer, &frame);
                }
            }
            Err(e) => self.refuse(peer, e),
        }
    }

    /// Both descriptions may be readable now: start a handshake that waited for them.
    fn resume_handshake(&mut self, peer: &PeerId) {
        if self
            .links
            .get(peer)
            .is_some_and(|l| l.awaiting_descriptions)
        {
            self.start_handshake(peer);
        }
    }

    fn on_frame(&mut self, peer: &PeerId, bytes: &[u8]) {
        let Some(link) = self.links.get_mut(peer) else {
            return;
        };
        if link.limiter.on_frame(js_sys::Date::now()) == Verdict::Disconnect {
            return self.drop_link(peer, "flooding");
        }
        if is_peerjs_close(bytes) {
            return self.drop_link(peer, "closed by peer");
        }
        let frame = match Frame::parse(bytes) {
            Ok(frame) => frame,
            Err(_) => {
                if link.limiter.on_invalid() == Verdict::Disconnect {
                    self.drop_link(peer, "invalid frames");
                }
                return;
            }
        };
        if link.verified {
            return self.on_chat_frame(peer, frame);
        }
        let Some(handshake) = link.handshake.as_mut() else {
            if link.awaiting_descriptions && link.early_frames.len() < MAX_EARLY_FRAMES {
                link.early_frames.push(bytes.to_vec());
                return;
            }
            return self.refuse(peer, HandshakeError::Unexpected);
        };
        let result = match frame {
            hello @ Frame::Hello { .. } => handshake.on_hello(&self.me, hello).map(|proof| {
                send_frame(link, &proof);
                None
            }),
            proof @ Frame::Proof { .. } => handshake.on_proof(proof).map(Some),
            _ => Err(HandshakeError::Unexpected),
        };
        match result {
            Ok(None) => {}
            Ok(Some(verified)) => self.on_verified(peer, verified),
            Err(e) => self.refuse(peer, e),
        }
    }

    fn on_verified(&mut self, peer: &PeerId, verified: Verified) {
        let key = Bytes32(verified.key.to_bytes());
        self.ensure_contact(peer, Some(verified.name.clone()));
        let contact = self.contact_mut(peer).expect("ensured above");
        if contact.contact.key.is_some_and(|pinned| pinned != key) {
            return self.refuse_key_change(peer);
        }
        contact.contact.key = Some(key);
        contact.contact.name = Some(verified.name.clone());
        contact.redial_attempts = 0;
        contact.redial = None;
        contact.warned = false;
        self.save_contacts();
        let Some(link) = self.links.get_mut(peer) else {
            return;
        };
        super::mark(&format!("peerchat:verified:{peer}"));
        link.verified = true;
        link.timeout = None;
        link.handshake = None;
        link.binding = Some(verified.binding.clone());
        let have = self.conversation(peer).counters.have;
        if let Some(link) = self.links.get(peer) {
            send_frame(link, &Frame::Sync { have });
        }
        self.rooms_on_verified(peer, &verified.binding);
        self.publish_contacts();
    }

    /// The peer failed the handshake: refuse the connection, deliver nothing, warn.
    fn refuse(&mut self, peer: &PeerId, error: HandshakeError) {
        let notify = self
            .contact_mut(peer)
            .is_none_or(|c| !std::mem::replace(&mut c.warned, true));
        if notify {
            (self.ports.notify)(format!(
                "Warning: a connection claiming to be {peer} was refused because {error}. \
                 Someone may be trying to impersonate this contact; nothing was sent to them."
            ));
        }
        self.drop_link(peer, &format!("handshake failed: {error}"));
    }

    fn refuse_key_change(&mut self, peer: &PeerId) {
        (self.ports.notify)(format!(
            "Warning: {peer} presented a different key than the one pinned at your first contact. \
             The connection was refused."
        ));
        self.drop_link(peer, "key changed");
    }

    /// The page is going away: close every connection now, so peers see us leave at once
    /// instead of waiting for their connection to time out.
    pub(super) fn close_all(&mut self) {
        let had_verified = self.links.values().any(|l| l.verified);
        self.links.clear();
        for contact in &mut self.contacts {
            contact.redial = None;
        }
        if had_verified {
            self.publish_contacts();
        }
    }

    /// Closes the connection with `peer` and plans the next dial if it is a contact.
    pub(super) fn drop_link(&mut self, peer: &PeerId, reason: &str) {
        let Some(link) = self.links.remove(peer) else {
            return;
        };
        // For whoever debugs a connection: why it ended (the UI shows only online/offline).
        web_sys::console::debug_1(
            &format!(
                "Peerchat: connection {} with {peer} closed: {reason}",
                link.conn
            )
            .into(),
        );
        self.rooms_on_link_closed(peer);
        let was_verified = link.verified;
        drop(link);
        if was_verified {
            self.publish_contacts();
            if self.view.active.get_untracked().as_ref() == Some(peer) {
                self.view.sent.try_set(0);
            }
        }
        self.schedule_redial(peer);
    }
}

fn new_link(
    conn: String,
    outgoing: bool,
    pc: RtcPeerConnection,
    dc: Option<RtcDataChannel>,
    listeners: Vec<EventListener>,
    timeout: Option<Timeout>,
) -> Link {
    Link {
        conn,
        outgoing,
        pc,
        dc,
        remote_set: false,
        queued: Vec::new(),
        handshake: None,
        awaiting_descriptions: false,
        early_frames: Vec::new(),
        verified: false,
        sent_upto: 0,
        limiter: PeerLimiter::new(js_sys::Date::now()),
        binding: None,
        listeners,
        timeout,
        stale: None,
    }
}

/// The SDP text of an offer or answer payload (`{"sdp":{"type":kind,"sdp":"…"}}`), if it
/// has that kind and is not too long.
fn sdp_of<'a>(payload: &'a Value, kind: &str) -> Option<&'a str> {
    let description = payload.get("sdp")?;
    if description.get("type").and_then(Value::as_str) != Some(kind) {
        return None;
    }
    description
        .get("sdp")
        .and_then(Value::as_str)
        .filter(|s| s.len() <= MAX_SDP)
}

fn flush_candidates(link: &mut Link) {
    let pc = link.pc.clone();
    let queued = std::mem::take(&mut link.queued);
    spawn_local(async move {
        for candidate in queued {
            rtc::add_candidate(&pc, &candidate).await.ok();
        }
    });
}

/// Sends a frame on the link's channel; false when it is not open.
pub(super) fn send_frame(link: &Link, frame: &Frame) -> bool {
    link.dc
        .as_ref()
        .is_some_and(|dc| rtc::send(dc, &frame.encode()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
