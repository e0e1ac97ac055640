//! Finding web links in message text, so the page can make them clickable. Only `http://`
//! and `https://` addresses become links (never `javascript:`, `data:` or anything else);
//! the page renders every piece as a text node, so a message can never become markup.

/// A piece of a message: plain text, or a web address to link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text shown as it is.
    Text(&'a str),
    /// An `http(s)://` address, shown as it is and linked to itself.
    Link(&'a str),
}

/// Splits `text` into text and links, in order; joined back they are `text` exactly.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut plain_from = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() {
        let starts_word = i == 0 || !is_word_byte(bytes[i - 1]);
        let scheme = if starts_word {
            scheme_len(&text[i..])
        } else {
            0
        };
        if scheme == 0 {
            i += 1;
            continue;
        }
        let end = link_end(text, i, scheme);
        if end > i + scheme {
            if plain_from < i {
                out.push(Piece::Text(&text[plain_from..i]));
            }
            out.push(Piece::Link(&text[i..end]));
            plain_from = end;
            i = end;
        } else {
            i += scheme;
        }
    }
    if plain_from < text.len() {
        out.push(Piece::Text(&text[plain_from..]));
    }
    out
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'/' || b == b':' || b >= 0x80
}

/// Length of `http://` or `https://` at the start of `s` (any case), or 0.
fn scheme_len(s: &str) -> usize {
    let head: String = s.chars().take(8).collect::<String>().to_ascii_lowercase();
    if head.starts_with("https://") {
        8
    } else if head.starts_with("http://") {
        7
    } else {
        0
    }
}

/// Where the link starting at `start` ends: at whitespace or a character that cannot be
/// in an address, minus trailing punctuation (a full stop after a link is the sentence's),
/// and minus a closing bracket that has no opening one inside the link.
fn link_end(text: &str, start: usize, scheme: usize) -> usize {
    let mut end = start + scheme;
    for (offset, c) in text[start + scheme..].char_indices() {
        if c.is_whitespace()
            || c.is_control()
            || matches!(c, '<' | '>' | '"' | '`' | '{' | '}' | '|' | '\\' | '^')
        {
            break;
        }
        end = start + scheme + offset + c.len_utf8();
    }
    loop {
        let link = &text[start..end];
        let Some(last) = link.chars().last() else {
            return end;
        };
        let unbalanced = |open: char, close: char| {
            last == close && link.matches(open).count() < link.matches(close).count()
        };
        let trailing = matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*')
            || unbalanced('(', ')')
            || unbalanced('[', ']');
        if !trailing || end <= start + scheme {
            return end;
        }
        end -= last.len_utf8();
    }
}

#[cfg(test)]
mod tests {
    use super::Piece::{Link, Text};
    use super::*;

    #[test]
    fn finds_http_links_and_keeps_everything_else_as_text() {
        assert_eq!(pieces("no links"), vec![Text("no links")]);
        assert_eq!(
            pieces("see https://example.org/a?b=1#c, then."),
            vec![
                Text("see "),
                Link("https://example.org/a?b=1#c"),
                Text(", then.")
            ]
        );
        assert_eq!(
            pieces("(http://x.org/wiki/A_(b)) ok"),
            vec![Text("("), Link("http://x.org/wiki/A_(b)"), Text(") ok")]
        );
        assert_eq!(pieces("HTTPS://A.B"), vec![Link("HTTPS://A.B")]);
        assert_eq!(pieces("https:// nothing"), vec![Text("https:// nothing")]);
        assert_eq!(
            pieces("http://a.b/<script>"),
            vec![Link("http://a.b/"), Text("<script>")]
        );
    }

    #[test]
    fn other_schemes_are_never_links() {
        for t in [
            "javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "xhttp://a.b",
            "javascript://https://a.b",
            "vbscript:msgbox",
        ] {
            assert!(pieces(t).iter().all(|p| matches!(p, Text(_))), "{t}");
        }
    }

    #[test]
    fn pieces_join_back_to_the_text() {
        for t in [
            "a https://b.c/d. e http://f.g",
            "ünï https://ß.de/ö?x=ü!",
            "https://a.b)))",
            "",
        ] {
            let joined: String = pieces(t)
                .iter()
                .map(|p| match p {
                    Text(s) | Link(s) => *s,
                })
                .collect();
            assert_eq!(joined, t);
        }
    }
}
