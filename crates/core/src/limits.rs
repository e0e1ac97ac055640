//! Per-connection abuse limits: a peer that floods or keeps sending invalid frames is
//! disconnected, without affecting anyone else.

/// Frames per second a peer may send on average.
pub const RATE_PER_SEC: f64 = 200.0;
/// Burst allowance, in frames. Senders keep at most [`crate::conversation::WINDOW`] messages
/// unacknowledged, so an honest catch-up stays well inside it.
pub const BURST: f64 = 1_000.0;
/// Invalid frames tolerated per connection before disconnecting.
pub const MAX_INVALID: u32 = 5;

/// What to do with a frame after counting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Process it.
    Accept,
    /// Drop the connection.
    Disconnect,
}

/// A token bucket plus an invalid-frame counter for one connection.
#[derive(Debug, Clone)]
pub struct PeerLimiter {
    tokens: f64,
    last_ms: f64,
    invalid: u32,
}

impl PeerLimiter {
    /// A full bucket at time `now_ms`.
    pub fn new(now_ms: f64) -> Self {
        PeerLimiter {
            tokens: BURST,
            last_ms: now_ms,
            invalid: 0,
        }
    }

    /// Counts one received frame at `now_ms`.
    pub fn on_frame(&mut self, now_ms: f64) -> Verdict {
        let elapsed = (now_ms - self.last_ms).max(0.0) / 1000.0;
        self.last_ms = self.last_ms.max(now_ms);
        self.tokens = (self.tokens + elapsed * RATE_PER_SEC).min(BURST);
        if self.tokens < 1.0 {
            return Verdict::Disconnect;
        }
        self.tokens -= 1.0;
        Verdict::Accept
    }

    /// Counts one invalid frame.
    pub fn on_invalid(&mut self) -> Verdict {
        self.invalid += 1;
        if self.invalid > MAX_INVALID {
            Verdict::Disconnect
        } else {
            Verdict::Accept
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_cut_off_and_a_steady_sender_is_not() {
        let mut l = PeerLimiter::new(0.0);
        let accepted = (0..1000)
            .take_while(|_| l.on_frame(0.0) == Verdict::Accept)
            .count();
        assert_eq!(accepted, BURST as usize);

        let mut steady = PeerLimiter::new(0.0);
        for i in 0..10_000 {
            // 100 frames per second for 100 seconds.
            assert_eq!(steady.on_frame(f64::from(i) * 10.0), Verdict::Accept);
        }
    }

    #[test]
    fn invalid_frames_are_tolerated_a_little() {
        let mut l = PeerLimiter::new(0.0);
        for _ in 0..MAX_INVALID {
            assert_eq!(l.on_invalid(), Verdict::Accept);
        }
        assert_eq!(l.on_invalid(), Verdict::Disconnect);
    }
}
