//! The engine's timers: a table of deadlines, one per timer. The edge arms a single
//! browser timer for the earliest ([`super::Engine::poll_timeout`]).

use super::input::LinkId;
use crate::room::RoomId;
use std::collections::{BTreeMap, BTreeSet};

/// What a timer is for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Timer {
    /// A link that is not verified by now is given up.
    Connect(LinkId),
    /// A link `disconnected` since its grace began is given up.
    Grace(LinkId),
    /// Look again at whom to dial (a redial backoff ended).
    Plan,
    /// Tell a room's members what I hold (debounced after new messages).
    RoomHave(RoomId),
    /// A `room-want` went unanswered: ask someone else.
    Want(RoomId),
    /// A member holds what I lack: ask for it unless it arrived meanwhile.
    Catchup(RoomId),
    /// Storage was full: try again.
    Storage,
}

/// Deadlines by timer, and timers by deadline.
#[derive(Default)]
pub(super) struct Timers {
    by_timer: BTreeMap<Timer, u64>,
    by_time: BTreeSet<(u64, Timer)>,
}

impl Timers {
    /// Sets (or moves) `timer` to fire at `at`.
    pub fn set(&mut self, timer: Timer, at: u64) {
        self.cancel(&timer);
        self.by_timer.insert(timer.clone(), at);
        self.by_time.insert((at, timer));
    }

    /// Sets `timer` unless it is already set earlier or at `at`.
    pub fn set_at_most(&mut self, timer: Timer, at: u64) {
        if self.by_timer.get(&timer).is_none_or(|&t| t > at) {
            self.set(timer, at);
        }
    }

    /// Cancels `timer` if set.
    pub fn cancel(&mut self, timer: &Timer) {
        if let Some(at) = self.by_timer.remove(timer) {
            self.by_time.remove(&(at, timer.clone()));
        }
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<u64> {
        self.by_time.first().map(|(at, _)| *at)
    }

    /// Takes the earliest timer due at `now`.
    pub fn pop_due(&mut self, now: u64) -> Option<Timer> {
        let (at, _) = self.by_time.first()?;
        if *at > now {
            return None;
        }
        let (_, timer) = self.by_time.pop_first()?;
        self.by_timer.remove(&timer);
        Some(timer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_deadline_order_and_moves() {
        let mut t = Timers::default();
        t.set(Timer::Plan, 50);
        t.set(Timer::Connect(1), 20);
        t.set(Timer::Storage, 30);
        t.set(Timer::Plan, 10);
        t.set_at_most(Timer::Storage, 40);
        assert_eq!(t.next(), Some(10));
        assert_eq!(t.pop_due(25), Some(Timer::Plan));
        assert_eq!(t.pop_due(25), Some(Timer::Connect(1)));
        assert_eq!(t.pop_due(25), None);
        t.cancel(&Timer::Storage);
        assert_eq!(t.next(), None);
    }
}
