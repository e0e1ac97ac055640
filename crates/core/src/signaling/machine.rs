//! The signaling connection as a pure state machine.
//!
//! The browser adapter owns the WebSocket and the timers; it feeds every callback in as an
//! [`Input`] and carries out the [`Action`]s that come back. Every socket and timer is
//! tagged with the `epoch` it belongs to, so a late callback from a socket that has already
//! been replaced is recognised and ignored.

use super::message::{ClientMessage, ErrorKind, ServerMessage};
use crate::backoff;

/// How long after the socket opens, without ERROR or ID-TAKEN, we consider ourselves
/// registered. The stock server sends no OPEN when a socket with the same token replaces an
/// older one (a known server bug), so silence means success.
pub const REGISTER_GRACE_MS: u32 = 1_000;
/// Interval between heartbeats; the stock server frees ids silent for 60 s or more.
pub const HEARTBEAT_MS: u32 = 5_000;

/// The timers the machine asks for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Timer {
    /// Registration grace period after the socket opened.
    Register,
    /// Next heartbeat.
    Heartbeat,
    /// Next reconnection attempt.
    Retry,
}

/// Something that happened, fed in by the adapter.
#[derive(Clone, PartialEq, Debug)]
pub enum Input {
    /// Start (or restart now) connecting, resetting the backoff.
    Connect,
    /// The socket of `epoch` opened.
    SocketOpened {
        /// Which socket.
        epoch: u64,
    },
    /// A text frame arrived on the socket of `epoch`.
    SocketText {
        /// Which socket.
        epoch: u64,
        /// The frame.
        text: String,
    },
    /// The socket of `epoch` closed (or failed to connect).
    SocketClosed {
        /// Which socket.
        epoch: u64,
    },
    /// A timer started by [`Action::StartTimer`] fired.
    TimerFired {
        /// Which timer.
        timer: Timer,
        /// The epoch it was started for.
        epoch: u64,
    },
    /// The browser reports the network is gone (`offline` event).
    BrowserOffline,
    /// The browser reports the network is back (`online` event).
    BrowserOnline,
    /// Disconnect and stay disconnected until [`Input::Connect`]: the page is being hidden,
    /// or another tab now owns the profile.
    Stop(OfflineReason),
    /// Send a frame to the server (a relayed offer, answer or candidate). Dropped unless a
    /// socket is open: the connection layer times out and tries again.
    Send(String),
}

/// Something the adapter must do.
#[derive(Clone, PartialEq, Debug)]
pub enum Action {
    /// Close any current socket and open a new one to `url`, tagged with `epoch`.
    OpenSocket {
        /// The WebSocket URL.
        url: String,
        /// The tag for this socket's callbacks.
        epoch: u64,
    },
    /// Send a text frame on the current socket.
    Send(String),
    /// Close the current socket (its close callback may still arrive; it will be stale).
    CloseSocket,
    /// Fire [`Input::TimerFired`] with `timer` and `epoch` after `ms` milliseconds.
    StartTimer {
        /// Which timer.
        timer: Timer,
        /// Delay.
        ms: u32,
        /// The epoch to report back.
        epoch: u64,
    },
    /// A message for the connection layer (offers, answers, candidates, EXPIRE, LEAVE).
    Deliver(ServerMessage),
}

/// Why we are not connected, in words a person can act on.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum OfflineReason {
    /// The server could not be reached (nothing answered, or the connection was refused).
    ServerUnreachable,
    /// We were connected and the connection dropped.
    ConnectionLost,
    /// Another browser holds our id at the server.
    IdTaken,
    /// The server refused the key in the endpoint settings.
    InvalidKey,
    /// The server is at its user limit.
    ServerFull,
    /// Another server error, with its text.
    ServerError(String),
    /// The browser says it has no network.
    BrowserOffline,
    /// This profile is open in another tab, which holds the connection.
    OpenInOtherTab,
    /// The page is being put away (navigated from, or into the back/forward cache).
    PageHidden,
}

