//! The `run` loop: poll due feeds until told to stop.
//!
//! One loop drives everything: it asks the store for due feeds (an indexed
//! query on `next_check_at`), queues them, and starts them as fetch slots
//! free up, so one slow feed never holds back the others (there is no
//! pass to wait for: a slot that frees starts the next due feed, and the
//! queue is refilled, without the feeds in flight, as soon as it is empty).
//! With nothing due it sleeps until the next feed is, or 30 s at most. SIGINT or SIGTERM cancels one token:
//! no new poll starts, polls in flight finish and commit, and the loop is
//! abandoned after `daemon.shutdown_grace_secs` at the latest. A started
//! transaction always completes, because it runs whole on the store thread.
//!
//! Under systemd (`Type=notify`) it reports READY once it runs (the store
//! is open and migrated by then), STOPPING when a stop begins, and, when
//! the unit sets `WatchdogSec`, a WATCHDOG ping every half period but only
//! after the store has answered a query: a wedged database gets the
//! service restarted instead of hanging silently. Outside systemd these
//! notifications are no-ops.
//!
//! With `admin.listen` set, the admin listener (`/metrics`, `/healthz`,
//! `/readyz`) runs beside the loop and stops with it; the loop beats its
//! heartbeat at every turn and counts every finished poll.
//!
//! Beside the loop, one task runs the retention cleanup 5 minutes after
//! start and then daily (with no `[retention]` limit set it deletes no
//! article, but still expires tombstones and frees pages); its batches
//! queue on the store thread between polls, and a stop ends it between two.

use crate::admin::{AdminServer, Telemetry};
use crate::model::FeedId;
use crate::pipeline::{FeedReport, PassSummary, Pipeline};
use crate::scheduler;
use crate::store::{FeedRecord, RetentionPolicy, Store, StoreError};
use chrono::Utc;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use sd_notify::NotifyState;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// Longest sleep between checks for due feeds, so feeds added by another
/// process (`feedsieve feeds add`) are noticed without a restart.
const MAX_IDLE: Duration = Duration::from_secs(30);

/// Longest a poll waits for its busy host before it is deferred to the
/// host's next free time, freeing its fetch slot for other hosts.
pub const MAX_HOST_WAIT: Duration = Duration::from_secs(2);

/// How many due feeds one refill of the queue takes at most.
const TICK_BATCH: usize = 1000;

/// What a tick runs with; replaced as a whole when the configuration is
/// reloaded (SIGHUP), and picked up at the next tick.
#[derive(Clone)]
pub struct Settings {
    pub pipeline: Pipeline,
    pub concurrency: usize,
    /// How long in-flight polls may take to finish after a stop signal.
    pub shutdown_grace: Duration,
    /// `[retention]`: what the daily cleanup deletes.
    pub retention: RetentionPolicy,
}

/// How long the run loop may go without a turn before `/readyz` calls it
/// stuck. Idle, it turns at least every [`MAX_IDLE`]; with every fetch slot
/// busy, whenever a poll ends, which the HTTP timeout bounds (a parse or a
/// commit after it adds less). Three times the longer of the two leaves
/// room for both: 90 s with the default 30 s timeout.
pub fn stale_tick_after(http_timeout: Duration) -> Duration {
    3 * MAX_IDLE.max(http_timeout)
}

/// Runs until `cancel` fires, then returns once in-flight work is done or
/// the grace period is over. `admin`, when given, is served meanwhile and
/// stopped before this returns.
pub async fn run(
    settings: watch::Receiver<Settings>,
    cancel: CancellationToken,
    admin: Option<AdminServer>,
) -> Result<(), StoreError> {
    let telemetry = admin.as_ref().map(AdminServer::telemetry);
    // A token of its own, so the listener stops however `run` ends.
    let admin_stop = cancel.child_token();
    let admin_task = admin.map(|admin| {
        let store = settings.borrow().pipeline.store.clone();
        tokio::spawn(admin.serve(store, admin_stop.clone()))
    });
    let result = run_until_stopped(settings, cancel, telemetry).await;
    admin_stop.cancel();
    if let Some(mut task) = admin_task {
        // Its store handle must be gone before the store can close; a
        // client holding a request open does not hold the exit up: past
        // the bound the task is aborted, which drops the handle.
        if tokio::time::timeout(Duration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            task.abort();
            let _ = task.await;
        }
    }
    result
}

