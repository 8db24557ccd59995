//! Scheduling policy: when each feed is checked next.
//!
//! The schedule itself lives in the database (`feeds.next_check_at`), so a
//! restart resumes where it left off; this module only computes times and
//! never touches IO or a clock: `pipeline` passes `now` and a jitter draw.
//!
//! * A feed that answered is polled again after its interval: its own
//!   `interval_secs` (the operator's word, which no hint overrides), else
//!   the mean gap between its posts ([`observe_posting`], [`posting_gap`]:
//!   a feed that posts every ten minutes is read every ten minutes, one
//!   that posts weekly once a day, one that falls silent less and less
//!   often), else `scheduler.default_interval_secs`. The publisher's hints
//!   raise those two (RSS `<ttl>`, `sy:updatePeriod`/`sy:updateFrequency`,
//!   `Cache-Control: max-age`, `Expires`: a publisher that says "not
//!   before" is believed). Every interval is clamped to
//!   `[min_interval, max_interval]`. A time that falls in the feed's
//!   `<skipHours>`/`<skipDays>` moves to the first ten minutes of the next
//!   hour outside them (which may lie beyond `max_interval`).
//! * A transient failure (timeout, network error, 5xx, 429, unparseable
//!   body) backs off exponentially from that interval, doubling per
//!   consecutive error, up to `max_backoff`, and stays at that cap: a
//!   failing feed is slowed down, never parked silently.
//! * `Retry-After` (429, 503) is honoured: never earlier than it says,
//!   capped at `max_backoff` so a hostile value cannot park a feed.
//! * A feed that is gone (410) is not scheduled again.
//! * A feed failing with 404 for longer than `dead_after` is `dead` (still
//!   retried at the backoff cap: sites come back).
//! * A permanent redirect (301/308) becomes the feed's URL only once it has
//!   been seen on `redirects_to_persist` consecutive polls, because
//!   misconfigured servers send a 301 for a day now and then; 302/307 never
//!   move a feed.
//!
//! Jitter (up to a tenth of the delay) spreads feeds that share an interval,
//! so they do not stay in lockstep after a restart. A burst of due feeds
//! (a fresh import, a restart after downtime) is staggered over
//! `burst_spread` instead of being fired at once ([`stagger`]).

mod hosts;

pub use hosts::{HostGates, HostGroup, HostLimits, HostPermit, registrable_domain};

