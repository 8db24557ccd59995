//! Scheduling policy: when each feed is checked next.
//!
//! For now a fixed interval per feed (its own `interval_secs`, else
//! `scheduler.default_interval_secs`). The schedule itself lives in the
//! database (`feeds.next_check_at`), so a restart resumes where it left off;
//! this module only computes times and never touches IO.

use chrono::{DateTime, Utc};
use std::time::Duration;

/// What the scheduler needs from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub default_interval: Duration,
}

/// When a feed polled at `now` is due again.
pub fn next_check(
    now: DateTime<Utc>,
    feed_interval: Option<Duration>,
    policy: &Policy,
) -> DateTime<Utc> {
    let interval = feed_interval.unwrap_or(policy.default_interval);
    let interval = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::days(1));
    now + interval
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn feed_interval_wins_over_default() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let policy = Policy {
            default_interval: Duration::from_secs(1800),
        };
        let cases = [
            (None, now + chrono::Duration::minutes(30)),
            (
                Some(Duration::from_secs(60)),
                now + chrono::Duration::minutes(1),
            ),
        ];
        for (interval, want) in cases {
            assert_eq!(next_check(now, interval, &policy), want);
        }
    }
}
