//! The browser side of alerts: desktop notifications, the short sound, and the tab title
//! and favicon badge. What to show is decided in `peerchat_core::alert`; this only calls
//! the browser APIs.

use peerchat_core::alert;
use peerchat_core::engine::Arrival;
use peerchat_core::prefs::Prefs;
use std::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{AudioContext, Notification, NotificationOptions, NotificationPermission};

/// Whether desktop notifications can be shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// The person allowed them.
    Granted,
    /// The person refused them (only the browser's site settings can change that).
    Denied,
    /// Not asked yet.
    Ask,
    /// This browser has no notifications (or not on this page, e.g. not a secure context).
    Unsupported,
}

fn supported() -> bool {
    web_sys::window().is_some_and(|w| {
        js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false) && w.is_secure_context()
    })
}

/// The current permission.
pub fn permission() -> Permission {
    if !supported() {
        return Permission::Unsupported;
    }
    match Notification::permission() {
        NotificationPermission::Granted => Permission::Granted,
        NotificationPermission::Denied => Permission::Denied,
        _ => Permission::Ask,
    }
}

/// Asks the browser for permission. Call only from a person's click: asking on load is
/// what makes people refuse (and some browsers ignore it then).
pub async fn request_permission() -> Permission {
    if !supported() {
        return Permission::Unsupported;
    }
    if let Ok(promise) = Notification::request_permission() {
        wasm_bindgen_futures::JsFuture::from(promise).await.ok();
    }
    permission()
}

/// Shows the notification for `arrival` and plays the sound, as `alert::react` decides
/// from the preferences and the browser's permission. `open` runs when the person clicks
/// the notification.
pub fn arrived(prefs: &Prefs, arrival: &Arrival, open: impl FnOnce() + 'static) {
    let reaction = alert::react(prefs, arrival, permission() == Permission::Granted);
    if reaction.sound {
        beep();
    }
    let Some(n) = reaction.notification else {
        return;
    };
    let options = NotificationOptions::new();
    options.set_body(&n.body);
    options.set_tag(&n.tag);
    let Ok(shown) = Notification::new_with_options(&n.title, &options) else {
        return;
    };
    let target = shown.clone();
    // Freed after the click; a notification never clicked keeps its small closure until
    // the page closes (the browser gives no "discarded" event to free it on).
    let on_click = Closure::once_into_js(move || {
        if let Some(window) = web_sys::window() {
            window.focus().ok();
        }
        open();
        target.close();
    });
    shown.set_onclick(Some(on_click.unchecked_ref()));
}

thread_local! {
    /// One audio context for the page's life (browsers limit how many may exist).
    static AUDIO: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
}

/// A short, quiet two-tone chime made in the page (no sound file to load).
fn beep() {
    AUDIO.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            *slot = AudioContext::new().ok();
        }
        let Some(ctx) = slot.as_ref() else {
            return;
        };
        let start = ctx.current_time();
        for (i, freq) in [880.0_f32, 1320.0].into_iter().enumerate() {
            let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
                return;
            };
            let at = start + 0.09 * i as f64;
            osc.frequency().set_value(freq);
            gain.gain().set_value_at_time(0.0001, at).ok();
            gain.gain()
                .exponential_ramp_to_value_at_time(0.08, at + 0.01)
                .ok();
            gain.gain()
                .exponential_ramp_to_value_at_time(0.0001, at + 0.16)
                .ok();
            osc.connect_with_audio_node(&gain).ok();
            gain.connect_with_audio_node(&ctx.destination()).ok();
            osc.start_with_when(at).ok();
            osc.stop_with_when(at + 0.18).ok();
        }
    });
}

/// Puts the unread total in the tab title and the favicon badge.
pub fn show_unread(unread: u64) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    doc.set_title(&alert::page_title(unread));
    if let Ok(Some(link)) = doc.query_selector("link[rel=icon]") {
        link.set_attribute("href", &alert::favicon_url(unread)).ok();
    }
}
