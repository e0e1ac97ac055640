//! The identity handshake, bound to the very WebRTC connection it runs on.
//!
//! When the data channel opens, each side sends `hello` (its id, public key and a fresh
//! nonce). On the other's `hello`, each side sends `proof`: an Ed25519 signature over the
//! connection's transcript ([`crate::binding`]): both ids, both DTLS certificate fingerprints
//! and both nonces. A side that already knows the other's nonce (the offer or answer
//! carried it) sends its `proof` right after its `hello`, which saves one crossing of the
//! channel; the other's `hello` must then carry that same nonce. The verifier rebuilds the transcript from its own view. A relay in the
//! middle (the signaling server answering an offer itself, or handing it to someone else)
//! terminates DTLS with its own certificate, so the fingerprints the two ends see differ from
//! what the real peer signed, and it cannot sign for the peer's id without the peer's private
//! key. Fresh nonces make every old proof useless.
//!
//! Nothing personal travels in the handshake (protocol version 2): `hello` carries only the
//! id, the public key (which anyone who knows the id could be challenged for) and a nonce.
//! The display name is sent after verification, and only to contacts (`name` frame).

use crate::binding::{Binding, sdp_fingerprints};
use crate::frame::{Frame, PROTOCOL_VERSION};
use crate::identity::{Identity, PeerId, verify};
use crate::primitives::{Bytes32, Bytes64};
use ed25519_dalek::{Signature, VerifyingKey};

/// Why a handshake failed. Every failure refuses the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The local or remote SDP has no DTLS fingerprint.
    #[error("the connection has no DTLS fingerprint")]
    NoFingerprint,
    /// The peer claims another id than the one we are connecting to.
    #[error("the peer claims to be {claimed}, not {expected}")]
    WrongId {
        /// Whom we expected.
        expected: PeerId,
        /// Whom it claims to be.
        claimed: PeerId,
    },
    /// The public key does not derive to the claimed id, or is not a valid key.
    #[error("the peer's key does not belong to its ID")]
    KeyMismatch,
    /// The signature does not verify over our view of the connection.
    #[error("the peer could not prove it holds the key of its ID on this connection")]
    BadSignature,
    /// A frame arrived out of order (chat before proof, proof before hello, ...).
    #[error("unexpected frame during the handshake")]
    Unexpected,
    /// The peer's `hello` carries another nonce than its offer or answer announced.
    #[error("the peer's hello carries another nonce than it announced")]
    ChangedNonce,
}

/// What a successful handshake established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The peer's public key (its id is derived from it).
    pub key: VerifyingKey,
    /// The connection binding, for room proofs.
    pub binding: Binding,
}

struct TheirHello {
    key: VerifyingKey,
    nonce: [u8; 32],
}

/// One side of a handshake.
pub struct Handshake {
    me: PeerId,
    expected: PeerId,
    my_nonce: [u8; 32],
    local_fingerprint: String,
    remote_fingerprint: String,
    theirs: Option<TheirHello>,
    /// The peer's nonce my `proof` was already sent for (known before its `hello`).
    proved_for: Option<[u8; 32]>,
}

impl Handshake {
    /// Starts a handshake with `expected` on a connection whose local and remote SDP are
    /// given. `nonce` must be fresh random bytes. `their_nonce` is the peer's nonce if the
    /// offer or answer carried it. Returns the frames to send: `hello`, then `proof` when
    /// the peer's nonce is known already.
    pub fn start(
        identity: &Identity,
        expected: PeerId,
        local_sdp: &str,
        remote_sdp: &str,
        nonce: [u8; 32],
        their_nonce: Option<[u8; 32]>,
    ) -> Result<(Self, Vec<Frame>), HandshakeError> {
        let local_fingerprint = sdp_fingerprints(local_sdp).ok_or(HandshakeError::NoFingerprint)?;
        let remote_fingerprint =
            sdp_fingerprints(remote_sdp).ok_or(HandshakeError::NoFingerprint)?;
        let hello = Frame::Hello {
            v: PROTOCOL_VERSION,
            id: identity.peer_id().clone(),
            key: Bytes32(identity.public_key().to_bytes()),
            nonce: Bytes32(nonce),
        };
        let hs = Handshake {
            me: identity.peer_id().clone(),
            expected,
            my_nonce: nonce,
            local_fingerprint,
            remote_fingerprint,
            theirs: None,
            proved_for: their_nonce,
        };
        let mut frames = vec![hello];
        if let Some(theirs) = their_nonce {
            frames.push(hs.proof(identity, theirs));
        }
        Ok((hs, frames))
    }

