//! What a poll's outcome does to the feed's schedule, read back from
//! `feeds.next_check_at`: failures back off, `Retry-After` is honoured, a
//! gone feed is not polled again.

use crate::app::{App, Settings};
use crate::daemon::start_daemon_with;
use crate::routes::Route;
use crate::server::{self, TestServer};
use axum::http::header;
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use std::ffi::OsStr;

/// Seconds from the last check to the next one, for the feed at `url`.
fn delay_secs(app: &App, url: &str) -> i64 {
    let conn = Connection::open(app.db_path()).expect("open database");
    let (checked, next): (String, String) = conn
        .query_row(
            "SELECT last_checked_at, next_check_at FROM feeds WHERE url = ?1",
            [url],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("feed row");
    let parse = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .expect("rfc3339")
            .with_timezone(&Utc)
    };
    (parse(&next) - parse(&checked)).num_seconds()
}

/// Asserts `got` is `want` plus at most the scheduler's 10% jitter (and a
/// second of rounding).
fn assert_delay(got: i64, want: i64, what: &str) {
    assert!(
        got >= want - 1 && got <= want + want / 10 + 1,
        "{what}: next check {got} s after the last, want {want} s (+10% jitter)"
    );
}

fn app_with(server: &TestServer, paths: &[&str]) -> (App, Vec<String>) {
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let settings = Settings {
        default_interval_secs: 600,
        ..Settings::default()
    };
    (App::with_settings(&settings, &urls), urls)
}

#[test]
fn repeated_server_errors_back_off_exponentially() {
    let server = TestServer::start();
    let (app, urls) = app_with(&server, &[server::SERVER_ERROR]);
    for (errors, want) in [(1, 600), (2, 1200), (3, 2400), (4, 4800)] {
        app.run(&["poll", "--feed", &urls[0]])
            .assert_success("poll");
        let feed = &app.feeds()[0];
        assert_eq!(feed.consecutive_errors, errors);
        assert_eq!(feed.state, "failing");
        assert_delay(
            delay_secs(&app, &urls[0]),
            want,
            &format!("after {errors} errors"),
        );
    }
}

#[test]
fn retry_after_is_honoured() {
    let server = TestServer::start();
    let (app, urls) = app_with(&server, &[server::RATE_LIMITED]);
    // The route says `Retry-After: 120`. With a 60 s interval the server's
    // wish is longer than the backoff and wins; with 600 s it is a floor
    // already met.
    let short = [
        ("FEEDSIEVE__SCHEDULER__MIN_INTERVAL_SECS", "30"),
        ("FEEDSIEVE__SCHEDULER__DEFAULT_INTERVAL_SECS", "60"),
    ];
    app.run_env(&["poll", "--all"], &short)
        .assert_success("poll");
    assert_delay(
        delay_secs(&app, &urls[0]),
        120,
        "429 with Retry-After: 120, 60 s interval",
    );
    assert_eq!(app.feeds()[0].last_outcome.as_deref(), Some("rate_limited"));
    app.run(&["poll", "--all"]).assert_success("poll");
    assert_delay(
        delay_secs(&app, &urls[0]),
        1200,
        "second 429, 600 s interval doubled",
    );
}

#[test]
fn a_gone_feed_is_not_polled_again() {
    let server = TestServer::start();
    let (app, urls) = app_with(&server, &[server::GONE, "/fixtures/atom.xml"]);
    app.run(&["poll", "--all"]).assert_success("first poll");
    assert_eq!(server.stats(server::GONE).requests, 1);
    let gone = app
        .feeds()
        .into_iter()
        .find(|f| f.url == urls[0])
        .expect("gone feed listed");
    assert_eq!(gone.state, "gone");
    let again = app.run(&["poll", "--all"]);
    again.assert_success("second poll");
    assert_eq!(
        server.stats(server::GONE).requests,
        1,
        "a 410 feed is not requested again"
    );
    assert!(
        again.stdout.contains("poll: 1 feeds"),
        "only the live feed is polled: {}",
        again.stdout
    );
    // The operator says it is back: polled again, from a clean state.
    let enabled = app.run(&["feeds", "enable", &urls[0]]);
    enabled.assert_success("feeds enable");
    assert!(enabled.stdout.contains("state ok"), "{}", enabled.stdout);
    let feed = app.feed(&urls[0]);
    assert_eq!((feed.state.as_str(), feed.consecutive_errors), ("ok", 0));
    app.run(&["poll", "--all"])
        .assert_success("poll after enable");
    assert_eq!(server.stats(server::GONE).requests, 2);
}

