//! What people and the world do: the actions a run is made of, a random run from a seed,
//! and settling (every fault healed, everyone back) before the final checks.

use crate::checks;
use crate::{EPOCH, Event, World, net, node_name};
use peerchat_core::engine::{Input, Intent, ServerId};
use peerchat_core::identity::PeerId;
use peerchat_core::room::RoomId;
use peerchat_core::room::invite::Invite;
use serde_json::json;
use std::collections::BTreeSet;

/// One thing that happens.
#[derive(Debug, Clone)]
pub enum Action {
    /// Open the page.
    Start(usize),
    /// Close the page (gracefully: `pagehide`), or crash it.
    Stop {
        /// The node.
        node: usize,
        /// Closed (true) or crashed.
        graceful: bool,
    },
    /// Reload the page.
    Reload(usize),
    /// The page goes into the back/forward cache (`pagehide`, links closed, socket
    /// closed) and comes back (`pageshow`) after `ms`.
    BackForward {
        /// The node.
        node: usize,
        /// How long it stays away.
        ms: u64,
    },
    /// The page becomes hidden or visible.
    Visible(usize, bool),
    /// Add `peer` as a contact.
    AddContact {
        /// Who.
        node: usize,
        /// Whom.
        peer: usize,
    },
    /// Accept every request from people who added this node.
    AcceptRequests(usize),
    /// Write to a contact.
    Send {
        /// Who.
        node: usize,
        /// To whom.
        peer: usize,
    },
    /// Create a room.
    CreateRoom(usize),
    /// Join a room from its invitation.
    JoinRoom {
        /// Who.
        node: usize,
        /// Which room (index in the oracle).
        room: usize,
    },
    /// Write in a room.
    RoomSend {
        /// Who.
        node: usize,
        /// Which room (index in the oracle).
        room: usize,
    },
    /// Leave a room.
    LeaveRoom {
        /// Who.
        node: usize,
        /// Which room (index in the oracle).
        room: usize,
    },
    /// Delete the messages of the conversation with a contact.
    DeleteMessages {
        /// Who.
        node: usize,
        /// With whom.
        peer: usize,
    },
    /// Remove a contact and its conversation.
    RemoveContact {
        /// Who.
        node: usize,
        /// Whom.
        peer: usize,
    },
    /// A signaling server goes down, or comes back.
    Server(ServerId, bool),
    /// A signaling server starts (or stops) handing messages for one node's id to
    /// another node: the impersonation a hostile server can try.
    Misroute {
        /// The server.
        server: ServerId,
        /// Whose messages, and to whom (`None`: stop).
        victim: Option<(usize, usize)>,
    },
    /// Two nodes lose (or get back) their direct path.
    Path(usize, usize, bool),
    /// A node's network goes (or comes back).
    Network(usize, bool),
    /// A node's storage quota changes (bytes; `None`: the default).
    Quota(usize, Option<usize>),
    /// One stored value of a node's is damaged.
    Damage(usize),
    /// The node crashes after this many more writes.
    CrashAfterWrites(usize, u32),
    /// A node sends garbage and replayed frames on its links.
    Garbage(usize),
    /// `count` new identities dial `target` and write to it.
    Flood {
        /// The target.
        target: usize,
        /// How many.
        count: usize,
    },
}

