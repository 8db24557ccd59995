//! The one place that runs the stages in order for one feed:
//! fetch → parse → normalize → dedup → store, and turns what happened into
//! a [`FeedReport`] and one fetch-log row.
//!
//! Parsing and normalization are CPU work, so they run on tokio's blocking
//! pool (see [`ingest`](Pipeline::ingest)); the store has its own thread.
//! With several feeds in flight, both cores stay busy while the writer
//! thread commits.

mod ingest;
mod near;

pub use ingest::{Ingested, body_hash, flag_articles, parse_and_normalize};
pub use near::Clusterer;

use crate::fetch::{Fetch, FetchError, FetchOutcome, Fetcher, RetryAfter};
use crate::model::FeedId;

use crate::scheduler::{self, FeedState, Hints, HostGates, Move, Policy, Verdict};
use crate::store::{FeedRecord, NearHandle, PollRecord, Store, StoreError, UpsertCounts};
use crate::syndication::Flagger;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, error, info, info_span, warn};

/// Everything a poll needs besides the feed.
#[derive(Clone)]
pub struct Pipeline {
    pub store: Store,
    pub fetcher: Fetcher,
    pub policy: Policy,
    pub max_future_skew: Duration,
    /// One permit per core for the CPU part of a poll. Many fetches may be
    /// in flight, but running more parses than cores only makes them
    /// compete with each other and with the store thread.
    ingest_slots: Arc<Semaphore>,
    /// Per-host concurrency and spacing, shared by every poll.
    hosts: Arc<HostGates>,
    /// Longest wait for a busy host before a poll is deferred instead;
    /// `None` waits (a one-shot `poll` should cover every feed).
    max_host_wait: Option<Duration>,
    /// Flags syndicated copy; `None` when `syndication.enabled` is off.
    flagger: Option<Arc<Flagger>>,
    /// Links new articles into near-duplicate clusters.
    near: Option<NearHandle>,
}

/// What one poll of one feed did.
#[derive(Debug, Clone)]
pub struct FeedReport {
    pub feed_id: FeedId,
    pub feed_url: String,
    pub status: Option<u16>,
    /// Stable label, as in the fetch log.
    pub outcome: String,
    pub items: UpsertCounts,
    pub error: Option<String>,
    pub elapsed: Duration,
    /// Body bytes received (after decompression); 0 without a body.
    pub bytes: u64,
    /// How long the HTTP exchange took, redirects and body included;
    /// `None` for a report without a fetch result ([`FeedReport::unfetched`]).
    pub fetch_elapsed: Option<Duration>,
}

impl FeedReport {
    /// A poll that ends with no fetch result to report: deferred before
    /// fetching, or whose outcome the store could not record.
    fn unfetched(
        feed_id: FeedId,
        feed_url: String,
        outcome: &str,
        error: Option<String>,
        elapsed: Duration,
    ) -> FeedReport {
        FeedReport {
            feed_id,
            feed_url,
            status: None,
            outcome: outcome.to_string(),
            items: UpsertCounts::default(),
            error,
            elapsed,
            bytes: 0,
            fetch_elapsed: None,
        }
    }

    pub fn failed(&self) -> bool {
        self.error.is_some()
    }
}

/// Totals over a pass of many feeds.
#[derive(Debug, Clone, Default)]
pub struct PassSummary {
    pub feeds: u64,
    pub fetched: u64,
    /// 304s, and 200s whose body was byte-identical to the last one.
    pub not_modified: u64,
    /// Not fetched this time: their host was busy (daemon only).
    pub deferred: u64,
    pub failed: u64,
    pub items_new: u64,
    pub items_updated: u64,
    pub elapsed: Duration,
}

impl PassSummary {
    /// Counts one poll's report.
    pub fn add(&mut self, r: &FeedReport) {
        self.feeds += 1;
        if r.failed() {
            self.failed += 1;
        } else if r.outcome == "not_modified" || r.outcome == "unchanged" {
            self.not_modified += 1;
        } else if r.outcome == "deferred" {
            self.deferred += 1;
        } else {
            self.fetched += 1;
        }
        self.items_new += r.items.new;
        self.items_updated += r.items.updated;
    }
}

impl Pipeline {
    /// The near-duplicate matcher, when clustering is on (retention
    /// computes the index keys of the articles it deletes with it).
    pub fn near(&self) -> Option<NearHandle> {
        self.near.clone()
    }