    fn proof(&self, identity: &Identity, their_nonce: [u8; 32]) -> Frame {
        let signed = self.binding(their_nonce).mine();
        Frame::Proof {
            sig: Bytes64(identity.sign(&signed).to_bytes()),
        }
    }

    /// Whether the peer's `hello` was accepted (our `proof` is on its way).
    pub fn has_their_hello(&self) -> bool {
        self.theirs.is_some()
    }

    fn binding(&self, their_nonce: [u8; 32]) -> Binding {
        Binding {
            me: self.me.clone(),
            peer: self.expected.clone(),
            local_fingerprint: self.local_fingerprint.clone(),
            remote_fingerprint: self.remote_fingerprint.clone(),
            my_nonce: self.my_nonce,
            their_nonce,
        }
    }

    /// Handles the peer's `hello`; returns our `proof` to send, unless it went already
    /// (then the `hello` must carry the nonce it was made for).
    pub fn on_hello(
        &mut self,
        identity: &Identity,
        frame: Frame,
    ) -> Result<Option<Frame>, HandshakeError> {
        let Frame::Hello { id, key, nonce, .. } = frame else {
            return Err(HandshakeError::Unexpected);
        };
        if self.theirs.is_some() {
            return Err(HandshakeError::Unexpected);
        }
        if id != self.expected {
            return Err(HandshakeError::WrongId {
                expected: self.expected.clone(),
                claimed: id,
            });
        }
        let key = VerifyingKey::from_bytes(&key.0).map_err(|_| HandshakeError::KeyMismatch)?;
        if !id.matches_key(&key) || key.is_weak() {
            return Err(HandshakeError::KeyMismatch);
        }
        // A nonce other than the one the offer or answer carried: my proof was made for
        // another transcript and cannot verify there; end it here too, quietly (whoever
        // changed the nonce on the way could as well have dropped the connection).
        if self.proved_for.is_some_and(|sent| sent != nonce.0) {
            return Err(HandshakeError::ChangedNonce);
        }
        self.theirs = Some(TheirHello {
            key,
            nonce: nonce.0,
        });
        Ok(match self.proved_for {
            Some(_) => None,
            None => Some(self.proof(identity, nonce.0)),
        })
    }

