//! Pieces of a message shared by conversations and rooms: the text with its web links
//! made clickable (as text nodes, never markup), the time, and the day separators.

use super::chat_list::local;
use leptos::prelude::*;
use peerchat_core::calendar;
use peerchat_core::links::{Piece, pieces};

/// A message's text: plain text nodes, with `http(s)://` addresses as links that open in
/// a new tab and tell the site nothing about Peerchat.
#[component]
pub fn MessageText(text: String) -> impl IntoView {
    let parts: Vec<AnyView> = pieces(&text)
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t.to_string().into_any(),
            Piece::Link(url) => view! {
                <a href=url.to_string() target="_blank" rel="noopener noreferrer nofollow">{url.to_string()}</a>
            }
            .into_any(),
        })
        .collect();
    view! { <p class="msg-text">{parts}</p> }
}

/// The time of a message: `HH:MM` shown, the full date on hover and for screen readers.
#[component]
pub fn MessageTime(ts: u64) -> impl IntoView {
    let t = local(ts);
    let full = calendar::full(&t);
    let iso = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute
    );
    let hover = full.clone();
    view! {
        <time datetime=iso title=hover>
            <span aria-hidden="true">{calendar::clock(&t)}</span>
            <span class="visually-hidden">{full}</span>
        </time>
    }
}

/// For messages with these times (in display order): the day separator to show above
/// each, where a new day starts (the core's [`calendar::day_breaks`]).
pub fn day_breaks(times: impl IntoIterator<Item = u64>) -> Vec<Option<String>> {
    let today = local(js_sys::Date::now() as u64);
    let times: Vec<calendar::Local> = times.into_iter().map(local).collect();
    calendar::day_breaks(&times, &today)
}

/// A day separator.
#[component]
pub fn DaySeparator(label: String) -> impl IntoView {
    let name = label.clone();
    view! { <p class="day-separator" role="separator" aria-label=name><span>{label}</span></p> }
}
