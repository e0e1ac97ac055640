//! Rooms on verified links: membership proofs, the mesh, signed messages, catch-up.
//!
//! After a link verifies, each side proves membership of every room it believes the other
//! is in (`room-join`, answered by `room-welcome`), then says what it holds (`room-have`).
//! An author pushes its new message to every proven member; nobody relays on receipt, so
//! copies never cross. A member that lacks messages another holds asks that one member
//! (`room-want`) and gets at most [`ROOM_BATCH`] of them, then the answerer's `room-have`,
//! and asks again if it still lacks some: one request at a time per room, so a catch-up
//! comes once, not from everyone at once.
//!
//! A message is inserted, shown and pushed only once it is stored; if storing fails, the
//! log is as before and the message comes again later.

use super::links::Link;
use super::store::{AfterWrite, Resave};
use super::timers::Timer;
use super::view::{Arrival, MemberView, Preview, RoomView, Target, ViewChange, preview_text};
use super::{Effect, Engine, LinkId, Open};
use crate::frame::{Frame, ROOM_BATCH};
use crate::identity::PeerId;
use crate::name::DisplayName;
use crate::primitives::Bytes32;
use crate::room::invite::Invite;
use crate::room::log::{Insert, RoomLog, Vector};
use crate::room::message::{Kind, RoomMessage};
use crate::room::{
    RoomId, RoomInfo, RoomMeta, RoomSecret, StoredRoom, info_key, info_room, log_prefix, meta_key,
    proof,
};
use crate::segments::SegmentLog;
use crate::storage;
use std::collections::BTreeMap;

/// Delay before telling room members what I hold after new messages (coalesces bursts).
const HAVE_DEBOUNCE_MS: u64 = 300;
/// How long a member that learns it lacks messages waits before asking for them.
const CATCHUP_DELAY_MS: u64 = 500;
/// How long a room recovering from damage waits for members that are away before it lets
/// me write again anyway (they may hold messages of mine; waiting is the safe side).
const RECOVERY_PATIENCE_MS: u64 = 24 * 60 * 60 * 1000;
/// How long to wait for the answer to a `room-want` before asking someone else.
const WANT_TIMEOUT_MS: u64 = 10_000;

/// A room I am (or was) in.
pub(super) struct Room {
    pub stored: StoredRoom,
    pub log: RoomLog,
    seg: SegmentLog<RoomMessage>,
    pub unread: u32,
    /// The link a `room-want` is outstanding on.
    want: Option<LinkId>,
    /// What I held when I asked.
    want_from: Option<Vector>,
    /// Members that told me they hold no more of mine than I do (while recovering).
    confirmed_by: std::collections::BTreeSet<PeerId>,
    /// When recovering began, in this page (the patience counts from here).
    recovering_since: Option<u64>,
    /// After I left: members known to hold my `leave`.
    told: std::collections::BTreeSet<PeerId>,
    /// Messages found in storage after a gap (a damaged segment lost what came before):
    /// already stored, placed in the log once the gap is filled, never stored twice.
    parked: BTreeMap<String, RoomMessage>,
}

/// A room as one link knows it; it ends with the link.
#[derive(Default, Debug)]
pub(super) struct LinkRoom {
    /// I sent my `room-join` or `room-welcome` on this link.
    pub join_sent: bool,
    /// The peer proved it knows the room's secret on this link.
    pub proven: bool,
    /// What the peer holds: its last `room-have`, with what I sent it since.
    pub vector: Vector,
}

impl Room {
    /// Taking part in the room: in it, or left but not all members know yet.
    pub fn active(&self) -> bool {
        !self.stored.left || !self.stored.leave_known
    }

    fn secret(&self) -> RoomSecret {
        RoomSecret(self.stored.secret.0)
    }

    /// The link a `room-want` is outstanding on.
    pub fn want_link(&self) -> Option<LinkId> {
        self.want
    }
}

/// Records that the holder of `v` now has `m` (if it is the author's next one).
fn bump(v: &mut Vector, m: &RoomMessage) {
    let e = v.entry(m.author.clone()).or_insert(0);
    if m.seq == *e + 1 {
        *e = m.seq;
    }
}

/// Whether `theirs` holds a message that `mine` lacks.
fn ahead(theirs: &Vector, mine: &Vector) -> bool {
    theirs
        .iter()
        .any(|(author, &seq)| seq > mine.get(author).copied().unwrap_or(0))
}

impl Engine {
    /// Reads every room: its own record (or the old single list), its log and unread count.
    pub(super) fn load_rooms(&mut self) {
        let mut found: Vec<StoredRoom> = Vec::new();
        for key in self.store.keys_under("peerchat/v1/room/") {
            let Some(id) = info_room(&key) else {
                continue;
            };
            if let Some(info) = self.load_value::<RoomInfo>(
                &key,
                &format!("room {id}"),
                Resave::RoomInfo(id.clone()),
            ) {
                found.push(info.to_stored(id));
            }
        }
        let legacy = self.load_legacy_rooms();
        let migrated = legacy.iter().all(|l| found.iter().any(|f| f.id == l.id));
        let mut to_save = Vec::new();
        for stored in legacy {
            if !found.iter().any(|f| f.id == stored.id) {
                to_save.push(stored.id.clone());
                found.push(stored);
            }
        }
        for stored in found {
            self.load_room(stored);
        }
        self.retire_legacy_rooms(migrated);
        for id in to_save {
            self.save_room_info(&id);
        }
    }

