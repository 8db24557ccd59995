//! Liveness and readiness. `/healthz` only says the process answers HTTP;
//! `/readyz` also asks the two things that can wedge while the process
//! stays up: the database (a ping through the store thread) and the run
//! loop (its last tick, kept by a [`Heartbeat`]).

use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// When the run loop last looked for due feeds. Lock-free, because the loop
/// beats on every turn and a scrape must not wait for it.
#[derive(Debug, Default)]
pub struct Heartbeat {
    /// Unix time in milliseconds; 0 before the first beat.
    last_ms: AtomicI64,
}

impl Heartbeat {
    pub fn beat(&self, now: DateTime<Utc>) {
        self.last_ms
            .store(now.timestamp_millis().max(1), Ordering::Relaxed);
    }

    pub fn last(&self) -> Option<DateTime<Utc>> {
        match self.last_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => DateTime::from_timestamp_millis(ms),
        }
    }
}

/// The readiness decision given what the probe found: ready when the store
/// answered and the run loop ticked within `stale_after`; otherwise the
/// short reason `/readyz` returns with its 503.
pub fn readiness(
    store: Result<(), String>,
    last_tick: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    stale_after: Duration,
) -> Result<(), String> {
    store.map_err(|e| format!("database does not answer: {e}"))?;
    let Some(tick) = last_tick else {
        return Err("scheduler has not started".to_string());
    };
    let age = (now - tick).to_std().unwrap_or(Duration::ZERO);
    if age > stale_after {
        return Err(format!(
            "scheduler last ticked {}s ago (limit {}s)",
            age.as_secs(),
            stale_after.as_secs()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_secs(90);

    #[test]
    fn ready_when_the_store_answers_and_the_tick_is_recent() {
        let now = Utc::now();
        let at = |secs: i64| Some(now - chrono::Duration::seconds(secs));
        assert_eq!(readiness(Ok(()), at(0), now, LIMIT), Ok(()));
        assert_eq!(readiness(Ok(()), at(90), now, LIMIT), Ok(()));
        // A clock step backwards is not a stale tick.
        assert_eq!(readiness(Ok(()), at(-5), now, LIMIT), Ok(()));
        let stale = readiness(Ok(()), at(91), now, LIMIT).unwrap_err();
        assert!(stale.contains("91s ago"), "{stale}");
        let never = readiness(Ok(()), None, now, LIMIT).unwrap_err();
        assert!(never.contains("not started"), "{never}");
        let db = readiness(Err("locked".into()), at(0), now, LIMIT).unwrap_err();
        assert!(db.contains("database") && db.contains("locked"), "{db}");
    }

    #[test]
    fn heartbeat_keeps_the_last_beat() {
        let h = Heartbeat::default();
        assert_eq!(h.last(), None);
        let t = DateTime::from_timestamp_millis(1_700_000_000_123).unwrap();
        h.beat(t);
        assert_eq!(h.last(), Some(t));
    }
}
