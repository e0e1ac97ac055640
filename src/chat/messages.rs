//! Messages over a verified connection: composing, receiving, acknowledging, catching up.

use super::Chat;
use super::links::send_frame;
use leptos::prelude::*;
use peerchat_core::chat::conversation::{Message, Received, send_range};
use peerchat_core::chat::wire::Frame;
use peerchat_core::identity::PeerId;

impl Chat {
    /// A frame from a verified peer.
    pub(super) fn on_chat_frame(&mut self, peer: &PeerId, frame: Frame) {
        match frame {
            Frame::Msg(wire) => self.on_message(peer, wire),
            Frame::Ack { upto } => {
                if self.conversation(peer).counters.on_ack(upto) {
                    self.after_ack(peer);
                }
                self.pump(peer);
            }
            Frame::Sync { have } => {
                // They hold everything up to `have`: that much is delivered, the rest is
                // sent again from there.
                if self.conversation(peer).counters.on_ack(have) {
                    self.after_ack(peer);
                }
                // Never beyond what exists: a peer claiming more must not make my future
                // messages look sent.
                let last = self.conversation(peer).counters.next_seq - 1;
                if let Some(link) = self.links.get_mut(peer) {
                    link.sent_upto = have.min(last);
                }
                self.pump(peer);
            }
            room @ (Frame::RoomJoin { .. }
            | Frame::RoomWelcome { .. }
            | Frame::RoomHave { .. }
            | Frame::RoomMsg { .. }) => self.on_room_frame(peer, room),
            // A second handshake on a verified connection is a protocol violation.
            Frame::Hello { .. } | Frame::Proof { .. } => {
                if let Some(link) = self.links.get_mut(peer)
                    && link.limiter.on_invalid() == peerchat_core::chat::limits::Verdict::Disconnect
                {
                    self.drop_link(peer, "protocol violation");
                }
            }
        }
    }

    fn on_message(&mut self, peer: &PeerId, wire: peerchat_core::chat::wire::WireMessage) {
        let me = self.me.peer_id().clone();
        let reading =
            self.view.active.get_untracked().as_ref() == Some(peer) && super::page_visible();
        let conv = self.conversation(peer);
        let reply = match conv.counters.receive(peer, wire) {
            // A new sequence number reusing a stored id: the number is taken (so the
            // sender can go on), the message is not stored a second time.
            Received::New(message) if conv.history.contains_id(&message.id) => Frame::Ack {
                upto: conv.counters.have,
            },
            Received::New(message) => {
                if let Err(e) = conv.append(&me, message.clone()) {
                    // Not stored, so not acknowledged: the peer sends it again later.
                    conv.counters.have -= 1;
                    (self.ports.notify)(format!(
                        "A new message could not be saved. {}",
                        e.describe()
                    ));
                    return;
                }
                // Stored, so acknowledged at once: the sender's round trip does not wait
                // for this page to render.
                let have = conv.counters.have;
                if let Some(link) = self.links.get(peer) {
                    send_frame(link, &Frame::Ack { upto: have });
                }
                let conv = self.conversation(peer);
                if !reading {
                    conv.unread = conv.unread.saturating_add(1);
                    conv.save_meta(peer);
                }
                self.show(peer, message);
                if !reading {
                    self.publish_contacts();
                }
                return;
            }
            Received::Duplicate => Frame::Ack {
                upto: conv.counters.have,
            },
            Received::Gap => Frame::Sync {
                have: conv.counters.have,
            },
        };
        if let Some(link) = self.links.get(peer) {
            send_frame(link, &reply);
        }
    }

    fn after_ack(&mut self, peer: &PeerId) {
        let conv = self.conversation(peer);
        conv.save_meta(peer);
        let acked = conv.counters.acked;
        super::mark(&format!("peerchat:acked:{peer}:{acked}"));
        if self.view.active.get_untracked().as_ref() == Some(peer) {
            self.view.acked.try_set(acked);
        }
    }

    /// Writes a new message of mine and sends it when connected.
    pub(super) fn compose(&mut self, peer: &PeerId, text: String) {
        let me = self.me.peer_id().clone();
        self.ensure_contact(peer, None);
        let id = data_encoding::BASE32_NOPAD
            .encode(&crate::random::bytes::<10>())
            .to_ascii_lowercase();
        let conv = self.conversation(peer);
        let message = conv
            .counters
            .compose(&me, id, js_sys::Date::now() as u64, text);
        if let Err(e) = conv.append(&me, message.clone()) {
            conv.counters.next_seq -= 1;
            (self.ports.notify)(format!(
                "Your message was not sent because it could not be saved. {}",
                e.describe()
            ));
            return;
        }
        super::mark(&format!("peerchat:compose:{peer}:{}", message.seq));
        // Sent before it is shown, so rendering is not on the message's way out.
        let connected = self.links.contains_key(peer);
        if connected {
            self.pump(peer);
        }
        self.show(peer, message);
        if !connected {
            // Someone is writing to this contact: try now rather than at the next redial.
            if let Some(c) = self.contact_mut(peer) {
                c.redial_attempts = 0;
                c.redial = None;
            }
            self.dial(peer);
        }
    }

    /// Sends my messages the peer lacks, within the window.
    pub(super) fn pump(&mut self, peer: &PeerId) {
        let Some(sent_upto) = self
            .links
            .get(peer)
            .filter(|l| l.verified)
            .map(|l| l.sent_upto)
        else {
            return;
        };
        let conv = self
            .conversations
            .get(peer)
            .expect("a verified link has a loaded conversation");
        let mut last_sent = sent_upto;
        let link = self.links.get(peer).expect("checked above");
        for seq in send_range(sent_upto, conv.counters.acked, conv.counters.next_seq - 1) {
            let Some(message) = conv.my_message(seq) else {
                break;
            };
            if !send_frame(link, &Frame::Msg(message.to_wire())) {
                break;
            }
            last_sent = seq;
        }
        if let Some(link) = self.links.get_mut(peer) {
            link.sent_upto = last_sent;
        }
        if self.view.active.get_untracked().as_ref() == Some(peer) {
            self.view.sent.try_set(last_sent);
        }
    }

    /// Adds a message to the open conversation's view, in display order.
    fn show(&self, peer: &PeerId, message: Message) {
        if self.view.active.get_untracked().as_ref() != Some(peer) {
            return;
        }
        self.view.messages.try_update(|list| {
            let at = list.partition_point(|m| m.order(&message).is_lt());
            list.insert(at, message);
        });
    }
}
