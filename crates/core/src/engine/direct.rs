//! One-to-one messages over a verified link: composing, receiving, acknowledging, and
//! catching up after either side was away or lost data.
//!
//! A message is stored before it is sent (mine) or acknowledged (theirs), so an `ack`
//! always means "stored". After verification each side says what it holds (`sync`) and the
//! other sends from there: nothing is lost, nothing is stored twice. If the peer holds more
//! of my messages than this browser remembers writing (a damaged segment and meta record
//! lost them), my unacknowledged messages are given numbers after what the peer holds and
//! sent again; the peer recognises any it already has by id.

use super::store::{AfterWrite, Resave};
use super::view::{Arrival, Delivery, Target, ViewChange, preview_text};
use super::{Effect, Engine, LinkId, Open};
use crate::conversation::{Counters, Message, Received, send_range};
use crate::frame::{Frame, WireMessage};
use crate::history::{History, meta_key, prefix};
use crate::identity::PeerId;
use crate::primitives::MAX_COUNTER;
use crate::storage;
use std::collections::BTreeMap;

/// A conversation loaded from storage.
pub(super) struct Conversation {
    pub history: History,
    pub counters: Counters,
    /// Their message numbered `floor` was deleted here and had this id (see
    /// [`crate::history::ChatMeta::floor_id`]).
    pub floor: (u64, Option<String>),
}

impl Conversation {
    /// The id of their message numbered `seq`, if held (or deleted here as the floor).
    fn their_id(&self, peer: &PeerId, seq: u64) -> Option<String> {
        their_id(&self.history, &self.floor, peer, seq)
    }
}

fn their_id(
    history: &History,
    floor: &(u64, Option<String>),
    peer: &PeerId,
    seq: u64,
) -> Option<String> {
    history
        .messages
        .iter()
        .rev()
        .find(|m| m.author == *peer && m.seq == seq)
        .map(|m| m.id.clone())
        .or_else(|| {
            (seq > 0 && seq == floor.0)
                .then(|| floor.1.clone())
                .flatten()
        })
}

impl Engine {
    /// Loads the conversation with `peer` from what storage held at start.
    pub(super) fn load_conversation(&mut self, peer: &PeerId) -> Conversation {
        let store = &self.store;
        let (history, damaged) = History::load(&self.my_id, peer, |k| store.peek(k).cloned());
        for key in self.store.keys_under(&format!("{}/", prefix(peer))) {
            if key
                .rsplit('/')
                .next()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            {
                self.store.take(&key);
            }
        }
        let label = self.people.label(peer);
        for d in damaged {
            let key = d.key.clone();
            self.keep_aside(
                &d.key,
                d.raw,
                &format!("messages with {label}"),
                &d.error.to_string(),
                Resave::EmptySegment(key),
            );
        }
        let meta = self
            .people
            .contact(peer)
            .map(|p| p.meta.clone())
            .unwrap_or_default();
        let mut counters =
            Counters::from_messages(&self.my_id, &history.messages, meta.acked, meta.last);
        counters.after_deletion(
            meta.floor,
            meta.clock,
            history
                .messages
                .iter()
                .filter(|m| m.author == *peer)
                .map(|m| m.seq),
        );
        Conversation {
            history,
            counters,
            floor: (meta.floor, meta.floor_id),
        }
    }

    /// Intent: send `text` to contact `peer`.
    pub(super) fn compose(&mut self, peer: &PeerId, text: String) {
        if !self.people.is_contact(peer) {
            return self.refuse("Accept the request first to write to this person.");
        }
        let id = self.message_id();
        let (me, now) = (self.my_id.clone(), self.now);
        let Some(conv) = self.conversation(peer) else {
            return;
        };
        if conv.counters.next_seq >= MAX_COUNTER {
            return self.refuse("This conversation cannot take more messages.");
        }
        let message = conv.counters.compose(&me, id, now, text);
        let seq = message.seq;
        let (key, value) = conv.history.append(message);
        self.write(
            key,
            value,
            AfterWrite::Composed {
                peer: peer.clone(),
                seq,
            },
        );
    }

