//! Start-up: everything the page reads once before rendering (stored records, the page URL).

use crate::{random, store};
use peerchat_core::endpoint::Endpoint;
use peerchat_core::identity::Identity;
use peerchat_core::storage::{self, IdentityRecord, Profile, Settings, TOKEN_LEN};

/// The page URL's query parameter that points the app at its signaling servers, for
/// example `?signal=ws://127.0.0.1:9000/x`, or several joined by `,`. It applies to this
/// page load only and is not saved.
pub const SIGNAL_PARAM: &str = "signal";

/// Where the endpoint in use came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointSource {
    /// The built-in default (the public PeerJS cloud server).
    Default,
    /// The person's settings.
    Settings,
    /// The `signal` parameter of the page URL.
    PageLink,
}

/// What start-up found.
pub struct Boot {
    /// This browser's identity.
    pub identity: Identity,
    /// The signaling token.
    pub token: String,
    /// The profile, if one is saved and readable.
    pub profile: Option<Profile>,
    /// The signaling servers chosen in settings, if any.
    pub settings_endpoint: Option<Vec<Endpoint>>,
    /// The signaling servers to use now, or why there are none.
    pub endpoint: Result<Vec<Endpoint>, String>,
    /// Where `endpoint` came from.
    pub endpoint_source: EndpointSource,
    /// Sentences to show the person (damaged data, failed saves).
    pub notices: Vec<String>,
    /// The ICE servers to use.
    pub ice: Vec<peerchat_core::ice::IceServer>,
    /// A friend's id from an invite link (`#invite=<id>`).
    pub invite: Option<peerchat_core::identity::PeerId>,
    /// A room invitation from the link (`#room=...`).
    pub room_invite: Option<peerchat_core::room::invite::Invite>,
    /// Who invited, from the link.
    pub invited: Invited,
    /// The person's preferences (defaults when absent or damaged).
    pub prefs: peerchat_core::prefs::Prefs,
}

/// The page URL fragment that carries an invitation: `#invite=<peer id>`. A fragment is
/// never sent to any server.
pub const INVITE_FRAGMENT: &str = "invite";

/// This page's address without its fragment: the base of invite links.
pub fn invite_base() -> String {
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    href.split('#').next().unwrap_or_default().to_string()
}

/// The base of invite links: the public page address from the preferences when set,
/// else this page's address; with the signaling servers in use (`?signal=a,b`) unless
/// they are the built-in default, so the friend meets us on the same servers. A public
/// address with a query of its own is taken as it is.
pub fn link_base(page: Option<&str>, servers: Option<&[Endpoint]>) -> String {
    if let Some(page) = page
        && page.contains('?')
    {
        return page.to_string();
    }
    let base = match page {
        Some(page) => page.to_string(),
        None => {
            let here = invite_base();
            here.split('?').next().unwrap_or_default().to_string()
        }
    };
    match servers {
        Some(list) => {
            let text = peerchat_core::endpoint::list_text(list);
            format!(
                "{base}?{SIGNAL_PARAM}={}",
                String::from(js_sys::encode_uri_component(&text))
            )
        }
        None => base,
    }
}

/// The fragment parameter that names who invites (shown to the invited person).
pub const FROM_FRAGMENT: &str = "from";

/// The invite link for `id`: the page's address with the invitation, and the inviter's
/// name, in the fragment (a fragment is never sent to any server).
pub fn invite_link(
    id: &peerchat_core::identity::PeerId,
    name: Option<&str>,
    page: Option<&str>,
    servers: Option<&[Endpoint]>,
) -> String {
    let fragment = match web_sys::UrlSearchParams::new() {
        Ok(params) => {
            params.append(INVITE_FRAGMENT, id.as_str());
            if let Some(name) = name {
                params.append(FROM_FRAGMENT, name);
            }
            String::from(params.to_string())
        }
        Err(_) => format!("{INVITE_FRAGMENT}={id}"),
    };
    format!("{}#{fragment}", link_base(page, servers))
}

/// Who invited: the name in the link (checked like any display name), and the room
/// invited to, for the welcome screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Invited {
    /// The inviter's name as the link gives it (self-chosen, unverified).
    pub by: Option<String>,
    /// The room's name, for a room invitation.
    pub room: Option<String>,
}

