//! A one-to-one conversation: sequence numbers, Lamport clock, acknowledgements, the order
//! both sides agree on, and what to resend.
//!
//! Each author numbers its messages 1, 2, 3, ... in the conversation. A receiver keeps the
//! highest contiguous number it holds (`have`), accepts only the next one, and acknowledges
//! cumulatively. After every (re)connection each side says what it has (`sync`), and the
//! other resends exactly the messages after that: nothing is lost, nothing duplicated.
//! The display order is by Lamport clock, then author id, then sequence number: every side
//! computes the same order from the same set of messages, whatever the arrival order.

use crate::frame::WireMessage;
use crate::identity::PeerId;
use crate::primitives::MAX_COUNTER;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// Most of my messages in flight (sent on the channel, not yet acknowledged). Resending a
/// long backlog proceeds as acknowledgements come back, which paces the sender to what the
/// receiver can take.
pub const WINDOW: u64 = 200;

/// A message as stored and shown.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq, Debug)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// Unique id.
    pub id: String,
    /// The author.
    pub author: PeerId,
    /// The author's sequence number.
    pub seq: u64,
    /// Lamport clock.
    pub lc: u64,
    /// The author's wall-clock time, ms since the Unix epoch.
    pub ts: u64,
    /// The text.
    pub text: String,
}

impl Message {
    /// The wire form (the author is implied by the connection).
    pub fn to_wire(&self) -> WireMessage {
        WireMessage {
            id: self.id.clone(),
            seq: self.seq,
            lc: self.lc,
            ts: self.ts,
            text: self.text.clone(),
        }
    }

    /// The order every side agrees on.
    pub fn order(&self, other: &Message) -> Ordering {
        (self.lc, &self.author, self.seq).cmp(&(other.lc, &other.author, other.seq))
    }
}

/// What receiving a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// New: store and show it.
    New(Message),
    /// Already held (a resend): acknowledge again, store nothing.
    Duplicate,
    /// Not the next one expected: drop it and ask for a resend with `sync`.
    Gap,
    /// A number already held, with another id: the sender's numbering diverged.
    Conflict,
}

/// Counters of one conversation. `have`, `next_seq` and `lc` are derived from the stored
/// messages on load ([`Counters::from_messages`]); `acked` is persisted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counters {
    /// My next sequence number.
    pub next_seq: u64,
    /// Highest contiguous sequence number held from the peer.
    pub have: u64,
    /// Highest of my sequence numbers the peer acknowledged.
    pub acked: u64,
    /// Highest Lamport clock seen.
    pub lc: u64,
}

impl Counters {
    /// Rebuilds the counters from the stored messages (any order), the stored ack and the
    /// highest of my sequence numbers ever written (`last`, from the meta record). My next
    /// number goes on after all three, so a damaged segment that lost my latest messages
    /// never makes me reuse a number the peer already holds.
    pub fn from_messages<'a>(
        me: &PeerId,
        messages: impl IntoIterator<Item = &'a Message>,
        acked: u64,
        last: u64,
    ) -> Self {
        let mut mine = 0;
        let mut theirs: Vec<u64> = Vec::new();
        let mut lc = 0;
        for m in messages {
            lc = lc.max(m.lc);
            if &m.author == me {
                mine = mine.max(m.seq);
            } else {
                theirs.push(m.seq);
            }
        }
        crate::sorting::sort_dedup(&mut theirs);
        let have = theirs
            .iter()
            .enumerate()
            .take_while(|(i, s)| **s == *i as u64 + 1)
            .count() as u64;
        let last = mine.max(last).max(acked).min(MAX_COUNTER - 1);
        Counters {
            next_seq: last + 1,
            have,
            acked: acked.min(last),
            lc,
        }
    }

    /// Writes a new message of mine.
    pub fn compose(&mut self, me: &PeerId, id: String, ts: u64, text: String) -> Message {
        self.lc = (self.lc + 1).min(MAX_COUNTER);
        let seq = self.next_seq;
        self.next_seq += 1;
        Message {
            id,
            author: me.clone(),
            seq,
            lc: self.lc,
            ts,
            text,
        }
    }

    /// Counts the peer's messages up to `floor` as held (the person deleted them here) and
    /// keeps the clock at least `clock`, so deleted messages are not sent again and new
    /// ones still sort after everything both sides saw. `theirs` are the peer's sequence
    /// numbers still stored.
    pub fn after_deletion(
        &mut self,
        floor: u64,
        clock: u64,
        theirs: impl IntoIterator<Item = u64>,
    ) {
        if floor == 0 && clock == 0 {
            return;
        }
        let mut held: Vec<u64> = theirs.into_iter().filter(|s| *s > floor).collect();
        crate::sorting::sort_dedup(&mut held);
        let mut have = floor.min(MAX_COUNTER);
        for s in held {
            if s != have + 1 {
                break;
            }
            have = s;
        }
        self.have = self.have.max(have);
        self.lc = self.lc.max(clock.min(MAX_COUNTER));
    }

    /// Receives a (validated) message from `from`. `held_id` says which id the message
    /// numbered `wire.seq` has here, if it is held.
    pub fn receive(
        &mut self,
        from: &PeerId,
        wire: WireMessage,
        held_id: impl FnOnce(u64) -> Option<String>,
    ) -> Received {
        match wire.seq.cmp(&(self.have + 1)) {
            Ordering::Less => match held_id(wire.seq) {
                Some(id) if id != wire.id => Received::Conflict,
                _ => Received::Duplicate,
            },
            Ordering::Greater => Received::Gap,
            Ordering::Equal => {
                self.have = wire.seq;
                self.lc = self.lc.max(wire.lc);
                Received::New(Message {
                    id: wire.id,
                    author: from.clone(),
                    seq: wire.seq,
                    lc: wire.lc,
                    ts: wire.ts,
                    text: wire.text,
                })
            }
        }
    }

    /// Handles the peer's cumulative ack; returns whether anything changed. An ack beyond
    /// what was sent is ignored (a confused or hostile peer cannot mark unsent messages
    /// delivered).
    pub fn on_ack(&mut self, upto: u64) -> bool {
        if upto > self.acked && upto < self.next_seq {
            self.acked = upto;
            true
        } else {
            false
        }
    }

    /// Whether my message `seq` was delivered.
    pub fn delivered(&self, seq: u64) -> bool {
        seq <= self.acked
    }
}

