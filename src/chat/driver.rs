//! The driver: owns the chat engine and carries out its effects in the browser. It turns
//! every callback (WebSocket messages, WebRTC events, timers, page events) into one engine
//! input, and every effect into one browser call: a frame on a data channel, a
//! localStorage write (whose result goes straight back to the engine), a signal for the
//! components. It decides nothing.
//!
//! Inputs are queued and handled one at a time, so a callback that fires while an input is
//! being handled never re-enters the engine.

use super::link::BrowserLink;
use super::view::ChatView;
use crate::rtc::{self, RtcEvent};
use gloo_storage::{LocalStorage, Storage};
use gloo_timers::callback::Timeout;
use leptos::task::spawn_local;
use peerchat_core::engine::{
    ConnectionView, Effect, Engine, Input, Intent, LinkCommand, LinkEvent, LinkId, Snapshot,
    StoreError,
};
use peerchat_core::ice::IceServer;
use peerchat_core::identity::Identity;
use peerchat_core::name::DisplayName;
use peerchat_core::room::RoomId;
use peerchat_core::room::invite::Invite;
use peerchat_core::signaling::ClientMessage;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use wasm_bindgen::JsValue;
use web_sys::{RtcDataChannelState, RtcPeerConnection, RtcSdpType};

/// What the driver needs from the rest of the page.
pub struct Ports {
    /// Sends a message through one signaling server (dropped while it is offline).
    pub signal: Rc<dyn Fn(peerchat_core::engine::ServerId, ClientMessage)>,
    /// Shows a notice to the person.
    pub notify: Rc<dyn Fn(String)>,
    /// A message arrived where the person is not reading: notify, play the sound.
    pub alert: Rc<dyn Fn(peerchat_core::engine::Arrival)>,
}

/// Handle to the driver. Cheap to clone.
#[derive(Clone)]
pub struct ChatDriver {
    shared: Rc<Shared>,
}

struct Shared {
    engine: RefCell<Engine>,
    links: RefCell<BTreeMap<LinkId, BrowserLink>>,
    queue: RefCell<VecDeque<Input>>,
    busy: Cell<bool>,
    timer: RefCell<Option<(u64, Timeout)>>,
    ports: Ports,
    view: ChatView,
    ice: RefCell<Vec<IceServer>>,
    relay_only: Cell<bool>,
    refused: RefCell<Vec<String>>,
    /// View changes waiting for the next frame (see [`defer_view`]).
    view_queue: RefCell<VecDeque<peerchat_core::engine::ViewChange>>,
    /// A flush is running (see [`flush_view`]).
    view_flushing: Cell<bool>,
    /// A flush of `view_queue` is scheduled.
    view_scheduled: Cell<bool>,
    /// The intent being handled sent a message whose `ack` comes soon
    /// ([`Effect::AckSoon`]): what it changes on screen waits for the next flush.
    hold: Cell<bool>,
    /// What the page changes itself along with the held view changes (the composer
    /// emptying), run right after them ([`ChatDriver::when_shown`]).
    with_view: RefCell<Vec<Box<dyn FnOnce()>>>,
}

/// Milliseconds since the Unix epoch.
fn now() -> u64 {
    js_sys::Date::now() as u64
}

impl ChatDriver {
    /// Starts the engine for `identity` from what localStorage holds.
    pub fn new(
        identity: &Identity,
        name: Option<DisplayName>,
        ports: Ports,
        view: ChatView,
        ice: Vec<IceServer>,
    ) -> Self {
        let engine = Engine::new(
            Identity::from_secret(identity.secret_bytes()),
            name,
            snapshot(),
            now(),
            crate::random::bytes::<32>(),
        );
        let driver = ChatDriver {
            shared: Rc::new(Shared {
                engine: RefCell::new(engine),
                links: RefCell::new(BTreeMap::new()),
                queue: RefCell::new(VecDeque::new()),
                busy: Cell::new(false),
                timer: RefCell::new(None),
                ports,
                view,
                ice: RefCell::new(ice),
                relay_only: Cell::new(false),
                refused: RefCell::new(Vec::new()),
                view_queue: RefCell::new(VecDeque::new()),
                view_flushing: Cell::new(false),
                view_scheduled: Cell::new(false),
                hold: Cell::new(false),
                with_view: RefCell::new(Vec::new()),
            }),
        };
        // What loading found (views, damage kept aside), shown at once.
        drain(&driver.shared);
        flush_view(&driver.shared);
        if !page_visible() {
            driver.input(Input::Visible(false));
        }
        driver
    }

