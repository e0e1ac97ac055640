//! What binds a verified connection to the two identities on it: both peer ids, both
//! DTLS certificate fingerprints (as each side sees them in its local and remote SDP) and both
//! fresh nonces. The identity handshake signs this transcript ([`crate::handshake`]) and room
//! membership proofs MAC it ([`crate::room::proof`]), so neither can be replayed on another
//! connection or relayed through a machine in the middle.

use crate::codec::BASE64;
use crate::identity::PeerId;

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
    crate::sorting::sort_dedup(&mut prints);
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

impl Binding {
    /// The transcript as I sign it (I am `from`).
    pub fn mine(&self) -> Vec<u8> {
        transcript(
            &self.me,
            &self.peer,
            &self.local_fingerprint,
            &self.remote_fingerprint,
            &self.my_nonce,
            &self.their_nonce,
        )
    }

    /// The transcript as the peer signs it (the peer is `from`), rebuilt from my view.
    pub fn theirs(&self) -> Vec<u8> {
        transcript(
            &self.peer,
            &self.me,
            &self.remote_fingerprint,
            &self.local_fingerprint,
            &self.their_nonce,
            &self.my_nonce,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
