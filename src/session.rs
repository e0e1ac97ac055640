//! The session: the one place where events from the adapters (signaling status, tab lease)
//! and intents from the components (choose a name, save settings, retry, use here) change
//! app state. Chat state has its own single writer, [`ChatEngine`], which the session owns
//! and feeds. Components read the signals here and call the intent methods.

use crate::boot::{Boot, EndpointSource};
use crate::chat::{ChatDriver, ChatView, Ports};
use crate::signaling_client::SignalingClient;
use crate::store;
use crate::tab_lease::{self, LeaseKeeper, LeaseWatcher};
use gloo_events::EventListener;
use leptos::prelude::*;
use leptos::task::spawn_local;
use peerchat_core::endpoint::Endpoint;
use peerchat_core::engine::{Arrival, Input, ServerId, Target};
use peerchat_core::ice::{self, IceServer};
use peerchat_core::identity::{Identity, PeerId};
use peerchat_core::name::DisplayName;
use peerchat_core::prefs::Prefs;
use peerchat_core::signaling::{OfflineReason, Overall, Status};
use peerchat_core::storage::{Profile, Settings};
use std::cell::RefCell;
use std::rc::Rc;

/// The connection as the person sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Connection {
    /// Not started yet (no name chosen).
    Idle,
    /// The signaling servers' statuses, as one.
    Signaling(Overall),
    /// No valid endpoint to connect to.
    BadEndpoint(String),
}

/// Whether this tab runs the profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TabState {
    /// This tab holds the lease.
    Active,
    /// Another tab of the same profile holds it.
    Elsewhere,
}

/// A message for the person, shown until dismissed.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// Stable id for dismissal.
    pub id: u32,
    /// The text.
    pub text: String,
}

/// Errors of the settings form, per field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SettingsErrors {
    /// The display name's error.
    pub name: Option<String>,
    /// The endpoint's error.
    pub endpoint: Option<String>,
    /// The ICE servers' error.
    pub ice: Option<String>,
    /// A save error.
    pub save: Option<String>,
}

/// Loads the page again (without its fragment), to start from what storage holds now.
fn start_over() {
    if let Some(window) = web_sys::window() {
        window.location().replace(&crate::boot::invite_base()).ok();
    }
}

/// How long a deletion waits for Undo, in milliseconds.
pub const UNDO_MS: u32 = 5_000;

/// The signaling clients in use (one per server), shared with the chat engine's send port.
type ClientSlot = Rc<RefCell<Vec<(ServerId, SignalingClient)>>>;

/// One signaling server in use, as the person sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerState {
    /// The engine's name for it (new for each client started).
    pub id: ServerId,
    /// Its address.
    pub endpoint: Endpoint,
    /// Its connection status.
    pub status: Status,
}

/// Browser handles, which are not `Send` and so live outside the reactive graph.
struct Runtime {
    token: String,
    /// The identity, to start the chat again when this tab takes the profile back.
    identity: Rc<Identity>,
    clients: ClientSlot,
    /// The [`ServerId`] the next client started gets.
    next_server: ServerId,
    lease: Option<LeaseTask>,
    chat: Option<ChatDriver>,
    _page_listeners: Vec<EventListener>,
    /// The action waiting out its undo delay, with its timer.
    pending: Option<(Box<dyn FnOnce()>, gloo_timers::callback::Timeout)>,
}

/// What this tab does about the lease: keep it, or wait for it to become free. Each task
/// runs until it is dropped, so it is only held, never read.
enum LeaseTask {
    Hold { _keeper: LeaseKeeper },
    Wait { _watcher: LeaseWatcher },
}

