//! `log` on the fetch log of real polls: newest first, the `--feed`,
//! `--errors`, `--since` and `--limit` filters, usage errors, the table,
//! and `--follow` streaming the rows another process writes.

use super::{Fixture, GOOD, ids, keys};
use crate::app::App;
use crate::process::wait_for;
use chrono::{Duration as ChronoDuration, SecondsFormat, Utc};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The documented keys of a `log --format json` row.
const LOG_KEYS: &[&str] = &[
    "id",
    "feed_id",
    "started_at",
    "url",
    "status",
    "outcome",
    "bytes",
    "items_seen",
    "items_new",
    "items_updated",
    "duration_ms",
    "error",
];

#[test]
fn log_lists_fetches_newest_first_with_filters() {
    let fx = Fixture::polled_twice();
    let all = fx.log(&[]);
    assert_eq!(all.len(), 9, "4 + 5 feeds polled, the gone one once");
    for row in &all {
        assert_eq!(keys(row), LOG_KEYS.iter().copied().collect(), "{row}");
        assert!(row["started_at"].as_str().unwrap().ends_with('Z'));
    }
    let all_ids = ids(&all);
    assert!(
        all_ids.windows(2).all(|w| w[0] > w[1]),
        "newest first: {all_ids:?}"
    );
    let newest = &all[0];
    assert!(newest["duration_ms"].is_u64() && newest["bytes"].is_u64());

    // --limit keeps the newest.
    assert_eq!(ids(&fx.log(&["--limit", "3"])), all_ids[..3]);

    // --feed by URL and by id.
    let good_id = fx.feed_id(&fx.good);
    for sel in [fx.good.clone(), good_id.to_string()] {
        let rows = fx.log(&["--feed", &sel]);
        let outcomes: Vec<&str> = rows
            .iter()
            .map(|r| r["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(outcomes, ["not_modified", "fetched"], "--feed {sel}");
        assert!(rows.iter().all(|r| r["feed_id"] == good_id));
        assert_eq!(rows[1]["status"], 200);
        assert!(rows[1]["items_new"].as_u64().unwrap() >= 3);
    }
    let unknown = fx
        .app
        .run(&["log", "--feed", "https://nowhere.example/rss"]);
    assert_eq!(unknown.code(), Some(1), "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("no feed matches"),
        "{}",
        unknown.stderr
    );

    // --errors: the 500 and 404 twice, the 410 once.
    let errors = fx.log(&["--errors"]);
    assert_eq!(errors.len(), 5);
    assert!(errors.iter().all(|r| r["error"].is_string()), "{errors:?}");
    let statuses: BTreeSet<i64> = errors
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, BTreeSet::from([404, 410, 500]));
    let error_id = fx.feed_id(&fx.error).to_string();
    assert_eq!(
        fx.log(&["--errors", "--feed", &error_id, "--limit", "1"])
            .len(),
        1
    );
    assert!(fx.log(&["--errors", "--feed", &fx.good]).is_empty());

    // --since: move the first pass three hours back.
    let first_pass: Vec<i64> = all_ids[4..].to_vec();
    let three_hours_ago = Utc::now() - ChronoDuration::hours(3);
    let db = fx.app.db();
    for id in &first_pass {
        db.execute(
            "UPDATE fetch_log SET started_at = ?1 WHERE id = ?2",
            rusqlite::params![
                three_hours_ago.to_rfc3339_opts(SecondsFormat::Secs, true),
                id
            ],
        )
        .expect("age a log row");
    }
    drop(db);
    assert_eq!(ids(&fx.log(&["--since", "2h"])), all_ids[..4]);
    assert_eq!(ids(&fx.log(&["--since", "90m", "--errors"])).len(), 2);
    assert_eq!(fx.log(&["--since", "4h"]).len(), 9);
    let between =
        (Utc::now() - ChronoDuration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    assert_eq!(ids(&fx.log(&["--since", &between])), all_ids[..4]);

    for bad in ["2x", "yesterday", "-1h", "2026-13-01T00:00:00Z"] {
        let out = fx.app.run(&["log", &format!("--since={bad}")]);
        assert_eq!(out.code(), Some(2), "--since {bad}: {}", out.stderr);
        assert!(
            out.stderr.contains("--since"),
            "names the flag: {}",
            out.stderr
        );
    }

    // The table: one line per row under a header, human sizes and times.
    let table = fx.app.run(&["log", "--feed", &fx.good]);
    table.assert_success("log");
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", table.stdout);
    assert!(lines[0].starts_with("started (UTC)"));
    assert!(
        lines[2].contains(" fetched ") && lines[2].contains(" KiB "),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].contains("ms ") || lines[2].contains("s "),
        "{}",
        lines[2]
    );
}

/// Reads a child's stdout lines on a thread.
fn line_reader(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The next `n` lines within `timeout`, parsed as JSON objects.
fn take_json(rx: &mpsc::Receiver<String>, n: usize, timeout: Duration, what: &str) -> Vec<Value> {
    let deadline = std::time::Instant::now() + timeout;
    let mut rows = Vec::new();
    while rows.len() < n {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("{what}: {} of {n} lines within {timeout:?}", rows.len()));
        rows.push(
            serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("{what}: not one JSON object per line ({e}): {line}")),
        );
    }
    rows
}

