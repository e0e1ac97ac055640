//! Rooms in the chat engine: membership proofs on verified links, the mesh, signed messages
//! passed on to whoever lacks them, catch-up by version vectors, receipts.

use super::links::send_frame;
use super::{Chat, ChatEvent, dispatch};
use crate::store;
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use peerchat_core::chat::handshake::Binding;
use peerchat_core::chat::limits::Verdict;
use peerchat_core::chat::wire::{Bytes32, Frame};
use peerchat_core::identity::PeerId;
use peerchat_core::name::DisplayName;
use peerchat_core::room::invite::Invite;
use peerchat_core::room::log::{Insert, RoomLog, Vector};
use peerchat_core::room::message::{Kind, RoomMessage};
use peerchat_core::room::{
    RoomId, RoomMeta, RoomSecret, Rooms, StoredRoom, log_prefix, meta_key, proof,
};
use peerchat_core::segments::SegmentLog;
use peerchat_core::storage::{self, Loaded};
use std::collections::{HashMap, HashSet};

/// Most messages sent in answer to one `room-have`. The receiver asks again (its debounced
/// `room-have`) once it has stored them, which paces a long catch-up to what it can take
/// and keeps it inside the per-connection frame limits.
const ROOM_BATCH: usize = 200;
/// Delay before telling room peers what I hold after new messages (coalesces bursts).
const HAVE_DEBOUNCE_MS: u32 = 300;

/// A room's state in the page.
pub struct RoomState {
    /// What is stored about the room.
    pub stored: StoredRoom,
    /// Its messages.
    pub log: RoomLog,
    seg: SegmentLog<RoomMessage>,
    /// Peers proven to know the secret on their current link.
    pub authed: HashSet<PeerId>,
    /// The last vector each member told us (for receipts and what to pass on).
    pub vectors: HashMap<PeerId, Vector>,
    /// Peers I sent my `room-join` to on their current link.
    joined_sent: HashSet<PeerId>,
    /// Unseen messages.
    pub unread: u32,
    have_timer: Option<Timeout>,
}

impl RoomState {
    /// Stores the unread count. Failure only costs a stale badge after a reload, so it is
    /// not reported.
    fn save_meta(&self) {
        let meta = RoomMeta::new(self.unread);
        store::write_raw(&meta_key(&self.stored.id), &storage::encode(&meta)).ok();
    }

    /// The room is being read: clear its unread count.
    fn mark_read(&mut self) {
        if self.unread != 0 {
            self.unread = 0;
            self.save_meta();
        }
    }

    fn secret(&self) -> RoomSecret {
        RoomSecret(self.stored.secret.0)
    }

    /// Present members other than me, and the invitation's members to dial.
    fn peers_to_dial(&self, me: &PeerId) -> Vec<PeerId> {
        let mut out: Vec<PeerId> = self
            .log
            .members()
            .into_iter()
            .filter(|m| m.present)
            .map(|m| m.id)
            .collect();
        out.extend(self.stored.via.iter().cloned());
        out.retain(|p| p != me);
        out.sort();
        out.dedup();
        out
    }
}

/// Loads the stored rooms, reporting damage through `notify`.
pub fn load_rooms(notify: &dyn Fn(String)) -> HashMap<RoomId, RoomState> {
    let loaded = store::load::<Rooms>("room list");
    notify_opt(notify, loaded.notice);
    let mut rooms = HashMap::new();
    for stored in loaded.value.map(|r| r.list).unwrap_or_default() {
        let id = stored.id.clone();
        let (seg, items, damaged) =
            SegmentLog::load(log_prefix(&id), store::read_raw, |m: &RoomMessage| {
                m.room == id
            });
        for d in damaged {
            notify(store::keep_aside(
                &d.key,
                &d.raw,
                "room history",
                &d.error.to_string(),
            ));
        }
        let mut log = RoomLog::new(id.clone());
        for m in items {
            // Verification happens here; an invalid stored message is simply not loaded.
            log.insert(m);
        }
        let meta_key = meta_key(&id);
        let unread = match storage::load::<RoomMeta>(store::read_raw(&meta_key).as_deref()) {
            Loaded::Ok(meta) => meta.unread,
            Loaded::Missing => 0,
            Loaded::Damaged { raw, error } => {
                notify(store::keep_aside(
                    &meta_key,
                    &raw,
                    "room state",
                    &error.to_string(),
                ));
                0
            }
        };
        rooms.insert(
            id,
            RoomState {
                stored,
                log,
                seg,
                authed: HashSet::new(),
                vectors: HashMap::new(),
                joined_sent: HashSet::new(),
                unread,
                have_timer: None,
            },
        );
    }
    rooms
}