/// The app state and its intents. Cheap to copy: every field is a handle.
#[derive(Clone, Copy)]
pub struct Session {
    /// This browser's peer id.
    pub peer_id: StoredValue<PeerId>,
    /// The saved profile; `None` until a name is chosen.
    pub profile: RwSignal<Option<Profile>>,
    /// The connection status (every server's, as one).
    pub connection: RwSignal<Connection>,
    /// Each signaling server in use and its status.
    pub servers: RwSignal<Vec<ServerState>>,
    /// The signaling servers to use (or why none).
    pub endpoint: RwSignal<Result<Vec<Endpoint>, String>>,
    /// Where the servers came from.
    pub endpoint_source: RwSignal<EndpointSource>,
    /// The servers saved in settings.
    pub settings_endpoint: RwSignal<Option<Vec<Endpoint>>>,
    /// The ICE servers in use.
    pub ice: RwSignal<Vec<IceServer>>,
    /// Messages for the person.
    pub notices: RwSignal<Vec<Notice>>,
    /// Whether this tab runs the profile.
    pub tab: RwSignal<TabState>,
    /// The chat's signals.
    pub chat_view: ChatView,
    /// The person's preferences (notifications, sound, theme, page address).
    pub prefs: RwSignal<Prefs>,
    /// The sentence of an action that can still be undone ("Messages with Bob deleted").
    pub undo: RwSignal<Option<String>>,
    /// Who invited, from the link this page was opened with (for the welcome screen).
    pub invited: StoredValue<crate::boot::Invited>,
    /// An invitation waiting for the name to be chosen.
    pending_invite: StoredValue<Option<PeerId>>,
    /// A room invitation waiting for the name to be chosen.
    pending_room: StoredValue<Option<peerchat_core::room::invite::Invite>>,
    runtime: StoredValue<Runtime, LocalStorage>,
}

impl Session {
    /// Builds the session from what start-up found, and connects when a profile exists and
    /// no other tab runs it.
    pub fn new(boot: Boot) -> Self {
        let notices = boot
            .notices
            .into_iter()
            .enumerate()
            .map(|(i, text)| Notice { id: i as u32, text })
            .collect();
        let identity = boot.identity;
        let session = Session {
            peer_id: StoredValue::new(identity.peer_id().clone()),
            profile: RwSignal::new(boot.profile),
            connection: RwSignal::new(Connection::Idle),
            servers: RwSignal::new(Vec::new()),
            endpoint: RwSignal::new(boot.endpoint),
            endpoint_source: RwSignal::new(boot.endpoint_source),
            settings_endpoint: RwSignal::new(boot.settings_endpoint),
            ice: RwSignal::new(boot.ice.clone()),
            notices: RwSignal::new(notices),
            tab: RwSignal::new(TabState::Active),
            chat_view: ChatView::new(),
            prefs: RwSignal::new(boot.prefs),
            invited: StoredValue::new(boot.invited),
            pending_invite: StoredValue::new(boot.invite),
            pending_room: StoredValue::new(boot.room_invite),
            runtime: StoredValue::new_local(Runtime {
                token: boot.token,
                identity: Rc::new(identity),
                clients: Rc::new(RefCell::new(Vec::new())),
                next_server: 0,
                lease: None,
                chat: None,
                _page_listeners: Vec::new(),
                pending: None,
            }),
            undo: RwSignal::new(None),
        };
        if tab_lease::try_acquire() {
            session.start_chat();
            session.hold_lease();
            session.connect();
        } else {
            session.tab.set(TabState::Elsewhere);
            session.wait_for_lease();
        }
        session.apply_invite();
        session
    }

    /// The signaling servers an invite link names: those in use, unless they are the
    /// built-in default. Tracked, for links that follow the settings.
    pub fn link_servers(&self) -> Option<Vec<Endpoint>> {
        if self.endpoint_source.get() == EndpointSource::Default {
            return None;
        }
        self.endpoint.get().ok()
    }

    /// The chat driver (present for the page's life once built).
    pub fn chat(&self) -> Option<ChatDriver> {
        self.runtime.with_value(|rt| rt.chat.clone())
    }

