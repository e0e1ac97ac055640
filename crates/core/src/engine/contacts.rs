//! Whom the person knows: contacts (pinned keys, names they told us), message requests
//! from people who are not contacts, and the block list; and, from those, whom to dial.
//!
//! Nothing personal reaches a stranger and nothing from a stranger is kept or redialed
//! before the person agrees: a peer who is not a contact can connect, verify and send, but
//! its messages are only held in memory (not stored, not acknowledged) in a request, it is
//! never dialed, gets neither my name nor my messages, and is not shown online. Accepting
//! makes it a contact (it then sends its messages again and they are stored); declining
//! forgets the request for this session; blocking refuses its offers for good.
//!
//! Dialing is paced and bounded: the open conversation first, then contacts with messages
//! waiting to go out, room members, and the most recently active contacts; at most
//! [`MAX_DIALING`] dials at once and [`MAX_LINKS`] links in all, closing links nobody needs
//! when the room is needed for someone who is.

use super::direct::Conversation;
use super::store::{AfterWrite, Resave};
use super::view::{ContactView, Preview, RequestView};
use super::{Engine, Notice, Open};
use crate::conversation::Message;
use crate::history::{
    BLOCKED_KEY, Blocked, CONTACTS_KEY, ChatMeta, Contact, Contacts, MAX_BLOCKED, MAX_CONTACTS,
    meta_key,
};
use crate::identity::PeerId;
use crate::name::DisplayName;
use crate::storage;
use std::collections::{BTreeMap, BTreeSet};

/// Most links open at once (Chromium refuses more than about 500 peer connections per
/// page; a room mesh of 20 needs 19).
pub(super) const MAX_LINKS: usize = 48;
/// Most of my dials in progress at once.
pub(super) const MAX_DIALING: usize = 6;
/// Most links with peers who are neither contacts nor room members.
pub(super) const MAX_STRANGER_LINKS: usize = 8;
/// Contacts kept connected for presence when nothing else asks for them.
pub(super) const KEEP_CONNECTED: usize = 16;
/// Most message requests held at once.
pub(super) const MAX_REQUESTS: usize = 50;
/// Most messages held per request.
pub(super) const MAX_REQUEST_MESSAGES: usize = 50;
/// A stranger's link idle this long may be closed for another stranger's.
const STRANGER_IDLE_MS: u64 = 5_000;

/// A contact and what the engine keeps about it.
pub(super) struct Person {
    pub contact: Contact,
    /// Order of addition, for the list.
    pub order: u64,
    /// The conversation's meta record, kept current (the conversation itself is loaded
    /// only when used).
    pub meta: ChatMeta,
    /// Warned about a failed handshake since the last verified link.
    pub warned: bool,
}

/// A message request: held in memory only.
pub(super) struct Request {
    pub name: Option<DisplayName>,
    /// Their messages 1..=n, in order, held until the person decides.
    pub messages: Vec<Message>,
    pub since: u64,
}

/// Redial pacing for one peer.
#[derive(Default)]
pub(super) struct Backoff {
    pub attempts: u32,
    pub retry_at: u64,
}

/// Contacts, requests, blocks and dial pacing.
#[derive(Default)]
pub(super) struct People {
    contacts: BTreeMap<PeerId, Person>,
    next_order: u64,
    pub requests: BTreeMap<PeerId, Request>,
    pub blocked: BTreeSet<PeerId>,
    /// Declined this session: their offers are ignored until the page reloads.
    pub declined: BTreeSet<PeerId>,
    pub backoff: BTreeMap<PeerId, Backoff>,
    told_requests_full: bool,
}

impl People {
    pub fn insert_contact(&mut self, contact: Contact) -> bool {
        if self.contacts.contains_key(&contact.id) || self.contacts.len() >= MAX_CONTACTS {
            return false;
        }
        self.next_order += 1;
        self.contacts.insert(
            contact.id.clone(),
            Person {
                contact,
                order: self.next_order,
                meta: ChatMeta::default(),
                warned: false,
            },
        );
        true
    }

    pub fn is_contact(&self, peer: &PeerId) -> bool {
        self.contacts.contains_key(peer)
    }

    pub fn contact(&self, peer: &PeerId) -> Option<&Person> {
        self.contacts.get(peer)
    }

    pub fn contact_mut(&mut self, peer: &PeerId) -> Option<&mut Person> {
        self.contacts.get_mut(peer)
    }

