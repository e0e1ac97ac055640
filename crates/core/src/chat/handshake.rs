//! The identity handshake, bound to the very WebRTC connection it runs on.
//!
//! When the data channel opens, each side sends `hello` (its id, public key and a fresh
//! nonce). On the other's `hello`, each side sends `proof`: an Ed25519 signature over a
//! transcript naming both ids, both DTLS certificate fingerprints (as each side sees them in
//! its local and remote SDP) and both nonces. The verifier rebuilds the transcript from its
//! own view. A relay in the middle (the signaling server answering an offer itself, or
//! handing it to someone else) terminates DTLS with its own certificate, so the fingerprints
//! the two ends see differ from what the real peer signed, and it cannot sign for the peer's
//! id without the peer's private key. Fresh nonces make every old proof useless.

use super::wire::{Bytes32, Bytes64, Frame, PROTOCOL_VERSION};
use crate::identity::{Identity, PeerId, verify};
use crate::name::DisplayName;
use data_encoding::BASE64;
use ed25519_dalek::{Signature, VerifyingKey};

/// Domain separation for the transcript.
pub const TRANSCRIPT_LABEL: &str = "peerchat/handshake/v1";

/// The DTLS fingerprints of an SDP, normalised: every `a=fingerprint:<hash> <hex>` line as
/// `<hash lowercase> <hex uppercase>`, de-duplicated, sorted, joined with `,`.
/// `None` when the SDP has none (a connection without DTLS cannot be verified).
pub fn sdp_fingerprints(sdp: &str) -> Option<String> {
    let mut prints: Vec<String> = sdp
        .lines()
        .filter_map(|line| line.trim().strip_prefix("a=fingerprint:"))
        .filter_map(|rest| {
            let (hash, hex) = rest.trim().split_once(' ')?;
            let hex = hex.trim();
            let valid = !hash.is_empty()
                && hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !hex.is_empty()
                && hex.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
            valid.then(|| format!("{} {}", hash.to_ascii_lowercase(), hex.to_ascii_uppercase()))
        })
        .collect();
    prints.sort();
    prints.dedup();
    (!prints.is_empty()).then(|| prints.join(","))
}

/// The bytes a side signs: see `docs/PROTOCOL.md` for the exact layout.
pub fn transcript(
    from: &PeerId,
    to: &PeerId,
    from_fingerprint: &str,
    to_fingerprint: &str,
    from_nonce: &[u8; 32],
    to_nonce: &[u8; 32],
) -> Vec<u8> {
    format!(
        "{TRANSCRIPT_LABEL}\nfrom={from}\nto={to}\nfrom-fingerprint={from_fingerprint}\nto-fingerprint={to_fingerprint}\nfrom-nonce={}\nto-nonce={}\n",
        BASE64.encode(from_nonce),
        BASE64.encode(to_nonce),
    )
    .into_bytes()
}

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
}

/// What binds a verified connection: both ids, both fingerprints, both nonces, from this
/// side's point of view. Room proofs are computed over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// My id.
    pub me: PeerId,
    /// The peer's id.
    pub peer: PeerId,
    /// Fingerprints in my local SDP.
    pub local_fingerprint: String,
    /// Fingerprints in my remote SDP.
    pub remote_fingerprint: String,
    /// My nonce.
    pub my_nonce: [u8; 32],
    /// The peer's nonce.
    pub their_nonce: [u8; 32],
}

/// What a successful handshake established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The peer's id.
    pub id: PeerId,
    /// The peer's public key (its id is derived from it).
    pub key: VerifyingKey,
    /// The display name it announced.
    pub name: DisplayName,
    /// The connection binding, for room proofs.
    pub binding: Binding,
}

struct TheirHello {
    key: VerifyingKey,
    nonce: [u8; 32],
    name: DisplayName,
}

/// One side of a handshake.
pub struct Handshake {
    me: PeerId,
    expected: PeerId,
    my_nonce: [u8; 32],
    local_fingerprint: String,
    remote_fingerprint: String,
    theirs: Option<TheirHello>,
}

