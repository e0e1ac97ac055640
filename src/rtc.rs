//! The WebRTC adapter: an RTCPeerConnection with one reliable, ordered data channel, whose
//! callbacks become [`RtcEvent`]s. It decides nothing; `chat` does.

use gloo_events::EventListener;
use js_sys::{Array, Reflect, Uint8Array};
use peerchat_core::ice::IceServer;
use serde_json::{Value, json};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MessageEvent, RtcConfiguration, RtcDataChannel, RtcDataChannelEvent, RtcDataChannelInit,
    RtcDataChannelType, RtcIceCandidateInit, RtcIceServer, RtcPeerConnection,
    RtcPeerConnectionIceEvent, RtcPeerConnectionState, RtcSdpType, RtcSessionDescriptionInit,
};

/// Something a peer connection or its data channel reported.
#[derive(Debug)]
pub enum RtcEvent {
    /// A local ICE candidate to trickle to the peer (PeerJS `candidate` object).
    LocalCandidate(Value),
    /// The answering side received the data channel.
    DataChannel(RtcDataChannel),
    /// The data channel opened.
    ChannelOpen,
    /// A frame arrived (binary or text, as bytes).
    Frame(Vec<u8>),
    /// The channel or connection closed or failed.
    Closed(&'static str),
    /// The connection lost its network path; it may come back.
    Disconnected,
    /// The connection (again) has a working path.
    Connected,
    /// The connection failed without ever connecting: ICE found no working path.
    Unreachable,
}

/// Callback receiving the events of one connection.
pub type Emit = Rc<dyn Fn(RtcEvent)>;

/// A new peer connection with these ICE servers; `relay_only` uses relayed (TURN) paths
/// only, so the peer never learns this machine's addresses.
pub fn peer_connection(ice: &[IceServer], relay_only: bool) -> Result<RtcPeerConnection, JsValue> {
    let servers = Array::new();
    for server in ice {
        let s = RtcIceServer::new();
        s.set_urls(&JsValue::from_str(&server.url));
        if let (Some(u), Some(c)) = (&server.username, &server.credential) {
            s.set_username(u);
            s.set_credential(c);
        }
        servers.push(&s);
    }
    let config = RtcConfiguration::new();
    config.set_ice_servers(&servers);
    if relay_only {
        config.set_ice_transport_policy(web_sys::RtcIceTransportPolicy::Relay);
    }
    RtcPeerConnection::new_with_configuration(&config)
}

/// The dialing side's data channel: reliable and ordered, labelled with the connection id
/// as the stock `peerjs` client does.
pub fn data_channel(pc: &RtcPeerConnection, label: &str) -> RtcDataChannel {
    let init = RtcDataChannelInit::new();
    init.set_ordered(true);
    pc.create_data_channel_with_data_channel_dict(label, &init)
}

/// Listens to the connection: local candidates, an incoming data channel, failure.
pub fn listen_connection(pc: &RtcPeerConnection, emit: Emit) -> Vec<EventListener> {
    let on_candidate = {
        let emit = emit.clone();
        // Gathering that ends with no candidate at all (relay only, and the TURN server
        // refused or cannot be reached) means no path: ICE would never even start checking.
        let gathered = std::cell::Cell::new(0_u32);
        EventListener::new(pc, "icecandidate", move |e| {
            let Some(c) = e
                .dyn_ref::<RtcPeerConnectionIceEvent>()
                .and_then(|e| e.candidate())
            else {
                if gathered.get() == 0 {
                    emit(RtcEvent::Unreachable);
                }
                return;
            };
            gathered.set(gathered.get() + 1);
            emit(RtcEvent::LocalCandidate(json!({
                "candidate": c.candidate(),
                "sdpMid": c.sdp_mid(),
                "sdpMLineIndex": c.sdp_m_line_index(),
                // Not in web-sys's bindings; read the standard property directly.
                "usernameFragment": Reflect::get(&c, &"usernameFragment".into()).ok().and_then(|v| v.as_string()),
            })));
        })
    };
    let on_channel = {
        let emit = emit.clone();
        EventListener::new(pc, "datachannel", move |e| {
            if let Some(e) = e.dyn_ref::<RtcDataChannelEvent>() {
                emit(RtcEvent::DataChannel(e.channel()));
            }
        })
    };
    let pc2 = pc.clone();
    // Whether the connection ever connected: a failure before that means no path at all.
    let connected_once = std::cell::Cell::new(false);
    let on_state = EventListener::new(pc, "connectionstatechange", move |_| {
        match pc2.connection_state() {
            RtcPeerConnectionState::Failed if !connected_once.get() => emit(RtcEvent::Unreachable),
            RtcPeerConnectionState::Failed => emit(RtcEvent::Closed("connection failed")),
            RtcPeerConnectionState::Closed => emit(RtcEvent::Closed("connection closed")),
            // `disconnected` may recover on its own: the chat engine gives it a grace period.
            RtcPeerConnectionState::Disconnected => emit(RtcEvent::Disconnected),
            RtcPeerConnectionState::Connected => {
                connected_once.set(true);
                emit(RtcEvent::Connected)
            }
            _ => {}
        }
    });
    vec![on_candidate, on_channel, on_state]
}

/// Listens to a data channel: open, frames, close.
pub fn listen_channel(dc: &RtcDataChannel, emit: Emit) -> Vec<EventListener> {
    dc.set_binary_type(RtcDataChannelType::Arraybuffer);
    let on_open = {
        let emit = emit.clone();
        EventListener::new(dc, "open", move |_| emit(RtcEvent::ChannelOpen))
    };
    let on_message = {
        let emit = emit.clone();
        EventListener::new(dc, "message", move |e| {
            let Some(data) = e.dyn_ref::<MessageEvent>().map(MessageEvent::data) else {
                return;
            };
            let bytes = match data.as_string() {
                Some(text) => text.into_bytes(),
                None => Uint8Array::new(&data).to_vec(),
            };
            emit(RtcEvent::Frame(bytes));
        })
    };
    let on_close = EventListener::new(dc, "close", move |_| {
        emit(RtcEvent::Closed("channel closed"))
    });
    vec![on_open, on_message, on_close]
}

// The functions below call the browser at once and return a future of the rest: a link's
// next step is started while the page is still handling the input that asked for it, so
// the browser works on it during the rendering that follows instead of after it.

/// Creates the offer and sets it as local description; resolves to its SDP.
pub fn make_offer(pc: &RtcPeerConnection) -> impl Future<Output = Result<String, JsValue>> + use<> {
    let offer = JsFuture::from(pc.create_offer());
    let pc = pc.clone();
    async move { set_local(&pc, offer.await?).await }
}

/// Creates an offer that restarts ICE (new ICE credentials, so new candidates are
/// gathered and checked) and sets it as local description; resolves to its SDP.
pub fn restart_offer(
    pc: &RtcPeerConnection,
) -> impl Future<Output = Result<String, JsValue>> + use<> {
    let options = web_sys::RtcOfferOptions::new();
    options.set_ice_restart(true);
    let offer = JsFuture::from(pc.create_offer_with_rtc_offer_options(&options));
    let pc = pc.clone();
    async move { set_local(&pc, offer.await?).await }
}

/// Sets the remote offer, creates the answer and sets it locally; resolves to the answer
/// SDP.
pub fn accept_offer(
    pc: &RtcPeerConnection,
    sdp: &str,
) -> impl Future<Output = Result<String, JsValue>> + use<> {
    let remote = set_remote(pc, RtcSdpType::Offer, sdp);
    let pc = pc.clone();
    async move {
        remote.await?;
        let answer = JsFuture::from(pc.create_answer()).await?;
        set_local(&pc, answer).await
    }
}

/// Sets `description` (an offer or answer just created) as the local description;
/// resolves to its SDP.
async fn set_local(pc: &RtcPeerConnection, description: JsValue) -> Result<String, JsValue> {
    JsFuture::from(pc.set_local_description(description.unchecked_ref())).await?;
    local_sdp(pc).ok_or_else(|| JsValue::from_str("no local description"))
}

/// Sets the remote description.
pub fn set_remote(
    pc: &RtcPeerConnection,
    kind: RtcSdpType,
    sdp: &str,
) -> impl Future<Output = Result<(), JsValue>> + use<> {
    let init = RtcSessionDescriptionInit::new(kind);
    init.set_sdp(sdp);
    let set = JsFuture::from(pc.set_remote_description(&init));
    async move { set.await.map(drop) }
}

/// Adds a remote candidate given as the PeerJS `candidate` object.
pub fn add_candidate(
    pc: &RtcPeerConnection,
    candidate: &Value,
) -> impl Future<Output = Result<(), JsValue>> + use<> {
    let added = candidate_init(candidate).map(|init| {
        JsFuture::from(pc.add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(&init)))
    });
    async move { added?.await.map(drop) }
}