async fn run_until_stopped(
    settings: watch::Receiver<Settings>,
    cancel: CancellationToken,
    telemetry: Option<Arc<Telemetry>>,
) -> Result<(), StoreError> {
    notify(&[NotifyState::Ready]);
    // Stops the watchdog and retention tasks (and their store handles)
    // however `run` ends.
    let watchdog_stop = cancel.child_token();
    let _stop_watchdog_on_return = watchdog_stop.clone().drop_guard();
    if let Some(period) = sd_notify::watchdog_enabled() {
        let store = settings.borrow().pipeline.store.clone();
        tokio::spawn(watchdog(store, period / 2, watchdog_stop.clone()));
    }
    tokio::spawn(retention(settings.clone(), watchdog_stop));
    let grace = settings.clone();
    let work = run_loop(settings, &cancel, telemetry);
    tokio::pin!(work);
    // `biased`: when the stop signal and the loop's own exit are ready
    // together, the stop path runs, so STOPPING is always sent.
    let finished = tokio::select! {
        biased;
        _ = cancel.cancelled() => None,
        res = &mut work => Some(res),
    };
    notify(&[NotifyState::Stopping]);
    if let Some(res) = finished {
        return res;
    }
    let grace = grace.borrow().shutdown_grace;
    info!(
        grace_secs = grace.as_secs(),
        "stopping: waiting for polls in flight"
    );
    match tokio::time::timeout(grace, work).await {
        Ok(res) => res,
        Err(_) => {
            warn!("polls still in flight after the grace period; abandoning them");
            Ok(())
        }
    }
}

async fn run_loop(
    mut settings: watch::Receiver<Settings>,
    cancel: &CancellationToken,
    telemetry: Option<Arc<Telemetry>>,
) -> Result<(), StoreError> {
    let mut reloads_open = true;
    // Due feeds fetched from the store, each with the time it may start.
    let mut queue: VecDeque<(Instant, FeedRecord)> = VecDeque::new();
    let mut in_flight = FuturesUnordered::new();
    let mut busy: HashSet<FeedId> = HashSet::new();
    // Feeds whose poll could not be recorded keep their old, past
    // `next_check_at`; they rest a while instead of being polled again and
    // again while the database misbehaves.
    let mut resting: HashMap<FeedId, Instant> = HashMap::new();
    let mut summary = Summary::new(telemetry.clone());
    while !cancel.is_cancelled() {
        if let Some(t) = &telemetry {
            t.heartbeat.beat(Utc::now());
        }
        let Settings {
            pipeline,
            concurrency,
            ..
        } = settings.borrow_and_update().clone();
        if queue.is_empty() {
            resting.retain(|_, until| *until > Instant::now());
            refill(&pipeline, concurrency, &busy, &resting, &mut queue).await?;
        }
        while in_flight.len() < concurrency
            && queue.front().is_some_and(|(at, _)| *at <= Instant::now())
        {
            let Some((_, feed)) = queue.pop_front() else {
                break;
            };
            busy.insert(feed.id);
            let pipeline = pipeline.clone();
            in_flight.push(async move {
                let id = feed.id;
                (id, pipeline.poll_feed(feed).await)
            });
        }
        // What to wait for besides a poll finishing: the next queued start,
        // or, with nothing queued, the next feed to come due.
        let wake = if in_flight.len() >= concurrency {
            None
        } else if let Some((at, _)) = queue.front() {
            Some(*at)
        } else {
            let next = match pipeline.store.next_due_after(Utc::now()).await {
                Ok(next) => next,
                Err(StoreError::Closed) => return Err(StoreError::Closed),
                Err(_) => None,
            };
            let sleep = next
                .and_then(|t| (t - Utc::now()).to_std().ok())
                .unwrap_or(MAX_IDLE)
                .clamp(Duration::from_millis(200), MAX_IDLE);
            Some(Instant::now() + sleep)
        };
        tokio::select! {
            Some((id, report)) = in_flight.next(), if !in_flight.is_empty() => {
                busy.remove(&id);
                let report = report?;
                if report.outcome == "store_error" {
                    resting.insert(id, Instant::now() + STORE_ERROR_REST);
                }
                summary.add(&report);
            }
            _ = sleep_until_some(wake) => {}
            // A reload may have added feeds: look at once. Once nobody can
            // reload any more, `changed` would be ready forever; stop asking.
            changed = settings.changed(), if reloads_open => {
                reloads_open = changed.is_ok();
            }
            _ = cancel.cancelled() => {}
        }
        summary.log_every(SUMMARY_EVERY);
    }
    // Stopping: nothing new starts; polls in flight finish and commit
    // (`run` abandons them after the grace period).
    while let Some((_, report)) = in_flight.next().await {
        summary.add(&report?);
    }
    summary.log_every(Duration::ZERO);
    Ok(())
}

