//! The simulated network: stock PeerJS servers and WebRTC connections.
//!
//! A world has one or more signaling servers; each page registers with every server it is
//! configured with that is up. Each server registers ids, relays OFFER/ANSWER/CANDIDATE with `src` stamped, queues
//! messages for ids not online and answers EXPIRE after 5 s, as `peer` 1.0 does. A
//! connection opens once both sides set each other's description and got a candidate, and
//! only if each side's remote description carries the other side's real fingerprint (DTLS);
//! frames are ordered and reliable while it lives. A crashed page's connections lose what
//! was in flight from it and are noticed by the peer only after ICE gives up; a closed
//! page's are closed at once, after what was already in flight.

use crate::{Event, World, node_name};
use peerchat_core::engine::{Input, LinkEvent, LinkId, ServerId};
use peerchat_core::identity::PeerId;
use peerchat_core::signaling::{ClientMessage, RelayKind, RemoteId, ServerMessage};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// A simulated connection's id.
pub type PcId = u64;

/// The stock server's queue lifetime for ids not online.
const EXPIRE_MS: u64 = 5_000;

/// One side of a simulated connection.
#[derive(Debug, Clone)]
pub struct Pc {
    node: usize,
    incarnation: u64,
    link: LinkId,
    fingerprint: String,
    remote_pc: Option<PcId>,
    remote_fp: Option<String>,
    local_ready: bool,
    candidates_in: u32,
    connecting: bool,
    /// An ICE timeout is pending for it (no path when both were ready).
    ice_waiting: bool,
    open: bool,
    /// Crashed: what it had in flight is lost.
    dead: bool,
    /// Closed gracefully.
    closed: bool,
    disconnected: bool,
    next_arrival: u64,
    /// Frames sent to it while the path was down: SCTP keeps them and delivers them when
    /// the path comes back (lost if the connection dies first).
    held: Vec<(PcId, Vec<u8>)>,
    /// Bumped at every change of path, so a late event of an earlier change is ignored.
    path_gen: u64,
    /// Its candidate pair died with a network change of one end: the path comes back only
    /// after an ICE restart (new candidates), not by itself.
    stale: bool,
    /// Whether ICE chose a rival answerer's path, so it never opens (decided once, when
    /// a rival shows up).
    stuck: Option<bool>,
}

/// A message waiting at the server for an id that is not online.
#[derive(Debug, Clone)]
struct Queued {
    from: PeerId,
    kind: RelayKind,
    payload: Value,
    at: u64,
}

/// One signaling server.
#[derive(Default)]
pub struct Server {
    /// It is down.
    pub down: bool,
    /// Who is registered.
    pub registered: BTreeMap<PeerId, usize>,
    queue: BTreeMap<PeerId, Vec<Queued>>,
    /// A hostile server hands messages for the first id to the second node, and stamps
    /// that node's messages with the first id.
    pub misroute: Option<(PeerId, usize)>,
}

/// The servers and the connections.
pub struct Net {
    /// The signaling servers, by [`ServerId`].
    pub servers: Vec<Server>,
    pcs: BTreeMap<PcId, Pc>,
    next_pc: PcId,
    /// Pairs of nodes that cannot reach each other directly.
    pub partitions: BTreeSet<(usize, usize)>,
}

impl Default for Net {
    /// One server, no connections.
    fn default() -> Self {
        Net {
            servers: vec![Server::default()],
            pcs: BTreeMap::new(),
            next_pc: 0,
            partitions: BTreeSet::new(),
        }
    }
}

