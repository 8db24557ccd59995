//! `poll`: one pass over due feeds (or all, or chosen ones), then exit.
//!
//! On a terminal a progress bar shows the pass; otherwise each feed gets a
//! plain line, so cron mail and CI logs stay readable.

use crate::cli::PollArgs;
use crate::pipeline::{FeedReport, PassSummary, Pipeline};
use anyhow::Result;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use tokio_util::sync::CancellationToken;

pub async fn poll(
    pipeline: &Pipeline,
    out: &mut dyn Write,
    args: &PollArgs,
    concurrency: usize,
    cancel: &CancellationToken,
) -> Result<PassSummary> {
    let store = &pipeline.store;
    let feeds = if !args.feed.is_empty() {
        let mut v = Vec::with_capacity(args.feed.len());
        for sel in &args.feed {
            v.push(store.find_feed(sel).await?);
        }
        v
    } else if args.all {
        store.enabled_feeds().await?
    } else {
        store.due_feeds(Utc::now(), usize::MAX).await?
    };
    let bar = if std::io::stderr().is_terminal() {
        let bar =
            ProgressBar::with_draw_target(Some(feeds.len() as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} feeds {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let summary = pipeline
        .poll_many(
            feeds,
            concurrency,
            std::time::Duration::ZERO,
            cancel,
            |r| match &bar {
                Some(bar) => {
                    bar.inc(1);
                    if r.failed() {
                        bar.println(report_line(r));
                    }
                }
                None => {
                    // A broken stdout (closed pipe) must not abort the pass.
                    let _ = writeln!(out, "{}", report_line(r));
                }
            },
        )
        .await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    writeln!(out, "{}", summary_line(&summary))?;
    Ok(summary)
}

fn report_line(r: &FeedReport) -> String {
    let status = r
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "-".to_string());
    match &r.error {
        Some(e) => format!(
            "feed {} {} {} {}: {e}",
            r.feed_id, status, r.outcome, r.feed_url
        ),
        None => format!(
            "feed {} {} {} {} new={} updated={}",
            r.feed_id, status, r.outcome, r.feed_url, r.items.new, r.items.updated
        ),
    }
}

/// The one-line summary of a pass.
pub fn summary_line(s: &PassSummary) -> String {
    format!(
        "poll: {} feeds, {} fetched, {} not modified, {} failed, {} items new, {} updated, {:.2} s",
        s.feeds,
        s.fetched,
        s.not_modified,
        s.failed,
        s.items_new,
        s.items_updated,
        s.elapsed.as_secs_f64()
    )
}
