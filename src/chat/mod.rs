//! The chat in the browser: the driver that carries out the core engine's effects
//! ([`driver`]), the browser side of each link ([`link`]), and the signals the components
//! read ([`view`]). Every decision is in `peerchat_core::engine`.
//!
//! The intent methods here parse what the person typed with the core's parsers and hand
//! the engine a typed intent; a refusal comes back as the sentence to show.

mod driver;
mod link;
pub mod view;

pub use driver::{ChatDriver, Ports, page_visible};
pub use view::ChatView;

use peerchat_core::engine::{Input, Intent};
use peerchat_core::identity::PeerId;
use peerchat_core::name::DisplayName;
use peerchat_core::room::RoomId;
use peerchat_core::room::invite::Invite;
use peerchat_core::text;

impl ChatDriver {
    /// Intent: add the contact with this id (typed or pasted) and open the conversation.
    pub fn add_contact(&self, text: &str) -> Result<(), String> {
        let id = PeerId::parse(text).map_err(|e| e.to_string())?;
        self.intent(Intent::AddContact(id))
    }

    /// Intent: send `text` to `peer`.
    pub fn send(&self, peer: &PeerId, text: &str) -> Result<(), String> {
        let text = text::clean(text).map_err(|e| e.to_string())?;
        self.intent(Intent::Send {
            peer: peer.clone(),
            text,
        })
    }

    /// Intent: open a conversation or request (or close it).
    pub fn open(&self, peer: Option<PeerId>) {
        self.intent(Intent::Open(peer)).ok();
    }

    /// Intent: accept a message request.
    pub fn accept(&self, peer: &PeerId) {
        self.intent(Intent::Accept(peer.clone())).ok();
    }

    /// Intent: decline a message request.
    pub fn decline(&self, peer: &PeerId) {
        self.intent(Intent::Decline(peer.clone())).ok();
    }

    /// Intent: remove a contact and its conversation from this browser.
    pub fn remove_contact(&self, peer: &PeerId) {
        self.intent(Intent::RemoveContact(peer.clone())).ok();
    }

    /// Intent: delete the messages of the conversation with `peer` from this browser.
    pub fn delete_messages(&self, peer: &PeerId) {
        self.intent(Intent::DeleteMessages(peer.clone())).ok();
    }

    /// Intent: block a peer.
    pub fn block(&self, peer: &PeerId) -> Result<(), String> {
        self.intent(Intent::Block(peer.clone()))
    }

    /// Intent: create a room named `name` (a display name's rules).
    pub fn create_room(&self, name: &str) -> Result<(), String> {
        let name = DisplayName::parse(name).map_err(|e| {
            e.to_string()
                .replace("Names", "Room names")
                .replace("a name", "a room name")
        })?;
        self.intent(Intent::CreateRoom(name))
    }

    /// Intent: join a room from an invitation.
    pub fn join_room(&self, invite: Invite) {
        self.intent(Intent::JoinRoom(invite)).ok();
    }

    /// Intent: open a room (or close it).
    pub fn open_room(&self, room: Option<RoomId>) {
        self.intent(Intent::OpenRoom(room)).ok();
    }

    /// Intent: write `text` in room `room`.
    pub fn room_send(&self, room: &RoomId, text: &str) -> Result<(), String> {
        let text = text::clean(text).map_err(|e| e.to_string())?;
        self.intent(Intent::RoomSend {
            room: room.clone(),
            text,
        })
    }

    /// Intent: leave a room.
    pub fn leave_room(&self, room: &RoomId) {
        self.intent(Intent::LeaveRoom(room.clone())).ok();
    }

    /// My display name, at start and when changed.
    pub fn set_name(&self, name: DisplayName) {
        self.intent(Intent::SetName(name)).ok();
    }

    /// The page is visible again (or hidden).
    pub fn visible(&self, visible: bool) {
        self.input(Input::Visible(visible));
    }
}
