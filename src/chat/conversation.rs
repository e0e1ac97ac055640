//! One conversation's state in the page: its stored history, counters and unread count,
//! loaded from storage on first use and written back message by message.

use crate::store;
use peerchat_core::chat::conversation::{Counters, Message};
use peerchat_core::history::{self, ChatMeta, History};
use peerchat_core::identity::PeerId;
use peerchat_core::storage::{self, Loaded};
use std::collections::HashMap;

/// A loaded conversation.
pub struct Conversation {
    /// Stored messages, arrival order.
    pub history: History,
    /// Sequence numbers, acks and clock.
    pub counters: Counters,
    /// Unseen messages.
    pub unread: u32,
    /// Index in `history.messages` of each of my messages, by sequence number.
    mine: HashMap<u64, usize>,
}

impl Conversation {
    /// Loads the conversation with `peer`; damaged stored values are kept aside and
    /// described in the returned notices.
    pub fn load(me: &PeerId, peer: &PeerId) -> (Self, Vec<String>) {
        let (history, damaged) = History::load(me, peer, store::read_raw);
        let mut notices: Vec<String> = damaged
            .iter()
            .map(|d| store::keep_aside(&d.key, &d.raw, "message history", &d.error.to_string()))
            .collect();
        let meta_key = history::meta_key(peer);
        let meta = match history::load_meta(store::read_raw(&meta_key).as_deref()) {
            Loaded::Ok(meta) => meta,
            Loaded::Missing => ChatMeta::default(),
            Loaded::Damaged { raw, error } => {
                notices.push(store::keep_aside(
                    &meta_key,
                    &raw,
                    "conversation state",
                    &error.to_string(),
                ));
                ChatMeta::default()
            }
        };
        let counters = Counters::from_messages(me, &history.messages, meta.acked);
        let mine = history
            .messages
            .iter()
            .enumerate()
            .filter(|(_, m)| m.author == *me)
            .map(|(i, m)| (m.seq, i))
            .collect();
        (
            Conversation {
                history,
                counters,
                unread: meta.unread,
                mine,
            },
            notices,
        )
    }

    /// The unread count stored for `peer`, without loading its history.
    pub fn stored_unread(peer: &PeerId) -> u32 {
        match history::load_meta(store::read_raw(&history::meta_key(peer)).as_deref()) {
            Loaded::Ok(meta) => meta.unread,
            _ => 0,
        }
    }

    /// Appends a message to history and storage. On a storage failure nothing changes in
    /// memory either, and the error is returned.
    pub fn append(&mut self, me: &PeerId, message: Message) -> Result<(), store::WriteError> {
        let (key, text) = self.history.append(message);
        if let Err(e) = store::write_raw(&key, &text) {
            self.history.undo_append();
            return Err(e);
        }
        let last = self.history.messages.len() - 1;
        if self.history.messages[last].author == *me {
            self.mine.insert(self.history.messages[last].seq, last);
        }
        Ok(())
    }

    /// My message with sequence number `seq`.
    pub fn my_message(&self, seq: u64) -> Option<&Message> {
        self.mine.get(&seq).map(|&i| &self.history.messages[i])
    }

    /// Writes the small meta record (ack and unread count). Failure only costs a re-ack or
    /// a stale unread badge after a reload, so it is not reported.
    pub fn save_meta(&self, peer: &PeerId) {
        let meta = ChatMeta::new(self.counters.acked, self.unread);
        store::write_raw(&history::meta_key(peer), &storage::encode(&meta)).ok();
    }
}