    pub fn contact_ids(&self) -> Vec<PeerId> {
        self.contacts.keys().cloned().collect()
    }

    /// `peer` for a sentence: "Bob (pc-…)" when it told us a name, else its id.
    pub fn describe(&self, peer: &PeerId) -> String {
        let label = self.label(peer);
        if label == peer.as_str() {
            label
        } else {
            format!("{label} ({peer})")
        }
    }

    /// The name to show for `peer`: the name it told us, or its id.
    pub fn label(&self, peer: &PeerId) -> String {
        self.contacts
            .get(peer)
            .and_then(|p| p.contact.name.as_ref())
            .or_else(|| self.requests.get(peer).and_then(|r| r.name.as_ref()))
            .map_or_else(|| peer.to_string(), ToString::to_string)
    }
}

impl Engine {
    /// Reads a contact's conversation meta record (unread count, last activity, what is
    /// delivered) without loading its messages.
    pub(super) fn load_meta(&mut self, peer: &PeerId) {
        let meta = self
            .load_value::<ChatMeta>(
                &meta_key(peer),
                &format!("conversation state with {peer}"),
                Resave::ChatMeta(peer.clone()),
            )
            .unwrap_or_default();
        if let Some(person) = self.people.contact_mut(peer) {
            person.meta = meta;
        }
    }

    /// Writes a contact's meta record (best effort: it only costs a stale badge or a
    /// resend after a reload).
    pub(super) fn save_meta(&mut self, peer: &PeerId) {
        if self.store.is_full() {
            return;
        }
        let Some(person) = self.people.contact(peer) else {
            return;
        };
        let m = &person.meta;
        let text = storage::encode(m);
        self.write(meta_key(peer), text, AfterWrite::Nothing);
    }

    pub(super) fn save_contacts(&mut self) {
        if self.store.defer(Resave::Contacts) {
            return;
        }
        let mut list: Vec<&super::contacts::Person> = self.people.contacts.values().collect();
        crate::sorting::sort_by_key(&mut list, |p| p.order);
        let record = Contacts::new(list.into_iter().map(|p| p.contact.clone()).collect());
        self.write(
            CONTACTS_KEY.into(),
            storage::encode(&record),
            AfterWrite::Record("contact list"),
        );
    }

    pub(super) fn save_blocked(&mut self) {
        if self.store.defer(Resave::Blocked) {
            return;
        }
        let record = Blocked::new(self.people.blocked.iter().cloned().collect());
        self.write(
            BLOCKED_KEY.into(),
            storage::encode(&record),
            AfterWrite::Record("block list"),
        );
    }

    /// Intent: a new display name.
    pub(super) fn set_name(&mut self, name: DisplayName) {
        if self.name.as_ref() == Some(&name) {
            return;
        }
        self.name = Some(name);
        let links: Vec<(super::LinkId, PeerId)> = self
            .verified_links()
            .into_iter()
            .filter(|(_, peer)| self.people.is_contact(peer))
            .collect();
        for (link, _) in links {
            self.send_name(link);
        }
    }

    /// Intent: add a contact (typed, or from an invite link) and open its conversation.
    pub(super) fn add_contact(&mut self, peer: PeerId) {
        if peer == self.my_id {
            return self.refuse("That is your own ID. Paste your friend's ID.");
        }
        if self.people.requests.contains_key(&peer) {
            return self.accept(&peer);
        }
        if self.people.blocked.remove(&peer) {
            self.save_blocked();
        }
        self.people.declined.remove(&peer);
        if !self.people.is_contact(&peer) {
            if !self.make_contact(&peer, None) {
                return;
            }
            // A link already verified with them (a room member, say) now carries chat.
            if let Some(link) = self.verified_link(&peer) {
                self.greet(link);
            }
        }
        self.people.backoff.remove(&peer);
        self.open_peer(Some(peer));
        self.plan();
    }

    /// Adds `peer` as a contact and saves the list. False when the list is full.
    fn make_contact(&mut self, peer: &PeerId, name: Option<DisplayName>) -> bool {
        let added = self.people.insert_contact(Contact {
            id: peer.clone(),
            name,
            key: None,
        });
        if !added {
            self.refuse(Notice::ContactsFull.text());
            return false;
        }
        self.load_meta(peer);
        self.save_contacts();
        self.dirty.contacts = true;
        true
    }