struct Follower {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn follow(app: &App, extra: &[&str]) -> Follower {
    let mut args = vec!["log", "--follow", "--format", "json"];
    args.extend_from_slice(extra);
    let mut child = app
        .command(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start log --follow");
    let lines = line_reader(&mut child);
    Follower { child, lines }
}

#[test]
fn log_follow_streams_rows_another_process_writes() {
    let fx = Fixture::polled_twice();
    let mut all = follow(&fx.app, &["--limit", "6"]);
    let errors = follow(&fx.app, &["--errors"]);
    let wait = Duration::from_secs(20);

    // What was logged before: the newest 6, oldest first.
    let first = take_json(&all.lines, 6, wait, "first rows");
    let first_ids = ids(&first);
    assert!(
        first_ids.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {first_ids:?}"
    );
    assert_eq!(*first_ids.last().unwrap(), 9, "ends with the newest");
    let first_errors = take_json(&errors.lines, 5, wait, "first error rows");
    assert!(first_errors.iter().all(|r| r["error"].is_string()));

    // Another process polls: the good feed answers 304 again, two feeds
    // fail again, the gone and disabled ones are skipped.
    fx.app.poll_all();
    let new = take_json(&all.lines, 3, wait, "rows of the new poll");
    let new_ids = ids(&new);
    assert!(
        new_ids.iter().all(|id| *id > 9),
        "only new rows: {new_ids:?}"
    );
    assert!(
        new_ids.windows(2).all(|w| w[0] < w[1]),
        "in the order logged"
    );
    let outcomes: BTreeSet<&str> = new.iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, BTreeSet::from(["not_modified", "http_error"]));
    for row in &new {
        assert_eq!(keys(row), LOG_KEYS.iter().copied().collect());
    }
    let new_errors = take_json(&errors.lines, 2, wait, "error rows of the new poll");
    assert!(
        new_errors.iter().all(|r| r["error"].is_string()),
        "{new_errors:?}"
    );
    assert_eq!(fx.server.stats(GOOD).not_modified, 2);

    // Nothing else arrives, and SIGTERM ends the stream with status 0.
    assert!(all.lines.recv_timeout(Duration::from_millis(1500)).is_err());
    crate::daemon::signal(&all.child, "TERM");
    let status = wait_for(Duration::from_secs(10), || {
        all.child.try_wait().expect("wait")
    })
    .expect("log --follow exits after SIGTERM");
    assert!(status.success(), "exit status {status}");
}
