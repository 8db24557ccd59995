//! Figures for people: `3m ago`, `in 2h 5m`, `1.4 MiB`, `38%`. Tables use
//! these; JSON keeps the exact numbers and RFC 3339 times.

use chrono::{DateTime, Duration, Utc};

/// A length of time in at most two units, rounded down: `45s`, `12m`,
/// `3h 5m`, `2d 4h`; from a week on, days alone (`12d`).
pub fn duration(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (mins, hours, days) = (secs / 60, secs / 3600, secs / 86_400);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{mins}m"),
        3600..86_400 if mins % 60 == 0 => format!("{hours}h"),
        3600..86_400 => format!("{hours}h {}m", mins % 60),
        86_400..604_800 if hours % 24 == 0 => format!("{days}d"),
        86_400..604_800 => format!("{days}d {}h", hours % 24),
        _ => format!("{days}d"),
    }
}

/// `t` seen from `now`: `3m ago`, `in 12m`, or `now` within a second.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let diff = t - now;
    if diff.num_seconds() == 0 {
        "now".to_string()
    } else if diff > Duration::zero() {
        format!("in {}", duration(diff))
    } else {
        format!("{} ago", duration(-diff))
    }
}

/// How long a fetch took: `850ms`, `2.3s`, then as [`duration`].
pub fn millis(ms: u64) -> String {
    match ms {
        0..1000 => format!("{ms}ms"),
        1000..60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        _ => duration(Duration::milliseconds(ms.min(i64::MAX as u64) as i64)),
    }
}

/// A byte count in binary units with one decimal: `512 B`, `1.4 KiB`,
/// `3.0 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    // Move up before one decimal would round to 1024.0 of the smaller unit.
    while value >= 1023.95 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `part` of `whole` as a fraction rounded to four places; `None` of
/// nothing.
pub fn fraction(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

/// A fraction as a whole percentage, `-` for none.
pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_string(), |s| format!("{:.0}%", s * 100.0))
}

/// `s` with control characters (escape sequences among them) shown as
/// U+FFFD: error texts and URLs come from remote servers, and must not
/// drive the operator's terminal.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn durations_in_at_most_two_units() {
        let cases = [
            (0, "0s"),
            (59, "59s"),
            (60, "1m"),
            (3599, "59m"),
            (3600, "1h"),
            (3600 + 5 * 60 + 59, "1h 5m"),
            (86_399, "23h 59m"),
            (86_400, "1d"),
            (2 * 86_400 + 4 * 3600 + 59, "2d 4h"),
            (604_799, "6d 23h"),
            (12 * 86_400 + 3600, "12d"),
            (-5, "0s"),
        ];
        for (secs, want) in cases {
            assert_eq!(duration(Duration::seconds(secs)), want, "{secs}s");
        }
    }

    #[test]
    fn relative_times_read_both_ways() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        assert_eq!(relative(now - Duration::minutes(3), now), "3m ago");
        assert_eq!(relative(now + Duration::minutes(12), now), "in 12m");
        assert_eq!(relative(now + Duration::milliseconds(400), now), "now");
        assert_eq!(relative(now - Duration::days(2), now), "2d ago");
    }

    #[test]
    fn fetch_times() {
        assert_eq!(millis(0), "0ms");
        assert_eq!(millis(999), "999ms");
        assert_eq!(millis(1000), "1.0s");
        assert_eq!(millis(2349), "2.3s");
        assert_eq!(millis(90_000), "1m");
    }

    #[test]
    fn sizes_in_binary_units() {
        let cases = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1536, "1.5 KiB"),
            (1_468_006, "1.4 MiB"),
            // One decimal of 1048575 B would print as 1024.0 KiB.
            ((1 << 20) - 1, "1.0 MiB"),
            (3 << 30, "3.0 GiB"),
            (u64::MAX, "16.0 EiB"),
        ];
        for (n, want) in cases {
            assert_eq!(bytes(n), want, "{n} bytes");
        }
    }

    #[test]
    fn control_characters_are_neutralized() {
        assert_eq!(printable("bad\x1b[2Jbody\n"), "bad\u{fffd}[2Jbody\u{fffd}");
        assert_eq!(printable("Привет"), "Привет");
    }

    #[test]
    fn shares() {
        assert_eq!(fraction(1, 3), Some(0.3333));
        assert_eq!(fraction(0, 0), None);
        assert_eq!(percent(fraction(1, 2)), "50%");
        assert_eq!(percent(fraction(2, 3)), "67%");
        assert_eq!(percent(None), "-");
    }
}
