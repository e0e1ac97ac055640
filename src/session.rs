//! The session: the one place where events from the adapters (signaling status, tab lease)
//! and intents from the components (choose a name, save settings, retry, use here) change
//! state. Components read the signals here and call the intent methods; nothing else writes.

use crate::boot::{Boot, EndpointSource};
use crate::signaling_client::SignalingClient;
use crate::store;
use crate::tab_lease::{self, LeaseKeeper};
use leptos::prelude::*;
use leptos::task::spawn_local;
use peerchat_core::endpoint::Endpoint;
use peerchat_core::identity::PeerId;
use peerchat_core::name::DisplayName;
use peerchat_core::signaling::{OfflineReason, Status};
use peerchat_core::storage::{Profile, Settings};

/// The connection as the person sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Connection {
    /// Not started yet (no name chosen).
    Idle,
    /// The signaling client's status.
    Signaling(Status),
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
    /// A save error.
    pub save: Option<String>,
}

/// Browser handles, which are not `Send` and so live outside the reactive graph.
struct Runtime {
    token: String,
    client: Option<SignalingClient>,
    keeper: Option<LeaseKeeper>,
}

/// The app state and its intents. Cheap to copy: every field is a handle.
#[derive(Clone, Copy)]
pub struct Session {
    /// This browser's peer id.
    pub peer_id: StoredValue<PeerId>,
    /// The saved profile; `None` until a name is chosen.
    pub profile: RwSignal<Option<Profile>>,
    /// The connection status.
    pub connection: RwSignal<Connection>,
    /// The endpoint in use (or why none).
    pub endpoint: RwSignal<Result<Endpoint, String>>,
    /// Where the endpoint came from.
    pub endpoint_source: RwSignal<EndpointSource>,
    /// The endpoint saved in settings.
    pub settings_endpoint: RwSignal<Option<Endpoint>>,
    /// Messages for the person.
    pub notices: RwSignal<Vec<Notice>>,
    /// Whether this tab runs the profile.
    pub tab: RwSignal<TabState>,
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
        let session = Session {
            peer_id: StoredValue::new(boot.identity.peer_id().clone()),
            profile: RwSignal::new(boot.profile),
            connection: RwSignal::new(Connection::Idle),
            endpoint: RwSignal::new(boot.endpoint),
            endpoint_source: RwSignal::new(boot.endpoint_source),
            settings_endpoint: RwSignal::new(boot.settings_endpoint),
            notices: RwSignal::new(notices),
            tab: RwSignal::new(TabState::Active),
            runtime: StoredValue::new_local(Runtime {
                token: boot.token,
                client: None,
                keeper: None,
            }),
        };
        if tab_lease::try_acquire() {
            session.hold_lease();
            session.connect();
        } else {
            session.tab.set(TabState::Elsewhere);
        }
        session
    }

    /// Intent: the person chose their name on first visit.
    pub fn choose_name(&self, text: &str) -> Result<(), String> {
        let name = DisplayName::parse(text).map_err(|e| e.to_string())?;
        let profile = Profile::new(name);
        store::save(&profile).map_err(|e| e.describe().to_string())?;
        self.profile.set(Some(profile));
        self.connect();
        Ok(())
    }

    /// Intent: the person saved the settings form. An empty endpoint means the default.
    pub fn save_settings(
        &self,
        name_text: &str,
        endpoint_text: &str,
    ) -> Result<(), SettingsErrors> {
        let name = DisplayName::parse(name_text);
        let endpoint = match endpoint_text.trim() {
            "" => Ok(None),
            text => Endpoint::parse(text).map(Some),
        };
        let (name, endpoint) = match (name, endpoint) {
            (Ok(n), Ok(e)) => (n, e),
            (n, e) => {
                return Err(SettingsErrors {
                    name: n.err().map(|e| e.to_string()),
                    endpoint: e.err().map(|e| e.to_string()),
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
        store::save(&Settings::new(endpoint.as_ref())).map_err(save_error)?;
        self.profile.set(Some(profile));
        let changed = self.settings_endpoint.get_untracked() != endpoint;
        self.settings_endpoint.set(endpoint.clone());
        // A saved choice replaces a server given by the page link or a default.
        if changed || self.endpoint_source.get_untracked() == EndpointSource::PageLink {
            self.endpoint_source.set(if endpoint.is_some() {
                EndpointSource::Settings
            } else {
                EndpointSource::Default
            });
            self.endpoint
                .set(Ok(endpoint.unwrap_or_else(Endpoint::public_cloud)));
            self.connect();
        }
        Ok(())
    }

    /// Intent: reconnect now instead of waiting for the next attempt.
    pub fn retry_now(&self) {
        self.runtime.with_value(|rt| {
            if let Some(client) = &rt.client {
                client.retry_now();
            }
        });
    }

    /// Intent: run the profile in this tab, taking over from the other one.
    pub fn use_here(&self) {
        tab_lease::force_acquire();
        self.tab.set(TabState::Active);
        self.hold_lease();
        self.connect();
    }

    /// Intent: hide a notice.
    pub fn dismiss(&self, id: u32) {
        self.notices.update(|n| n.retain(|notice| notice.id != id));
    }

    /// (Re)starts the signaling client for the current endpoint, if a profile exists and
    /// this tab runs it.
    fn connect(&self) {
        if self.profile.get_untracked().is_none() || self.tab.get_untracked() != TabState::Active {
            return;
        }
        // Drop the old client (closing its socket) before opening a new one.
        self.runtime.update_value(|rt| rt.client = None);
        let endpoint = match self.endpoint.get_untracked() {
            Ok(endpoint) => endpoint,
            Err(message) => {
                self.connection.set(Connection::BadEndpoint(message));
                return;
            }
        };
        let id = self.peer_id.get_value();
        let url = self
            .runtime
            .with_value(|rt| endpoint.websocket_url(id.as_str(), &rt.token));
        let connection = self.connection;
        let client = SignalingClient::start(
            url,
            move |status| {
                // try_set: the callback may outlive the reactive owner during teardown.
                connection.try_set(Connection::Signaling(status));
            },
            // Relayed offers, answers and candidates are for the chat layer (issue 3).
            |_message| {},
        );
        self.runtime.update_value(|rt| rt.client = Some(client));
    }

    fn hold_lease(&self) {
        let session = *self;
        let keeper = LeaseKeeper::hold(move || session.lost_lease());
        self.runtime.update_value(|rt| rt.keeper = Some(keeper));
    }

    /// Another tab took the profile: step down.
    fn lost_lease(&self) {
        if self.tab.get_untracked() == TabState::Elsewhere {
            return;
        }
        self.tab.set(TabState::Elsewhere);
        self.runtime.with_value(|rt| {
            if let Some(client) = &rt.client {
                client.stop(OfflineReason::OpenInOtherTab);
            }
        });
        // Dropped after this callback returns: the keeper's own timer is running it.
        let runtime = self.runtime;
        spawn_local(async move {
            runtime.update_value(|rt| {
                rt.keeper = None;
                rt.client = None;
            });
            // Keep showing why we are offline.
        });
        self.connection.set(Connection::Signaling(Status::Offline {
            reason: OfflineReason::OpenInOtherTab,
            retry_in_ms: None,
        }));
    }
}