/// Carries out an action now.
pub fn perform(w: &mut World, action: Action) {
    w.note(|| format!("action {action:?}"));
    match action {
        Action::Start(n) => w.start(n),
        Action::Stop { node, graceful } => w.stop(node, graceful),
        Action::Reload(n) => {
            w.stop(n, true);
            w.start(n);
        }
        Action::BackForward { node, ms } => {
            if w.nodes[node].engine.is_none() {
                return;
            }
            w.input(node, Input::PageHidden);
            net::unregister(w, node);
            let incarnation = w.nodes[node].incarnation;
            w.after(
                ms,
                Event::Net(net::NetEvent::Register { node, incarnation }),
            );
        }
        Action::Visible(n, v) => {
            w.nodes[n].visible = v;
            w.input(n, Input::Visible(v));
        }
        Action::AddContact { node, peer } => {
            if node == peer {
                return;
            }
            let id = w.nodes[peer].id.clone();
            if w.nodes[node].engine.is_some() {
                w.oracle.added.insert((node, peer));
            }
            w.intent(node, Intent::AddContact(id));
        }
        Action::AcceptRequests(n) => {
            let requests: Vec<_> = w.nodes[n]
                .screen
                .requests
                .iter()
                .map(|r| r.id.clone())
                .collect();
            for id in requests {
                let Some(from) = w.node_of(&id) else { continue };
                if w.oracle.added.contains(&(from, n)) {
                    w.oracle.added.insert((n, from));
                    w.intent(n, Intent::Accept(id));
                }
            }
        }
        Action::Send { node, peer } => {
            let id = w.nodes[peer].id.clone();
            if w.nodes[node].engine.is_none() || w.nodes[node].screen.contact_online(&id).is_none()
            {
                return;
            }
            w.oracle.counter += 1;
            let text = format!(
                "{}>{} #{}",
                node_name(node),
                node_name(peer),
                w.oracle.counter
            );
            if w.intent(
                node,
                Intent::Send {
                    peer: id,
                    text: text.clone(),
                },
            )
            .is_none()
                && w.nodes[node].engine.is_some()
            {
                w.oracle.direct.push((node, peer, text));
            }
        }
        Action::CreateRoom(n) => {
            if w.nodes[n].engine.is_none() {
                return;
            }
            let name = format!("Room {}", w.oracle.rooms.len());
            let Ok(name) = peerchat_core::name::DisplayName::parse(&name) else {
                return;
            };
            w.intent(n, Intent::CreateRoom(name));
            let Some(room) = w.nodes[n].screen.room.clone() else {
                return;
            };
            if let Some(invite) = w.nodes[n]
                .engine
                .as_ref()
                .and_then(|e| e.room_invite(&room))
            {
                w.oracle.rooms.push((room, invite));
            }
        }
        Action::JoinRoom { node, room } => {
            let Some((id, _)) = w.oracle.rooms.get(room).cloned() else {
                return;
            };
            // People get invitations from members, not from old links.
            let Some(invite) = fresh_invite(w, &id, node) else {
                return;
            };
            let via: Vec<String> = invite
                .via
                .iter()
                .map(|p| w.node_of(p).map_or("?".into(), node_name))
                .collect();
            w.note(|| format!("{} joins {id} via {via:?}", node_name(node)));
            w.intent(node, Intent::JoinRoom(invite));
        }
        Action::RoomSend { node, room } => {
            let Some((id, _)) = w.oracle.rooms.get(room).cloned() else {
                return;
            };
            if w.nodes[node].engine.is_none()
                || !w.nodes[node].screen.rooms.iter().any(|r| r.id == id)
            {
                return;
            }
            w.oracle.counter += 1;
            let text = format!("{} in {} #{}", node_name(node), room, w.oracle.counter);
            if w.intent(
                node,
                Intent::RoomSend {
                    room: id.clone(),
                    text: text.clone(),
                },
            )
            .is_none()
                && w.nodes[node].engine.is_some()
            {
                w.oracle.room.push((node, id, text));
            }
        }
        Action::LeaveRoom { node, room } => {
            let Some((id, _)) = w.oracle.rooms.get(room).cloned() else {
                return;
            };
            w.intent(node, Intent::LeaveRoom(id));
        }
        Action::DeleteMessages { node, peer } | Action::RemoveContact { node, peer } => {
            let id = w.nodes[peer].id.clone();
            if node == peer || w.nodes[node].screen.contact_online(&id).is_none() {
                return;
            }
            let before: BTreeSet<String> = checks::conversations(w, node)
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|m| m.text)
                .collect();
            let remove = matches!(action, Action::RemoveContact { .. });
            let intent = if remove {
                w.oracle.added.remove(&(node, peer));
                Intent::RemoveContact(id.clone())
            } else {
                Intent::DeleteMessages(id.clone())
            };
            w.intent(node, intent);
            let after: BTreeSet<String> = checks::conversations(w, node)
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|m| m.text)
                .collect();
            let gone: Vec<String> = before.difference(&after).cloned().collect();
            if !remove {
                // The peer's messages numbered up to the deletion's floor are given up here,
                // those a hole (damage) kept from arriving too: not lost, by choice (they may
                // still come, renumbered, if the peer renumbers after a loss).
                let floor = checks::deleted_floor(w, node, &id);
                let me = w.nodes[node].id.clone();
                let given_up: Vec<String> = checks::conversations(w, peer)
                    .remove(&me)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|m| m.author == id && m.seq <= floor)
                    .map(|m| m.text)
                    .collect();
                w.nodes[node].given_up_texts.extend(given_up);
            }
            if remove {
                let deleted = w.nodes[node]
                    .deleted_texts
                    .remove(&peer)
                    .unwrap_or_default();
                w.nodes[node].removed_texts.extend(deleted);
                w.nodes[node].removed_texts.extend(gone.iter().cloned());
            } else {
                w.nodes[node]
                    .deleted_texts
                    .entry(peer)
                    .or_default()
                    .extend(gone.iter().cloned());
            }
            // Gone from here by the person's choice: not "lost", and numbers start over.
            w.nodes[node].damaged_texts.extend(gone);
            w.oracle.damaged.insert(node);
        }
        Action::Misroute { server, victim } => {
            let misroute = victim.map(|(v, a)| (w.nodes[v].id.clone(), a));
            // Warnings are expected from now on.
            w.oracle.attacked |= misroute.is_some();
            w.net.servers[server as usize].misroute = misroute;
        }
        Action::Server(server, up) => {
            w.net.servers[server as usize].down = !up;
            for n in 0..w.nodes.len() {
                if up {
                    if w.nodes[n].engine.is_some()
                        && w.nodes[n].servers.contains(&server)
                        && !w.nodes[n].registered.contains(&server)
                    {
                        let incarnation = w.nodes[n].incarnation;
                        let d = w.range(500, 3_000);
                        w.after(
                            d,
                            Event::Net(net::NetEvent::Register {
                                node: n,
                                incarnation,
                            }),
                        );
                    }
                } else {
                    net::unregister_at(w, n, server);
                }
            }
        }
        Action::Path(a, b, up) => {
            let key = (a.min(b), a.max(b));
            if up {
                w.net.partitions.remove(&key);
            } else {
                w.net.partitions.insert(key);
            }
            net::set_path(w, a, Some(b), up);
        }
        Action::Network(n, up) => {
            w.nodes[n].net = up;
            // Half the time the network that comes back is another one (a new address).
            if !up && w.chance(0.5) {
                net::change_network(w, n);
            }
            net::set_path(w, n, None, up);
            if up {
                let incarnation = w.nodes[n].incarnation;
                let d = w.range(100, 1_000);
                w.after(
                    d,
                    Event::Net(net::NetEvent::Register {
                        node: n,
                        incarnation,
                    }),
                );
            } else {
                net::unregister(w, n);
            }
        }
        Action::Quota(n, bytes) => {
            let used = w.nodes[n].disk.used();
            w.nodes[n].disk.quota = bytes.map_or(crate::disk::DEFAULT_QUOTA, |b| used + b);
        }
        Action::Damage(n) => {
            // Storage is damaged between sessions (a crash mid-write, another program, a
            // person editing it): close the page, damage, open it again.
            let open = w.nodes[n].engine.is_some();
            w.stop(n, true);
            damage(w, n);
            if open {
                w.start(n);
            }
        }
        Action::CrashAfterWrites(n, k) => w.nodes[n].crash_after_writes = Some(k),
        Action::Garbage(n) => garbage(w, n),
        Action::Flood { target, count } => flood(w, target, count),
    }
}

