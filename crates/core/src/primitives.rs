//! Small values shared by the wire format, storage and rooms: fixed-size byte strings
//! written as base64, counter limits and message ids. A leaf module: it imports nothing else
//! of the crate, so every other module can use it without cycles.

use crate::codec::BASE64;
use serde::{Deserialize, Serialize};

/// Largest sequence number, logical clock or timestamp accepted (2^53 - 1, exact in
/// JavaScript numbers).
pub const MAX_COUNTER: u64 = (1 << 53) - 1;
/// Longest message id, in characters.
pub const MAX_MESSAGE_ID: usize = 32;

/// Whether `id` is a valid message id: 1–[`MAX_MESSAGE_ID`] characters of `[a-z0-9]`.
pub fn valid_message_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_MESSAGE_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// 32 bytes, base64 on the wire and in storage (keys, nonces, secrets, proofs).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Bytes32(pub [u8; 32]);
/// 64 bytes, base64 on the wire (signatures).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Bytes64(pub [u8; 64]);

macro_rules! base64_array {
    ($ty:ident, $n:expr) => {
        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&BASE64.encode(&self.0))
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                let bytes = BASE64
                    .decode(text.as_bytes())
                    .map_err(|_| serde::de::Error::custom("invalid base64"))?;
                let array: [u8; $n] = bytes
                    .try_into()
                    .map_err(|_| serde::de::Error::custom(concat!("expected ", $n, " bytes")))?;
                Ok($ty(array))
            }
        }
    };
}
base64_array!(Bytes32, 32);
base64_array!(Bytes64, 64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids() {
        assert!(valid_message_id("k3n2x9"));
        assert!(valid_message_id(&"a".repeat(MAX_MESSAGE_ID)));
        for bad in ["", "UPPER", "with-dash", &"a".repeat(MAX_MESSAGE_ID + 1)] {
            assert!(!valid_message_id(bad), "{bad}");
        }
    }

    #[test]
    fn base64_round_trip_and_length_check() {
        let text = serde_json::to_string(&Bytes32([1; 32])).unwrap();
        assert_eq!(text, "\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\"");
        assert_eq!(
            serde_json::from_str::<Bytes32>(&text).unwrap(),
            Bytes32([1; 32])
        );
        assert!(serde_json::from_str::<Bytes32>("\"AAAA\"").is_err());
        assert!(serde_json::from_str::<Bytes64>(&text).is_err());
    }
}
