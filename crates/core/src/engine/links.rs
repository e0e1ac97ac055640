//! Links: dialing, answering, trickle ICE, glare, the identity handshake, and teardown.
//!
//! A peer has at most one verified link and at most one link in progress. A new offer
//! from a peer whose link is verified does not break it: the new link replaces the old
//! one only once it verifies itself (the peer may have reloaded, or the offer may be a
//! stale one from a glare the peer already resolved). Everything a link knows about rooms
//! lives in the link, so it ends with it.
//!
//! The engine keeps the SDP it sent and received, and computes the handshake transcript
//! from those: it never waits for the browser to show a description, and a channel that
//! opens before the browser reports its last negotiation step is handled at once.

use super::rooms::LinkRoom;
use super::timers::Timer;
use super::{Effect, Engine, LinkCommand, LinkEvent, LinkId, Notice, ServerId};
use crate::codec::BASE64;
use crate::frame::{Frame, PROTOCOL_VERSION, hello_version, is_peerjs_close};
use crate::handshake::{Handshake, HandshakeError, Verified};
use crate::identity::PeerId;
use crate::limits::{PeerLimiter, Verdict};
use crate::primitives::Bytes32;
use crate::room::RoomId;
use crate::signaling::{ClientMessage, RelayKind, RemoteId, ServerMessage};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// How long a link may take from dial (or offer) to verified.
pub(super) const CONNECT_TIMEOUT_MS: u64 = 20_000;
/// How long a link may stay `disconnected` before it counts as gone. A peer whose page
/// was killed sends no close; ICE consent checks notice within seconds, and this grace
/// lets a brief network blip recover without a new handshake.
pub(super) const DISCONNECTED_GRACE_MS: u64 = 2_000;
/// How long an ICE restart may take, from the path's loss to a working path again,
/// before the connection counts as gone (then a new connection and handshake follow).
pub(super) const RESTART_GRACE_MS: u64 = 10_000;
/// Candidates held for connections whose offer has not arrived yet.
const MAX_EARLY_CANDIDATES: usize = 200;
/// Candidates held per link until its descriptions allow them.
const MAX_QUEUED_CANDIDATES: usize = 100;
/// Longest PeerJS connection id accepted.
const MAX_CONN_ID: usize = 64;
/// Longest SDP accepted.
const MAX_SDP: usize = 32 * 1024;
/// Frames held while this side's channel `open` event is still to come (an honest peer
/// sends two before verification: `hello` and `proof`); one more closes the connection.
const MAX_FRAMES_BEFORE_OPEN: usize = 4;

/// One WebRTC connection with a peer, as the engine knows it.
pub(super) struct Link {
    pub peer: PeerId,
    /// The PeerJS connection id.
    pub conn: String,
    /// I dialed it.
    pub outgoing: bool,
    /// The signaling servers that carry its negotiation: every server the offer went
    /// through until an answer comes, then the one it came through (for an incoming
    /// link, the one the offer came through).
    pub via: BTreeSet<ServerId>,
    /// Outgoing: every server the offer went through.
    offered: BTreeSet<ServerId>,
    local_sdp: Option<String>,
    remote_sdp: Option<String>,
    /// The remote description was handed to the browser: remote candidates may follow.
    remote_given: bool,
    /// Our offer or answer went out: local candidates may follow it.
    local_sent: bool,
    local_candidates: Vec<Value>,
    /// Remote candidates held until the remote description is given, with the server
    /// each came through.
    remote_candidates: Vec<(ServerId, Value)>,
    handshake: Option<Handshake>,
    /// My handshake nonce on this link, announced in my offer or answer and sent in `hello`.
    my_nonce: [u8; 32],
    /// The peer's handshake nonce, if its offer or answer announced one: my `proof` can
    /// then go with my `hello` (PROTOCOL 5.1).
    their_nonce: Option<[u8; 32]>,
    /// Frames that came before this side's channel `open` event, handled once it comes.
    before_open: Vec<Vec<u8>>,
    pub verified: Option<Verified>,
    pub limiter: PeerLimiter,
    /// One-to-one: the peer's `sync` arrived (my messages may be sent).
    pub synced: bool,
    /// One-to-one: my messages up to this number were written to this link.
    pub sent_upto: u64,
    /// One-to-one: the peer holds my messages up to this number.
    pub peer_has: u64,
    /// One-to-one: I asked the peer on this link (a `sync` after a gap or a conflict) to
    /// send again after this number of theirs. Until I hold more, another gap is not
    /// asked about: the answer is on its way, and asking per message would make the peer
    /// send everything again per message (quadratic).
    pub asked_after: Option<u64>,
    /// Rooms on this link.
    pub rooms: BTreeMap<RoomId, LinkRoom>,
    /// Last frame sent or received, for closing idle links first.
    pub last_active: u64,
    /// When the peer proved who it is on this link (0: not yet).
    pub verified_at: u64,
    /// An ICE restart is under way: the path was lost and new ICE credentials are being
    /// exchanged (PROTOCOL 4.2).
    restarting: bool,
    /// I sent a restart offer and wait for its answer.
    restart_offered: bool,
    /// The browser reported the path lost (`disconnected`) and not back yet.
    lost_path: bool,
}