/// Queues the most overdue feeds not already in flight. More due feeds
/// than fetch slots is a burst (an import, a restart after downtime): their
/// starts are spread over `burst_spread` instead of firing at once.
async fn refill(
    pipeline: &Pipeline,
    concurrency: usize,
    busy: &HashSet<FeedId>,
    resting: &HashMap<FeedId, Instant>,
    queue: &mut VecDeque<(Instant, FeedRecord)>,
) -> Result<(), StoreError> {
    // Feeds in flight are still due until their poll commits: ask for
    // enough rows to see past them.
    let due = match pipeline
        .store
        .due_feeds(Utc::now(), TICK_BATCH + busy.len() + resting.len())
        .await
    {
        Ok(due) => due,
        Err(StoreError::Closed) => return Err(StoreError::Closed),
        // A locked or briefly unwritable database (another process holding
        // the lock, a full disk being cleaned) must not end the daemon: say
        // so and try again on the next tick.
        Err(e) => {
            error!(error = %e, "cannot read due feeds; retrying");
            return Ok(());
        }
    };
    let due: Vec<FeedRecord> = due
        .into_iter()
        .filter(|f| !busy.contains(&f.id) && !resting.contains_key(&f.id))
        .collect();
    let spread = if due.len() > concurrency {
        pipeline.policy.burst_spread
    } else {
        Duration::ZERO
    };
    let due = pipeline.order_by_host(due);
    let n = due.len();
    let tick = Instant::now();
    queue.extend(
        due.into_iter()
            .enumerate()
            .map(|(i, feed)| (tick + scheduler::stagger(i, n, spread), feed)),
    );
    Ok(())
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// How long a feed whose poll could not be recorded waits before the next try.
const STORE_ERROR_REST: Duration = Duration::from_secs(60);

/// How often the run loop logs what it polled.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// Polls finished since the last summary line, and the one place a
/// finished poll is counted for `/metrics`.
struct Summary {
    totals: PassSummary,
    since: Instant,
    telemetry: Option<Arc<Telemetry>>,
}

impl Summary {
    fn new(telemetry: Option<Arc<Telemetry>>) -> Summary {
        Summary {
            totals: PassSummary::default(),
            since: Instant::now(),
            telemetry,
        }
    }

    fn add(&mut self, report: &FeedReport) {
        self.totals.add(report);
        if let Some(t) = &self.telemetry {
            t.record(report);
        }
    }

    /// Logs the totals once `every` has passed since the last line, if
    /// anything was polled.
    fn log_every(&mut self, every: Duration) {
        if self.since.elapsed() < every {
            return;
        }
        let t = std::mem::take(&mut self.totals);
        if t.feeds > 0 {
            info!(
                feeds = t.feeds,
                fetched = t.fetched,
                deferred = t.deferred,
                not_modified = t.not_modified,
                failed = t.failed,
                items_new = t.items_new,
                items_updated = t.items_updated,
                window_secs = self.since.elapsed().as_secs(),
                "polls finished"
            );
        }
        self.since = Instant::now();
    }
}

/// Pings the systemd watchdog every `every` while the store answers.
async fn watchdog(store: Store, every: Duration, cancel: CancellationToken) {
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = cancel.cancelled() => return,
        }
        match store.ping().await {
            Ok(()) => notify(&[NotifyState::Watchdog]),
            Err(e) => error!(error = %e, "database does not answer; withholding the watchdog ping"),
        }
    }
}

/// Sends a state to systemd's notify socket; a failure only means systemd
/// will not hear it, which is worth a warning, not a stop.
fn notify(state: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(state) {
        warn!(error = %e, "cannot notify systemd");
    }
}

/// When the first retention cleanup runs after start: late enough not to
/// slow a restart's burst of overdue polls.
const FIRST_CLEANUP_AFTER: Duration = Duration::from_secs(5 * 60);