    /// Starts the chat from what storage holds now. Only the tab that holds the lease runs
    /// it: two engines would write the same records.
    fn start_chat(&self) {
        let identity = self.runtime.with_value(|rt| rt.identity.clone());
        let ice = self.ice.get_untracked();
        self.chat_view.clear();
        let slot = self.runtime.with_value(|rt| rt.clients.clone());
        let session = *self;
        let ports = Ports {
            signal: Rc::new(move |server, message| {
                if let Some((_, client)) = slot.borrow().iter().find(|(id, _)| *id == server) {
                    client.send(message.to_json());
                }
            }),
            notify: Rc::new(move |text| session.notify(text)),
            alert: Rc::new(move |arrival| session.alert(arrival)),
        };
        let name = self
            .profile
            .with_untracked(|p| p.as_ref().map(|p| p.name.clone()));
        let driver = ChatDriver::new(&identity, name, ports, self.chat_view, ice);
        driver.set_relay_only(self.prefs.with_untracked(|p| p.relay));
        let mut listeners = Vec::new();
        if let Some(window) = web_sys::window() {
            // Leaving (or into the back/forward cache): close connections so peers see us
            // go at once.
            let on_hide = driver.clone();
            listeners.push(EventListener::new(&window, "pagehide", move |_| {
                on_hide.input(Input::PageHidden)
            }));
            // An invite link opened in this tab while Peerchat runs.
            let session = *self;
            listeners.push(EventListener::new(&window, "hashchange", move |_| {
                session.on_hash_change()
            }));
            if let Some(doc) = window.document() {
                // Reading the open conversation again clears its unread count.
                let on_visible = driver.clone();
                listeners.push(EventListener::new(&doc, "visibilitychange", move |_| {
                    on_visible.visible(crate::chat::page_visible())
                }));
            }
        }
        self.runtime.update_value(|rt| {
            rt.chat = Some(driver);
            rt._page_listeners = listeners;
        });
    }

    /// Intent: the person chose their name on first visit.
    pub fn choose_name(&self, text: &str) -> Result<(), String> {
        let name = DisplayName::parse(text).map_err(|e| e.to_string())?;
        let profile = Profile::new(name);
        store::save(&profile).map_err(|e| e.describe().to_string())?;
        if let Some(chat) = self.chat() {
            chat.set_name(profile.name.clone());
        }
        self.profile.set(Some(profile));
        self.connect();
        self.apply_invite();
        self.apply_room_invite();
        Ok(())
    }

    /// Opens the conversation of a pending invitation once a name exists.
    fn apply_invite(&self) {
        // Waits for a name, and for this tab to run the chat.
        if self.profile.with_untracked(Option::is_none) || self.chat().is_none() {
            return;
        }
        let Some(invite) = self.pending_invite.try_update_value(Option::take).flatten() else {
            return self.apply_room_invite();
        };
        if let Some(chat) = self.chat()
            && let Err(e) = chat.add_contact(invite.as_str())
        {
            self.notify(e);
        }
    }

    /// The address fragment changed: it may carry an invitation.
    fn on_hash_change(&self) {
        let mut notices = Vec::new();
        let mut room = None;
        let mut invited = crate::boot::Invited::default();
        let friend = crate::boot::take_invite(&mut notices, &mut room, &mut invited);
        for notice in notices {
            self.notify(notice);
        }
        if friend.is_some() {
            self.pending_invite.set_value(friend);
        }
        if room.is_some() {
            self.pending_room.set_value(room);
        }
        self.apply_invite();
    }

    /// Joins the room of a pending room invitation once a name exists.
    fn apply_room_invite(&self) {
        if self.profile.with_untracked(Option::is_none) || self.chat().is_none() {
            return;
        }
        let Some(invite) = self.pending_room.try_update_value(Option::take).flatten() else {
            return;
        };
        if let Some(chat) = self.chat() {
            chat.join_room(invite);
        }
    }