impl Link {
    fn new(peer: PeerId, conn: String, outgoing: bool, now: u64, my_nonce: [u8; 32]) -> Self {
        Link {
            peer,
            conn,
            outgoing,
            via: BTreeSet::new(),
            offered: BTreeSet::new(),
            local_sdp: None,
            remote_sdp: None,
            remote_given: false,
            local_sent: false,
            local_candidates: Vec::new(),
            remote_candidates: Vec::new(),
            handshake: None,
            my_nonce,
            their_nonce: None,
            before_open: Vec::new(),
            verified: None,
            limiter: PeerLimiter::new(now as f64),
            synced: false,
            sent_upto: 0,
            peer_has: 0,
            asked_after: None,
            rooms: BTreeMap::new(),
            last_active: now,
            verified_at: 0,
            restarting: false,
            restart_offered: false,
            lost_path: false,
        }
    }

    pub fn is_verified(&self) -> bool {
        self.verified.is_some()
    }
}

/// Glare: when both sides dial each other at once, the connection dialed by the smaller id
/// survives. Returns whether my own dial to `them` is kept (and theirs ignored).
pub fn keep_my_dial(me: &PeerId, them: &PeerId) -> bool {
    me < them
}

impl Engine {
    /// The verified link with `peer`, if any.
    pub(super) fn verified_link(&self, peer: &PeerId) -> Option<LinkId> {
        self.links
            .iter()
            .find(|(_, l)| l.peer == *peer && l.is_verified())
            .map(|(id, _)| *id)
    }

    /// Every verified link and its peer.
    pub(super) fn verified_links(&self) -> Vec<(LinkId, PeerId)> {
        self.links
            .iter()
            .filter(|(_, l)| l.is_verified())
            .map(|(id, l)| (*id, l.peer.clone()))
            .collect()
    }

    fn new_link(&mut self, peer: &PeerId, conn: String, outgoing: bool) -> LinkId {
        let id = self.next_link;
        self.next_link += 1;
        let nonce = self.random32();
        self.links
            .insert(id, Link::new(peer.clone(), conn, outgoing, self.now, nonce));
        self.timers
            .set(Timer::Connect(id), self.now + CONNECT_TIMEOUT_MS);
        id
    }

    fn command(&mut self, link: LinkId, command: LinkCommand) {
        self.effects.push_back(Effect::Link { link, command });
    }

    /// Dials `peer`.
    pub(super) fn dial(&mut self, peer: &PeerId) {
        let mut bytes = [0u8; 8];
        rand_core::RngCore::fill_bytes(&mut self.rng, &mut bytes);
        let conn = format!("dc_{}", hex(&bytes));
        let link = self.new_link(peer, conn.clone(), true);
        self.mark(format!("peerchat:dial:{peer}"));
        self.command(link, LinkCommand::Dial { label: conn });
    }

