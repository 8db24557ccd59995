//! The inspection commands on a database filled by real polls: `status`
//! (feed states, error counts, items, 304 shares, totals) and colour only
//! where it belongs; `log` and `log --follow` in [`log`].

mod log;

use crate::app::{App, isolate};
use crate::records::utc;
use crate::server::{self, TestServer};
use chrono::{Duration as ChronoDuration, SecondsFormat, Utc};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::{Command, Stdio};

pub const GOOD: &str = "/fixtures/rss2.xml";
const OTHER: &str = "/fixtures/atom.xml";
/// Not routed: the test server answers 404.
const MISSING: &str = "/special/missing";

/// The documented keys of `status --format json`.
const TOTALS_KEYS: &[&str] = &[
    "feeds",
    "feeds_by_state",
    "articles",
    "new_24h",
    "syndicated",
    "syndicated_share",
    "fetches",
    "not_modified",
    "not_modified_share",
    "database_bytes",
    "database_size",
];
const FEED_KEYS: &[&str] = &[
    "id",
    "url",
    "name",
    "state",
    "last_checked_at",
    "last_outcome",
    "last_status",
    "consecutive_errors",
    "last_error",
    "failing_since",
    "next_check_at",
    "items_total",
    "new_24h",
    "fetches",
    "not_modified",
    "not_modified_share",
];
/// A server and an installation with five feeds: one that answers (304 on
/// the second poll), one failing with 500, one 404, one 410, and one that
/// answers but is disabled after the polls.
pub struct Fixture {
    pub server: TestServer,
    pub app: App,
    pub good: String,
    pub error: String,
    pub missing: String,
    pub gone: String,
    pub disabled: String,
}

impl Fixture {
    /// Two `poll --all` passes; the gone feed is skipped by the second.
    pub fn polled_twice() -> Fixture {
        let server = TestServer::start();
        let good = server.url(GOOD);
        let error = server.url(server::SERVER_ERROR);
        let missing = server.url(MISSING);
        let gone = server.url(server::GONE);
        let disabled = server.url(OTHER);
        let all = [&good, &error, &missing, &gone, &disabled].map(|s| s.to_string());
        let app = App::new(&all);
        app.poll_all();
        app.poll_all();
        app.run(&["feeds", "disable", &disabled])
            .assert_success("feeds disable");
        Fixture {
            server,
            app,
            good,
            error,
            missing,
            gone,
            disabled,
        }
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.app.run(args);
        out.assert_success(&args.join(" "));
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", out.stdout))
    }

    pub fn log(&self, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["log", "--format", "json"];
        args.extend_from_slice(extra);
        match self.json(&args) {
            Value::Array(rows) => rows,
            other => panic!("log --format json is not an array: {other}"),
        }
    }

    pub fn feed_id(&self, url: &str) -> i64 {
        self.app.feed(url).id
    }
}

pub fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

pub fn ids(rows: &[Value]) -> Vec<i64> {
    rows.iter().map(|r| r["id"].as_i64().expect("id")).collect()
}

fn by_url<'a>(feeds: &'a [Value], url: &str) -> &'a Value {
    feeds
        .iter()
        .find(|f| f["url"] == url)
        .unwrap_or_else(|| panic!("no feed {url} in status"))
}

