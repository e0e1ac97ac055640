//! A room's message log: what each member has written, in each author's order, with the
//! version vector that tells another member exactly what is missing.

use super::RoomId;
use super::message::{Kind, RoomMessage, RoomMessageError};
use crate::identity::{Identity, PeerId};
use crate::primitives::MAX_COUNTER;
use std::collections::{BTreeMap, BTreeSet};

/// Most members (authors) a room holds. The mesh is tested at 12; the cap bounds memory and
/// the size of version vectors.
pub const MAX_MEMBERS: usize = 64;

/// Per author, the highest sequence number held without gaps.
pub type Vector = BTreeMap<PeerId, u64>;

/// What inserting a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insert {
    /// New: store it, show it, pass it on.
    New,
    /// Already held.
    Duplicate,
    /// Not the author's next message: ask for what is missing first.
    Gap,
    /// Refused: invalid, forged, another room, or too many members.
    Invalid(RoomMessageError),
}

/// A member as derived from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Id.
    pub id: PeerId,
    /// The name from its latest join/leave.
    pub name: String,
    /// Whether its latest membership message is a join (not a leave).
    pub present: bool,
}

/// A room's log.
#[derive(Debug, Clone)]
pub struct RoomLog {
    room: RoomId,
    messages: Vec<RoomMessage>,
    have: Vector,
    ids: BTreeSet<String>,
    lc: u64,
}

impl RoomLog {
    /// An empty log.
    pub fn new(room: RoomId) -> Self {
        RoomLog {
            room,
            messages: Vec::new(),
            have: Vector::new(),
            ids: BTreeSet::new(),
            lc: 0,
        }
    }

    /// The room.
    pub fn room(&self) -> &RoomId {
        &self.room
    }

    /// All messages, in arrival order.
    pub fn messages(&self) -> &[RoomMessage] {
        &self.messages
    }

    /// Inserts a received (or loaded) message after verifying it.
    pub fn insert(&mut self, m: RoomMessage) -> Insert {
        if m.room != self.room {
            return Insert::Invalid(RoomMessageError::Invalid("room"));
        }
        let have = self.have.get(&m.author).copied().unwrap_or(0);
        if m.seq <= have {
            return Insert::Duplicate;
        }
        if m.seq > have + 1 {
            return Insert::Gap;
        }
        if have == 0 && self.have.len() >= MAX_MEMBERS {
            return Insert::Invalid(RoomMessageError::Invalid("room is full"));
        }
        if let Err(e) = m.verify() {
            return Insert::Invalid(e);
        }
        if self.ids.contains(&m.id) {
            return Insert::Invalid(RoomMessageError::Invalid("duplicate id"));
        }
        self.lc = self.lc.max(m.lc);
        self.have.insert(m.author.clone(), m.seq);
        self.ids.insert(m.id.clone());
        self.messages.push(m);
        Insert::New
    }

    /// Takes back the message with id `id` if it is the last one inserted (its write
    /// failed): the log is as before, so it can come again.
    pub fn undo_insert(&mut self, id: &str) -> bool {
        if self.messages.last().is_none_or(|m| m.id != id) {
            return false;
        }
        let Some(m) = self.messages.pop() else {
            return false;
        };
        self.ids.remove(&m.id);
        if m.seq <= 1 {
            self.have.remove(&m.author);
        } else {
            self.have.insert(m.author.clone(), m.seq - 1);
        }
        true
    }

    /// The message with this id, if held.
    pub fn get(&self, id: &str) -> Option<&RoomMessage> {
        if !self.ids.contains(id) {
            return None;
        }
        self.messages.iter().rev().find(|m| m.id == id)
    }

    /// Writes, signs and inserts a message of mine. Fails (inserting nothing) when the
    /// room is full, or the message is invalid (a first message that is not a join).
    pub fn compose(
        &mut self,
        me: &Identity,
        id: String,
        ts: u64,
        kind: Kind,
        text: String,
    ) -> Result<RoomMessage, RoomMessageError> {
        let seq = self.have.get(me.peer_id()).copied().unwrap_or(0) + 1;
        let lc = (self.lc + 1).min(MAX_COUNTER);
        let m = RoomMessage::sign(me, self.room.clone(), id, seq, lc, ts, kind, text);
        match self.insert(m.clone()) {
            Insert::New => Ok(m),
            Insert::Invalid(e) => Err(e),
            Insert::Duplicate | Insert::Gap => Err(RoomMessageError::Invalid("sequence")),
        }
    }

