//! Arguments of the read-only inspection commands, `status` and `log`, and
//! the `--since` value they accept.
//!
//! A submodule of `cli` so these commands add two variants to
//! [`super::Command`] and nothing else there.

use super::ListFormat;
use chrono::{DateTime, Duration, Utc};
use clap::Args;

/// Examples printed under `feedsieve status --help`.
pub(super) const STATUS_EXAMPLES: &str = "Examples:\n  \
    feedsieve status\n  \
    feedsieve status --format json | jq '.feeds[] | select(.state != \"ok\") | {url, last_error}'\n\n\
    States: ok (answering), failing (recent polls failed; backing off), \
    dead (404 for longer than scheduler.dead_after_secs; still retried), gone (answered 410; \
    not polled until `feeds enable`), disabled (turned off by `feeds disable`).";

/// Examples printed under `feedsieve log --help`.
pub(super) const LOG_EXAMPLES: &str = "Examples:\n  \
    feedsieve log --since 2h --errors\n  \
    feedsieve log --feed https://example.com/rss --limit 10\n  \
    feedsieve log --follow --format json | jq -c 'select(.error != null)'\n\n\
    With --follow and --format json, every row (the first ones too) is one \
    JSON object per line, oldest first, flushed as it arrives.";

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Output format: a summary and a table, or one JSON object with
    /// `totals` and `feeds` (times RFC 3339 UTC).
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only this feed (URL or id).
    #[arg(long, value_name = "URL|ID")]
    pub feed: Option<String>,
    /// Only fetches started at or after this time: an age such as 30m, 2h,
    /// 7d (units s, m, h, d, w) or an RFC 3339 time.
    #[arg(long, value_name = "DURATION|RFC3339", value_parser = parse_since)]
    pub since: Option<Since>,
    /// Only failed fetches (those that recorded an error).
    #[arg(long)]
    pub errors: bool,
    /// At most this many rows (with --follow: of the rows already logged).
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
    /// Keep running and print new rows as they are logged (by a daemon
    /// running elsewhere), until SIGINT or SIGTERM. The rows already logged
    /// come first, oldest first, so the stream is in time order; with
    /// --format json every row is one JSON object per line.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Output format: a table, or JSON (an array; with --follow, one object
    /// per line).
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// A `--since` value: a time, or an age that ends now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    At(DateTime<Utc>),
    Ago(Duration),
}

impl Since {
    /// The time this value names, taking ages back from `now`.
    pub fn resolve(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Since::At(t) => t,
            Since::Ago(d) => now - d,
        }
    }
}

/// clap parser for `--since`, so a bad value is a usage error (exit 2) that
/// names the flag.
pub fn parse_since(s: &str) -> Result<Since, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Since::At(t.with_timezone(&Utc)));
    }
    let bad = || {
        "expected an age like 30m, 2h or 7d (units s, m, h, d, w) \
         or an RFC 3339 time like 2026-01-31T00:00:00Z"
            .to_string()
    };
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (digits, unit) = s.split_at(split);
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let unit_secs: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    // Ages beyond a century are typos, and chrono would overflow on some.
    let secs = n
        .checked_mul(unit_secs)
        .filter(|&secs| secs <= 100 * 365 * 86_400)
        .ok_or_else(|| format!("{s} is too long ago"))?;
    Ok(Since::Ago(Duration::seconds(secs)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn since_accepts_ages() {
        for (text, secs) in [
            ("45s", 45),
            ("30m", 1800),
            ("2h", 7200),
            ("7d", 604_800),
            ("1w", 604_800),
            ("0m", 0),
        ] {
            assert_eq!(
                parse_since(text),
                Ok(Since::Ago(Duration::seconds(secs))),
                "{text}"
            );
        }
    }

    #[test]
    fn since_accepts_rfc3339_in_any_offset() {
        let want = Utc.with_ymd_and_hms(2026, 1, 31, 0, 0, 0).unwrap();
        assert_eq!(parse_since("2026-01-31T00:00:00Z"), Ok(Since::At(want)));
        assert_eq!(
            parse_since("2026-01-31T02:00:00+02:00"),
            Ok(Since::At(want))
        );
    }

    #[test]
    fn since_refuses_the_rest() {
        for bad in [
            "",
            "h",
            "2",
            "-2h",
            "2 h",
            "2H",
            "2hours",
            "1.5h",
            "2h30m",
            "yesterday",
            "2026-01-31",
        ] {
            assert!(parse_since(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(parse_since("99999999999999w").is_err(), "overflow");
        assert!(parse_since("1000000d").is_err(), "absurd age");
    }

    #[test]
    fn since_resolves_ages_back_from_now() {
        let now = Utc.with_ymd_and_hms(2026, 1, 31, 12, 0, 0).unwrap();
        assert_eq!(
            parse_since("2h").unwrap().resolve(now),
            Utc.with_ymd_and_hms(2026, 1, 31, 10, 0, 0).unwrap()
        );
        let at = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(Since::At(at).resolve(now), at);
    }
}