    pub(super) fn on_signal(&mut self, server: ServerId, message: ServerMessage) {
        match message {
            ServerMessage::Relay { kind, src, payload } => {
                let Ok(peer) = PeerId::parse(src.as_str()) else {
                    return;
                };
                if peer.as_str() != src.as_str() || peer == self.my_id {
                    return;
                }
                let Some(conn) = connection_id(&payload) else {
                    return;
                };
                match kind {
                    RelayKind::Offer => self.on_offer(server, &peer, conn, &payload),
                    RelayKind::Answer => self.on_answer(server, &peer, &conn, &payload),
                    RelayKind::Candidate => self.on_candidate(server, &peer, conn, &payload),
                }
            }
            // That server could not deliver to the peer: it is not online there. A link
            // in progress ends once no server that carries it can reach the peer.
            ServerMessage::Expire { peer } | ServerMessage::Leave { peer } => {
                let Ok(peer) = PeerId::parse(peer.as_str()) else {
                    return;
                };
                let mut ended = Vec::new();
                for (id, l) in self.links.iter_mut() {
                    if l.peer == peer
                        && !l.is_verified()
                        && l.via.remove(&server)
                        && l.via.is_empty()
                    {
                        ended.push(*id);
                    }
                }
                for link in ended {
                    self.close_link(link, "peer offline");
                }
            }
            _ => {}
        }
    }

    fn on_offer(&mut self, server: ServerId, peer: &PeerId, conn: String, payload: &Value) {
        if let Some(link) = self
            .links
            .iter()
            .find(|(_, l)| l.peer == *peer && l.conn == conn && l.is_verified() && !l.outgoing)
            .map(|(id, _)| *id)
        {
            return self.on_restart_offer(server, link, payload);
        }
        // A restart of a connection I no longer have starts nothing.
        if payload.get("restart") == Some(&Value::Bool(true)) {
            return;
        }
        let acceptable = payload.get("type").and_then(Value::as_str) == Some("data")
            && payload.get("serialization").and_then(Value::as_str) == Some("json");
        let Some(sdp) = sdp_of(payload, "offer").filter(|_| acceptable) else {
            return;
        };
        // The same offer through a second server: the first one is being answered.
        if self
            .links
            .values()
            .any(|l| l.peer == *peer && l.conn == conn)
        {
            return;
        }
        let pending = self
            .links
            .iter()
            .find(|(_, l)| l.peer == *peer && !l.is_verified())
            .map(|(id, l)| (*id, l.outgoing));
        if let Some((_, true)) = pending
            && keep_my_dial(&self.my_id, peer)
        {
            return;
        }
        if !self.admit_offer(peer) {
            return;
        }
        if let Some((mine, outgoing)) = pending {
            let why = if outgoing {
                "glare: their dial is kept"
            } else {
                "replaced by a newer offer"
            };
            self.drop_link(mine, why);
        }
        let link = self.new_link(peer, conn.clone(), false);
        let mut queued = Vec::new();
        self.early_candidates.retain(|(via, p, c, cand)| {
            let mine = p == peer && *c == conn;
            if mine && *via == server && queued.len() < MAX_QUEUED_CANDIDATES {
                queued.push(cand.clone());
            }
            !mine
        });
        if let Some(l) = self.links.get_mut(&link) {
            l.remote_sdp = Some(sdp.to_string());
            l.remote_given = true;
            l.their_nonce = announced_nonce(payload);
            l.via = crate::sorting::set([server]);
        }
        self.command(
            link,
            LinkCommand::Answer {
                offer: sdp.to_string(),
            },
        );
        for candidate in queued {
            self.command(link, LinkCommand::AddCandidate(candidate));
        }
    }

    /// The peer restarts ICE on our verified connection: answer it on the same
    /// connection, if the offer keeps the DTLS fingerprints the handshake bound (anything
    /// else is not a restart of this connection and is ignored).
    fn on_restart_offer(&mut self, server: ServerId, link: LinkId, payload: &Value) {
        let Some(sdp) = sdp_of(payload, "offer") else {
            return;
        };
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        // The same restart offer through a second server: the first copy is answered.
        if l.restarting && !l.via.contains(&server) {
            return;
        }
        if !same_fingerprints(l.remote_sdp.as_deref(), sdp) {
            let (conn, peer) = (l.conn.clone(), l.peer.clone());
            return self.log(format!(
                "Peerchat: a restart offer for connection {conn} with {peer} changes its fingerprints: ignored"
            ));
        }
        l.restarting = true;
        // Candidates wait for the answer, which carries the new ICE credentials.
        l.local_sent = false;
        l.via = crate::sorting::set([server]);
        self.timers
            .set(Timer::Grace(link), self.now + RESTART_GRACE_MS);
        self.command(
            link,
            LinkCommand::Renegotiate {
                offer: sdp.to_string(),
            },
        );
    }