    pub fn new(
        store: Store,
        fetcher: Fetcher,
        policy: Policy,
        max_future_skew: Duration,
        hosts: HostGates,
    ) -> Pipeline {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Pipeline {
            store,
            fetcher,
            policy,
            max_future_skew,
            ingest_slots: Arc::new(Semaphore::new(cores)),
            hosts: Arc::new(hosts),
            max_host_wait: None,
            flagger: None,
            near: None,
        }
    }

    /// Links new articles into near-duplicate clusters with `near`.
    pub fn with_near(mut self, near: Option<NearHandle>) -> Pipeline {
        self.near = near;
        self
    }

    /// Flags syndicated copy with `flagger` (see [`crate::syndication`]).
    pub fn with_flagger(mut self, flagger: Option<Arc<Flagger>>) -> Pipeline {
        self.flagger = flagger;
        self
    }

    /// Defers a poll whose host is busy for longer than `max_wait` instead
    /// of holding a fetch slot while waiting (see [`Pipeline::poll_feed`]).
    pub fn with_max_host_wait(mut self, max_wait: Option<Duration>) -> Pipeline {
        self.max_host_wait = max_wait;
        self
    }

    /// Polls `feeds` with at most `concurrency` in flight, calling `on_done`
    /// after each, the `i`-th starting no earlier than its share of `spread`
    /// (see [`scheduler::stagger`]). Stops starting new polls once `cancel`
    /// fires; polls in flight run to completion so every started
    /// transaction commits.
    pub async fn poll_many(
        &self,
        feeds: Vec<FeedRecord>,
        concurrency: usize,
        spread: Duration,
        cancel: &CancellationToken,
        mut on_done: impl FnMut(&FeedReport),
    ) -> Result<PassSummary, StoreError> {
        let started = Instant::now();
        let tick = tokio::time::Instant::now();
        let feeds = self.order_by_host(feeds);
        let n = feeds.len();
        let mut summary = PassSummary::default();
        let results = futures_util::stream::iter(feeds.into_iter().enumerate())
            .then(|(i, feed)| async move {
                let at = tick + scheduler::stagger(i, n, spread);
                tokio::select! {
                    _ = tokio::time::sleep_until(at) => {}
                    _ = cancel.cancelled() => {}
                }
                feed
            })
            .take_while(|_| std::future::ready(!cancel.is_cancelled()))
            .map(|feed| self.poll_feed(feed))
            .buffer_unordered(concurrency.max(1));
        let mut results = std::pin::pin!(results);
        while let Some(report) = results.next().await {
            let report = report?;
            summary.add(&report);
            on_done(&report);
        }
        summary.elapsed = started.elapsed();
        Ok(summary)
    }

    /// Orders feeds round-robin by host group ([`scheduler::interleave`]),
    /// so that consecutive starts go to different hosts.
    pub fn order_by_host(&self, feeds: Vec<FeedRecord>) -> Vec<FeedRecord> {
        scheduler::interleave(feeds, |f| self.hosts.group_key(&f.url))
    }

    /// Polls one feed and records the result. Anything the feed or the
    /// network does is in the report, and so is a store error that concerns
    /// only this feed (it was removed meanwhile, a constraint, a busy
    /// timeout), so one feed never stops a pass or the daemon. Only a store
    /// that is gone is an `Err`.
    pub async fn poll_feed(&self, feed: FeedRecord) -> Result<FeedReport, StoreError> {
        let span = info_span!("poll", feed_id = feed.id.0, feed_url = %feed.url);
        let (feed_id, feed_url) = (feed.id, feed.url.clone());
        let started = Instant::now();
        match self.poll_feed_inner(feed).instrument(span.clone()).await {
            Ok(report) => Ok(report),
            Err(StoreError::Closed) => Err(StoreError::Closed),
            Err(e) => {
                let outcome = match &e {
                    StoreError::NotFound(_) => {
                        span.in_scope(|| warn!(error = %e, "feed poll not recorded"));
                        "feed_removed"
                    }
                    _ => {
                        span.in_scope(|| error!(error = %e, "feed poll not recorded"));
                        "store_error"
                    }
                };
                Ok(FeedReport::unfetched(
                    feed_id,
                    feed_url,
                    outcome,
                    Some(e.to_string()),
                    started.elapsed(),
                ))
            }
        }
    }