/// The browser's form of a PeerJS `candidate` object.
fn candidate_init(candidate: &Value) -> Result<RtcIceCandidateInit, JsValue> {
    let text = candidate
        .get("candidate")
        .and_then(Value::as_str)
        .ok_or("candidate without text")?;
    let init = RtcIceCandidateInit::new(text);
    init.set_sdp_mid(candidate.get("sdpMid").and_then(Value::as_str));
    init.set_sdp_m_line_index(
        candidate
            .get("sdpMLineIndex")
            .and_then(Value::as_u64)
            .and_then(|n| u16::try_from(n).ok()),
    );
    if let Some(frag) = candidate.get("usernameFragment").and_then(Value::as_str) {
        Reflect::set(&init, &"usernameFragment".into(), &frag.into())?;
    }
    Ok(init)
}

/// The local SDP, once set.
pub fn local_sdp(pc: &RtcPeerConnection) -> Option<String> {
    pc.local_description().map(|d| d.sdp())
}

/// Sends one frame as a binary message (the PeerJS `json` serialization). False when the
/// channel is not open.
pub fn send(dc: &RtcDataChannel, bytes: &[u8]) -> bool {
    dc.send_with_u8_array(bytes).is_ok()
}

/// A short description of a JS error, for logs.
pub fn describe(err: &JsValue) -> String {
    err.as_string()
        .or_else(|| {
            Reflect::get(err, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "unknown error".into())
}
