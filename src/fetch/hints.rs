//! The server's advice about when to come back, parsed but not acted on.
//!
//! `Retry-After` and `Cache-Control: max-age` are read here because only this
//! stage sees headers; turning them into a next-check time needs the clock
//! and the polling policy, which belong to the scheduler.

use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::header::{CACHE_CONTROL, DATE, EXPIRES, HeaderMap, RETRY_AFTER};
use std::time::Duration;

/// A parsed `Retry-After` header, not yet resolved against any clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// "come back in this many seconds"
    Seconds(u64),
    /// "come back at this instant"
    At(DateTime<Utc>),
}

/// Freshness hints from a 2xx or 304 response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheHints {
    /// `Cache-Control: max-age`, when present and numeric.
    pub max_age_secs: Option<u64>,
    /// `Expires`, when it is a date. Servers also send `0`, `-1` and other
    /// non-dates here, which RFC 9111 reads as "already expired": `None`.
    pub expires: Option<DateTime<Utc>>,
    /// The response's `Date`, against which `Expires` is measured.
    pub date: Option<DateTime<Utc>>,
}

impl CacheHints {
    pub(crate) fn from_headers(headers: &HeaderMap) -> CacheHints {
        let max_age_secs = headers
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(parse_max_age);
        let date_header = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| parse_http_date(s.trim()))
        };
        CacheHints {
            max_age_secs,
            expires: date_header(EXPIRES),
            date: date_header(DATE),
        }
    }

    /// How long the response says it stays fresh: `max-age`, else `Expires`
    /// minus the response's `Date` (RFC 9111 4.2.1), else minus `now` when
    /// the server sent no `Date`. `None` when neither is given or the
    /// response is already stale.
    pub fn freshness(&self, now: DateTime<Utc>) -> Option<Duration> {
        if let Some(secs) = self.max_age_secs {
            return Some(Duration::from_secs(secs));
        }
        let lifetime = self.expires? - self.date.unwrap_or(now);
        lifetime.to_std().ok().filter(|d| !d.is_zero())
    }
}

/// The `Retry-After` header of a response, if present and readable.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<RetryAfter> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date.
pub(crate) fn parse_retry_after(value: &str) -> Option<RetryAfter> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(RetryAfter::Seconds(secs));
    }
    parse_http_date(value).map(RetryAfter::At)
}

/// Parses the three date forms RFC 9110 says a recipient must accept.
fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is a subset of RFC 2822.
    if let Ok(date) = DateTime::parse_from_rfc2822(value) {
        return Some(date.with_timezone(&Utc));
    }
    // The obsolete RFC 850 and asctime forms still come from old servers.
    ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
        .map(|naive| naive.and_utc())
}

/// Finds `max-age` in one `Cache-Control` header value.
fn parse_max_age(value: &str) -> Option<u64> {
    value.split(',').find_map(|directive| {
        let (name, arg) = directive.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("max-age") {
            return None;
        }
        // Some servers quote the number, which RFC 9111 tolerates.
        arg.trim().trim_matches('"').parse().ok()
    })
}

#[cfg(test)]
mod unit {
    use super::*;
    use chrono::TimeZone;
    use reqwest::header::HeaderValue;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<RetryAfter> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .single()
            .map(RetryAfter::At)
    }

    #[test]
    fn retry_after_forms() {
        let cases = [
            ("120", Some(RetryAfter::Seconds(120))),
            (" 0 ", Some(RetryAfter::Seconds(0))),
            ("Wed, 21 Oct 2015 07:28:00 GMT", at(2015, 10, 21, 7, 28, 0)),
            ("Sunday, 06-Nov-94 08:49:37 GMT", at(1994, 11, 6, 8, 49, 37)),
            ("Sun Nov  6 08:49:37 1994", at(1994, 11, 6, 8, 49, 37)),
            ("-5", None),
            ("1.5", None),
            ("soon", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_retry_after(input), expected, "{input:?}");
        }
    }

    #[test]
    fn max_age_forms() {
        let cases = [
            ("max-age=300", Some(300)),
            ("public, max-age=60, must-revalidate", Some(60)),
            ("Max-Age = 5", Some(5)),
            ("max-age=\"42\"", Some(42)),
            ("s-maxage=10", None),
            ("no-cache", None),
            ("max-age=soon", None),
            ("max-age=-1", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_max_age(input), expected, "{input:?}");
        }
    }

    #[test]
    fn hints_from_headers_read_every_cache_control_line() {
        let mut headers = HeaderMap::new();
        headers.append(CACHE_CONTROL, HeaderValue::from_static("public"));
        headers.append(CACHE_CONTROL, HeaderValue::from_static("max-age=900"));
        headers.insert(EXPIRES, HeaderValue::from_static("0"));
        let hints = CacheHints::from_headers(&headers);
        assert_eq!(hints.max_age_secs, Some(900));
        assert_eq!(hints.expires, None, "`Expires: 0` is not a date");
        assert_eq!(
            CacheHints::from_headers(&HeaderMap::new()),
            CacheHints::default()
        );
    }

    #[test]
    fn freshness_prefers_max_age_then_expires_against_date() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let hour = chrono::Duration::hours(1);
        let hints = |max_age_secs, expires, date| CacheHints {
            max_age_secs,
            expires,
            date,
        };
        let cases = [
            (
                "max-age wins",
                hints(Some(60), Some(now + hour), None),
                Some(60),
            ),
            (
                "expires against date",
                hints(None, Some(now + hour), Some(now - hour)),
                Some(7200),
            ),
            (
                "expires against now",
                hints(None, Some(now + hour), None),
                Some(3600),
            ),
            ("already expired", hints(None, Some(now - hour), None), None),
            ("nothing", hints(None, None, Some(now)), None),
        ];
        for (name, h, want) in cases {
            assert_eq!(h.freshness(now), want.map(Duration::from_secs), "{name}");
        }
    }
}