/// An invitation from another member whose page is open (with its current `via`), if any.
fn fresh_invite(w: &World, room: &RoomId, joiner: usize) -> Option<Invite> {
    let from: Vec<usize> = (0..w.nodes.len()).filter(|&n| n != joiner).collect();
    from.into_iter()
        .filter_map(|n| w.nodes[n].engine.as_ref())
        .find_map(|e| e.room_invite(room))
}

/// Damages one stored value: a conversation or room segment, the contact list, a room's
/// record or meta. Texts of messages lost with it are noted.
fn damage(w: &mut World, n: usize) {
    let keys: Vec<String> = w.nodes[n]
        .disk
        .data
        .keys()
        .filter(|k| {
            (k.starts_with("peerchat/v1/chat/")
                || k.starts_with("peerchat/v1/room/")
                || *k == "peerchat/v1/contacts"
                || *k == "peerchat/v1/rooms")
                && !k.starts_with("peerchat/v1/damaged/")
        })
        .cloned()
        .collect();
    if keys.is_empty() {
        return;
    }
    let key = keys[w.range(0, keys.len() as u64 - 1) as usize].clone();
    let old = w.nodes[n].disk.data.get(&key).cloned().unwrap_or_default();
    let lost = texts_in(&old);
    // Room records hold the secret: losing one loses the room (by design, one room).
    let garbage = match w.range(0, 2) {
        0 => "{garbage".to_string(),
        1 => old.chars().take(old.chars().count() / 2).collect(),
        _ => r#"{"v":99}"#.to_string(),
    };
    w.note(|| format!("damage {} {key}", node_name(n)));
    // A room whose record and log were both damaged here is forgotten by this page: see
    // `Oracle::amnesia`.
    if let Some(rest) = key.strip_prefix("peerchat/v1/room/")
        && let Some((room, part)) = rest.split_once('/')
        && let Some(room) = RoomId::parse(room)
    {
        let kind = if part == "info" {
            1
        } else if part == "meta" {
            0
        } else {
            2
        };
        let seen = w.oracle.room_damage.entry((n, room.clone())).or_default();
        *seen |= kind;
        if *seen == 3 {
            w.oracle.amnesia.insert((n, room));
        }
    }
    // A damaged meta record forgets which messages the person deleted: the peer may send
    // them again (an accepted limit, PROTOCOL "Deleting messages").
    if let Some(rest) = key.strip_prefix("peerchat/v1/chat/")
        && let Some((peer, "meta")) = rest.split_once('/')
        && let Some(p) = PeerId::parse(peer).ok().and_then(|id| w.node_of(&id))
        && w.nodes[n].deleted_texts.remove(&p).is_some()
    {
        w.oracle.forgot_floor.insert((n, p));
    }
    w.nodes[n].disk.data.insert(key, garbage);
    w.nodes[n].damaged_texts.extend(lost);
    w.oracle.damaged.insert(n);
}

