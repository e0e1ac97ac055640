//! The invariants. Some are checked as the run goes (an acknowledgement means the receiver
//! stored what it acknowledges; no message goes more than a few times over one connection;
//! the engine's own audit after every input); the rest once
//! the network is quiet: nothing stored as sent is lost, no message is stored twice, each
//! author's numbers have no holes, histories converge, rooms agree on their logs and
//! members, and everyone who should be connected is.

use crate::{World, node_name};
use peerchat_core::conversation::Message;
use peerchat_core::frame::Frame;
use peerchat_core::identity::PeerId;
use peerchat_core::room::RoomId;
use peerchat_core::room::log::Vector;
use peerchat_core::room::message::{Kind, RoomMessage};
use peerchat_core::segments::Segment;
use peerchat_core::storage;
use std::collections::{BTreeMap, BTreeSet};

/// What the people did, for the final checks.
#[derive(Default, Debug)]
pub struct Oracle {
    /// One-to-one messages the author's page accepted (stored): (author, to, text).
    pub direct: Vec<(usize, usize, String)>,
    /// Room messages the author's page accepted: (author, room, text).
    pub room: Vec<(usize, RoomId, String)>,
    /// Who added whom as a contact: (node, peer).
    pub added: BTreeSet<(usize, usize)>,
    /// Rooms made, and their invitations.
    pub rooms: Vec<(RoomId, peerchat_core::room::invite::Invite)>,
    /// Nodes that damaged storage or renumbering may leave with gaps: some checks skip them.
    pub damaged: BTreeSet<usize>,
    /// (node, peer): the node deleted messages with the peer and then lost its meta record
    /// (damaged), so it forgot the deletion's floor: while the peer renumbers, two of the
    /// peer's messages may share a number there (both kept and shown: an accepted limit,
    /// PROTOCOL "Deleting messages").
    pub forgot_floor: BTreeSet<(usize, usize)>,
    /// Number of messages composed, for texts.
    pub counter: u64,
    /// Someone impersonated someone in this run (warnings are expected).
    pub attacked: bool,
    /// A page sent garbage or replayed frames in this run (handshakes may fail).
    pub hostile: bool,
    /// Per (node, room): which of the room's record (1) and log (2) were damaged there.
    pub room_damage: BTreeMap<(usize, RoomId), u8>,
    /// Rooms a page forgot entirely (record and log both damaged). Its messages written
    /// afterwards can collide with earlier ones held only by members that the members it
    /// can still reach never knew of (docs/PROTOCOL.md 6.5, "Recovering"): an accepted
    /// limit, so those rooms' checks leave that page's messages out.
    pub amnesia: BTreeSet<(usize, RoomId)>,
}

/// The `t` of a frame.
pub fn frame_kind(frame: &Frame) -> String {
    let text = String::from_utf8(frame.encode()).unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("t").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_default()
}

/// A node's stored conversations, by peer.
pub fn conversations(w: &World, node: usize) -> BTreeMap<PeerId, Vec<Message>> {
    let mut out: BTreeMap<PeerId, Vec<Message>> = BTreeMap::new();
    for (key, value) in &w.nodes[node].disk.data {
        let Some(rest) = key.strip_prefix("peerchat/v1/chat/") else {
            continue;
        };
        let Some((peer, n)) = rest.split_once('/') else {
            continue;
        };
        if !n.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let (Ok(peer), Ok(seg)) = (
            PeerId::parse(peer),
            storage::decode::<Segment<Message>>(value),
        ) else {
            continue;
        };
        out.entry(peer).or_default().extend(seg.m);
    }
    out
}

/// Up to which number the person at `node` deleted `peer`'s messages (0: none).
pub fn deleted_floor(w: &World, node: usize, peer: &PeerId) -> u64 {
    let key = peerchat_core::history::meta_key(peer);
    w.nodes[node]
        .disk
        .data
        .get(&key)
        .and_then(|v| storage::decode::<peerchat_core::history::ChatMeta>(v).ok())
        .map_or(0, |m| m.floor)
}

