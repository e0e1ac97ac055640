//! The signaling endpoint: which PeerJS server to register with.
//!
//! People write it as a URL: `wss://0.peerjs.com/`, `ws://127.0.0.1:9000/x`, or with a
//! server key, `https://peer.example.org:8443/chat/?key=mykey`. `ws`/`http` and
//! `wss`/`https` are accepted alike (the socket is always a WebSocket). The parser is strict
//! and small on purpose: endpoints are ASCII host names or IP literals, and a full URL crate
//! would add its IDNA tables to every page load for no gain.

use std::fmt;

/// Longest endpoint text accepted, in bytes.
pub const MAX_ENDPOINT_LEN: usize = 512;
/// The server key the stock `peer` server uses unless configured otherwise.
pub const DEFAULT_KEY: &str = "peerjs";

/// A parsed, valid signaling endpoint.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Endpoint {
    /// TLS (`wss`) or not (`ws`).
    pub secure: bool,
    /// Host name or IP literal (IPv6 in brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Path prefix; always starts and ends with `/`.
    pub path: String,
    /// The PeerJS server key.
    pub key: String,
}

/// Why an endpoint text was refused; shown to the person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Empty or longer than [`MAX_ENDPOINT_LEN`].
    #[error("The server address is empty or too long.")]
    Length,
    /// Not starting with ws://, wss://, http:// or https://.
    #[error("The server address must start with wss://, ws://, https:// or http://.")]
    Scheme,
    /// The host part is missing or has characters a host name cannot have.
    #[error("The server address has no valid host name.")]
    Host,
    /// The port is not a number from 1 to 65535.
    #[error("The server port must be a number from 1 to 65535.")]
    Port,
    /// The path has characters outside letters, digits and `-._~/`.
    #[error("The server path may only contain letters, digits and - . _ ~ /.")]
    Path,
    /// The key is not 1–64 letters, digits, `-` or `_`, or another query parameter is present.
    #[error("The server key must be 1 to 64 letters, digits, - or _ (written as ?key=...).")]
    Key,
    /// More than [`MAX_SERVERS`] different servers in a list.
    #[error("At most 4 signaling servers can be used at once.")]
    TooMany,
}

/// Most signaling servers used at once: each costs a WebSocket and a copy of every offer.
pub const MAX_SERVERS: usize = 4;

/// Parses a list of endpoints separated by commas, spaces or line breaks (none of which
/// can occur in an endpoint). The same server written twice counts once; the order is
/// kept. An empty list is an error, like an empty endpoint.
pub fn parse_list(text: &str) -> Result<Vec<Endpoint>, EndpointError> {
    if text.len() > MAX_SERVERS * (MAX_ENDPOINT_LEN + 1) {
        return Err(EndpointError::TooMany);
    }
    let mut list: Vec<Endpoint> = Vec::new();
    for item in text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let endpoint = Endpoint::parse(item)?;
        if !list.contains(&endpoint) {
            if list.len() == MAX_SERVERS {
                return Err(EndpointError::TooMany);
            }
            list.push(endpoint);
        }
    }
    if list.is_empty() {
        return Err(EndpointError::Length);
    }
    Ok(list)
}

/// A list in the text form [`parse_list`] reads back: canonical endpoints joined by `,`
/// (the page link's `signal` parameter and the stored settings use this form).
pub fn list_text(list: &[Endpoint]) -> String {
    let texts: Vec<String> = list.iter().map(Endpoint::to_string).collect();
    texts.join(",")
}

impl Endpoint {
    /// The public PeerJS cloud server, the built app's default.
    pub fn public_cloud() -> Self {
        Endpoint {
            secure: true,
            host: "0.peerjs.com".into(),
            port: 443,
            path: "/".into(),
            key: DEFAULT_KEY.into(),
        }
    }

    /// Parses endpoint text written by a person or taken from the page URL.
    pub fn parse(text: &str) -> Result<Self, EndpointError> {
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_ENDPOINT_LEN {
            return Err(EndpointError::Length);
        }
        let (scheme, rest) = text.split_once("://").ok_or(EndpointError::Scheme)?;
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "wss" | "https" => true,
            "ws" | "http" => false,
            _ => return Err(EndpointError::Scheme),
        };
        let (before_query, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let (authority, path) = match before_query.find('/') {
            Some(i) => (&before_query[..i], &before_query[i..]),
            None => (before_query, "/"),
        };
        let (host, port) = split_host_port(authority)?;
        let port = match port {
            Some(p) => p,
            None if secure => 443,
            None => 80,
        };
        if !path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b))
            || path.contains("//")
        {
            return Err(EndpointError::Path);
        }
        let path = if path.ends_with('/') {
            path.to_string()
        } else {
            format!("{path}/")
        };
        let key = match query {
            None | Some("") => DEFAULT_KEY.to_string(),
            Some(q) => {
                let key = q.strip_prefix("key=").ok_or(EndpointError::Key)?;
                let valid = (1..=64).contains(&key.len())
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !valid {
                    return Err(EndpointError::Key);
                }
                key.to_string()
            }
        };
        Ok(Endpoint {
            secure,
            host: host.to_ascii_lowercase(),
            port,
            path,
            key,
        })
    }

    /// The WebSocket URL that registers `id` with `token` at this server, as the stock
    /// `peerjs` client builds it.
    pub fn websocket_url(&self, id: &str, token: &str) -> String {
        format!(
            "{}://{}:{}{}peerjs?key={}&id={}&token={}&version=1.5.5",
            if self.secure { "wss" } else { "ws" },
            self.host,
            self.port,
            self.path,
            percent_encode(&self.key),
            percent_encode(id),
            percent_encode(token),
        )
    }
}

