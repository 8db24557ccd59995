//! `status`: how every feed is doing, and totals for the database.
//!
//! The JSON form (`totals` and `feeds`) is a stable interface for
//! monitoring scripts: field names do not change, times are RFC 3339 UTC,
//! shares are fractions from 0 to 1 (`null` when there is nothing to
//! divide). The table is for people: relative times, human sizes, and the
//! state in colour on a terminal.

use super::human;
use super::paint::{Colour, Paint};
use super::table::{truncate, write_table};
use crate::cli::{ListFormat, StatusArgs};
use crate::store::ts as rfc3339;
use crate::store::{FeedCounts, FeedRecord, StatusCounts, Store};
use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// The states `status` reports, the same as the `/metrics` gauge's.
/// `disabled` is not a stored state but the `enabled` flag, which wins over
/// it: a disabled feed is not polled, whatever its last poll said.
pub use crate::store::FEED_STATES as STATES;

/// What `status --format json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub generated_at: String,
    pub totals: Totals,
    pub feeds: Vec<FeedStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub feeds: u64,
    /// Every one of [`STATES`], zeros included, plus any other stored state.
    pub feeds_by_state: BTreeMap<String, u64>,
    pub articles: u64,
    /// Articles first seen in the last 24 hours.
    pub new_24h: u64,
    pub syndicated: u64,
    pub syndicated_share: Option<f64>,
    /// Rows in the fetch log, and how many of them were 304 answers.
    pub fetches: u64,
    pub not_modified: u64,
    pub not_modified_share: Option<f64>,
    pub database_bytes: u64,
    /// `database_bytes` for people, e.g. `1.4 MiB`.
    pub database_size: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeedStatus {
    pub id: i64,
    pub url: String,
    /// The configured name, else the feed's own title.
    pub name: Option<String>,
    pub state: String,
    pub last_checked_at: Option<String>,
    pub last_outcome: Option<String>,
    pub last_status: Option<u16>,
    pub consecutive_errors: u32,
    pub last_error: Option<String>,
    pub failing_since: Option<String>,
    /// `null` for feeds that will not be polled: gone or disabled.
    pub next_check_at: Option<String>,
    pub items_total: u64,
    pub new_24h: u64,
    pub fetches: u64,
    pub not_modified: u64,
    pub not_modified_share: Option<f64>,
}

pub async fn status(
    store: &Store,
    out: &mut dyn Write,
    args: &StatusArgs,
    paint: Paint,
) -> Result<()> {
    let now = Utc::now();
    let feeds = store.list_feeds().await?;
    let counts = store.status_counts(now - Duration::hours(24)).await?;
    let report = build(&feeds, &counts, now);
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
        ListFormat::Table => write_human(out, &report, now, paint)?,
    }
    Ok(())
}

/// The state `status` and `feeds list` show for a feed.
pub fn state_of(feed: &FeedRecord) -> &str {
    if feed.enabled {
        &feed.state
    } else {
        "disabled"
    }
}

/// Puts feed rows and counts together. Counts and feeds are read in two
/// steps: a feed added in between simply has no counts yet.
pub fn build(feeds: &[FeedRecord], counts: &StatusCounts, now: DateTime<Utc>) -> StatusReport {
    let mut by_state: BTreeMap<String, u64> = STATES.iter().map(|s| (s.to_string(), 0)).collect();
    let rows: Vec<FeedStatus> = feeds
        .iter()
        .map(|f| {
            let state = state_of(f).to_string();
            *by_state.entry(state.clone()).or_default() += 1;
            let c = counts.feeds.get(&f.id.0).copied().unwrap_or_default();
            feed_status(f, state, c)
        })
        .collect();
    StatusReport {
        generated_at: rfc3339(now),
        totals: Totals {
            feeds: feeds.len() as u64,
            feeds_by_state: by_state,
            articles: counts.articles,
            new_24h: counts.articles_since,
            syndicated: counts.syndicated,
            syndicated_share: human::fraction(counts.syndicated, counts.articles),
            fetches: counts.fetches,
            not_modified: counts.not_modified,
            not_modified_share: human::fraction(counts.not_modified, counts.fetches),
            database_bytes: counts.database_bytes,
            database_size: human::bytes(counts.database_bytes),
        },
        feeds: rows,
    }
}