    /// An answer to one of my offers. The first answer wins: later ones (through other
    /// servers) find the remote description given and are dropped, and only a server the
    /// offer went through can answer. Three cases, by the state of my link:
    /// - it waits for the answer to a restart offer: taken through a server the offer went
    ///   through, with the fingerprints the handshake bound;
    /// - an answer was taken already: a second one through another server the offer went
    ///   through, from another DTLS endpoint, means two parties answered, so one of them is
    ///   not the peer (a hostile server answered in its name). The first may be the
    ///   impostor, and the other's ICE checks reach my connection too, so it may never
    ///   complete: start over through the second answer's server alone. If that one is the
    ///   impostor, its handshake fails and its server is avoided from then on;
    /// - else it is the first answer.
    fn on_answer(&mut self, server: ServerId, peer: &PeerId, conn: &str, payload: &Value) {
        let Some(sdp) = sdp_of(payload, "answer") else {
            return;
        };
        let Some((&link, l)) = self
            .links
            .iter_mut()
            .find(|(_, l)| l.peer == *peer && l.conn == conn && l.outgoing)
        else {
            return;
        };
        // Candidates that came before the first answer, through its server.
        let queued: Vec<Value> = if l.restart_offered {
            if !l.is_verified()
                || !l.via.contains(&server)
                || !same_fingerprints(l.remote_sdp.as_deref(), sdp)
            {
                return;
            }
            l.restart_offered = false;
            l.via = crate::sorting::set([server]);
            Vec::new()
        } else if l.remote_given {
            let contested = !l.is_verified()
                && l.offered.contains(&server)
                && !l.via.contains(&server)
                && !same_fingerprints(l.remote_sdp.as_deref(), sdp);
            if contested {
                self.prefer.insert(peer.clone(), server);
                self.close_link(link, "two different parties answered through two servers");
            }
            return;
        } else {
            if !l.via.contains(&server) {
                return;
            }
            l.remote_sdp = Some(sdp.to_string());
            l.remote_given = true;
            l.their_nonce = announced_nonce(payload);
            l.via = crate::sorting::set([server]);
            std::mem::take(&mut l.remote_candidates)
                .into_iter()
                .filter(|(via, _)| *via == server)
                .map(|(_, c)| c)
                .collect()
        };
        self.command(
            link,
            LinkCommand::SetAnswer {
                answer: sdp.to_string(),
            },
        );
        for candidate in queued {
            self.command(link, LinkCommand::AddCandidate(candidate));
        }
    }

    /// A remote candidate counts only through the server whose offer or answer the link
    /// took: through another one it is a copy, or a candidate of whoever else answered
    /// (a hostile server's impostor), whose ICE checks must not win the connection.
    fn on_candidate(&mut self, server: ServerId, peer: &PeerId, conn: String, payload: &Value) {
        let Some(candidate) = payload.get("candidate").filter(|c| c.is_object()).cloned() else {
            return;
        };
        let found = self
            .links
            .iter_mut()
            .find(|(_, l)| l.peer == *peer && l.conn == conn);
        match found {
            Some((&link, l)) => {
                if l.remote_given {
                    if l.via.contains(&server) {
                        self.command(link, LinkCommand::AddCandidate(candidate));
                    }
                } else if l.remote_candidates.len() < MAX_QUEUED_CANDIDATES {
                    l.remote_candidates.push((server, candidate));
                }
            }
            // It may precede the offer that creates the link.
            None => {
                if self.early_candidates.len() >= MAX_EARLY_CANDIDATES {
                    self.early_candidates.pop_front();
                }
                self.early_candidates
                    .push_back((server, peer.clone(), conn, candidate));
            }
        }
    }

