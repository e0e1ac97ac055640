//! The localStorage adapter: raw strings in and out through gloo-storage, records through
//! the core codec, and damaged values kept aside before anything can overwrite them.

use gloo_storage::{LocalStorage, Storage};
use peerchat_core::storage::{self, Loaded, Record};
use std::cell::RefCell;
use std::collections::BTreeSet;

thread_local! {
    /// Keys whose damaged value could not be kept aside: writing them would destroy the only
    /// copy, so writes to them are refused for the rest of this page's life.
    static PROTECTED: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
}

/// Why a value could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// localStorage refused the write (quota full, storage disabled).
    Refused,
    /// The key holds damaged data that could not be kept aside, so it is not overwritten.
    Protected,
}

impl WriteError {
    /// A sentence for the person.
    pub fn describe(&self) -> &'static str {
        match self {
            WriteError::Refused => {
                "The browser refused to save (storage full or disabled). Nothing already saved was lost."
            }
            WriteError::Protected => {
                "Not saved: the stored copy is damaged and could not be backed up, so it was left untouched."
            }
        }
    }
}

/// Reads the raw text under `key`; `None` when absent or when storage is unavailable.
pub fn read_raw(key: &str) -> Option<String> {
    LocalStorage::raw().get_item(key).ok().flatten()
}

/// Writes raw text under `key`, unless the key is protected.
pub fn write_raw(key: &str, value: &str) -> Result<(), WriteError> {
    if PROTECTED.with(|p| p.borrow().contains(key)) {
        return Err(WriteError::Protected);
    }
    LocalStorage::raw()
        .set_item(key, value)
        .map_err(|_| WriteError::Refused)
}

/// Removes `key` (the tab lease, and keys a confirmed restore replaces; data is never
/// removed silently).
pub fn remove(key: &str) {
    LocalStorage::raw().remove_item(key).ok();
}

/// Every value under `peerchat/v1/` (for a backup, or to plan a restore).
pub fn all_entries() -> std::collections::BTreeMap<String, String> {
    let storage = LocalStorage::raw();
    let count = storage.length().unwrap_or(0);
    peerchat_core::sorting::map(
        (0..count)
            .filter_map(|i| storage.key(i).ok().flatten())
            .filter(|k| k.starts_with("peerchat/v1/"))
            .filter_map(|k| storage.get_item(&k).ok().flatten().map(|v| (k, v))),
    )
}

/// Removes every `peerchat/v1/` key (Delete all my data).
pub fn remove_all() {
    let storage = LocalStorage::raw();
    for key in all_entries().into_keys() {
        storage.remove_item(&key).ok();
    }
}

/// Writes a record under its key.
pub fn save<T: Record>(record: &T) -> Result<(), WriteError> {
    write_raw(T::KEY, &storage::encode(record))
}

/// What loading a record found.
pub struct LoadedRecord<T> {
    /// The record, when present and readable.
    pub value: Option<T>,
    /// A sentence for the person when the stored value was damaged.
    pub notice: Option<String>,
}

/// Loads a record. A damaged value is copied aside under a `damaged/` key first; if even
/// that fails, its key is protected so nothing overwrites it.
pub fn load<T: Record>(what: &str) -> LoadedRecord<T> {
    match storage::load::<T>(read_raw(T::KEY).as_deref()) {
        Loaded::Missing => LoadedRecord {
            value: None,
            notice: None,
        },
        Loaded::Ok(value) => LoadedRecord {
            value: Some(value),
            notice: None,
        },
        Loaded::Damaged { raw, error } => LoadedRecord {
            value: None,
            notice: Some(keep_aside(T::KEY, &raw, what, &error.to_string())),
        },
    }
}

/// Copies a damaged value aside and returns the sentence that tells the person about it.
pub fn keep_aside(key: &str, raw: &str, what: &str, error: &str) -> String {
    let aside = storage::damaged_key(key, js_sys::Date::now() as u64);
    match LocalStorage::raw().set_item(&aside, raw) {
        Ok(()) => format!(
            "Your saved {what} could not be read ({error}). It was kept aside under \"{aside}\" and Peerchat started without it."
        ),
        Err(_) => {
            PROTECTED.with(|p| p.borrow_mut().insert(key.to_string()));
            format!(
                "Your saved {what} could not be read ({error}), and there was no room to back it up, so it was left untouched and nothing will be saved over it."
            )
        }
    }
}