    /// Intent: accept a message request. The peer becomes a contact; the messages it had
    /// sent come again on its link (as for any contact, from what is stored) and are
    /// stored and acknowledged then.
    pub(super) fn accept(&mut self, peer: &PeerId) {
        let Some(request) = self.people.requests.remove(peer) else {
            return;
        };
        self.dirty.requests = true;
        if !self.make_contact(peer, request.name.clone()) {
            self.people.requests.insert(peer.clone(), request);
            return;
        }
        if let Some(link) = self.verified_link(peer) {
            self.greet(link);
        }
        if self.open == Open::Peer(peer.clone()) {
            self.open_peer(Some(peer.clone()));
        }
        self.plan();
    }

    /// Intent: decline a request: forget it and its messages, close its links, and ignore
    /// its offers until this page is reloaded.
    pub(super) fn decline(&mut self, peer: &PeerId) {
        if self.people.requests.remove(peer).is_none() {
            return;
        }
        self.people.declined.insert(peer.clone());
        self.dirty.requests = true;
        self.close_peer(peer, "request declined");
        if self.open == Open::Peer(peer.clone()) {
            self.open_peer(None);
        }
    }

    /// Intent: remove a contact and its conversation from this browser. Its link closes
    /// (unless a room needs it), and for the rest of this session it gets silence, as a
    /// declined request does; after a reload, a message from it is a request again. It
    /// keeps its own copy of the conversation.
    pub(super) fn remove_contact(&mut self, peer: &PeerId) {
        if !self.people.is_contact(peer) {
            return;
        }
        let mut keys = self
            .conversation(peer)
            .map(|c| c.history.segment_keys())
            .unwrap_or_default();
        keys.push(meta_key(peer));
        self.people.contacts.remove(peer);
        self.conversations.remove(peer);
        self.people.backoff.remove(peer);
        self.save_contacts();
        for key in keys {
            self.remove(key);
        }
        if !self.is_room_peer(peer) {
            self.people.declined.insert(peer.clone());
            self.close_peer(peer, "contact removed");
        } else {
            // The link stays for the rooms; what it knew of our conversation goes with
            // it. Added again, my messages go from the start, and the peer's copy of the
            // old numbering makes it say where to go on (a conflict, then `sync`).
            for l in self.links.values_mut().filter(|l| l.peer == *peer) {
                l.sent_upto = 0;
                l.peer_has = 0;
                l.asked_after = None;
            }
        }
        self.dirty.contacts = true;
        if self.open == Open::Peer(peer.clone()) {
            self.open_peer(None);
        }
        self.plan();
    }

    /// Intent: block a peer: its offers are refused, quietly, from now on. A blocked
    /// contact leaves the list; its stored conversation stays.
    pub(super) fn block(&mut self, peer: &PeerId) {
        if *peer == self.my_id {
            return;
        }
        if self.people.blocked.len() >= MAX_BLOCKED {
            return self.refuse("The block list is full.");
        }
        self.people.requests.remove(peer);
        self.people.blocked.insert(peer.clone());
        if self.people.contacts.remove(peer).is_some() {
            self.conversations.remove(peer);
            self.save_contacts();
        }
        self.save_blocked();
        self.close_peer(peer, "blocked");
        self.dirty.requests = true;
        self.dirty.contacts = true;
        if self.open == Open::Peer(peer.clone()) {
            self.open_peer(None);
        }
    }

    /// A message from someone who is not a contact: hold it in their request (in memory
    /// only, never acknowledged). Returns false when it cannot be held.
    pub(super) fn hold_request_message(&mut self, peer: &PeerId, message: Message) {
        if !self.people.requests.contains_key(peer) && !self.open_request(peer) {
            return;
        }
        let Some(request) = self.people.requests.get_mut(peer) else {
            return;
        };
        let next = request.messages.len() as u64 + 1;
        if message.seq != next || request.messages.len() >= MAX_REQUEST_MESSAGES {
            return;
        }
        if request.messages.iter().any(|m| m.id == message.id) {
            return;
        }
        request.messages.push(message.clone());
        self.dirty.requests = true;
        if self.open == Open::Peer(peer.clone()) {
            self.effects
                .push_back(super::Effect::View(super::ViewChange::Message(message)));
        }
    }