#[test]
fn disabled_feeds_are_not_polled_and_reset_clears_errors() {
    let server = TestServer::start();
    let (app, urls) = app_with(&server, &[server::SERVER_ERROR, "/fixtures/atom.xml"]);
    app.run(&["poll", "--all"]).assert_success("first poll");
    app.run(&["poll", "--all"]).assert_success("second poll");
    let failing = app.feed(&urls[0]);
    assert_eq!(
        (failing.state.as_str(), failing.consecutive_errors),
        ("failing", 2)
    );
    let listed = app.run(&["feeds", "list"]);
    assert!(
        listed.stdout.contains("last error") && listed.stdout.contains("500"),
        "feeds list shows the last error:\n{}",
        listed.stdout
    );

    app.run(&["feeds", "disable", &urls[1]])
        .assert_success("disable");
    let out = app.run(&["poll", "--all"]);
    out.assert_success("poll with one feed disabled");
    assert_eq!(
        server.stats("/fixtures/atom.xml").requests,
        2,
        "{}",
        out.stdout
    );
    let listed = app.run(&["feeds", "list"]);
    assert!(listed.stdout.contains("disabled"), "{}", listed.stdout);

    app.run(&["feeds", "reset", &urls[0]])
        .assert_success("reset");
    let reset = app.feed(&urls[0]);
    assert_eq!((reset.state.as_str(), reset.consecutive_errors), ("ok", 0));
    assert_eq!(reset.last_error, None);
    assert!(reset.next_check_at <= Utc::now(), "a reset feed is due now");
    app.run(&["feeds", "enable", &urls[1]])
        .assert_success("enable");
    app.run(&["poll", "--all"])
        .assert_success("poll after enable");
    assert_eq!(server.stats("/fixtures/atom.xml").requests, 3);
    let missing = app.run(&["feeds", "reset", "999"]);
    assert_eq!(missing.status.code(), Some(1), "{}", missing.stderr);
    assert!(missing.stderr.contains("no feed"), "{}", missing.stderr);
}

/// Polls `path` four times; returns the feed's URL after each poll.
fn urls_over_four_polls(server: &TestServer, path: &str) -> Vec<String> {
    let (app, _) = app_with(server, &[path]);
    (0..4)
        .map(|_| {
            app.run(&["poll", "--all"]).assert_success("poll");
            app.feeds()[0].url.clone()
        })
        .collect()
}

#[test]
fn a_permanent_redirect_moves_the_feed_after_three_polls() {
    let server = TestServer::start();
    let from = server.url(server::MOVED);
    let to = server.url("/fixtures/rss2.xml");
    let urls = urls_over_four_polls(&server, server::MOVED);
    assert_eq!(urls, [from.clone(), from, to.clone(), to]);
    assert_eq!(
        server.stats(server::MOVED).requests,
        3,
        "the fourth poll goes straight to the new URL"
    );
}

#[test]
fn a_temporary_redirect_never_moves_the_feed() {
    let server = TestServer::start();
    let path = "/special/temporarily-elsewhere";
    server.route(
        path,
        Route::status(302, &[(header::LOCATION, "/fixtures/rss2.xml")]),
    );
    let from = server.url(path);
    let urls = urls_over_four_polls(&server, path);
    assert_eq!(urls, vec![from; 4]);
    assert_eq!(server.stats(path).requests, 4);
}