impl Handshake {
    /// Starts a handshake with `expected` on a connection whose local and remote SDP are
    /// given. `nonce` must be fresh random bytes. Returns the `hello` frame to send.
    pub fn start(
        identity: &Identity,
        my_name: &DisplayName,
        expected: PeerId,
        local_sdp: &str,
        remote_sdp: &str,
        nonce: [u8; 32],
    ) -> Result<(Self, Frame), HandshakeError> {
        let local_fingerprint = sdp_fingerprints(local_sdp).ok_or(HandshakeError::NoFingerprint)?;
        let remote_fingerprint =
            sdp_fingerprints(remote_sdp).ok_or(HandshakeError::NoFingerprint)?;
        let hello = Frame::Hello {
            v: PROTOCOL_VERSION,
            id: identity.peer_id().clone(),
            key: Bytes32(identity.public_key().to_bytes()),
            nonce: Bytes32(nonce),
            name: my_name.to_string(),
        };
        let hs = Handshake {
            me: identity.peer_id().clone(),
            expected,
            my_nonce: nonce,
            local_fingerprint,
            remote_fingerprint,
            theirs: None,
        };
        Ok((hs, hello))
    }

    /// The id this handshake expects.
    pub fn expected(&self) -> &PeerId {
        &self.expected
    }