    /// My message is stored: send it (before showing it), then show it.
    pub(super) fn composed_stored(&mut self, peer: &PeerId, seq: u64) {
        let now = self.now;
        let preview = self
            .conversations
            .get(peer)
            .and_then(|c| c.history.my_message(seq))
            .map(|m| preview_text(&m.text));
        if let Some(person) = self.people.contact_mut(peer) {
            person.meta.last = person.meta.last.max(seq);
            person.meta.at = now;
            person.meta.preview = preview;
            person.meta.mine = true;
        }
        self.dirty.contacts = true;
        self.save_meta(peer);
        self.mark(format!("peerchat:compose:{peer}:{seq}"));
        self.pump(peer);
        let (link, open) = (
            self.verified_link(peer),
            self.open == Open::Peer(peer.clone()),
        );
        // Sent now, to a friend connected now, and on screen: its `ack` may come before
        // the frame that would show it.
        let sent = link
            .and_then(|link| self.links.get(&link))
            .is_some_and(|l| l.synced && l.sent_upto >= seq);
        if sent && open {
            self.effects.push_back(Effect::AckSoon);
        }
        let message = self
            .conversations
            .get(peer)
            .and_then(|c| c.history.my_message(seq))
            .cloned();
        if let Some(message) = message
            && open
        {
            self.effects
                .push_back(Effect::View(ViewChange::Message(message)));
        }
        if link.is_none() {
            // Someone is writing to this contact: try now rather than at the next redial.
            self.people.backoff.remove(peer);
            self.plan();
        }
    }

    pub(super) fn composed_failed(&mut self, peer: &PeerId, seq: u64) {
        if let Some(conv) = self.conversations.get_mut(peer)
            && conv
                .history
                .messages
                .last()
                .is_some_and(|m| m.author == self.my_id && m.seq == seq)
        {
            conv.history.undo_append();
            conv.counters.next_seq = seq;
        }
        self.refuse(
            "Not sent: the message could not be saved (storage is full or disabled). Nothing already saved was lost.",
        );
    }

    /// A frame from a verified peer about one-to-one chat.
    pub(super) fn on_direct_frame(&mut self, link: LinkId, peer: &PeerId, frame: Frame) {
        let contact = self.people.is_contact(peer);
        match frame {
            Frame::Name { name } => {
                let Ok(name) = crate::name::DisplayName::parse(&name) else {
                    return;
                };
                if !contact {
                    return self.request_name(peer, name);
                }
                if let Some(person) = self.people.contact_mut(peer)
                    && person.contact.name.as_ref() != Some(&name)
                {
                    person.contact.name = Some(name);
                    self.save_contacts();
                    self.dirty.contacts = true;
                }
            }
            Frame::Msg(wire) if contact => self.receive(link, peer, wire),
            Frame::Msg(wire) => {
                let message = incoming(peer, wire);
                self.hold_request_message(peer, message);
            }
            Frame::Ack { upto } if contact => self.on_ack(link, peer, upto, false),
            Frame::Sync { have, last } if contact => self.on_sync(link, peer, have, last),
            Frame::Sync { .. } => {
                // Someone who is not my contact asks for my messages: I have none for them
                // until the person accepts; then they go from the start.
                if let Some(l) = self.links.get_mut(&link) {
                    l.synced = true;
                    l.sent_upto = 0;
                    l.peer_has = 0;
                }
            }
            _ => {}
        }
    }

