//! A deterministic simulator for Peerchat's chat engine.
//!
//! Many [`Engine`]s run over a simulated stock PeerJS server ([`net`]: registration,
//! relaying, queues for ids not online that EXPIRE after 5 s), simulated WebRTC links
//! (ordered and reliable while they live; a crashed page's link loses its in-flight tail;
//! DTLS connects only when each side's remote description carries the other's real
//! fingerprint) and simulated localStorage ([`disk`]: quota, refused writes, damaged values,
//! a crash between two writes). One seeded random stream drives latencies, faults and the
//! person's actions ([`workload`]), and events are ordered by (time, sequence number), so a
//! run replays exactly from its seed. [`checks`] holds the invariants, checked as the run
//! goes and once the network is quiet.

pub mod checks;
pub mod disk;
pub mod net;
pub mod screen;
pub mod workload;

use disk::Disk;
use net::{Net, PcId};
use peerchat_core::engine::{Effect, Engine, Input, Intent, LinkCommand, LinkEvent, LinkId};
use peerchat_core::identity::{Identity, PeerId};
use peerchat_core::name::DisplayName;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use screen::Screen;
use std::collections::{BTreeMap, BTreeSet};

/// Simulated time starts here (ms since the Unix epoch).
pub const EPOCH: u64 = 1_700_000_000_000;

/// A node: one person's browser profile, with its page open or not.
pub struct Node {
    /// A readable name ("n3").
    pub name: String,
    /// The identity's secret.
    pub secret: [u8; 32],
    /// Its peer id.
    pub id: PeerId,
    /// The running page, if open.
    pub engine: Option<Engine>,
    /// Bumped at every start, so events meant for a closed page are dropped.
    pub incarnation: u64,
    /// Its localStorage.
    pub disk: Disk,
    /// The engine's links and the simulated connections behind them.
    pub links: BTreeMap<LinkId, PcId>,
    /// When a `Tick` is scheduled for the engine.
    pub timer: Option<u64>,
    /// What the person sees.
    pub screen: Screen,
    /// The page is visible.
    pub visible: bool,
    /// The browser has a network.
    pub net: bool,
    /// The signaling servers its page uses (its settings).
    pub servers: BTreeSet<peerchat_core::engine::ServerId>,
    /// The servers it is registered with now.
    pub registered: BTreeSet<peerchat_core::engine::ServerId>,
    /// A stranger made up to flood someone: not part of the checks.
    pub stranger: bool,
    /// Crash after this many more writes.
    pub crash_after_writes: Option<u32>,
    /// Texts of messages stored here that were lost to injected damage.
    pub damaged_texts: BTreeSet<String>,
    /// Texts the person deleted here ("Delete messages"), by peer node: they must never
    /// come back (unless the contact is removed and added again).
    pub deleted_texts: BTreeMap<usize, BTreeSet<String>>,
    /// Texts of conversations the person removed here with the contact (they may come
    /// back from the peer if the contact is added again).
    pub removed_texts: BTreeSet<String>,
    /// Texts of the peer's messages numbered up to a deletion's floor that never arrived
    /// here (a hole left by damage): given up with the deletion, not lost; they may still
    /// come if the peer renumbers.
    pub given_up_texts: BTreeSet<String>,
    /// Failed writes, by 10 s window.
    pub failed_writes: BTreeMap<u64, u32>,
    /// How far this browser's clock is off (ms).
    pub skew: i64,
}

/// A scheduled event.
#[derive(Debug, Clone)]
pub enum Event {
    /// An input for a node's engine (if that page is still the same incarnation).
    Input {
        /// The node.
        node: usize,
        /// Its incarnation when scheduled.
        incarnation: u64,
        /// The input.
        input: Input,
    },
    /// The engine's timer.
    Tick {
        /// The node.
        node: usize,
        /// Its incarnation when scheduled.
        incarnation: u64,
        /// The engine's deadline (in its own, maybe skewed, time).
        deadline: u64,
    },
    /// Something in the simulated network.
    Net(net::NetEvent),
    /// A person's action or a fault.
    Action(workload::Action),
}