    pub(super) fn on_link_event(&mut self, link: LinkId, event: LinkEvent) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        match event {
            LinkEvent::OfferReady(sdp) | LinkEvent::AnswerReady(sdp) => {
                if sdp.len() > MAX_SDP || l.local_sent {
                    return;
                }
                // Only a restart leaves a verified link's description unsent.
                let restart = l.is_verified();
                if !restart && l.outgoing {
                    let peer = l.peer.clone();
                    let via = self.offer_servers(&peer);
                    if let Some(l) = self.links.get_mut(&link) {
                        l.offered = via.clone();
                        l.via = via;
                    }
                }
                self.send_description(link, sdp, restart);
            }
            LinkEvent::LocalCandidate(candidate) => {
                if l.local_sent {
                    let (peer, conn) = (l.peer.clone(), l.conn.clone());
                    self.relay_candidate(link, &peer, &conn, candidate);
                } else if l.local_candidates.len() < MAX_QUEUED_CANDIDATES {
                    l.local_candidates.push(candidate);
                }
            }
            LinkEvent::ChannelOpen => self.start_handshake(link),
            LinkEvent::Frame(bytes) => self.on_frame(link, &bytes),
            LinkEvent::Disconnected => {
                l.lost_path = true;
                // The side that dialed restarts ICE (one side only, so two restarts never
                // cross); the other waits for its offer, briefly: a peer whose page was
                // killed says nothing, and ICE is all that notices. Without a signaling
                // server (this browser's own network went) both wait longer: the dialer
                // restarts once a server is back.
                let offline = self.servers.is_empty();
                if l.is_verified() && l.outgoing && !l.restarting && !offline {
                    self.restart(link);
                } else if l.is_verified() && offline {
                    self.timers
                        .set(Timer::Grace(link), self.now + RESTART_GRACE_MS);
                } else if !l.restarting {
                    self.timers
                        .set(Timer::Grace(link), self.now + DISCONNECTED_GRACE_MS);
                }
            }
            LinkEvent::Connected => {
                l.lost_path = false;
                l.restarting = false;
                self.timers.cancel(&Timer::Grace(link));
            }
            LinkEvent::Closed(reason) => self.close_link(link, &reason),
            LinkEvent::Unreachable => self.unreachable(link),
        }
    }

    /// The verified connection `link`, which I dialed, lost its path: restart ICE through
    /// the servers that carried it (or any server up, if none of those is).
    fn restart(&mut self, link: LinkId) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let up: BTreeSet<ServerId> =
            crate::sorting::set(l.via.intersection(&self.servers).copied());
        l.via = if up.is_empty() {
            self.servers.clone()
        } else {
            up
        };
        l.restarting = true;
        l.restart_offered = true;
        // Candidates wait for the offer, which carries the new ICE credentials.
        l.local_sent = false;
        let peer = l.peer.clone();
        self.timers
            .set(Timer::Grace(link), self.now + RESTART_GRACE_MS);
        self.mark(format!("peerchat:ice-restart:{peer}"));
        self.command(link, LinkCommand::Restart);
    }

    /// A signaling server is up: restart the connections I dialed that lost their path
    /// while no server was.
    pub(super) fn restart_waiting(&mut self) {
        let waiting: Vec<LinkId> = self
            .links
            .iter()
            .filter(|(_, l)| l.lost_path && l.outgoing && l.is_verified() && !l.restarting)
            .map(|(id, _)| *id)
            .collect();
        for link in waiting {
            self.restart(link);
        }
    }

    /// The servers a new offer to `peer` goes through: the second answer's server alone
    /// after two different answers (see `on_answer`); else every server we are
    /// registered with, except those that carried an impostor for this peer (unless no
    /// other is up).
    fn offer_servers(&mut self, peer: &PeerId) -> BTreeSet<ServerId> {
        if let Some(server) = self
            .prefer
            .remove(peer)
            .filter(|s| self.servers.contains(s))
        {
            return crate::sorting::set([server]);
        }
        let avoid = self.suspect.get(peer);
        let trusted: BTreeSet<ServerId> = crate::sorting::set(
            self.servers
                .iter()
                .filter(|s| avoid.is_none_or(|a| !a.contains(s)))
                .copied(),
        );
        if trusted.is_empty() {
            self.servers.clone()
        } else {
            trusted
        }
    }

    /// Sends my offer or answer for `link` (a first one, or a restart's), then the
    /// candidates gathered so far. A first description is kept for the handshake.
    fn send_description(&mut self, link: LinkId, sdp: String, restart: bool) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        l.local_sent = true;
        let (kind, description) = if l.outgoing {
            (RelayKind::Offer, "offer")
        } else {
            (RelayKind::Answer, "answer")
        };
        let (peer, conn) = (l.peer.clone(), l.conn.clone());
        let candidates = std::mem::take(&mut l.local_candidates);
        let mut payload = json!({
            "sdp": {"type": description, "sdp": sdp},
            "type": "data",
            "connectionId": conn,
        });
        if restart {
            payload["serialization"] = json!("json");
            payload["restart"] = json!(true);
        } else {
            let nonce = BASE64.encode(&l.my_nonce);
            if l.outgoing {
                payload["label"] = json!(conn);
                payload["reliable"] = json!(true);
                payload["serialization"] = json!("json");
                payload["metadata"] =
                    json!({"app": "peerchat", "protocol": PROTOCOL_VERSION, "nonce": nonce});
            } else {
                payload["metadata"] = json!({ "nonce": nonce });
            }
            l.local_sdp = Some(sdp);
        }
        self.relay(link, kind, &peer, payload);
        for candidate in candidates {
            self.relay_candidate(link, &peer, &conn, candidate);
        }
    }

    /// No network path to the peer of `link`: close it (the peer is dialed again later,
    /// backing off), and tell the person once, for a contact, what may help.
    fn unreachable(&mut self, link: LinkId) {
        let Some(peer) = self.links.get(&link).map(|l| l.peer.clone()) else {
            return;
        };
        self.close_link(link, "no network path");
        if self.people.is_contact(&peer) && self.told_unreachable.insert(peer.clone()) {
            let who = self.people.label(&peer);
            self.notice(Notice::NoPath { who });
        }
    }

    /// Sends a negotiation message of `link` through each server that carries it.
    fn relay(&mut self, link: LinkId, kind: RelayKind, peer: &PeerId, payload: Value) {
        let Some(dst) = RemoteId::parse(peer.as_str()) else {
            return;
        };
        let Some(l) = self.links.get(&link) else {
            return;
        };
        for &server in &l.via {
            self.effects.push_back(Effect::Signal {
                server,
                message: ClientMessage::Relay {
                    kind,
                    dst: dst.clone(),
                    payload: payload.clone(),
                },
            });
        }
    }

    fn relay_candidate(&mut self, link: LinkId, peer: &PeerId, conn: &str, candidate: Value) {
        let payload = json!({"candidate": candidate, "type": "data", "connectionId": conn});
        self.relay(link, RelayKind::Candidate, peer, payload);
    }

    fn start_handshake(&mut self, link: LinkId) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        if l.handshake.is_some() || l.is_verified() {
            return;
        }
        let (Some(local), Some(remote)) = (&l.local_sdp, &l.remote_sdp) else {
            // The browser opened a channel for descriptions it never reported: nothing
            // to bind a handshake to.
            return self.close_link(link, "channel open without descriptions");
        };
        match Handshake::start(
            &self.me,
            l.peer.clone(),
            local,
            remote,
            l.my_nonce,
            l.their_nonce,
        ) {
            Ok((handshake, frames)) => {
                l.handshake = Some(handshake);
                let early = std::mem::take(&mut l.before_open);
                let conn = l.conn.clone();
                for frame in frames {
                    self.send(link, &frame);
                }
                if !early.is_empty() {
                    let n = early.len();
                    self.log(format!(
                        "Peerchat: {n} frame(s) on {conn} came before its open event"
                    ));
                }
                for bytes in early {
                    self.on_frame(link, &bytes);
                }
            }
            Err(e) => self.refuse_handshake(link, e),
        }
    }

    fn on_frame(&mut self, link: LinkId, bytes: &[u8]) {
        let now = self.now;
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        // The peer's first frames can come before this side's `open` event (Chromium), when
        // nothing can be sent yet: they wait for it (`start_handshake` handles them then).
        // Before verification an honest peer sends two frames (`hello`, `proof`).
        if l.handshake.is_none() && !l.is_verified() {
            if l.before_open.len() >= MAX_FRAMES_BEFORE_OPEN {
                return self.close_link(link, "too many frames before the channel opened");
            }
            l.before_open.push(bytes.to_vec());
            return;
        }
        l.last_active = now;
        if l.limiter.on_frame(now as f64) == Verdict::Disconnect {
            return self.close_link(link, "flooding");
        }
        if is_peerjs_close(bytes) {
            return self.close_link(link, "closed by peer");
        }
        let frame = match Frame::parse(bytes) {
            Ok(frame) => frame,
            Err(_) => {
                if !l.is_verified()
                    && let Some(v) =
                        hello_version(bytes).filter(|v| *v != u64::from(PROTOCOL_VERSION))
                {
                    return self.other_version(link, v);
                }
                return self.count_invalid(link);
            }
        };
        if l.is_verified() {
            let peer = l.peer.clone();
            return match frame {
                Frame::Hello { .. } | Frame::Proof { .. } => self.count_invalid(link),
                Frame::RoomJoin { .. }
                | Frame::RoomWelcome { .. }
                | Frame::RoomHave { .. }
                | Frame::RoomWant { .. }
                | Frame::RoomMsg { .. } => self.on_room_frame(link, &peer, frame),
                other => self.on_direct_frame(link, &peer, other),
            };
        }
        let Some(handshake) = l.handshake.as_mut() else {
            return self.refuse_handshake(link, HandshakeError::Unexpected);
        };
        let kind = match &frame {
            Frame::Hello { .. } => "hello",
            Frame::Proof { .. } => "proof",
            _ => "another frame",
        };
        let result = match frame {
            hello @ Frame::Hello { .. } => handshake.on_hello(&self.me, hello).map(|proof| {
                if let Some(proof) = proof {
                    self.effects.push_back(Effect::Link {
                        link,
                        command: LinkCommand::Send(proof.encode()),
                    });
                }
                None
            }),
            proof @ Frame::Proof { .. } => handshake.on_proof(proof).map(Some),
            _ => Err(HandshakeError::Unexpected),
        };
        match result {
            Ok(None) => {}
            Ok(Some(verified)) => self.on_verified(link, verified),
            Err(e) => {
                // Which frame broke the order, for whoever reads the log.
                self.log(format!("Peerchat: handshake on link {link}: {e} ({kind})"));
                self.refuse_handshake(link, e)
            }
        }
    }

    /// Counts an invalid frame; too many close the link.
    pub(super) fn count_invalid(&mut self, link: LinkId) {
        if let Some(l) = self.links.get_mut(&link)
            && l.limiter.on_invalid() == Verdict::Disconnect
        {
            self.close_link(link, "invalid frames");
        }
    }

    fn other_version(&mut self, link: LinkId, version: u64) {
        let Some(peer) = self.links.get(&link).map(|l| l.peer.clone()) else {
            return;
        };
        if let Some(person) = self.people.contact_mut(&peer)
            && !std::mem::replace(&mut person.warned, true)
        {
            let who = self.people.describe(&peer);
            self.notice(Notice::OtherVersion { who, version });
        }
        self.close_link(link, &format!("peer speaks protocol version {version}"));
    }

    fn on_verified(&mut self, link: LinkId, verified: Verified) {
        let Some(peer) = self.links.get(&link).map(|l| l.peer.clone()) else {
            return;
        };
        let key = Bytes32(verified.key.to_bytes());
        if let Some(person) = self.people.contact_mut(&peer) {
            match person.contact.key {
                Some(pinned) if pinned != key => {
                    let who = self.people.describe(&peer);
                    self.notice(Notice::KeyChanged { who });
                    return self.close_link(link, "key changed");
                }
                Some(_) => {}
                None => {
                    person.contact.key = Some(key);
                    self.save_contacts();
                }
            }
        }
        if let Some(person) = self.people.contact_mut(&peer) {
            person.warned = false;
        }
        self.people.backoff.remove(&peer);
        self.timers.cancel(&Timer::Connect(link));
        if let Some(l) = self.links.get_mut(&link) {
            l.handshake = None;
            l.verified = Some(verified);
            l.verified_at = self.now;
        }
        // One link per peer: this one replaces any other (older, or still dialing).
        let others: Vec<LinkId> = self
            .links
            .iter()
            .filter(|(id, l)| **id != link && l.peer == peer)
            .map(|(id, _)| *id)
            .collect();
        for other in others {
            self.drop_link(other, "replaced by a newer verified connection");
        }
        self.mark(format!("peerchat:verified:{peer}"));
        self.greet(link);
        self.rooms_on_verified(link);
        self.dirty.contacts = true;
        if self.open == super::Open::Peer(peer.clone()) {
            self.dirty.delivery = true;
        }
        self.plan();
    }

    /// The peer failed the handshake: refuse the link, deliver nothing; warn once if it
    /// claimed to be a contact.
    fn refuse_handshake(&mut self, link: LinkId, error: HandshakeError) {
        let Some(peer) = self.links.get(&link).map(|l| l.peer.clone()) else {
            return;
        };
        // Only what an impostor would show warns: another id, a key that is not the id's, a
        // proof that does not verify. A frame out of order (a confused or glitching peer)
        // or an SDP without fingerprint ends the link quietly: warning about those would
        // teach people to ignore the real warning.
        let impostor = matches!(
            error,
            HandshakeError::WrongId { .. }
                | HandshakeError::KeyMismatch
                | HandshakeError::BadSignature
        );
        if impostor && let Some(l) = self.links.get(&link) {
            let via = l.via.clone();
            self.suspect.entry(peer.clone()).or_default().extend(via);
        }
        if impostor
            && let Some(person) = self.people.contact_mut(&peer)
            && !std::mem::replace(&mut person.warned, true)
        {
            let who = self.people.describe(&peer);
            self.notice(Notice::Impersonation {
                who,
                reason: error.to_string(),
            });
        }
        self.close_link(link, &format!("handshake failed: {error}"));
    }

    pub(super) fn on_connect_timeout(&mut self, link: LinkId) {
        if self.links.get(&link).is_some_and(|l| !l.is_verified()) {
            self.close_link(link, "timed out");
        }
    }

    /// Closes a link and forgets it, without planning anything after.
    pub(super) fn drop_link(&mut self, link: LinkId, reason: &str) -> Option<Link> {
        let l = self.links.remove(&link)?;
        self.timers.cancel(&Timer::Connect(link));
        self.timers.cancel(&Timer::Grace(link));
        self.command(link, LinkCommand::Close);
        // For whoever debugs a connection: why it ended (the UI shows only online/offline).
        self.log(format!(
            "Peerchat: connection {} with {} closed: {reason}",
            l.conn, l.peer
        ));
        if l.is_verified() {
            self.rooms_on_link_closed(link, &l);
            self.dirty.contacts = true;
            if self.open == super::Open::Peer(l.peer.clone()) {
                self.dirty.delivery = true;
            }
        }
        Some(l)
    }

    /// Closes a link; if that leaves its peer without one, waits before dialing it again,
    /// then looks at whom to dial.
    pub(super) fn close_link(&mut self, link: LinkId, reason: &str) {
        let Some(l) = self.drop_link(link, reason) else {
            return;
        };
        if !self.links.values().any(|x| x.peer == l.peer) {
            self.back_off(&l.peer);
        }
        self.plan();
    }

    /// Closes every link with `peer`.
    pub(super) fn close_peer(&mut self, peer: &PeerId, reason: &str) {
        let ids: Vec<LinkId> = self
            .links
            .iter()
            .filter(|(_, l)| l.peer == *peer)
            .map(|(id, _)| *id)
            .collect();
        for link in ids {
            self.drop_link(link, reason);
        }
    }

    /// Closes every link (the page is going away); nothing is dialed until signaling is up.
    pub(super) fn close_all(&mut self, reason: &str) {
        let ids: Vec<LinkId> = self.links.keys().copied().collect();
        for link in ids {
            self.drop_link(link, reason);
        }
        self.early_candidates.clear();
        self.timers.cancel(&Timer::Plan);
    }
}

/// The PeerJS connection id of a relayed payload: 1–64 characters.
fn connection_id(payload: &Value) -> Option<String> {
    payload
        .get("connectionId")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty() && c.chars().count() <= MAX_CONN_ID)
        .map(str::to_string)
}

/// The SDP text of an offer or answer payload (`{"sdp":{"type":kind,"sdp":"…"}}`), if it
/// has that kind and is not too long.
/// The handshake nonce an offer or answer announces (`metadata.nonce`, base64 of 32
/// bytes). Anything else there is no announcement: the handshake then waits for `hello`.
fn announced_nonce(payload: &Value) -> Option<[u8; 32]> {
    let text = payload.get("metadata")?.get("nonce")?.as_str()?;
    BASE64.decode(text.as_bytes()).ok()?.try_into().ok()
}

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

/// Whether `new` carries the same DTLS fingerprints as `old` (both present).
fn same_fingerprints(old: Option<&str>, new: &str) -> bool {
    let old = old.and_then(crate::binding::sdp_fingerprints);
    old.is_some() && old == crate::binding::sdp_fingerprints(new)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