    /// Intent: the person saved the settings form. Each field is `None` when the person
    /// left it as it was: only what changed is saved, so saving a new name or ICE server
    /// does not replace the server this page's link chose. Empty endpoint or ICE text
    /// means the default.
    pub fn save_settings(
        &self,
        name_text: &str,
        endpoint_text: Option<&str>,
        ice_text: Option<&str>,
        prefs: Prefs,
    ) -> Result<(), SettingsErrors> {
        let name = DisplayName::parse(name_text);
        let endpoint = endpoint_text.map(|t| match t.trim() {
            "" => Ok(None),
            text => peerchat_core::endpoint::parse_list(text).map(Some),
        });
        let ice_servers = ice_text.map(|t| match t.trim() {
            "" => Ok(None),
            text => ice::parse(text).map(Some),
        });
        let (name, endpoint, ice_servers) =
            match (name, endpoint.transpose(), ice_servers.transpose()) {
                (Ok(n), Ok(e), Ok(i)) => (n, e, i),
                (n, e, i) => {
                    return Err(SettingsErrors {
                        name: n.err().map(|e| e.to_string()),
                        endpoint: e.err().map(|e| e.to_string()),
                        ice: i.err().map(|e| e.to_string()),
                        save: None,
                    });
                }
            };
        let save_error = |e: store::WriteError| SettingsErrors {
            save: Some(e.describe().into()),
            ..Default::default()
        };
        let profile = Profile::new(name);
        store::save(&profile).map_err(save_error)?;
        if prefs != self.prefs.get_untracked() {
            store::save(&prefs).map_err(save_error)?;
            if let Some(chat) = self.chat() {
                chat.set_relay_only(prefs.relay);
            }
            self.prefs.set(prefs);
        }
        if endpoint.is_some() || ice_servers.is_some() {
            // The stored record keeps the field the person did not change.
            let stored_endpoint = match &endpoint {
                Some(e) => e.clone(),
                None => self.settings_endpoint.get_untracked(),
            };
            let stored_ice = match &ice_servers {
                Some(i) => i.clone(),
                None => {
                    let now = self.ice.get_untracked();
                    (now != ice::default_servers()).then_some(now)
                }
            };
            store::save(&Settings::new(
                stored_endpoint.as_deref(),
                stored_ice.as_deref(),
            ))
            .map_err(save_error)?;
        }
        if let Some(chat) = self.chat() {
            chat.set_name(profile.name.clone());
        }
        self.profile.set(Some(profile));
        if let Some(ice_servers) = ice_servers {
            let ice_now = ice_servers.unwrap_or_else(ice::default_servers);
            if self.ice.get_untracked() != ice_now {
                self.ice.set(ice_now.clone());
                if let Some(chat) = self.chat() {
                    chat.set_ice(ice_now);
                }
            }
        }
        if let Some(endpoint) = endpoint {
            // The person changed the server: their choice replaces the page link's.
            self.settings_endpoint.set(endpoint.clone());
            self.endpoint_source.set(if endpoint.is_some() {
                EndpointSource::Settings
            } else {
                EndpointSource::Default
            });
            self.endpoint.set(Ok(
                endpoint.unwrap_or_else(|| vec![Endpoint::public_cloud()])
            ));
            self.connect();
        }
        Ok(())
    }

    /// Does `action` after [`UNDO_MS`], unless the person undoes it meanwhile; `said` is
    /// shown with the Undo button. A second such action carries out the first at once.
    /// Closing the page meanwhile cancels it (nothing was deleted yet).
    pub fn after_undo_delay(&self, said: String, action: impl FnOnce() + 'static) {
        self.run_pending();
        let session = *self;
        let timer = gloo_timers::callback::Timeout::new(UNDO_MS, move || session.run_pending());
        self.runtime
            .update_value(|rt| rt.pending = Some((Box::new(action), timer)));
        self.undo.set(Some(said));
    }

    /// Carries out the action waiting, if any.
    fn run_pending(&self) {
        let pending = self
            .runtime
            .try_update_value(|rt| rt.pending.take())
            .flatten();
        self.undo.try_set(None);
        if let Some((action, _timer)) = pending {
            action();
        }
    }

    /// Intent: undo the action waiting (it never happens).
    pub fn undo(&self) {
        self.runtime.update_value(|rt| {
            rt.pending.take();
        });
        self.undo.set(None);
    }

    /// Intent: restore a backup by `plan` (from `peerchat_core::backup::plan_restore`).
    /// The chat stops first so nothing writes meanwhile; the page then starts again from
    /// what storage holds. A write refused halfway (storage full) stops the restore and
    /// says so: a merge has lost nothing (each value written holds this browser's data
    /// too), and the page is not reloaded so the person can read why.
    pub fn restore(&self, plan: peerchat_core::backup::Plan) -> Result<(), String> {
        self.stop_all();
        // Removes first (a replace frees room), never a key the plan writes.
        for key in &plan.removes {
            store::remove(key);
        }
        for (key, value) in &plan.writes {
            if let Err(e) = store::write_raw(key, value) {
                return Err(format!(
                    "The restore stopped: {} Reload the page to go on with what was restored so far; restoring the same backup again finishes it.",
                    e.describe()
                ));
            }
        }
        start_over();
        Ok(())
    }

