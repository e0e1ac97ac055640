//! Message text: cleaned and bounded, from the composer and from the network alike.

/// Longest message text, in characters (Unicode scalar values). With at most 4 bytes each,
/// a message always fits in one data-channel frame (see [`crate::frame::MAX_FRAME_BYTES`]).
pub const MAX_TEXT_CHARS: usize = 2_000;

/// Why a text cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing left after cleaning.
    #[error("The message is empty.")]
    Empty,
    /// Longer than [`MAX_TEXT_CHARS`].
    #[error("Messages can be at most 2,000 characters long.")]
    TooLong,
}

/// Removes control characters (keeping newlines and tabs), bidirectional overrides, and
/// surrounding whitespace, then checks the length. Applied before sending and again to every
/// message received, so stored text is always clean.
pub fn clean(text: &str) -> Result<String, TextError> {
    let cleaned: String = text
        .chars()
        .map(|c| if c == '\r' { '\n' } else { c })
        .filter(|&c| !is_stripped(c))
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if trimmed.chars().count() > MAX_TEXT_CHARS {
        return Err(TextError::TooLong);
    }
    Ok(trimmed.to_string())
}

/// Control characters other than newline and tab, and bidirectional overrides/isolates.
fn is_stripped(c: char) -> bool {
    let control = c.is_control() && c != '\n' && c != '\t';
    control || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_control_and_bidi() {
        assert_eq!(
            clean("  hi\u{0}\u{7}\r\nthere\u{202E}!\t ").unwrap(),
            "hi\n\nthere!"
        );
        assert_eq!(
            clean("<img src=x onerror=alert(1)>").unwrap(),
            "<img src=x onerror=alert(1)>"
        );
    }

    #[test]
    fn bounds() {
        assert_eq!(clean(" \u{0} \n"), Err(TextError::Empty));
        assert!(clean(&"😀".repeat(MAX_TEXT_CHARS)).is_ok());
        assert_eq!(
            clean(&"a".repeat(MAX_TEXT_CHARS + 1)),
            Err(TextError::TooLong)
        );
    }
}