/// The simulated world.
pub struct World {
    /// Now, in ms since the Unix epoch.
    pub now: u64,
    /// The world's randomness.
    pub rng: ChaCha8Rng,
    events: BTreeMap<(u64, u64), Event>,
    seq: u64,
    /// Every node.
    pub nodes: Vec<Node>,
    /// The signaling server and the connections.
    pub net: Net,
    /// Invariant violations seen so far.
    pub violations: Vec<String>,
    /// What was written by whom, for the final checks.
    pub oracle: checks::Oracle,
    /// A trace of what happened, when asked for (`SIM_TRACE=1`).
    pub trace: Option<Vec<String>>,
    /// Events handled.
    pub steps: u64,
    /// Every frame sent, when asked for (scenarios): (time, from, to, frame).
    pub frames: Option<Vec<(u64, usize, usize, String)>>,
    /// Frames sent on each link so far (for order checks): (node, incarnation, link) → kinds.
    pub link_frames: BTreeMap<(usize, u64, LinkId), Vec<String>>,
    /// Connections an honest page refused in its handshake (its log lines), for the check
    /// that honest pages never fail one with each other.
    pub handshake_failures: Vec<String>,
    /// Copies of each message sent on each link so far, for the resend-storm check:
    /// (node, incarnation, link, message id) → (copies, when the first was sent).
    pub copies: BTreeMap<(usize, u64, LinkId, String), (u32, u64)>,
    /// The input being handled is the person's intent, and no write of it failed yet.
    pub attempt_free: bool,
    /// The last frames each node sent, for hostile replays.
    pub recent_frames: BTreeMap<usize, std::collections::VecDeque<Vec<u8>>>,
}