    /// Stops the chat and the signaling client, so nothing writes to storage any more.
    fn stop_all(&self) {
        self.stop_chat();
        let slot = self.runtime.with_value(|rt| rt.clients.clone());
        slot.borrow_mut().clear();
    }

    /// Intent: delete everything Peerchat keeps in this browser (identity, contacts,
    /// rooms, history, settings), then start over as a new person. Connections close
    /// first, so nothing is written after the wipe.
    pub fn delete_all_data(&self) {
        self.stop_all();
        store::remove_all();
        start_over();
    }

    /// Intent: reconnect every server now instead of waiting for the next attempt.
    pub fn retry_now(&self) {
        let slot = self.runtime.with_value(|rt| rt.clients.clone());
        for (_, client) in slot.borrow().iter() {
            client.retry_now();
        }
    }

    /// Intent: run the profile in this tab, taking over from the other one.
    pub fn use_here(&self) {
        tab_lease::force_acquire();
        self.run_here();
    }

    /// Intent: hide a notice.
    pub fn dismiss(&self, id: u32) {
        self.notices.update(|n| n.retain(|notice| notice.id != id));
    }

    /// A message arrived where the person is not reading it.
    fn alert(&self, arrival: Arrival) {
        let Some(prefs) = self.prefs.try_get_untracked() else {
            return;
        };
        let session = *self;
        let target = arrival.target.clone();
        crate::alerts::arrived(&prefs, &arrival, move || session.open_target(target));
    }

    /// Opens a conversation or a room (from a notification's click).
    pub fn open_target(&self, target: Target) {
        let Some(chat) = self.chat() else {
            return;
        };
        match target {
            Target::Peer(peer) => chat.open(Some(peer)),
            Target::Room(room) => chat.open_room(Some(room)),
        }
    }

    /// Shows a notice, once: the same text is not repeated while it is shown.
    pub fn notify(&self, text: String) {
        self.notices.try_update(|n| {
            if n.iter().any(|x| x.text == text) {
                return;
            }
            let id = n.iter().map(|x| x.id + 1).max().unwrap_or(0);
            n.push(Notice { id, text });
        });
    }

    /// (Re)starts a signaling client for each server in use, if a profile exists and
    /// this tab runs it. Each client gets a new [`ServerId`], so nothing of an old server
    /// is mistaken for a new one's.
    fn connect(&self) {
        if self.profile.get_untracked().is_none() || self.tab.get_untracked() != TabState::Active {
            return;
        }
        let slot = self.runtime.with_value(|rt| rt.clients.clone());
        // Drop the old clients (closing their sockets) before opening new ones.
        let old: Vec<(ServerId, SignalingClient)> = slot.borrow_mut().drain(..).collect();
        let chat = self.chat();
        if let Some(chat) = &chat {
            for (id, _) in &old {
                chat.input(Input::SignalingDown(*id));
            }
        }
        drop(old);
        let endpoints = match self.endpoint.get_untracked() {
            Ok(endpoints) => endpoints,
            Err(message) => {
                self.servers.set(Vec::new());
                self.connection.set(Connection::BadEndpoint(message));
                return;
            }
        };
        let first = self.runtime.with_value(|rt| rt.next_server);
        self.runtime
            .update_value(|rt| rt.next_server += endpoints.len() as ServerId);
        self.servers.set(
            endpoints
                .iter()
                .enumerate()
                .map(|(i, endpoint)| ServerState {
                    id: first + i as ServerId,
                    endpoint: endpoint.clone(),
                    status: Status::Connecting,
                })
                .collect(),
        );
        self.show_overall();
        let peer = self.peer_id.get_value();
        for (i, endpoint) in endpoints.iter().enumerate() {
            let id = first + i as ServerId;
            let url = self
                .runtime
                .with_value(|rt| endpoint.websocket_url(peer.as_str(), &rt.token));
            let session = *self;
            let status_chat = chat.clone();
            let message_chat = chat.clone();
            let client = SignalingClient::start(
                url,
                move |status| {
                    // try_*: the callback may outlive the reactive owner during teardown.
                    let mut was_online = None;
                    session.servers.try_update(|servers| {
                        if let Some(s) = servers.iter_mut().find(|s| s.id == id) {
                            was_online = Some(s.status == Status::Online);
                            s.status = status.clone();
                        }
                    });
                    let Some(was_online) = was_online else {
                        return;
                    };
                    session.show_overall();
                    let online = status == Status::Online;
                    if let Some(chat) = &status_chat
                        && online != was_online
                    {
                        chat.input(if online {
                            Input::SignalingUp(id)
                        } else {
                            Input::SignalingDown(id)
                        });
                    }
                },
                move |message| {
                    if let Some(chat) = &message_chat {
                        chat.input(Input::Signal {
                            server: id,
                            message,
                        });
                    }
                },
            );
            slot.borrow_mut().push((id, client));
        }
    }

