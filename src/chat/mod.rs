//! The chat engine: the one place where signaling messages, WebRTC events, timers and the
//! person's intents change chat state. Adapters (`rtc`, `signaling_client`) only report
//! events here; components only read [`ChatView`] and call the intent methods.
//!
//! Events are queued and handled one at a time, so a callback that fires while an event is
//! being handled (a signaling send that reports a status change, say) never re-enters.

mod conversation;
mod links;
mod messages;
mod rooms;
pub mod view;

use crate::rtc::RtcEvent;
use crate::store;
use conversation::Conversation;
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use links::Link;
use peerchat_core::chat::text;
use peerchat_core::history::{Contact, Contacts};
use peerchat_core::ice::IceServer;
use peerchat_core::identity::{Identity, PeerId};
use peerchat_core::name::DisplayName;
use peerchat_core::room::RoomId;
use peerchat_core::room::invite::Invite;
use peerchat_core::signaling::{ClientMessage, ServerMessage};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};
pub use view::{ChatView, ContactView};

/// What the chat engine needs from the rest of the page.
pub struct Ports {
    /// Sends a frame through the signaling server (dropped while offline).
    pub signal: Rc<dyn Fn(ClientMessage)>,
    /// Shows a notice to the person.
    pub notify: Rc<dyn Fn(String)>,
    /// The person's current display name.
    pub my_name: Rc<dyn Fn() -> Option<DisplayName>>,
}

/// Something that happened, for the engine to apply.
pub enum ChatEvent {
    /// A relayed message from the signaling server.
    Signal(ServerMessage),
    /// The signaling connection is (again) registered: dial everyone not connected.
    SignalingOnline,
    /// The signaling connection is down: open channels stay, new dials wait.
    SignalingOffline,
    /// A WebRTC event of the connection `conn` with `peer`.
    Rtc {
        /// The peer.
        peer: PeerId,
        /// The connection id.
        conn: String,
        /// What happened.
        event: RtcEvent,
    },
    /// An asynchronous WebRTC step finished.
    Negotiated {
        /// The peer.
        peer: PeerId,
        /// The connection id.
        conn: String,
        /// What finished.
        step: links::Step,
    },
    /// A connection stayed disconnected past its grace period.
    ConnectionLost {
        /// The peer.
        peer: PeerId,
        /// The connection id.
        conn: String,
    },
    /// The page is being hidden or unloaded: close every connection.
    PageHidden,
    /// A connection did not verify in time.
    ConnectTimeout {
        /// The peer.
        peer: PeerId,
        /// The connection id.
        conn: String,
    },
    /// Time to dial `peer` again.
    Redial(PeerId),
    /// Intent: add a contact and open the conversation.
    AddContact(PeerId),
    /// Intent: open (or close, with `None`) a conversation.
    Open(Option<PeerId>),
    /// Intent: send a (cleaned) text.
    Send(PeerId, String),
    /// The page became visible: the open conversation is being read.
    Visible,
    /// Intent: create a room with this name and open it.
    CreateRoom(DisplayName),
    /// Intent: join a room from an invitation.
    JoinRoom(Invite),
    /// Intent: open (or close) a room.
    OpenRoom(Option<RoomId>),
    /// Intent: write a (cleaned) text in a room.
    RoomSend(RoomId, String),
    /// Intent: leave a room.
    LeaveRoom(RoomId),
    /// Time to tell room peers what I hold.
    RoomHaveTimer(RoomId),
    /// New ICE servers, for connections made from now on.
    SetIce(Vec<IceServer>),
}

/// Handle to the engine. Cheap to clone.
#[derive(Clone)]
pub struct ChatEngine {
    shared: Rc<Shared>,
}

struct Shared {
    chat: RefCell<Chat>,
    queue: RefCell<VecDeque<ChatEvent>>,
    busy: Cell<bool>,
}

/// A contact with its page-only state.
struct ContactState {
    contact: Contact,
    unread_stored: u32,
    redial_attempts: u32,
    redial: Option<Timeout>,
    warned: bool,
}

/// The engine's state.
struct Chat {
    me: Rc<Identity>,
    ports: Ports,
    view: ChatView,
    ice: Vec<IceServer>,
    contacts: Vec<ContactState>,
    conversations: HashMap<PeerId, Conversation>,
    links: HashMap<PeerId, Link>,
    /// Candidates that arrived before their offer: (peer, connection id, candidate).
    early_candidates: VecDeque<(PeerId, String, serde_json::Value)>,
    signaling_online: bool,
    rooms: HashMap<RoomId, rooms::RoomState>,
    weak: Weak<Shared>,
}

