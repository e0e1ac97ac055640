//! The signaling adapter: a web-sys WebSocket and gloo timers driven by the core's
//! [`SignalingMachine`]. Every browser callback becomes one [`Input`]; every [`Action`] the
//! machine returns is carried out here, and nothing else is decided here.

use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::Timeout;
use peerchat_core::signaling::{
    Action, Input, OfflineReason, ServerMessage, SignalingMachine, Status, Timer,
};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, PageTransitionEvent, WebSocket};

/// A running signaling connection. Dropping it closes the socket and removes every
/// listener and timer it owns.
pub struct SignalingClient {
    shared: Rc<Shared>,
}

struct Shared {
    inner: RefCell<Inner>,
    /// Inputs waiting to be handled; callbacks that fire while an input is being handled
    /// (a WebSocket constructor that throws) queue here instead of re-entering.
    queue: RefCell<VecDeque<Input>>,
    busy: Cell<bool>,
    on_status: Box<dyn Fn(Status)>,
    on_message: Box<dyn Fn(ServerMessage)>,
}

struct Inner {
    machine: SignalingMachine,
    socket: Option<Socket>,
    timers: HashMap<Timer, Timeout>,
    window_listeners: Vec<EventListener>,
}

/// A WebSocket with its listeners; closing it on drop.
struct Socket {
    ws: WebSocket,
    _listeners: [EventListener; 3],
}

impl Drop for Socket {
    fn drop(&mut self) {
        // The listeners are removed with this struct, so no callback of this socket arrives.
        self.ws.close().ok();
    }
}

impl SignalingClient {
    /// Starts registering at `url` (a [`peerchat_core::endpoint::Endpoint::websocket_url`]).
    /// `on_status` hears every status change; `on_message` every relayed message.
    pub fn start(
        url: String,
        on_status: impl Fn(Status) + 'static,
        on_message: impl Fn(ServerMessage) + 'static,
    ) -> Self {
        let shared = Rc::new(Shared {
            inner: RefCell::new(Inner {
                machine: SignalingMachine::new(url, crate::random::u64()),
                socket: None,
                timers: HashMap::new(),
                window_listeners: Vec::new(),
            }),
            queue: RefCell::new(VecDeque::new()),
            busy: Cell::new(false),
            on_status: Box::new(on_status),
            on_message: Box::new(on_message),
        });
        let listeners = window_listeners(Rc::downgrade(&shared));
        shared.inner.borrow_mut().window_listeners = listeners;
        if !web_sys::window()
            .map(|w| w.navigator().on_line())
            .unwrap_or(true)
        {
            dispatch(&shared, Input::BrowserOffline);
        }
        dispatch(&shared, Input::Connect);
        SignalingClient { shared }
    }

    /// Connects again now, skipping any backoff wait.
    pub fn retry_now(&self) {
        dispatch(&self.shared, Input::Connect);
    }

    /// Sends a frame to the server; dropped while not connected.
    pub fn send(&self, text: String) {
        dispatch(&self.shared, Input::Send(text));
    }

    /// Disconnects and stays disconnected until [`SignalingClient::retry_now`].
    pub fn stop(&self, reason: OfflineReason) {
        dispatch(&self.shared, Input::Stop(reason));
    }
}

fn window_listeners(weak: Weak<Shared>) -> Vec<EventListener> {
    let Some(window) = web_sys::window() else {
        return vec![];
    };
    let on = |event: &'static str, make: fn(&web_sys::Event) -> Option<Input>| {
        let weak = weak.clone();
        EventListener::new(&window, event, move |e| {
            if let (Some(shared), Some(input)) = (weak.upgrade(), make(e)) {
                dispatch(&shared, input);
            }
        })
    };
    vec![
        on("online", |_| Some(Input::BrowserOnline)),
        on("offline", |_| Some(Input::BrowserOffline)),
        // Close the socket when the page goes away so the server frees our id at once.
        on("pagehide", |_| Some(Input::Stop(OfflineReason::PageHidden))),
        // Back from the back/forward cache: connect again.
        on("pageshow", |e| {
            let persisted = e
                .dyn_ref::<PageTransitionEvent>()
                .is_some_and(|e| e.persisted());
            persisted.then_some(Input::Connect)
        }),
    ]
}

/// Feeds one input through the machine and carries out the resulting actions.
fn dispatch(shared: &Rc<Shared>, input: Input) {
    shared.queue.borrow_mut().push_back(input);
    if shared.busy.replace(true) {
        return;
    }
    let mut delivered = Vec::new();
    loop {
        let Some(input) = shared.queue.borrow_mut().pop_front() else {
            break;
        };
        let actions = shared.inner.borrow_mut().machine.handle(input);
        for action in actions {
            perform(shared, action, &mut delivered);
        }
    }
    shared.busy.set(false);
    let status = shared.inner.borrow().machine.status();
    (shared.on_status)(status);
    for message in delivered {
        (shared.on_message)(message);
    }
}

/// Carries out one action. Relayed messages are collected in `delivered` and handed on once
/// the machine is idle, so the receiver may dispatch again.
fn perform(shared: &Rc<Shared>, action: Action, delivered: &mut Vec<ServerMessage>) {
    let weak = Rc::downgrade(shared);
    match action {
        Action::OpenSocket { url, epoch } => {
            let mut inner = shared.inner.borrow_mut();
            inner.socket = None;
            inner.timers.clear();
            match open_socket(&url, epoch, weak) {
                Some(socket) => inner.socket = Some(socket),
                // The constructor throws for URLs the browser will not open (for example
                // ws:// from an https page); to the machine that is a socket that closed.
                None => shared
                    .queue
                    .borrow_mut()
                    .push_back(Input::SocketClosed { epoch }),
            }
        }
        Action::Send(text) => {
            if let Some(socket) = &shared.inner.borrow().socket {
                socket.ws.send_with_str(&text).ok();
            }
        }
        Action::CloseSocket => {
            let mut inner = shared.inner.borrow_mut();
            inner.socket = None;
            inner.timers.clear();
        }
        Action::StartTimer { timer, ms, epoch } => {
            let timeout = Timeout::new(ms, move || {
                if let Some(shared) = weak.upgrade() {
                    dispatch(&shared, Input::TimerFired { timer, epoch });
                }
            });
            // Replacing a timer of the same kind drops (cancels) the old one.
            shared.inner.borrow_mut().timers.insert(timer, timeout);
        }
        Action::Deliver(message) => delivered.push(message),
    }
}

fn open_socket(url: &str, epoch: u64, weak: Weak<Shared>) -> Option<Socket> {
    let ws = WebSocket::new(url).ok()?;
    let listen = |event: &'static str, make: fn(u64, &web_sys::Event) -> Option<Input>| {
        let weak = weak.clone();
        EventListener::new_with_options(&ws, event, EventListenerOptions::default(), move |e| {
            if let (Some(shared), Some(input)) = (weak.upgrade(), make(epoch, e)) {
                dispatch(&shared, input);
            }
        })
    };
    let listeners = [
        listen("open", |epoch, _| Some(Input::SocketOpened { epoch })),
        listen("message", |epoch, e| {
            // The server only sends text frames; anything else is ignored.
            let text = e.dyn_ref::<MessageEvent>()?.data().as_string()?;
            Some(Input::SocketText { epoch, text })
        }),
        // `close` follows every `error`, so close alone ends the socket.
        listen("close", |epoch, _| Some(Input::SocketClosed { epoch })),
    ];
    Some(Socket {
        ws,
        _listeners: listeners,
    })
}
