//! The storage codec: what Peerchat keeps in localStorage and how it is read back.
//!
//! Every value lives under a namespaced, versioned key (`peerchat/v1/...`) and carries its
//! own schema version `v`. Stored text is untrusted input like anything from the network:
//! it may be truncated, edited by hand, or written by another version. Reading never panics;
//! a value that cannot be read is reported as [`Loaded::Damaged`] with its raw text, so the
//! caller can keep it aside (under [`damaged_key`]) before anything overwrites it.

use crate::codec::BASE64;
use crate::endpoint::Endpoint;
use crate::identity::Identity;
use crate::name::DisplayName;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Prefix of every key Peerchat writes.
pub const NAMESPACE: &str = "peerchat/v1/";
/// The profile (display name).
pub const PROFILE_KEY: &str = "peerchat/v1/profile";
/// The identity (secret key and signaling token).
pub const IDENTITY_KEY: &str = "peerchat/v1/identity";
/// The settings (signaling endpoint).
pub const SETTINGS_KEY: &str = "peerchat/v1/settings";
/// The tab lease (see [`crate::lease`]).
pub const LEASE_KEY: &str = "peerchat/v1/tab-lease";
/// Where unreadable values are kept aside.
pub const DAMAGED_PREFIX: &str = "peerchat/v1/damaged/";

/// Largest stored value we try to parse, in bytes. Records here are tiny; anything huge is
/// damage, and parsing it would only stall the page.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// The key under which the unreadable value of `key`, found at `now_ms`, is kept aside.
pub fn damaged_key(key: &str, now_ms: u64) -> String {
    let short = key.strip_prefix(NAMESPACE).unwrap_or(key);
    format!("{DAMAGED_PREFIX}{short}/{now_ms}")
}

/// The result of reading one stored value.
#[derive(Debug, PartialEq)]
pub enum Loaded<T> {
    /// Nothing stored under the key.
    Missing,
    /// Read and valid.
    Ok(T),
    /// Present but unreadable; `raw` is the text as found.
    Damaged {
        /// The stored text.
        raw: String,
        /// What is wrong with it.
        error: DecodeError,
    },
}

/// Why a stored value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Larger than [`MAX_RECORD_BYTES`].
    #[error("it is too large")]
    TooLarge,
    /// Not JSON, or not a JSON object with a numeric `v`.
    #[error("it is not valid data")]
    NotJson,
    /// Written by another version of Peerchat.
    #[error("it was written by an unknown version ({0})")]
    UnknownVersion(u64),
    /// The right version but a field is missing or invalid.
    #[error("a field is invalid: {0}")]
    Invalid(String),
}

/// A value kept in storage with a schema version.
pub trait Versioned: Serialize + DeserializeOwned {
    /// The schema version this code reads and writes.
    const VERSION: u64;
    /// Largest stored text read as this value, in bytes: refused beyond it.
    const MAX_BYTES: usize = MAX_RECORD_BYTES;
}

/// A versioned value kept under one fixed key.
pub trait Record: Versioned {
    /// The storage key.
    const KEY: &'static str;
}

#[derive(Deserialize)]
struct VersionOnly {
    v: u64,
}

#[derive(Serialize)]
struct WithVersion<'a, T> {
    v: u64,
    #[serde(flatten)]
    record: &'a T,
}

/// Reads a record from its stored text (`None` when the key is absent).
pub fn load<T: Versioned>(stored: Option<&str>) -> Loaded<T> {
    let Some(raw) = stored else {
        return Loaded::Missing;
    };
    match decode::<T>(raw) {
        Ok(record) => Loaded::Ok(record),
        Err(error) => Loaded::Damaged {
            raw: raw.to_string(),
            error,
        },
    }
}

/// Decodes one record, checking size and version first.
pub fn decode<T: Versioned>(raw: &str) -> Result<T, DecodeError> {
    if raw.len() > T::MAX_BYTES {
        return Err(DecodeError::TooLarge);
    }
    let header: VersionOnly = serde_json::from_str(raw).map_err(|_| DecodeError::NotJson)?;
    if header.v != T::VERSION {
        return Err(DecodeError::UnknownVersion(header.v));
    }
    serde_json::from_str::<T>(raw).map_err(|e| DecodeError::Invalid(e.to_string()))
}

/// Encodes a record with its version.
pub fn encode<T: Versioned>(record: &T) -> String {
    serde_json::to_string(&WithVersion {
        v: T::VERSION,
        record,
    })
    .expect("records are plain data and always serialize")
}

/// The person's profile.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default, skip_serializing)]
    v: u64,
    /// Display name.
    pub name: DisplayName,
}