fn texts_in(raw: &str) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(raw) else {
        return Vec::new();
    };
    v.get("m")
        .and_then(|m| m.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|m| m.get("text").and_then(|t| t.as_str()).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A hostile page: garbage, oversized, unknown and replayed frames on its open links.
fn garbage(w: &mut World, n: usize) {
    w.oracle.hostile = true;
    let pcs = net::open_pcs(w, n);
    for pc in pcs {
        let frames: Vec<Vec<u8>> = vec![
            b"{garbage".to_vec(),
            vec![b' '; 20_000],
            br#"{"t":"nope"}"#.to_vec(),
            br#"{"t":"hello","v":2,"id":"pc-aaaaaaaaaaaaaaaaaaaa","key":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=","nonce":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="}"#.to_vec(),
            json!({"t":"ack","upto":(1u64 << 53) - 1}).to_string().into_bytes(),
            json!({"t":"room-have","room":"aaaaaaaaaaaaaaaaaaaaaaaaaa","have":{}}).to_string().into_bytes(),
        ];
        let k = w.range(1, frames.len() as u64) as usize;
        for f in frames.into_iter().take(k) {
            net::inject(w, pc, f);
        }
        // And replays of its own earlier frames, from this link or others: a `hello`, `proof`
        // or `room-join` of another connection, room messages and vectors. (Not its one-to-one
        // messages and acknowledgements: those would be lies a peer may tell about its own
        // conversation, which the checks cannot tell from loss.)
        let replayable = |f: &Vec<u8>| {
            [
                "hello",
                "proof",
                "room-join",
                "room-welcome",
                "room-msg",
                "room-have",
            ]
            .iter()
            .any(|k| f.starts_with(format!("{{\"t\":\"{k}\"").as_bytes()))
        };
        let recent: Vec<Vec<u8>> = w
            .recent_frames
            .get(&n)
            .map(|r| r.iter().filter(|f| replayable(f)).cloned().collect())
            .unwrap_or_default();
        for f in recent.into_iter().rev().take(w.range(0, 4) as usize) {
            net::inject(w, pc, f);
        }
    }
}

/// `count` strangers dial `target` and write to it.
fn flood(w: &mut World, target: usize, count: usize) {
    for _ in 0..count {
        let s = w.add_node(true);
        w.start(s);
        let id = w.nodes[target].id.clone();
        let d = w.range(100, 3_000);
        w.after(
            d,
            Event::Action(Action::AddContact {
                node: s,
                peer: target,
            }),
        );
        let d = w.range(3_000, 8_000);
        w.after(
            d,
            Event::Action(Action::Send {
                node: s,
                peer: target,
            }),
        );
        let _ = id;
    }
}

/// Heals every fault and brings everyone back: server up, paths and networks back, quotas
/// back, pages open and visible; then people accept requests from whoever added them.
pub fn heal(w: &mut World) {
    for server in 0..w.net.servers.len() {
        w.net.servers[server].misroute = None;
        if w.net.servers[server].down {
            perform(w, Action::Server(server as ServerId, true));
        }
    }
    let partitions: Vec<(usize, usize)> = w.net.partitions.iter().copied().collect();
    for (a, b) in partitions {
        perform(w, Action::Path(a, b, true));
    }
    for n in 0..w.nodes.len() {
        if w.nodes[n].stranger {
            if w.nodes[n].engine.is_some() {
                w.stop(n, true);
            }
            continue;
        }
        w.nodes[n].crash_after_writes = None;
        if !w.nodes[n].net {
            perform(w, Action::Network(n, true));
        }
        if w.nodes[n].disk.quota != crate::disk::DEFAULT_QUOTA {
            perform(w, Action::Quota(n, None));
        }
        if w.nodes[n].engine.is_none() {
            w.start(n);
        } else if w.nodes[n].registered != w.nodes[n].servers {
            let incarnation = w.nodes[n].incarnation;
            w.after(
                10,
                Event::Net(net::NetEvent::Register {
                    node: n,
                    incarnation,
                }),
            );
        }
        if !w.nodes[n].visible {
            perform(w, Action::Visible(n, true));
        }
    }
}

/// Heals, lets the network settle (accepting requests along the way), and checks.
pub fn settle_and_check(w: &mut World) -> Vec<String> {
    heal(w);
    for round in 0..6 {
        w.run_for(15_000);
        for n in 0..w.nodes.len() {
            if !w.nodes[n].stranger {
                perform(w, Action::AcceptRequests(n));
            }
        }
        if round == 2 {
            // A last look at anything that waited on a stopped peer.
            heal(w);
        }
    }
    w.run_for(30_000);
    let mut out = std::mem::take(&mut w.violations);
    out.extend(checks::quiet(w));
    out
}

/// The shape of a random run.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// People.
    pub nodes: usize,
    /// Actions.
    pub actions: usize,
    /// How long the actions are spread over (ms).
    pub span: u64,
}

