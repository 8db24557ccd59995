//! `cleanup`: the daemon's daily retention run, by hand, with a dry run.
//!
//! What is deleted, and the tombstones, are the store's
//! ([`Store::cleanup`]); this prints one line per feed that lost articles
//! and a summary line, the same counts dry or not.

use crate::cli::CleanupArgs;
use crate::store::{CleanupReport, NearHandle, RetentionPolicy, Store};
use anyhow::Result;
use chrono::Utc;
use std::io::Write;
use tokio_util::sync::CancellationToken;

pub async fn cleanup(
    store: &Store,
    policy: RetentionPolicy,
    near: Option<NearHandle>,
    out: &mut dyn Write,
    args: &CleanupArgs,
    cancel: &CancellationToken,
) -> Result<CleanupReport> {
    if args.vacuum && store.convert_to_incremental_vacuum().await? {
        writeln!(
            out,
            "cleanup: database rewritten with auto_vacuum = incremental"
        )?;
    }
    if !policy.is_set() {
        writeln!(
            out,
            "cleanup: no limit set (retention.max_age_days, retention.max_articles_per_feed); no article is deleted"
        )?;
    }
    let report = store
        .cleanup(policy, near, Utc::now(), args.dry_run, cancel)
        .await?;
    let verb = if report.dry_run {
        "would be deleted"
    } else {
        "deleted"
    };
    for f in &report.feeds {
        writeln!(
            out,
            "feed {} {}: {} articles {verb}",
            f.feed_id, f.feed_url, f.articles
        )?;
    }
    writeln!(out, "{}", summary_line(&report))?;
    if !report.incremental_vacuum && !report.dry_run {
        writeln!(
            out,
            "cleanup: this database has auto_vacuum = none: freed pages are reused, but the file \
             does not shrink; run `feedsieve cleanup --vacuum` once with the daemon stopped"
        )?;
    }
    Ok(report)
}

/// The one-line summary of a cleanup.
pub fn summary_line(r: &CleanupReport) -> String {
    let mode = if r.dry_run {
        " (dry run, nothing deleted)"
    } else {
        ""
    };
    let stopped = if r.cancelled { ", stopped early" } else { "" };
    format!(
        "cleanup{mode}: {} articles deleted from {} feeds, {} tombstones written, {} tombstones dropped, {} fetch-log rows deleted, {} pages freed, {} ms{stopped}",
        r.articles_deleted,
        r.feeds.len(),
        r.tombstones_written,
        r.tombstones_dropped,
        r.fetch_log_deleted,
        r.pages_freed,
        r.elapsed_ms
    )
}
