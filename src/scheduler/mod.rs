//! Scheduling policy: when each feed is checked next.
//!
//! The schedule itself lives in the database (`feeds.next_check_at`), so a
//! restart resumes where it left off; this module only computes times and
//! never touches IO or a clock: `pipeline` passes `now` and a jitter draw.
//!
//! * A feed that answered is polled again after its interval: its own
//!   `interval_secs`, else `scheduler.default_interval_secs`, raised to the
//!   server's hints (RSS `<ttl>`, `Cache-Control: max-age`: a publisher that
//!   says "not before" is believed), and clamped to
//!   `[min_interval, max_interval]`.
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
    /// Consecutive failures including this poll (0 after a success).
    pub consecutive_errors: u32,
}

/// Server hints about how often to come back; each is a floor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hints {
    /// RSS `<ttl>`.
    pub ttl: Option<Duration>,
    /// `Cache-Control: max-age`.
    pub max_age: Option<Duration>,
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
    let interval = interval(state, hints, policy);
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
    let jittered = delay + delay.mul_f64(jitter.clamp(0.0, 1.0) / 10.0);
    let delay = chrono::Duration::from_std(jittered).unwrap_or(chrono::Duration::days(1));
    Some(now + delay)
}

/// The normal interval: configured or default, raised to the hints,
/// clamped to the policy's bounds.
fn interval(state: &FeedState, hints: &Hints, policy: &Policy) -> Duration {
    let base = state.interval.unwrap_or(policy.default_interval);
    let floor = hints.ttl.max(hints.max_age).unwrap_or(Duration::ZERO);
    base.max(floor).clamp(
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

    #[test]
    fn table() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let policy = Policy::with_default_interval(secs(30 * MIN));
        let ok = |interval: Option<u64>| FeedState {
            interval: interval.map(secs),
            consecutive_errors: 0,
        };
        let failing = |errors: u32| FeedState {
            interval: None,
            consecutive_errors: errors,
        };
        let none = Hints::default();
        let failed = Verdict::Failed { retry_after: None };
        #[rustfmt::skip]
        let cases: &[(&str, Verdict, FeedState, Hints, Option<u64>)] = &[
            ("default interval", Verdict::Answered, ok(None), none, Some(30 * MIN)),
            ("own interval", Verdict::Answered, ok(Some(10 * MIN)), none, Some(10 * MIN)),
            ("own interval below the minimum", Verdict::Answered, ok(Some(10)), none, Some(5 * MIN)),
            ("own interval above the maximum", Verdict::Answered, ok(Some(100 * HOUR)), none, Some(24 * HOUR)),
            ("ttl is a floor", Verdict::Answered, ok(None), Hints { ttl: Some(secs(2 * HOUR)), max_age: None }, Some(2 * HOUR)),
            ("max-age below the interval changes nothing", Verdict::Answered, ok(None), Hints { ttl: None, max_age: Some(secs(60)) }, Some(30 * MIN)),
            ("a huge ttl is capped", Verdict::Answered, ok(None), Hints { ttl: Some(secs(1000 * HOUR)), max_age: None }, Some(24 * HOUR)),
            ("first failure", failed, failing(1), none, Some(30 * MIN)),
            ("second failure doubles", failed, failing(2), none, Some(60 * MIN)),
            ("fifth failure", failed, failing(5), none, Some(8 * HOUR)),
            ("backoff capped", failed, failing(7), none, Some(24 * HOUR)),
            ("stays at the cap, never parked", failed, failing(500), none, Some(24 * HOUR)),
            ("retry-after longer than backoff", Verdict::Failed { retry_after: Some(secs(3 * HOUR)) }, failing(1), none, Some(3 * HOUR)),
            ("retry-after shorter than backoff", Verdict::Failed { retry_after: Some(secs(10)) }, failing(2), none, Some(60 * MIN)),
            ("hostile retry-after capped", Verdict::Failed { retry_after: Some(secs(365 * 24 * HOUR)) }, failing(1), none, Some(24 * HOUR)),
            ("gone", Verdict::Gone, failing(1), none, None),
        ];
        for (name, verdict, state, hints, want) in cases {
            let got = next_check(now, *verdict, state, hints, &policy, 0.0);
            let want = want.map(|s| now + chrono::Duration::seconds(s as i64));
            assert_eq!(got, want, "{name}");
        }
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