#[test]
fn a_burst_of_due_feeds_is_staggered() {
    let server = TestServer::start();
    let (app, _) = app_with(&server, &[]);
    // 1,000 feeds, all due at once, as after a fresh import.
    let mut opml = String::from("<opml version=\"2.0\"><body>\n");
    for n in 0..1000 {
        let url = server.url(&format!("/fixtures/atom.xml?n={n}"));
        opml.push_str(&format!(
            "<outline text=\"f{n}\" xmlUrl=\"{}\"/>\n",
            url.replace('&', "&amp;")
        ));
    }
    opml.push_str("</body></opml>\n");
    let file = app.dir().join("burst.opml");
    std::fs::write(&file, opml).expect("write opml");
    app.run(&["feeds", "import", file.to_str().expect("utf-8 path")])
        .assert_success("feeds import");
    let spread = [("FEEDSIEVE__SCHEDULER__BURST_SPREAD_SECS", OsStr::new("20"))];
    let mut child = start_daemon_with(&app, &spread);
    // The first request marks the start of the tick; count one second on.
    let first = crate::process::wait_for(std::time::Duration::from_secs(30), || {
        (server.stats("/fixtures/atom.xml").requests > 0).then_some(())
    });
    std::thread::sleep(std::time::Duration::from_secs(1));
    let after_one_second = server.stats("/fixtures/atom.xml").requests;
    std::thread::sleep(std::time::Duration::from_secs(2));
    let after_three_seconds = server.stats("/fixtures/atom.xml").requests;
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.is_some(), "the daemon never started polling");
    // 1,000 over 20 s is 50 a second; allow for the moment we looked.
    assert!(
        after_one_second <= 120,
        "{after_one_second} of 1,000 feeds requested in the first second"
    );
    assert!(
        after_three_seconds > after_one_second,
        "polling goes on: {after_one_second} then {after_three_seconds}"
    );
}

#[test]
fn requests_to_one_host_are_spaced_by_the_minimum_interval() {
    let server = TestServer::start();
    let paths = [
        "/fixtures/atom.xml",
        "/fixtures/rss2.xml",
        "/fixtures/feed.json",
        "/fixtures/rss1.rdf",
    ];
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let settings = Settings {
        per_host_limits: true,
        ..Settings::default()
    };
    let app = App::with_settings(&settings, &urls);
    let out = app.run_env(
        &["poll", "--all"],
        &[("FEEDSIEVE__SCHEDULER__PER_HOST_MIN_INTERVAL_MS", "300")],
    );
    out.assert_success("poll");
    let arrivals = server.arrivals();
    assert_eq!(arrivals.len(), 4, "one request per feed");
    for pair in arrivals.windows(2) {
        let gap = pair[1] - pair[0];
        // Measured at the server: never closer than the minimum (less a
        // little for the time the request spends in transit).
        assert!(
            gap >= std::time::Duration::from_millis(280),
            "two requests to one host {gap:?} apart"
        );
    }
}