/// A node's stored room logs, by room.
pub fn room_logs(w: &World, node: usize) -> BTreeMap<RoomId, Vec<RoomMessage>> {
    let mut out: BTreeMap<RoomId, Vec<RoomMessage>> = BTreeMap::new();
    for (key, value) in &w.nodes[node].disk.data {
        let Some(rest) = key.strip_prefix("peerchat/v1/room/") else {
            continue;
        };
        let Some((room, n)) = rest.split_once('/') else {
            continue;
        };
        if !n.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let (Some(room), Ok(seg)) = (
            RoomId::parse(room),
            storage::decode::<Segment<RoomMessage>>(value),
        ) else {
            continue;
        };
        out.entry(room).or_default().extend(seg.m);
    }
    out
}

fn peer_node(w: &World, node: usize, link: peerchat_core::engine::LinkId) -> Option<usize> {
    let pc = *w.nodes[node].links.get(&link)?;
    crate::net::peer_node(w, pc)
}

/// Most copies of one message a page may send on one connection, plus one per minute the
/// connection has carried it. A message goes again on the same connection only when the
/// peer asks (`sync` after verifying, after accepting, once per gap, and at each retry of
/// its full storage, which waits 5 s and doubles up to a minute): a few times at most.
/// Beyond this, a request is being answered per message, and traffic grows with the square
/// of them (seed 9588 sent 11 messages about 900 times each), or storage keeps being taken
/// for back (seed 795).
pub const MAX_COPIES_PER_LINK: u32 = 8;

/// Checks a frame as it leaves: an `ack` or `sync` claims the sender stored the peer's
/// messages up to a number, a `room-have` claims it holds each author's up to a number.
pub fn on_frame_sent(
    w: &mut World,
    node: usize,
    link: peerchat_core::engine::LinkId,
    bytes: &[u8],
) {
    let Ok(frame) = Frame::parse(bytes) else {
        return;
    };
    let kind = frame_kind(&frame);
    // A side's own frames on a link: `hello` first, `proof` once, after it.
    let incarnation = w.nodes[node].incarnation;
    let sent = w.link_frames.entry((node, incarnation, link)).or_default();
    let order_problem = match kind.as_str() {
        "hello" if !sent.is_empty() => Some("a second hello, or hello after other frames"),
        "proof" if sent.first().map(String::as_str) != Some("hello") => Some("proof before hello"),
        "proof" if sent.iter().any(|k| k == "proof") => Some("two proofs"),
        "hello" | "proof" => None,
        _ if !sent.iter().any(|k| k == "proof") => Some("a frame before its own proof"),
        _ => None,
    };
    sent.push(kind.clone());
    if let Some(problem) = order_problem {
        let line = format!("{} on link {link}: {problem}", node_name(node));
        w.violations.push(line);
    }
    if w.frames.is_some() {
        let to = peer_node(w, node, link).unwrap_or(usize::MAX);
        let text = String::from_utf8_lossy(bytes).into_owned();
        let now = w.now;
        if let Some(f) = w.frames.as_mut() {
            f.push((now, node, to, text));
        }
    }
    let id = match &frame {
        Frame::Msg(m) => Some(m.id.clone()),
        Frame::RoomMsg { m } => Some(m.id.clone()),
        _ => None,
    };
    if let Some(id) = id {
        let now = w.now;
        let (copies, first) = w
            .copies
            .entry((node, incarnation, link, id.clone()))
            .or_insert((0, now));
        *copies += 1;
        // Storage that stays full is tried again once a minute at most, and each try
        // asks for everything again: one more copy per minute is allowed.
        let allowed = MAX_COPIES_PER_LINK + ((now - *first) / 60_000) as u32;
        if *copies == allowed + 1 {
            let to = peer_node(w, node, link).map_or("?".into(), node_name);
            let line = format!(
                "{} sent message {id} to {to} more than {MAX_COPIES_PER_LINK} times on link {link}: a resend storm",
                node_name(node)
            );
            w.violations.push(line);
        }
    }
    if w.oracle.damaged.contains(&node) {
        return;
    }
    match frame {
        Frame::Ack { upto: n } | Frame::Sync { have: n, .. } if n > 0 => {
            let Some(peer) = peer_node(w, node, link) else {
                return;
            };
            if w.oracle.damaged.contains(&peer) {
                return;
            }
            let peer_id = w.nodes[peer].id.clone();
            // Messages the person deleted here count as held (the meta record's floor).
            let floor = deleted_floor(w, node, &peer_id);
            let stored: BTreeSet<u64> = conversations(w, node)
                .remove(&peer_id)
                .unwrap_or_default()
                .into_iter()
                .filter(|m| m.author == peer_id)
                .map(|m| m.seq)
                .collect();
            if let Some(missing) = (floor + 1..=n).find(|s| !stored.contains(s)) {
                let line = format!(
                    "{} acknowledged {} of {}'s messages without storing number {missing}",
                    node_name(node),
                    n,
                    node_name(peer)
                );
                w.violations.push(line);
            }
        }
        Frame::RoomHave { room, have } => {
            let log = room_logs(w, node).remove(&room).unwrap_or_default();
            if let Some(problem) = vector_not_stored(&log, &have) {
                let line = format!("{} said it holds {problem} in room {room}", node_name(node));
                w.violations.push(line);
            }
        }
        _ => {}
    }
}