impl OfflineReason {
    /// A short explanation for the status bar.
    pub fn describe(&self) -> String {
        match self {
            OfflineReason::ServerUnreachable => "server unreachable".into(),
            OfflineReason::ConnectionLost => "connection lost".into(),
            OfflineReason::IdTaken => "your ID is in use by another browser".into(),
            OfflineReason::InvalidKey => "the server refused the key (check settings)".into(),
            OfflineReason::ServerFull => "the server is full".into(),
            OfflineReason::ServerError(msg) => format!("server error: {msg}"),
            OfflineReason::BrowserOffline => "no network".into(),
            OfflineReason::OpenInOtherTab => "open in another tab".into(),
            OfflineReason::PageHidden => "page hidden".into(),
        }
    }
}

/// The connection status shown to the person.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Status {
    /// Opening the socket or waiting for registration.
    Connecting,
    /// Registered with the server.
    Online,
    /// Not connected.
    Offline {
        /// Why.
        reason: OfflineReason,
        /// When the next automatic attempt happens, if one is planned.
        retry_in_ms: Option<u32>,
    },
}

#[derive(Clone, PartialEq, Debug)]
enum Phase {
    Idle,
    Connecting,
    Registering,
    Online,
    Waiting {
        reason: OfflineReason,
        retry_in_ms: u32,
    },
    Halted(OfflineReason),
}

/// The signaling connection state machine. See the module docs.
#[derive(Debug)]
pub struct SignalingMachine {
    url: String,
    phase: Phase,
    epoch: u64,
    failures: u32,
    pending_failure: Option<OfflineReason>,
    browser_online: bool,
    rng: u64,
}

impl SignalingMachine {
    /// A machine that will register at `url` (see
    /// [`crate::endpoint::Endpoint::websocket_url`]). `seed` feeds the backoff jitter; give it
    /// random bits. Nothing happens until [`Input::Connect`].
    pub fn new(url: String, seed: u64) -> Self {
        SignalingMachine {
            url,
            phase: Phase::Idle,
            epoch: 0,
            failures: 0,
            pending_failure: None,
            browser_online: true,
            rng: seed | 1,
        }
    }

    /// The status to show.
    pub fn status(&self) -> Status {
        match &self.phase {
            Phase::Idle | Phase::Connecting | Phase::Registering => Status::Connecting,
            Phase::Online => Status::Online,
            Phase::Waiting {
                reason,
                retry_in_ms,
            } => Status::Offline {
                reason: reason.clone(),
                retry_in_ms: Some(*retry_in_ms),
            },
            Phase::Halted(reason) => Status::Offline {
                reason: reason.clone(),
                retry_in_ms: None,
            },
        }
    }

    /// True while a socket is registered and messages can be relayed.
    pub fn is_online(&self) -> bool {
        self.phase == Phase::Online
    }

    /// Feeds one input and returns what to do, in order.
    pub fn handle(&mut self, input: Input) -> Vec<Action> {
        match input {
            Input::Connect => {
                self.failures = 0;
                self.connect()
            }
            Input::SocketOpened { epoch } if epoch == self.epoch => {
                if self.phase != Phase::Connecting {
                    return vec![];
                }
                self.phase = Phase::Registering;
                vec![
                    Action::StartTimer {
                        timer: Timer::Register,
                        ms: REGISTER_GRACE_MS,
                        epoch,
                    },
                    Action::StartTimer {
                        timer: Timer::Heartbeat,
                        ms: HEARTBEAT_MS,
                        epoch,
                    },
                ]
            }
            Input::SocketText { epoch, text } if epoch == self.epoch => self.on_text(&text),
            Input::SocketClosed { epoch } if epoch == self.epoch => self.on_closed(),
            Input::TimerFired { timer, epoch } if epoch == self.epoch => self.on_timer(timer),
            Input::BrowserOffline => {
                self.browser_online = false;
                self.halt(OfflineReason::BrowserOffline)
            }
            Input::BrowserOnline => {
                self.browser_online = true;
                match self.phase {
                    Phase::Halted(OfflineReason::BrowserOffline) | Phase::Waiting { .. } => {
                        self.failures = 0;
                        self.connect()
                    }
                    _ => vec![],
                }
            }
            Input::Stop(reason) => self.halt(reason),
            Input::Send(text) => match self.phase {
                Phase::Registering | Phase::Online => vec![Action::Send(text)],
                _ => vec![],
            },
            // Callbacks from a socket or timer of an earlier epoch.
            _ => vec![],
        }
    }

