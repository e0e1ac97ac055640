//! The tab-lease adapter: holds [`peerchat_core::lease`] in localStorage for this tab.

use crate::store;
use gloo_events::EventListener;
use gloo_timers::callback::Interval;
use peerchat_core::lease::{self, Holder, RENEW_MS};
use peerchat_core::storage::LEASE_KEY;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{PageTransitionEvent, StorageEvent};

/// This tab's random id, fixed for the page's life.
pub fn tab_id() -> String {
    thread_local! {
        static ID: String = data_hex(&crate::random::bytes::<8>());
    }
    ID.with(String::clone)
}

fn data_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn current_holder() -> Holder {
    lease::holder(store::read_raw(LEASE_KEY).as_deref(), &tab_id(), now())
}

fn renew() {
    // Failing to write the lease only weakens tab coordination; nothing is lost.
    store::write_raw(LEASE_KEY, &lease::renewed(&tab_id(), now())).ok();
}

/// Takes the lease unless another live tab holds it. Returns whether this tab holds it now.
pub fn try_acquire() -> bool {
    if current_holder() == Holder::OtherTab {
        return false;
    }
    renew();
    true
}

/// Takes the lease even from another tab (the person chose "use here").
pub fn force_acquire() {
    renew();
}

/// Waits, in a tab that does not hold the lease, for the lease to become free (the other tab
/// closed, crashed or went away), so this tab can carry on without a click. Dropping it
/// stops waiting.
pub struct LeaseWatcher {
    _poll: Interval,
    _storage: EventListener,
}

impl LeaseWatcher {
    /// Calls `on_free` once this tab has taken a lease nobody holds. A closed tab frees its
    /// lease on `pagehide` (seen here through the `storage` event); a crashed or frozen one
    /// lets it run out, which the poll notices within [`RENEW_MS`].
    pub fn wait(on_free: impl Fn() + 'static) -> Self {
        let on_free: Rc<dyn Fn()> = Rc::new(on_free);
        let check = move || {
            if current_holder() == Holder::Nobody && try_acquire() {
                on_free();
            }
        };
        let window = web_sys::window().expect("a page has a window");
        let storage_check = check.clone();
        LeaseWatcher {
            _poll: Interval::new(RENEW_MS, check),
            _storage: EventListener::new(&window, "storage", move |e| {
                let key = e.dyn_ref::<StorageEvent>().and_then(StorageEvent::key);
                if key.as_deref() == Some(LEASE_KEY) {
                    storage_check();
                }
            }),
        }
    }
}

/// Keeps this tab's lease fresh. Dropping it stops renewing and removes all listeners.
pub struct LeaseKeeper {
    _renew: Interval,
    _listeners: [EventListener; 3],
}

impl LeaseKeeper {
    /// Renews the lease every [`RENEW_MS`]; calls `on_lost` once another tab has taken it.
    pub fn hold(on_lost: impl Fn() + 'static) -> Self {
        let on_lost: Rc<dyn Fn()> = Rc::new(on_lost);
        let check = {
            let on_lost = on_lost.clone();
            move || match current_holder() {
                Holder::OtherTab => on_lost(),
                Holder::Me | Holder::Nobody => renew(),
            }
        };
        let window = web_sys::window().expect("a page has a window");
        let storage_check = check.clone();
        let lost_on_show = on_lost.clone();
        LeaseKeeper {
            _renew: Interval::new(RENEW_MS, check),
            _listeners: [
                // Another tab wrote the lease: react at once rather than at the next renewal.
                EventListener::new(&window, "storage", move |e| {
                    let key = e.dyn_ref::<StorageEvent>().and_then(StorageEvent::key);
                    if key.as_deref() == Some(LEASE_KEY) && current_holder() == Holder::OtherTab {
                        storage_check();
                    }
                }),
                // Leaving: free the lease so a reload or another tab can take it at once.
                EventListener::new(&window, "pagehide", |_| {
                    if current_holder() == Holder::Me {
                        store::remove(LEASE_KEY);
                    }
                }),
                // Back from the back/forward cache: take the lease again if it is free.
                EventListener::new(&window, "pageshow", move |e| {
                    let persisted = e
                        .dyn_ref::<PageTransitionEvent>()
                        .is_some_and(|e| e.persisted());
                    if persisted && !try_acquire() {
                        lost_on_show();
                    }
                }),
            ],
        }
    }
}
