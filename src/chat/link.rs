//! One engine link in the browser: an `RTCPeerConnection`, its data channel and their
//! listeners. Commands that wait on the browser (offer, answer, descriptions, candidates)
//! run one after the other, as the engine asks; sending and closing happen at once.

use crate::rtc;
use gloo_events::EventListener;
use peerchat_core::engine::LinkCommand;
use std::collections::VecDeque;
use web_sys::{RtcDataChannel, RtcPeerConnection};

/// A link's browser objects. Dropping it removes its listeners and closes it.
pub struct BrowserLink {
    /// The connection.
    pub pc: RtcPeerConnection,
    /// The data channel, once there is one.
    pub dc: Option<RtcDataChannel>,
    /// Listeners of the connection and the channel.
    pub listeners: Vec<EventListener>,
    /// Commands waiting for the one in progress.
    pub waiting: VecDeque<LinkCommand>,
    /// A command is in progress.
    pub busy: bool,
}

impl BrowserLink {
    /// A link around a new connection.
    pub fn new(pc: RtcPeerConnection) -> Self {
        BrowserLink {
            pc,
            dc: None,
            listeners: Vec::new(),
            waiting: VecDeque::new(),
            busy: false,
        }
    }

    /// Sends one frame; false when the channel is not open.
    pub fn send(&self, bytes: &[u8]) -> bool {
        self.dc.as_ref().is_some_and(|dc| rtc::send(dc, bytes))
    }
}

impl Drop for BrowserLink {
    fn drop(&mut self) {
        // Listeners go first so closing reports nothing.
        self.listeners.clear();
        if let Some(dc) = &self.dc {
            dc.close();
        }
        self.pc.close();
    }
}