    fn connect(&mut self) -> Vec<Action> {
        self.epoch += 1;
        self.pending_failure = None;
        if !self.browser_online {
            self.phase = Phase::Halted(OfflineReason::BrowserOffline);
            return vec![Action::CloseSocket];
        }
        self.phase = Phase::Connecting;
        vec![Action::OpenSocket {
            url: self.url.clone(),
            epoch: self.epoch,
        }]
    }

    fn halt(&mut self, reason: OfflineReason) -> Vec<Action> {
        // A new epoch makes every callback of the old socket and its timers stale.
        self.epoch += 1;
        self.phase = Phase::Halted(reason);
        vec![Action::CloseSocket]
    }

    fn on_text(&mut self, text: &str) -> Vec<Action> {
        // Malformed frames are dropped: the server is not trusted to be well-formed.
        let Ok(message) = ServerMessage::parse(text) else {
            return vec![];
        };
        match message {
            ServerMessage::Open => {
                self.phase = Phase::Online;
                self.failures = 0;
                vec![]
            }
            ServerMessage::IdTaken => {
                self.pending_failure = Some(OfflineReason::IdTaken);
                vec![]
            }
            ServerMessage::Error(kind) => {
                self.pending_failure = Some(match kind {
                    ErrorKind::InvalidKey => OfflineReason::InvalidKey,
                    ErrorKind::ServerFull => OfflineReason::ServerFull,
                    ErrorKind::Other(msg) => OfflineReason::ServerError(msg),
                });
                vec![]
            }
            ServerMessage::Unknown(_) => vec![],
            relayed => vec![Action::Deliver(relayed)],
        }
    }

    fn on_closed(&mut self) -> Vec<Action> {
        let reason = match (self.pending_failure.take(), &self.phase) {
            (Some(reason), _) => reason,
            (None, Phase::Online | Phase::Registering) => OfflineReason::ConnectionLost,
            (None, Phase::Connecting) => OfflineReason::ServerUnreachable,
            // Already waiting or halted: nothing more to do.
            (None, _) => return vec![],
        };
        if reason == OfflineReason::InvalidKey {
            // The same key will be refused again; wait for the person to change settings.
            self.phase = Phase::Halted(reason);
            return vec![];
        }
        let ms = backoff::delay_ms(self.failures, self.next_jitter());
        self.failures = self.failures.saturating_add(1);
        self.phase = Phase::Waiting {
            reason,
            retry_in_ms: ms,
        };
        vec![Action::StartTimer {
            timer: Timer::Retry,
            ms,
            epoch: self.epoch,
        }]
    }

    fn on_timer(&mut self, timer: Timer) -> Vec<Action> {
        match (timer, &self.phase) {
            (Timer::Register, Phase::Registering) => {
                self.phase = Phase::Online;
                self.failures = 0;
                vec![]
            }
            (Timer::Heartbeat, Phase::Registering | Phase::Online) => vec![
                Action::Send(ClientMessage::Heartbeat.to_json()),
                Action::StartTimer {
                    timer: Timer::Heartbeat,
                    ms: HEARTBEAT_MS,
                    epoch: self.epoch,
                },
            ],
            (Timer::Retry, Phase::Waiting { .. }) => self.connect(),
            _ => vec![],
        }
    }

    /// xorshift64: jitter needs spread, not secrecy.
    fn next_jitter(&mut self) -> f64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "ws://127.0.0.1:9000/x/peerjs?key=peerjs&id=pc-a&token=t&version=1.5.5";

    fn machine() -> SignalingMachine {
        SignalingMachine::new(URL.into(), 42)
    }

    fn opened(m: &mut SignalingMachine) -> u64 {
        let acts = m.handle(Input::Connect);
        let epoch = match &acts[..] {
            [Action::OpenSocket { url, epoch }] if url == URL => *epoch,
            other => panic!("{other:?}"),
        };
        m.handle(Input::SocketOpened { epoch });
        epoch
    }

    fn retry_delay(acts: &[Action]) -> u32 {
        match acts {
            [
                Action::StartTimer {
                    timer: Timer::Retry,
                    ms,
                    ..
                },
            ] => *ms,
            other => panic!("expected a retry timer, got {other:?}"),
        }
    }