fn notify_opt(notify: &dyn Fn(String), text: Option<String>) {
    if let Some(text) = text {
        notify(text);
    }
}

impl Chat {
    fn save_rooms(&self) {
        let list = self.rooms.values().map(|r| r.stored.clone()).collect();
        if let Err(e) = store::save(&Rooms::new(list)) {
            (self.ports.notify)(format!(
                "Your room list could not be saved. {}",
                e.describe()
            ));
        }
    }

    /// Intent: create a room and open it.
    pub(super) fn create_room(&mut self, name: DisplayName) {
        let id = RoomId::from_random(&crate::random::bytes::<16>());
        let secret = Bytes32(crate::random::bytes::<32>());
        self.enter_room(StoredRoom {
            id,
            name,
            secret,
            via: Vec::new(),
            left: false,
        });
    }

    /// Intent: join a room from an invitation.
    pub(super) fn join_room(&mut self, invite: Invite) {
        if self.rooms.get(&invite.room).is_some_and(|r| !r.stored.left) {
            return self.open_room(Some(invite.room));
        }
        self.enter_room(StoredRoom {
            id: invite.room,
            name: invite.name,
            secret: Bytes32(invite.secret.0),
            via: invite.via,
            left: false,
        });
    }

    fn enter_room(&mut self, stored: StoredRoom) {
        let id = stored.id.clone();
        let existing = self.rooms.remove(&id);
        let mut state = existing.unwrap_or_else(|| RoomState {
            seg: SegmentLog::new(log_prefix(&id)),
            log: RoomLog::new(id.clone()),
            stored: stored.clone(),
            authed: HashSet::new(),
            vectors: HashMap::new(),
            joined_sent: HashSet::new(),
            unread: 0,
            have_timer: None,
        });
        state.stored = StoredRoom {
            left: false,
            ..stored
        };
        self.rooms.insert(id.clone(), state);
        self.save_rooms();
        // My join is my first message in the room (a rejoin after leaving is a new join).
        let me_present = self.rooms[&id]
            .log
            .members()
            .iter()
            .any(|m| m.id == *self.me.peer_id() && m.present);
        if !me_present && let Some(name) = (self.ports.my_name)() {
            self.room_compose(&id, Kind::Join, name.to_string());
        }
        self.open_room(Some(id.clone()));
        self.dial_room(&id);
    }

    /// Dials every member of the room that is not connected.
    pub(super) fn dial_room(&mut self, id: &RoomId) {
        let Some(room) = self.rooms.get(id).filter(|r| !r.stored.left) else {
            return;
        };
        let peers = room.peers_to_dial(self.me.peer_id());
        for peer in peers {
            self.ensure_contact(&peer, None);
            if let Some(link) = self.links.get(&peer).filter(|l| l.verified) {
                // Already connected: just prove membership for this room.
                let binding = link.binding.clone();
                if let Some(binding) = binding {
                    self.send_room_join(id, &peer, &binding);
                }
            } else {
                self.dial(&peer);
            }
        }
    }