    fn load_room(&mut self, stored: StoredRoom) {
        let id = stored.id.clone();
        let prefix = log_prefix(&id);
        let store = &self.store;
        let loaded = SegmentLog::load(
            prefix.clone(),
            |k| store.peek(k).cloned(),
            |m: &RoomMessage| m.room == id,
        );
        for key in self.store.keys_under(&format!("{prefix}/")) {
            if key
                .rsplit('/')
                .next()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            {
                self.store.take(&key);
            }
        }
        // Storage lost part of this room's log here, maybe messages of mine that members
        // hold: I write nothing (my next number must come after theirs) until they told me
        // what they hold of mine. Kept in the room's record, so a reload (after which the
        // damaged segment reads as empty) does not forget it.
        let newly_damaged = !loaded.damaged.is_empty() && !stored.recovering;
        let recovering = stored.recovering || !loaded.damaged.is_empty();
        let stored = StoredRoom {
            recovering,
            ..stored
        };
        for d in loaded.damaged {
            let key = d.key.clone();
            self.keep_aside(
                &d.key,
                d.raw,
                &format!("messages of room {}", stored.name),
                &d.error.to_string(),
                Resave::EmptySegment(key),
            );
        }
        // Each author's messages in order, whatever order they were stored in; messages
        // are verified again here, and one that cannot be placed is simply not loaded.
        let mut items = loaded.items;
        crate::sorting::sort_by(&mut items, |a, b| {
            (&a.author, a.seq).cmp(&(&b.author, b.seq))
        });
        let mut log = RoomLog::new(id.clone());
        let mut parked = BTreeMap::new();
        for m in items {
            if log.insert(m.clone()) == Insert::Gap {
                parked.insert(m.id.clone(), m);
            }
        }
        let unread = self
            .load_value::<RoomMeta>(
                &meta_key(&id),
                &format!("state of room {}", stored.name),
                Resave::RoomMeta(id.clone()),
            )
            .map_or(0, |m| m.unread);
        self.rooms.insert(
            id.clone(),
            Room {
                stored,
                log,
                seg: loaded.log,
                unread,
                want: None,
                want_from: None,
                parked,
                confirmed_by: Default::default(),
                recovering_since: None,
                told: Default::default(),
            },
        );
        if newly_damaged {
            self.save_room_info(&id);
        }
    }

    pub(super) fn save_room_info(&mut self, room: &RoomId) {
        if self.store.defer(Resave::RoomInfo(room.clone())) {
            return;
        }
        let Some(r) = self.rooms.get(room) else {
            return;
        };
        let text = storage::encode(&RoomInfo::from_stored(&r.stored));
        self.write(info_key(room), text, AfterWrite::Record("room list"));
    }

    pub(super) fn save_room_meta(&mut self, room: &RoomId) {
        let Some(r) = self.rooms.get(room) else {
            return;
        };
        if self.store.is_full() {
            return;
        }
        let text = storage::encode(&RoomMeta::new(r.unread));
        self.write(meta_key(room), text, AfterWrite::Nothing);
    }

    /// Present members of `room` other than me, and its invitation's members to dial.
    pub(super) fn room_peers(&self, room: &RoomId) -> Vec<PeerId> {
        let Some(r) = self.rooms.get(room).filter(|r| r.active()) else {
            return Vec::new();
        };
        let members = r.log.members();
        let gone = |p: &PeerId| members.iter().any(|m| m.id == *p && !m.present);
        let mut out: Vec<PeerId> = members
            .iter()
            .filter(|m| m.present)
            .map(|m| m.id.clone())
            .chain(r.stored.via.iter().filter(|p| !gone(p)).cloned())
            .collect();
        out.retain(|p| *p != self.my_id);
        crate::sorting::sort_dedup(&mut out);
        out
    }

    /// Whether `peer` shares a room with me.
    pub(super) fn is_room_peer(&self, peer: &PeerId) -> bool {
        self.rooms.keys().any(|r| self.room_peers(r).contains(peer))
    }