    #[test]
    fn open_message_makes_us_online() {
        let mut m = machine();
        assert_eq!(m.status(), Status::Connecting);
        let epoch = opened(&mut m);
        assert_eq!(m.status(), Status::Connecting);
        m.handle(Input::SocketText {
            epoch,
            text: r#"{"type":"OPEN"}"#.into(),
        });
        assert_eq!(m.status(), Status::Online);
    }

    #[test]
    fn silence_after_open_counts_as_registered() {
        let mut m = machine();
        let epoch = opened(&mut m);
        m.handle(Input::TimerFired {
            timer: Timer::Register,
            epoch,
        });
        assert!(m.is_online());
    }

    #[test]
    fn heartbeat_repeats_while_connected() {
        let mut m = machine();
        let epoch = opened(&mut m);
        let acts = m.handle(Input::TimerFired {
            timer: Timer::Heartbeat,
            epoch,
        });
        assert_eq!(
            acts,
            vec![
                Action::Send(r#"{"type":"HEARTBEAT"}"#.into()),
                Action::StartTimer {
                    timer: Timer::Heartbeat,
                    ms: HEARTBEAT_MS,
                    epoch
                },
            ]
        );
    }

    #[test]
    fn unreachable_server_backs_off_and_retries() {
        let mut m = machine();
        let mut epoch = match &m.handle(Input::Connect)[..] {
            [Action::OpenSocket { epoch, .. }] => *epoch,
            other => panic!("{other:?}"),
        };
        let mut delays = vec![];
        for _ in 0..6 {
            let acts = m.handle(Input::SocketClosed { epoch });
            let ms = retry_delay(&acts);
            assert!(matches!(
                m.status(),
                Status::Offline {
                    reason: OfflineReason::ServerUnreachable,
                    retry_in_ms: Some(_)
                }
            ));
            delays.push(ms);
            match &m.handle(Input::TimerFired {
                timer: Timer::Retry,
                epoch,
            })[..]
            {
                [Action::OpenSocket { epoch: e, .. }] => epoch = *e,
                other => panic!("{other:?}"),
            }
        }
        let steps = [1000, 2000, 4000, 8000, 10000, 10000];
        for (ms, step) in delays.iter().zip(steps) {
            assert!(*ms <= step && *ms * 4 >= step * 3, "{delays:?}");
        }
    }

    #[test]
    fn successful_registration_resets_backoff() {
        let mut m = machine();
        let e1 = match &m.handle(Input::Connect)[..] {
            [Action::OpenSocket { epoch, .. }] => *epoch,
            _ => unreachable!(),
        };
        m.handle(Input::SocketClosed { epoch: e1 });
        let e2 = match &m.handle(Input::TimerFired {
            timer: Timer::Retry,
            epoch: e1,
        })[..]
        {
            [Action::OpenSocket { epoch, .. }] => *epoch,
            _ => unreachable!(),
        };
        m.handle(Input::SocketClosed { epoch: e2 });
        let e3 = match &m.handle(Input::TimerFired {
            timer: Timer::Retry,
            epoch: e2,
        })[..]
        {
            [Action::OpenSocket { epoch, .. }] => *epoch,
            _ => unreachable!(),
        };
        m.handle(Input::SocketOpened { epoch: e3 });
        m.handle(Input::SocketText {
            epoch: e3,
            text: r#"{"type":"OPEN"}"#.into(),
        });
        let acts = m.handle(Input::SocketClosed { epoch: e3 });
        assert!(retry_delay(&acts) <= 1000);
        assert!(matches!(
            m.status(),
            Status::Offline {
                reason: OfflineReason::ConnectionLost,
                ..
            }
        ));
    }

    #[test]
    fn id_taken_is_reported_and_retried() {
        let mut m = machine();
        let epoch = opened(&mut m);
        m.handle(Input::SocketText {
            epoch,
            text: r#"{"type":"ID-TAKEN","payload":{"msg":"ID is taken"}}"#.into(),
        });
        let acts = m.handle(Input::SocketClosed { epoch });
        retry_delay(&acts);
        assert!(matches!(
            m.status(),
            Status::Offline {
                reason: OfflineReason::IdTaken,
                ..
            }
        ));
    }

    #[test]
    fn invalid_key_halts_without_retry() {
        let mut m = machine();
        let epoch = opened(&mut m);
        m.handle(Input::SocketText {
            epoch,
            text: r#"{"type":"ERROR","payload":{"msg":"Invalid key provided"}}"#.into(),
        });
        assert_eq!(m.handle(Input::SocketClosed { epoch }), vec![]);
        assert_eq!(
            m.status(),
            Status::Offline {
                reason: OfflineReason::InvalidKey,
                retry_in_ms: None
            }
        );
        // The register timer of that socket must not flip us online afterwards.
        m.handle(Input::TimerFired {
            timer: Timer::Register,
            epoch,
        });
        assert!(!m.is_online());
    }

    #[test]
    fn stale_callbacks_are_ignored() {
        let mut m = machine();
        let old = opened(&mut m);
        let new = match &m.handle(Input::Connect)[..] {
            [Action::OpenSocket { epoch, .. }] => *epoch,
            _ => unreachable!(),
        };
        assert_ne!(old, new);
        assert_eq!(m.handle(Input::SocketClosed { epoch: old }), vec![]);
        assert_eq!(
            m.handle(Input::TimerFired {
                timer: Timer::Heartbeat,
                epoch: old
            }),
            vec![]
        );
        m.handle(Input::SocketText {
            epoch: old,
            text: r#"{"type":"OPEN"}"#.into(),
        });
        assert_eq!(m.status(), Status::Connecting);
    }

    #[test]
    fn browser_offline_then_online_reconnects_at_once() {
        let mut m = machine();
        let epoch = opened(&mut m);
        assert_eq!(m.handle(Input::BrowserOffline), vec![Action::CloseSocket]);
        assert_eq!(
            m.status(),
            Status::Offline {
                reason: OfflineReason::BrowserOffline,
                retry_in_ms: None
            }
        );
        // The close callback of the socket we closed is stale now.
        assert_eq!(m.handle(Input::SocketClosed { epoch }), vec![]);
        assert!(matches!(
            &m.handle(Input::BrowserOnline)[..],
            [Action::OpenSocket { .. }]
        ));
        assert_eq!(m.status(), Status::Connecting);
    }

    #[test]
    fn connect_while_browser_offline_stays_offline() {
        let mut m = machine();
        m.handle(Input::BrowserOffline);
        assert_eq!(m.handle(Input::Connect), vec![Action::CloseSocket]);
        assert!(matches!(
            m.status(),
            Status::Offline {
                reason: OfflineReason::BrowserOffline,
                ..
            }
        ));
    }

    #[test]
    fn stop_closes_and_does_not_retry() {
        let mut m = machine();
        let epoch = opened(&mut m);
        m.handle(Input::TimerFired {
            timer: Timer::Register,
            epoch,
        });
        assert_eq!(
            m.handle(Input::Stop(OfflineReason::OpenInOtherTab)),
            vec![Action::CloseSocket]
        );
        assert_eq!(m.handle(Input::SocketClosed { epoch }), vec![]);
        assert_eq!(
            m.status(),
            Status::Offline {
                reason: OfflineReason::OpenInOtherTab,
                retry_in_ms: None
            }
        );
        // Browser coming online does not override a deliberate stop.
        assert_eq!(m.handle(Input::BrowserOnline), vec![]);
    }

    #[test]
    fn frames_are_sent_only_while_connected() {
        let mut m = machine();
        assert_eq!(m.handle(Input::Send("x".into())), vec![]);
        let epoch = opened(&mut m);
        assert_eq!(
            m.handle(Input::Send("x".into())),
            vec![Action::Send("x".into())]
        );
        m.handle(Input::SocketClosed { epoch });
        assert_eq!(m.handle(Input::Send("x".into())), vec![]);
    }

    #[test]
    fn relayed_messages_are_delivered_and_garbage_dropped() {
        let mut m = machine();
        let epoch = opened(&mut m);
        let acts = m.handle(Input::SocketText {
            epoch,
            text: r#"{"type":"EXPIRE","src":"pc-b","dst":"pc-a"}"#.into(),
        });
        assert!(matches!(
            &acts[..],
            [Action::Deliver(ServerMessage::Expire { .. })]
        ));
        assert_eq!(
            m.handle(Input::SocketText {
                epoch,
                text: "\u{0}garbage".into()
            }),
            vec![]
        );
        assert_eq!(m.status(), Status::Connecting);
    }
}
