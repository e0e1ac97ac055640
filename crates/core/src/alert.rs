//! What the page shows when messages arrive: the notification for one arrival, the tab
//! title and the favicon badge for the unread total. The engine decides *whether* to
//! alert ([`crate::engine::Effect::Alert`]: only for contacts' and rooms' messages not
//! being read); this decides *what* is shown, from the person's preferences.

use crate::engine::{Arrival, Target};
use crate::prefs::Prefs;

/// Longest notification body, in characters.
pub const MAX_BODY_CHARS: usize = 120;

/// A desktop notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The first line: who wrote, and where.
    pub title: String,
    /// The message, or "New message" when the person hides text.
    pub body: String,
    /// One notification per conversation: a new one replaces the last.
    pub tag: String,
}

/// The notification for `arrival`.
pub fn notification(prefs: &Prefs, arrival: &Arrival) -> Notification {
    let title = match &arrival.room {
        Some(room) => format!("{} in {room}", arrival.from),
        None => arrival.from.clone(),
    };
    let body = if prefs.hide_text {
        "New message".to_string()
    } else {
        cut(&arrival.text, MAX_BODY_CHARS)
    };
    let tag = match &arrival.target {
        Target::Peer(peer) => format!("peerchat:chat:{peer}"),
        Target::Room(room) => format!("peerchat:room:{room}"),
    };
    Notification { title, body, tag }
}

/// What the page does for one arrival: the sound if chosen, and the notification if the
/// person turned them on and the browser allows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    /// Play the chime.
    pub sound: bool,
    /// Show this notification.
    pub notification: Option<Notification>,
}

/// The reaction to `arrival`; `allowed`: the browser granted notifications.
pub fn react(prefs: &Prefs, arrival: &Arrival, allowed: bool) -> Reaction {
    Reaction {
        sound: prefs.sound,
        notification: (prefs.notify && allowed).then(|| notification(prefs, arrival)),
    }
}

fn cut(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= max {
        return flat;
    }
    let mut out: String = flat.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// The unread count as a badge shows it: nothing for 0, "99+" past 99.
pub fn badge_text(unread: u64) -> Option<String> {
    match unread {
        0 => None,
        1..=99 => Some(unread.to_string()),
        _ => Some("99+".into()),
    }
}

/// The tab title: "Peerchat", or "(3) Peerchat" with 3 unread.
pub fn page_title(unread: u64) -> String {
    match badge_text(unread) {
        Some(n) => format!("({n}) Peerchat"),
        None => "Peerchat".into(),
    }
}

/// The favicon as an SVG document: a speech bubble, with a red badge holding the unread
/// count when there is one. Plain text the page puts in a `data:` URL.
pub fn favicon_svg(unread: u64) -> String {
    let bubble = r##"<path d="M10 12h44a6 6 0 0 1 6 6v24a6 6 0 0 1-6 6H28l-12 10v-10h-6a6 6 0 0 1-6-6V18a6 6 0 0 1 6-6z" fill="#2458c6"/>"##;
    let badge = match badge_text(unread) {
        Some(n) => {
            let size = if n.len() > 2 { 20 } else { 26 };
            format!(
                r##"<circle cx="46" cy="20" r="18" fill="#d6262b"/><text x="46" y="20" dy=".35em" text-anchor="middle" font-family="sans-serif" font-weight="700" font-size="{size}" fill="#fff">{n}</text>"##
            )
        }
        None => String::new(),
    };
    format!(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">{bubble}{badge}</svg>"#)
}

/// [`favicon_svg`] as a `data:` URL (percent-encoding what a URL may not hold).
pub fn favicon_url(unread: u64) -> String {
    let svg = favicon_svg(unread);
    let mut out = String::from("data:image/svg+xml,");
    for c in svg.chars() {
        match c {
            '#' => out.push_str("%23"),
            '%' => out.push_str("%25"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '"' => out.push('\''),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::PeerId;

    fn arrival(room: Option<&str>) -> Arrival {
        Arrival {
            target: Target::Peer(PeerId::parse("pc-aaaaaaaaaaaaaaaaaaaa").unwrap()),
            from: "Alice".into(),
            room: room.map(str::to_string),
            text: "hello\nthere".into(),
        }
    }

    #[test]
    fn notifications_follow_the_preferences() {
        let mut prefs = Prefs::new();
        let n = notification(&prefs, &arrival(None));
        assert_eq!(n.title, "Alice");
        assert_eq!(n.body, "hello there");
        assert_eq!(n.tag, "peerchat:chat:pc-aaaaaaaaaaaaaaaaaaaa");
        assert_eq!(
            notification(&prefs, &arrival(Some("Hikers"))).title,
            "Alice in Hikers"
        );
        prefs.hide_text = true;
        assert_eq!(notification(&prefs, &arrival(None)).body, "New message");
        let long = Arrival {
            text: "x".repeat(500),
            ..arrival(None)
        };
        prefs.hide_text = false;
        assert_eq!(
            notification(&prefs, &long).body.chars().count(),
            MAX_BODY_CHARS
        );
    }

    #[test]
    fn notify_only_when_turned_on_and_allowed() {
        let mut prefs = Prefs::new();
        let a = arrival(None);
        assert_eq!(
            react(&prefs, &a, true),
            Reaction {
                sound: false,
                notification: None
            }
        );
        prefs.notify = true;
        assert!(react(&prefs, &a, false).notification.is_none());
        assert!(react(&prefs, &a, true).notification.is_some());
        prefs.sound = true;
        assert!(react(&prefs, &a, false).sound);
    }

    #[test]
    fn title_and_badge() {
        assert_eq!(page_title(0), "Peerchat");
        assert_eq!(page_title(3), "(3) Peerchat");
        assert_eq!(page_title(150), "(99+) Peerchat");
        assert!(!favicon_svg(0).contains("<text"));
        assert!(favicon_svg(7).contains(">7</text>"));
        let url = favicon_url(7);
        assert!(url.starts_with("data:image/svg+xml,"));
        assert!(!url.contains('#') && !url.contains('<') && !url.contains('"'));
    }
}
