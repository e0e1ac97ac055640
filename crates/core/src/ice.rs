//! ICE server configuration (STUN/TURN), as the person writes it in settings: one server
//! per line, `URL [username credential]`.

use std::fmt;

/// Most servers accepted.
pub const MAX_SERVERS: usize = 8;
/// Longest line accepted.
pub const MAX_LINE: usize = 256;

/// One ICE server.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IceServer {
    /// `stun:`, `stuns:`, `turn:` or `turns:` URL.
    pub url: String,
    /// TURN username.
    pub username: Option<String>,
    /// TURN credential.
    pub credential: Option<String>,
}

/// Why an ICE server list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IceError {
    /// Too many servers or a line too long.
    #[error("At most 8 ICE servers of at most 256 characters each.")]
    TooMany,
    /// A line that is not `URL [username credential]` with a stun/turn URL.
    #[error(
        "Line {0}: write a stun:, stuns:, turn: or turns: URL, optionally followed by a username and a credential."
    )]
    Line(usize),
}

/// The default: one public STUN server (the one the stock `peerjs` client uses).
pub fn default_servers() -> Vec<IceServer> {
    vec![IceServer {
        url: "stun:stun.l.google.com:19302".into(),
        username: None,
        credential: None,
    }]
}

/// Parses the settings text. An empty text means no ICE servers (host candidates only).
pub fn parse(text: &str) -> Result<Vec<IceServer>, IceError> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.len() > MAX_SERVERS || lines.iter().any(|l| l.len() > MAX_LINE) {
        return Err(IceError::TooMany);
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let url = parts[0];
            let scheme_ok = ["stun:", "stuns:", "turn:", "turns:"]
                .iter()
                .any(|s| url.starts_with(s));
            let rest_ok = url.len() > 5
                && url
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
            match (scheme_ok && rest_ok, &parts[1..]) {
                (true, []) => Ok(IceServer {
                    url: url.into(),
                    username: None,
                    credential: None,
                }),
                (true, [user, cred]) => Ok(IceServer {
                    url: url.into(),
                    username: Some((*user).into()),
                    credential: Some((*cred).into()),
                }),
                _ => Err(IceError::Line(i + 1)),
            }
        })
        .collect()
}

impl fmt::Display for IceServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)?;
        if let (Some(u), Some(c)) = (&self.username, &self.credential) {
            write!(f, " {u} {c}")?;
        }
        Ok(())
    }
}

/// The settings text for a list (one per line), which [`parse`] reads back.
pub fn to_text(servers: &[IceServer]) -> String {
    servers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_round_trips() {
        let text = "stun:stun.example.org:3478\n\n  turn:turn.example.org:3478?transport=udp alice s3cret \n";
        let servers = parse(text).unwrap();
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[1].username.as_deref(), Some("alice"));
        assert_eq!(parse(&to_text(&servers)).unwrap(), servers);
        assert_eq!(parse("").unwrap(), vec![]);
    }

    #[test]
    fn turns_and_tcp_transport_pass_through_unchanged() {
        let text = "turns:turn.example.org:443?transport=tcp me pw\nturn:10.0.0.1:3478?transport=tcp me pw";
        let servers = parse(text).unwrap();
        assert_eq!(servers[0].url, "turns:turn.example.org:443?transport=tcp");
        assert_eq!(servers[1].url, "turn:10.0.0.1:3478?transport=tcp");
        assert_eq!(servers[0].credential.as_deref(), Some("pw"));
    }

    #[test]
    fn refuses_bad_lines() {
        assert_eq!(parse("http://x"), Err(IceError::Line(1)));
        assert_eq!(parse("stun:x\nturn:y onlyuser"), Err(IceError::Line(2)));
        assert_eq!(parse("stun:"), Err(IceError::Line(1)));
        assert_eq!(parse(&"stun:a\n".repeat(9)), Err(IceError::TooMany));
    }
}