impl World {
    /// An empty world from a seed.
    pub fn new(seed: u64) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        World {
            now: EPOCH,
            rng: ChaCha8Rng::from_seed(key),
            events: BTreeMap::new(),
            seq: 0,
            nodes: Vec::new(),
            net: Net::default(),
            violations: Vec::new(),
            oracle: checks::Oracle::default(),
            trace: std::env::var_os("SIM_TRACE").map(|_| Vec::new()),
            steps: 0,
            frames: None,
            link_frames: BTreeMap::new(),
            copies: BTreeMap::new(),
            handshake_failures: Vec::new(),
            recent_frames: BTreeMap::new(),
            attempt_free: false,
        }
    }

    /// A random number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.rng.next_u64() % (hi - lo + 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.rng.next_u64() as f64 / u64::MAX as f64) < p
    }

    /// Notes a line in the trace.
    pub fn note(&mut self, line: impl FnOnce() -> String) {
        if let Some(t) = self.trace.as_mut() {
            t.push(format!("{:>8} {}", self.now - EPOCH, line()));
        }
    }

    /// Schedules an event `delay` ms from now.
    pub fn after(&mut self, delay: u64, event: Event) {
        self.at(self.now + delay, event);
    }

    /// Schedules an event at `time`.
    pub fn at(&mut self, time: u64, event: Event) {
        self.seq += 1;
        self.events.insert((time.max(self.now), self.seq), event);
    }

    /// Adds a person (page not open yet).
    pub fn add_node(&mut self, stranger: bool) -> usize {
        let mut secret = [0u8; 32];
        self.rng.fill_bytes(&mut secret);
        let id = Identity::from_secret(secret).peer_id().clone();
        let index = self.nodes.len();
        self.nodes.push(Node {
            name: format!("n{index}"),
            secret,
            id,
            engine: None,
            incarnation: 0,
            disk: Disk::new(),
            links: BTreeMap::new(),
            timer: None,
            screen: Screen::default(),
            visible: true,
            net: true,
            servers: BTreeSet::from([0]),
            registered: BTreeSet::new(),
            stranger,
            crash_after_writes: None,
            damaged_texts: BTreeSet::new(),
            deleted_texts: BTreeMap::new(),
            removed_texts: BTreeSet::new(),
            given_up_texts: BTreeSet::new(),
            failed_writes: BTreeMap::new(),
            skew: 0,
        });
        index
    }

    /// The index of the node with id `id`.
    pub fn node_of(&self, id: &PeerId) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == *id)
    }

    /// Opens the page of `node`: a new engine from its storage.
    pub fn start(&mut self, node: usize) {
        if self.nodes[node].engine.is_some() {
            return;
        }
        let mut seed = [0u8; 32];
        self.rng.fill_bytes(&mut seed);
        let n = &mut self.nodes[node];
        n.incarnation += 1;
        n.links.clear();
        n.timer = None;
        n.screen = Screen::default();
        let name = DisplayName::parse(&n.name).ok();
        let engine = Engine::new(
            Identity::from_secret(n.secret),
            name,
            n.disk.snapshot(),
            self.now.saturating_add_signed(n.skew),
            seed,
        );
        n.engine = Some(engine);
        let incarnation = n.incarnation;
        self.note(|| format!("{} starts", node_name(node)));
        self.drain(node);
        if !self.nodes[node].visible {
            self.input(node, Input::Visible(false));
        }
        self.register_later(node, incarnation);
    }

    /// Closes the page of `node`. A graceful close (`pagehide`) closes its links and its
    /// signaling socket first; a crash just stops.
    pub fn stop(&mut self, node: usize, graceful: bool) {
        if self.nodes[node].engine.is_none() {
            return;
        }
        self.note(|| {
            format!(
                "{} stops ({})",
                node_name(node),
                if graceful { "closed" } else { "crashed" }
            )
        });
        if graceful {
            self.input(node, Input::PageHidden);
        }
        let pcs: Vec<PcId> = self.nodes[node].links.values().copied().collect();
        for pc in pcs {
            net::kill_pc(self, pc, !graceful);
        }
        let n = &mut self.nodes[node];
        n.engine = None;
        n.links.clear();
        n.timer = None;
        n.registered.clear();
        n.incarnation += 1;
    }

    /// Registers `node` at the signaling server after a short delay.
    pub fn register_later(&mut self, node: usize, incarnation: u64) {
        let delay = self.range(5, 60);
        self.after(
            delay,
            Event::Net(net::NetEvent::Register { node, incarnation }),
        );
    }

    /// Feeds an input to a node's engine now, and carries out what follows.
    pub fn input(&mut self, node: usize, input: Input) {
        let now = self.now.saturating_add_signed(self.nodes[node].skew);
        if self.nodes[node].engine.is_none() {
            return;
        }
        if self.trace.is_some() {
            let line = format!("{} <- {}", node_name(node), short_input(&input));
            self.note(|| line);
        }
        let Some(engine) = self.nodes[node].engine.as_mut() else {
            return;
        };
        // The person's own attempt (sending with storage full) may fail once; only what
        // the page does by itself beyond that counts towards a write storm.
        self.attempt_free = matches!(input, Input::Intent(_));
        engine.handle(now, input);
        self.drain(node);
        self.attempt_free = false;
    }

    /// A person's intent; returns what the engine refused, if anything.
    pub fn intent(&mut self, node: usize, intent: Intent) -> Option<String> {
        self.nodes[node].screen.refused = None;
        self.input(node, Input::Intent(intent));
        self.nodes[node].screen.refused.take()
    }

    /// Carries out every effect of a node's engine.
    fn drain(&mut self, node: usize) {
        while let Some(effect) = self.nodes[node]
            .engine
            .as_mut()
            .and_then(Engine::poll_effect)
        {
            self.carry_out(node, effect);
            if self.nodes[node].engine.is_none() {
                return;
            }
        }
        let Some(engine) = self.nodes[node].engine.as_ref() else {
            return;
        };
        let problems = engine.audit();
        let timeout = engine.poll_timeout();
        for problem in problems {
            let line = format!("{}: {problem}", node_name(node));
            self.note(|| format!("VIOLATION {line}"));
            self.violations.push(line);
        }
        if let Some(deadline) = timeout {
            let n = &mut self.nodes[node];
            if n.timer.is_none_or(|t| deadline < t) {
                n.timer = Some(deadline);
                let incarnation = n.incarnation;
                // The engine's clock may be off: its deadline, in world time.
                let at = deadline.saturating_add_signed(-n.skew);
                self.at(
                    at,
                    Event::Tick {
                        node,
                        incarnation,
                        deadline,
                    },
                );
            }
        }
    }

    fn carry_out(&mut self, node: usize, effect: Effect) {
        match effect {
            Effect::Signal { server, message } => net::client_send(self, node, server, message),
            Effect::Link { link, command } => self.link_command(node, link, command),
            Effect::Write { token, key, value } => {
                let n = &mut self.nodes[node];
                let result = n.disk.write(&key, &value);
                if result.is_err() && !std::mem::take(&mut self.attempt_free) {
                    let n = &mut self.nodes[node];
                    *n.failed_writes
                        .entry((self.now - EPOCH) / 10_000)
                        .or_default() += 1;
                }
                if result.is_err() {
                    let line = format!("{} write of {key} failed", node_name(node));
                    self.note(|| line);
                } else if self.trace.is_some() {
                    let line = format!("{} wrote {key}", node_name(node));
                    self.note(|| line);
                }
                let n = &mut self.nodes[node];
                if let Some(left) = n.crash_after_writes.as_mut() {
                    if *left == 0 {
                        n.crash_after_writes = None;
                        self.note(|| format!("{} crashes after writing {key}", node_name(node)));
                        self.stop(node, false);
                        return;
                    }
                    *left -= 1;
                }
                let now = self.now.saturating_add_signed(self.nodes[node].skew);
                if let Some(engine) = self.nodes[node].engine.as_mut() {
                    engine.handle(now, Input::Stored { token, result });
                }
            }
            Effect::Remove { key } => self.nodes[node].disk.remove(&key),
            Effect::View(change) => {
                let screen = &self.nodes[node].screen;
                let twice = match &change {
                    peerchat_core::engine::ViewChange::Message(m) => {
                        screen.messages.iter().any(|x| x.id == m.id)
                    }
                    peerchat_core::engine::ViewChange::RoomMessage(m) => {
                        screen.room_messages.iter().any(|x| x.id == m.id)
                    }
                    _ => false,
                };
                if twice {
                    let line = format!("{}: a message shown twice", node_name(node));
                    self.violations.push(line);
                }
                self.nodes[node].screen.apply(change);
            }
            Effect::Notice(notice) => self.nodes[node].screen.notices.push(notice),
            Effect::Alert(arrival) => {
                // Only contacts' and rooms' messages may alert: a stranger's never does.
                if let peerchat_core::engine::Target::Peer(p) = &arrival.target {
                    let screen = &self.nodes[node].screen;
                    if !screen.contacts.iter().any(|c| c.id == *p) {
                        let line = format!("{}: an alert from non-contact {p}", node_name(node));
                        self.violations.push(line);
                    }
                }
                let alerts = &mut self.nodes[node].screen.alerts;
                alerts.push(arrival);
                if alerts.len() > 8 {
                    alerts.remove(0);
                }
            }
            Effect::Refused(why) => self.nodes[node].screen.refused = Some(why),
            Effect::AckSoon => self.nodes[node].screen.held += 1,
            Effect::Mark(mark) => self.note(|| format!("{} mark {mark}", node_name(node))),
            Effect::Log(line) => {
                if line.contains("handshake failed") {
                    let at = self.now;
                    self.handshake_failures
                        .push(format!("{} at {at}: {line}", node_name(node)));
                }
                self.note(|| format!("{} log: {line}", node_name(node)))
            }
        }
    }

    fn link_command(&mut self, node: usize, link: LinkId, command: LinkCommand) {
        match &command {
            LinkCommand::Dial { label } => {
                self.note(|| format!("{} dials on link {link} ({label})", node_name(node)))
            }
            LinkCommand::Answer { .. } => {
                self.note(|| format!("{} answers on link {link}", node_name(node)))
            }
            LinkCommand::Close => self.note(|| format!("{} closes link {link}", node_name(node))),
            _ => {}
        }
        match command {
            LinkCommand::Dial { label } => net::dial(self, node, link, label),
            LinkCommand::Answer { offer } => net::answer(self, node, link, &offer),
            LinkCommand::Restart => {
                if let Some(&pc) = self.nodes[node].links.get(&link) {
                    net::restart(self, pc);
                }
            }
            LinkCommand::Renegotiate { .. } => {
                if let Some(&pc) = self.nodes[node].links.get(&link) {
                    net::renegotiate(self, pc);
                }
            }
            LinkCommand::SetAnswer { answer } => {
                if let Some(&pc) = self.nodes[node].links.get(&link) {
                    net::set_remote(self, pc, &answer);
                }
            }
            LinkCommand::AddCandidate(_) => {
                if let Some(&pc) = self.nodes[node].links.get(&link) {
                    net::add_candidate(self, pc);
                }
            }
            LinkCommand::Send(bytes) => {
                checks::on_frame_sent(self, node, link, &bytes);
                let recent = self.recent_frames.entry(node).or_default();
                if recent.len() >= 20 {
                    recent.pop_front();
                }
                recent.push_back(bytes.clone());
                if let Some(&pc) = self.nodes[node].links.get(&link) {
                    net::send(self, pc, bytes);
                }
            }
            LinkCommand::Close => {
                if let Some(pc) = self.nodes[node].links.remove(&link) {
                    net::kill_pc(self, pc, false);
                }
            }
        }
    }

    /// Reports a link event to the engine that owns `pc`, after `delay`.
    pub fn link_event(
        &mut self,
        node: usize,
        incarnation: u64,
        link: LinkId,
        event: LinkEvent,
        delay: u64,
    ) {
        self.after(
            delay,
            Event::Input {
                node,
                incarnation,
                input: Input::Link { link, event },
            },
        );
    }

    /// Handles the next event; false when there is none before `until`.
    pub fn step(&mut self, until: u64) -> bool {
        let Some((&(time, seq), _)) = self.events.first_key_value() else {
            return false;
        };
        if time > until {
            return false;
        }
        let Some(event) = self.events.remove(&(time, seq)) else {
            return false;
        };
        self.now = time;
        self.steps += 1;
        match event {
            Event::Input {
                node,
                incarnation,
                input,
            } => {
                if self.nodes[node].incarnation == incarnation {
                    self.input(node, input);
                }
            }
            Event::Tick {
                node,
                incarnation,
                deadline,
            } => {
                if self.nodes[node].incarnation == incarnation
                    && self.nodes[node].timer == Some(deadline)
                {
                    self.nodes[node].timer = None;
                    self.input(node, Input::Tick);
                }
            }
            Event::Net(event) => net::on_event(self, event),
            Event::Action(action) => workload::perform(self, action),
        }
        true
    }

    /// Runs until `until` (ms since the Unix epoch).
    pub fn run_until(&mut self, until: u64) {
        while self.step(until) {}
        self.now = self.now.max(until);
    }

    /// Runs for `ms` more.
    pub fn run_for(&mut self, ms: u64) {
        self.run_until(self.now + ms);
    }
}

/// A node's name in traces.
pub fn node_name(node: usize) -> String {
    format!("n{node}")
}

fn short_input(input: &Input) -> String {
    match input {
        Input::Link {
            link,
            event: LinkEvent::Frame(bytes),
        } => format!(
            "link {link} frame {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(400)])
        ),
        Input::Link { link, event } => format!(
            "link {link} {}",
            format!("{event:?}").chars().take(60).collect::<String>()
        ),
        Input::Signal { server, message } => format!(
            "signal@{server} {}",
            format!("{message:?}").chars().take(100).collect::<String>()
        ),
        other => format!("{other:?}").chars().take(120).collect(),
    }
}
