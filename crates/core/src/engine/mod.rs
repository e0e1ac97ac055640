//! The chat engine: every decision of Peerchat's chat, as a state machine without I/O.
//!
//! It never reads a clock, a socket, storage or a random source while deciding. The edge
//! (the browser, or the simulator) feeds it [`Input`]s with the time, drains the
//! [`Effect`]s that follow with [`Engine::poll_effect`], and arms one timer for
//! [`Engine::poll_timeout`]. Randomness (nonces, message ids, room secrets, jitter) comes
//! from a ChaCha20 stream seeded once, and every collection that a decision iterates is
//! ordered, so a run replays exactly from its inputs and seed.
//!
//! A write to storage is an effect whose result comes back as [`Input::Stored`] before any
//! other input (the engine holds other inputs back until it does), so "acknowledged" always
//! means "stored", and nothing is shown or passed on before it is stored.
//!
//! The pieces: [`links`] (dial, answer, glare, the handshake, teardown), [`contacts`]
//! (contacts, message requests, blocks, whom to dial), [`direct`] (one-to-one messages,
//! acks, catch-up), [`rooms`] (membership proofs, pushes, catch-up from one member at a
//! time), [`store`] (what is read at start, damage kept aside, storage full).

mod contacts;
mod direct;
mod effect;
mod input;
mod links;
mod rooms;
mod store;
mod timers;
mod view;

pub use effect::{Effect, LinkCommand, Notice};
pub use input::{Input, Intent, LinkEvent, LinkId, ServerId, StoreError};
pub use store::Snapshot;
pub use view::{
    Arrival, ChatItem, ConnectionView, ContactView, Delivery, DeliveryState, MemberView,
    PREVIEW_CHARS, Preview, RequestView, RoomView, Target, ViewChange, chat_list, path_label,
    preview_text, receipt_label,
};

/// How long the page may hold what an input changes on screen while the `ack` of a
/// message just sent is on its way ([`Effect::AckSoon`]): less than a frame, so nobody
/// sees it, and on a fast network (a LAN, this machine) the `ack` comes within it.
pub const ACK_SOON_MS: u64 = 4;

use crate::frame::Frame;
use crate::identity::{Identity, PeerId};
use crate::name::DisplayName;
use crate::room::RoomId;
use contacts::People;
use direct::Conversation;
use links::Link;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use rooms::Room;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use store::{AfterWrite, Store};
use timers::{Timer, Timers};

/// What is open on the screen.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Open {
    Nothing,
    Peer(PeerId),
    Room(RoomId),
}

/// Parts of the view to send again at the end of the input being handled.
#[derive(Default)]
struct Dirty {
    contacts: bool,
    requests: bool,
    rooms: bool,
    members: bool,
    receipts: bool,
    delivery: bool,
}

/// The chat engine. See the module documentation.
pub struct Engine {
    me: Identity,
    my_id: PeerId,
    name: Option<DisplayName>,
    rng: ChaCha20Rng,
    now: u64,
    effects: VecDeque<Effect>,
    timers: Timers,
    store: Store,
    people: People,
    conversations: BTreeMap<PeerId, Conversation>,
    links: BTreeMap<LinkId, Link>,
    next_link: LinkId,
    /// Candidates that arrived before their offer: (server, peer, connection id,
    /// candidate).
    early_candidates: VecDeque<(ServerId, PeerId, String, serde_json::Value)>,
    rooms: BTreeMap<RoomId, Room>,
    /// The signaling servers that have us registered now.
    servers: std::collections::BTreeSet<ServerId>,
    /// Servers that carried a connection whose peer failed to prove who it is, per peer:
    /// dials to that peer avoid them while another server is up.
    suspect: BTreeMap<PeerId, std::collections::BTreeSet<ServerId>>,
    /// The next dial to that peer goes through this server alone: the last one got two
    /// different answers, and the second one's server is tried next.
    prefer: BTreeMap<PeerId, ServerId>,
    visible: bool,
    open: Open,
    dirty: Dirty,
    /// Inputs held back while a write's result is awaited.
    deferred: VecDeque<Input>,
    /// What the stored record of the open conversation says.
    remembered: Option<crate::history::LastOpen>,
    /// Contacts told about already this page's life as unreachable (no network path):
    /// said once, not at every redial.
    told_unreachable: BTreeSet<PeerId>,
    /// Conversations whose deletion is being written: their history before it, put back
    /// if a write is refused.
    uncleared: BTreeMap<PeerId, crate::history::History>,
}