impl Profile {
    /// A profile with this name.
    pub fn new(name: DisplayName) -> Self {
        Profile {
            v: Self::VERSION,
            name,
        }
    }
}

impl Versioned for Profile {
    const VERSION: u64 = 1;
}

impl Record for Profile {
    const KEY: &'static str = PROFILE_KEY;
}

/// The identity as stored: the Ed25519 secret and the signaling token.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IdentityRecord {
    #[serde(default, skip_serializing)]
    v: u64,
    /// The 32-byte Ed25519 secret key, base64.
    secret: String,
    /// The token that lets this browser take its id back at once after a reload.
    pub token: String,
}

/// Length of the signaling token, in characters.
pub const TOKEN_LEN: usize = 24;

impl IdentityRecord {
    /// A record for `identity` with `token`. Build the token from random bytes with
    /// [`token_from_random`].
    pub fn new(identity: &Identity, token: String) -> Self {
        IdentityRecord {
            v: Self::VERSION,
            secret: BASE64.encode(&identity.secret_bytes()),
            token,
        }
    }

    /// The identity this record holds, checking every field.
    pub fn identity(&self) -> Result<Identity, DecodeError> {
        let bytes = BASE64
            .decode(self.secret.as_bytes())
            .map_err(|_| DecodeError::Invalid("secret is not base64".into()))?;
        let secret: [u8; 32] = bytes
            .try_into()
            .map_err(|_| DecodeError::Invalid("secret is not 32 bytes".into()))?;
        if self.token.len() != TOKEN_LEN || !self.token.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(DecodeError::Invalid("token is malformed".into()));
        }
        Ok(Identity::from_secret(secret))
    }
}

impl Versioned for IdentityRecord {
    const VERSION: u64 = 1;
}

impl Record for IdentityRecord {
    const KEY: &'static str = IDENTITY_KEY;
}

/// Makes a signaling token from random bytes (alphanumeric, [`TOKEN_LEN`] characters).
pub fn token_from_random(random: &[u8; TOKEN_LEN]) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    random
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// Settings the person chose.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default, skip_serializing)]
    v: u64,
    /// The signaling servers, as text (one endpoint, or several joined by `,`); `None`
    /// means the public PeerJS cloud server.
    #[serde(default)]
    endpoint: Option<String>,
    /// ICE servers as text (see [`crate::ice`]); `None` means the default STUN server.
    #[serde(default)]
    ice: Option<String>,
}

impl Settings {
    /// Settings with these signaling servers and these ICE servers (`None` for the
    /// defaults).
    pub fn new(endpoint: Option<&[Endpoint]>, ice: Option<&[crate::ice::IceServer]>) -> Self {
        Settings {
            v: Self::VERSION,
            endpoint: endpoint.map(crate::endpoint::list_text),
            ice: ice.map(crate::ice::to_text),
        }
    }

    /// The chosen ICE servers, or the default. A stored list that no longer parses is an
    /// error.
    pub fn ice_servers(&self) -> Result<Vec<crate::ice::IceServer>, DecodeError> {
        match &self.ice {
            None => Ok(crate::ice::default_servers()),
            Some(text) => crate::ice::parse(text).map_err(|e| DecodeError::Invalid(e.to_string())),
        }
    }

    /// The chosen signaling servers, if any. A stored list that no longer parses is an
    /// error.
    pub fn endpoint(&self) -> Result<Option<Vec<Endpoint>>, DecodeError> {
        self.endpoint
            .as_deref()
            .map(crate::endpoint::parse_list)
            .transpose()
            .map_err(|e| DecodeError::Invalid(e.to_string()))
    }
}

impl Versioned for Settings {
    const VERSION: u64 = 1;
}