    /// Handles the peer's `proof`; on success the peer is verified.
    pub fn on_proof(&self, frame: Frame) -> Result<Verified, HandshakeError> {
        let (Frame::Proof { sig }, Some(theirs)) = (frame, &self.theirs) else {
            return Err(HandshakeError::Unexpected);
        };
        let binding = self.binding(theirs.nonce);
        if !verify(
            &theirs.key,
            &binding.theirs(),
            &Signature::from_bytes(&sig.0),
        ) {
            return Err(HandshakeError::BadSignature);
        }
        Ok(Verified {
            key: theirs.key,
            binding,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binding::transcript;

    const FP_A: &str = "a=fingerprint:sha-256 AA:BB:CC";
    const FP_B: &str = "a=fingerprint:sha-256 11:22:33";
    const FP_M: &str = "a=fingerprint:sha-256 66:66:66";

    fn sdp(fp: &str) -> String {
        format!(
            "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n{fp}\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
        )
    }

    fn ident(seed: u8) -> Identity {
        Identity::from_secret([seed; 32])
    }

    fn start(me: &Identity, them: &Identity, view: (&str, &str), nonce: u8) -> (Handshake, Frame) {
        let (hs, mut frames) = start_knowing(me, them, view, nonce, None);
        assert_eq!(
            frames.len(),
            1,
            "hello alone while the peer's nonce is unknown"
        );
        (hs, frames.remove(0))
    }

    /// Starts knowing the peer's nonce (`theirs`) from the offer or answer, or not.
    fn start_knowing(
        me: &Identity,
        them: &Identity,
        view: (&str, &str),
        nonce: u8,
        theirs: Option<u8>,
    ) -> (Handshake, Vec<Frame>) {
        Handshake::start(
            me,
            them.peer_id().clone(),
            &sdp(view.0),
            &sdp(view.1),
            [nonce; 32],
            theirs.map(|n| [n; 32]),
        )
        .unwrap()
    }

    /// Runs a full handshake where each side sees the given local/remote SDPs.
    fn run(
        a: &Identity,
        b: &Identity,
        a_view: (&str, &str),
        b_view: (&str, &str),
    ) -> (
        Result<Verified, HandshakeError>,
        Result<Verified, HandshakeError>,
    ) {
        let (mut ha, hello_a) = start(a, b, a_view, 1);
        let (mut hb, hello_b) = start(b, a, b_view, 2);
        let proof_a = ha.on_hello(a, hello_b).unwrap().unwrap();
        let proof_b = hb.on_hello(b, hello_a).unwrap().unwrap();
        (ha.on_proof(proof_b), hb.on_proof(proof_a))
    }

    /// A handshake where A knows B's nonce from the signaling (`a_knows`: what A was told)
    /// and B knows A's (`b_knows`), each sending `proof` right after `hello` when it does.
    fn run_early(
        a: &Identity,
        b: &Identity,
        a_knows: Option<u8>,
        b_knows: Option<u8>,
    ) -> (
        Result<Verified, HandshakeError>,
        Result<Verified, HandshakeError>,
    ) {
        let (mut ha, mut from_a) = start_knowing(a, b, (FP_A, FP_B), 1, a_knows);
        let (mut hb, mut from_b) = start_knowing(b, a, (FP_B, FP_A), 2, b_knows);
        // Each side handles the other's frames in order: hello, then proof when sent early.
        let hello_a = from_a.remove(0);
        let hello_b = from_b.remove(0);
        let a_on_hello = ha.on_hello(a, hello_b);
        let b_on_hello = hb.on_hello(b, hello_a);
        let (a_late, b_late) = match (a_on_hello, b_on_hello) {
            (Ok(a_late), Ok(b_late)) => (a_late, b_late),
            (Err(e), _) => return (Err(e.clone()), Err(e)),
            (_, Err(e)) => return (Err(e.clone()), Err(e)),
        };
        assert_eq!(a_late.is_none(), a_knows.is_some(), "one proof from A");
        assert_eq!(b_late.is_none(), b_knows.is_some(), "one proof from B");
        let proof_a = from_a.pop().or(a_late).unwrap();
        let proof_b = from_b.pop().or(b_late).unwrap();
        (ha.on_proof(proof_b), hb.on_proof(proof_a))
    }

    #[test]
    fn a_nonce_known_from_the_offer_or_answer_sends_the_proof_with_hello() {
        let (a, b) = (ident(1), ident(2));
        // Both knew, one knew (a client without the nonce on one side), neither knew.
        for (a_knows, b_knows) in [(Some(2), Some(1)), (Some(2), None), (None, Some(1))] {
            let (va, vb) = run_early(&a, &b, a_knows, b_knows);
            let (va, vb) = (va.unwrap(), vb.unwrap());
            assert_eq!(va.binding.mine(), vb.binding.theirs());
            assert_eq!(va.key, b.public_key());
            assert_eq!(vb.key, a.public_key());
        }
    }

    #[test]
    fn a_hello_with_another_nonce_than_announced_ends_the_handshake() {
        // Something on the way changed B's nonce in the answer: A's early proof is for a
        // transcript B does not have, and A does not accept the hello either.
        let (a, b) = (ident(1), ident(2));
        let (va, _) = run_early(&a, &b, Some(9), None);
        assert_eq!(va, Err(HandshakeError::ChangedNonce));
        // Had A's hello reached B anyway, A's early proof would not verify there.
        let (_, from_a) = start_knowing(&a, &b, (FP_A, FP_B), 1, Some(9));
        let (mut hb, _) = start(&b, &a, (FP_B, FP_A), 2);
        let mut from_a = from_a.into_iter();
        hb.on_hello(&b, from_a.next().unwrap()).unwrap();
        assert_eq!(
            hb.on_proof(from_a.next().unwrap()),
            Err(HandshakeError::BadSignature)
        );
    }

    #[test]
    fn valid_handshake_verifies_both_sides() {
        let (a, b) = (ident(1), ident(2));
        let (va, vb) = run(&a, &b, (FP_A, FP_B), (FP_B, FP_A));
        let (va, vb) = (va.unwrap(), vb.unwrap());
        assert_eq!(va.binding.peer, *b.peer_id());
        assert_eq!(va.key, b.public_key());
        assert_eq!(vb.binding.peer, *a.peer_id());
        // Each side's view is the other's with roles swapped.
        assert_eq!(va.binding.mine(), vb.binding.theirs());
    }

    #[test]
    fn hello_carries_nothing_personal() {
        let (a, b) = (ident(1), ident(2));
        let (_, hello) = start(&a, &b, (FP_A, FP_B), 1);
        let text = String::from_utf8(hello.encode()).unwrap();
        assert!(text.starts_with(r#"{"t":"hello","v":2,"id":"#), "{text}");
        assert!(!text.contains("name"), "{text}");
    }

    #[test]
    fn man_in_the_middle_fingerprints_fail() {
        // Mallory relays: A's remote SDP shows M's certificate, B's remote SDP shows M's too.
        let (a, b) = (ident(1), ident(2));
        let (va, vb) = run(&a, &b, (FP_A, FP_M), (FP_B, FP_M));
        assert_eq!(va, Err(HandshakeError::BadSignature));
        assert_eq!(vb, Err(HandshakeError::BadSignature));
    }

    #[test]
    fn impostor_without_the_key_is_refused() {
        // A dials B; M answers, claiming to be B with B's public key but M's signature.
        let (a, b, m) = (ident(1), ident(2), ident(3));
        let (mut ha, _) = start(&a, &b, (FP_A, FP_M), 1);
        let hello = Frame::Hello {
            v: PROTOCOL_VERSION,
            id: b.peer_id().clone(),
            key: Bytes32(b.public_key().to_bytes()),
            nonce: Bytes32([9; 32]),
        };
        ha.on_hello(&a, hello).unwrap();
        let forged = transcript(
            b.peer_id(),
            a.peer_id(),
            "sha-256 66:66:66",
            "sha-256 AA:BB:CC",
            &[9; 32],
            &[1; 32],
        );
        let sig = Frame::Proof {
            sig: Bytes64(m.sign(&forged).to_bytes()),
        };
        assert_eq!(ha.on_proof(sig), Err(HandshakeError::BadSignature));
    }

    #[test]
    fn wrong_key_for_the_id_is_refused() {
        let (a, b, m) = (ident(1), ident(2), ident(3));
        let (mut ha, _) = start(&a, &b, (FP_A, FP_B), 1);
        let hello = Frame::Hello {
            v: PROTOCOL_VERSION,
            id: b.peer_id().clone(),
            key: Bytes32(m.public_key().to_bytes()),
            nonce: Bytes32([9; 32]),
        };
        assert_eq!(ha.on_hello(&a, hello), Err(HandshakeError::KeyMismatch));
    }

    #[test]
    fn someone_else_answering_is_refused() {
        let (a, b, m) = (ident(1), ident(2), ident(3));
        let (mut ha, _) = start(&a, &b, (FP_A, FP_B), 1);
        let (_, hello_m) = start(&m, &a, (FP_B, FP_A), 3);
        assert!(matches!(
            ha.on_hello(&a, hello_m),
            Err(HandshakeError::WrongId { .. })
        ));
    }

    #[test]
    fn replayed_proof_from_an_earlier_connection_fails() {
        let (a, b) = (ident(1), ident(2));
        // Record B's proof from a first session (A's nonce [1; 32]).
        let (_, hello_a1) = start(&a, &b, (FP_A, FP_B), 1);
        let (mut hb, hello_b) = start(&b, &a, (FP_B, FP_A), 2);
        let old_proof = hb.on_hello(&b, hello_a1).unwrap().unwrap();
        // Second session: same fingerprints even, but A's nonce is fresh.
        let (mut ha2, _) = start(&a, &b, (FP_A, FP_B), 7);
        ha2.on_hello(&a, hello_b).unwrap();
        assert_eq!(ha2.on_proof(old_proof), Err(HandshakeError::BadSignature));
    }

    #[test]
    fn out_of_order_frames_are_refused() {
        let (a, b) = (ident(1), ident(2));
        let (mut ha, _) = start(&a, &b, (FP_A, FP_B), 1);
        assert_eq!(
            ha.on_proof(Frame::Proof {
                sig: Bytes64([0; 64])
            }),
            Err(HandshakeError::Unexpected)
        );
        assert_eq!(
            ha.on_hello(&a, Frame::Ack { upto: 1 }),
            Err(HandshakeError::Unexpected)
        );
        assert!(
            Handshake::start(&a, b.peer_id().clone(), "v=0", &sdp(FP_B), [1; 32], None).is_err()
        );
    }
}
