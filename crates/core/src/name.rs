//! Display names: what people call themselves. Any Unicode is welcome; the limits only keep
//! names readable and bounded.

use std::fmt;

/// Longest accepted display name, in Unicode scalar values (characters).
pub const MAX_NAME_CHARS: usize = 40;

/// A display name that has been trimmed and checked.
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

/// Why a display name was refused; the message is shown to the person as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing left after trimming.
    #[error("Please enter a name.")]
    Empty,
    /// Longer than [`MAX_NAME_CHARS`].
    #[error("Names can be at most 40 characters long.")]
    TooLong,
    /// Contains control or invisible formatting characters that would let a name hide or
    /// reorder text around it.
    #[error("Names cannot contain control characters.")]
    ControlCharacter,
}

impl DisplayName {
    /// Trims surrounding whitespace, collapses inner runs of whitespace to one space, and
    /// checks the limits.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(NameError::Empty);
        }
        if collapsed.chars().any(is_forbidden) {
            return Err(NameError::ControlCharacter);
        }
        if collapsed.chars().count() > MAX_NAME_CHARS {
            return Err(NameError::TooLong);
        }
        Ok(DisplayName(collapsed))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Control characters, and the bidirectional overrides/isolates that could make a name
/// display as something else (the "Trojan Source" class of tricks).
fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for DisplayName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        DisplayName::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_collapses() {
        assert_eq!(
            DisplayName::parse("  Ada   Lovelace \n").unwrap().as_str(),
            "Ada Lovelace"
        );
    }

    #[test]
    fn unicode_welcome() {
        for ok in ["Zoë", "山田太郎", "Ørjan 🚀", "محمد"] {
            assert_eq!(DisplayName::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn limits() {
        assert_eq!(DisplayName::parse("   "), Err(NameError::Empty));
        assert_eq!(DisplayName::parse(""), Err(NameError::Empty));
        let forty = "é".repeat(40);
        assert!(DisplayName::parse(&forty).is_ok());
        assert_eq!(
            DisplayName::parse(&format!("{forty}x")),
            Err(NameError::TooLong)
        );
        assert_eq!(
            DisplayName::parse("a\u{0}b"),
            Err(NameError::ControlCharacter)
        );
        assert_eq!(
            DisplayName::parse("abc\u{202E}fed"),
            Err(NameError::ControlCharacter)
        );
    }

    #[test]
    fn deserialize_validates() {
        assert!(serde_json::from_str::<DisplayName>("\"  \"").is_err());
        assert_eq!(
            serde_json::from_str::<DisplayName>("\" Bo \"")
                .unwrap()
                .as_str(),
            "Bo"
        );
    }
}