/// Something in the network.
#[derive(Debug, Clone)]
pub enum NetEvent {
    /// ICE gave up looking for a path (checked again: the path may have come back).
    IceTimeout {
        /// The connection.
        pc: PcId,
    },
    /// A page's signaling sockets open and register, with every server it uses that is
    /// up and has not registered it yet.
    Register {
        /// The node.
        node: usize,
        /// Its incarnation.
        incarnation: u64,
    },
    /// A relayed message reaches a server.
    Relay {
        /// The server.
        server: ServerId,
        /// The sender's id (the server stamps it).
        from: PeerId,
        /// The destination.
        dst: PeerId,
        /// Offer, answer or candidate.
        kind: RelayKind,
        /// The payload.
        payload: Value,
    },
    /// A server's queue for `dst` may have expired.
    Expire {
        /// The server.
        server: ServerId,
        /// The id.
        dst: PeerId,
    },
    /// A local description is set.
    LocalReady {
        /// The connection.
        pc: PcId,
        /// Its SDP.
        sdp: String,
    },
    /// A local candidate appears.
    Candidate {
        /// The connection.
        pc: PcId,
    },
    /// The channel opens.
    Open {
        /// The connection.
        pc: PcId,
    },
    /// A frame arrives.
    Frame {
        /// The receiving side.
        pc: PcId,
        /// The sending side.
        from: PcId,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// The connection ends.
    Closed {
        /// The side told.
        pc: PcId,
        /// Why.
        reason: String,
    },
    /// The path is lost (or back).
    Path {
        /// The side told.
        pc: PcId,
        /// Up or down.
        up: bool,
        /// The change it belongs to.
        generation: u64,
    },
}

fn sdp(fp: &str, pc: PcId) -> String {
    format!(
        "v=0\r\no=- {pc} 2 IN IP4 127.0.0.1\r\na=fingerprint:sha-256 {fp}\r\na=x-sim-pc:{pc}\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    )
}

fn parse_sdp(sdp: &str) -> Option<(PcId, String)> {
    let mut pc = None;
    let mut fp = None;
    for line in sdp.lines() {
        if let Some(rest) = line.strip_prefix("a=x-sim-pc:") {
            pc = rest.trim().parse().ok();
        }
        if let Some(rest) = line.strip_prefix("a=fingerprint:sha-256 ") {
            fp = Some(rest.trim().to_string());
        }
    }
    Some((pc?, fp?))
}

fn new_pc(w: &mut World, node: usize, link: LinkId) -> PcId {
    w.net.next_pc += 1;
    let id = w.net.next_pc;
    let fp: Vec<String> = (0..8).map(|_| format!("{:02X}", w.range(0, 255))).collect();
    let incarnation = w.nodes[node].incarnation;
    w.net.pcs.insert(
        id,
        Pc {
            node,
            incarnation,
            link,
            fingerprint: fp.join(":"),
            remote_pc: None,
            remote_fp: None,
            local_ready: false,
            candidates_in: 0,
            connecting: false,
            ice_waiting: false,
            open: false,
            dead: false,
            closed: false,
            disconnected: false,
            next_arrival: 0,
            held: Vec::new(),
            path_gen: 0,
            stale: false,
            stuck: None,
        },
    );
    w.nodes[node].links.insert(link, id);
    id
}

fn latency(w: &mut World) -> u64 {
    w.range(1, 25)
}

fn reachable(w: &World, a: usize, b: usize) -> bool {
    w.nodes[a].net && w.nodes[b].net && !w.net.partitions.contains(&(a.min(b), a.max(b)))
}

/// The engine asked to dial: make the connection and its offer.
pub fn dial(w: &mut World, node: usize, link: LinkId, _label: String) {
    let pc = new_pc(w, node, link);
    let fp = w.net.pcs[&pc].fingerprint.clone();
    let d = w.range(1, 6);
    w.after(
        d,
        Event::Net(NetEvent::LocalReady {
            pc,
            sdp: sdp(&fp, pc),
        }),
    );
    let d = w.range(1, 10);
    w.after(d, Event::Net(NetEvent::Candidate { pc }));
}

/// The engine asked to answer an offer.
pub fn answer(w: &mut World, node: usize, link: LinkId, offer: &str) {
    let pc = new_pc(w, node, link);
    set_remote(w, pc, offer);
    let fp = w.net.pcs[&pc].fingerprint.clone();
    let d = w.range(1, 6);
    w.after(
        d,
        Event::Net(NetEvent::LocalReady {
            pc,
            sdp: sdp(&fp, pc),
        }),
    );
    let d = w.range(1, 10);
    w.after(d, Event::Net(NetEvent::Candidate { pc }));
}

/// The engine set a remote description.
pub fn set_remote(w: &mut World, pc: PcId, remote: &str) {
    let Some((remote_pc, fp)) = parse_sdp(remote) else {
        return;
    };
    // An open connection's new answer: the end of an ICE restart.
    if w.net.pcs.get(&pc).is_some_and(|p| p.open) {
        return restarted(w, pc);
    }
    if let Some(p) = w.net.pcs.get_mut(&pc) {
        p.remote_pc = Some(remote_pc);
        p.remote_fp = Some(fp);
    }
    try_connect(w, pc);
}

/// The engine added a remote candidate.
pub fn add_candidate(w: &mut World, pc: PcId) {
    let Some(p) = w.net.pcs.get_mut(&pc) else {
        return;
    };
    if p.remote_pc.is_none() {
        let node = p.node;
        w.violations.push(format!(
            "{}: a candidate added before the remote description (the browser refuses it)",
            node_name(node)
        ));
        return;
    }
    p.candidates_in += 1;
    try_connect(w, pc);
}

/// How long ICE looks for a path before the connection fails (Chromium: about 30 s
/// for a connection that never connected; shorter here, to exercise the failure often).
pub const ICE_TIMEOUT_MS: u64 = 10_000;

fn try_connect(w: &mut World, a: PcId) {
    let Some(pa) = w.net.pcs.get(&a).cloned() else {
        return;
    };
    let Some(b) = pa.remote_pc else { return };
    let Some(pb) = w.net.pcs.get(&b).cloned() else {
        return;
    };
    let ready = |p: &Pc| p.local_ready && p.candidates_in > 0 && !p.dead && !p.closed;
    if pb.remote_pc != Some(a) || !ready(&pa) || !ready(&pb) || pa.connecting || pb.connecting {
        return;
    }
    // Someone else answered the same offer too (a hostile server's impostor): its ICE
    // checks reach the offerer with the right credentials, and half the time ICE picks
    // its path, where DTLS then never completes. The connection hangs.
    for (x, y) in [(a, b), (b, a)] {
        let rival = w.net.pcs.iter().any(|(id, p)| {
            *id != y && p.remote_pc == Some(x) && !p.dead && !p.closed && p.local_ready
        });
        if rival && w.net.pcs[&x].stuck.is_none() {
            let stuck = w.chance(0.5);
            if let Some(p) = w.net.pcs.get_mut(&x) {
                p.stuck = Some(stuck);
            }
        }
    }
    if w.net.pcs[&a].stuck == Some(true) || w.net.pcs[&b].stuck == Some(true) {
        return;
    }
    if !reachable(w, pa.node, pb.node) {
        // As ICE: checks go on for a while, then the connection fails (no path).
        for id in [a, b] {
            if let Some(p) = w.net.pcs.get_mut(&id)
                && !p.ice_waiting
            {
                p.ice_waiting = true;
                w.after(ICE_TIMEOUT_MS, Event::Net(NetEvent::IceTimeout { pc: id }));
            }
        }
        return;
    }
    for id in [a, b] {
        if let Some(p) = w.net.pcs.get_mut(&id) {
            p.connecting = true;
        }
    }
    // DTLS: each side checks the certificate against the fingerprint it was given.
    let dtls = pa.remote_fp.as_deref() == Some(pb.fingerprint.as_str())
        && pb.remote_fp.as_deref() == Some(pa.fingerprint.as_str());
    // Each end learns of the open channel in its own time, as in Chromium, where the
    // peer's first frames can come before this side's `open` event.
    for id in [a, b] {
        let d = w.range(5, 40);
        let event = if dtls {
            NetEvent::Open { pc: id }
        } else {
            NetEvent::Closed {
                pc: id,
                reason: "connection failed (DTLS)".into(),
            }
        };
        w.after(d, Event::Net(event));
    }
}

/// The engine sent a frame.
pub fn send(w: &mut World, a: PcId, bytes: Vec<u8>) {
    let Some(pa) = w.net.pcs.get(&a).cloned() else {
        return;
    };
    if !pa.open || pa.dead || pa.closed {
        return;
    }
    let Some(b) = pa.remote_pc else { return };
    let Some(pb) = w.net.pcs.get(&b).cloned() else {
        return;
    };
    if pb.dead || pb.closed {
        return;
    }
    if !reachable(w, pa.node, pb.node) {
        if let Some(p) = w.net.pcs.get_mut(&b) {
            p.held.push((a, bytes));
        }
        return;
    }
    let arrival = (w.now + latency(w)).max(pb.next_arrival);
    if let Some(p) = w.net.pcs.get_mut(&b) {
        p.next_arrival = arrival;
    }
    w.at(
        arrival,
        Event::Net(NetEvent::Frame {
            pc: b,
            from: a,
            bytes,
        }),
    );
}

/// A connection ends on one side: closed by its page, or its page crashed.
pub fn kill_pc(w: &mut World, pc: PcId, crash: bool) {
    let Some(p) = w.net.pcs.get_mut(&pc) else {
        return;
    };
    if p.dead || p.closed {
        return;
    }
    if crash {
        p.dead = true;
    } else {
        p.closed = true;
    }
    let Some(b) = p.remote_pc else { return };
    let Some(pb) = w.net.pcs.get(&b).cloned() else {
        return;
    };
    if pb.remote_pc != Some(pc) || pb.dead || pb.closed {
        return;
    }
    if crash {
        let d = w.range(1_000, 3_000);
        let generation = w.net.pcs.get(&b).map_or(0, |p| p.path_gen + 1);
        if let Some(p) = w.net.pcs.get_mut(&b) {
            p.path_gen = generation;
        }
        w.after(
            d,
            Event::Net(NetEvent::Path {
                pc: b,
                up: false,
                generation,
            }),
        );
        let d = w.range(5_000, 15_000);
        w.after(
            d,
            Event::Net(NetEvent::Closed {
                pc: b,
                reason: "connection failed".into(),
            }),
        );
    } else {
        let at = (w.now + latency(w)).max(pb.next_arrival);
        w.at(
            at,
            Event::Net(NetEvent::Closed {
                pc: b,
                reason: "channel closed".into(),
            }),
        );
    }
}

/// A page sends a message to a server.
pub fn client_send(w: &mut World, node: usize, server: ServerId, message: ClientMessage) {
    let ClientMessage::Relay { kind, dst, payload } = message else {
        return;
    };
    let up = w.net.servers.get(server as usize).is_some_and(|s| !s.down);
    if !w.nodes[node].registered.contains(&server) || !up {
        return;
    }
    let Ok(dst) = PeerId::parse(dst.as_str()) else {
        return;
    };
    let from = w.nodes[node].id.clone();
    let d = latency(w);
    w.after(
        d,
        Event::Net(NetEvent::Relay {
            server,
            from,
            dst,
            kind,
            payload,
        }),
    );
}

fn deliver_signal(w: &mut World, node: usize, server: ServerId, message: ServerMessage) {
    let incarnation = w.nodes[node].incarnation;
    let d = latency(w);
    w.after(
        d,
        Event::Input {
            node,
            incarnation,
            input: Input::Signal { server, message },
        },
    );
}

/// Unregisters `node` from every server (its network went).
pub fn unregister(w: &mut World, node: usize) {
    for server in 0..w.net.servers.len() {
        unregister_at(w, node, server as ServerId);
    }
}

/// Unregisters `node` from `server` (the server went down, or the node's network).
pub fn unregister_at(w: &mut World, node: usize, server: ServerId) {
    if !w.nodes[node].registered.remove(&server) {
        return;
    }
    let id = w.nodes[node].id.clone();
    let s = &mut w.net.servers[server as usize];
    if s.registered.get(&id) == Some(&node) {
        s.registered.remove(&id);
    }
    w.input(node, Input::SignalingDown(server));
}

/// The engine asked for an ICE restart on `pc`: a new offer (same DTLS fingerprint) and,
/// after it, a new candidate.
pub fn restart(w: &mut World, pc: PcId) {
    renegotiated(w, pc, true);
}

/// The engine answers the peer's ICE restart on `pc`: a new answer, then a candidate.
pub fn renegotiate(w: &mut World, pc: PcId) {
    renegotiated(w, pc, false);
}

fn renegotiated(w: &mut World, pc: PcId, offer: bool) {
    let Some(p) = w.net.pcs.get(&pc) else {
        return;
    };
    if p.dead || p.closed {
        return;
    }
    let (node, incarnation, link) = (p.node, p.incarnation, p.link);
    let text = sdp(&p.fingerprint, pc);
    let d = w.range(1, 6);
    let event = if offer {
        LinkEvent::OfferReady(text)
    } else {
        LinkEvent::AnswerReady(text)
    };
    w.link_event(node, incarnation, link, event, d);
    let d = w.range(7, 12);
    w.after(d, Event::Net(NetEvent::Candidate { pc }));
}

/// The restart answer is set on `pc`: new candidates on both ends, so a path comes back
/// if the two nodes can reach each other.
fn restarted(w: &mut World, pc: PcId) {
    let Some(remote) = w.net.pcs.get(&pc).and_then(|p| p.remote_pc) else {
        return;
    };
    for id in [pc, remote] {
        if let Some(p) = w.net.pcs.get_mut(&id) {
            p.stale = false;
        }
    }
    let (Some(a), Some(b)) = (w.net.pcs.get(&pc), w.net.pcs.get(&remote)) else {
        return;
    };
    let (na, nb) = (a.node, b.node);
    if reachable(w, na, nb) {
        set_path(w, na, Some(nb), true);
    }
}

/// `node` changed networks: its connections' candidate pairs are dead for good, and only
/// an ICE restart brings their paths back.
pub fn change_network(w: &mut World, node: usize) {
    let ids: Vec<PcId> = w.net.pcs.keys().copied().collect();
    for id in ids {
        let touches =
            w.net.pcs.get(&id).is_some_and(|p| p.node == node) || peer_node(w, id) == Some(node);
        if touches && let Some(p) = w.net.pcs.get_mut(&id) {
            p.stale = true;
        }
    }
}

/// Cuts or restores the direct path between two nodes (or a node and everyone).
pub fn set_path(w: &mut World, a: usize, b: Option<usize>, up: bool) {
    let ids: Vec<PcId> = w.net.pcs.keys().copied().collect();
    for id in ids {
        let Some(p) = w.net.pcs.get(&id) else {
            continue;
        };
        if p.dead || p.closed || !p.open {
            continue;
        }
        let Some(other) = p.remote_pc.and_then(|r| w.net.pcs.get(&r)) else {
            continue;
        };
        let pair = (p.node, other.node);
        let touches = match b {
            Some(b) => pair == (a, b) || pair == (b, a),
            None => p.node == a || other.node == a,
        };
        if !touches {
            continue;
        }
        // Up only once both nodes can reach each other again, and the candidate pair
        // still works (a network change needs an ICE restart first).
        let stale = p.stale || other.stale;
        let up = up && !stale && reachable(w, pair.0, pair.1);
        let d = w.range(500, 1_500);
        let Some(p) = w.net.pcs.get_mut(&id) else {
            continue;
        };
        p.path_gen += 1;
        let generation = p.path_gen;
        w.after(
            d,
            Event::Net(NetEvent::Path {
                pc: id,
                up,
                generation,
            }),
        );
    }
}

/// Handles a network event.
pub fn on_event(w: &mut World, event: NetEvent) {
    match event {
        NetEvent::Register { node, incarnation } => {
            let n = &w.nodes[node];
            if n.incarnation != incarnation || n.engine.is_none() || !n.net {
                return;
            }
            let uses: Vec<ServerId> = n.servers.iter().copied().collect();
            for server in uses {
                let n = &w.nodes[node];
                let s = &w.net.servers[server as usize];
                if n.engine.is_none() || n.registered.contains(&server) || s.down {
                    continue;
                }
                let id = n.id.clone();
                w.nodes[node].registered.insert(server);
                let s = &mut w.net.servers[server as usize];
                s.registered.insert(id.clone(), node);
                let queued = s.queue.remove(&id).unwrap_or_default();
                w.input(node, Input::SignalingUp(server));
                for q in queued {
                    let Some(src) = RemoteId::parse(q.from.as_str()) else {
                        continue;
                    };
                    deliver_signal(
                        w,
                        node,
                        server,
                        ServerMessage::Relay {
                            kind: q.kind,
                            src,
                            payload: q.payload,
                        },
                    );
                }
            }
        }
        NetEvent::Relay {
            server,
            from,
            dst,
            kind,
            payload,
        } => {
            let s = &w.net.servers[server as usize];
            if s.down {
                return;
            }
            let target = match &s.misroute {
                Some((victim, attacker)) if *victim == dst => Some(*attacker),
                _ => s.registered.get(&dst).copied(),
            };
            // The attacker's replies go out in the victim's name.
            let from = match &s.misroute {
                Some((victim, attacker)) if w.nodes[*attacker].id == from => victim.clone(),
                _ => from,
            };
            let Some(src) = RemoteId::parse(from.as_str()) else {
                return;
            };
            match target {
                Some(node) if w.nodes[node].registered.contains(&server) => {
                    deliver_signal(w, node, server, ServerMessage::Relay { kind, src, payload })
                }
                _ => {
                    let at = w.now;
                    let s = &mut w.net.servers[server as usize];
                    s.queue.entry(dst.clone()).or_default().push(Queued {
                        from,
                        kind,
                        payload,
                        at,
                    });
                    w.after(EXPIRE_MS, Event::Net(NetEvent::Expire { server, dst }));
                }
            }
        }
        NetEvent::Expire { server, dst } => {
            let now = w.now;
            let Some(queue) = w.net.servers[server as usize].queue.get_mut(&dst) else {
                return;
            };
            let (old, keep): (Vec<Queued>, Vec<Queued>) =
                queue.drain(..).partition(|q| now >= q.at + EXPIRE_MS);
            *queue = keep;
            let senders: BTreeSet<PeerId> = old.into_iter().map(|q| q.from).collect();
            let Some(peer) = RemoteId::parse(dst.as_str()) else {
                return;
            };
            for s in senders {
                if let Some(&node) = w.net.servers[server as usize].registered.get(&s) {
                    deliver_signal(
                        w,
                        node,
                        server,
                        ServerMessage::Expire { peer: peer.clone() },
                    );
                }
            }
        }
        NetEvent::LocalReady { pc, sdp } => {
            let Some(p) = w.net.pcs.get_mut(&pc) else {
                return;
            };
            if p.dead || p.closed {
                return;
            }
            p.local_ready = true;
            let (node, incarnation, link) = (p.node, p.incarnation, p.link);
            let outgoing = p.remote_pc.is_none();
            let event = if outgoing {
                LinkEvent::OfferReady(sdp)
            } else {
                LinkEvent::AnswerReady(sdp)
            };
            w.link_event(node, incarnation, link, event, 0);
            try_connect(w, pc);
        }
        NetEvent::Candidate { pc } => {
            let Some(p) = w.net.pcs.get(&pc) else {
                return;
            };
            if p.dead || p.closed {
                return;
            }
            let (node, incarnation, link) = (p.node, p.incarnation, p.link);
            let candidate = json!({"candidate": format!("candidate:{pc} 1 udp 1 127.0.0.1 9 typ host"), "sdpMid": "0", "sdpMLineIndex": 0});
            w.link_event(
                node,
                incarnation,
                link,
                LinkEvent::LocalCandidate(candidate),
                0,
            );
        }
        NetEvent::IceTimeout { pc } => {
            let Some(p) = w.net.pcs.get_mut(&pc) else {
                return;
            };
            p.ice_waiting = false;
            if p.dead || p.closed || p.open || p.connecting {
                return;
            }
            let (node, incarnation, link, remote_pc) = (p.node, p.incarnation, p.link, p.remote_pc);
            let remote = remote_pc.and_then(|r| w.net.pcs.get(&r)).map(|r| r.node);
            if remote.is_some_and(|r| reachable(w, node, r)) {
                return try_connect(w, pc);
            }
            if let Some(p) = w.net.pcs.get_mut(&pc) {
                p.closed = true;
            }
            w.link_event(node, incarnation, link, LinkEvent::Unreachable, 0);
        }
        NetEvent::Open { pc } => {
            let Some(p) = w.net.pcs.get_mut(&pc) else {
                return;
            };
            if p.dead || p.closed {
                return;
            }
            p.open = true;
            let (node, incarnation, link) = (p.node, p.incarnation, p.link);
            w.link_event(node, incarnation, link, LinkEvent::ChannelOpen, 0);
        }
        NetEvent::Frame { pc, from, bytes } => {
            let sender_dead = w.net.pcs.get(&from).is_none_or(|p| p.dead);
            let Some(p) = w.net.pcs.get(&pc) else {
                return;
            };
            if p.dead || p.closed || sender_dead {
                return;
            }
            let (node, incarnation, link) = (p.node, p.incarnation, p.link);
            w.link_event(node, incarnation, link, LinkEvent::Frame(bytes), 0);
        }
        NetEvent::Closed { pc, reason } => {
            let Some(p) = w.net.pcs.get_mut(&pc) else {
                return;
            };
            if p.dead || p.closed {
                return;
            }
            p.closed = true;
            let (node, incarnation, link) = (p.node, p.incarnation, p.link);
            w.link_event(node, incarnation, link, LinkEvent::Closed(reason), 0);
        }
        NetEvent::Path { pc, up, generation } => {
            let Some(p) = w.net.pcs.get_mut(&pc) else {
                return;
            };
            if p.dead || p.closed || p.path_gen != generation || p.disconnected != up {
                return;
            }
            p.disconnected = !up;
            let held = if up {
                std::mem::take(&mut p.held)
            } else {
                Vec::new()
            };
            let (node, incarnation, link) = (p.node, p.incarnation, p.link);
            for (from, bytes) in held {
                let arrival =
                    (w.now + latency(w)).max(w.net.pcs.get(&pc).map_or(0, |p| p.next_arrival));
                if let Some(p) = w.net.pcs.get_mut(&pc) {
                    p.next_arrival = arrival;
                }
                w.at(arrival, Event::Net(NetEvent::Frame { pc, from, bytes }));
            }
            let event = if up {
                LinkEvent::Connected
            } else {
                LinkEvent::Disconnected
            };
            w.link_event(node, incarnation, link, event, 0);
        }
    }
}

/// Forgets connections that ended long ago (keeps the map small in long runs).
pub fn sweep(w: &mut World) {
    w.net
        .pcs
        .retain(|_, p| !(p.dead || p.closed) || p.next_arrival + 60_000 > w.now);
}

/// The node at the other end of a connection.
pub fn peer_node(w: &World, pc: PcId) -> Option<usize> {
    let remote = w.net.pcs.get(&pc)?.remote_pc?;
    Some(w.net.pcs.get(&remote)?.node)
}

/// Frames a hostile page could send on `pc`: injects `bytes` as if its engine sent them.
pub fn inject(w: &mut World, pc: PcId, bytes: Vec<u8>) {
    send(w, pc, bytes);
}

/// Open connections of a node.
pub fn open_pcs(w: &World, node: usize) -> Vec<PcId> {
    w.net
        .pcs
        .iter()
        .filter(|(_, p)| p.node == node && p.open && !p.dead && !p.closed)
        .map(|(id, _)| *id)
        .collect()
}
