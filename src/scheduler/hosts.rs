//! Per-host politeness: at most `concurrency` requests in flight to one
//! host and at least `min_interval` between the starts of two of them.
//!
//! Hosts are grouped by registrable domain (all `*.tumblr.com` feeds share
//! one budget: publishers ban clients that burst across their subdomains);
//! `[[host_groups]]` in the config can put other hosts together or give a
//! group its own limits.
//!
//! This is the one stateful part of the scheduler; it holds gates in memory
//! only, since spacing matters within a run, not across restarts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Limits for one group of hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostLimits {
    pub concurrency: usize,
    pub min_interval: Duration,
}

/// A `[[host_groups]]` entry: these hosts (and their subdomains) share one
/// budget with these limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostGroup {
    pub hosts: Vec<String>,
    pub limits: HostLimits,
}

struct Gate {
    slots: Arc<Semaphore>,
    /// Earliest start of the next request to this group.
    next_start: Mutex<Instant>,
    /// The next time handed to a deferred poll: deferred polls get
    /// successive turns, so each is deferred once, not once per tick.
    next_turn: Mutex<Instant>,
    /// Until when the host asked to be left alone (429, `Retry-After`).
    held_until: Mutex<Instant>,
    min_interval: Duration,
}

/// The gates of every host group seen so far.
pub struct HostGates {
    default: HostLimits,
    groups: Vec<HostGroup>,
    gates: Mutex<HashMap<String, Arc<Gate>>>,
}

/// Held while a request to a host group is in flight.
pub struct HostPermit {
    _slot: Option<OwnedSemaphorePermit>,
}

impl HostGates {
    pub fn new(default: HostLimits, groups: Vec<HostGroup>) -> HostGates {
        HostGates {
            default,
            groups,
            gates: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot and the spacing of the group `url` belongs to; with
    /// `max_wait`, when the group is busy for longer than that, returns
    /// without waiting the time to try again instead. The daemon passes a
    /// `max_wait` so that a feed does not sit in a fetch slot waiting for its
    /// host while other hosts' feeds could go; `poll` passes `None`.
    ///
    /// A host on [`hold`](Self::hold) is never waited for beyond `max_wait`
    /// (nor at all with `None`): the poll gets a turn after the hold.
    pub async fn acquire_within(
        &self,
        url: &str,
        max_wait: Option<Duration>,
    ) -> Result<HostPermit, Instant> {
        let gate = self.gate(url);
        gate.check_hold(max_wait)?;
        if let Some(max_wait) = max_wait {
            let now = Instant::now();
            let next = *lock(&gate.next_start);
            let busy = gate.slots.available_permits() == 0;
            if busy || next > now + max_wait {
                // A busy slot frees at an unknown time; a second is a guess
                // that costs at most one more deferral.
                let earliest = if busy {
                    next.max(now + gate.min_interval.max(Duration::from_secs(1)))
                } else {
                    next
                };
                return Err(gate.take_turn(earliest));
            }
        }
        // The semaphore is never closed; if it were, that would only mean
        // no concurrency limit.
        let slot = gate.slots.clone().acquire_owned().await.ok();
        // The request that held the slot may have put the host on hold.
        gate.check_hold(max_wait)?;
        let start = {
            let mut next = lock(&gate.next_start);
            let start = (*next).max(Instant::now());
            *next = start + gate.min_interval;
            start
        };
        // Skip the timer when the group is free: registering one costs a
        // timer-wheel tick, which adds up over thousands of 304s.
        if start > Instant::now() {
            tokio::time::sleep_until(start).await;
        }
        Ok(HostPermit { _slot: slot })
    }

    /// Holds the group of `url` until `until`: no request to it starts
    /// before then, and polls that would have to wait for it are deferred.
    pub fn hold(&self, url: &str, until: Instant) {
        let gate = self.gate(url);
        let mut held = lock(&gate.held_until);
        *held = (*held).max(until);
        let mut next = lock(&gate.next_start);
        *next = (*next).max(until);
    }

    fn gate(&self, url: &str) -> Arc<Gate> {
        let (key, limits) = self.group_of(url);
        let mut gates = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        gates
            .entry(key)
            .or_insert_with(|| {
                Arc::new(Gate {
                    slots: Arc::new(Semaphore::new(limits.concurrency.max(1))),
                    next_start: Mutex::new(Instant::now()),
                    next_turn: Mutex::new(Instant::now()),
                    held_until: Mutex::new(Instant::now()),
                    min_interval: limits.min_interval,
                })
            })
            .clone()
    }

    /// The key of the budget `url` draws on.
    pub fn group_key(&self, url: &str) -> String {
        self.group_of(url).0
    }

    /// The budget key and limits for `url`.
    fn group_of(&self, url: &str) -> (String, HostLimits) {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
            })
            .unwrap_or_default();
        for (i, group) in self.groups.iter().enumerate() {
            if group.hosts.iter().any(|h| host_matches(&host, h)) {
                return (format!("group#{i}"), group.limits.clone());
            }
        }
        (registrable_domain(&host), self.default.clone())
    }
}

impl Gate {
    /// `Err` with a turn after the hold when the host is held for longer
    /// than `max_wait` (any hold at all when `None`).
    fn check_hold(&self, max_wait: Option<Duration>) -> Result<(), Instant> {
        let held = *lock(&self.held_until);
        if held > Instant::now() + max_wait.unwrap_or(Duration::ZERO) {
            return Err(self.take_turn(held));
        }
        Ok(())
    }