use crate::model::{DocSchedule, Posting};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The tunables from `[scheduler]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub default_interval: Duration,
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub max_backoff: Duration,
    pub redirects_to_persist: u32,
    pub dead_after: Duration,
    /// Window over which a tick with more due feeds than fetch slots starts
    /// them; zero starts them as fast as slots free up.
    pub burst_spread: Duration,
    /// Derive a feed's interval from how often it posts when it has no
    /// interval of its own; off, `default_interval` applies.
    pub adaptive: bool,
}

impl Policy {
    /// The defaults: 30 min interval, 5 min to 24 h, back off up to 24 h.
    pub fn with_default_interval(default_interval: Duration) -> Policy {
        Policy {
            default_interval,
            min_interval: Duration::from_secs(5 * 60),
            max_interval: Duration::from_secs(24 * 3600),
            max_backoff: Duration::from_secs(24 * 3600),
            redirects_to_persist: 3,
            dead_after: Duration::from_secs(7 * 24 * 3600),
            burst_spread: Duration::from_secs(60),
            adaptive: true,
        }
    }
}

/// Reorders `items` round-robin by `key`: the first of every group, then
/// the second of every group, and so on, keeping the order within a group.
/// A batch dominated by one host then does not fill every fetch slot with
/// feeds that can only wait for that host's spacing.
pub fn interleave<T>(items: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut ranked: Vec<(usize, usize, T)> = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let n = seen.entry(key(&item)).or_default();
            *n += 1;
            (*n, i, item)
        })
        .collect();
    ranked.sort_by_key(|(round, i, _)| (*round, *i));
    ranked.into_iter().map(|(_, _, item)| item).collect()
}

/// When the `i`-th of `n` due feeds may start, counted from the tick, so
/// that the batch is spread evenly over `window`.
pub fn stagger(i: usize, n: usize, window: Duration) -> Duration {
    if n == 0 {
        return Duration::ZERO;
    }
    window.mul_f64(i.min(n) as f64 / n as f64)
}

/// How long a 429 without `Retry-After` holds its host's other feeds.
pub const RATE_LIMIT_HOLD: Duration = Duration::from_secs(60);

/// How long a failed poll holds the other feeds of the host that answered:
/// what its `Retry-After` asks (capped at `max_backoff`), else
/// [`RATE_LIMIT_HOLD`] after a 429; `None` for any other failure.
pub fn host_hold(
    status: Option<u16>,
    retry_after: Option<Duration>,
    policy: &Policy,
) -> Option<Duration> {
    let hold = match (status, retry_after) {
        (_, Some(wait)) => wait,
        (Some(429), None) => RATE_LIMIT_HOLD,
        _ => return None,
    };
    Some(hold.min(policy.max_backoff)).filter(|h| !h.is_zero())
}

/// What to remember of a permanent redirect after a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    /// No (permanent) redirect this time: forget any streak.
    None,
    /// Seen `count` polls in a row; not trusted yet.
    Track { target: String, count: u32 },
    /// Seen often enough: the feed's URL becomes `target`.
    Persist(String),
}

/// Updates the redirect streak with this poll's permanent redirect, if any.
pub fn track_move(previous: Option<(&str, u32)>, seen: Option<&str>, policy: &Policy) -> Move {
    let Some(target) = seen else {
        return Move::None;
    };
    let count = match previous {
        Some((prev, n)) if prev == target => n.saturating_add(1),
        _ => 1,
    };
    if count >= policy.redirects_to_persist.max(1) {
        Move::Persist(target.to_string())
    } else {
        Move::Track {
            target: target.to_string(),
            count,
        }
    }
}

/// The state of a feed whose poll failed: `dead` after a 404 that has
/// lasted `dead_after`, else `failing`.
pub fn failure_state(
    status: Option<u16>,
    failing_since: DateTime<Utc>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> &'static str {
    let dead_after = chrono::Duration::from_std(policy.dead_after).unwrap_or(chrono::Duration::MAX);
    if status == Some(404) && now - failing_since >= dead_after {
        "dead"
    } else {
        "failing"
    }
}

/// What a poll came to, as far as scheduling cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The feed answered (new body, 304, or an identical body).
    Answered,
    /// A failure worth retrying; `retry_after` is the server's own wish.
    Failed { retry_after: Option<Duration> },
    /// 410 Gone: stop polling.
    Gone,
}

/// What the scheduler knows about one feed after a poll.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedState {
    /// The feed's own `interval_secs`, if set.
    pub interval: Option<Duration>,
    /// Its posting rate, as [`observe_posting`] saw it.
    pub posting: Option<Posting>,
    /// Consecutive failures including this poll (0 after a success).
    pub consecutive_errors: u32,
}

/// The publisher's hints about how often to come back; each duration is a
/// floor on the interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hints {
    /// RSS `<ttl>`.
    pub ttl: Option<Duration>,
    /// `sy:updatePeriod` / `sy:updateFrequency`.
    pub update_period: Option<Duration>,
    /// How long the response stays fresh: `Cache-Control: max-age`, else
    /// `Expires`.
    pub freshness: Option<Duration>,
    /// Hours (bit `h`, UTC) and weekdays (bit 0 Monday) not to poll in.
    pub skip_hours: u32,
    pub skip_days: u8,
}

impl Hints {
    /// The document's advice plus the response's freshness (`max-age` or
    /// `Expires`, see `fetch::CacheHints::freshness`).
    pub fn new(doc: &DocSchedule, freshness: Option<Duration>) -> Hints {
        Hints {
            ttl: doc.ttl_mins.map(|m| Duration::from_secs(u64::from(m) * 60)),
            update_period: doc.update_period_secs.map(Duration::from_secs),
            freshness,
            skip_hours: doc.skip_hours,
            skip_days: doc.skip_days,
        }
    }

    fn floor(&self) -> Duration {
        [self.ttl, self.update_period, self.freshness]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(Duration::ZERO)
    }
}

/// How far back [`posting_interval`] looks; older posts say the feed is
/// quiet, not how often it posts.
const POSTING_WINDOW_DAYS: i64 = 30;

/// A feed's posting rate, from the publication dates of the items in one
/// document: the distinct dates (items published together count once)
/// within the span the document covers, from its oldest date to `now`, at
/// most the last 30 days. Dates after `now` are ignored; the caller leaves
/// out dates that were clamped to the fetch time.
///
/// `None` when the dates cannot tell: fewer than two distinct dates (no
/// dates at all, or every item stamped with the build time).
pub fn observe_posting(
    dates: impl IntoIterator<Item = DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<Posting> {
    let mut dates: Vec<DateTime<Utc>> = dates.into_iter().filter(|d| *d <= now).collect();
    dates.sort_unstable();
    dates.dedup();
    if dates.len() < 2 {
        return None;
    }
    let since = dates[0].max(now - chrono::Duration::days(POSTING_WINDOW_DAYS));
    let posts = dates.iter().filter(|d| **d >= since).count();
    Some(Posting {
        since,
        posts: u32::try_from(posts).unwrap_or(u32::MAX),
    })
}

/// The mean gap between a feed's posts as of `now`: the time from
/// `posting.since` to `now` (at most 30 days) over the number of posts.
/// Counting to `now`, not to the newest post, makes a feed that falls
/// silent slow down poll after poll, 304s included; capping the span keeps
/// a long archive from hiding the present rate.
pub fn posting_gap(posting: &Posting, now: DateTime<Utc>) -> Duration {
    let window = Duration::from_secs(POSTING_WINDOW_DAYS as u64 * 86_400);
    let span = (now - posting.since).to_std().unwrap_or(Duration::ZERO);
    span.min(window) / posting.posts.max(1)
}

/// The first time at or after `at` outside the skipped hours and days.
/// A feed that skips every hour (or every day) is taken at its word for
/// none of them: `at` is returned unchanged.
pub fn skip_to_allowed(at: DateTime<Utc>, skip_hours: u32, skip_days: u8) -> DateTime<Utc> {
    use chrono::{Datelike, DurationRound, Timelike};
    let all_hours = (1u32 << 24) - 1;
    if skip_hours & all_hours == all_hours || skip_days & 0x7f == 0x7f {
        return at;
    }
    let skipped = |t: DateTime<Utc>| {
        skip_hours & (1 << t.hour()) != 0
            || skip_days & (1 << t.weekday().num_days_from_monday()) != 0
    };
    let mut t = at;
    // At most a week of hours to walk.
    for _ in 0..(7 * 24) {
        if !skipped(t) {
            return t;
        }
        t = t.duration_trunc(chrono::Duration::hours(1)).unwrap_or(t) + chrono::Duration::hours(1);
    }
    at
}

/// When the feed is due next, or `None` when it must not be polled again.
/// `jitter` is a draw in `[0, 1)`.
pub fn next_check(
    now: DateTime<Utc>,
    verdict: Verdict,
    state: &FeedState,
    hints: &Hints,
    policy: &Policy,
    jitter: f64,
) -> Option<DateTime<Utc>> {
    let interval = interval(now, state, hints, policy);
    let delay = match verdict {
        Verdict::Gone => return None,
        Verdict::Answered => interval,
        Verdict::Failed { retry_after } => {
            let cap = policy.max_backoff.max(interval);
            let doublings = state.consecutive_errors.saturating_sub(1).min(32);
            let backoff = interval.saturating_mul(1u32 << doublings.min(31)).min(cap);
            backoff.max(retry_after.unwrap_or(Duration::ZERO).min(cap))
        }
    };
    let jitter = jitter.clamp(0.0, 1.0);
    let jittered = delay + delay.mul_f64(jitter / 10.0);
    let delay = chrono::Duration::from_std(jittered).unwrap_or(chrono::Duration::days(1));
    let at = now + delay;
    let allowed = skip_to_allowed(at, hints.skip_hours, hints.skip_days);
    if allowed == at {
        return Some(at);
    }
    // Moved to the top of an allowed hour: spread the feeds that skip the
    // same hours over its first ten minutes instead of all at :00.
    Some(allowed + chrono::Duration::seconds((jitter * 600.0) as i64))
}

/// The normal interval, clamped to the policy's bounds: the feed's own
/// (the operator's decision, which hints do not override), else the
/// adaptive or default one raised to the publisher's hints.
fn interval(now: DateTime<Utc>, state: &FeedState, hints: &Hints, policy: &Policy) -> Duration {
    let base = match state.interval {
        Some(own) => own,
        None => state
            .posting
            .filter(|_| policy.adaptive)
            .map(|p| posting_gap(&p, now))
            .unwrap_or(policy.default_interval)
            .max(hints.floor()),
    };
    base.clamp(
        policy.min_interval,
        policy.max_interval.max(policy.min_interval),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const MIN: u64 = 60;
    const HOUR: u64 = 3600;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// `(name, policy, verdict, state, hints, expected delay in seconds)`.
    type Case<'a> = (&'a str, &'a Policy, Verdict, FeedState, Hints, Option<u64>);

    #[test]
    fn table() {
        // A Thursday.
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let policy = Policy::with_default_interval(secs(30 * MIN));
        let fixed = Policy {
            adaptive: false,
            ..policy
        };
        let ok = |interval: Option<u64>| FeedState {
            interval: interval.map(secs),
            ..FeedState::default()
        };
        // Ten posts, `every` apart, the last one just now.
        let posting = |every: u64| FeedState {
            posting: Some(Posting {
                since: now - chrono::Duration::seconds(10 * every as i64),
                posts: 10,
            }),
            ..FeedState::default()
        };
        let failing = |errors: u32| FeedState {
            consecutive_errors: errors,
            ..FeedState::default()
        };
        let none = Hints::default();
        let ttl = |s: u64| Hints {
            ttl: Some(secs(s)),
            ..none
        };
        let sy = |s: u64| Hints {
            update_period: Some(secs(s)),
            ..none
        };
        let fresh = |s: u64| Hints {
            freshness: Some(secs(s)),
            ..none
        };
        // Hours 0-5 UTC, and Fridays.
        let night = Hints {
            skip_hours: 0b11_1111,
            ..none
        };
        let fridays = Hints {
            skip_days: 1 << 4,
            ..none
        };
        let failed = Verdict::Failed { retry_after: None };
        #[rustfmt::skip]
        let cases: &[Case] = &[
            ("default interval", &policy, Verdict::Answered, ok(None), none, Some(30 * MIN)),
            ("own interval", &policy, Verdict::Answered, ok(Some(10 * MIN)), none, Some(10 * MIN)),
            ("own interval below the minimum", &policy, Verdict::Answered, ok(Some(10)), none, Some(5 * MIN)),
            ("own interval above the maximum", &policy, Verdict::Answered, ok(Some(100 * HOUR)), none, Some(24 * HOUR)),
            ("adaptive: posts every 10 min", &policy, Verdict::Answered, posting(10 * MIN), none, Some(10 * MIN)),
            ("adaptive: posts every 2 days, capped", &policy, Verdict::Answered, posting(48 * HOUR), none, Some(24 * HOUR)),
            ("adaptive: posts every minute, floored", &policy, Verdict::Answered, posting(MIN), none, Some(5 * MIN)),
            ("adaptive off", &fixed, Verdict::Answered, posting(10 * MIN), none, Some(30 * MIN)),
            ("own interval beats adaptive", &policy, Verdict::Answered, FeedState { interval: Some(secs(HOUR)), ..posting(10 * MIN) }, none, Some(HOUR)),
            ("ttl is a floor", &policy, Verdict::Answered, ok(None), ttl(2 * HOUR), Some(2 * HOUR)),
            ("ttl floors the adaptive interval", &policy, Verdict::Answered, posting(10 * MIN), ttl(HOUR), Some(HOUR)),
            ("sy:updatePeriod is a floor", &policy, Verdict::Answered, ok(None), sy(HOUR), Some(HOUR)),
            ("hints never raise the operator's own interval", &policy, Verdict::Answered, ok(Some(10 * MIN)), Hints { ttl: Some(secs(HOUR)), update_period: Some(secs(HOUR)), freshness: Some(secs(HOUR)), ..none }, Some(10 * MIN)),
            ("a feed silent for 20 days after 10 posts", &policy, Verdict::Answered, FeedState { posting: Some(Posting { since: now - chrono::Duration::days(20), posts: 10 }), ..ok(None) }, none, Some(24 * HOUR)),
            ("max-age/Expires is a floor", &policy, Verdict::Answered, ok(None), fresh(3 * HOUR), Some(3 * HOUR)),
            ("a short max-age changes nothing", &policy, Verdict::Answered, ok(None), fresh(60), Some(30 * MIN)),
            ("the largest floor wins", &policy, Verdict::Answered, ok(None), Hints { ttl: Some(secs(HOUR)), update_period: Some(secs(2 * HOUR)), freshness: Some(secs(90 * MIN)), ..none }, Some(2 * HOUR)),
            ("a huge ttl is capped", &policy, Verdict::Answered, ok(None), ttl(1000 * HOUR), Some(24 * HOUR)),
            ("skipHours moves the poll past the night", &policy, Verdict::Answered, ok(None), night, Some(6 * HOUR)),
            ("skipDays moves Friday to Saturday", &policy, Verdict::Answered, ok(Some(24 * HOUR)), fridays, Some(48 * HOUR)),
            ("skipping every hour is ignored", &policy, Verdict::Answered, ok(None), Hints { skip_hours: (1 << 24) - 1, ..none }, Some(30 * MIN)),
            ("first failure", &policy, failed, failing(1), none, Some(30 * MIN)),
            ("second failure doubles", &policy, failed, failing(2), none, Some(60 * MIN)),
            ("fifth failure", &policy, failed, failing(5), none, Some(8 * HOUR)),
            ("backoff capped", &policy, failed, failing(7), none, Some(24 * HOUR)),
            ("stays at the cap, never parked", &policy, failed, failing(500), none, Some(24 * HOUR)),
            ("backoff starts from the adaptive interval", &policy, failed, FeedState { consecutive_errors: 2, ..posting(10 * MIN) }, none, Some(20 * MIN)),
            ("retry-after longer than backoff", &policy, Verdict::Failed { retry_after: Some(secs(3 * HOUR)) }, failing(1), none, Some(3 * HOUR)),
            ("retry-after shorter than backoff", &policy, Verdict::Failed { retry_after: Some(secs(10)) }, failing(2), none, Some(60 * MIN)),
            ("hostile retry-after capped", &policy, Verdict::Failed { retry_after: Some(secs(365 * 24 * HOUR)) }, failing(1), none, Some(24 * HOUR)),
            ("gone", &policy, Verdict::Gone, failing(1), none, None),
        ];
        for (name, policy, verdict, state, hints, want) in cases {
            let got = next_check(now, *verdict, state, hints, policy, 0.0);
            let want = want.map(|s| now + chrono::Duration::seconds(s as i64));
            assert_eq!(got, want, "{name}");
        }
    }

    type Dates = Vec<DateTime<Utc>>;

    #[test]
    fn posting_rate_from_item_dates() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let ago = |mins: i64| now - chrono::Duration::minutes(mins);
        let days = |d: i64| now - chrono::Duration::days(d);
        let gap = |dates: Dates| observe_posting(dates, now).map(|p| posting_gap(&p, now));
        #[rustfmt::skip]
        let cases: Vec<(&str, Dates, Option<u64>)> = vec![
            ("ten posts in the last 100 minutes", (1..=10).map(|i| ago(i * 10)).collect(), Some(10 * MIN)),
            ("one post a day for a week", (1..=7).map(days).collect(), Some(24 * HOUR)),
            ("silent for a week after a busy hour", (0..6).map(|i| days(7) - chrono::Duration::minutes(i * 10)).collect(), Some((7 * 24 * HOUR + 50 * MIN) / 6)),
            ("nothing in the last 30 days", vec![days(40), days(50)], Some(30 * 24 * HOUR)),
            ("a long archive counts only the last 30 days", vec![ago(60), ago(120), days(200)], Some(15 * 24 * HOUR)),
            ("a daily digest of 20 items: two posts, not 40", (0..40).map(|i| if i < 20 { ago(6 * 60) } else { ago(30 * 60) }).collect(), Some(15 * HOUR)),
            ("no dates", vec![], None),
            ("one date", vec![ago(5)], None),
            ("every item stamped with the build time", vec![now, now, now], None),
            ("future dates are ignored", vec![now + chrono::Duration::days(1), ago(30), ago(60)], Some(30 * MIN)),
        ];
        for (name, dates, want) in cases {
            assert_eq!(gap(dates), want.map(secs), "{name}");
        }
    }

    #[test]
    fn which_failures_hold_the_host() {
        let policy = Policy::with_default_interval(secs(1800));
        #[rustfmt::skip]
        let cases = [
            ("429 with Retry-After", Some(429), Some(secs(120)), Some(secs(120))),
            ("bare 429", Some(429), None, Some(RATE_LIMIT_HOLD)),
            ("503 with Retry-After", Some(503), Some(secs(30)), Some(secs(30))),
            ("bare 503", Some(503), None, None),
            ("500", Some(500), None, None),
            ("timeout", None, None, None),
            ("Retry-After: 0", Some(429), Some(secs(0)), None),
            ("a year is capped", Some(503), Some(secs(365 * 24 * HOUR)), Some(secs(24 * HOUR))),
        ];
        for (name, status, retry_after, want) in cases {
            assert_eq!(host_hold(status, retry_after, &policy), want, "{name}");
        }
    }

    #[test]
    fn a_silent_feed_slows_down_between_documents() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let dates: Vec<_> = (1..=10)
            .map(|i| now - chrono::Duration::minutes(i * 10))
            .collect();
        let seen = observe_posting(dates, now).unwrap();
        let later = |hours| posting_gap(&seen, now + chrono::Duration::hours(hours));
        assert_eq!(later(0), secs(10 * MIN));
        // Ten hours of 304s: (100 min + 10 h) / 10.
        assert_eq!(later(10), secs(70 * MIN));
        // Never beyond the window over the count.
        assert_eq!(later(24 * 365), secs(3 * 24 * HOUR));
    }

    #[test]
    fn skip_hours_and_days_move_to_the_next_allowed_hour() {
        // Thursday 2026-01-01.
        let t = |d: u32, h: u32, m: u32| Utc.with_ymd_and_hms(2026, 1, d, h, m, 0).unwrap();
        let hours = |hs: &[u32]| hs.iter().fold(0u32, |m, h| m | 1 << h);
        assert_eq!(skip_to_allowed(t(1, 3, 17), 0, 0), t(1, 3, 17));
        assert_eq!(skip_to_allowed(t(1, 3, 17), hours(&[3, 4]), 0), t(1, 5, 0));
        assert_eq!(
            skip_to_allowed(t(1, 23, 30), hours(&[23, 0]), 0),
            t(2, 1, 0)
        );
        // Friday and Saturday skipped: Thursday 23:30 → Sunday 00:00.
        assert_eq!(
            skip_to_allowed(t(1, 23, 30), hours(&[23]), 0b11_0000),
            t(4, 0, 0)
        );
        assert_eq!(skip_to_allowed(t(1, 3, 17), 0, 0x7f), t(1, 3, 17));
    }

    /// A redirect streak as the store remembers it: target and count.
    type Streak<'a> = Option<(&'a str, u32)>;

    #[test]
    fn redirects_persist_after_three_consecutive_polls() {
        let policy = Policy::with_default_interval(secs(1800));
        let a = "https://new.example/feed";
        #[rustfmt::skip]
        let cases: &[(&str, Streak, Option<&str>, Move)] = &[
            ("first sighting", None, Some(a), Move::Track { target: a.into(), count: 1 }),
            ("second", Some((a, 1)), Some(a), Move::Track { target: a.into(), count: 2 }),
            ("third persists", Some((a, 2)), Some(a), Move::Persist(a.into())),
            ("another target restarts", Some(("https://x/", 2)), Some(a), Move::Track { target: a.into(), count: 1 }),
            ("a poll without the redirect breaks the streak", Some((a, 2)), None, Move::None),
        ];
        for (name, prev, seen, want) in cases {
            assert_eq!(&track_move(*prev, *seen, &policy), want, "{name}");
        }
    }

    #[test]
    fn not_found_for_a_week_is_dead() {
        let now = Utc.with_ymd_and_hms(2026, 1, 8, 0, 0, 0).unwrap();
        let policy = Policy::with_default_interval(secs(1800));
        let days = |d| now - chrono::Duration::days(d);
        assert_eq!(failure_state(Some(404), days(7), now, &policy), "dead");
        assert_eq!(failure_state(Some(404), days(6), now, &policy), "failing");
        assert_eq!(failure_state(Some(500), days(30), now, &policy), "failing");
        assert_eq!(failure_state(None, days(30), now, &policy), "failing");
    }

    #[test]
    fn interleave_takes_one_of_each_host_per_round() {
        let items = vec!["a1", "a2", "a3", "b1", "c1", "b2"];
        let out = interleave(items, |s| s[..1].to_string());
        assert_eq!(out, vec!["a1", "b1", "c1", "a2", "b2", "a3"]);
    }

    #[test]
    fn a_burst_is_spread_evenly_over_the_window() {
        let w = secs(60);
        assert_eq!(stagger(0, 1000, w), Duration::ZERO);
        assert_eq!(stagger(500, 1000, w), secs(30));
        assert!(stagger(999, 1000, w) < w);
        assert_eq!(stagger(3, 0, w), Duration::ZERO);
        // In the first second of a 60 s window, 1,000 feeds start at most 17.
        let first_second = (0..1000).filter(|&i| stagger(i, 1000, w) < secs(1)).count();
        assert_eq!(first_second, 17);
    }

    #[test]
    fn jitter_adds_at_most_a_tenth() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let policy = Policy::with_default_interval(secs(1000));
        let state = FeedState::default();
        let at = |j| {
            next_check(
                now,
                Verdict::Answered,
                &state,
                &Hints::default(),
                &policy,
                j,
            )
            .unwrap()
        };
        assert_eq!(at(0.0), now + chrono::Duration::seconds(1000));
        assert_eq!(at(0.5), now + chrono::Duration::seconds(1050));
        assert!(at(0.999) < now + chrono::Duration::seconds(1100));
    }
}