#[test]
fn the_daemon_defers_feeds_of_a_busy_host_and_still_polls_them_all() {
    let server = TestServer::start();
    let paths = [
        "/fixtures/atom.xml",
        "/fixtures/rss2.xml",
        "/fixtures/feed.json",
    ];
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let settings = Settings {
        per_host_limits: true,
        ..Settings::default()
    };
    let app = App::with_settings(&settings, &urls);
    // 3 s between requests to 127.0.0.1: longer than the daemon waits for a
    // host, so the second and third feeds are deferred, not waited for.
    let spacing = [(
        "FEEDSIEVE__SCHEDULER__PER_HOST_MIN_INTERVAL_MS",
        OsStr::new("3000"),
    )];
    let mut child = start_daemon_with(&app, &spacing);
    let all = crate::process::wait_for(std::time::Duration::from_secs(30), || {
        (server.arrivals().len() >= 3 && app.count("fetch_log") >= 3).then_some(())
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        all.is_some(),
        "not every feed was polled: {:?}",
        server.arrivals().len()
    );
    let arrivals = server.arrivals();
    for pair in arrivals.windows(2) {
        assert!(
            pair[1] - pair[0] >= std::time::Duration::from_millis(2900),
            "requests to one host {:?} apart",
            pair[1] - pair[0]
        );
    }
    assert_eq!(app.count("fetch_log"), 3, "deferrals are not fetches");
}

#[test]
fn a_503_with_retry_after_as_a_date_is_honoured() {
    let server = TestServer::start();
    let path = "/special/unavailable";
    let at = (Utc::now() + chrono::Duration::seconds(3 * 3600))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    server.route(path, Route::status(503, &[(header::RETRY_AFTER, &at)]));
    let (app, urls) = app_with(&server, &[path]);
    app.run(&["poll", "--all"]).assert_success("poll");
    let feed = app.feed(&urls[0]);
    assert_eq!(feed.last_outcome.as_deref(), Some("http_error"));
    assert_eq!(feed.state, "failing");
    // Three hours from the request (less the second lost to the date's
    // precision), not the 600 s interval.
    assert_delay(
        delay_secs(&app, &urls[0]),
        3 * 3600 - 1,
        "503 Retry-After date",
    );
}

/// Sets a feed's `next_check_at` to `secs_ago` seconds in the past, so
/// that feeds come due in a known order.
fn due_since(app: &App, url: &str, secs_ago: i64) {
    let at = (Utc::now() - chrono::Duration::seconds(secs_ago))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    app.db()
        .execute(
            "UPDATE feeds SET next_check_at = ?2 WHERE url = ?1",
            [url, at.as_str()],
        )
        .expect("set next_check_at");
}

#[test]
fn a_429_holds_the_other_feeds_of_its_host() {
    let server = TestServer::start();
    let paths = [
        server::RATE_LIMITED,
        "/fixtures/atom.xml",
        "/fixtures/rss2.xml",
    ];
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let settings = Settings {
        per_host_limits: true,
        ..Settings::default()
    };
    let app = App::with_settings(&settings, &urls);
    app.run(&["feeds", "list"])
        .assert_success("merge the config feeds");
    // The rate-limited feed is the most overdue, so it goes first.
    for (i, url) in urls.iter().enumerate() {
        due_since(&app, url, 100 - i as i64);
    }
    let out = app.run_env(
        &["poll", "--all"],
        &[("FEEDSIEVE__SCHEDULER__PER_HOST_MIN_INTERVAL_MS", "100")],
    );
    out.assert_success("poll");
    assert_eq!(server.stats(server::RATE_LIMITED).requests, 1);
    for path in &paths[1..] {
        assert_eq!(
            server.stats(path).requests,
            0,
            "{path} was requested while its host asked for 120 s of quiet:\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("deferred"), "{}", out.stdout);
    for url in &urls[1..] {
        let feed = app.feed(url);
        assert_eq!(feed.consecutive_errors, 0, "a deferral is not an error");
        let wait = (feed.next_check_at - Utc::now()).num_seconds();
        assert!(
            (100..=125).contains(&wait),
            "{url} deferred by {wait} s, want the 120 s hold"
        );
    }
}

/// An RSS document whose items were published `gaps_mins` apart, the
/// newest `gaps_mins` ago, with `extra` in the channel.
fn rss_posting_every(gaps_mins: i64, items: i64, extra: &str) -> String {
    let now = Utc::now();
    let mut xml = format!(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" \
         xmlns:sy=\"http://purl.org/rss/1.0/modules/syndication/\"><channel>\
         <title>Busy</title><link>https://busy.example/</link>{extra}\n"
    );
    for i in 1..=items {
        let at = now - chrono::Duration::minutes(i * gaps_mins);
        xml.push_str(&format!(
            "<item><title>Post {i}</title><guid>post-{i}</guid><pubDate>{}</pubDate></item>\n",
            at.to_rfc2822()
        ));
    }
    xml.push_str("</channel></rss>\n");
    xml
}

#[test]
fn the_interval_follows_the_posting_rate_and_the_publishers_hints() {
    let server = TestServer::start();
    let cases = [
        // (path, document, expected delay in seconds)
        ("/busy", rss_posting_every(10, 12, ""), 600),
        ("/hourly", rss_posting_every(60, 12, ""), 3600),
        (
            "/busy-with-ttl",
            rss_posting_every(10, 12, "<ttl>45</ttl>"),
            2700,
        ),
        (
            "/busy-wordpress",
            rss_posting_every(
                10,
                12,
                "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>1</sy:updateFrequency>",
            ),
            3600,
        ),
        // Old fixtures: nothing in the last 30 days, so the 24 h maximum.
        ("/fixtures/rss2.xml", String::new(), 86400),
    ];
    for (path, body, _) in &cases {
        if !body.is_empty() {
            server.serve(path, body.clone(), "application/rss+xml");
        }
    }
    let paths: Vec<&str> = cases.iter().map(|c| c.0).collect();
    let (app, urls) = app_with(&server, &paths);
    app.run(&["poll", "--all"]).assert_success("poll");
    for ((path, _, want), url) in cases.iter().zip(&urls) {
        assert_delay(delay_secs(&app, url), *want, path);
    }
    // A 304 keeps what the last document said.
    app.run(&["poll", "--feed", &urls[0]])
        .assert_success("second poll");
    assert_eq!(server.stats("/busy").not_modified, 1);
    assert_delay(delay_secs(&app, &urls[0]), 600, "after a 304");
}