    fn receive(&mut self, link: LinkId, peer: &PeerId, wire: WireMessage) {
        if self.store.is_full() {
            // Not stored, so not acknowledged: the sender keeps it and sends it again
            // when asked (after storage has room).
            return;
        }
        let Some(conv) = self.conversation(peer) else {
            return;
        };
        let (history, floor) = (&conv.history, &conv.floor);
        let held_id = |seq: u64| their_id(history, floor, peer, seq);
        let reply = match conv.counters.receive(peer, wire, held_id) {
            // A new number reusing a stored id: the number is taken (so the sender can go
            // on), the message is not stored twice.
            Received::New(m) if conv.history.contains_id(&m.id) => Frame::Ack {
                upto: conv.counters.have,
            },
            Received::New(m) => {
                let seq = m.seq;
                let (key, value) = conv.history.append(m);
                return self.write(
                    key,
                    value,
                    AfterWrite::Received {
                        peer: peer.clone(),
                        link,
                        seq,
                    },
                );
            }
            Received::Duplicate => Frame::Ack {
                upto: conv.counters.have,
            },
            // A number I hold with another id: the sender's numbering went wrong (it lost
            // its own history). Saying what I hold, with the id, makes it realign.
            Received::Gap | Received::Conflict => {
                let have = conv.counters.have;
                let reply = sync_frame(peer, conv);
                let Some(l) = self.links.get_mut(&link) else {
                    return;
                };
                if l.asked_after == Some(have) {
                    return;
                }
                l.asked_after = Some(have);
                reply
            }
        };
        self.send(link, &reply);
    }

    /// The peer's `sync`: it holds my messages up to `have`; `last` is the id of the one
    /// numbered `have` as it holds it. Another id there means my numbering diverged.
    fn on_sync(&mut self, link: LinkId, peer: &PeerId, have: u64, last: Option<String>) {
        let diverged = match (&last, self.conversation(peer)) {
            (Some(id), Some(conv)) => conv.history.my_message(have).is_some_and(|m| m.id != *id),
            _ => false,
        };
        if diverged {
            self.align_numbering(peer, have, true);
        }
        self.on_ack(link, peer, have, true);
    }

    /// Their message is stored: acknowledge it at once (before rendering), then show it.
    pub(super) fn received_stored(&mut self, peer: &PeerId, link: LinkId, seq: u64) {
        if self.links.get(&link).is_some_and(|l| l.is_verified()) {
            self.send(link, &Frame::Ack { upto: seq });
        }
        let reading = self.reading(&Open::Peer(peer.clone()));
        let now = self.now;
        let message = self.conversations.get(peer).and_then(|c| {
            c.history
                .messages
                .iter()
                .rev()
                .find(|m| m.author == *peer && m.seq == seq)
                .cloned()
        });
        if let Some(person) = self.people.contact_mut(peer) {
            person.meta.at = now;
            person.meta.preview = message.as_ref().map(|m| preview_text(&m.text));
            person.meta.mine = false;
            if !reading {
                person.meta.unread = person.meta.unread.saturating_add(1);
            }
        }
        self.save_meta(peer);
        self.dirty.contacts = true;
        if !reading && let Some(m) = &message {
            let from = self.people.label(peer);
            self.effects.push_back(Effect::Alert(Arrival {
                target: Target::Peer(peer.clone()),
                from,
                room: None,
                text: m.text.clone(),
            }));
        }
        if let Some(message) = message
            && self.open == Open::Peer(peer.clone())
        {
            self.effects
                .push_back(Effect::View(ViewChange::Message(message)));
        }
    }

    pub(super) fn received_failed(&mut self, peer: &PeerId, seq: u64) {
        if let Some(conv) = self.conversations.get_mut(peer)
            && conv
                .history
                .messages
                .last()
                .is_some_and(|m| m.author == *peer && m.seq == seq)
        {
            conv.history.undo_append();
            conv.counters.have = seq - 1;
        }
    }

    /// The peer holds my messages up to `upto` (`ack`), or says so after verifying
    /// (`sync`, which also asks me to send from there).
    fn on_ack(&mut self, link: LinkId, peer: &PeerId, upto: u64, sync: bool) {
        let Some(conv) = self.conversation(peer) else {
            return;
        };
        if sync || upto >= conv.counters.next_seq {
            self.align_numbering(peer, upto, false);
        }
        let Some(conv) = self.conversations.get_mut(peer) else {
            return;
        };
        if conv.counters.on_ack(upto) {
            let acked = conv.counters.acked;
            if let Some(person) = self.people.contact_mut(peer) {
                person.meta.acked = acked;
            }
            self.save_meta(peer);
            self.mark(format!("peerchat:acked:{peer}:{acked}"));
            if self.open == Open::Peer(peer.clone()) {
                self.dirty.delivery = true;
            }
        }
        let last = self
            .conversations
            .get(peer)
            .map_or(0, |c| c.counters.next_seq - 1);
        if let Some(l) = self.links.get_mut(&link) {
            if sync {
                // Send again from what they hold, even what they had acknowledged once:
                // they may have lost it.
                l.synced = true;
                l.sent_upto = upto.min(last);
                l.peer_has = upto.min(last);
            } else {
                l.peer_has = l.peer_has.max(upto.min(last));
            }
        }
        self.pump(peer);
    }