    /// A stranger's name (told because we are their contact).
    pub(super) fn request_name(&mut self, peer: &PeerId, name: DisplayName) {
        if !self.people.requests.contains_key(peer) && !self.open_request(peer) {
            return;
        }
        if let Some(request) = self.people.requests.get_mut(peer) {
            request.name = Some(name);
            self.dirty.requests = true;
        }
    }

    /// Opens a request for `peer`; false when the list is full, or when the person
    /// declined or removed `peer` this session (heard only for rooms' sake).
    fn open_request(&mut self, peer: &PeerId) -> bool {
        if self.people.declined.contains(peer) {
            return false;
        }
        if self.people.requests.len() >= MAX_REQUESTS {
            if !std::mem::replace(&mut self.people.told_requests_full, true) {
                self.notice(Notice::RequestsFull);
            }
            return false;
        }
        self.people.requests.insert(
            peer.clone(),
            Request {
                name: None,
                messages: Vec::new(),
                since: self.now,
            },
        );
        self.dirty.requests = true;
        true
    }

    /// Whether an offer from `peer` may be answered now (closing an idle link for it if
    /// needed). Blocked and declined peers, and strangers beyond the limits, get silence.
    pub(super) fn admit_offer(&mut self, peer: &PeerId) -> bool {
        // A declined peer (or a removed contact) is heard for the sake of a room: it may be
        // a member, or joining one of mine through me (its join cannot reach me before it
        // connects). Whatever it says outside rooms is ignored (`open_request`).
        let in_a_room = self.rooms.values().any(|r| r.active());
        if self.people.blocked.contains(peer)
            || (self.people.declined.contains(peer) && !self.is_room_peer(peer) && !in_a_room)
        {
            return false;
        }
        let known = self.people.is_contact(peer) || self.is_room_peer(peer);
        if !known {
            if self.people.requests.len() >= MAX_REQUESTS
                && !self.people.requests.contains_key(peer)
            {
                if !std::mem::replace(&mut self.people.told_requests_full, true) {
                    self.notice(Notice::RequestsFull);
                }
                return false;
            }
            if self.stranger_links() >= MAX_STRANGER_LINKS && !self.evict_idle_stranger() {
                return false;
            }
        }
        self.links.len() < MAX_LINKS || self.evict_unneeded()
    }

    fn stranger_links(&self) -> usize {
        self.links
            .values()
            .filter(|l| !self.people.is_contact(&l.peer) && !self.is_room_peer(&l.peer))
            .count()
    }

    fn evict_idle_stranger(&mut self) -> bool {
        let victim = self
            .links
            .iter()
            .filter(|(_, l)| {
                !self.people.is_contact(&l.peer)
                    && !self.is_room_peer(&l.peer)
                    && self.now.saturating_sub(l.last_active) >= STRANGER_IDLE_MS
            })
            .min_by_key(|(id, l)| (l.last_active, **id))
            .map(|(id, _)| *id);
        match victim {
            Some(link) => {
                self.close_link(link, "idle, for another stranger");
                true
            }
            None => false,
        }
    }

    /// Closes the least recently used link nobody needs now. False when there is none.
    fn evict_unneeded(&mut self) -> bool {
        let wanted: BTreeSet<PeerId> = crate::sorting::set(self.wanted());
        let victim = self
            .links
            .iter()
            .filter(|(_, l)| !wanted.contains(&l.peer) && !self.is_open_peer(&l.peer))
            .min_by_key(|(id, l)| (l.last_active, **id))
            .map(|(id, _)| *id);
        let Some(link) = victim else {
            return false;
        };
        // Not `close_link`: it plans again, and a plan nested in the one that evicts
        // would dial the same peer a second time.
        if let Some(l) = self.drop_link(link, "idle, for a link needed now")
            && !self.links.values().any(|x| x.peer == l.peer)
        {
            self.back_off(&l.peer);
        }
        true
    }

    fn is_open_peer(&self, peer: &PeerId) -> bool {
        self.open == Open::Peer(peer.clone())
    }