    async fn poll_feed_inner(&self, feed: FeedRecord) -> Result<FeedReport, StoreError> {
        let started_at = Utc::now();
        let clock = Instant::now();
        let host = match self
            .hosts
            .acquire_within(&feed.url, self.max_host_wait)
            .await
        {
            Ok(permit) => permit,
            Err(retry_at) => return self.defer(feed, retry_at, clock).await,
        };
        let fetch_clock = Instant::now();
        let fetch = self.fetcher.fetch(&feed.url, &feed.validators).await;
        let fetch_elapsed = fetch_clock.elapsed();
        drop(host);
        let moved = scheduler::track_move(
            feed.moved_to.as_deref().map(|t| (t, feed.moved_count)),
            fetch.permanent_redirect.as_deref(),
            &self.policy,
        );
        for hop in &fetch.redirects {
            if matches!(hop.status, 301 | 308) {
                info!(from = %hop.from, to = %hop.to, status = hop.status, "redirected permanently");
            } else {
                debug!(from = %hop.from, to = %hop.to, status = hop.status, "redirected");
            }
        }
        let mut record = PollRecord::started(feed.id, feed.url.clone(), started_at);
        record.status = fetch.status;
        record.bytes = fetch.bytes;
        match moved {
            Move::None => {}
            Move::Track { target, count } => {
                record.moved_to = Some(target);
                record.moved_count = count;
            }
            Move::Persist(target) => {
                info!(redirect_to = %target, "feed moved: permanent redirect seen on consecutive polls");
                record.new_url = Some(target);
            }
        }
        // The server that answered, at the end of any redirects: the one a
        // 429 or `Retry-After` speaks for.
        let answered_by = fetch.final_url.clone();
        let (verdict, freshness) = self.apply_fetch(&feed, fetch, &mut record).await?;
        let elapsed = clock.elapsed();
        record.finished_at = Utc::now();
        record.duration_ms = elapsed.as_millis() as u64;
        if let Verdict::Failed { retry_after } = verdict {
            self.slow_host(&answered_by, record.status, retry_after);
        }
        // A new document's advice replaces the stored one; a 304, an
        // identical body or a failure keep what the last document said.
        let (doc, posting) = match record.schedule {
            Some((doc, posting)) => (doc, posting),
            None => (feed.schedule, feed.posting),
        };
        let hints = Hints::new(&doc, freshness);
        let state = FeedState {
            interval: feed.interval_secs.map(Duration::from_secs),
            posting,
            consecutive_errors: match verdict {
                Verdict::Answered => 0,
                _ => feed.consecutive_errors.saturating_add(1),
            },
        };
        if record.state == "failing" {
            let since = feed.failing_since.unwrap_or(record.finished_at);
            record.state =
                scheduler::failure_state(record.status, since, record.finished_at, &self.policy);
        }
        let jitter = jitter(feed.id, record.finished_at);
        // A gone feed keeps its time; its state keeps it out of the due query.
        record.next_check_at = scheduler::next_check(
            record.finished_at,
            verdict,
            &state,
            &hints,
            &self.policy,
            jitter,
        )
        .unwrap_or(record.finished_at);
        let outcome = record.outcome.clone();
        let error = record.error.clone();
        let status = record.status;
        let bytes = record.bytes;
        let items = self.store.record_poll(record).await?;
        let elapsed_ms = elapsed.as_millis() as u64;
        match &error {
            None => info!(
                status,
                outcome = %outcome,
                bytes,
                items_seen = items.seen,
                items_new = items.new,
                items_updated = items.updated,
                elapsed_ms,
                "feed polled"
            ),
            Some(e) => {
                warn!(status, outcome = %outcome, bytes, elapsed_ms, error = %e, "feed poll failed")
            }
        }
        Ok(FeedReport {
            feed_id: feed.id,
            feed_url: feed.url,
            status,
            outcome,
            items,
            error,
            elapsed,
            bytes,
            fetch_elapsed: Some(fetch_elapsed),
        })
    }

