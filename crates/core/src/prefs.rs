//! The person's preferences for this page: notifications, sound, theme, and the public
//! address of the page that invite links are built from. Only the page reads them; the
//! chat engine never does.

use crate::storage::{Record, Versioned};
use serde::{Deserialize, Serialize};

/// The key of the preferences record.
pub const PREFS_KEY: &str = "peerchat/v1/prefs";

/// Longest page address accepted, in bytes.
pub const MAX_PAGE_ADDRESS: usize = 2_000;

/// Light or dark colours.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Follow the system's choice.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl Theme {
    /// The value of the page's `data-theme` attribute (empty: follow the system).
    pub fn attribute(self) -> &'static str {
        match self {
            Theme::System => "",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// The preferences record. Every field has a default, so an absent record means the
/// defaults: notifications off until the person turns them on (the browser asks for
/// permission then, on their click), no sound, message text shown in notifications, the
/// system's theme, links built from the address the page was opened at.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Prefs {
    #[serde(default, skip_serializing)]
    v: u64,
    /// Show a desktop notification when a message arrives while not being read.
    #[serde(default)]
    pub notify: bool,
    /// Play a short sound then.
    #[serde(default)]
    pub sound: bool,
    /// Hide the message text in notifications ("New message" instead).
    #[serde(default)]
    pub hide_text: bool,
    /// Light, dark, or the system's.
    #[serde(default)]
    pub theme: Theme,
    /// Connect through the TURN relay only: peers never learn this machine's addresses,
    /// at some cost in speed (needs a TURN server among the ICE servers).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub relay: bool,
    /// Where this page is published (`https://…/index.html`), for invite links made
    /// from a copy opened from disk or a private address. `None`: the page's own address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

impl Prefs {
    /// The defaults, as a record ready to save.
    pub fn new() -> Self {
        Prefs {
            v: Self::VERSION,
            ..Default::default()
        }
    }
}

impl Versioned for Prefs {
    const VERSION: u64 = 1;
}

impl Record for Prefs {
    const KEY: &'static str = PREFS_KEY;
}

/// Why a page address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageAddressError {
    /// Not an http(s) address.
    #[error("The page address must start with https:// (or http://).")]
    NotHttp,
    /// Too long or holding spaces or control characters.
    #[error("The page address is not a valid address.")]
    Invalid,
}

/// Parses the public page address typed in Settings: `https://…` (or `http://`), no
/// spaces, no fragment (invite links add their own). Empty means "none".
pub fn parse_page_address(text: &str) -> Result<Option<String>, PageAddressError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() > MAX_PAGE_ADDRESS || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(PageAddressError::Invalid);
    }
    let lower = text.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or(PageAddressError::NotHttp)?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(PageAddressError::Invalid);
    }
    let without_fragment = text.split('#').next().unwrap_or(text);
    Ok(Some(without_fragment.to_string()))
}

/// Whether invite links built from `address` can work on a friend's machine: not a file
/// on this computer, not this computer's or a private network's address.
pub fn reachable_by_friends(address: &str) -> bool {
    let lower = address.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        return false;
    };
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host_port
        .rsplit_once('@')
        .map_or(host_port, |(_, h)| h)
        .trim_start_matches('[');
    let host = match host.split_once(']') {
        Some((v6, _)) => v6,
        None => host.split(':').next().unwrap_or(host),
    };
    if host.is_empty()
        || host == "localhost"
        || host.ends_with(".localhost")
        || host.ends_with(".local")
    {
        return false;
    }
    if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
        return !(ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_unspecified());
    }
    if let Ok(ip) = host.parse::<std::net::Ipv6Addr>() {
        let first = ip.segments()[0];
        let unique_local = first & 0xfe00 == 0xfc00;
        let link_local = first & 0xffc0 == 0xfe80;
        return !(ip.is_loopback() || ip.is_unspecified() || unique_local || link_local);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{decode, encode};

    #[test]
    fn absent_fields_are_the_defaults_and_round_trip() {
        let p: Prefs = decode(r#"{"v":1}"#).unwrap();
        assert_eq!(p, Prefs::new());
        let mut q = Prefs::new();
        q.notify = true;
        q.theme = Theme::Dark;
        q.page = Some("https://example.org/chat/".into());
        let back: Prefs = decode(&encode(&q)).unwrap();
        assert_eq!(back.theme, Theme::Dark);
        assert_eq!(back.page, q.page);
        assert!(decode::<Prefs>(r#"{"v":1,"theme":"neon"}"#).is_err());
        assert!(decode::<Prefs>(r#"{"v":1,"evil":1}"#).is_err());
    }

    #[test]
    fn page_addresses() {
        assert_eq!(parse_page_address("  "), Ok(None));
        assert_eq!(
            parse_page_address("https://me.example/peerchat/#x"),
            Ok(Some("https://me.example/peerchat/".into()))
        );
        assert_eq!(
            parse_page_address("file:///x"),
            Err(PageAddressError::NotHttp)
        );
        assert_eq!(
            parse_page_address("javascript:alert(1)"),
            Err(PageAddressError::NotHttp)
        );
        assert_eq!(
            parse_page_address("https://a b"),
            Err(PageAddressError::Invalid)
        );
        assert_eq!(
            parse_page_address("https:///x"),
            Err(PageAddressError::Invalid)
        );
    }

    #[test]
    fn which_addresses_friends_can_open() {
        for ok in [
            "https://peerchat.example/",
            "http://93.184.216.34:8080/x",
            "https://[2001:db8::1]/",
        ] {
            assert!(reachable_by_friends(ok), "{ok}");
        }
        for no in [
            "file:///home/a/index.html",
            "http://localhost:8080/",
            "http://127.0.0.1:9000/",
            "http://192.168.1.20/",
            "http://10.0.0.2/",
            "http://[::1]:80/",
            "http://printer.local/",
            "http://[fe80::1]/",
        ] {
            assert!(!reachable_by_friends(no), "{no}");
        }
    }
}