/// Reads an invitation from the page URL (a friend's `#invite=<id>`, or a room's
/// `#room=...`) and removes it from the address bar, so a reload or a copied address does
/// not repeat it.
pub fn take_invite(
    notices: &mut Vec<String>,
    room: &mut Option<peerchat_core::room::invite::Invite>,
    invited: &mut Invited,
) -> Option<peerchat_core::identity::PeerId> {
    let window = web_sys::window()?;
    let hash = window.location().hash().ok()?;
    let fragment = hash.strip_prefix('#').unwrap_or(&hash);
    let params = web_sys::UrlSearchParams::new_with_str(fragment).ok()?;
    let friend = params.get(INVITE_FRAGMENT);
    let is_room = params.get("room").is_some();
    invited.by = params
        .get(FROM_FRAGMENT)
        .and_then(|n| peerchat_core::name::DisplayName::parse(&n).ok())
        .map(|n| n.to_string());
    if friend.is_none() && !is_room {
        return None;
    }
    if let Ok(history) = window.history() {
        let href = window.location().href().unwrap_or_default();
        let clean = href.split('#').next().unwrap_or_default().to_string();
        history
            .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&clean))
            .ok();
    }
    if is_room {
        *room = peerchat_core::room::invite::Invite::parse(fragment);
        invited.room = room.as_ref().map(|r| r.name.to_string());
        if room.is_none() {
            notices.push("The room invite link is not valid (it may have been cut short).".into());
        }
    }
    match peerchat_core::identity::PeerId::parse(&friend?) {
        Ok(id) => Some(id),
        Err(e) => {
            notices.push(format!("The invite link is not valid: {e}."));
            None
        }
    }
}

/// Reads storage and the page URL.
pub fn boot() -> Boot {
    let mut notices = Vec::new();
    let (identity, token) = load_identity(&mut notices);

    let profile = store::load::<Profile>("profile (your display name)");
    notices.extend(profile.notice);

    let settings = store::load::<Settings>("settings");
    notices.extend(settings.notice);
    let ice = match settings.value.as_ref().map(|s| s.ice_servers()) {
        Some(Ok(ice)) => ice,
        Some(Err(error)) => {
            notices.push(format!(
                "Your saved ICE servers could not be read ({error}); the default is used."
            ));
            peerchat_core::ice::default_servers()
        }
        None => peerchat_core::ice::default_servers(),
    };
    let settings_endpoint = match settings.value.map(|s| s.endpoint()) {
        Some(Ok(endpoint)) => endpoint,
        Some(Err(error)) => {
            let raw = store::read_raw(storage::SETTINGS_KEY).unwrap_or_default();
            notices.push(store::keep_aside(
                storage::SETTINGS_KEY,
                &raw,
                "settings",
                &error.to_string(),
            ));
            None
        }
        None => None,
    };

    let (endpoint, endpoint_source) = match page_param(SIGNAL_PARAM) {
        Some(text) => (
            peerchat_core::endpoint::parse_list(&text)
                .map_err(|e| format!("The signaling server in this page's link is not valid: {e}")),
            EndpointSource::PageLink,
        ),
        None => match &settings_endpoint {
            Some(e) => (Ok(e.clone()), EndpointSource::Settings),
            None => (Ok(vec![Endpoint::public_cloud()]), EndpointSource::Default),
        },
    };

    let prefs = store::load::<peerchat_core::prefs::Prefs>("preferences");
    notices.extend(prefs.notice);

    let mut room_invite = None;
    let mut invited = Invited::default();
    let invite = take_invite(&mut notices, &mut room_invite, &mut invited);
    Boot {
        invited,
        prefs: prefs.value.unwrap_or_default(),
        ice,
        invite,
        room_invite,
        identity,
        token,
        profile: profile.value,
        settings_endpoint,
        endpoint,
        endpoint_source,
        notices,
    }
}

/// Loads the identity, or makes a new one when none is stored or the stored one is damaged
/// (the damaged one is kept aside first).
fn load_identity(notices: &mut Vec<String>) -> (Identity, String) {
    const WHAT: &str = "identity (your ID and its key)";
    let loaded = store::load::<IdentityRecord>(WHAT);
    notices.extend(loaded.notice);
    if let Some(record) = loaded.value {
        match record.identity() {
            Ok(identity) => return (identity, record.token.clone()),
            Err(error) => {
                let raw = store::read_raw(storage::IDENTITY_KEY).unwrap_or_default();
                notices.push(store::keep_aside(
                    storage::IDENTITY_KEY,
                    &raw,
                    WHAT,
                    &error.to_string(),
                ));
            }
        }
    }
    let identity = Identity::from_secret(random::bytes::<32>());
    let token = storage::token_from_random(&random::bytes::<TOKEN_LEN>());
    if let Err(e) = store::save(&IdentityRecord::new(&identity, token.clone())) {
        notices.push(format!(
            "Your new ID could not be saved and will change when the page reloads. {}",
            e.describe()
        ));
    }
    (identity, token)
}

/// A query parameter of the page URL.
fn page_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}