    /// What I hold, per author.
    pub fn vector(&self) -> &Vector {
        &self.have
    }

    /// The messages a member holding `theirs` lacks, each author's in sequence order.
    pub fn missing_for(&self, theirs: &Vector) -> Vec<&RoomMessage> {
        let mut out: Vec<&RoomMessage> = self
            .messages
            .iter()
            .filter(|m| m.seq > theirs.get(&m.author).copied().unwrap_or(0))
            .collect();
        crate::sorting::sort_by(&mut out, |a, b| (&a.author, a.seq).cmp(&(&b.author, b.seq)));
        out
    }

    /// The messages in the order every member shows.
    pub fn ordered(&self) -> Vec<&RoomMessage> {
        let mut out: Vec<&RoomMessage> = self.messages.iter().collect();
        crate::sorting::sort_by(&mut out, |a, b| a.order(b));
        out
    }

    /// Members, from their join and leave messages, in order of first appearance.
    pub fn members(&self) -> Vec<Member> {
        let mut members: Vec<Member> = Vec::new();
        let mut latest: BTreeMap<&PeerId, u64> = BTreeMap::new();
        for m in &self.messages {
            if m.kind == Kind::Text || latest.get(&m.author).is_some_and(|&s| s > m.seq) {
                continue;
            }
            latest.insert(&m.author, m.seq);
            let present = m.kind == Kind::Join;
            match members.iter_mut().find(|x| x.id == m.author) {
                Some(x) => {
                    x.name = m.text.clone();
                    x.present = present;
                }
                None => members.push(Member {
                    id: m.author.clone(),
                    name: m.text.clone(),
                    present,
                }),
            }
        }
        members
    }

    /// How many of the given members' vectors cover message `m` (receipts).
    pub fn holders<'a>(m: &RoomMessage, vectors: impl IntoIterator<Item = &'a Vector>) -> usize {
        vectors
            .into_iter()
            .filter(|v| v.get(&m.author).copied().unwrap_or(0) >= m.seq)
            .count()
    }
}

