//! The tab lease: one tab at a time runs a profile.
//!
//! Two tabs of the same profile would register the same peer id with the same token, and
//! the stock server silently hands the id to whichever connected last; they would steal it
//! from each other forever. So the tab that runs the profile holds a lease in localStorage,
//! renewed every [`RENEW_MS`] and valid for [`LEASE_MS`]. A tab that finds a valid lease of
//! another tab tells the person and stays offline until they choose "use here", which takes
//! the lease; the other tab notices on its next renewal (or at once, through the `storage`
//! event) and steps down. A crashed tab's lease simply runs out. A tab that is not running
//! the profile keeps watching the lease and takes it as soon as nobody holds it, so closing
//! the other tab (or a reload that raced its predecessor's exit) needs no click.

use serde::{Deserialize, Serialize};

/// How long a lease is valid after its last renewal, in milliseconds.
pub const LEASE_MS: f64 = 6_000.0;
/// How often the holder renews, in milliseconds.
pub const RENEW_MS: u32 = 2_000;

/// The stored lease.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Lease {
    /// The holding tab's random id.
    pub tab: String,
    /// Valid until this time (milliseconds since the Unix epoch).
    pub until: f64,
}

/// Who holds the lease now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// Nobody (absent, expired or unreadable).
    Nobody,
    /// This tab.
    Me,
    /// Another tab, still valid.
    OtherTab,
}

/// Reads the stored lease text (if any) as seen by tab `me` at time `now`.
pub fn holder(stored: Option<&str>, me: &str, now: f64) -> Holder {
    // An unreadable lease is treated as free: it only coordinates tabs and holds no data.
    let Some(lease) = stored.and_then(|s| serde_json::from_str::<Lease>(s).ok()) else {
        return Holder::Nobody;
    };
    if lease.tab == me {
        Holder::Me
    } else if lease.until > now && lease.until <= now + 2.0 * LEASE_MS {
        // A lease dated far in the future (clock change, tampering) is not honoured.
        Holder::OtherTab
    } else {
        Holder::Nobody
    }
}

/// The lease text for tab `me`, renewed at `now`.
pub fn renewed(me: &str, now: f64) -> String {
    serde_json::to_string(&Lease {
        tab: me.to_string(),
        until: now + LEASE_MS,
    })
    .expect("a struct of a string and a float always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_mine_and_other() {
        assert_eq!(holder(None, "a", 0.0), Holder::Nobody);
        let a = renewed("a", 1000.0);
        assert_eq!(holder(Some(&a), "a", 2000.0), Holder::Me);
        assert_eq!(holder(Some(&a), "b", 2000.0), Holder::OtherTab);
        assert_eq!(
            holder(Some(&a), "b", 1000.0 + LEASE_MS + 1.0),
            Holder::Nobody
        );
    }

    #[test]
    fn garbage_or_far_future_lease_is_free() {
        assert_eq!(holder(Some("{nope"), "b", 0.0), Holder::Nobody);
        assert_eq!(
            holder(Some(r#"{"tab":"a","until":1e300}"#), "b", 0.0),
            Holder::Nobody
        );
    }
}