    /// Fills the record from the fetch: outcome, error, and for a new body
    /// the parsed articles.
    /// Moves a feed whose host is busy to the host's next free time. Not a
    /// fetch: nothing goes to the fetch log, and errors stay as they were.
    async fn defer(
        &self,
        feed: FeedRecord,
        retry_at: tokio::time::Instant,
        clock: Instant,
    ) -> Result<FeedReport, StoreError> {
        let wait = retry_at.saturating_duration_since(tokio::time::Instant::now());
        let at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero());
        self.store.defer_feed(feed.id, at).await?;
        debug!(
            retry_in_ms = wait.as_millis() as u64,
            "host busy; poll deferred"
        );
        Ok(FeedReport::unfetched(
            feed.id,
            feed.url,
            "deferred",
            None,
            clock.elapsed(),
        ))
    }

    /// Returns what the scheduler needs to know of the poll: its verdict,
    /// and how long the response said it stays fresh.
    async fn apply_fetch(
        &self,
        feed: &FeedRecord,
        fetch: Fetch,
        record: &mut PollRecord,
    ) -> Result<(Verdict, Option<Duration>), StoreError> {
        let final_url = fetch.final_url.clone();
        let moved = fetch.permanent_redirect.is_some();
        let body = match fetch.result {
            Ok(FetchOutcome::NotModified(cache)) => {
                record.outcome = "not_modified".to_string();
                return Ok((Verdict::Answered, cache.freshness(Utc::now())));
            }
            Ok(FetchOutcome::Fetched(body)) => body,
            Err(e) => {
                record.outcome = e.kind().to_string();
                record.error = Some(e.to_string());
                if matches!(e, FetchError::Gone) {
                    record.state = "gone";
                    return Ok((Verdict::Gone, None));
                }
                record.state = "failing";
                let retry_after = e.retry_after().map(|r| retry_delay(r, Utc::now()));
                return Ok((Verdict::Failed { retry_after }, None));
            }
        };
        let freshness = body.cache.freshness(Utc::now());
        let hash = body_hash(&body.bytes);
        record.validators = Some(body.validators.clone());
        // Servers that ignore conditional requests send the same bytes again;
        // an identical body cannot hold anything new, so skip the parse.
        if feed.body_hash.as_deref() == Some(hash.as_str()) {
            record.outcome = "unchanged".to_string();
            return Ok((Verdict::Answered, freshness));
        }
        let ingested = self
            .ingest(
                feed.id,
                body.bytes,
                body.content_type,
                final_url,
                feed.body_hash.is_none(),
            )
            .await?;
        match ingested {
            Ok(ing) => {
                record.outcome = if moved {
                    "redirected_permanently"
                } else {
                    "fetched"
                }
                .to_string();
                record.title = ing.title;
                record.site_url = ing.site_url;
                record.rights = ing.rights;
                record.articles = ing.articles;
                record.body_hash = Some(hash);
                record.schedule = Some((ing.schedule, ing.posting));
                record.near = self.near.clone();
                Ok((Verdict::Answered, freshness))
            }
            Err(e) => {
                record.outcome = "parse_error".to_string();
                record.error = Some(e);
                record.state = "failing";
                // Validators of an unparseable body must not turn the next
                // poll into a 304 that hides the problem.
                record.validators = None;
                Ok((Verdict::Failed { retry_after: None }, freshness))
            }
        }
    }
}

impl Pipeline {
    /// A 429, or any failure with `Retry-After`, is about the host, not only
    /// this feed: the host's other feeds wait too (the daemon defers them;
    /// `poll` reports them deferred). See [`scheduler::host_hold`].
    fn slow_host(&self, url: &str, status: Option<u16>, retry_after: Option<Duration>) {
        let Some(hold) = scheduler::host_hold(status, retry_after, &self.policy) else {
            return;
        };
        info!(
            host_group = %self.hosts.group_key(url),
            hold_secs = hold.as_secs(),
            "host asked us to slow down; holding its other feeds"
        );
        let now = tokio::time::Instant::now();
        // `max_backoff` is bounded by the config check; `checked_add` only
        // guards the platform's Instant range.
        if let Some(until) = now.checked_add(hold) {
            self.hosts.hold(url, until);
        }
    }
}

/// How long a `Retry-After` asks us to wait, seen from `now`.
fn retry_delay(r: RetryAfter, now: DateTime<Utc>) -> Duration {
    match r {
        RetryAfter::Seconds(s) => Duration::from_secs(s),
        RetryAfter::At(t) => (t - now).to_std().unwrap_or(Duration::ZERO),
    }
}

/// A draw in `[0, 1)` for schedule jitter, different per feed and per poll.
/// std's `RandomState` is seeded randomly per process, which is all the
/// randomness spreading feeds needs.
fn jitter(feed: FeedId, at: DateTime<Utc>) -> f64 {
    use std::hash::BuildHasher;
    let h =
        std::collections::hash_map::RandomState::new().hash_one((feed.0, at.timestamp_micros()));
    (h >> 11) as f64 / (1u64 << 53) as f64
}