    /// A link verified: prove membership for every room the peer may share with me.
    pub(super) fn rooms_on_verified(&mut self, peer: &PeerId, binding: &Binding) {
        let ids: Vec<RoomId> = self
            .rooms
            .iter()
            .filter(|(_, r)| !r.stored.left && r.peers_to_dial(self.me.peer_id()).contains(peer))
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            self.send_room_join(&id, peer, binding);
        }
    }

    /// A link closed: the peer is no longer in any room's mesh.
    pub(super) fn rooms_on_link_closed(&mut self, peer: &PeerId) {
        let mut changed = false;
        for room in self.rooms.values_mut() {
            changed |= room.authed.remove(peer);
            room.joined_sent.remove(peer);
        }
        if changed {
            self.publish_rooms();
        }
    }

    fn send_room_join(&mut self, id: &RoomId, peer: &PeerId, binding: &Binding) {
        let Some(room) = self.rooms.get_mut(id) else {
            return;
        };
        if !room.joined_sent.insert(peer.clone()) {
            return;
        }
        let p = proof::prove(&room.secret(), id, binding);
        if let Some(link) = self.links.get(peer) {
            send_frame(
                link,
                &Frame::RoomJoin {
                    room: id.clone(),
                    proof: Bytes32(p),
                },
            );
        }
    }

    /// A room frame from a verified peer.
    pub(super) fn on_room_frame(&mut self, peer: &PeerId, frame: Frame) {
        let Some(binding) = self.links.get(peer).and_then(|l| l.binding.clone()) else {
            return;
        };
        match frame {
            Frame::RoomJoin { room, proof: p } | Frame::RoomWelcome { room, proof: p } => {
                let is_join = self.rooms.get(&room).is_some_and(|r| !r.stored.left)
                    && proof::check(&self.rooms[&room].secret(), &room, &binding, &p.0);
                if !is_join {
                    // Wrong secret or a room I am not in: answer nothing at all, so the
                    // sender learns nothing about the room.
                    return self.count_invalid(peer);
                }
                let state = self.rooms.get_mut(&room).expect("checked above");
                let new = state.authed.insert(peer.clone());
                let answered = state.joined_sent.contains(peer);
                if !answered {
                    state.joined_sent.insert(peer.clone());
                    let mine = proof::prove(&state.secret(), &room, &binding);
                    if let Some(link) = self.links.get(peer) {
                        send_frame(
                            link,
                            &Frame::RoomWelcome {
                                room: room.clone(),
                                proof: Bytes32(mine),
                            },
                        );
                    }
                }
                if new {
                    let have = self.rooms[&room].log.vector().clone();
                    if let Some(link) = self.links.get(peer) {
                        send_frame(
                            link,
                            &Frame::RoomHave {
                                room: room.clone(),
                                have,
                            },
                        );
                    }
                    self.publish_rooms();
                }
            }
            Frame::RoomHave { room, have } => {
                let Some(state) = self
                    .rooms
                    .get_mut(&room)
                    .filter(|r| r.authed.contains(peer))
                else {
                    return self.count_invalid(peer);
                };
                let missing: Vec<RoomMessage> = state
                    .log
                    .missing_for(&have)
                    .into_iter()
                    .take(ROOM_BATCH)
                    .cloned()
                    .collect();
                state.vectors.insert(peer.clone(), have);
                if let Some(link) = self.links.get(peer) {
                    for m in &missing {
                        send_frame(link, &Frame::RoomMsg { m: m.clone() });
                    }
                }
                if let Some(state) = self.rooms.get_mut(&room) {
                    let v = state.vectors.entry(peer.clone()).or_default();
                    for m in &missing {
                        bump(v, m);
                    }
                }
                self.publish_room_receipts(&room);
            }
            Frame::RoomMsg { m } => self.on_room_message(peer, m),
            _ => {}
        }
    }

    fn count_invalid(&mut self, peer: &PeerId) {
        if let Some(link) = self.links.get_mut(peer)
            && link.limiter.on_invalid() == Verdict::Disconnect
        {
            self.drop_link(peer, "invalid room frames");
        }
    }

    fn on_room_message(&mut self, from: &PeerId, m: RoomMessage) {
        let room_id = m.room.clone();
        let Some(state) = self
            .rooms
            .get_mut(&room_id)
            .filter(|r| r.authed.contains(from))
        else {
            return self.count_invalid(from);
        };
        match state.log.insert(m.clone()) {
            Insert::New => {
                bump(state.vectors.entry(from.clone()).or_default(), &m);
                self.after_new_room_message(&room_id, m, Some(from));
            }
            Insert::Duplicate => bump(state.vectors.entry(from.clone()).or_default(), &m),
            Insert::Gap => {
                let have = state.log.vector().clone();
                if let Some(link) = self.links.get(from) {
                    send_frame(
                        link,
                        &Frame::RoomHave {
                            room: room_id,
                            have,
                        },
                    );
                }
            }
            Insert::Invalid(error) => {
                web_sys::console::warn_1(
                    &format!("Peerchat: refused a room message relayed by {from}: {error}").into(),
                );
                self.count_invalid(from);
            }
        }
    }

    /// Stores, shows and passes on a message new to my log.
    fn after_new_room_message(&mut self, id: &RoomId, m: RoomMessage, from: Option<&PeerId>) {
        let me = self.me.peer_id().clone();
        let active =
            self.view.active_room.get_untracked().as_ref() == Some(id) && super::page_visible();
        let state = self.rooms.get_mut(id).expect("caller checked");
        let (key, text) = state.seg.append(&m);
        if let Err(e) = store::write_raw(&key, &text) {
            state.seg.undo_append();
            (self.ports.notify)(format!(
                "A room message could not be saved; it will be fetched again later. {}",
                e.describe()
            ));
        }
        if m.author != me && m.kind == Kind::Text && !active {
            state.unread = state.unread.saturating_add(1);
            state.save_meta();
        }
        // Pass it on to every member who may lack it.
        let targets: Vec<PeerId> = state
            .authed
            .iter()
            .filter(|p| {
                Some(*p) != from
                    && state
                        .vectors
                        .get(*p)
                        .and_then(|v| v.get(&m.author))
                        .copied()
                        .unwrap_or(0)
                        < m.seq
            })
            .cloned()
            .collect();
        for p in &targets {
            if let Some(link) = self.links.get(p) {
                send_frame(link, &Frame::RoomMsg { m: m.clone() });
            }
            if let Some(state) = self.rooms.get_mut(id) {
                bump(state.vectors.entry(p.clone()).or_default(), &m);
            }
        }
        let membership = m.kind != Kind::Text;
        if self.view.active_room.get_untracked().as_ref() == Some(id) {
            self.view.room_messages.try_update(|list| {
                let at = list.partition_point(|x| x.order(&m).is_lt());
                list.insert(at, m.clone());
            });
        }
        self.schedule_have(id);
        self.publish_rooms();
        if membership {
            // Someone joined: connect to them too (the mesh).
            self.dial_room(id);
        }
    }

    /// Tells every room peer what I hold, once a burst of new messages has settled.
    fn schedule_have(&mut self, id: &RoomId) {
        let weak = self.weak.clone();
        let Some(state) = self.rooms.get_mut(id) else {
            return;
        };
        if state.have_timer.is_some() {
            return;
        }
        let room = id.clone();
        state.have_timer = Some(Timeout::new(HAVE_DEBOUNCE_MS, move || {
            if let Some(shared) = weak.upgrade() {
                dispatch(&shared, ChatEvent::RoomHaveTimer(room));
            }
        }));
    }

    pub(super) fn broadcast_have(&mut self, id: &RoomId) {
        let Some(state) = self.rooms.get_mut(id) else {
            return;
        };
        state.have_timer = None;
        let have = state.log.vector().clone();
        for p in &state.authed {
            if let Some(link) = self.links.get(p) {
                send_frame(
                    link,
                    &Frame::RoomHave {
                        room: id.clone(),
                        have: have.clone(),
                    },
                );
            }
        }
    }

    /// Intent: write in a room.
    pub(super) fn room_compose(&mut self, id: &RoomId, kind: Kind, text: String) {
        let msg_id = data_encoding::BASE32_NOPAD
            .encode(&crate::random::bytes::<10>())
            .to_ascii_lowercase();
        let Some(state) = self.rooms.get_mut(id) else {
            return;
        };
        let m = state
            .log
            .compose(&self.me, msg_id, js_sys::Date::now() as u64, kind, text);
        self.after_new_room_message(id, m, None);
    }

    /// Intent: leave a room (history is kept; members are told).
    pub(super) fn leave_room(&mut self, id: &RoomId) {
        if let Some(name) = (self.ports.my_name)() {
            self.room_compose(id, Kind::Leave, name.to_string());
        }
        if let Some(state) = self.rooms.get_mut(id) {
            state.stored.left = true;
            state.authed.clear();
        }
        self.save_rooms();
        self.open_room(None);
        self.publish_rooms();
    }

    /// Opens a room (or none).
    pub(super) fn open_room(&mut self, id: Option<RoomId>) {
        if id.is_some() {
            self.view.active.try_set(None);
        }
        self.view.active_room.try_set(id.clone());
        let messages = id
            .as_ref()
            .and_then(|id| self.rooms.get_mut(id))
            .map(|state| {
                state.mark_read();
                state.log.ordered().into_iter().cloned().collect()
            })
            .unwrap_or_default();
        self.view.room_messages.try_set(messages);
        self.publish_rooms();
    }

    /// The page became visible with room `id` open: its messages are seen now.
    pub(super) fn mark_room_read(&mut self, id: &RoomId) {
        if let Some(state) = self.rooms.get_mut(id)
            && state.unread != 0
        {
            state.mark_read();
            self.publish_rooms();
        }
    }

    /// Writes the rooms list, members and receipts signals.
    pub(super) fn publish_rooms(&self) {
        use super::view::{MemberView, RoomView};
        let me = self.me.peer_id();
        let mut list: Vec<RoomView> = self
            .rooms
            .values()
            .filter(|r| !r.stored.left)
            .map(|r| RoomView {
                id: r.stored.id.clone(),
                name: r.stored.name.to_string(),
                unread: r.unread,
                online: r.authed.len(),
            })
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        self.view.rooms.try_set(list);
        if let Some(state) = self
            .view
            .active_room
            .get_untracked()
            .and_then(|id| self.rooms.get(&id))
        {
            let members = state
                .log
                .members()
                .into_iter()
                .filter(|m| m.present)
                .map(|m| MemberView {
                    online: m.id == *me || state.authed.contains(&m.id),
                    me: m.id == *me,
                    id: m.id,
                    name: m.name,
                })
                .collect();
            self.view.room_members.try_set(members);
            self.publish_room_receipts(&state.stored.id.clone());
        }
    }

    fn publish_room_receipts(&self, id: &RoomId) {
        if self.view.active_room.get_untracked().as_ref() != Some(id) {
            return;
        }
        if let Some(state) = self.rooms.get(id) {
            let mut vectors: Vec<Vector> = state.vectors.values().cloned().collect();
            vectors.push(state.log.vector().clone());
            self.view.room_vectors.try_set(vectors);
        }
    }

    /// The invitation link text for a room (fragment only).
    pub(super) fn room_invite(&self, id: &RoomId) -> Option<String> {
        let state = self.rooms.get(id)?;
        let mut via: Vec<PeerId> = vec![self.me.peer_id().clone()];
        via.extend(state.authed.iter().take(3).cloned());
        let invite = Invite {
            room: id.clone(),
            secret: state.secret(),
            name: state.stored.name.clone(),
            via,
        };
        Some(invite.to_fragment())
    }
}

/// Records that the holder of `v` now has `m`.
fn bump(v: &mut Vector, m: &RoomMessage) {
    let e = v.entry(m.author.clone()).or_insert(0);
    if m.seq == *e + 1 {
        *e = m.seq;
    }
}