/// Parses a version vector received from a peer: at most [`MAX_MEMBERS`] entries.
pub fn vector_within_limits(v: &Vector) -> bool {
    v.len() <= MAX_MEMBERS && v.values().all(|&s| s <= MAX_COUNTER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn room() -> RoomId {
        RoomId::from_random(&[5; 16])
    }

    fn people() -> Vec<Identity> {
        (1..=3).map(|i| Identity::from_secret([i; 32])).collect()
    }

    fn joined(who: &[Identity]) -> RoomLog {
        let mut log = RoomLog::new(room());
        for (i, p) in who.iter().enumerate() {
            log.compose(p, format!("join{i}"), 0, Kind::Join, format!("P{i}"))
                .unwrap();
        }
        log
    }

    #[test]
    fn an_insert_can_be_taken_back() {
        let ps = people();
        let mut log = joined(&ps);
        let before = log.vector().clone();
        let m = log
            .compose(&ps[1], "t1".into(), 0, Kind::Text, "hi".into())
            .unwrap();
        assert!(!log.undo_insert("join0"), "only the last one");
        assert!(log.undo_insert(&m.id));
        assert_eq!(log.vector(), &before);
        assert_eq!(log.insert(m), Insert::New);
        let mut fresh = RoomLog::new(room());
        let first = fresh
            .compose(&ps[0], "j".into(), 0, Kind::Join, "P".into())
            .unwrap();
        assert!(fresh.undo_insert(&first.id));
        assert!(fresh.vector().is_empty());
    }

    #[test]
    fn forged_and_altered_messages_are_not_stored() {
        let ps = people();
        let mut log = joined(&ps);
        let mut other = joined(&ps);
        let good = other
            .compose(&ps[0], "t1".into(), 5, Kind::Text, "hi".into())
            .unwrap();
        let mut altered = good.clone();
        altered.text = "HI".into();
        assert!(matches!(
            log.insert(altered),
            Insert::Invalid(RoomMessageError::BadSignature)
        ));
        let mut forged = RoomMessage::sign(
            &ps[2],
            room(),
            "f".into(),
            2,
            9,
            0,
            Kind::Text,
            "I am P0".into(),
        );
        forged.author = ps[0].peer_id().clone();
        assert!(matches!(log.insert(forged), Insert::Invalid(_)));
        assert_eq!(log.messages().len(), 3);
        assert_eq!(log.insert(good.clone()), Insert::New);
        assert_eq!(log.insert(good), Insert::Duplicate);
    }

    #[test]
    fn gaps_wait_for_sync() {
        let ps = people();
        let mut source = joined(&ps);
        let m2 = source
            .compose(&ps[1], "a".into(), 0, Kind::Text, "two".into())
            .unwrap();
        let m3 = source
            .compose(&ps[1], "b".into(), 0, Kind::Text, "three".into())
            .unwrap();
        let mut log = RoomLog::new(room());
        assert_eq!(log.insert(m3.clone()), Insert::Gap);
        for m in source.missing_for(log.vector()) {
            log.insert(m.clone());
        }
        assert_eq!(log.vector(), source.vector());
        assert_eq!(log.insert(m2), Insert::Duplicate);
    }

    #[test]
    fn sync_sends_exactly_what_is_missing() {
        let ps = people();
        let base = joined(&ps);
        let (mut a, mut b) = (base.clone(), base.clone());
        // Both write while apart; a also holds one message of P2's that b lacks.
        for i in 0..4 {
            a.compose(
                &ps[0],
                format!("a{i}"),
                0,
                Kind::Text,
                format!("from a {i}"),
            )
            .unwrap();
        }
        for i in 0..2 {
            b.compose(
                &ps[1],
                format!("b{i}"),
                0,
                Kind::Text,
                format!("from b {i}"),
            )
            .unwrap();
        }
        let p2 = a
            .compose(&ps[2], "c0".into(), 0, Kind::Text, "from c".into())
            .unwrap();
        let to_b: Vec<RoomMessage> = a.missing_for(b.vector()).into_iter().cloned().collect();
        let to_a: Vec<RoomMessage> = b.missing_for(a.vector()).into_iter().cloned().collect();
        assert_eq!(to_b.len(), 5, "4 of P0 and 1 of P2");
        assert!(to_b.contains(&p2));
        assert_eq!(to_a.len(), 2);
        for m in to_b {
            assert_eq!(b.insert(m), Insert::New);
        }
        for m in to_a {
            assert_eq!(a.insert(m), Insert::New);
        }
        assert_eq!(a.vector(), b.vector());
        assert!(a.missing_for(b.vector()).is_empty() && b.missing_for(a.vector()).is_empty());
        let ids = |l: &RoomLog| l.ordered().iter().map(|m| m.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&b));
    }

    #[test]
    fn membership_follows_join_and_leave() {
        let ps = people();
        let mut log = joined(&ps);
        log.compose(&ps[1], "l".into(), 0, Kind::Leave, "P1".into())
            .unwrap();
        let members = log.members();
        assert_eq!(members.len(), 3);
        assert_eq!(members.iter().filter(|m| m.present).count(), 2);
        assert!(!members[1].present);
    }

    #[test]
    fn receipts_count_holders() {
        let ps = people();
        let mut log = joined(&ps);
        let m = log
            .compose(&ps[0], "x".into(), 0, Kind::Text, "count me".into())
            .unwrap();
        let behind = joined(&ps).vector().clone();
        let ahead = log.vector().clone();
        assert_eq!(RoomLog::holders(&m, [&behind, &ahead, &ahead]), 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Members receiving the same messages in any order (through sync) show the same order.
        #[test]
        fn order_converges(perm in Just((0..9usize).collect::<Vec<_>>()).prop_shuffle()) {
            let ps = people();
            let mut source = joined(&ps);
            for i in 0..6 {
                source.compose(&ps[i % 3], format!("m{i}"), 0, Kind::Text, format!("t{i}")).unwrap();
            }
            let all: Vec<RoomMessage> = source.messages().to_vec();
            let mut log = RoomLog::new(room());
            // Deliver in a shuffled order; gaps are filled by syncing from the source.
            for &i in &perm {
                if log.insert(all[i].clone()) == Insert::Gap {
                    for m in source.missing_for(log.vector()) {
                        log.insert(m.clone());
                    }
                }
            }
            let ids = |l: &RoomLog| l.ordered().iter().map(|m| m.id.clone()).collect::<Vec<_>>();
            prop_assert_eq!(ids(&log), ids(&source));
        }
    }
}
