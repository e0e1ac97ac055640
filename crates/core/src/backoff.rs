//! The reconnection schedule: capped exponential backoff with jitter.
//!
//! Jitter spreads reconnects out so that many browsers coming back after a server restart do
//! not all knock at once; the cap keeps a returning server from waiting long for us.

/// First delay, in milliseconds.
pub const BASE_MS: u32 = 1_000;
/// Longest delay, in milliseconds.
pub const CAP_MS: u32 = 10_000;

/// Delay before reconnection attempt number `attempt` (0 for the first retry).
///
/// `jitter` is a random value in `[0, 1)` from the caller; the delay is the exponential step
/// scaled into `[75 %, 100 %]` of itself, so it never exceeds [`CAP_MS`] and never drops below
/// three quarters of the step. Out-of-range or NaN jitter is clamped.
pub fn delay_ms(attempt: u32, jitter: f64) -> u32 {
    delay_with(BASE_MS, CAP_MS, attempt, jitter)
}

/// Redialing a contact: first delay, in milliseconds.
pub const DIAL_BASE_MS: u32 = 2_000;
/// Redialing a contact: longest delay, in milliseconds. Each dial of an offline contact
/// costs the signaling server one queued offer, so this is slower than signaling retries.
pub const DIAL_CAP_MS: u32 = 30_000;

/// The same schedule with another first step and cap.
pub fn delay_with(base_ms: u32, cap_ms: u32, attempt: u32, jitter: f64) -> u32 {
    let step = base_ms
        .saturating_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
        .min(cap_ms);
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    let scale = 0.75 + 0.25 * jitter;
    (f64::from(step) * scale).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_without_jitter_is_three_quarters_of_each_step() {
        let got: Vec<u32> = (0..7).map(|a| delay_ms(a, 0.0)).collect();
        assert_eq!(got, vec![750, 1500, 3000, 6000, 7500, 7500, 7500]);
    }

    #[test]
    fn schedule_with_full_jitter_reaches_the_step() {
        let got: Vec<u32> = (0..6).map(|a| delay_ms(a, 1.0)).collect();
        assert_eq!(got, vec![1000, 2000, 4000, 8000, 10000, 10000]);
    }

    #[test]
    fn huge_attempts_and_bad_jitter_stay_capped() {
        assert_eq!(delay_ms(u32::MAX, 0.999), 9998);
        assert_eq!(delay_ms(40, f64::NAN), 7500);
        assert_eq!(delay_ms(3, 7.0), 8000);
        assert_eq!(delay_ms(3, -1.0), 6000);
    }
}