/// Time between two retention cleanups.
const CLEANUP_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Runs the retention cleanup (`[retention]`, read afresh each time, so a
/// reload applies) every [`CLEANUP_EVERY`], the first [`FIRST_CLEANUP_AFTER`]
/// after start. Its batches queue on the writer thread between polls; a
/// stop ends it between two batches.
async fn retention(settings: watch::Receiver<Settings>, cancel: CancellationToken) {
    let mut wait = FIRST_CLEANUP_AFTER;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = cancel.cancelled() => return,
        }
        wait = CLEANUP_EVERY;
        let (policy, store, near) = {
            let s = settings.borrow();
            (s.retention, s.pipeline.store.clone(), s.pipeline.near())
        };
        // Even with no limit set: tombstones of an earlier limit still
        // expire, and pages freed by `feeds remove` go back to the disk.
        match store
            .cleanup(policy, near, Utc::now(), false, &cancel)
            .await
        {
            Ok(r) => info!(
                articles_deleted = r.articles_deleted,
                feeds = r.feeds.len(),
                tombstones_written = r.tombstones_written,
                tombstones_dropped = r.tombstones_dropped,
                fetch_log_deleted = r.fetch_log_deleted,
                pages_freed = r.pages_freed,
                elapsed_ms = r.elapsed_ms,
                cancelled = r.cancelled,
                "retention cleanup finished"
            ),
            Err(e) => error!(error = %e, "retention cleanup failed; next try in 24 h"),
        }
    }
}

#[cfg(test)]
mod retention_tests {
    use super::*;
    use crate::config::Config;
    use crate::fetch::Fetcher;
    use crate::model::Article;
    use crate::scheduler::HostGates;
    use crate::store::{NewFeed, PollRecord};

    /// A store holding one feed of five articles, a day apart.
    async fn settings(dir: &tempfile::TempDir, max_per_feed: u32) -> Settings {
        let store = Store::open(&dir.path().join("t.db")).await.unwrap();
        let now = Utc::now();
        let feed = NewFeed {
            url: "https://a.example/rss".to_string(),
            name: None,
            interval: None,
            origin: "cli",
        };
        let id = store.add_feed(feed, now).await.unwrap().0.id;
        let articles = (0..5)
            .map(|i| Article {
                item_key: format!("k{i}"),
                content_hash: format!("h{i}"),
                published: Some(now - chrono::Duration::days(i)),
                ..Article::default()
            })
            .collect();
        let poll = PollRecord {
            outcome: "fetched".to_string(),
            articles,
            ..PollRecord::started(id, "https://a.example/rss".to_string(), now)
        };
        store.record_poll(poll).await.unwrap();
        let config = Config::load_with_env(None, Vec::new()).unwrap();
        let s = &config.scheduler;
        let pipeline = Pipeline::new(
            store,
            Fetcher::new(config.http.clone()).unwrap(),
            s.policy,
            config.max_future_skew,
            HostGates::new(s.per_host.clone(), s.host_groups.clone()),
        );
        Settings {
            pipeline,
            concurrency: 1,
            shutdown_grace: Duration::from_secs(1),
            retention: RetentionPolicy {
                max_age: None,
                max_per_feed: Some(max_per_feed),
                fetch_log_max_age: None,
            },
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_daily_cleanup_first_runs_minutes_after_start_and_stops_with_the_daemon() {
        let dir = tempfile::tempdir().unwrap();
        let settings = settings(&dir, 2).await;
        let store = settings.pipeline.store.clone();
        let (_keep, rx) = watch::channel(settings);
        let cancel = CancellationToken::new();
        let task = tokio::spawn(retention(rx, cancel.clone()));
        tokio::time::sleep(FIRST_CLEANUP_AFTER - Duration::from_secs(1)).await;
        assert_eq!(store.article_count().await.unwrap(), 5, "not yet");
        let mut left = 5;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            left = store.article_count().await.unwrap();
            if left == 2 {
                break;
            }
        }
        assert_eq!(left, 2, "the two newest are kept");
        cancel.cancel();
        // The task may be waiting on a store job (the vacuum after the
        // deletes), which takes real time: on a paused clock the bound
        // below would pass at once.
        tokio::time::resume();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the task ends when cancelled")
            .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_tick_is_three_of_the_longest_wait() {
        // The default 30 s timeout: the idle sleep and a poll are equal.
        assert_eq!(
            stale_tick_after(Duration::from_secs(30)),
            Duration::from_secs(90)
        );
        assert_eq!(
            stale_tick_after(Duration::from_secs(5)),
            Duration::from_secs(90)
        );
        assert_eq!(
            stale_tick_after(Duration::from_secs(120)),
            Duration::from_secs(360)
        );
    }
}