impl Shape {
    /// A random shape: mostly small worlds, sometimes up to 20 people.
    pub fn random(w: &mut World) -> Self {
        let nodes = match w.range(0, 9) {
            0..=5 => w.range(2, 4),
            6..=8 => w.range(4, 8),
            _ => w.range(8, 20),
        } as usize;
        Shape {
            nodes,
            actions: w.range(100, 300) as usize,
            span: w.range(60_000, 240_000),
        }
    }
}

/// Builds a random run in `w`: people, friendships, rooms, then actions and faults at
/// random times. Run it with [`settle_and_check`] after `shape.span`.
pub fn random(w: &mut World, shape: Shape) {
    // With two servers, half the people use both and the rest only the common one, so
    // every two people share a server; the other one may go down or turn hostile.
    let two = w.net.servers.len() == 2;
    let common = if two { w.range(0, 1) as ServerId } else { 0 };
    for _ in 0..shape.nodes {
        let n = w.add_node(false);
        if two {
            w.nodes[n].servers = if w.chance(0.5) {
                BTreeSet::from([0, 1])
            } else {
                BTreeSet::from([common])
            };
        }
        // Some clocks are off by minutes: time is for display and timers only.
        if w.chance(0.2) {
            let skew = w.range(0, 600_000) as i64 - 300_000;
            w.nodes[n].skew = skew;
        }
        let d = w.range(0, 2_000);
        w.after(d, Event::Action(Action::Start(n)));
    }
    let n = shape.nodes as u64;
    // Friendships: each adds one to three others; some are not added back at once.
    for a in 0..shape.nodes {
        for _ in 0..w.range(1, 3.min(n - 1)) {
            let b = w.range(0, n - 1) as usize;
            if a != b {
                let d = w.range(2_000, 6_000);
                w.after(d, Event::Action(Action::AddContact { node: a, peer: b }));
                if w.chance(0.7) {
                    let d = w.range(6_000, 10_000);
                    w.after(d, Event::Action(Action::AddContact { node: b, peer: a }));
                }
            }
        }
    }
    let start = w.now + 10_000;
    let mut rooms = 0;
    if w.chance(0.6) {
        let creator = w.range(0, n - 1) as usize;
        w.at(start, Event::Action(Action::CreateRoom(creator)));
        rooms = 1;
        for p in 0..shape.nodes {
            if p != creator && w.chance(0.7) {
                let d = w.range(1_000, 20_000);
                w.at(
                    start + d,
                    Event::Action(Action::JoinRoom { node: p, room: 0 }),
                );
            }
        }
    }
    for _ in 0..shape.actions {
        let at = start + w.range(0, shape.span);
        let a = w.range(0, n - 1) as usize;
        let b = w.range(0, n - 1) as usize;
        let action = match w.range(0, 99) {
            0..=39 => Action::Send { node: a, peer: b },
            40..=59 if rooms > 0 => Action::RoomSend { node: a, room: 0 },
            40..=59 => Action::Send { node: a, peer: b },
            60..=64 => Action::AcceptRequests(a),
            65..=68 => Action::Reload(a),
            69..=70 => Action::Stop {
                node: a,
                graceful: w.chance(0.5),
            },
            71..=73 => Action::Start(a),
            74..=75 => Action::BackForward {
                node: a,
                ms: w.range(500, 20_000),
            },
            76..=77 => Action::Visible(a, w.chance(0.5)),
            78 => {
                let server = w.range(0, w.net.servers.len() as u64 - 1);
                Action::Server(server as ServerId, w.chance(0.5))
            }
            79 if two && w.chance(0.5) => Action::Misroute {
                server: 1 - common,
                victim: (a != b && w.chance(0.6)).then_some((a, b)),
            },
            79..=80 => Action::Path(a, b, w.chance(0.4)),
            81..=82 => Action::Network(a, w.chance(0.5)),
            83 => Action::Quota(
                a,
                if w.chance(0.5) {
                    Some(w.range(0, 3_000) as usize)
                } else {
                    None
                },
            ),
            84 => Action::Damage(a),
            85 => Action::CrashAfterWrites(a, w.range(0, 3) as u32),
            86 => Action::Garbage(a),
            87 if w.chance(0.2) => Action::Flood {
                target: a,
                count: w.range(5, 40) as usize,
            },
            88 if rooms > 0 => Action::LeaveRoom { node: a, room: 0 },
            89 if rooms > 0 => Action::JoinRoom { node: a, room: 0 },
            90 if rooms < 3 => {
                rooms += 1;
                Action::CreateRoom(a)
            }
            91..=94 if rooms > 1 => Action::RoomSend {
                node: a,
                room: w.range(0, rooms - 1) as usize,
            },
            95..=96 if rooms > 1 => Action::JoinRoom {
                node: a,
                room: w.range(0, rooms - 1) as usize,
            },
            97 => Action::DeleteMessages { node: a, peer: b },
            98 if w.chance(0.5) => Action::RemoveContact { node: a, peer: b },
            _ => Action::AddContact { node: a, peer: b },
        };
        w.at(at, Event::Action(action));
    }
    let _ = EPOCH;
}

/// Runs one random world from `seed`; returns the violations found. With `SIM_TRACE`
/// set, the trace is written to `target/sim-trace-<seed>.txt`.
pub fn run_seed(seed: u64) -> Vec<String> {
    let mut w = World::new(seed);
    // A third of the worlds have two signaling servers.
    if seed % 3 == 2 {
        w.net.servers.push(Default::default());
    }
    let shape = Shape::random(&mut w);
    w.note(|| format!("seed {seed}: {shape:?}"));
    random(&mut w, shape);
    let end = w.now + 12_000 + shape.span;
    w.run_until(end);
    let problems = settle_and_check(&mut w);
    let state = checks::describe(&w);
    w.note(|| format!("end:\n{state}"));
    if let Some(trace) = &w.trace {
        let path = format!(
            "{}/../../target/sim-trace-{seed}.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::write(&path, trace.join("\n")).ok();
    }
    problems
}
