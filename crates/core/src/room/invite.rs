//! Room invitations, carried in the URL fragment (never sent to any server):
//! `#room=<room id>&secret=<base64url secret>&name=<room name>&via=<id>,<id>,...`.

use super::{RoomId, RoomSecret};
use crate::codec::BASE64URL_NOPAD;
use crate::identity::PeerId;
use crate::name::DisplayName;

/// Members listed in an invitation to dial first.
pub const MAX_VIA: usize = 5;

/// A room invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// The room.
    pub room: RoomId,
    /// Its secret.
    pub secret: RoomSecret,
    /// Its name (rules of a display name).
    pub name: DisplayName,
    /// Members to dial.
    pub via: Vec<PeerId>,
}

impl Invite {
    /// The fragment text (without `#`).
    pub fn to_fragment(&self) -> String {
        let via: Vec<&str> = self.via.iter().take(MAX_VIA).map(PeerId::as_str).collect();
        format!(
            "room={}&secret={}&name={}&via={}",
            self.room,
            BASE64URL_NOPAD.encode(&self.secret.0),
            percent_encode(self.name.as_str()),
            via.join(","),
        )
    }

    /// Parses a fragment (with or without `#`); `None` when it is not a room invitation.
    pub fn parse(fragment: &str) -> Option<Self> {
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        let mut room = None;
        let mut secret = None;
        let mut name = None;
        let mut via = Vec::new();
        for pair in fragment.split('&') {
            let (k, v) = pair.split_once('=')?;
            match k {
                "room" => room = RoomId::parse(v),
                "secret" => {
                    let bytes = BASE64URL_NOPAD.decode(v.as_bytes()).ok()?;
                    secret = Some(RoomSecret(bytes.try_into().ok()?));
                }
                "name" => name = DisplayName::parse(&percent_decode(v)?).ok(),
                "via" => {
                    via = v
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .take(MAX_VIA)
                        .map(PeerId::parse)
                        .collect::<Result<_, _>>()
                        .ok()?;
                }
                _ => {}
            }
        }
        Some(Invite {
            room: room?,
            secret: secret?,
            name: name?,
            via,
        })
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;

    #[test]
    fn round_trip() {
        let invite = Invite {
            room: RoomId::from_random(&[1; 16]),
            secret: RoomSecret([2; 32]),
            name: DisplayName::parse("Café & friends 🎉").unwrap(),
            via: vec![Identity::from_secret([3; 32]).peer_id().clone()],
        };
        let text = invite.to_fragment();
        assert!(!text.contains(' ') && !text.contains('#'));
        assert_eq!(Invite::parse(&format!("#{text}")), Some(invite));
    }

    #[test]
    fn refuses_broken_invites() {
        assert_eq!(Invite::parse("invite=pc-aaaaaaaaaaaaaaaaaaaa"), None);
        assert_eq!(Invite::parse("room=abc&secret=AAAA&name=x&via="), None);
        let good = Invite {
            room: RoomId::from_random(&[1; 16]),
            secret: RoomSecret([2; 32]),
            name: DisplayName::parse("R").unwrap(),
            via: vec![],
        }
        .to_fragment();
        assert!(Invite::parse(&good).is_some());
        assert_eq!(
            Invite::parse(&good.replace("name=R", "name=%E2%80%AE")),
            None,
            "bidi override"
        );
        assert_eq!(Invite::parse(&good.replace("name=R", "name=%ZZ")), None);
        assert_eq!(Invite::parse(&format!("{good}&via=nope")), None);
    }
}
