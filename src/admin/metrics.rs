//! The Prometheus metrics of `run`, in the OpenMetrics text format.
//!
//! Poll counters and the fetch-duration histogram are updated from one
//! place, [`Metrics::record`], called with each finished poll's
//! [`FeedReport`]. Gauges that describe the database (feeds by state, the
//! scheduler's lag, the file size) are read from the store at scrape time
//! instead of being kept up to date: they are then never older than the
//! scrape, and a scrape while the database does not answer simply omits
//! them rather than showing stale values.

use crate::pipeline::FeedReport;
use crate::store::StoreStats;
use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the fetch-duration buckets, in seconds: most feeds
/// answer within a second; the top buckets catch slow hosts up to the
/// default 30 s timeout.
const FETCH_BUCKETS: [f64; 11] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FetchLabels {
    /// The fetch log's outcome label (`fetched`, `not_modified`, `timeout`, ...).
    outcome: String,
    status_class: &'static str,
}

/// `kind` values of `feedsieve_items_total`; together they are every item seen.
const ITEM_KINDS: [&str; 3] = ["new", "updated", "duplicate"];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ItemLabels {
    kind: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// The poll counters of one process, with their registry.
pub struct Metrics {
    registry: Registry,
    fetches: Family<FetchLabels, Counter>,
    fetched_bytes: Counter,
    items: Family<ItemLabels, Counter>,
    items_syndicated: Counter,
    items_near_duplicate: Counter,
    fetch_duration: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let fetches = Family::<FetchLabels, Counter>::default();
        registry.register(
            "feedsieve_fetches",
            "Feed fetches by outcome (the fetch log's label) and HTTP status class (2xx, 3xx, 4xx, 5xx, none)",
            fetches.clone(),
        );
        let fetched_bytes = Counter::default();
        registry.register(
            "feedsieve_fetched_bytes",
            "Feed body bytes received, after decompression",
            fetched_bytes.clone(),
        );
        let items = Family::<ItemLabels, Counter>::default();
        // Known label values exist from the start, so `rate()` sees the
        // first increment; fetch outcomes appear as they happen.
        for kind in ITEM_KINDS {
            let _ = items.get_or_create(&ItemLabels { kind });
        }
        registry.register(
            "feedsieve_items",
            "Feed items seen by what the store did with them: new (inserted), updated (edited in place), duplicate (already stored, unchanged)",
            items.clone(),
        );
        let items_syndicated = Counter::default();
        registry.register(
            "feedsieve_items_syndicated",
            "New items flagged as syndicated copy",
            items_syndicated.clone(),
        );
        let items_near_duplicate = Counter::default();
        registry.register(
            "feedsieve_items_near_duplicate",
            "New items linked to an earlier article as its near-duplicate",
            items_near_duplicate.clone(),
        );
        let fetch_duration = Histogram::new(FETCH_BUCKETS);
        registry.register(
            "feedsieve_fetch_duration_seconds",
            "Duration of feed fetches (the HTTP exchange, redirects and body included) in seconds",
            fetch_duration.clone(),
        );
        Metrics {
            registry,
            fetches,
            fetched_bytes,
            items,
            items_syndicated,
            items_near_duplicate,
            fetch_duration,
        }
    }

    /// Counts one finished poll. A deferred poll fetched nothing and is
    /// not counted; one whose result could not be stored (`store_error`,
    /// `feed_removed`) is, under its outcome, since that is what an
    /// operator must see, but adds no duration.
    pub fn record(&self, report: &FeedReport) {
        if report.outcome == "deferred" {
            return;
        }
        self.fetches
            .get_or_create(&FetchLabels {
                outcome: report.outcome.clone(),
                status_class: status_class(report.status),
            })
            .inc();
        self.fetched_bytes.inc_by(report.bytes);
        if let Some(fetch_elapsed) = report.fetch_elapsed {
            self.fetch_duration.observe(fetch_elapsed.as_secs_f64());
        }
        let i = &report.items;
        let duplicate = i.seen.saturating_sub(i.new + i.updated);
        for (kind, n) in ITEM_KINDS.into_iter().zip([i.new, i.updated, duplicate]) {
            self.items.get_or_create(&ItemLabels { kind }).inc_by(n);
        }
        self.items_syndicated.inc_by(i.syndicated);
        self.items_near_duplicate.inc_by(i.near_duplicate);
    }

    /// The whole exposition: the counters, then the gauges from `stats`
    /// and `last_tick` when given.
    pub fn render(
        &self,
        stats: Option<&StoreStats>,
        last_tick: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> String {
        let mut gauges = Registry::default();
        if let Some(stats) = stats {
            register_store_gauges(&mut gauges, stats, now);
        }
        if let Some(tick) = last_tick {
            let age: Gauge<f64, AtomicU64> = Gauge::default();
            age.set(seconds_between(tick, now));
            gauges.register(
                "feedsieve_scheduler_tick_age_seconds",
                "Seconds since the run loop last looked for due feeds (see /readyz)",
                age,
            );
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode_registry(&mut out, &self.registry);
        let _ = encode_registry(&mut out, &gauges);
        let _ = encode_eof(&mut out);
        out
    }
}

fn register_store_gauges(registry: &mut Registry, stats: &StoreStats, now: DateTime<Utc>) {
    let feeds = Family::<StateLabels, Gauge>::default();
    for &(state, n) in &stats.feeds_by_state {
        feeds
            .get_or_create(&StateLabels { state })
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    registry.register(
        "feedsieve_feeds",
        "Feeds by state: ok, failing, dead (404 for scheduler.dead_after_secs), gone (410), disabled",
        feeds,
    );
    let lag: Gauge<f64, AtomicU64> = Gauge::default();
    lag.set(
        stats
            .oldest_due
            .map_or(0.0, |due| seconds_between(due, now)),
    );
    registry.register(
        "feedsieve_scheduler_lag_seconds",
        "How long the most overdue feed has been due, in seconds; 0 when none is",
        lag,
    );
    let size: Gauge = Gauge::default();
    size.set(i64::try_from(stats.database_bytes).unwrap_or(i64::MAX));
    registry.register(
        "feedsieve_database_size_bytes",
        "Size of the SQLite database (its pages, without the WAL file) in bytes",
        size,
    );
}

/// `later - earlier` in seconds, never negative.
fn seconds_between(earlier: DateTime<Utc>, later: DateTime<Utc>) -> f64 {
    ((later - earlier).num_milliseconds().max(0) as f64) / 1000.0
}

/// The status-class label of a response: `2xx` to `5xx`, or `none` when
/// no response came (timeout, network error, a blocked address) or the
/// status is outside 200..=599.
pub fn status_class(status: Option<u16>) -> &'static str {
    match status {
        Some(200..=299) => "2xx",
        Some(300..=399) => "3xx",
        Some(400..=499) => "4xx",
        Some(500..=599) => "5xx",
        _ => "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeedId;
    use crate::store::UpsertCounts;
    use std::time::Duration;

    #[test]
    fn status_classes() {
        let cases = [
            (Some(200), "2xx"),
            (Some(299), "2xx"),
            (Some(304), "3xx"),
            (Some(404), "4xx"),
            (Some(429), "4xx"),
            (Some(503), "5xx"),
            (Some(100), "none"),
            (Some(600), "none"),
            (None, "none"),
        ];
        for (status, class) in cases {
            assert_eq!(status_class(status), class, "{status:?}");
        }
    }

    fn report(outcome: &str, status: Option<u16>, fetched: bool) -> FeedReport {
        FeedReport {
            feed_id: FeedId(1),
            feed_url: "https://example.com/rss".to_string(),
            status,
            outcome: outcome.to_string(),
            items: UpsertCounts {
                seen: 5,
                new: 2,
                updated: 1,
                syndicated: 1,
                near_duplicate: 0,
            },
            error: None,
            elapsed: Duration::from_millis(300),
            bytes: 1234,
            fetch_elapsed: fetched.then_some(Duration::from_millis(200)),
        }
    }

    #[test]
    fn a_poll_moves_its_counters_a_store_error_counts_and_a_deferred_poll_does_not() {
        let m = Metrics::new();
        m.record(&report("fetched", Some(200), true));
        m.record(&report("deferred", None, false));
        // A poll whose result the store refused: counted, without a duration.
        m.record(&FeedReport {
            bytes: 0,
            items: UpsertCounts::default(),
            ..report("store_error", None, false)
        });
        let text = m.render(None, None, Utc::now());
        for line in [
            "feedsieve_fetches_total{outcome=\"fetched\",status_class=\"2xx\"} 1",
            "feedsieve_fetches_total{outcome=\"store_error\",status_class=\"none\"} 1",
            "feedsieve_fetched_bytes_total 1234",
            "feedsieve_items_total{kind=\"new\"} 2",
            "feedsieve_items_total{kind=\"updated\"} 1",
            "feedsieve_items_total{kind=\"duplicate\"} 2",
            "feedsieve_items_syndicated_total 1",
            "feedsieve_fetch_duration_seconds_count 1",
            "feedsieve_fetch_duration_seconds_bucket{le=\"0.25\"} 1",
            "feedsieve_fetch_duration_seconds_bucket{le=\"0.1\"} 0",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        assert!(!text.contains("deferred"), "{text}");
        assert!(text.ends_with("# EOF\n"));
        assert!(!text.contains("feedsieve_feeds"), "no stats, no gauges");
    }

    #[test]
    fn store_gauges_and_lag() {
        let now = Utc::now();
        let stats = StoreStats {
            feeds_by_state: vec![("ok", 3), ("failing", 1), ("gone", 0)],
            oldest_due: Some(now - chrono::Duration::milliseconds(4500)),
            database_bytes: 8192,
        };
        let text = Metrics::new().render(Some(&stats), Some(now), now);
        for line in [
            "feedsieve_feeds{state=\"ok\"} 3",
            "feedsieve_feeds{state=\"failing\"} 1",
            "feedsieve_feeds{state=\"gone\"} 0",
            "feedsieve_scheduler_lag_seconds 4.5",
            "feedsieve_database_size_bytes 8192",
            "feedsieve_scheduler_tick_age_seconds 0.0",
            "# HELP feedsieve_scheduler_lag_seconds",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
    }
}