impl ChatEngine {
    /// Loads contacts and starts the engine. Damaged stored contacts are kept aside and
    /// reported through `ports.notify`.
    pub fn new(me: Rc<Identity>, ports: Ports, view: ChatView, ice: Vec<IceServer>) -> Self {
        let loaded = store::load::<Contacts>("contact list");
        if let Some(notice) = loaded.notice {
            (ports.notify)(notice);
        }
        let contacts = loaded
            .value
            .map(|c| c.list)
            .unwrap_or_default()
            .into_iter()
            .map(|contact| ContactState {
                unread_stored: Conversation::stored_unread(&contact.id),
                contact,
                redial_attempts: 0,
                redial: None,
                warned: false,
            })
            .collect();
        let rooms = rooms::load_rooms(&*ports.notify);
        let shared = Rc::new_cyclic(|weak| Shared {
            chat: RefCell::new(Chat {
                me,
                ports,
                view,
                ice,
                contacts,
                conversations: HashMap::new(),
                links: HashMap::new(),
                early_candidates: VecDeque::new(),
                signaling_online: false,
                rooms,
                weak: weak.clone(),
            }),
            queue: RefCell::new(VecDeque::new()),
            busy: Cell::new(false),
        });
        shared.chat.borrow().publish_contacts();
        shared.chat.borrow().publish_rooms();
        ChatEngine { shared }
    }

    /// Applies an event (queued if one is being applied).
    pub fn dispatch(&self, event: ChatEvent) {
        dispatch(&self.shared, event);
    }

    /// Intent: add the contact with this id (typed or pasted) and open the conversation.
    pub fn add_contact(&self, text: &str) -> Result<(), String> {
        let id = PeerId::parse(text).map_err(|e| e.to_string())?;
        if id == *self.shared.chat.borrow().me.peer_id() {
            return Err("That is your own ID. Paste your friend's ID.".into());
        }
        self.dispatch(ChatEvent::AddContact(id));
        Ok(())
    }

    /// Intent: create a room named `name` (a display name's rules).
    pub fn create_room(&self, name: &str) -> Result<(), String> {
        let name = DisplayName::parse(name).map_err(|e| {
            e.to_string()
                .replace("Names", "Room names")
                .replace("a name", "a room name")
        })?;
        self.dispatch(ChatEvent::CreateRoom(name));
        Ok(())
    }

    /// Intent: write `text` in room `id`.
    pub fn room_send(&self, id: &RoomId, text: &str) -> Result<(), String> {
        let text = text::clean(text).map_err(|e| e.to_string())?;
        self.dispatch(ChatEvent::RoomSend(id.clone(), text));
        Ok(())
    }

    /// The invitation fragment for room `id` (without `#`).
    pub fn room_invite(&self, id: &RoomId) -> Option<String> {
        self.shared.chat.try_borrow().ok()?.room_invite(id)
    }

    /// Intent: send `text` to `peer`.
    pub fn send(&self, peer: &PeerId, text: &str) -> Result<(), String> {
        let text = text::clean(text).map_err(|e| e.to_string())?;
        self.dispatch(ChatEvent::Send(peer.clone(), text));
        Ok(())
    }
}

fn dispatch(shared: &Rc<Shared>, event: ChatEvent) {
    shared.queue.borrow_mut().push_back(event);
    if shared.busy.replace(true) {
        return;
    }
    loop {
        let Some(event) = shared.queue.borrow_mut().pop_front() else {
            break;
        };
        shared.chat.borrow_mut().apply(event);
    }
    shared.busy.set(false);
}

impl Chat {
    fn apply(&mut self, event: ChatEvent) {
        match event {
            ChatEvent::Signal(message) => self.on_signal(message),
            ChatEvent::SignalingOnline => {
                self.signaling_online = true;
                let peers: Vec<PeerId> =
                    self.contacts.iter().map(|c| c.contact.id.clone()).collect();
                for peer in peers {
                    self.dial(&peer);
                }
                let rooms: Vec<RoomId> = self.rooms.keys().cloned().collect();
                for room in rooms {
                    self.dial_room(&room);
                }
            }
            ChatEvent::SignalingOffline => self.signaling_online = false,
            ChatEvent::Rtc { peer, conn, event } => self.on_rtc(&peer, &conn, event),
            ChatEvent::Negotiated { peer, conn, step } => self.on_negotiated(&peer, &conn, step),
            ChatEvent::ConnectionLost { peer, conn } => {
                if self.links.get(&peer).is_some_and(|l| l.conn == conn) {
                    self.drop_link(&peer, "connection lost");
                }
            }
            ChatEvent::PageHidden => {
                self.signaling_online = false;
                self.close_all();
            }
            ChatEvent::ConnectTimeout { peer, conn } => {
                if self
                    .links
                    .get(&peer)
                    .is_some_and(|l| l.conn == conn && !l.verified)
                {
                    self.drop_link(&peer, "timed out");
                }
            }
            ChatEvent::Redial(peer) => {
                if let Some(c) = self.contact_mut(&peer) {
                    c.redial = None;
                }
                self.dial(&peer);
            }
            ChatEvent::AddContact(peer) => {
                self.ensure_contact(&peer, None);
                self.open(Some(peer.clone()));
                if let Some(c) = self.contact_mut(&peer) {
                    c.redial_attempts = 0;
                }
                self.dial(&peer);
            }
            ChatEvent::Open(peer) => self.open(peer),
            ChatEvent::Send(peer, text) => self.compose(&peer, text),
            ChatEvent::SetIce(ice) => self.ice = ice,
            ChatEvent::CreateRoom(name) => self.create_room(name),
            ChatEvent::JoinRoom(invite) => self.join_room(invite),
            ChatEvent::OpenRoom(id) => self.open_room(id),
            ChatEvent::RoomSend(id, text) => {
                self.room_compose(&id, peerchat_core::room::message::Kind::Text, text)
            }
            ChatEvent::LeaveRoom(id) => self.leave_room(&id),
            ChatEvent::RoomHaveTimer(id) => self.broadcast_have(&id),
            ChatEvent::Visible => {
                if let Some(peer) = self.view.active.get_untracked() {
                    self.mark_read(&peer);
                }
                if let Some(id) = self.view.active_room.get_untracked() {
                    self.mark_room_read(&id);
                }
            }
        }
    }

