//! Append-only logs in localStorage, split into segments of at most [`SEGMENT_LEN`] items
//! under `<prefix>/0`, `<prefix>/1`, ... Appending rewrites only the last segment, so the
//! storage work for one new item is bounded by the segment size, however long the log.

use crate::storage::{self, DecodeError, Versioned};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Items per segment.
pub const SEGMENT_LEN: usize = 200;

/// A new item starts the next segment when the last one would grow past this many bytes
/// (200 long messages would not fit a record): one append stays a small write.
pub const SEGMENT_TARGET_BYTES: usize = 60 * 1024;

/// Largest segment read, in bytes. Generous: segments written before the byte budget
/// could hold 200 messages of up to 2,000 characters each, and must still load.
pub const MAX_SEGMENT_BYTES: usize = 4 * 1024 * 1024;

/// A stored segment: `{"v":1,"m":[...]}`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Segment<T> {
    // Read only so `deny_unknown_fields` accepts the version; `encode` writes it.
    #[serde(default, skip_serializing)]
    v: u64,
    /// The items, in append order.
    pub m: Vec<T>,
}

impl<T: Serialize + DeserializeOwned> Segment<T> {
    /// A segment holding `m`.
    pub fn new(m: Vec<T>) -> Self {
        Segment {
            v: Self::VERSION,
            m,
        }
    }
}

impl<T: Serialize + DeserializeOwned> Versioned for Segment<T> {
    const VERSION: u64 = 1;
    const MAX_BYTES: usize = MAX_SEGMENT_BYTES;
}

/// A stored value that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Damaged {
    /// Its key.
    pub key: String,
    /// Its text.
    pub raw: String,
    /// What is wrong.
    pub error: DecodeError,
}

/// What [`SegmentLog::load`] found.
#[derive(Debug, Clone)]
pub struct LoadedLog<T> {
    /// The write position, after the last readable segment.
    pub log: SegmentLog<T>,
    /// The readable items, in order.
    pub items: Vec<T>,
    /// For each item, the number of the segment it is stored in.
    pub segments: Vec<usize>,
    /// Segments that could not be read.
    pub damaged: Vec<Damaged>,
}

/// The write position of a segmented log.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentLog<T> {
    prefix: String,
    last_segment: usize,
    tail: Vec<T>,
}

/// The text that stands in for a damaged segment once its value has been kept aside: an
/// empty segment keeps the numbering (segments are read until one is missing) and stops the
/// damage from being reported again at every load.
pub fn empty_segment_text() -> String {
    r#"{"v":1,"m":[]}"#.to_string()
}

impl<T: Clone + Serialize + DeserializeOwned> SegmentLog<T> {
    /// An empty log under `prefix`.
    pub fn new(prefix: String) -> Self {
        SegmentLog {
            prefix,
            last_segment: 0,
            tail: Vec::new(),
        }
    }

    /// The key of segment `n`.
    pub fn key(&self, n: usize) -> String {
        format!("{}/{n}", self.prefix)
    }

    /// The segment new items go to.
    pub fn last_segment(&self) -> usize {
        self.last_segment
    }

    /// Loads every segment through `read` (0, 1, ... until one is missing). A segment that
    /// does not decode, is too long, or holds an item `valid` refuses is reported as
    /// damaged and skipped; new items then go to a segment after it, so a damaged key is
    /// never overwritten before it was kept aside.
    pub fn load(
        prefix: String,
        read: impl Fn(&str) -> Option<String>,
        valid: impl Fn(&T) -> bool,
    ) -> LoadedLog<T> {
        let mut log = SegmentLog::new(prefix);
        let mut items = Vec::new();
        let mut segments = Vec::new();
        let mut damaged = Vec::new();
        let mut n = 0;
        let mut last_good = None;
        loop {
            let key = log.key(n);
            let Some(raw) = read(&key) else { break };
            match storage::decode::<Segment<T>>(&raw) {
                Ok(seg) if seg.m.len() <= SEGMENT_LEN && seg.m.iter().all(&valid) => {
                    last_good = Some(n);
                    log.tail = seg.m.clone();
                    segments.extend(std::iter::repeat_n(n, seg.m.len()));
                    items.extend(seg.m);
                }
                Ok(_) => damaged.push(Damaged {
                    key,
                    raw,
                    error: DecodeError::Invalid("an item is invalid".into()),
                }),
                Err(error) => damaged.push(Damaged { key, raw, error }),
            }
            n += 1;
        }
        match last_good {
            // Continue the last segment if it is the last key and has room.
            Some(last) if last + 1 == n && log.tail.len() < SEGMENT_LEN => log.last_segment = last,
            _ => {
                log.last_segment = n;
                log.tail.clear();
            }
        }
        LoadedLog {
            log,
            items,
            segments,
            damaged,
        }
    }

    /// Appends an item; returns the one write to make: (key, text). The item goes to
    /// segment [`SegmentLog::last_segment`] as it is after the call.
    pub fn append(&mut self, item: &T) -> (String, String) {
        if self.tail.len() >= SEGMENT_LEN {
            self.last_segment += 1;
            self.tail.clear();
        }
        self.tail.push(item.clone());
        let mut text = storage::encode(&Segment::new(self.tail.clone()));
        if text.len() > SEGMENT_TARGET_BYTES && self.tail.len() > 1 {
            // Too many bytes for one record: the item opens the next segment.
            self.tail = vec![item.clone()];
            self.last_segment += 1;
            text = storage::encode(&Segment::new(self.tail.clone()));
        }
        (self.key(self.last_segment), text)
    }

    /// Undoes the last append (its write failed).
    pub fn undo_append(&mut self) {
        self.tail.pop();
    }

    /// The write that replaces segment `n` with `items` (a rewrite after renumbering).
    pub fn rewrite(&mut self, n: usize, items: Vec<T>) -> (String, String) {
        if n == self.last_segment {
            self.tail = items.clone();
        }
        (self.key(n), storage::encode(&Segment::new(items)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn long_items_open_a_new_segment_before_a_record_grows_too_large() {
        let mut log: SegmentLog<String> = SegmentLog::new("p".into());
        let mut disk = BTreeMap::new();
        let item = "é".repeat(2_000);
        for _ in 0..SEGMENT_LEN {
            let (key, text) = log.append(&item);
            assert!(
                text.len() <= SEGMENT_TARGET_BYTES,
                "{key}: {} bytes",
                text.len()
            );
            disk.insert(key, text);
        }
        assert!(disk.len() > 1, "200 long items do not fit one record");
        let loaded = SegmentLog::<String>::load("p".into(), |k| disk.get(k).cloned(), |_| true);
        assert!(loaded.damaged.is_empty());
        assert_eq!(loaded.items.len(), SEGMENT_LEN);
    }

    #[test]
    fn an_old_oversized_segment_still_loads() {
        let items: Vec<String> = vec!["x".repeat(2_000); SEGMENT_LEN];
        let text = storage::encode(&Segment::new(items));
        assert!(text.len() > storage::MAX_RECORD_BYTES);
        let loaded = SegmentLog::<String>::load(
            "p".into(),
            |k| (k == "p/0").then(|| text.clone()),
            |_| true,
        );
        assert!(loaded.damaged.is_empty());
        assert_eq!(loaded.items.len(), SEGMENT_LEN);
    }
}