    /// Feeds one input to the engine (queued if one is being handled).
    pub fn input(&self, input: Input) {
        input_to(&self.shared, input);
    }

    /// An intent of the person; the sentence to show if the engine refused it.
    pub fn intent(&self, intent: Intent) -> Result<(), String> {
        self.shared.refused.borrow_mut().clear();
        // What the person does shows at once, focus and all, unless the engine says the
        // message just sent will be acknowledged within a few milliseconds: then it joins
        // the list, with the composer emptying, in the flush after that pause, so the
        // `ack` is handled before that frame is painted rather than behind it.
        self.shared.hold.set(false);
        self.input(Input::Intent(intent));
        if !self.shared.hold.get() {
            flush_view(&self.shared);
        }
        match self.shared.refused.borrow_mut().drain(..).next() {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    /// Runs `f`, a change the page makes itself after an intent (the composer emptying),
    /// together with what the intent changed on screen: now, or with the held changes.
    pub fn when_shown(&self, f: impl FnOnce() + 'static) {
        if self.shared.hold.get() {
            self.shared.with_view.borrow_mut().push(Box::new(f));
        } else {
            f();
        }
    }

    /// The invitation fragment for room `room` (without `#`).
    pub fn room_invite(&self, room: &RoomId) -> Option<String> {
        let engine = self.shared.engine.try_borrow().ok()?;
        engine.room_invite(room).map(|i: Invite| i.to_fragment())
    }

    /// The verified connection with `peer`, if any.
    pub fn connection(&self, peer: &peerchat_core::identity::PeerId) -> Option<ConnectionView> {
        self.shared.engine.try_borrow().ok()?.connection(peer)
    }

    /// The path of `link` as the browser reports it: the ICE candidate type of this side
    /// of the pair in use (`host`, `srflx`, `prflx`, `relay`) and the round-trip time in
    /// milliseconds, if measured yet.
    pub async fn path(&self, link: LinkId) -> Option<(String, Option<f64>)> {
        use js_sys::Reflect;
        use wasm_bindgen::JsCast;
        let pc = self.shared.links.borrow().get(&link)?.pc.clone();
        let report = wasm_bindgen_futures::JsFuture::from(pc.get_stats())
            .await
            .ok()?;
        let values = Reflect::get(&report, &"values".into())
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()?
            .call0(&report)
            .ok()?;
        let text = |v: &wasm_bindgen::JsValue, k: &str| {
            Reflect::get(v, &k.into()).ok().and_then(|x| x.as_string())
        };
        let mut by_id = BTreeMap::new();
        let mut pair = None;
        for v in js_sys::try_iter(&values).ok()??.flatten() {
            if text(&v, "type").as_deref() == Some("candidate-pair")
                && text(&v, "state").as_deref() == Some("succeeded")
                && Reflect::get(&v, &"nominated".into()).ok()?.as_bool() == Some(true)
            {
                pair = Some(v.clone());
            }
            if let Some(id) = text(&v, "id") {
                by_id.insert(id, v);
            }
        }
        let pair = pair?;
        let local = by_id.get(&text(&pair, "localCandidateId")?)?;
        let kind = text(local, "candidateType")?;
        let rtt = Reflect::get(&pair, &"currentRoundTripTime".into())
            .ok()
            .and_then(|x| x.as_f64())
            .map(|s| s * 1_000.0);
        Some((kind, rtt))
    }

    /// ICE servers for connections made from now on.
    pub fn set_ice(&self, ice: Vec<IceServer>) {
        *self.shared.ice.borrow_mut() = ice;
    }

    /// Relayed paths only, for connections made from now on.
    pub fn set_relay_only(&self, relay_only: bool) {
        self.shared.relay_only.set(relay_only);
    }
}

/// Everything under `peerchat/v1/` that the chat reads (not the identity, profile,
/// settings, lease, or values kept aside).
fn snapshot() -> Snapshot {
    let mut out = Snapshot::new();
    for (key, value) in crate::store::all_entries() {
        let chat = !key.starts_with(peerchat_core::storage::DAMAGED_PREFIX)
            && ![
                peerchat_core::storage::IDENTITY_KEY,
                peerchat_core::storage::PROFILE_KEY,
                peerchat_core::storage::SETTINGS_KEY,
                peerchat_core::storage::LEASE_KEY,
                peerchat_core::prefs::PREFS_KEY,
            ]
            .contains(&key.as_str());
        if chat {
            out.insert(key, value);
        }
    }
    out
}

fn input_to(shared: &Rc<Shared>, input: Input) {
    shared.queue.borrow_mut().push_back(input);
    if shared.busy.replace(true) {
        return;
    }
    loop {
        let Some(input) = shared.queue.borrow_mut().pop_front() else {
            break;
        };
        shared.engine.borrow_mut().handle(now(), input);
        drain(shared);
    }
    shared.busy.set(false);
    arm_timer(shared);
}

/// Carries out every effect waiting.
fn drain(shared: &Rc<Shared>) {
    loop {
        let Some(effect) = shared.engine.borrow_mut().poll_effect() else {
            break;
        };
        carry_out(shared, effect);
    }
}

fn carry_out(shared: &Rc<Shared>, effect: Effect) {
    match effect {
        Effect::Signal { server, message } => (shared.ports.signal)(server, message),
        Effect::Link { link, command } => link_command(shared, link, command),
        Effect::Write { token, key, value } => {
            let result = write(&key, &value);
            // Straight back, before any other input: an acknowledgement means "stored".
            shared
                .engine
                .borrow_mut()
                .handle(now(), Input::Stored { token, result });
        }
        Effect::Remove { key } => LocalStorage::delete(&key),
        Effect::View(change) => defer_view(shared, change),
        Effect::Notice(notice) => (shared.ports.notify)(notice.text()),
        Effect::Alert(arrival) => (shared.ports.alert)(arrival),
        Effect::Refused(why) => shared.refused.borrow_mut().push(why),
        Effect::AckSoon => {
            shared.hold.set(true);
            schedule_flush(shared);
        }
        Effect::Mark(name) => {
            if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
                perf.mark(&name).ok();
            }
        }
        Effect::Log(line) => web_sys::console::debug_1(&line.into()),
    }
}

/// How long view changes wait before they are applied: on a fast network the next frame
/// (an `ack`, a friend's next message) comes within a millisecond or two, and it should
/// not queue behind the paint of the frame that shows this one. Shorter than a frame, so
/// nobody sees the difference. The engine's [`peerchat_core::engine::ACK_SOON_MS`].
const VIEW_DELAY_MS: u32 = peerchat_core::engine::ACK_SOON_MS as u32;

/// Queues a view change for the next flush ([`schedule_flush`]). What a message or an
/// `ack` needs (storing, sending) is already done when the engine emits a view change;
/// rendering it at once would make Chromium lay out and paint before the next network
/// event is handled, so a frame arriving a millisecond later would wait behind that
/// paint. (The person's own actions are flushed at once by [`ChatDriver::intent`].)
fn defer_view(shared: &Rc<Shared>, change: peerchat_core::engine::ViewChange) {
    shared.view_queue.borrow_mut().push_back(change);
    schedule_flush(shared);
}

/// Flushes the view after a pause of [`VIEW_DELAY_MS`], unless a flush is scheduled. A
/// task, not an animation frame: what it changes is painted in the next frame either way,
/// and a hidden page gets no frames.
fn schedule_flush(shared: &Rc<Shared>) {
    if shared.view_scheduled.replace(true) {
        return;
    }
    let weak = Rc::downgrade(shared);
    Timeout::new(VIEW_DELAY_MS, move || {
        if let Some(shared) = weak.upgrade() {
            flush_view(&shared);
        }
    })
    .forget();
}

/// Applies every view change waiting, in order. A component reacting to a change may
/// act (an intent) and so queue more while this runs: the loop takes them in turn, and a
/// nested call leaves them to it, so no change is ever applied before an earlier one.
fn flush_view(shared: &Shared) {
    shared.view_scheduled.set(false);
    if shared.view_flushing.replace(true) {
        return;
    }
    loop {
        let Some(change) = shared.view_queue.borrow_mut().pop_front() else {
            break;
        };
        shared.view.apply(change);
    }
    shared.hold.set(false);
    let with_view = std::mem::take(&mut *shared.with_view.borrow_mut());
    for f in with_view {
        f();
    }
    shared.view_flushing.set(false);
}

/// Writes a value; tells a full quota from other refusals.
fn write(key: &str, value: &str) -> Result<(), StoreError> {
    LocalStorage::raw().set_item(key, value).map_err(|e| {
        let name = js_sys::Reflect::get(&e, &"name".into())
            .ok()
            .and_then(|n| n.as_string());
        if name.as_deref() == Some("QuotaExceededError") {
            StoreError::Full
        } else {
            StoreError::Refused
        }
    })
}

/// Arms the one browser timer for the engine's next deadline.
fn arm_timer(shared: &Rc<Shared>) {
    let Some(at) = shared.engine.borrow().poll_timeout() else {
        shared.timer.borrow_mut().take();
        return;
    };
    if shared
        .timer
        .borrow()
        .as_ref()
        .is_some_and(|(t, _)| *t == at)
    {
        return;
    }
    let delay = at.saturating_sub(now()).min(u64::from(u32::MAX)) as u32;
    let weak = Rc::downgrade(shared);
    let timeout = Timeout::new(delay, move || {
        if let Some(shared) = weak.upgrade() {
            shared.timer.borrow_mut().take();
            input_to(&shared, Input::Tick);
        }
    });
    *shared.timer.borrow_mut() = Some((at, timeout));
}

fn link_command(shared: &Rc<Shared>, link: LinkId, command: LinkCommand) {
    match command {
        LinkCommand::Dial { .. } | LinkCommand::Answer { .. } => {
            match rtc::peer_connection(&shared.ice.borrow(), shared.relay_only.get()) {
                Ok(pc) => {
                    let mut l = BrowserLink::new(pc);
                    l.listeners = rtc::listen_connection(&l.pc, emitter(shared, link));
                    if let LinkCommand::Dial { label } = &command {
                        let dc = rtc::data_channel(&l.pc, label);
                        l.listeners
                            .extend(rtc::listen_channel(&dc, emitter(shared, link)));
                        l.dc = Some(dc);
                    }
                    shared.links.borrow_mut().insert(link, l);
                    enqueue(shared, link, command);
                }
                // Chromium refuses beyond its limit of peer connections: the link fails.
                Err(e) => report_later(
                    shared,
                    link,
                    LinkEvent::Closed(format!(
                        "could not create a connection: {}",
                        rtc::describe(&e)
                    )),
                ),
            }
        }
        LinkCommand::SetAnswer { .. }
        | LinkCommand::AddCandidate(_)
        | LinkCommand::Restart
        | LinkCommand::Renegotiate { .. } => enqueue(shared, link, command),
        LinkCommand::Send(bytes) => {
            let sent = shared.links.borrow().get(&link).map(|l| l.send(&bytes));
            if sent == Some(false) {
                web_sys::console::debug_1(
                    &format!("Peerchat: a frame on link {link} was not sent (channel not open)")
                        .into(),
                );
            }
        }
        LinkCommand::Close => {
            let closed = shared.links.borrow_mut().remove(&link);
            drop(closed);
        }
    }
}

/// Reports a link event from a later task (never from inside the engine's own call).
fn report_later(shared: &Rc<Shared>, link: LinkId, event: LinkEvent) {
    let weak = Rc::downgrade(shared);
    spawn_local(async move {
        if let Some(shared) = weak.upgrade() {
            input_to(&shared, Input::Link { link, event });
        }
    });
}

fn enqueue(shared: &Rc<Shared>, link: LinkId, command: LinkCommand) {
    let start = {
        let mut links = shared.links.borrow_mut();
        let Some(l) = links.get_mut(&link) else {
            return;
        };
        l.waiting.push_back(command);
        !std::mem::replace(&mut l.busy, true)
    };
    if start {
        next_step(Rc::downgrade(shared), link);
    }
}

/// Runs the link's next waiting command, then the one after, until none is left.
fn next_step(weak: Weak<Shared>, link: LinkId) {
    let Some(shared) = weak.upgrade() else {
        return;
    };
    let step = {
        let mut links = shared.links.borrow_mut();
        let Some(l) = links.get_mut(&link) else {
            return;
        };
        match l.waiting.pop_front() {
            Some(command) => Some((l.pc.clone(), command)),
            None => {
                l.busy = false;
                None
            }
        }
    };
    let Some((pc, command)) = step else {
        return;
    };
    // The browser call starts now (see `rtc`); the task only waits for it.
    let started = start(&pc, command);
    spawn_local(async move {
        let event = started.await;
        let Some(shared) = weak.upgrade() else {
            return;
        };
        if let Some(event) = event
            && shared.links.borrow().contains_key(&link)
        {
            input_to(&shared, Input::Link { link, event });
        }
        next_step(weak, link);
    });
}

/// Starts one waiting command in the browser; resolves to what the engine is told.
fn start(
    pc: &RtcPeerConnection,
    command: LinkCommand,
) -> Pin<Box<dyn Future<Output = Option<LinkEvent>>>> {
    let described = |sdp: Result<String, JsValue>, ready: fn(String) -> LinkEvent| {
        Some(sdp.map_or_else(|e| LinkEvent::Closed(rtc::describe(&e)), ready))
    };
    match command {
        LinkCommand::Dial { .. } => {
            let offer = rtc::make_offer(pc);
            Box::pin(async move { described(offer.await, LinkEvent::OfferReady) })
        }
        LinkCommand::Restart => {
            let offer = rtc::restart_offer(pc);
            Box::pin(async move { described(offer.await, LinkEvent::OfferReady) })
        }
        LinkCommand::Answer { offer } | LinkCommand::Renegotiate { offer } => {
            let answer = rtc::accept_offer(pc, &offer);
            Box::pin(async move { described(answer.await, LinkEvent::AnswerReady) })
        }
        LinkCommand::SetAnswer { answer } => {
            let set = rtc::set_remote(pc, RtcSdpType::Answer, &answer);
            Box::pin(async move {
                set.await
                    .err()
                    .map(|e| LinkEvent::Closed(rtc::describe(&e)))
            })
        }
        // A bad candidate only loses that path.
        LinkCommand::AddCandidate(candidate) => {
            let added = rtc::add_candidate(pc, &candidate);
            Box::pin(async move {
                added.await.ok();
                None
            })
        }
        LinkCommand::Send(_) | LinkCommand::Close => Box::pin(async { None }),
    }
}

/// The callback that turns a link's browser events into engine inputs.
fn emitter(shared: &Rc<Shared>, link: LinkId) -> rtc::Emit {
    let weak = Rc::downgrade(shared);
    Rc::new(move |event: RtcEvent| {
        let Some(shared) = weak.upgrade() else {
            return;
        };
        let event = match event {
            RtcEvent::LocalCandidate(c) => LinkEvent::LocalCandidate(c),
            RtcEvent::DataChannel(dc) => {
                // The answering side's channel: keep it and listen to it.
                let open = dc.ready_state() == RtcDataChannelState::Open;
                {
                    let mut links = shared.links.borrow_mut();
                    let Some(l) = links.get_mut(&link) else {
                        return;
                    };
                    if l.dc.is_some() {
                        return;
                    }
                    l.listeners
                        .extend(rtc::listen_channel(&dc, emitter(&shared, link)));
                    l.dc = Some(dc);
                }
                if !open {
                    return;
                }
                LinkEvent::ChannelOpen
            }
            RtcEvent::ChannelOpen => LinkEvent::ChannelOpen,
            RtcEvent::Frame(bytes) => LinkEvent::Frame(bytes),
            RtcEvent::Closed(reason) => LinkEvent::Closed(reason.to_string()),
            RtcEvent::Disconnected => LinkEvent::Disconnected,
            RtcEvent::Connected => LinkEvent::Connected,
            RtcEvent::Unreachable => LinkEvent::Unreachable,
        };
        input_to(&shared, Input::Link { link, event });
    })
}

/// Whether the person can see the page now.
pub fn page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == web_sys::VisibilityState::Visible)
}