    /// Shows every server's status as one in the status bar.
    fn show_overall(&self) {
        let Some(statuses) = self
            .servers
            .try_with_untracked(|s| s.iter().map(|s| s.status.clone()).collect::<Vec<_>>())
        else {
            return;
        };
        self.connection
            .try_set(Connection::Signaling(Overall::of(&statuses)));
    }

    fn hold_lease(&self) {
        let session = *self;
        let keeper = LeaseKeeper::hold(move || session.lost_lease());
        self.runtime
            .update_value(|rt| rt.lease = Some(LeaseTask::Hold { _keeper: keeper }));
    }

    /// Waits for the other tab to let go of the profile, then carries on here by itself:
    /// closing the other tab (or a reload that raced its own predecessor) needs no click.
    fn wait_for_lease(&self) {
        let session = *self;
        let watcher = LeaseWatcher::wait(move || {
            // Deferred: taking over drops the watcher, whose own callback is running now.
            spawn_local(async move { session.took_free_lease() });
        });
        self.runtime
            .update_value(|rt| rt.lease = Some(LeaseTask::Wait { _watcher: watcher }));
    }

    /// The lease was free and this tab took it: run the profile here.
    fn took_free_lease(&self) {
        if self.tab.try_get_untracked() == Some(TabState::Elsewhere) {
            self.run_here();
        }
    }

    /// This tab holds the lease now: keep it, start the chat from what storage holds now
    /// (the other tab wrote to it), and connect.
    fn run_here(&self) {
        self.tab.set(TabState::Active);
        self.hold_lease();
        self.start_chat();
        self.connect();
        self.apply_invite();
    }

    /// Another tab runs the profile now: close every connection and stop the chat, so only
    /// one engine writes the profile's records.
    fn stop_chat(&self) {
        let driver = self.runtime.try_update_value(|rt| {
            rt._page_listeners.clear();
            rt.chat.take()
        });
        if let Some(Some(driver)) = driver {
            driver.input(Input::PageHidden);
        }
    }

    /// Another tab took the profile: step down.
    fn lost_lease(&self) {
        if self.tab.get_untracked() == TabState::Elsewhere {
            return;
        }
        self.tab.set(TabState::Elsewhere);
        let slot = self.runtime.with_value(|rt| rt.clients.clone());
        for (_, client) in slot.borrow().iter() {
            client.stop(OfflineReason::OpenInOtherTab);
        }
        self.stop_chat();
        // Replaced after this callback returns: the keeper's own timer is running it.
        let session = *self;
        spawn_local(async move {
            let slot = session.runtime.try_with_value(|rt| rt.clients.clone());
            if let Some(slot) = slot {
                slot.borrow_mut().clear();
                session.wait_for_lease();
            }
        });
        let away = Status::Offline {
            reason: OfflineReason::OpenInOtherTab,
            retry_in_ms: None,
        };
        self.servers
            .update(|servers| servers.iter_mut().for_each(|s| s.status = away.clone()));
        self.show_overall();
    }
}
