//! The `run` loop: poll due feeds until told to stop.
//!
//! One loop drives everything: it asks the store for due feeds (an indexed
//! query on `next_check_at`), polls them with bounded concurrency, then
//! sleeps until the next feed is due. SIGINT or SIGTERM cancels one token:
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

use crate::pipeline::Pipeline;
use crate::store::{Store, StoreError};
use chrono::Utc;
use sd_notify::NotifyState;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

/// Longest sleep between checks for due feeds, so feeds added by another
/// process (`feedsieve feeds add`) are noticed without a restart.
const MAX_IDLE: Duration = Duration::from_secs(30);

/// Longest a poll waits for its busy host before it is deferred to the
/// host's next free time, freeing its fetch slot for other hosts.
pub const MAX_HOST_WAIT: Duration = Duration::from_secs(2);

/// How many due feeds one tick takes at most.
const TICK_BATCH: usize = 1000;

/// What a tick runs with; replaced as a whole when the configuration is
/// reloaded (SIGHUP), and picked up at the next tick.
#[derive(Clone)]
pub struct Settings {
    pub pipeline: Pipeline,
    pub concurrency: usize,
    /// How long in-flight polls may take to finish after a stop signal.
    pub shutdown_grace: Duration,
}

/// Runs until `cancel` fires, then returns once in-flight work is done or
/// the grace period is over.
pub async fn run(
    settings: watch::Receiver<Settings>,
    cancel: CancellationToken,
) -> Result<(), StoreError> {
    notify(&[NotifyState::Ready]);
    // Stops the watchdog task (and its store handle) however `run` ends.
    let watchdog_stop = cancel.child_token();
    let _stop_watchdog_on_return = watchdog_stop.clone().drop_guard();
    if let Some(period) = sd_notify::watchdog_enabled() {
        let store = settings.borrow().pipeline.store.clone();
        tokio::spawn(watchdog(store, period / 2, watchdog_stop));
    }
    let grace = settings.clone();
    let work = run_loop(settings, &cancel);
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
) -> Result<(), StoreError> {
    let mut reloads_open = true;
    while !cancel.is_cancelled() {
        let Settings {
            pipeline,
            concurrency,
            ..
        } = settings.borrow_and_update().clone();
        let due = match pipeline.store.due_feeds(Utc::now(), TICK_BATCH).await {
            Ok(due) => due,
            Err(StoreError::Closed) => return Err(StoreError::Closed),
            // A locked or briefly unwritable database (another process
            // holding the lock, a full disk being cleaned) must not end the
            // daemon: say so and try again on the next tick.
            Err(e) => {
                error!(error = %e, "cannot read due feeds; retrying");
                Vec::new()
            }
        };
        if !due.is_empty() {
            // More due feeds than fetch slots is a burst (an import, a
            // restart after downtime): spread it instead of firing at once.
            let spread = if due.len() > concurrency {
                pipeline.policy.burst_spread
            } else {
                Duration::ZERO
            };
            let summary = pipeline
                .poll_many(due, concurrency, spread, cancel, |_| {})
                .await?;
            info!(
                feeds = summary.feeds,
                fetched = summary.fetched,
                deferred = summary.deferred,
                not_modified = summary.not_modified,
                failed = summary.failed,
                items_new = summary.items_new,
                items_updated = summary.items_updated,
                elapsed_ms = summary.elapsed.as_millis() as u64,
                "pass finished"
            );
            continue;
        }
        let next_due = pipeline.store.next_due_at().await.unwrap_or(None);
        let sleep = match next_due {
            Some(t) => (t - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(MAX_IDLE),
            None => MAX_IDLE,
        };
        tokio::select! {
            _ = tokio::time::sleep(sleep.max(Duration::from_millis(200))) => {}
            // A reload may have added feeds: look at once. Once nobody can
            // reload any more, `changed` would be ready forever; stop asking.
            changed = settings.changed(), if reloads_open => {
                reloads_open = changed.is_ok();
            }
            _ = cancel.cancelled() => {}
        }
    }
    Ok(())
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
