//! Randomness from the browser's CSPRNG (`crypto.getRandomValues`).

/// Fills `buf` with cryptographically secure random bytes.
///
/// Panics only when the page has no Web Crypto at all, where no identity could be made
/// safely anyway: refusing to run beats running with weak keys.
pub fn fill(buf: &mut [u8]) {
    let crypto = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .expect("Web Crypto is available");
    // getRandomValues takes at most 65,536 bytes per call.
    for chunk in buf.chunks_mut(65_536) {
        crypto
            .get_random_values_with_u8_array(chunk)
            .expect("getRandomValues succeeds");
    }
}

/// A random array of `N` bytes.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill(&mut out);
    out
}

/// A random 64-bit value.
pub fn u64() -> u64 {
    u64::from_le_bytes(bytes::<8>())
}
