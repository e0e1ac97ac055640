//! Dates as people read them: message times, day separators, the conversation list's
//! times. Pure arithmetic on milliseconds since the Unix epoch and the local offset from
//! UTC, which the page reads from the browser for each time (so summer time is right for
//! old messages too).

/// A local date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Local {
    /// Year.
    pub year: i64,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month, 1 to 31.
    pub day: u32,
    /// Hour, 0 to 23.
    pub hour: u32,
    /// Minute, 0 to 59.
    pub minute: u32,
    /// Day of the week, 0 = Monday.
    pub weekday: u32,
    /// Days since 1970-01-01 (local), to compare days.
    pub days: i64,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The local time of `ms`, `east_minutes` ahead of UTC (the negation of JavaScript's
/// `getTimezoneOffset()`).
pub fn local(ms: u64, east_minutes: i32) -> Local {
    let minutes = (ms / 60_000) as i64 + i64::from(east_minutes);
    let days = minutes.div_euclid(1_440);
    let in_day = minutes.rem_euclid(1_440);
    let (year, month, day) = civil_from_days(days);
    Local {
        year,
        month,
        day,
        hour: (in_day / 60) as u32,
        minute: (in_day % 60) as u32,
        // 1970-01-01 was a Thursday.
        weekday: (days + 3).rem_euclid(7) as u32,
        days,
    }
}

/// Howard Hinnant's `civil_from_days`: the proleptic Gregorian date of a day number.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `HH:MM`.
pub fn clock(t: &Local) -> String {
    format!("{:02}:{:02}", t.hour, t.minute)
}

/// "28 November 2026".
pub fn date(t: &Local) -> String {
    format!("{} {} {}", t.day, MONTHS[(t.month - 1) as usize], t.year)
}

/// "Saturday 28 November 2026 at 14:05": a message's full time (hover, screen readers).
pub fn full(t: &Local) -> String {
    format!(
        "{} {} at {}",
        WEEKDAYS[t.weekday as usize],
        date(t),
        clock(t)
    )
}

/// The day separator above a day's first message: "Today", "Yesterday", the weekday in
/// the last week, else the date.
pub fn day_label(t: &Local, today: &Local) -> String {
    match today.days - t.days {
        0 => "Today".into(),
        1 => "Yesterday".into(),
        2..=6 => WEEKDAYS[t.weekday as usize].into(),
        _ => date(t),
    }
}

/// The time in the conversation list: the clock today, "Yesterday", the weekday's first
/// three letters in the last week, else the short date.
pub fn list_time(t: &Local, today: &Local) -> String {
    match today.days - t.days {
        0 => clock(t),
        1 => "Yesterday".into(),
        2..=6 => WEEKDAYS[t.weekday as usize][..3].into(),
        _ if t.year == today.year => format!("{} {}", t.day, &MONTHS[(t.month - 1) as usize][..3]),
        _ => format!(
            "{} {} {}",
            t.day,
            &MONTHS[(t.month - 1) as usize][..3],
            t.year
        ),
    }
}

/// For messages at these local times (in display order): the day separator to show above
/// each, where a new day starts.
pub fn day_breaks(times: &[Local], today: &Local) -> Vec<Option<String>> {
    let mut last_day = None;
    times
        .iter()
        .map(|t| {
            if last_day == Some(t.days) {
                None
            } else {
                last_day = Some(t.days);
                Some(day_label(t, today))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-28 14:05:00 UTC, a Saturday.
    const NOW: u64 = 1_795_874_700_000;

    #[test]
    fn local_dates() {
        let t = local(NOW, 0);
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute),
            (2026, 11, 28, 14, 5)
        );
        assert_eq!(WEEKDAYS[t.weekday as usize], "Saturday");
        assert_eq!(full(&t), "Saturday 28 November 2026 at 14:05");
        // Twelve hours east, it is already Sunday.
        let tokyo = local(NOW, 12 * 60);
        assert_eq!((tokyo.day, tokyo.hour), (29, 2));
        // Before 1970 and leap days.
        assert_eq!(local(0, -60).year, 1969);
        let leap = local(1_709_208_000_000, 0);
        assert_eq!((leap.month, leap.day), (2, 29));
    }

    #[test]
    fn labels_relative_to_today() {
        let today = local(NOW, 0);
        let day = 86_400_000;
        assert_eq!(day_label(&local(NOW - 3_600_000, 0), &today), "Today");
        assert_eq!(day_label(&local(NOW - day, 0), &today), "Yesterday");
        assert_eq!(day_label(&local(NOW - 3 * day, 0), &today), "Wednesday");
        assert_eq!(
            day_label(&local(NOW - 30 * day, 0), &today),
            "29 October 2026"
        );
        assert_eq!(list_time(&local(NOW - 60_000, 0), &today), "14:04");
        assert_eq!(list_time(&local(NOW - 3 * day, 0), &today), "Wed");
        assert_eq!(list_time(&local(NOW - 30 * day, 0), &today), "29 Oct");
        assert_eq!(list_time(&local(NOW - 400 * day, 0), &today), "24 Oct 2025");
        let times: Vec<Local> = [NOW - day - 60_000, NOW - day, NOW - 60_000, NOW]
            .iter()
            .map(|&t| local(t, 0))
            .collect();
        assert_eq!(
            day_breaks(&times, &today),
            [Some("Yesterday".into()), None, Some("Today".into()), None]
        );
    }
}