impl fmt::Display for Endpoint {
    /// The canonical text form, which [`Endpoint::parse`] reads back unchanged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.secure { "wss" } else { "ws" };
        write!(f, "{scheme}://{}:{}{}", self.host, self.port, self.path)?;
        if self.key != DEFAULT_KEY {
            write!(f, "?key={}", self.key)?;
        }
        Ok(())
    }
}

fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), EndpointError> {
    if authority.contains('@') {
        return Err(EndpointError::Host);
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest.find(']').ok_or(EndpointError::Host)?;
        let host = &authority[..end + 2];
        let inner = &rest[..end];
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(EndpointError::Host);
        }
        match &rest[end + 1..] {
            "" => (host, None),
            p => (host, Some(p.strip_prefix(':').ok_or(EndpointError::Port)?)),
        }
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let valid = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !valid {
            return Err(EndpointError::Host);
        }
        (host, port)
    };
    let port = match port {
        None => None,
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(EndpointError::Port);
            }
            match p.parse::<u16>() {
                Ok(0) | Err(_) => return Err(EndpointError::Port),
                Ok(n) => Some(n),
            }
        }
    };
    Ok((host, port))
}

/// Percent-encodes everything outside the URL-safe unreserved set.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_cloud_default() {
        let e = Endpoint::public_cloud();
        assert_eq!(e.to_string(), "wss://0.peerjs.com:443/");
        assert_eq!(Endpoint::parse("wss://0.peerjs.com/").unwrap(), e);
        assert_eq!(Endpoint::parse("https://0.PeerJS.com").unwrap(), e);
    }

    #[test]
    fn local_server_with_path_and_key() {
        let e = Endpoint::parse(" ws://127.0.0.1:9000/x?key=abc_1 ").unwrap();
        assert_eq!(
            (
                e.secure,
                e.host.as_str(),
                e.port,
                e.path.as_str(),
                e.key.as_str()
            ),
            (false, "127.0.0.1", 9000, "/x/", "abc_1")
        );
        assert_eq!(e.to_string(), "ws://127.0.0.1:9000/x/?key=abc_1");
        assert_eq!(Endpoint::parse(&e.to_string()).unwrap(), e);
        assert_eq!(
            e.websocket_url("pc-abc", "t0k"),
            "ws://127.0.0.1:9000/x/peerjs?key=abc_1&id=pc-abc&token=t0k&version=1.5.5"
        );
    }

    #[test]
    fn ipv6_literal() {
        let e = Endpoint::parse("http://[::1]:9000").unwrap();
        assert_eq!(e.host, "[::1]");
        assert_eq!(
            e.websocket_url("a", "b"),
            "ws://[::1]:9000/peerjs?key=peerjs&id=a&token=b&version=1.5.5"
        );
    }

    #[test]
    fn malformed_endpoints_get_clear_errors() {
        use EndpointError::*;
        let cases: &[(&str, EndpointError)] = &[
            ("", Length),
            ("0.peerjs.com", Scheme),
            ("ftp://x", Scheme),
            ("wss", Scheme),
            ("wss://", Host),
            ("wss://exa mple.com", Host),
            ("wss://user@host", Host),
            ("wss://-bad.com", Host),
            ("wss://host:", Port),
            ("wss://host:0", Port),
            ("wss://host:65536", Port),
            ("wss://host:12a", Port),
            ("wss://[::1", Host),
            ("wss://[::1]x", Port),
            ("wss://host/a b", Path),
            ("wss://host/a//b", Path),
            ("wss://host/<script>", Path),
            ("wss://host/?key=", Key),
            ("wss://host/?key=a&x=1", Key),
            ("wss://host/?other=1", Key),
        ];
        for (text, want) in cases {
            assert_eq!(Endpoint::parse(text).as_ref(), Err(want), "{text:?}");
        }
        assert_eq!(
            Endpoint::parse(&format!("wss://{}", "a".repeat(600))),
            Err(Length)
        );
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(percent_encode("a b&c/é"), "a%20b%26c%2F%C3%A9");
    }

    #[test]
    fn lists_of_servers() {
        let list =
            parse_list(" ws://a:1/x, wss://b/  ws://a:1/x/\nhttps://c:8443/p/?key=k").unwrap();
        let texts: Vec<String> = list.iter().map(Endpoint::to_string).collect();
        assert_eq!(
            texts,
            ["ws://a:1/x/", "wss://b:443/", "wss://c:8443/p/?key=k"]
        );
        assert_eq!(parse_list(&list_text(&list)).unwrap(), list);
        assert_eq!(parse_list(" , "), Err(EndpointError::Length));
        assert_eq!(parse_list("ws://a/ ftp://b/"), Err(EndpointError::Scheme));
        let five = "ws://a/ ws://b/ ws://c/ ws://d/ ws://e/";
        assert_eq!(parse_list(five), Err(EndpointError::TooMany));
        // The same server four times over is one server.
        assert_eq!(
            parse_list("ws://a/ ws://a/ ws://a/ ws://a/ ws://a/")
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            parse_list(&"ws://a/ ".repeat(2_000)),
            Err(EndpointError::TooMany)
        );
    }
}