fn feed_status(f: &FeedRecord, state: String, c: FeedCounts) -> FeedStatus {
    let scheduled = !matches!(state.as_str(), "gone" | "disabled");
    FeedStatus {
        id: f.id.0,
        url: f.url.clone(),
        name: f.name.clone().or_else(|| f.title.clone()),
        last_checked_at: f.last_checked_at.map(rfc3339),
        last_outcome: f.last_outcome.clone(),
        last_status: f.last_status,
        consecutive_errors: f.consecutive_errors,
        last_error: f.last_error.clone(),
        failing_since: f.failing_since.map(rfc3339),
        next_check_at: scheduled.then(|| rfc3339(f.next_check_at)),
        items_total: c.articles,
        new_24h: c.articles_since,
        fetches: c.fetches,
        not_modified: c.not_modified,
        not_modified_share: human::fraction(c.not_modified, c.fetches),
        state,
    }
}

fn state_colour(state: &str) -> Option<Colour> {
    match state {
        "failing" => Some(Colour::Yellow),
        "dead" | "gone" => Some(Colour::Red),
        "disabled" => Some(Colour::Dim),
        _ => None,
    }
}

fn write_human(
    out: &mut dyn Write,
    report: &StatusReport,
    now: DateTime<Utc>,
    paint: Paint,
) -> std::io::Result<()> {
    let t = &report.totals;
    // The known states in their order of health, then any other.
    let others = t
        .feeds_by_state
        .keys()
        .filter(|s| !STATES.contains(&s.as_str()));
    let states: Vec<String> = STATES
        .iter()
        .copied()
        .chain(others.map(String::as_str))
        .map(|s| {
            let n = t.feeds_by_state.get(s).copied().unwrap_or(0);
            paint.paint(format!("{n} {s}"), state_colour(s).filter(|_| n > 0))
        })
        .collect();
    writeln!(out, "feeds     {} ({})", t.feeds, states.join(", "))?;
    writeln!(
        out,
        "articles  {} ({} new in 24h, {} syndicated)",
        t.articles,
        t.new_24h,
        human::percent(t.syndicated_share)
    )?;
    writeln!(
        out,
        "fetches   {} logged ({} answered 304)",
        t.fetches,
        human::percent(t.not_modified_share)
    )?;
    writeln!(
        out,
        "database  {} ({} bytes)",
        t.database_size, t.database_bytes
    )?;
    writeln!(out)?;
    let time = |s: &Option<String>, none: &str| {
        s.as_deref()
            .and_then(crate::store::parse_ts)
            .map_or_else(|| none.to_string(), |t| human::relative(t, now))
    };
    let rows: Vec<Vec<String>> = report
        .feeds
        .iter()
        .map(|f| {
            let next = match f.next_check_at.as_deref().and_then(crate::store::parse_ts) {
                Some(t) if t <= now => "due".to_string(),
                Some(t) => human::relative(t, now),
                None => "-".to_string(),
            };
            let outcome = match (&f.last_outcome, f.last_status) {
                (Some(o), Some(s)) => format!("{o} {s}"),
                (Some(o), None) => o.clone(),
                (None, _) => "-".to_string(),
            };
            vec![
                f.id.to_string(),
                paint.paint(f.state.clone(), state_colour(&f.state)),
                time(&f.last_checked_at, "never"),
                outcome,
                f.consecutive_errors.to_string(),
                next,
                f.items_total.to_string(),
                f.new_24h.to_string(),
                human::percent(f.not_modified_share),
                human::printable(&f.url),
                truncate(
                    &human::printable(f.last_error.as_deref().unwrap_or("-")),
                    60,
                ),
            ]
        })
        .collect();
    write_table(
        out,
        &[
            "id",
            "state",
            "last check",
            "outcome",
            "errors",
            "next check",
            "items",
            "new 24h",
            "304s",
            "url",
            "last error",
        ],
        &rows,
    )
}