    /// Handles the peer's `hello`; returns our `proof` to send.
    pub fn on_hello(&mut self, identity: &Identity, frame: Frame) -> Result<Frame, HandshakeError> {
        let Frame::Hello {
            id,
            key,
            nonce,
            name,
            ..
        } = frame
        else {
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
        let name = DisplayName::parse(&name).map_err(|_| HandshakeError::Unexpected)?;
        let signed = transcript(
            &self.me,
            &self.expected,
            &self.local_fingerprint,
            &self.remote_fingerprint,
            &self.my_nonce,
            &nonce.0,
        );
        self.theirs = Some(TheirHello {
            key,
            nonce: nonce.0,
            name,
        });
        Ok(Frame::Proof {
            sig: Bytes64(identity.sign(&signed).to_bytes()),
        })
    }

    /// Handles the peer's `proof`; on success the peer is verified.
    pub fn on_proof(&self, frame: Frame) -> Result<Verified, HandshakeError> {
        let (Frame::Proof { sig }, Some(theirs)) = (frame, &self.theirs) else {
            return Err(HandshakeError::Unexpected);
        };
        // Their view: they are "from", their local fingerprint is our remote one.
        let expected_transcript = transcript(
            &self.expected,
            &self.me,
            &self.remote_fingerprint,
            &self.local_fingerprint,
            &theirs.nonce,
            &self.my_nonce,
        );
        if !verify(
            &theirs.key,
            &expected_transcript,
            &Signature::from_bytes(&sig.0),
        ) {
            return Err(HandshakeError::BadSignature);
        }
        Ok(Verified {
            id: self.expected.clone(),
            key: theirs.key,
            name: theirs.name.clone(),
            binding: Binding {
                me: self.me.clone(),
                peer: self.expected.clone(),
                local_fingerprint: self.local_fingerprint.clone(),
                remote_fingerprint: self.remote_fingerprint.clone(),
                my_nonce: self.my_nonce,
                their_nonce: theirs.nonce,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn name(s: &str) -> DisplayName {
        DisplayName::parse(s).unwrap()
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
        let (mut ha, hello_a) = Handshake::start(
            a,
            &name("A"),
            b.peer_id().clone(),
            &sdp(a_view.0),
            &sdp(a_view.1),
            [1; 32],
        )
        .unwrap();
        let (mut hb, hello_b) = Handshake::start(
            b,
            &name("B"),
            a.peer_id().clone(),
            &sdp(b_view.0),
            &sdp(b_view.1),
            [2; 32],
        )
        .unwrap();
        let proof_a = ha.on_hello(a, hello_b).unwrap();
        let proof_b = hb.on_hello(b, hello_a).unwrap();
        (ha.on_proof(proof_b), hb.on_proof(proof_a))
    }

    #[test]
    fn fingerprints_are_normalised() {
        let sdp = "v=0\r\na=fingerprint:SHA-256 ab:cd\r\nm=x\r\na=fingerprint:sha-256 AB:CD\r\n";
        assert_eq!(sdp_fingerprints(sdp).as_deref(), Some("sha-256 AB:CD"));
        assert_eq!(sdp_fingerprints("v=0\r\n"), None);
        assert_eq!(sdp_fingerprints("a=fingerprint:sha-256 <script>"), None);
    }

    /// Test vector: the exact transcript bytes (docs/PROTOCOL.md).
    #[test]
    fn transcript_vector() {
        let a = PeerId::parse("pc-eh7ddx5bksrgcytl7bka").unwrap();
        let b = PeerId::parse("pc-aaaaaaaaaaaaaaaaaaaa").unwrap();
        let t = transcript(&a, &b, "sha-256 AA:BB", "sha-256 CC:DD", &[1; 32], &[2; 32]);
        assert_eq!(
            String::from_utf8(t).unwrap(),
            "peerchat/handshake/v1\nfrom=pc-eh7ddx5bksrgcytl7bka\nto=pc-aaaaaaaaaaaaaaaaaaaa\n\
             from-fingerprint=sha-256 AA:BB\nto-fingerprint=sha-256 CC:DD\n\
             from-nonce=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\
             to-nonce=AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\n"
        );
    }

    #[test]
    fn valid_handshake_verifies_both_sides() {
        let (a, b) = (ident(1), ident(2));
        let (va, vb) = run(&a, &b, (FP_A, FP_B), (FP_B, FP_A));
        let va = va.unwrap();
        assert_eq!(va.id, *b.peer_id());
        assert_eq!(va.key, b.public_key());
        assert_eq!(va.name.as_str(), "B");
        assert_eq!(vb.unwrap().id, *a.peer_id());
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
        let (mut ha, _) = Handshake::start(
            &a,
            &name("A"),
            b.peer_id().clone(),
            &sdp(FP_A),
            &sdp(FP_M),
            [1; 32],
        )
        .unwrap();
        let hello = Frame::Hello {
            v: 1,
            id: b.peer_id().clone(),
            key: Bytes32(b.public_key().to_bytes()),
            nonce: Bytes32([9; 32]),
            name: "B".into(),
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
        let (mut ha, _) = Handshake::start(
            &a,
            &name("A"),
            b.peer_id().clone(),
            &sdp(FP_A),
            &sdp(FP_B),
            [1; 32],
        )
        .unwrap();
        let hello = Frame::Hello {
            v: 1,
            id: b.peer_id().clone(),
            key: Bytes32(m.public_key().to_bytes()),
            nonce: Bytes32([9; 32]),
            name: "B".into(),
        };
        assert_eq!(ha.on_hello(&a, hello), Err(HandshakeError::KeyMismatch));
    }

    #[test]
    fn someone_else_answering_is_refused() {
        let (a, b, m) = (ident(1), ident(2), ident(3));
        let (mut ha, _) = Handshake::start(
            &a,
            &name("A"),
            b.peer_id().clone(),
            &sdp(FP_A),
            &sdp(FP_B),
            [1; 32],
        )
        .unwrap();
        let (_, hello_m) = Handshake::start(
            &m,
            &name("M"),
            a.peer_id().clone(),
            &sdp(FP_B),
            &sdp(FP_A),
            [3; 32],
        )
        .unwrap();
        assert!(matches!(
            ha.on_hello(&a, hello_m),
            Err(HandshakeError::WrongId { .. })
        ));
    }

    #[test]
    fn replayed_proof_from_an_earlier_connection_fails() {
        let (a, b) = (ident(1), ident(2));
        // Record B's proof from a first session (A's nonce [1; 32]).
        let (_, hello_a1) = Handshake::start(
            &a,
            &name("A"),
            b.peer_id().clone(),
            &sdp(FP_A),
            &sdp(FP_B),
            [1; 32],
        )
        .unwrap();
        let (mut hb, hello_b) = Handshake::start(
            &b,
            &name("B"),
            a.peer_id().clone(),
            &sdp(FP_B),
            &sdp(FP_A),
            [2; 32],
        )
        .unwrap();
        let old_proof = hb.on_hello(&b, hello_a1).unwrap();
        // Second session: same fingerprints even, but A's nonce is fresh.
        let (mut ha2, _) = Handshake::start(
            &a,
            &name("A"),
            b.peer_id().clone(),
            &sdp(FP_A),
            &sdp(FP_B),
            [7; 32],
        )
        .unwrap();
        ha2.on_hello(&a, hello_b).unwrap();
        assert_eq!(ha2.on_proof(old_proof), Err(HandshakeError::BadSignature));
    }

    #[test]
    fn out_of_order_frames_are_refused() {
        let (a, b) = (ident(1), ident(2));
        let (mut ha, hello_a) = Handshake::start(
            &a,
            &name("A"),
            b.peer_id().clone(),
            &sdp(FP_A),
            &sdp(FP_B),
            [1; 32],
        )
        .unwrap();
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
        let _ = hello_a;
        assert!(
            Handshake::start(
                &a,
                &name("A"),
                b.peer_id().clone(),
                "v=0",
                &sdp(FP_B),
                [1; 32]
            )
            .is_err()
        );
    }
}