/// My messages the peer does not have, given its `have`, in sequence order.
pub fn to_resend<'a>(
    me: &PeerId,
    messages: impl IntoIterator<Item = &'a Message>,
    have: u64,
) -> Vec<&'a Message> {
    let mut out: Vec<&Message> = messages
        .into_iter()
        .filter(|m| &m.author == me && m.seq > have)
        .collect();
    crate::sorting::sort_by_key(&mut out, |m| m.seq);
    out
}

/// My sequence numbers to send now on a link: those after `sent_upto` (already written to
/// this link) and after `peer_has` (what the peer said it holds, by `sync` or `ack`), up to
/// my `last`, keeping at most [`WINDOW`] beyond what the peer holds.
pub fn send_range(sent_upto: u64, peer_has: u64, last: u64) -> std::ops::RangeInclusive<u64> {
    let from = sent_upto.max(peer_has) + 1;
    let to = last.min(peer_has.saturating_add(WINDOW));
    from..=to
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;
    use proptest::prelude::*;

    fn ids() -> (PeerId, PeerId) {
        (
            Identity::from_secret([1; 32]).peer_id().clone(),
            Identity::from_secret([2; 32]).peer_id().clone(),
        )
    }

    #[test]
    fn deleted_messages_count_as_held() {
        let (a, _) = ids();
        let mut c = Counters::from_messages(&a, [], 0, 0);
        c.after_deletion(5, 40, [6, 7, 9]);
        assert_eq!((c.have, c.lc), (7, 40));
        let mut d = Counters::from_messages(&a, [], 0, 0);
        d.after_deletion(0, 0, [1]);
        assert_eq!(d.have, 0, "no deletion: counters as derived");
    }

    #[test]
    fn in_order_delivery_duplicates_and_gaps() {
        let (a, b) = ids();
        let mut alice = Counters::from_messages(&a, [], 0, 0);
        let mut bob = Counters::from_messages(&b, [], 0, 0);
        let m1 = alice.compose(&a, "m1".into(), 10, "one".into());
        let m2 = alice.compose(&a, "m2".into(), 11, "two".into());
        assert_eq!((m1.seq, m1.lc, m2.seq, m2.lc), (1, 1, 2, 2));
        assert_eq!(bob.receive(&a, m2.to_wire(), |_| None), Received::Gap);
        assert!(matches!(bob.receive(&a, m1.to_wire(), |_| None), Received::New(m) if m == m1));
        assert!(matches!(
            bob.receive(&a, m2.to_wire(), |_| None),
            Received::New(_)
        ));
        assert_eq!(bob.receive(&a, m1.to_wire(), |_| None), Received::Duplicate);
        // The same number with another id: the sender lost its history and diverged.
        assert_eq!(
            bob.receive(&a, m1.to_wire(), |_| Some("other".into())),
            Received::Conflict
        );
        assert_eq!(bob.have, 2);
        // Bob's reply comes after what he has seen.
        let r = bob.compose(&b, "r1".into(), 5, "reply".into());
        assert_eq!(r.lc, 3);
        assert_eq!(m2.order(&r), Ordering::Less);
    }

    #[test]
    fn acks_are_cumulative_and_bounded() {
        let (a, _) = ids();
        let mut c = Counters::from_messages(&a, [], 0, 0);
        for i in 0..3 {
            c.compose(&a, format!("m{i}"), 0, "x".into());
        }
        assert!(!c.on_ack(7), "ack beyond what was sent is ignored");
        assert!(c.on_ack(2));
        assert!(!c.on_ack(1));
        assert!(c.delivered(2) && !c.delivered(3));
    }

    #[test]
    fn pending_queue_is_what_the_peer_lacks() {
        let (a, b) = ids();
        let mut c = Counters::from_messages(&a, [], 0, 0);
        let mut all: Vec<Message> = (0..5)
            .map(|i| c.compose(&a, format!("m{i}"), 0, "x".into()))
            .collect();
        all.push(Message {
            id: "t".into(),
            author: b.clone(),
            seq: 1,
            lc: 1,
            ts: 0,
            text: "y".into(),
        });
        let resend: Vec<u64> = to_resend(&a, all.iter().rev(), 2)
            .iter()
            .map(|m| m.seq)
            .collect();
        assert_eq!(resend, vec![3, 4, 5]);
        assert!(to_resend(&a, &all, 5).is_empty());
    }

    #[test]
    fn send_window() {
        assert_eq!(send_range(0, 0, 3), 1..=3);
        assert_eq!(send_range(3, 0, 3).count(), 0);
        assert_eq!(send_range(0, 0, 1000), 1..=WINDOW);
        assert_eq!(send_range(WINDOW, 50, 1000), WINDOW + 1..=WINDOW + 50);
        assert_eq!(send_range(2, 5, 6), 6..=6);
        // After a `sync` that says the peer lost messages it had acknowledged, sending
        // starts again right after what it holds.
        assert_eq!(send_range(1, 1, 3), 2..=3);
    }

    #[test]
    fn counters_rebuild_from_stored_messages() {
        let (a, b) = ids();
        let msg = |author: &PeerId, seq, lc| Message {
            id: format!("i{seq}{lc}"),
            author: author.clone(),
            seq,
            lc,
            ts: 0,
            text: "x".into(),
        };
        let stored = vec![
            msg(&a, 1, 1),
            msg(&b, 1, 2),
            msg(&b, 2, 3),
            msg(&a, 2, 4),
            msg(&b, 4, 9),
        ];
        let c = Counters::from_messages(&a, &stored, 2, 2);
        assert_eq!(
            c,
            Counters {
                next_seq: 3,
                have: 2,
                acked: 2,
                lc: 9
            }
        );
        // My latest messages were lost with a damaged segment: numbering goes on after what
        // the meta record remembers (written 5, 4 of them acknowledged).
        let c = Counters::from_messages(&a, &stored, 4, 5);
        assert_eq!((c.next_seq, c.acked), (6, 4));
        // An old meta record without `last`: the acknowledgement alone still counts.
        let c = Counters::from_messages(&a, &stored[..1], 3, 0);
        assert_eq!((c.next_seq, c.acked), (4, 3));
    }

    proptest! {
        /// Whatever order two sides receive the same messages in, they show the same order,
        /// and a message never comes before one its author had already seen.
        #[test]
        fn order_converges(perm in Just((0..12usize).collect::<Vec<_>>()).prop_shuffle()) {
            let (a, b) = ids();
            let mut ca = Counters::from_messages(&a, [], 0, 0);
            let mut cb = Counters::from_messages(&b, [], 0, 0);
            let mut all = Vec::new();
            for i in 0..6 {
                let ma = ca.compose(&a, format!("a{i}"), 0, "x".into());
                let mb = cb.compose(&b, format!("b{i}"), 0, "y".into());
                all.push(ma);
                all.push(mb);
            }
            let mut one: Vec<&Message> = all.iter().collect();
            let mut two: Vec<&Message> = perm.iter().map(|&i| &all[i]).collect();
            one.sort_by(|x, y| x.order(y));
            two.sort_by(|x, y| x.order(y));
            prop_assert_eq!(one, two);
        }
    }
}