    fn contact_mut(&mut self, peer: &PeerId) -> Option<&mut ContactState> {
        self.contacts.iter_mut().find(|c| c.contact.id == *peer)
    }

    /// Adds `peer` to the contacts if missing; returns whether it was added.
    fn ensure_contact(&mut self, peer: &PeerId, name: Option<DisplayName>) -> bool {
        if self.contact_mut(peer).is_some()
            || self.contacts.len() >= peerchat_core::history::MAX_CONTACTS
        {
            return false;
        }
        self.contacts.push(ContactState {
            contact: Contact {
                id: peer.clone(),
                name,
                key: None,
            },
            unread_stored: 0,
            redial_attempts: 0,
            redial: None,
            warned: false,
        });
        self.save_contacts();
        self.publish_contacts();
        true
    }

    fn save_contacts(&self) {
        let list = self.contacts.iter().map(|c| c.contact.clone()).collect();
        if let Err(e) = store::save(&Contacts::new(list)) {
            (self.ports.notify)(format!(
                "Your contact list could not be saved. {}",
                e.describe()
            ));
        }
    }

    /// Writes the contact list signal from the engine's state.
    fn publish_contacts(&self) {
        let views = self
            .contacts
            .iter()
            .map(|c| ContactView {
                id: c.contact.id.clone(),
                name: c.contact.name.as_ref().map(ToString::to_string),
                online: self.links.get(&c.contact.id).is_some_and(|l| l.verified),
                unread: self
                    .conversations
                    .get(&c.contact.id)
                    .map_or(c.unread_stored, |conv| conv.unread),
            })
            .collect();
        self.view.contacts.try_set(views);
    }

    /// The conversation with `peer`, loaded on first use.
    fn conversation(&mut self, peer: &PeerId) -> &mut Conversation {
        if !self.conversations.contains_key(peer) {
            let (conv, notices) = Conversation::load(self.me.peer_id(), peer);
            for notice in notices {
                (self.ports.notify)(notice);
            }
            self.conversations.insert(peer.clone(), conv);
        }
        self.conversations.get_mut(peer).expect("inserted above")
    }

    /// Makes `peer` the open conversation (or none) and publishes its messages.
    fn open(&mut self, peer: Option<PeerId>) {
        if peer.is_some() {
            self.view.active_room.try_set(None);
        }
        self.view.active.try_set(peer.clone());
        let Some(peer) = peer else {
            self.view.messages.try_set(Vec::new());
            return;
        };
        let conv = self.conversation(&peer);
        let mut messages = conv.history.messages.clone();
        messages.sort_by(|a, b| a.order(b));
        let acked = conv.counters.acked;
        let sent = self
            .links
            .get(&peer)
            .filter(|l| l.verified)
            .map_or(0, |l| l.sent_upto);
        self.view.messages.try_set(messages);
        self.view.acked.try_set(acked);
        self.view.sent.try_set(sent);
        self.mark_read(&peer);
    }

    /// The open conversation is being read: clear its unread count.
    fn mark_read(&mut self, peer: &PeerId) {
        if !page_visible() {
            return;
        }
        let conv = self.conversation(peer);
        if conv.unread > 0 {
            conv.unread = 0;
            conv.save_meta(peer);
            self.publish_contacts();
        }
    }

    fn schedule_redial(&mut self, peer: &PeerId) {
        let weak = self.weak.clone();
        let Some(contact) = self.contact_mut(peer) else {
            return;
        };
        let attempt = contact.redial_attempts;
        contact.redial_attempts = attempt.saturating_add(1);
        let jitter = f64::from(crate::random::bytes::<1>()[0]) / 256.0;
        let ms = peerchat_core::backoff::delay_with(
            peerchat_core::backoff::DIAL_BASE_MS,
            peerchat_core::backoff::DIAL_CAP_MS,
            attempt,
            jitter,
        );
        let peer = peer.clone();
        contact.redial = Some(Timeout::new(ms, move || {
            if let Some(shared) = weak.upgrade() {
                dispatch(&shared, ChatEvent::Redial(peer));
            }
        }));
    }
}

/// Records a User Timing mark (`performance.mark`), which the benchmark script reads to
/// time connections and round trips from outside without touching the UI.
fn mark(name: &str) {
    if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
        perf.mark(name).ok();
    }
}

/// Whether the person can see the page now.
fn page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}