impl Record for Settings {
    const KEY: &'static str = SETTINGS_KEY;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> DisplayName {
        DisplayName::parse(s).unwrap()
    }

    #[test]
    fn profile_round_trip_and_exact_text() {
        let p = Profile::new(name("Zoë"));
        let text = encode(&p);
        assert_eq!(text, r#"{"v":1,"name":"Zoë"}"#);
        assert_eq!(
            load::<Profile>(Some(&text)),
            Loaded::Ok(Profile { v: 1, ..p })
        );
        assert_eq!(load::<Profile>(None), Loaded::Missing);
    }

    #[test]
    fn damaged_profiles_are_reported_with_their_text() {
        let cases: &[(&str, DecodeError)] = &[
            ("{not json", DecodeError::NotJson),
            ("", DecodeError::NotJson),
            ("[1,2]", DecodeError::NotJson),
            (r#"{"name":"A"}"#, DecodeError::NotJson),
            (r#"{"v":2,"name":"A"}"#, DecodeError::UnknownVersion(2)),
        ];
        for (raw, want) in cases {
            match load::<Profile>(Some(raw)) {
                Loaded::Damaged { raw: got, error } => {
                    assert_eq!(&got, raw);
                    assert_eq!(&error, want, "{raw}");
                }
                other => panic!("{raw}: {other:?}"),
            }
        }
        for raw in [
            r#"{"v":1}"#,
            r#"{"v":1,"name":"   "}"#,
            r#"{"v":1,"name":"A","evil":1}"#,
            r#"{"v":1,"name":42}"#,
        ] {
            assert!(
                matches!(
                    load::<Profile>(Some(raw)),
                    Loaded::Damaged {
                        error: DecodeError::Invalid(_),
                        ..
                    }
                ),
                "{raw}"
            );
        }
        let huge = format!(r#"{{"v":1,"name":"{}"}}"#, "a".repeat(MAX_RECORD_BYTES));
        assert!(matches!(
            load::<Profile>(Some(&huge)),
            Loaded::Damaged {
                error: DecodeError::TooLarge,
                ..
            }
        ));
    }

    #[test]
    fn identity_round_trip_keeps_the_id() {
        let id = Identity::from_secret([3; 32]);
        let token = token_from_random(&[200; TOKEN_LEN]);
        let text = encode(&IdentityRecord::new(&id, token.clone()));
        let Loaded::Ok(rec) = load::<IdentityRecord>(Some(&text)) else {
            panic!()
        };
        assert_eq!(rec.token, token);
        assert_eq!(rec.identity().unwrap().peer_id(), id.peer_id());
    }

    #[test]
    fn identity_with_bad_fields_is_refused() {
        let good_secret = BASE64.encode(&[3; 32]);
        let good_token = "a".repeat(TOKEN_LEN);
        for (secret, token) in [
            ("!!!".to_string(), good_token.clone()),
            (BASE64.encode(&[3; 31]), good_token.clone()),
            (good_secret.clone(), "short".to_string()),
            (
                good_secret.clone(),
                format!("{}-", "a".repeat(TOKEN_LEN - 1)),
            ),
        ] {
            let rec = IdentityRecord {
                v: 1,
                secret,
                token,
            };
            assert!(rec.identity().is_err());
        }
    }

    #[test]
    fn tokens_are_alphanumeric() {
        let t = token_from_random(&[255; TOKEN_LEN]);
        assert_eq!(t.len(), TOKEN_LEN);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn settings_round_trip_and_validation() {
        let e = Endpoint::parse("ws://127.0.0.1:9000/x").unwrap();
        let text = encode(&Settings::new(Some(std::slice::from_ref(&e)), None));
        assert_eq!(
            text,
            r#"{"v":1,"endpoint":"ws://127.0.0.1:9000/x/","ice":null}"#
        );
        let Loaded::Ok(s) = load::<Settings>(Some(&text)) else {
            panic!()
        };
        assert_eq!(s.endpoint().unwrap(), Some(vec![e.clone()]));
        let f = Endpoint::parse("wss://peer.example.org/").unwrap();
        let two = encode(&Settings::new(Some(&[e.clone(), f.clone()]), None));
        assert_eq!(
            two,
            r#"{"v":1,"endpoint":"ws://127.0.0.1:9000/x/,wss://peer.example.org:443/","ice":null}"#
        );
        let Loaded::Ok(s) = load::<Settings>(Some(&two)) else {
            panic!()
        };
        assert_eq!(s.endpoint().unwrap(), Some(vec![e, f]));
        let Loaded::Ok(bad) = load::<Settings>(Some(r#"{"v":1,"endpoint":"ftp://x"}"#)) else {
            panic!()
        };
        assert!(bad.endpoint().is_err());
        assert_eq!(
            encode(&Settings::new(None, Some(&[]))),
            r#"{"v":1,"endpoint":null,"ice":""}"#
        );
        // Written before ICE settings existed: still readable, default servers.
        let Loaded::Ok(old) = load::<Settings>(Some(r#"{"v":1,"endpoint":null}"#)) else {
            panic!()
        };
        assert_eq!(old.ice_servers().unwrap(), crate::ice::default_servers());
    }

    #[test]
    fn damaged_keys_are_namespaced() {
        assert_eq!(
            damaged_key(PROFILE_KEY, 1234),
            "peerchat/v1/damaged/profile/1234"
        );
    }
}
