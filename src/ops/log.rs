//! `log`: the fetch history, newest first, and with `--follow` a live
//! stream of it while a daemon (another process) polls.
//!
//! JSON rows are [`FetchLogEntry`] as stored, a stable interface: under
//! `--follow` one object per line, so `jq -c` or a log shipper can read the
//! stream as it comes.

use super::human;
use super::paint::{Colour, Paint};
use crate::cli::{ListFormat, LogArgs};
use crate::store::{FetchLogEntry, LogFilter, LogFollower, Store};
use anyhow::{Context, Result};
use chrono::Utc;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often `--follow` looks for new rows: a daemon logs a fetch at a
/// time, and a second is as fresh as a person watching needs.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// `log`. With `args.follow`, runs until `stop` is cancelled or standard
/// output is closed; `database` is the file to follow.
pub async fn log(
    store: &Store,
    database: &Path,
    out: &mut dyn Write,
    args: &LogArgs,
    paint: Paint,
    stop: &CancellationToken,
) -> Result<()> {
    let feed = match &args.feed {
        Some(sel) => Some(store.find_feed(sel).await?.id),
        None => None,
    };
    let filter = LogFilter {
        feed,
        since: args.since.map(|s| s.resolve(Utc::now())),
        errors_only: args.errors,
        limit: args.limit,
    };
    if args.follow {
        return follow(database, out, filter, args.format, paint, stop).await;
    }
    let rows = store.fetch_log_filtered(filter).await?;
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
        ListFormat::Table => {
            write_header(out)?;
            for row in &rows {
                write_row(out, row, paint)?;
            }
        }
    }
    Ok(())
}

async fn follow(
    database: &Path,
    out: &mut dyn Write,
    filter: LogFilter,
    format: ListFormat,
    paint: Paint,
    stop: &CancellationToken,
) -> Result<()> {
    let path = database.to_path_buf();
    let (mut follower, first) =
        tokio::task::spawn_blocking(move || LogFollower::open(&path, filter))
            .await
            .context("the log reader stopped")??;
    if format == ListFormat::Table
        && let Err(e) = write_header(out)
    {
        return closed_is_done(e);
    }
    let mut rows = first;
    loop {
        if let Err(e) = write_stream(out, &rows, format, paint) {
            return closed_is_done(e);
        }
        tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            _ = tokio::time::sleep(FOLLOW_EVERY) => {}
        }
        // SQLite calls block; the connection moves to a blocking thread
        // and back for each read.
        let read = tokio::task::spawn_blocking(move || {
            let rows = follower.next_rows();
            (follower, rows)
        })
        .await
        .context("the log reader stopped")?;
        follower = read.0;
        rows = read.1?;
    }
}

/// A reader that went away (`log --follow | head`) ends the stream, not
/// in an error.
fn closed_is_done(e: io::Error) -> Result<()> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(e.into())
    }
}

/// Rows as they arrive, flushed at once so a pipe sees them without delay.
fn write_stream(
    out: &mut dyn Write,
    rows: &[FetchLogEntry],
    format: ListFormat,
    paint: Paint,
) -> io::Result<()> {
    for row in rows {
        match format {
            ListFormat::Json => {
                serde_json::to_writer(&mut *out, row)?;
                writeln!(out)?;
            }
            ListFormat::Table => write_row(out, row, paint)?,
        }
    }
    out.flush()
}

// Columns have fixed widths, not those of the widest cell as in other
// tables: under --follow rows arrive one by one and must line up with the
// header printed before them. The outcome column fits the longest label
// (`redirected_permanently`).
fn write_header(out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{:<20}  {:>5}  {:>6}  {:<22}  {:>9}  {:>10}  {:>7}  url / error",
        "started (UTC)", "feed", "status", "outcome", "new/seen", "size", "took"
    )
}

fn write_row(out: &mut dyn Write, row: &FetchLogEntry, paint: Paint) -> io::Result<()> {
    // `2026-12-05T15:20:01Z` -> `2026-12-05 15:20:01Z`.
    let started = row.started_at.replacen('T', " ", 1);
    let status = row
        .status
        .map_or_else(|| "-".to_string(), |s| s.to_string());
    let outcome = format!("{:<22}", row.outcome);
    let colour = match (&row.error, row.outcome.as_str()) {
        (_, "gone") => Some(Colour::Red),
        (Some(_), _) => Some(Colour::Yellow),
        (None, _) => None,
    };
    write!(
        out,
        "{:<20}  {:>5}  {:>6}  {}  {:>9}  {:>10}  {:>7}  {}",
        started,
        row.feed_id,
        status,
        paint.paint(outcome, colour),
        format!("{}/{}", row.items_new, row.items_seen),
        human::bytes(row.bytes),
        human::millis(row.duration_ms),
        human::printable(&row.url),
    )?;
    if let Some(e) = &row.error {
        write!(out, "  {}", human::printable(e))?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(error: Option<&str>) -> FetchLogEntry {
        FetchLogEntry {
            id: 7,
            feed_id: 3,
            started_at: "2026-12-05T15:20:01Z".to_string(),
            url: "https://example.com/rss".to_string(),
            status: Some(if error.is_some() { 500 } else { 200 }),
            outcome: if error.is_some() {
                "http_error"
            } else {
                "fetched"
            }
            .to_string(),
            bytes: 1536,
            items_seen: 10,
            items_new: 3,
            items_updated: 0,
            duration_ms: 120,
            error: error.map(str::to_string),
        }
    }

    #[test]
    fn rows_line_up_under_the_header() {
        let mut out = Vec::new();
        write_header(&mut out).unwrap();
        write_row(&mut out, &entry(None), Paint::PLAIN).unwrap();
        write_row(&mut out, &entry(Some("http status 500")), Paint::PLAIN).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1],
            "2026-12-05 15:20:01Z      3     200  fetched                      3/10     1.5 KiB    120ms  https://example.com/rss"
        );
        assert!(lines[2].ends_with("https://example.com/rss  http status 500"));
        let url_at = lines[0].find("url").unwrap();
        for line in &lines[1..] {
            assert_eq!(line.find("https://"), Some(url_at), "{line}");
        }
    }
}