    /// Intent: create a room and open it.
    pub(super) fn create_room(&mut self, name: DisplayName) {
        let mut bytes = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut self.rng, &mut bytes);
        let id = RoomId::from_random(&bytes);
        let secret = Bytes32(self.random32());
        self.enter_room(StoredRoom {
            id,
            name,
            secret,
            via: Vec::new(),
            left: false,
            leave_known: false,
            recovering: false,
        });
    }

    /// Intent: join a room from an invitation.
    pub(super) fn join_room(&mut self, invite: Invite) {
        if self.rooms.get(&invite.room).is_some_and(|r| !r.stored.left) {
            return self.open_room(Some(invite.room));
        }
        let via = invite
            .via
            .into_iter()
            .filter(|p| *p != self.my_id)
            .collect();
        self.enter_room(StoredRoom {
            id: invite.room,
            name: invite.name,
            secret: Bytes32(invite.secret.0),
            via,
            left: false,
            leave_known: false,
            recovering: false,
        });
    }

    fn enter_room(&mut self, stored: StoredRoom) {
        let id = stored.id.clone();
        let stored = StoredRoom {
            left: false,
            leave_known: false,
            ..stored
        };
        match self.rooms.get_mut(&id) {
            // A room already known keeps what its record says about recovering, and the
            // members it knew of besides the invitation's.
            Some(r) => {
                let recovering = r.stored.recovering;
                let mut via = r.stored.via.clone();
                for p in &stored.via {
                    if !via.contains(p) {
                        via.push(p.clone());
                    }
                }
                r.stored = StoredRoom {
                    recovering,
                    via,
                    ..stored
                };
            }
            // Not known (or its record was damaged): whatever storage holds of its log is
            // read, so nothing stored is written over. If storage held some, it may have
            // held messages of mine that members have and I lost: recover first.
            None => {
                let prefix = format!("{}/", log_prefix(&id));
                let had_history = self.store.keys_under(&prefix).iter().any(|k| {
                    k.rsplit('/')
                        .next()
                        .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
                });
                self.load_room(StoredRoom {
                    recovering: had_history,
                    ..stored
                });
            }
        }
        self.save_room_info(&id);
        let me_present = self.rooms.get(&id).is_some_and(|r| {
            r.log
                .members()
                .iter()
                .any(|m| m.id == self.my_id && m.present)
        });
        let unconfirmed = self.rooms.get(&id).is_some_and(|r| r.stored.recovering);
        // My join is my first message in the room (a rejoin after leaving is a new join).
        // After damage, it waits until a member told me what it holds of mine.
        if !me_present
            && !unconfirmed
            && let Some(name) = self.name.as_ref().map(ToString::to_string)
        {
            self.room_compose(&id, Kind::Join, name);
        }
        self.open_room(Some(id.clone()));
        self.prove_to_connected(&id);
        self.dirty.rooms = true;
        self.plan();
    }

    /// Proves membership of `room` on every verified link with one of its members.
    fn prove_to_connected(&mut self, room: &RoomId) {
        let peers = self.room_peers(room);
        for (link, peer) in self.verified_links() {
            if peers.contains(&peer) {
                self.send_join(link, room);
            }
        }
    }

    /// A link verified: prove membership of every room the peer may share with me.
    pub(super) fn rooms_on_verified(&mut self, link: LinkId) {
        let Some(peer) = self.links.get(&link).map(|l| l.peer.clone()) else {
            return;
        };
        let rooms: Vec<RoomId> = self
            .rooms
            .keys()
            .filter(|r| self.room_peers(r).contains(&peer))
            .cloned()
            .collect();
        for room in rooms {
            self.send_join(link, &room);
        }
    }

    /// A verified link closed: its rooms' state went with it.
    pub(super) fn rooms_on_link_closed(&mut self, link: LinkId, closed: &Link) {
        if closed.rooms.values().any(|r| r.proven) {
            self.dirty.rooms = true;
            self.dirty.members = true;
        }
        let waiting: Vec<RoomId> = self
            .rooms
            .iter()
            .filter(|(_, r)| r.want == Some(link))
            .map(|(id, _)| id.clone())
            .collect();
        for room in waiting {
            self.want_timed_out(&room);
        }
    }

    fn send_join(&mut self, link: LinkId, room: &RoomId) {
        let Some(r) = self.rooms.get(room).filter(|r| r.active()) else {
            return;
        };
        let secret = r.secret();
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let Some(binding) = l.verified.as_ref().map(|v| v.binding.clone()) else {
            return;
        };
        let state = l.rooms.entry(room.clone()).or_default();
        if std::mem::replace(&mut state.join_sent, true) {
            return;
        }
        let p = proof::prove(&secret, room, &binding);
        self.send(
            link,
            &Frame::RoomJoin {
                room: room.clone(),
                proof: Bytes32(p),
            },
        );
    }

    /// A room frame from a verified peer.
    pub(super) fn on_room_frame(&mut self, link: LinkId, peer: &PeerId, frame: Frame) {
        match frame {
            Frame::RoomJoin { room, proof: p } => self.on_room_proof(link, &room, &p, true),
            Frame::RoomWelcome { room, proof: p } => self.on_room_proof(link, &room, &p, false),
            Frame::RoomHave { room, have } => self.on_room_have(link, &room, have),
            Frame::RoomWant { room, have } => self.on_room_want(link, &room, &have),
            Frame::RoomMsg { m } => self.on_room_message(link, peer, m),
            _ => {}
        }
    }

    fn proven(&self, link: LinkId, room: &RoomId) -> bool {
        self.links
            .get(&link)
            .and_then(|l| l.rooms.get(room))
            .is_some_and(|r| r.proven)
    }

    fn on_room_proof(&mut self, link: LinkId, room: &RoomId, p: &Bytes32, join: bool) {
        let valid = match (
            self.rooms.get(room).filter(|r| r.active()),
            self.links.get(&link).and_then(|l| l.verified.as_ref()),
        ) {
            (Some(r), Some(v)) => proof::check(&r.secret(), room, &v.binding, &p.0),
            _ => false,
        };
        if !valid {
            // Wrong secret or a room I am not in: answer nothing at all, so the sender
            // learns nothing about the room.
            return self.count_invalid(link);
        }
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let state = l.rooms.entry(room.clone()).or_default();
        let newly = !std::mem::replace(&mut state.proven, true);
        // Every `room-join` gets a `room-welcome`, even if I sent my own join on this link:
        // the peer may have refused mine (it was not in the room yet, or had left).
        if join {
            self.send_welcome(link, room);
        }
        if newly {
            let have = self
                .rooms
                .get(room)
                .map(|r| r.log.vector().clone())
                .unwrap_or_default();
            self.send(
                link,
                &Frame::RoomHave {
                    room: room.clone(),
                    have,
                },
            );
            self.dirty.rooms = true;
            self.dirty.members = true;
        }
    }

    fn send_welcome(&mut self, link: LinkId, room: &RoomId) {
        let Some(secret) = self.rooms.get(room).map(Room::secret) else {
            return;
        };
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let Some(binding) = l.verified.as_ref().map(|v| v.binding.clone()) else {
            return;
        };
        l.rooms.entry(room.clone()).or_default().join_sent = true;
        let p = proof::prove(&secret, room, &binding);
        self.send(
            link,
            &Frame::RoomWelcome {
                room: room.clone(),
                proof: Bytes32(p),
            },
        );
    }

    fn on_room_have(&mut self, link: LinkId, room: &RoomId, have: Vector) {
        if !self.proven(link, room) {
            return self.count_invalid(link);
        }
        if let Some(state) = self
            .links
            .get_mut(&link)
            .and_then(|l| l.rooms.get_mut(room))
        {
            for (author, seq) in have {
                let e = state.vector.entry(author).or_insert(0);
                *e = (*e).max(seq);
            }
        }
        let mut barren = false;
        if let Some(r) = self.rooms.get_mut(room)
            && r.want == Some(link)
        {
            // The answer to my `room-want` is complete. If it brought nothing, asking again
            // at once would only loop: wait for news (another `room-have`).
            barren = r.want_from.as_ref() == Some(r.log.vector());
            r.want = None;
            r.want_from = None;
            self.timers.cancel(&Timer::Want(room.clone()));
        }
        if !barren {
            // Wait a moment before asking: what this member holds may be on its way here
            // from its author already (pushes travel faster than `room-have`, which waits
            // 300 ms).
            self.timers
                .set_at_most(Timer::Catchup(room.clone()), self.now + CATCHUP_DELAY_MS);
        }
        self.confirm_own(room, link);
        self.rejoin_if_lost(room, link);
        self.check_leave_known(room);
        if self.open == Open::Room(room.clone()) {
            self.dirty.receipts = true;
        }
    }

    /// A member told me what it holds of mine. After a damaged log my own numbering is
    /// confirmed once every member I know of (present in my log, or remembered in the
    /// room's record) has told me it holds no more of mine than I do: one member alone may
    /// have lost them too.
    fn confirm_own(&mut self, room: &RoomId, link: LinkId) {
        let Some(peer) = self.links.get(&link).map(|l| l.peer.clone()) else {
            return;
        };
        let theirs = self
            .links
            .get(&link)
            .and_then(|l| l.rooms.get(room))
            .map(|s| s.vector.clone())
            .unwrap_or_default();
        let me = self.my_id.clone();
        let now = self.now;
        let Some(r) = self.rooms.get_mut(room).filter(|r| r.stored.recovering) else {
            return;
        };
        r.recovering_since.get_or_insert(now);
        // It counts once I hold everything it holds: then my log also names every member
        // it knows of, and those are asked too.
        if ahead(&theirs, r.log.vector()) {
            return;
        }
        r.confirmed_by.insert(peer);
        let members = r.log.members();
        let gone = |p: &PeerId| members.iter().any(|m| m.id == *p && !m.present);
        let required: Vec<&PeerId> = members
            .iter()
            .filter(|m| m.present)
            .map(|m| &m.id)
            .chain(r.stored.via.iter())
            .filter(|p| **p != me && !gone(p))
            .collect();
        let patience_over = r
            .recovering_since
            .is_some_and(|t| now >= t + RECOVERY_PATIENCE_MS);
        if (patience_over || required.iter().all(|p| r.confirmed_by.contains(*p)))
            && !r.parked.values().any(|m| m.author == me)
        {
            r.stored.recovering = false;
            r.confirmed_by.clear();
            self.save_room_info(room);
        }
    }

    /// I am in the room but not present in my own log (damaged storage lost my join) and
    /// this member holds nothing more of mine: join again, after what it holds.
    fn rejoin_if_lost(&mut self, room: &RoomId, link: LinkId) {
        if self.store.is_full() {
            return;
        }
        let Some(r) = self
            .rooms
            .get(room)
            .filter(|r| !r.stored.left && r.want.is_none())
        else {
            return;
        };
        let present = r
            .log
            .members()
            .iter()
            .any(|m| m.id == self.my_id && m.present);
        let mine = r.log.vector().get(&self.my_id).copied().unwrap_or(0);
        let theirs = self
            .links
            .get(&link)
            .and_then(|l| l.rooms.get(room))
            .and_then(|s| s.vector.get(&self.my_id))
            .copied()
            .unwrap_or(0);
        // After a damaged log, only once every member I know of has said what it holds of
        // mine: one that lost my messages too would have me reuse my first numbers.
        if present
            || r.stored.recovering
            || theirs > mine
            || r.parked.values().any(|m| m.author == self.my_id)
        {
            return;
        }
        if let Some(name) = self.name.as_ref().map(ToString::to_string) {
            self.room_compose(room, Kind::Join, name);
        }
    }

    /// After I left: once every member present in my log holds my `leave`, stop taking
    /// part (the leave is as delivered as any message: they pass it on).
    fn check_leave_known(&mut self, room: &RoomId) {
        let Some(r) = self
            .rooms
            .get(room)
            .filter(|r| r.stored.left && !r.stored.leave_known)
        else {
            return;
        };
        let mine = r.log.vector().get(&self.my_id).copied().unwrap_or(0);
        let members: Vec<PeerId> = r
            .log
            .members()
            .into_iter()
            .filter(|m| m.present && m.id != self.my_id)
            .map(|m| m.id)
            .collect();
        let knows = |peer: &PeerId| {
            self.links.values().any(|l| {
                l.peer == *peer
                    && l.rooms
                        .get(room)
                        .and_then(|s| s.vector.get(&self.my_id))
                        .is_some_and(|&n| n >= mine)
            })
        };
        if !members.iter().all(knows) && !members.is_empty() {
            if let Some(r) = self.rooms.get_mut(room) {
                for p in members.iter().filter(|p| knows(p)) {
                    r.told.insert(p.clone());
                }
            }
            let all = self
                .rooms
                .get(room)
                .is_some_and(|r| members.iter().all(|p| r.told.contains(p)));
            if !all {
                return;
            }
        }
        if let Some(r) = self.rooms.get_mut(room) {
            r.stored.leave_known = true;
            r.want = None;
        }
        for l in self.links.values_mut() {
            l.rooms.remove(room);
        }
        self.timers.cancel(&Timer::Want(room.clone()));
        self.save_room_info(room);
    }

    /// Asks one proven member that holds what I lack for it, unless a request is out.
    pub(super) fn request_missing(&mut self, room: &RoomId) {
        if self.store.is_full() {
            return;
        }
        let Some(r) = self
            .rooms
            .get(room)
            .filter(|r| r.active() && r.want.is_none())
        else {
            return;
        };
        let mine = r.log.vector().clone();
        let source = self
            .links
            .iter()
            .find(|(_, l)| {
                l.rooms
                    .get(room)
                    .is_some_and(|s| s.proven && ahead(&s.vector, &mine))
            })
            .map(|(id, _)| *id);
        let Some(link) = source else {
            return;
        };
        if let Some(r) = self.rooms.get_mut(room) {
            r.want = Some(link);
            r.want_from = Some(mine.clone());
        }
        if let Some(peer) = self.links.get(&link).map(|l| l.peer.clone()) {
            self.log(format!(
                "Peerchat: asking {peer} for what I lack in room {room}"
            ));
        }
        self.timers
            .set(Timer::Want(room.clone()), self.now + WANT_TIMEOUT_MS);
        self.send(
            link,
            &Frame::RoomWant {
                room: room.clone(),
                have: mine,
            },
        );
    }

    /// The member asked did not answer in time (or its link closed): ask another.
    pub(super) fn want_timed_out(&mut self, room: &RoomId) {
        self.timers.cancel(&Timer::Want(room.clone()));
        if let Some(r) = self.rooms.get_mut(room) {
            r.want = None;
        }
        self.request_missing(room);
    }

    fn on_room_want(&mut self, link: LinkId, room: &RoomId, have: &Vector) {
        if !self.proven(link, room) {
            return self.count_invalid(link);
        }
        let Some(r) = self.rooms.get(room) else {
            return;
        };
        let batch: Vec<RoomMessage> = r
            .log
            .missing_for(have)
            .into_iter()
            .take(ROOM_BATCH)
            .cloned()
            .collect();
        let mine = r.log.vector().clone();
        for m in &batch {
            self.send(link, &Frame::RoomMsg { m: m.clone() });
        }
        if let Some(state) = self
            .links
            .get_mut(&link)
            .and_then(|l| l.rooms.get_mut(room))
        {
            for m in &batch {
                bump(&mut state.vector, m);
            }
        }
        // The end of the answer: what I hold (they ask again if they still lack some).
        self.send(
            link,
            &Frame::RoomHave {
                room: room.clone(),
                have: mine,
            },
        );
    }

    fn on_room_message(&mut self, link: LinkId, from: &PeerId, m: RoomMessage) {
        let room = m.room.clone();
        if !self.proven(link, &room) {
            return self.count_invalid(link);
        }
        if self.store.is_full() {
            // Not stored, so not taken: it comes again when storage has room.
            return;
        }
        let Some(r) = self.rooms.get_mut(&room) else {
            return;
        };
        match r.log.insert(m.clone()) {
            Insert::New if r.parked.remove(&m.id).is_some() => {
                // Already in storage (found after a gap at load): placed, not stored again.
                if let Some(state) = self
                    .links
                    .get_mut(&link)
                    .and_then(|l| l.rooms.get_mut(&room))
                {
                    bump(&mut state.vector, &m);
                }
                let author = m.author.clone();
                self.after_new_room_message(&room, m);
                self.unpark(&room, &author);
            }
            Insert::New => {
                let (key, value) = r.seg.append(&m);
                if let Some(state) = self
                    .links
                    .get_mut(&link)
                    .and_then(|l| l.rooms.get_mut(&room))
                {
                    bump(&mut state.vector, &m);
                }
                self.write(
                    key,
                    value,
                    AfterWrite::RoomReceived {
                        room,
                        link,
                        id: m.id,
                    },
                );
            }
            Insert::Duplicate => {
                if let Some(state) = self
                    .links
                    .get_mut(&link)
                    .and_then(|l| l.rooms.get_mut(&room))
                {
                    bump(&mut state.vector, &m);
                }
            }
            Insert::Gap => {
                // Something before it is missing: the sender holds it.
                if let Some(state) = self
                    .links
                    .get_mut(&link)
                    .and_then(|l| l.rooms.get_mut(&room))
                {
                    let e = state.vector.entry(m.author.clone()).or_insert(0);
                    *e = (*e).max(m.seq);
                }
                self.request_missing(&room);
            }
            Insert::Invalid(error) => {
                self.log(format!(
                    "Peerchat: refused a room message sent by {from}: {error}"
                ));
                self.count_invalid(link);
            }
        }
    }

    pub(super) fn room_received_stored(&mut self, room: &RoomId, _link: LinkId, id: &str) {
        let Some(m) = self.rooms.get(room).and_then(|r| r.log.get(id)).cloned() else {
            return;
        };
        let author = m.author.clone();
        self.after_new_room_message(room, m);
        self.unpark(room, &author);
    }

    /// Places the stored messages of `author` that waited for a gap that is now filled.
    fn unpark(&mut self, room: &RoomId, author: &PeerId) {
        loop {
            let Some(r) = self.rooms.get_mut(room) else {
                return;
            };
            let next = r.log.vector().get(author).copied().unwrap_or(0) + 1;
            let Some(id) = r
                .parked
                .iter()
                .find(|(_, m)| m.author == *author && m.seq == next)
                .map(|(id, _)| id.clone())
            else {
                return;
            };
            let Some(m) = r.parked.remove(&id) else {
                return;
            };
            if r.log.insert(m.clone()) != Insert::New {
                return;
            }
            self.after_new_room_message(room, m);
        }
    }

    pub(super) fn room_received_failed(&mut self, room: &RoomId, id: &str) {
        if let Some(r) = self.rooms.get_mut(room)
            && r.log.undo_insert(id)
        {
            r.seg.undo_append();
        }
    }

    /// A stored message, new to my log: count it, show it, and tell members what I hold
    /// soon; a join or leave changes whom to connect to.
    fn after_new_room_message(&mut self, room: &RoomId, m: RoomMessage) {
        let reading = self.reading(&Open::Room(room.clone()));
        let me = self.my_id.clone();
        if let Some(r) = self.rooms.get_mut(room)
            && m.author != me
            && m.kind == Kind::Text
            && !reading
        {
            r.unread = r.unread.saturating_add(1);
            self.save_room_meta(room);
        }
        if m.author != me && m.kind == Kind::Text && !reading {
            let from = self.member_name(room, &m.author);
            let room_name = self.rooms.get(room).map(|r| r.stored.name.to_string());
            self.effects.push_back(Effect::Alert(Arrival {
                target: Target::Room(room.clone()),
                from,
                room: room_name,
                text: m.text.clone(),
            }));
        }
        let membership = m.kind != Kind::Text;
        if self.open == Open::Room(room.clone()) {
            self.effects
                .push_back(Effect::View(ViewChange::RoomMessage(m)));
            self.dirty.receipts = true;
        }
        self.timers
            .set_at_most(Timer::RoomHave(room.clone()), self.now + HAVE_DEBOUNCE_MS);
        self.dirty.rooms = true;
        if membership {
            self.dirty.members = true;
            self.remember_members(room);
            // Someone joined (or left): the mesh follows the log.
            self.prove_to_connected(room);
            self.plan();
        }
    }

    /// Keeps a few present members in the room's own record, so that a damaged log (which
    /// holds the joins) still leaves someone to dial and catch up from.
    fn remember_members(&mut self, room: &RoomId) {
        let me = self.my_id.clone();
        let Some(r) = self.rooms.get_mut(room).filter(|r| !r.stored.left) else {
            return;
        };
        let members = r.log.members();
        // Everyone present now, then those remembered before who have not left: a member
        // that held my messages once must be asked after damage, even if it is away.
        let mut via: Vec<PeerId> = members
            .iter()
            .filter(|m| m.present && m.id != me)
            .map(|m| m.id.clone())
            .collect();
        for p in &r.stored.via {
            if !via.contains(p) && !members.iter().any(|m| m.id == *p && !m.present) {
                via.push(p.clone());
            }
        }
        via.truncate(crate::room::log::MAX_MEMBERS);
        if via == r.stored.via {
            return;
        }
        r.stored.via = via;
        self.save_room_info(room);
    }

    /// Tells every proven member of `room` what I hold.
    pub(super) fn broadcast_have(&mut self, room: &RoomId) {
        let Some(have) = self.rooms.get(room).map(|r| r.log.vector().clone()) else {
            return;
        };
        let links: Vec<LinkId> = self
            .links
            .iter()
            .filter(|(_, l)| l.rooms.get(room).is_some_and(|s| s.proven))
            .map(|(id, _)| *id)
            .collect();
        for link in links {
            self.send(
                link,
                &Frame::RoomHave {
                    room: room.clone(),
                    have: have.clone(),
                },
            );
        }
    }

    /// Asks again for whatever rooms lack (after storage had no room).
    pub(super) fn resync_rooms(&mut self) {
        let rooms: Vec<RoomId> = self.rooms.keys().cloned().collect();
        for room in rooms {
            self.request_missing(&room);
        }
    }

    /// Intent: write a text in a room.
    pub(super) fn room_compose_text(&mut self, room: &RoomId, text: String) {
        let Some(r) = self.rooms.get(room).filter(|r| !r.stored.left) else {
            return self.refuse("You are not in this room.");
        };
        if r.stored.recovering || r.parked.values().any(|m| m.author == self.my_id) {
            // Storage lost some of my own messages here: members hold them, and my next
            // message must come after them, so wait until they are back.
            self.request_missing(room);
            return self.refuse(
                "This room is still catching up after damaged storage; try again in a moment.",
            );
        }
        self.room_compose(room, Kind::Text, text);
    }

    fn room_compose(&mut self, room: &RoomId, kind: Kind, text: String) {
        let id = self.message_id();
        let (me, now) = (&self.me, self.now);
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        let m = match r.log.compose(me, id, now, kind, text) {
            Ok(m) => m,
            Err(e) => return self.refuse(format!("Not sent: {e}.")),
        };
        let (key, value) = r.seg.append(&m);
        self.write(
            key,
            value,
            AfterWrite::RoomComposed {
                room: room.clone(),
                id: m.id,
            },
        );
    }

    /// My room message is stored: push it to every proven member, then show it.
    pub(super) fn room_composed_stored(&mut self, room: &RoomId, id: &str) {
        let Some(m) = self.rooms.get(room).and_then(|r| r.log.get(id)).cloned() else {
            return;
        };
        let links: Vec<LinkId> = self
            .links
            .iter()
            .filter(|(_, l)| l.rooms.get(room).is_some_and(|s| s.proven))
            .map(|(id, _)| *id)
            .collect();
        for link in links {
            self.send(link, &Frame::RoomMsg { m: m.clone() });
            if let Some(state) = self
                .links
                .get_mut(&link)
                .and_then(|l| l.rooms.get_mut(room))
            {
                bump(&mut state.vector, &m);
            }
        }
        let leaving = m.kind == Kind::Leave;
        let author = m.author.clone();
        self.after_new_room_message(room, m);
        self.unpark(room, &author);
        if leaving {
            self.finish_leaving(room);
        }
    }

    pub(super) fn room_composed_failed(&mut self, room: &RoomId, id: &str) {
        if let Some(r) = self.rooms.get_mut(room)
            && r.log.undo_insert(id)
        {
            r.seg.undo_append();
        }
        self.refuse(
            "Not sent: the message could not be saved (storage is full or disabled). Nothing already saved was lost.",
        );
    }

    /// Intent: leave a room. The members are told (a signed `leave`), then the room is
    /// marked left; its history is kept.
    pub(super) fn leave_room(&mut self, room: &RoomId) {
        if self.rooms.get(room).is_none_or(|r| r.stored.left) {
            return;
        }
        match self.name.as_ref().map(ToString::to_string) {
            Some(name) => self.room_compose(room, Kind::Leave, name),
            None => self.finish_leaving(room),
        }
    }

    fn finish_leaving(&mut self, room: &RoomId) {
        if let Some(r) = self.rooms.get_mut(room) {
            r.stored.left = true;
            r.stored.leave_known = false;
            r.told.clear();
        }
        self.save_room_info(room);
        self.check_leave_known(room);
        if self.open == Open::Room(room.clone()) {
            self.open_room(None);
        }
        self.dirty.rooms = true;
    }

    /// Intent: open a room (or close it).
    pub(super) fn open_room(&mut self, room: Option<RoomId>) {
        let Some(room) = room.filter(|r| self.rooms.contains_key(r)) else {
            self.open = Open::Nothing;
            self.effects.push_back(Effect::View(ViewChange::RoomOpened {
                room: None,
                messages: Vec::new(),
            }));
            return;
        };
        self.open = Open::Room(room.clone());
        // What is not stored yet is shown once it is (after_new_room_message).
        let unstored: Vec<&str> = self
            .store
            .pending()
            .filter_map(|a| match a {
                AfterWrite::RoomComposed { room: r, id }
                | AfterWrite::RoomReceived { room: r, id, .. }
                    if *r == room =>
                {
                    Some(id.as_str())
                }
                _ => None,
            })
            .collect();
        let messages = self
            .rooms
            .get(&room)
            .map(|r| {
                r.log
                    .ordered()
                    .into_iter()
                    .filter(|m| !unstored.contains(&m.id.as_str()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        self.effects.push_back(Effect::View(ViewChange::RoomOpened {
            room: Some(room.clone()),
            messages,
        }));
        self.dirty.members = true;
        self.dirty.rooms = true;
        self.mark_room_read(&room);
        self.plan();
    }

    /// The open room is being read: clear its unread count.
    pub(super) fn mark_room_read(&mut self, room: &RoomId) {
        if !self.reading(&Open::Room(room.clone())) {
            return;
        }
        if let Some(r) = self.rooms.get_mut(room)
            && r.unread != 0
        {
            r.unread = 0;
            self.save_room_meta(room);
            self.dirty.rooms = true;
        }
    }

    fn proven_peers(&self, room: &RoomId) -> Vec<PeerId> {
        self.links
            .values()
            .filter(|l| l.rooms.get(room).is_some_and(|s| s.proven))
            .map(|l| l.peer.clone())
            .collect()
    }

    pub(super) fn room_views(&self) -> Vec<RoomView> {
        let mut list: Vec<RoomView> = self
            .rooms
            .values()
            .filter(|r| !r.stored.left)
            .map(|r| {
                let (last, since) = self.room_latest(r);
                RoomView {
                    id: r.stored.id.clone(),
                    name: r.stored.name.to_string(),
                    unread: r.unread,
                    online: self.proven_peers(&r.stored.id).len(),
                    last,
                    since,
                }
            })
            .collect();
        crate::sorting::sort_by(&mut list, |a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        list
    }

    /// The room's latest text message as a preview, and when I joined it: one pass over
    /// the log.
    fn room_latest(&self, r: &Room) -> (Option<Preview>, u64) {
        let mut latest: Option<&RoomMessage> = None;
        let mut names: BTreeMap<&PeerId, &str> = BTreeMap::new();
        let mut since = None;
        for m in r.log.messages() {
            match m.kind {
                Kind::Text => {
                    if latest.is_none_or(|l| m.order(l).is_gt()) {
                        latest = Some(m);
                    }
                }
                Kind::Join => {
                    names.insert(&m.author, &m.text);
                    if m.author == self.my_id && since.is_none() {
                        since = Some(m.ts);
                    }
                }
                Kind::Leave => {}
            }
        }
        let preview = latest.map(|m| Preview {
            text: preview_text(&m.text),
            at: m.ts,
            mine: m.author == self.my_id,
            author: Some(
                names
                    .get(&m.author)
                    .map_or_else(|| m.author.to_string(), |n| (*n).to_string()),
            ),
        });
        (preview, since.unwrap_or(0))
    }

    /// A member's name in `room`, from its latest join (or its id).
    fn member_name(&self, room: &RoomId, member: &PeerId) -> String {
        self.rooms
            .get(room)
            .and_then(|r| {
                r.log
                    .messages()
                    .iter()
                    .rev()
                    .find(|m| m.kind == Kind::Join && m.author == *member)
            })
            .map_or_else(|| member.to_string(), |m| m.text.clone())
    }

    pub(super) fn member_views(&self) -> Vec<MemberView> {
        let Open::Room(room) = &self.open else {
            return Vec::new();
        };
        let Some(r) = self.rooms.get(room) else {
            return Vec::new();
        };
        let online = self.proven_peers(room);
        r.log
            .members()
            .into_iter()
            .filter(|m| m.present)
            .map(|m| MemberView {
                online: m.id == self.my_id || online.contains(&m.id),
                me: m.id == self.my_id,
                id: m.id,
                name: m.name,
            })
            .collect()
    }

    pub(super) fn receipt_vectors(&self) -> Vec<Vector> {
        let Open::Room(room) = &self.open else {
            return Vec::new();
        };
        let Some(r) = self.rooms.get(room) else {
            return Vec::new();
        };
        let mut out: Vec<Vector> = self
            .links
            .values()
            .filter_map(|l| l.rooms.get(room).filter(|s| s.proven))
            .map(|s| s.vector.clone())
            .collect();
        out.push(r.log.vector().clone());
        out
    }

    /// The invitation for `room`: its secret, and me and up to three members online now
    /// to dial first.
    pub(super) fn invite_for(&self, room: &RoomId) -> Option<Invite> {
        let r = self.rooms.get(room).filter(|r| !r.stored.left)?;
        let mut via = vec![self.my_id.clone()];
        via.extend(self.proven_peers(room).into_iter().take(3));
        Some(Invite {
            room: room.clone(),
            secret: r.secret(),
            name: r.stored.name.clone(),
            via,
        })
    }
}