impl Engine {
    /// An engine for `identity` (display name `name`, if chosen), starting from what the
    /// edge found in storage under `peerchat/v1/`. `seed` must be 32 random bytes (from
    /// `crypto.getRandomValues` in a browser). Drain [`Engine::poll_effect`] afterwards:
    /// loading may keep damaged values aside and tells the person so.
    pub fn new(
        identity: Identity,
        name: Option<DisplayName>,
        snapshot: Snapshot,
        now: u64,
        seed: [u8; 32],
    ) -> Self {
        let my_id = identity.peer_id().clone();
        let mut engine = Engine {
            me: identity,
            my_id,
            name,
            rng: ChaCha20Rng::from_seed(seed),
            now,
            effects: VecDeque::new(),
            timers: Timers::default(),
            store: Store::new(snapshot),
            people: People::default(),
            conversations: BTreeMap::new(),
            links: BTreeMap::new(),
            next_link: 1,
            early_candidates: VecDeque::new(),
            rooms: BTreeMap::new(),
            servers: Default::default(),
            suspect: BTreeMap::new(),
            prefer: BTreeMap::new(),
            visible: true,
            open: Open::Nothing,
            dirty: Dirty::default(),
            deferred: VecDeque::new(),
            remembered: None,
            told_unreachable: BTreeSet::new(),
            uncleared: BTreeMap::new(),
        };
        engine.load();
        engine.reopen();
        engine.dirty.contacts = true;
        engine.dirty.requests = true;
        engine.dirty.rooms = true;
        engine.flush_view();
        engine
    }

    /// This engine's peer id.
    pub fn peer_id(&self) -> &PeerId {
        &self.my_id
    }

    /// Handles one input at time `now` (ms since the Unix epoch; never goes backwards for
    /// the engine: an earlier time counts as the last one seen).
    pub fn handle(&mut self, now: u64, input: Input) {
        self.now = self.now.max(now);
        if let Input::Stored { token, result } = input {
            self.on_stored(token, result);
        } else if self.store.awaiting() {
            self.deferred.push_back(input);
            return;
        } else {
            self.dispatch(input);
        }
        while !self.store.awaiting() {
            let Some(next) = self.deferred.pop_front() else {
                break;
            };
            self.dispatch(next);
        }
        self.flush_view();
    }

