//! The text encodings of the stored and wire formats (docs/PROTOCOL.md): standard base64
//! with padding for keys, nonces, signatures and sealed data, URL-safe base64 without
//! padding for room secrets in invite links, and lowercase base32 without padding for ids
//! (encoded only: ids are parsed by their characters and length).
//!
//! Base64 is RustCrypto's `base64ct`, already here for Argon2: constant-time (no secret
//! leaks through timing) and strict (only the canonical text of some bytes decodes, so a
//! value has one spelling). Base32 is the small `base32` crate. Together they replaced
//! `data-encoding`, whose encoder and decoder are compiled for every bit width because
//! the encoding is chosen at run time.

use base64ct::Encoding;
use std::marker::PhantomData;

/// Text that is not the canonical encoding of any bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidEncoding;

/// One of base64ct's base64 variants, `E`.
pub struct Base64Text<E>(PhantomData<E>);

/// Standard base64 with padding (RFC 4648, section 4).
pub const BASE64: Base64Text<base64ct::Base64> = Base64Text(PhantomData);

/// URL-safe base64 without padding (RFC 4648, section 5).
pub const BASE64URL_NOPAD: Base64Text<base64ct::Base64UrlUnpadded> = Base64Text(PhantomData);

/// Lowercase base32 without padding (RFC 4648, section 6, in lowercase).
pub fn base32_lower(bytes: &[u8]) -> String {
    base32::encode(base32::Alphabet::Rfc4648Lower { padding: false }, bytes)
}

impl<E: Encoding> Base64Text<E> {
    /// The text of `bytes`.
    pub fn encode(&self, bytes: &[u8]) -> String {
        E::encode_string(bytes)
    }

    /// The bytes `text` encodes, if it is their canonical encoding.
    pub fn decode(&self, text: &[u8]) -> Result<Vec<u8>, InvalidEncoding> {
        let text = std::str::from_utf8(text).map_err(|_| InvalidEncoding)?;
        E::decode_vec(text).map_err(|_| InvalidEncoding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors() {
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(BASE64.encode(bytes), text);
            assert_eq!(BASE64.decode(text.as_bytes()).unwrap(), bytes);
        }
        assert_eq!(BASE64URL_NOPAD.encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(BASE64URL_NOPAD.decode(b"-_8").unwrap(), [0xfb, 0xff]);
    }

    #[test]
    fn base32_vectors() {
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "my"),
            (b"fo", "mzxq"),
            (b"foo", "mzxw6"),
            (b"foob", "mzxw6yq"),
            (b"fooba", "mzxw6ytb"),
            (b"foobar", "mzxw6ytboi"),
        ] {
            assert_eq!(base32_lower(bytes), text);
        }
    }

    #[test]
    fn only_canonical_text_decodes() {
        // Missing padding, padding where none belongs, non-zero trailing bits, the other
        // alphabet, whitespace, non-ASCII.
        for bad in [
            "Zg", "Zm8", "Zh==", "Zm9=", "-_8=", "Zm9v\n", "Zm 9v", "Zm9vé",
        ] {
            assert_eq!(
                BASE64.decode(bad.as_bytes()),
                Err(InvalidEncoding),
                "{bad:?}"
            );
        }
        for bad in ["Zg==", "+/8", "-_9", "Z"] {
            assert_eq!(
                BASE64URL_NOPAD.decode(bad.as_bytes()),
                Err(InvalidEncoding),
                "{bad:?}"
            );
        }
    }
}