    /// Makes my numbering go on right after `held`, what the peer holds of mine, when this
    /// browser lost some of my messages (a damaged segment):
    /// - the peer holds more than I remember writing: my messages it has not acknowledged
    ///   get numbers after `held` (if it has one already, it knows it by id and does not
    ///   store it twice);
    /// - numbers after `held` were lost here before the peer got them: the messages I still
    ///   hold after them move down to close the hole, so the peer, which takes only the
    ///   next number, can take them.
    fn align_numbering(&mut self, peer: &PeerId, held: u64, diverged: bool) {
        let Some(conv) = self.conversations.get_mut(peer) else {
            return;
        };
        let behind = diverged || held >= conv.counters.next_seq;
        // My messages up to `base` stay where they are: the peer holds them under those
        // numbers. After a divergence even those after `held` may not be.
        let base = if diverged {
            conv.counters.acked.min(held)
        } else if behind {
            conv.counters.acked
        } else {
            held
        };
        let moving: Vec<u64> = conv.history.my_seqs().filter(|&s| s > base).collect();
        let renumber: BTreeMap<u64, u64> = crate::sorting::map(
            moving
                .iter()
                .zip(held + 1..)
                .filter(|(old, new)| *old != new)
                .map(|(&old, new)| (old, new)),
        );
        let Some(next) = held
            .checked_add(moving.len() as u64 + 1)
            .filter(|&n| n < MAX_COUNTER)
        else {
            return;
        };
        if renumber.is_empty() && !behind && next >= conv.counters.next_seq {
            return;
        }
        let old_next = conv.counters.next_seq;
        let writes = conv.history.renumber(&renumber);
        conv.counters.next_seq = next;
        if behind {
            conv.counters.acked = held;
        }
        conv.counters.acked = conv.counters.acked.min(next - 1);
        let acked = conv.counters.acked;
        if let Some(person) = self.people.contact_mut(peer) {
            person.meta.acked = acked;
            person.meta.last = next - 1;
        }
        self.log(format!(
            "Peerchat: {peer} holds {held} of my messages; this browser had numbered up to {}: {} renumbered after a local loss",
            old_next - 1,
            renumber.len()
        ));
        for (key, value) in writes {
            self.write(key, value, AfterWrite::Record("message history"));
        }
        self.save_meta(peer);
        if self.open == Open::Peer(peer.clone()) {
            self.open_peer(Some(peer.clone()));
        }
    }

    /// Sends my messages the peer lacks, within the window, on its verified link.
    pub(super) fn pump(&mut self, peer: &PeerId) {
        let Some(link) = self.verified_link(peer) else {
            return;
        };
        let Some(l) = self.links.get(&link).filter(|l| l.synced) else {
            return;
        };
        let (sent_upto, peer_has) = (l.sent_upto, l.peer_has);
        let Some(conv) = self.conversations.get(peer) else {
            return;
        };
        let frames: Vec<(u64, Frame)> = send_range(sent_upto, peer_has, conv.counters.next_seq - 1)
            .map_while(|seq| {
                conv.history
                    .my_message(seq)
                    .map(|m| (seq, Frame::Msg(m.to_wire())))
            })
            .collect();
        let Some(&(last, _)) = frames.last() else {
            return;
        };
        for (_, frame) in &frames {
            self.send(link, frame);
        }
        if let Some(l) = self.links.get_mut(&link) {
            l.sent_upto = last;
        }
        if self.open == Open::Peer(peer.clone()) {
            self.dirty.delivery = true;
        }
    }