    /// The next turn for a deferred poll, no earlier than `earliest`:
    /// deferred polls get successive turns spaced by the minimum interval.
    fn take_turn(&self, earliest: Instant) -> Instant {
        let mut turn = lock(&self.next_turn);
        let at = (*turn).max(earliest);
        *turn = at + self.min_interval.max(Duration::from_millis(1));
        at
    }
}

/// Locks a gate's field; a poisoned lock still holds a valid instant.
fn lock(m: &Mutex<Instant>) -> std::sync::MutexGuard<'_, Instant> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `host` is `pattern` or a subdomain of it.
fn host_matches(host: &str, pattern: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    host == pattern
        || host
            .strip_suffix(&pattern)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// `news.example.co.uk` → `example.co.uk`; IP addresses and names the
/// public suffix list does not know stay as they are.
pub fn registrable_domain(host: &str) -> String {
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host.to_string();
    }
    psl::domain_str(host).unwrap_or(host).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(concurrency: usize, ms: u64) -> HostLimits {
        HostLimits {
            concurrency,
            min_interval: Duration::from_millis(ms),
        }
    }

    #[test]
    fn hosts_group_by_registrable_domain() {
        let cases = [
            ("a.tumblr.com", "tumblr.com"),
            ("news.example.co.uk", "example.co.uk"),
            ("example.com", "example.com"),
            ("127.0.0.1", "127.0.0.1"),
            ("localhost", "localhost"),
        ];
        for (host, want) in cases {
            assert_eq!(registrable_domain(host), want, "{host}");
        }
    }

    #[test]
    fn config_groups_match_hosts_and_subdomains() {
        let gates = HostGates::new(
            limits(1, 1000),
            vec![HostGroup {
                hosts: vec!["feeds.example.org".into(), "cdn.example.net".into()],
                limits: limits(4, 0),
            }],
        );
        let (a, la) = gates.group_of("https://feeds.example.org/rss");
        let (b, _) = gates.group_of("https://eu.cdn.example.net/x");
        let (c, lc) = gates.group_of("https://www.example.org/rss");
        assert_eq!(a, b);
        assert_eq!(la, limits(4, 0));
        assert_eq!(c, "example.org");
        assert_eq!(lc, limits(1, 1000));
        assert!(!host_matches("badexample.org", "example.org"));
    }

    #[tokio::test(start_paused = true)]
    async fn starts_are_spaced_per_group() {
        let gates = HostGates::new(limits(1, 1000), Vec::new());
        let t0 = Instant::now();
        let p1 = gates.acquire_within("https://a.example.com/1", None).await;
        drop(p1);
        let _p2 = gates.acquire_within("https://b.example.com/2", None).await;
        assert_eq!(Instant::now() - t0, Duration::from_millis(1000));
        // Another registrable domain is not held up.
        let t1 = Instant::now();
        let _p3 = gates.acquire_within("https://other.org/", None).await;
        assert_eq!(Instant::now(), t1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_host_is_deferred_not_waited_for() {
        let gates = HostGates::new(limits(1, 5000), Vec::new());
        let max = Some(Duration::from_secs(2));
        let t0 = Instant::now();
        let first = gates.acquire_within("https://a.example.com/", max).await;
        assert!(first.is_ok());
        // The slot is taken: come back later.
        let busy = gates.acquire_within("https://b.example.com/", max).await;
        assert!(busy.is_err());
        drop(first);
        // The slot is free but the spacing says 5 s: too long to wait.
        match gates.acquire_within("https://b.example.com/", max).await {
            Err(at) => assert_eq!(at, t0 + Duration::from_secs(10)),
            Ok(_) => panic!("waited for a host busy for 5 s"),
        }
        // The next deferred poll gets the turn after that.
        match gates.acquire_within("https://c.example.com/", max).await {
            Err(at) => assert_eq!(at, t0 + Duration::from_secs(15)),
            Ok(_) => panic!("waited for a busy host"),
        }
        assert_eq!(Instant::now(), t0, "no time was spent waiting");
    }

    #[tokio::test(start_paused = true)]
    async fn a_held_host_defers_every_feed_until_the_hold_ends() {
        let gates = HostGates::new(limits(1, 1000), Vec::new());
        let t0 = Instant::now();
        gates.hold("https://a.example.com/1", t0 + Duration::from_secs(120));
        // Neither the daemon (which waits up to 2 s) nor `poll` waits.
        for max in [Some(Duration::from_secs(2)), None] {
            match gates.acquire_within("https://b.example.com/2", max).await {
                Err(at) => assert!(at >= t0 + Duration::from_secs(120)),
                Ok(_) => panic!("a held host was polled"),
            }
        }
        // Another host is not held.
        assert!(
            gates
                .acquire_within("https://other.org/", None)
                .await
                .is_ok()
        );
        // A shorter hold does not shorten a longer one.
        gates.hold("https://a.example.com/1", t0 + Duration::from_secs(5));
        tokio::time::advance(Duration::from_secs(60)).await;
        assert!(
            gates
                .acquire_within("https://a.example.com/", None)
                .await
                .is_err()
        );
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(
            gates
                .acquire_within("https://a.example.com/", None)
                .await
                .is_ok()
        );
    }
}
