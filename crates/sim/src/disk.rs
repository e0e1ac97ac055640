//! localStorage as a page sees it: a map of strings with a quota, writes that can be
//! refused, and values that can be damaged from outside.

use peerchat_core::engine::StoreError;
use std::collections::BTreeMap;

/// One browser profile's localStorage.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    /// Everything stored.
    pub data: BTreeMap<String, String>,
    /// Most bytes (UTF-16 code units of keys and values, as browsers count) it holds.
    pub quota: usize,
    /// Writes refused so far.
    pub failed_writes: u64,
}

/// Browsers give an origin about 5 million UTF-16 code units.
pub const DEFAULT_QUOTA: usize = 5_000_000;

fn units(s: &str) -> usize {
    s.encode_utf16().count()
}

impl Disk {
    /// An empty disk with the default quota.
    pub fn new() -> Self {
        Disk {
            data: BTreeMap::new(),
            quota: DEFAULT_QUOTA,
            failed_writes: 0,
        }
    }

    /// Bytes in use.
    pub fn used(&self) -> usize {
        self.data.iter().map(|(k, v)| units(k) + units(v)).sum()
    }

    /// Writes a value, unless it would go over the quota.
    pub fn write(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        let old = self.data.get(key).map_or(0, |v| units(key) + units(v));
        let new = units(key) + units(value);
        if self.used() - old + new > self.quota {
            self.failed_writes += 1;
            return Err(StoreError::Full);
        }
        self.data.insert(key.to_string(), value.to_string());
        Ok(())
    }

    /// Removes a value.
    pub fn remove(&mut self, key: &str) {
        self.data.remove(key);
    }

    /// Everything the chat engine reads at start.
    pub fn snapshot(&self) -> BTreeMap<String, String> {
        self.data
            .iter()
            .filter(|(k, _)| {
                k.starts_with("peerchat/v1/")
                    && !k.starts_with("peerchat/v1/damaged/")
                    && !matches!(
                        k.as_str(),
                        "peerchat/v1/identity" | "peerchat/v1/profile" | "peerchat/v1/settings"
                    )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