    /// After verification, or when a verified peer becomes a contact: say what I hold of
    /// theirs (0 for someone who is not a contact, whose messages are only held) and, to a
    /// contact, my name.
    pub(super) fn greet(&mut self, link: LinkId) {
        let Some(peer) = self.links.get(&link).map(|l| l.peer.clone()) else {
            return;
        };
        let sync = self.conversation(&peer).map_or(
            Frame::Sync {
                have: 0,
                last: None,
            },
            |c| sync_frame(&peer, c),
        );
        self.send(link, &sync);
        if self.people.is_contact(&peer) {
            self.send_name(link);
            self.pump(&peer);
        }
    }

    pub(super) fn send_name(&mut self, link: LinkId) {
        if let Some(name) = self.name.as_ref().map(ToString::to_string) {
            self.send(link, &Frame::Name { name });
        }
    }

    /// Asks every verified contact to send again what I lack.
    pub(super) fn resync_conversations(&mut self) {
        for (link, peer) in self.verified_links() {
            if let Some(sync) = self.conversation(&peer).map(|c| sync_frame(&peer, c)) {
                self.send(link, &sync);
            }
        }
    }

    /// Intent: open a conversation or a request (or close it).
    pub(super) fn open_peer(&mut self, peer: Option<PeerId>) {
        let Some(peer) = peer else {
            self.open = Open::Nothing;
            return self.effects.push_back(Effect::View(ViewChange::Opened {
                peer: None,
                messages: Vec::new(),
                delivery: Delivery::default(),
                request: false,
            }));
        };
        let (messages, request) = if let Some(r) = self.people.requests.get(&peer) {
            (r.messages.clone(), true)
        } else if self.conversation(&peer).is_some() {
            // What is not stored yet is shown once it is (composed_stored, received_stored).
            let unstored: Vec<(bool, u64)> = self
                .store
                .pending()
                .filter_map(|a| match a {
                    AfterWrite::Composed { peer: p, seq } if *p == peer => Some((true, *seq)),
                    AfterWrite::Received { peer: p, seq, .. } if *p == peer => Some((false, *seq)),
                    _ => None,
                })
                .collect();
            let me = self.my_id.clone();
            let conv = self.conversations.get(&peer);
            let mut messages: Vec<Message> = conv
                .map(|c| {
                    c.history
                        .messages
                        .iter()
                        .filter(|m| !unstored.contains(&(m.author == me, m.seq)))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            crate::sorting::sort_by(&mut messages, Message::order);
            (messages, false)
        } else {
            return;
        };
        self.open = Open::Peer(peer.clone());
        let delivery = self.delivery(&peer);
        self.effects.push_back(Effect::View(ViewChange::Opened {
            peer: Some(peer.clone()),
            messages,
            delivery,
            request,
        }));
        self.mark_read(&peer);
        if !request && self.verified_link(&peer).is_none() {
            self.people.backoff.remove(&peer);
            self.plan();
        }
    }

    /// The open conversation is being read: clear its unread count.
    pub(super) fn mark_read(&mut self, peer: &PeerId) {
        if !self.reading(&Open::Peer(peer.clone())) {
            return;
        }
        if let Some(person) = self.people.contact_mut(peer)
            && person.meta.unread != 0
        {
            person.meta.unread = 0;
            self.save_meta(peer);
            self.dirty.contacts = true;
        }
    }

    /// Intent: delete the messages of the conversation with `peer` from this browser. My
    /// messages still on their way are kept (the peer would wait for them forever); the
    /// meta record remembers what was deleted, so the peer is not asked to send it again
    /// and new messages keep one order on both sides. The meta record is stored first and
    /// the messages go only once it is ([`Self::deletion_recorded`]): a deletion that
    /// stops halfway shows deleted messages again, never acknowledges what is not held.
    pub(super) fn delete_messages(&mut self, peer: &PeerId) {
        let Some(conv) = self.conversation(peer) else {
            return;
        };
        // Everything of theirs received so far goes, beyond a hole too (a hole left by
        // damage is given up with the rest: the person asked to delete all of it).
        let top = conv
            .history
            .messages
            .iter()
            .filter(|m| m.author == *peer)
            .map(|m| m.seq)
            .max()
            .unwrap_or(0);
        let (have, lc) = (conv.counters.have.max(top), conv.counters.lc);
        let floor_id = conv.their_id(peer, have);
        let Some(person) = self.people.contact_mut(peer) else {
            return;
        };
        // Counting up to `have` as held changes nothing while the messages are still
        // here, so the record can be saved before they go.
        let mut meta = person.meta.clone();
        meta.floor = have;
        meta.floor_id = floor_id;
        meta.clock = lc;
        meta.preview = None;
        meta.mine = false;
        meta.unread = 0;
        person.meta = meta.clone();
        self.write(
            meta_key(peer),
            storage::encode(&meta),
            AfterWrite::Deleting(peer.clone()),
        );
    }

    /// The record of a deletion is stored: delete the messages (and their segments).
    pub(super) fn deletion_recorded(&mut self, peer: &PeerId) {
        let me = self.my_id.clone();
        let Some((floor, floor_id)) = self
            .people
            .contact(peer)
            .map(|p| (p.meta.floor, p.meta.floor_id.clone()))
        else {
            return;
        };
        let Some(conv) = self.conversation(peer) else {
            return;
        };
        let acked = conv.counters.acked;
        conv.floor = (floor, floor_id);
        let clock = conv.counters.lc;
        conv.counters
            .after_deletion(floor, clock, std::iter::empty());
        let before = conv.history.clone();
        let writes = conv.history.clear(|m| m.author == me && m.seq > acked);
        self.uncleared.insert(peer.clone(), before);
        self.clear_next(peer, writes);
        self.dirty.contacts = true;
        if self.open == Open::Peer(peer.clone()) {
            self.open_peer(Some(peer.clone()));
        }
    }

    /// The next step of a deletion's rewrite: one segment at a time, each only after the
    /// one before is stored (a refusal stops it: `clear_failed`).
    pub(super) fn clear_next(&mut self, peer: &PeerId, mut writes: Vec<(String, String)>) {
        if writes.is_empty() {
            self.uncleared.remove(peer);
            return;
        }
        let (key, value) = writes.remove(0);
        self.write(
            key,
            value,
            AfterWrite::Clearing {
                peer: peer.clone(),
                rest: writes,
            },
        );
    }

    /// A rewrite of a deletion was refused (storage full): the messages stay, in memory as
    /// on disk (nothing was removed), and the person is told. The floor stays recorded,
    /// which only means the peer is not asked for those messages again.
    pub(super) fn clear_failed(&mut self, peer: &PeerId) {
        if let Some(before) = self.uncleared.remove(peer)
            && let Some(conv) = self.conversations.get_mut(peer)
        {
            conv.history = before;
        }
        let who = self.people.label(peer);
        self.notice(super::Notice::NotDeleted { who });
        self.dirty.contacts = true;
        if self.open == Open::Peer(peer.clone()) {
            self.open_peer(Some(peer.clone()));
        }
    }

    /// Where my messages to `peer` are.
    pub(super) fn delivery(&self, peer: &PeerId) -> Delivery {
        let acked = self.conversations.get(peer).map_or(0, |c| c.counters.acked);
        let sent = self
            .verified_link(peer)
            .and_then(|l| self.links.get(&l))
            .map_or(0, |l| l.sent_upto);
        Delivery { acked, sent }
    }
}

/// `sync` for the conversation with `peer`: what I hold of theirs, and the id of the last.
fn sync_frame(peer: &PeerId, conv: &Conversation) -> Frame {
    let have = conv.counters.have;
    Frame::Sync {
        have,
        last: conv.their_id(peer, have),
    }
}

/// A received message with its author.
fn incoming(peer: &PeerId, wire: WireMessage) -> Message {
    Message {
        id: wire.id,
        author: peer.clone(),
        seq: wire.seq,
        lc: wire.lc,
        ts: wire.ts,
        text: wire.text,
    }
}