    /// Everyone the engine wants a link with, most needed first.
    pub(super) fn wanted(&self) -> Vec<PeerId> {
        let mut out: Vec<PeerId> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut push = |p: &PeerId, out: &mut Vec<PeerId>| {
            if *p != self.my_id && !self.people.blocked.contains(p) && seen.insert(p.clone()) {
                out.push(p.clone());
            }
        };
        match &self.open {
            Open::Peer(p) if self.people.is_contact(p) => push(p, &mut out),
            Open::Room(r) => {
                for p in self.room_peers(r) {
                    push(&p, &mut out);
                }
            }
            _ => {}
        }
        for (id, person) in &self.people.contacts {
            if self.has_undelivered(id, person) {
                push(id, &mut out);
            }
        }
        let rooms: Vec<crate::room::RoomId> = self.rooms.keys().cloned().collect();
        for r in &rooms {
            for p in self.room_peers(r) {
                push(&p, &mut out);
            }
        }
        let mut recent: Vec<(&PeerId, &Person)> = self.people.contacts.iter().collect();
        crate::sorting::sort_by_key(&mut recent, |(id, p)| {
            (
                std::cmp::Reverse(p.meta.at),
                std::cmp::Reverse(p.order),
                (*id).clone(),
            )
        });
        for (id, _) in recent.into_iter().take(KEEP_CONNECTED) {
            push(id, &mut out);
        }
        out
    }

    fn has_undelivered(&self, peer: &PeerId, person: &Person) -> bool {
        match self.conversations.get(peer) {
            Some(c) => c.counters.acked + 1 < c.counters.next_seq,
            None => person.meta.last > person.meta.acked,
        }
    }

    /// Dials whoever is wanted and not connected, within the limits; arms the timer for
    /// the next redial.
    pub(super) fn plan(&mut self) {
        self.timers.cancel(&super::timers::Timer::Plan);
        if self.servers.is_empty() {
            return;
        }
        let mut dialing = self
            .links
            .values()
            .filter(|l| l.outgoing && !l.is_verified())
            .count();
        let mut next_retry: Option<u64> = None;
        for peer in self.wanted() {
            if self.links.values().any(|l| l.peer == peer) {
                continue;
            }
            let retry_at = self.people.backoff.get(&peer).map_or(0, |b| b.retry_at);
            if retry_at > self.now {
                next_retry = Some(next_retry.map_or(retry_at, |t: u64| t.min(retry_at)));
                continue;
            }
            if dialing >= MAX_DIALING {
                break;
            }
            if self.links.len() >= MAX_LINKS && !self.evict_unneeded() {
                break;
            }
            self.dial(&peer);
            dialing += 1;
        }
        if let Some(at) = next_retry {
            self.timers.set(super::timers::Timer::Plan, at);
        }
    }

    /// A dial to `peer` (or its link) failed or ended: wait before the next one.
    pub(super) fn back_off(&mut self, peer: &PeerId) {
        let jitter = self.jitter();
        let b = self.people.backoff.entry(peer.clone()).or_default();
        let delay = crate::backoff::delay_with(
            crate::backoff::DIAL_BASE_MS,
            crate::backoff::DIAL_CAP_MS,
            b.attempts,
            jitter,
        );
        b.attempts = b.attempts.saturating_add(1);
        b.retry_at = self.now + u64::from(delay);
    }

    pub(super) fn contact_views(&self) -> Vec<ContactView> {
        let mut list: Vec<&Person> = self.people.contacts.values().collect();
        crate::sorting::sort_by_key(&mut list, |p| p.order);
        list.into_iter()
            .map(|p| ContactView {
                id: p.contact.id.clone(),
                name: p.contact.name.as_ref().map(ToString::to_string),
                online: self.verified_link(&p.contact.id).is_some(),
                unread: p.meta.unread,
                last: p.meta.preview.as_ref().map(|text| Preview {
                    text: text.clone(),
                    at: p.meta.at,
                    mine: p.meta.mine,
                    author: None,
                }),
            })
            .collect()
    }

    pub(super) fn request_views(&self) -> Vec<RequestView> {
        let mut list: Vec<(&PeerId, &Request)> = self.people.requests.iter().collect();
        crate::sorting::sort_by_key(&mut list, |(id, r)| (r.since, (*id).clone()));
        list.into_iter()
            .map(|(id, r)| RequestView {
                id: id.clone(),
                name: r.name.as_ref().map(ToString::to_string),
                count: r.messages.len(),
            })
            .collect()
    }

    /// The loaded conversation with a contact (loading it on first use).
    pub(super) fn conversation(&mut self, peer: &PeerId) -> Option<&mut Conversation> {
        if !self.people.is_contact(peer) {
            return None;
        }
        if !self.conversations.contains_key(peer) {
            let conversation = self.load_conversation(peer);
            self.conversations.insert(peer.clone(), conversation);
        }
        self.conversations.get_mut(peer)
    }
}