    /// The next effect to carry out, in order.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// When to send [`Input::Tick`] next.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.timers.next()
    }

    /// The verified connection with `peer`, if there is one (for its details panel).
    pub fn connection(&self, peer: &PeerId) -> Option<ConnectionView> {
        let link = self.verified_link(peer)?;
        let l = self.links.get(&link)?;
        let key = l.verified.as_ref()?.key;
        Some(ConnectionView {
            link,
            since: l.verified_at,
            dialed: l.outgoing,
            key: crate::codec::BASE64.encode(key.as_bytes()),
            server: l.via.first().copied(),
        })
    }

    /// The invitation to `room`, if I am in it.
    pub fn room_invite(&self, room: &RoomId) -> Option<crate::room::invite::Invite> {
        self.invite_for(room)
    }

    /// Checks the engine's own consistency, for tests and the simulator: one verified
    /// link per peer, room state only on verified links and for rooms I am in, requests
    /// apart from contacts and blocks, limits kept, counters in order. Empty when sound.
    pub fn audit(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut verified = std::collections::BTreeSet::new();
        let mut pending = std::collections::BTreeSet::new();
        for (id, l) in &self.links {
            let set = if l.is_verified() {
                &mut verified
            } else {
                &mut pending
            };
            if !set.insert(l.peer.clone()) {
                out.push(format!(
                    "two {} links with {}",
                    if l.is_verified() {
                        "verified"
                    } else {
                        "pending"
                    },
                    l.peer
                ));
            }
            if !l.is_verified() && !l.rooms.is_empty() {
                out.push(format!("room state on unverified link {id}"));
            }
            for room in l.rooms.keys() {
                if self.rooms.get(room).is_none_or(|r| !r.active()) {
                    out.push(format!("link {id} holds state of room {room} I am not in"));
                }
            }
            if self.people.blocked.contains(&l.peer) {
                out.push(format!("link {id} with blocked {}", l.peer));
            }
        }
        if self.links.len() > contacts::MAX_LINKS + 1 {
            out.push(format!("{} links open", self.links.len()));
        }
        for peer in self.people.requests.keys() {
            if self.people.is_contact(peer) || self.people.blocked.contains(peer) {
                out.push(format!("{peer} is a request and a contact or blocked"));
            }
        }
        if self.people.requests.len() > contacts::MAX_REQUESTS {
            out.push(format!("{} requests", self.people.requests.len()));
        }
        for (peer, c) in &self.conversations {
            if c.counters.acked >= c.counters.next_seq {
                out.push(format!(
                    "with {peer}: acked {} of {}",
                    c.counters.acked,
                    c.counters.next_seq - 1
                ));
            }
        }
        for (id, r) in &self.rooms {
            if let Some(link) = r.want_link()
                && !self
                    .links
                    .get(&link)
                    .is_some_and(|l| l.rooms.get(id).is_some_and(|s| s.proven))
            {
                out.push(format!(
                    "room {id} waits on link {link}, which is not proven for it"
                ));
            }
        }
        if !self.store.awaiting() && !self.deferred.is_empty() {
            out.push("inputs held back with no write awaited".into());
        }
        out
    }

    fn dispatch(&mut self, input: Input) {
        match input {
            Input::SignalingUp(server) => {
                self.servers.insert(server);
                self.restart_waiting();
                self.plan();
            }
            Input::SignalingDown(server) => {
                self.servers.remove(&server);
            }
            Input::Signal { server, message } => self.on_signal(server, message),
            Input::Link { link, event } => self.on_link_event(link, event),
            Input::Stored { token, result } => self.on_stored(token, result),
            Input::Tick => self.on_tick(),
            Input::Visible(visible) => {
                self.visible = visible;
                if visible {
                    self.mark_open_read();
                }
            }
            Input::PageHidden => {
                self.servers.clear();
                self.close_all("page hidden");
            }
            Input::Intent(intent) => self.on_intent(intent),
        }
    }

    fn on_intent(&mut self, intent: Intent) {
        match intent {
            Intent::SetName(name) => self.set_name(name),
            Intent::AddContact(peer) => self.add_contact(peer),
            Intent::Open(peer) => self.open_peer(peer),
            Intent::Send { peer, text } => self.compose(&peer, text),
            Intent::Accept(peer) => self.accept(&peer),
            Intent::Decline(peer) => self.decline(&peer),
            Intent::Block(peer) => self.block(&peer),
            Intent::CreateRoom(name) => self.create_room(name),
            Intent::JoinRoom(invite) => self.join_room(invite),
            Intent::OpenRoom(room) => self.open_room(room),
            Intent::RoomSend { room, text } => self.room_compose_text(&room, text),
            Intent::LeaveRoom(room) => self.leave_room(&room),
            Intent::RemoveContact(peer) => self.remove_contact(&peer),
            Intent::DeleteMessages(peer) => self.delete_messages(&peer),
        }
        self.remember_open();
    }

    fn on_tick(&mut self) {
        while let Some(timer) = self.timers.pop_due(self.now) {
            match timer {
                Timer::Connect(link) => self.on_connect_timeout(link),
                Timer::Grace(link) => self.close_link(link, "connection lost"),
                Timer::Plan => self.plan(),
                Timer::RoomHave(room) => self.broadcast_have(&room),
                Timer::Want(room) => self.want_timed_out(&room),
                Timer::Catchup(room) => self.request_missing(&room),
                Timer::Storage => self.storage_retry(),
            }
        }
    }

    fn on_stored(&mut self, token: u64, result: Result<(), StoreError>) {
        let Some(write) = self.store.take_pending(token) else {
            return;
        };
        match result {
            Ok(()) => {
                if self.store.mark_ok(&write) {
                    self.notice(Notice::StorageBack);
                    self.resume_receiving();
                }
                self.after_write_ok(write.after);
            }
            Err(error) => {
                if self.store.mark_failed(error, self.now, &write) {
                    self.notice(Notice::StorageFull);
                }
                if let Some(at) = self.store.retry_at() {
                    self.timers.set(Timer::Storage, at);
                }
                self.after_write_failed(write.after);
            }
        }
    }

    /// Asks for a write; `after` says what to do with the result. A key protected after
    /// damage is never written: that counts as a failed write at once.
    fn write(&mut self, key: String, value: String, after: AfterWrite) {
        if self.store.is_protected(&key) {
            self.after_write_failed(after);
            return;
        }
        let token = self.store.expect(after, &key, &value);
        self.effects.push_back(Effect::Write { token, key, value });
    }

    /// Removes a stored value. A damaged value that could not be kept aside goes too (the
    /// person deleted what held it), so the key is no longer protected: a conversation
    /// started again later writes its first segment there.
    fn remove(&mut self, key: String) {
        self.store.removed(&key);
        self.effects.push_back(Effect::Remove { key });
    }

    /// 32 fresh random bytes.
    fn random32(&mut self) -> [u8; 32] {
        let mut out = [0; 32];
        self.rng.fill_bytes(&mut out);
        out
    }

    /// A fresh message id: 16 base32 characters from 10 random bytes.
    fn message_id(&mut self) -> String {
        let mut bytes = [0; 10];
        self.rng.fill_bytes(&mut bytes);
        crate::codec::base32_lower(&bytes)
    }

    /// A uniform value in [0, 1), for backoff jitter.
    fn jitter(&mut self) -> f64 {
        f64::from(self.rng.next_u32()) / (f64::from(u32::MAX) + 1.0)
    }

    fn notice(&mut self, notice: Notice) {
        self.effects.push_back(Effect::Notice(notice));
    }

    fn refuse(&mut self, why: impl Into<String>) {
        self.effects.push_back(Effect::Refused(why.into()));
    }

    fn log(&mut self, line: String) {
        self.effects.push_back(Effect::Log(line));
    }

    fn mark(&mut self, name: String) {
        self.effects.push_back(Effect::Mark(name));
    }

    /// Sends a frame on a link.
    fn send(&mut self, link: LinkId, frame: &Frame) {
        if let Some(l) = self.links.get_mut(&link) {
            l.last_active = self.now;
            self.effects.push_back(Effect::Link {
                link,
                command: crate::engine::LinkCommand::Send(frame.encode()),
            });
        }
    }

    /// Sends the parts of the view that changed.
    fn flush_view(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        if dirty.contacts {
            let list = self.contact_views();
            self.effects
                .push_back(Effect::View(ViewChange::Contacts(list)));
        }
        if dirty.requests {
            let list = self.request_views();
            self.effects
                .push_back(Effect::View(ViewChange::Requests(list)));
        }
        if dirty.rooms {
            let list = self.room_views();
            self.effects
                .push_back(Effect::View(ViewChange::Rooms(list)));
        }
        if dirty.members {
            let list = self.member_views();
            self.effects
                .push_back(Effect::View(ViewChange::Members(list)));
        }
        if dirty.members || dirty.receipts {
            let list = self.receipt_vectors();
            self.effects
                .push_back(Effect::View(ViewChange::Receipts(list)));
        }
        if dirty.delivery
            && let Open::Peer(peer) = self.open.clone()
        {
            let delivery = self.delivery(&peer);
            self.effects
                .push_back(Effect::View(ViewChange::Delivery(delivery)));
        }
    }

    /// Saves what is open (a contact's conversation or a room; a message request is not
    /// kept) when it changed, so a reload opens it again.
    fn remember_open(&mut self) {
        let (peer, room) = match &self.open {
            Open::Peer(p) if self.people.is_contact(p) => (Some(p.clone()), None),
            Open::Room(r) => (None, Some(r.clone())),
            _ => (None, None),
        };
        let record = crate::history::LastOpen::new(peer, room);
        if self.remembered.as_ref() == Some(&record) || self.store.is_full() {
            return;
        }
        self.remembered = Some(record.clone());
        self.write(
            crate::history::OPEN_KEY.into(),
            crate::storage::encode(&record),
            AfterWrite::Nothing,
        );
    }

    /// Whether the person sees `open` now.
    fn reading(&self, open: &Open) -> bool {
        self.visible && self.open == *open
    }

    fn mark_open_read(&mut self) {
        match self.open.clone() {
            Open::Peer(peer) => self.mark_read(&peer),
            Open::Room(room) => self.mark_room_read(&room),
            Open::Nothing => {}
        }
    }
}

// The engine's behaviour across peers, faults and restarts is tested in `crates/sim`
// (scenarios and a seed sweep); its parts (frames, handshake, logs, counters, storage) have
// unit tests in their own modules.