#[test]
fn status_reports_each_feed_and_the_totals() {
    let fx = Fixture::polled_twice();
    let app = &fx.app;
    // Two of the good feed's articles were first seen two days ago.
    let old = (Utc::now() - ChronoDuration::days(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let aged = app
        .db()
        .execute(
            "UPDATE articles SET first_seen = ?1 WHERE id IN
               (SELECT a.id FROM articles a JOIN feeds f ON f.id = a.feed_id
                WHERE f.url = ?2 ORDER BY a.id LIMIT 2)",
            [&old, &fx.good],
        )
        .expect("age two articles");
    assert_eq!(aged, 2);
    let good_items = app.articles(&["--feed", &fx.good]).len() as u64;
    let other_items = app.articles(&["--feed", &fx.disabled]).len() as u64;
    let syndicated = app.articles(&["--syndicated"]).len() as u64;
    assert!(good_items >= 3 && other_items >= 1);

    let before = Utc::now() - ChronoDuration::seconds(1);
    let status = fx.json(&["status", "--format", "json"]);
    let after = Utc::now() + ChronoDuration::seconds(1);
    assert_eq!(
        keys(&status),
        BTreeSet::from(["generated_at", "totals", "feeds"])
    );
    let generated = utc(status["generated_at"].as_str().expect("generated_at"));
    assert!(generated >= before && generated <= after);
    let feeds = status["feeds"].as_array().expect("feeds array");
    assert_eq!(feeds.len(), 5);
    for f in feeds {
        assert_eq!(keys(f), FEED_KEYS.iter().copied().collect(), "{f}");
    }

    let good = by_url(feeds, &fx.good);
    assert_eq!(good["state"], "ok");
    assert_eq!(good["consecutive_errors"], 0);
    assert_eq!(good["last_error"], Value::Null);
    assert_eq!(good["last_outcome"], "not_modified");
    assert_eq!(good["last_status"], 304);
    assert_eq!(good["items_total"], good_items);
    assert_eq!(good["new_24h"], good_items - 2);
    assert_eq!(
        (&good["fetches"], &good["not_modified"]),
        (&2.into(), &1.into())
    );
    assert_eq!(good["not_modified_share"], 0.5);
    let checked = utc(good["last_checked_at"].as_str().expect("last_checked_at"));
    let next = utc(good["next_check_at"].as_str().expect("next_check_at"));
    assert!(checked <= generated && next > generated, "{good}");
    assert!(good["last_checked_at"].as_str().unwrap().ends_with('Z'));

    let error = by_url(feeds, &fx.error);
    assert_eq!(error["state"], "failing");
    assert_eq!(error["consecutive_errors"], 2);
    assert_eq!(error["last_error"], "http status 500");
    assert_eq!(
        (&error["last_outcome"], &error["last_status"]),
        (&"http_error".into(), &500.into())
    );
    assert_eq!(
        (&error["items_total"], &error["new_24h"]),
        (&0.into(), &0.into())
    );
    assert_eq!(
        (&error["fetches"], &error["not_modified_share"]),
        (&2.into(), &0.0.into())
    );
    assert!(error["failing_since"].is_string() && error["next_check_at"].is_string());

    let missing = by_url(feeds, &fx.missing);
    // A 404 is `dead` only after scheduler.dead_after_secs (a week).
    assert_eq!(missing["state"], "failing");
    assert_eq!(missing["consecutive_errors"], 2);
    assert_eq!(missing["last_error"], "http status 404");

    let gone = by_url(feeds, &fx.gone);
    assert_eq!(gone["state"], "gone");
    assert_eq!(gone["consecutive_errors"], 1, "not polled after the 410");
    assert_eq!(gone["last_error"], "feed is gone (http 410)");
    assert_eq!(gone["last_status"], 410);
    assert_eq!(gone["next_check_at"], Value::Null, "never checked again");
    assert_eq!(gone["fetches"], 1);

    let disabled = by_url(feeds, &fx.disabled);
    assert_eq!(disabled["state"], "disabled");
    assert_eq!(disabled["next_check_at"], Value::Null);
    assert_eq!(disabled["items_total"], other_items);
    assert_eq!(disabled["not_modified_share"], 0.5);

    let totals = &status["totals"];
    assert_eq!(keys(totals), TOTALS_KEYS.iter().copied().collect());
    assert_eq!(totals["feeds"], 5);
    assert_eq!(
        totals["feeds_by_state"],
        serde_json::json!({"ok": 1, "failing": 2, "dead": 0, "gone": 1, "disabled": 1})
    );
    assert_eq!(totals["articles"], good_items + other_items);
    assert_eq!(totals["new_24h"], good_items + other_items - 2);
    assert_eq!(totals["syndicated"], syndicated);
    let share = syndicated as f64 / (good_items + other_items) as f64;
    let got = totals["syndicated_share"]
        .as_f64()
        .expect("syndicated_share");
    assert!((got - share).abs() < 1e-4, "{got} vs {share}");
    assert_eq!(
        (&totals["fetches"], &totals["not_modified"]),
        (&9.into(), &2.into())
    );
    assert_eq!(totals["not_modified_share"], 0.2222);
    let bytes = totals["database_bytes"].as_u64().expect("database_bytes");
    // The binary has exited and checkpointed: the file is all there is.
    let file = std::fs::metadata(app.db_path()).expect("db file").len();
    assert_eq!(bytes, file);
    let size = totals["database_size"].as_str().expect("database_size");
    let kib = bytes as f64 / 1024.0;
    assert!(
        size == format!("{kib:.1} KiB") || size == format!("{:.1} MiB", kib / 1024.0),
        "{size} for {bytes} bytes"
    );
}

#[test]
fn status_table_is_human_and_plain_off_a_terminal() {
    let fx = Fixture::polled_twice();
    for env in [vec![], vec![("NO_COLOR", "1")]] {
        let out = fx.app.run_env(&["status"], &env);
        out.assert_success("status");
        assert!(!out.stdout.contains('\x1b'), "{env:?}: {}", out.stdout);
        let text = &out.stdout;
        assert!(
            text.starts_with("feeds     5 (1 ok, 2 failing, 0 dead, 1 gone, 1 disabled)\n"),
            "{text}"
        );
        assert!(
            text.contains("fetches   9 logged (22% answered 304)"),
            "{text}"
        );
        let line = |url: &str| {
            text.lines()
                .find(|l| l.contains(url))
                .unwrap_or_else(|| panic!("no line for {url} in {text}"))
                .to_string()
        };
        let error = line(&fx.error);
        assert!(
            error.contains("failing") && error.contains("http_error 500"),
            "{error}"
        );
        // Polled a moment ago; backing off for about an hour.
        assert!(
            (error.contains("s ago") || error.contains(" now ")) && error.contains(" in "),
            "relative times: {error}"
        );
        assert!(error.ends_with("http status 500"), "{error}");
        let good = line(&fx.good);
        assert!(
            good.contains("not_modified 304") && good.contains("50%"),
            "{good}"
        );
        assert!(line(&fx.gone).contains("gone"));
    }
}

/// Runs `command` under a pseudo-terminal (util-linux `script`), so the
/// binary's standard output is a terminal; `None` where `script` is missing.
fn on_terminal(app: &App, args: &[&str], env: &[(&str, &str)]) -> Option<String> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())?;
    let mut line = format!(
        "'{}' --config '{}'",
        crate::app::binary().display(),
        app.config_path().display()
    );
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    let mut cmd = Command::new(script);
    cmd.args(["-q", "-e", "-c", &line, "/dev/null"]);
    isolate(&mut cmd, app.dir());
    cmd.env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    let out = cmd.output().expect("run script");
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn colour_on_a_terminal_unless_no_color_is_set() {
    let fx = Fixture::polled_twice();
    for args in [&["status"][..], &["log", "--errors"][..]] {
        let Some(coloured) = on_terminal(&fx.app, args, &[]) else {
            eprintln!("no `script` command: colour on a terminal is not tested");
            return;
        };
        assert!(
            coloured.contains("\x1b["),
            "{args:?} on a terminal: {coloured}"
        );
        let plain = on_terminal(&fx.app, args, &[("NO_COLOR", "1")]).expect("script");
        assert!(!plain.contains('\x1b'), "{args:?} with NO_COLOR=1: {plain}");
        // Same text, less colour.
        assert_eq!(plain.lines().count(), coloured.lines().count());
        let empty = on_terminal(&fx.app, args, &[("NO_COLOR", "")]).expect("script");
        assert!(
            empty.contains("\x1b["),
            "NO_COLOR= (empty) does not opt out"
        );
    }
    let json = on_terminal(&fx.app, &["status", "--format", "json"], &[]).expect("script");
    assert!(!json.contains('\x1b'), "JSON never has colour: {json}");
}
