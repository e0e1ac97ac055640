//! Proof of knowing the room secret, bound to one connection.
//!
//! After the identity handshake (which both sides completed on this connection), a joiner
//! sends `HMAC-SHA256(secret, label ‖ room ‖ transcript)` where the transcript is the same
//! one the identity handshake signs: both ids, both DTLS fingerprints and both fresh nonces.
//! The MAC therefore only fits this connection: it cannot be replayed elsewhere or relayed
//! through a machine in the middle. A member answers with its own MAC (roles swapped) only
//! after checking the joiner's, so someone without the secret learns nothing about the
//! room, not even whether the member is in it.

use super::{RoomId, RoomSecret};
use crate::binding::Binding;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Domain separation for room proofs.
pub const PROOF_LABEL: &str = "peerchat/room-proof/v1";

fn mac_for(secret: &RoomSecret, room: &RoomId, signed_transcript: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(&secret.0).expect("HMAC takes keys of any length");
    mac.update(format!("{PROOF_LABEL}\nroom={room}\n").as_bytes());
    mac.update(signed_transcript);
    mac
}

/// My proof for `room` on the connection described by `binding`.
pub fn prove(secret: &RoomSecret, room: &RoomId, binding: &Binding) -> [u8; 32] {
    mac_for(secret, room, &binding.mine())
        .finalize()
        .into_bytes()
        .into()
}

/// Checks the peer's proof for `room` on this connection (constant time).
pub fn check(secret: &RoomSecret, room: &RoomId, binding: &Binding, proof: &[u8; 32]) -> bool {
    mac_for(secret, room, &binding.theirs())
        .verify_slice(proof)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;

    fn bindings() -> (Binding, Binding) {
        let (a, b) = (
            Identity::from_secret([1; 32]),
            Identity::from_secret([2; 32]),
        );
        let ab = Binding {
            me: a.peer_id().clone(),
            peer: b.peer_id().clone(),
            local_fingerprint: "sha-256 AA".into(),
            remote_fingerprint: "sha-256 BB".into(),
            my_nonce: [1; 32],
            their_nonce: [2; 32],
        };
        let ba = Binding {
            me: ab.peer.clone(),
            peer: ab.me.clone(),
            local_fingerprint: ab.remote_fingerprint.clone(),
            remote_fingerprint: ab.local_fingerprint.clone(),
            my_nonce: ab.their_nonce,
            their_nonce: ab.my_nonce,
        };
        (ab, ba)
    }

    #[test]
    fn proof_checks_with_the_secret_on_this_connection_only() {
        let (ab, ba) = bindings();
        let room = RoomId::from_random(&[3; 16]);
        let secret = RoomSecret([9; 32]);
        let p = prove(&secret, &room, &ab);
        assert!(check(&secret, &room, &ba, &p));
        // Wrong secret, other room, other connection, reflected back: all refused.
        assert!(!check(&RoomSecret([8; 32]), &room, &ba, &p));
        assert!(!check(&secret, &RoomId::from_random(&[4; 16]), &ba, &p));
        let mut other = ba.clone();
        other.my_nonce = [7; 32];
        assert!(!check(&secret, &room, &other, &p));
        assert!(
            !check(&secret, &room, &ab, &p),
            "a proof sent back to its maker is not valid"
        );
    }
}