fn vector_not_stored(log: &[RoomMessage], have: &Vector) -> Option<String> {
    for (author, &n) in have {
        let seqs: BTreeSet<u64> = log
            .iter()
            .filter(|m| m.author == *author)
            .map(|m| m.seq)
            .collect();
        if let Some(missing) = (1..=n).find(|s| !seqs.contains(s)) {
            return Some(format!(
                "{n} of {author}'s messages without storing number {missing}"
            ));
        }
    }
    None
}

/// Nodes that take part in the checks: not made-up strangers.
fn people(w: &World) -> Vec<usize> {
    (0..w.nodes.len())
        .filter(|&n| !w.nodes[n].stranger)
        .collect()
}

/// The invariants once the network is quiet. Every node's page must be open.
pub fn quiet(w: &World) -> Vec<String> {
    let mut out = Vec::new();
    let people = people(w);
    let convs: BTreeMap<usize, BTreeMap<PeerId, Vec<Message>>> =
        people.iter().map(|&n| (n, conversations(w, n))).collect();
    let rooms: BTreeMap<usize, BTreeMap<RoomId, Vec<RoomMessage>>> =
        people.iter().map(|&n| (n, room_logs(w, n))).collect();

    // No message stored twice; each author's numbers without holes.
    for &n in &people {
        for (peer, log) in &convs[&n] {
            let mut ids = BTreeSet::new();
            let mut seqs: BTreeMap<&PeerId, BTreeSet<u64>> = BTreeMap::new();
            for m in log {
                if !ids.insert(&m.id) {
                    out.push(format!(
                        "{}: message {} stored twice (with {peer})",
                        node_name(n),
                        m.id
                    ));
                }
                let forgot = w
                    .node_of(peer)
                    .is_some_and(|p| w.oracle.forgot_floor.contains(&(n, p)));
                if !seqs.entry(&m.author).or_default().insert(m.seq) && !forgot {
                    out.push(format!(
                        "{}: two messages numbered {} by {} (with {peer})",
                        node_name(n),
                        m.seq,
                        m.author
                    ));
                }
            }
            if !w.oracle.damaged.contains(&n) {
                for (author, s) in &seqs {
                    if s.iter().copied().ne(1..=s.len() as u64) {
                        out.push(format!(
                            "{}: holes in {author}'s numbers with {peer}: {s:?}",
                            node_name(n)
                        ));
                    }
                }
            }
        }
        for (room, log) in &rooms[&n] {
            let mut ids = BTreeSet::new();
            for m in log {
                if !ids.insert(&m.id) {
                    out.push(format!(
                        "{}: room message {} stored twice in {room}",
                        node_name(n),
                        m.id
                    ));
                }
            }
        }
    }

    // What the person deleted stays deleted.
    for &n in &people {
        for (peer, log) in &convs[&n] {
            let Some(deleted) = w
                .node_of(peer)
                .and_then(|p| w.nodes[n].deleted_texts.get(&p))
            else {
                continue;
            };
            for m in log {
                if deleted.contains(&m.text) {
                    out.push(format!(
                        "{}: deleted message {:?} came back (with {peer})",
                        node_name(n),
                        m.text
                    ));
                }
            }
        }
    }

    // Mutual contacts: connected, and each one's messages at the other.
    for &a in &people {
        for &b in &people {
            if a >= b {
                continue;
            }
            let (ida, idb) = (w.nodes[a].id.clone(), w.nodes[b].id.clone());
            let a_has_b = w.nodes[a].screen.contact_online(&idb);
            let b_has_a = w.nodes[b].screen.contact_online(&ida);
            let (Some(a_online), Some(b_online)) = (a_has_b, b_has_a) else {
                continue;
            };
            if !a_online || !b_online {
                out.push(format!(
                    "{} and {} are contacts but not connected ({a_online}, {b_online})",
                    node_name(a),
                    node_name(b)
                ));
            }
            let at_a = convs[&a].get(&idb).cloned().unwrap_or_default();
            let at_b = convs[&b].get(&ida).cloned().unwrap_or_default();
            let texts_a: BTreeSet<&str> = at_a.iter().map(|m| m.text.as_str()).collect();
            let texts_b: BTreeSet<&str> = at_b.iter().map(|m| m.text.as_str()).collect();
            for (from, to, msgs, theirs) in [(a, b, &at_a, &texts_b), (b, a, &at_b, &texts_a)] {
                for m in msgs {
                    let author_copy_lost =
                        m.author != w.nodes[from].id && w.nodes[to].damaged_texts.contains(&m.text);
                    let chosen = w.nodes[to]
                        .deleted_texts
                        .values()
                        .any(|d| d.contains(&m.text))
                        || w.nodes[to].removed_texts.contains(&m.text)
                        || w.nodes[to].given_up_texts.contains(&m.text);
                    if !theirs.contains(m.text.as_str()) && !author_copy_lost && !chosen {
                        out.push(format!(
                            "{:?} stored at {} is missing at {}",
                            m.text,
                            node_name(from),
                            node_name(to)
                        ));
                    }
                }
            }
            // The same order on both sides.
            let order = |msgs: &[Message]| {
                let mut v: Vec<&Message> = msgs
                    .iter()
                    .filter(|m| {
                        texts_a.contains(m.text.as_str()) && texts_b.contains(m.text.as_str())
                    })
                    .collect();
                v.sort_by(|x, y| (x.lc, &x.author).cmp(&(y.lc, &y.author)));
                v.into_iter().map(|m| m.text.clone()).collect::<Vec<_>>()
            };
            if order(&at_a) != order(&at_b) {
                out.push(format!(
                    "{} and {} show different orders",
                    node_name(a),
                    node_name(b)
                ));
            }
        }
    }

    // Nothing the author stored is lost: it is still at the author, or was lost there to
    // damage; and wherever the recipient is a contact, it has it (checked above).
    for (author, to, text) in &w.oracle.direct {
        if w.nodes[*author].stranger {
            continue;
        }
        let to_id = w.nodes[*to].id.clone();
        let stored = convs
            .get(author)
            .and_then(|c| c.get(&to_id))
            .is_some_and(|log| log.iter().any(|m| m.text == *text));
        if !stored && !w.nodes[*author].damaged_texts.contains(text) {
            out.push(format!(
                "{text:?} by {} to {} was lost",
                node_name(*author),
                node_name(*to)
            ));
        }
    }

    // Rooms: members who know of each other (through the log or the room's record, directly
    // or through others) hold the same log and are connected to each other in the room.
    // Someone who only ever knew members that left before meeting anyone is on their own:
    // nothing can reach them, by design.
    let mut members: BTreeMap<RoomId, Vec<usize>> = BTreeMap::new();
    for &n in &people {
        for r in &w.nodes[n].screen.rooms {
            members.entry(r.id.clone()).or_default().push(n);
        }
    }
    for (room, nodes) in &members {
        let logs: BTreeMap<usize, Vec<RoomMessage>> = nodes
            .iter()
            .map(|&n| (n, rooms[&n].get(room).cloned().unwrap_or_default()))
            .collect();
        let known: BTreeMap<usize, BTreeSet<usize>> = nodes
            .iter()
            .map(|&n| {
                let mut ids = present_members(&logs[&n]);
                ids.extend(room_via(w, n, room));
                let set = ids
                    .iter()
                    .filter_map(|p| w.node_of(p))
                    .filter(|x| nodes.contains(x) && *x != n)
                    .collect();
                (n, set)
            })
            .collect();
        for group in components(nodes, &known) {
            let all: BTreeSet<&str> = group
                .iter()
                .flat_map(|n| logs[n].iter())
                .map(|m| m.text.as_str())
                .collect();
            let mut shown: Option<BTreeSet<PeerId>> = None;
            for &n in &group {
                let texts: BTreeSet<&str> = logs[&n].iter().map(|m| m.text.as_str()).collect();
                let forgetful: Vec<String> = w
                    .oracle
                    .amnesia
                    .iter()
                    .filter(|(_, r)| r == room)
                    .map(|(x, _)| w.nodes[*x].id.to_string())
                    .collect();
                for t in all.difference(&texts) {
                    let by_forgetful = logs
                        .values()
                        .flatten()
                        .any(|m| m.text == *t && forgetful.contains(&m.author.to_string()));
                    if !w.nodes[n].damaged_texts.contains(*t) && !by_forgetful {
                        out.push(format!("{} lacks {t:?} in room {room}", node_name(n)));
                    }
                }
                let online = w.nodes[n]
                    .screen
                    .rooms
                    .iter()
                    .find(|r| r.id == *room)
                    .map_or(0, |r| r.online);
                if online + 1 < group.len() {
                    out.push(format!(
                        "{} is connected to {online} of the {} other members of room {room} it knows of",
                        node_name(n),
                        group.len() - 1
                    ));
                }
                let present = present_members(&logs[&n]);
                match &shown {
                    None => shown = Some(present),
                    Some(first) if *first != present => out.push(format!(
                        "{} sees other members in room {room}",
                        node_name(n)
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    for (author, room, text) in &w.oracle.room {
        let stored = rooms
            .get(author)
            .and_then(|r| r.get(room))
            .is_some_and(|log| log.iter().any(|m| m.text == *text));
        if !stored && !w.nodes[*author].damaged_texts.contains(text) {
            out.push(format!(
                "room message {text:?} by {} was lost",
                node_name(*author)
            ));
        }
    }

    // Honest pages complete every handshake they start with each other: none is refused
    // (a refused one costs a redial's pause), whatever the order of events on the way.
    if !w.oracle.attacked && !w.oracle.hostile {
        out.extend(
            w.handshake_failures
                .iter()
                .map(|f| format!("a handshake between honest pages failed: {f}")),
        );
    }

    // No false alarms: nobody here impersonates anyone unless a run says so.
    if !w.oracle.attacked {
        for &n in &people {
            for notice in &w.nodes[n].screen.notices {
                if matches!(
                    notice,
                    peerchat_core::engine::Notice::Impersonation { .. }
                        | peerchat_core::engine::Notice::KeyChanged { .. }
                ) {
                    out.push(format!(
                        "{}: a false alarm: {}",
                        node_name(n),
                        notice.text()
                    ));
                }
            }
        }
    }

    // A write that fails for lack of space is not retried in a loop.
    for &n in &people {
        for (window, count) in &w.nodes[n].failed_writes {
            if *count > 20 {
                out.push(format!(
                    "{}: {count} failed writes within 10 s (at {}s)",
                    node_name(n),
                    window * 10
                ));
            }
        }
    }
    out
}

/// The members a node's record of a room names to dial.
fn room_via(w: &World, n: usize, room: &RoomId) -> Vec<PeerId> {
    let key = peerchat_core::room::info_key(room);
    w.nodes[n]
        .disk
        .data
        .get(&key)
        .and_then(|raw| storage::decode::<peerchat_core::room::RoomInfo>(raw).ok())
        .map(|info| info.via)
        .unwrap_or_default()
}

/// Groups of nodes that know of each other, directly or through others.
fn components(nodes: &[usize], known: &BTreeMap<usize, BTreeSet<usize>>) -> Vec<Vec<usize>> {
    let mut group: BTreeMap<usize, usize> = nodes.iter().map(|&n| (n, n)).collect();
    fn root(group: &BTreeMap<usize, usize>, mut n: usize) -> usize {
        while group[&n] != n {
            n = group[&n];
        }
        n
    }
    for (&a, bs) in known {
        for &b in bs {
            let (ra, rb) = (root(&group, a), root(&group, b));
            if ra != rb {
                group.insert(ra.max(rb), ra.min(rb));
            }
        }
    }
    let mut out: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &n in nodes {
        out.entry(root(&group, n)).or_default().push(n);
    }
    out.into_values().collect()
}

/// The members present in a log: those whose latest join or leave is a join.
pub fn present_members(log: &[RoomMessage]) -> BTreeSet<PeerId> {
    let mut latest: BTreeMap<&PeerId, (u64, Kind)> = BTreeMap::new();
    for m in log {
        if m.kind == Kind::Text {
            continue;
        }
        let e = latest.entry(&m.author).or_insert((0, m.kind));
        if m.seq >= e.0 {
            *e = (m.seq, m.kind);
        }
    }
    latest
        .into_iter()
        .filter(|(_, (_, k))| *k == Kind::Join)
        .map(|(p, _)| p.clone())
        .collect()
}

/// A summary of every node's state, for traces.
pub fn describe(w: &World) -> String {
    let mut out = String::new();
    let logs: BTreeMap<usize, BTreeMap<RoomId, Vec<RoomMessage>>> =
        (0..w.nodes.len()).map(|n| (n, room_logs(w, n))).collect();
    for (i, n) in w.nodes.iter().enumerate() {
        if n.stranger {
            continue;
        }
        out.push_str(&format!(
            "{} {} open={} registered={:?} links={:?}\n",
            node_name(i),
            n.id,
            n.engine.is_some(),
            n.registered,
            n.links.keys().collect::<Vec<_>>()
        ));
        for c in &n.screen.contacts {
            let who = w.node_of(&c.id).map_or("?".into(), node_name);
            out.push_str(&format!("  contact {who} online={}\n", c.online));
        }
        for r in &n.screen.requests {
            let who = w.node_of(&r.id).map_or("?".into(), node_name);
            out.push_str(&format!("  request {who} ({} held)\n", r.count));
        }
        for r in &n.screen.rooms {
            let present: Vec<String> = logs[&i]
                .get(&r.id)
                .map(|l| present_members(l))
                .unwrap_or_default()
                .iter()
                .map(|p| w.node_of(p).map_or("?".into(), node_name))
                .collect();
            out.push_str(&format!(
                "  room {} online={} present={present:?}\n",
                r.id, r.online
            ));
        }
    }
    out
}
