//! Identity: an Ed25519 key pair and the peer id derived from its public key.
//!
//! The peer id is `pc-` followed by the first 100 bits of SHA-256(public key), in lowercase
//! RFC 4648 base32 (20 characters of `a-z2-7`). The alphabet fits the PeerJS id rule
//! `^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$`. Because the id is a fingerprint of the key, anyone
//! answering for an id can be challenged to sign with the matching private key: the signaling
//! server can route messages, but it cannot produce that signature.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;

/// The fixed prefix of every Peerchat peer id; it keeps our ids apart from other apps'
/// on a shared PeerJS server.
pub const PEER_ID_PREFIX: &str = "pc-";
/// Number of base32 characters after the prefix (5 bits each: 100 bits of fingerprint).
pub const PEER_ID_CHARS: usize = 20;

/// A validated Peerchat peer id such as `pc-mfrggzdfmztwq2lknnwg`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, serde::Serialize)]
#[serde(transparent)]
pub struct PeerId(String);

/// Why a string is not a Peerchat peer id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerIdError {
    /// The text does not have the shape `pc-` + 20 characters of `a-z2-7`.
    #[error("a Peerchat id is \"pc-\" followed by 20 letters a-z and digits 2-7")]
    Malformed,
}

impl PeerId {
    /// Parses an id typed or pasted by a person, or received from the network.
    /// Surrounding whitespace is ignored and upper case is accepted (base32 is
    /// case-insensitive), so an id read aloud or retyped still works.
    pub fn parse(text: &str) -> Result<Self, PeerIdError> {
        let text = text.trim();
        let rest = text
            .get(..PEER_ID_PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(PEER_ID_PREFIX))
            .map(|_| &text[PEER_ID_PREFIX.len()..])
            .ok_or(PeerIdError::Malformed)?;
        let ok = rest.len() == PEER_ID_CHARS
            && rest
                .bytes()
                .all(|b| matches!(b.to_ascii_lowercase(), b'a'..=b'z' | b'2'..=b'7'));
        if !ok {
            return Err(PeerIdError::Malformed);
        }
        Ok(PeerId(format!(
            "{PEER_ID_PREFIX}{}",
            rest.to_ascii_lowercase()
        )))
    }

    /// Derives the peer id that belongs to a public key.
    pub fn from_public_key(key: &VerifyingKey) -> Self {
        let digest = Sha256::digest(key.as_bytes());
        // 13 bytes = 104 bits encode to 21 base32 characters; the first 20 carry exactly
        // the first 100 bits of the digest.
        let encoded = crate::codec::base32_lower(&digest[..13]);
        PeerId(format!("{PEER_ID_PREFIX}{}", &encoded[..PEER_ID_CHARS]))
    }

    /// True when `key` is the public key this id was derived from.
    pub fn matches_key(&self, key: &VerifyingKey) -> bool {
        Self::from_public_key(key) == *self
    }

    /// The id as text, as registered with the signaling server.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for PeerId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        PeerId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// This browser's identity: the Ed25519 signing key and the id derived from it.
pub struct Identity {
    signing: SigningKey,
    id: PeerId,
}

impl Identity {
    /// Builds the identity from 32 secret bytes. The caller supplies them from a CSPRNG
    /// (the browser's `crypto.getRandomValues`) or from storage; keeping randomness out of the
    /// core keeps it deterministic and testable.
    pub fn from_secret(secret: [u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(&secret);
        let id = PeerId::from_public_key(&signing.verifying_key());
        Identity { signing, id }
    }

    /// The peer id derived from this identity's public key.
    pub fn peer_id(&self) -> &PeerId {
        &self.id
    }

    /// The public key.
    pub fn public_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The 32 secret bytes, for storage only.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// Signs `message` with the private key.
    pub fn sign(&self, message: &[u8]) -> Signature {
        self.signing.sign(message)
    }
}

impl fmt::Debug for Identity {
    // Never print the secret key, even in debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Verifies `signature` over `message` by `key` (strict verification: rejects malleable and
/// small-order forms).
pub fn verify(key: &VerifyingKey, message: &[u8], signature: &Signature) -> bool {
    key.verify_strict(message, signature).is_ok() && key.verify(message, signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex32(s: &str) -> [u8; 32] {
        data_encoding::HEXLOWER
            .decode(s.as_bytes())
            .unwrap()
            .try_into()
            .unwrap()
    }

    /// RFC 8032 test vector 1: secret 9d61…7f60, public d75a…511a.
    #[test]
    fn rfc8032_vector_gives_fixed_id() {
        let id = Identity::from_secret(hex32(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        ));
        assert_eq!(
            data_encoding::HEXLOWER.encode(id.public_key().as_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        // SHA-256(public key) = 21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9
        // first 100 bits in base32 = eh7ddx5bksrgcytl7bka
        assert_eq!(id.peer_id().as_str(), "pc-eh7ddx5bksrgcytl7bka");
    }

    #[test]
    fn all_zero_secret_vector() {
        let id = Identity::from_secret([0u8; 32]);
        // Public key 3b6a27bc…da29 (RFC 8032 derivation of the zero seed).
        assert_eq!(
            data_encoding::HEXLOWER.encode(id.public_key().as_bytes()),
            "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
        );
        assert_eq!(id.peer_id(), &PeerId::from_public_key(&id.public_key()));
        assert!(id.peer_id().matches_key(&id.public_key()));
    }

    #[test]
    fn id_fits_peerjs_alphabet_and_length() {
        for seed in 0u8..50 {
            let id = Identity::from_secret([seed; 32]);
            let s = id.peer_id().as_str();
            assert_eq!(s.len(), 23);
            assert!(s.starts_with("pc-"));
            assert!(
                s[3..]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
            );
            assert_eq!(PeerId::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn other_key_does_not_match() {
        let a = Identity::from_secret([1; 32]);
        let b = Identity::from_secret([2; 32]);
        assert!(!a.peer_id().matches_key(&b.public_key()));
    }

    #[test]
    fn parse_accepts_case_and_whitespace_and_rejects_garbage() {
        assert_eq!(
            PeerId::parse("  PC-EH7DDX5BKSRGCYTL7BKA\n")
                .unwrap()
                .as_str(),
            "pc-eh7ddx5bksrgcytl7bka"
        );
        for bad in [
            "",
            "pc-",
            "pc-eh7ddx5bksrgcytl7bk",   // 19 chars
            "pc-eh7ddx5bksrgcytl7bkaa", // 21 chars
            "pc-eh7ddx5bksrgcytl7bk1",  // '1' is not base32
            "xx-eh7ddx5bksrgcytl7bka",
            "pc-eh7ddx5bksrgcytl7bk\u{e9}",
            "\u{e9}\u{e9}\u{e9}",
        ] {
            assert_eq!(PeerId::parse(bad), Err(PeerIdError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn signatures_verify_only_with_the_right_key_and_message() {
        let a = Identity::from_secret([7; 32]);
        let b = Identity::from_secret([8; 32]);
        let sig = a.sign(b"hello");
        assert!(verify(&a.public_key(), b"hello", &sig));
        assert!(!verify(&a.public_key(), b"hellp", &sig));
        assert!(!verify(&b.public_key(), b"hello", &sig));
    }

    #[test]
    fn debug_does_not_leak_secret() {
        let a = Identity::from_secret([9; 32]);
        let dbg = format!("{a:?}");
        assert!(!dbg.contains("signing"));
        assert!(dbg.contains("pc-"));
    }
}
