//! The `run` lifecycle: the daemon polls its feeds on start, stops on
//! SIGTERM within a bounded time with exit code 0, and leaves a sound
//! database behind, even when a fetch is in flight at the signal.

use crate::app::{App, Settings};
use crate::process::wait_for;
use crate::server::{self, TestServer};
use rusqlite::Connection;
use std::ffi::OsStr;
use std::fs::File;
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long the daemon may take to exit after SIGTERM.
const STOP_DEADLINE: Duration = Duration::from_secs(10);

/// Starts `feedsieve run` with output into files in the app's temp dir.
fn start_daemon(app: &App) -> Child {
    start_daemon_with(app, &[])
}

/// [`start_daemon`] with extra environment variables.
pub fn start_daemon_with(app: &App, env: &[(&str, &OsStr)]) -> Child {
    let log = |name: &str| File::create(app.dir().join(name)).expect("log file");
    app.command(&["run"])
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(log("run.stdout"))
        .stderr(log("run.stderr"))
        .spawn()
        .expect("start feedsieve run")
}

/// Kills the daemon and fails the test with `what` and its logs.
pub fn kill_and_fail(child: &mut Child, app: &App, what: &str) -> ! {
    let _ = child.kill();
    let _ = child.wait();
    panic!("{what}\n{}", logs(app));
}

/// Rows of `sql` (a COUNT query) once the database and table exist.
fn count(db: &Path, sql: &str) -> Option<i64> {
    let conn = Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.query_row(sql, [], |r| r.get(0)).ok()
}

fn sigterm(child: &Child) {
    signal(child, "TERM");
}

/// Waits for the daemon to exit after a stop signal and asserts it exited
/// with status 0; returns how long that took.
fn assert_clean_exit(child: &mut Child, app: &App) -> Duration {
    let (status, took) = wait_exit(child, app);
    assert!(
        status.success(),
        "exit status {status} after the stop signal\n{}",
        logs(app)
    );
    took
}

/// Waits up to [`STOP_DEADLINE`] for the child; kills it and fails if it hangs.
fn wait_exit(child: &mut Child, app: &App) -> (ExitStatus, Duration) {
    let started = Instant::now();
    let status = wait_for(STOP_DEADLINE, || child.try_wait().expect("wait for daemon"));
    match status {
        Some(s) => (s, started.elapsed()),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "daemon still running {STOP_DEADLINE:?} after SIGTERM\n{}",
                logs(app)
            );
        }
    }
}

/// What the daemon started by [`start_daemon_with`] printed.
pub fn logs(app: &App) -> String {
    let read = |n: &str| std::fs::read_to_string(app.dir().join(n)).unwrap_or_default();
    format!(
        "--- stdout\n{}\n--- stderr\n{}",
        read("run.stdout"),
        read("run.stderr")
    )
}

fn integrity(db: &Path) -> String {
    Connection::open(db)
        .expect("open database")
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}

#[test]
fn a_poll_longer_than_the_grace_period_is_abandoned() {
    let server = TestServer::start();
    let urls = [server.url(server::SLOW)];
    let app = App::new(&urls);
    let grace = [("FEEDSIEVE__DAEMON__SHUTDOWN_GRACE_SECS", OsStr::new("1"))];
    let mut child = start_daemon_with(&app, &grace);
    let started = wait_for(Duration::from_secs(30), || {
        (server.stats(server::SLOW).requests == 1).then_some(())
    });
    if started.is_none() {
        kill_and_fail(&mut child, &app, "the slow fetch never started");
    }
    sigterm(&child);
    // The body trickles for 12 s and the timeout is 15 s: only the 1 s
    // grace can end this.
    let took = assert_clean_exit(&mut child, &app);
    assert!(
        took < Duration::from_secs(4),
        "stopped {took:?} after SIGTERM"
    );
    assert!(
        logs(&app).contains("abandoning"),
        "the abandoned poll is logged\n{}",
        logs(&app)
    );
    assert_eq!(integrity(&app.db_path()), "ok");
    assert!(
        app.fetch_log(&urls[0]).is_empty(),
        "an abandoned poll records nothing; the feed stays due"
    );
}

#[test]
fn run_ingests_then_stops_cleanly_on_sigterm() {
    let server = TestServer::start();
    let urls = [
        server.url("/fixtures/rss2.xml"),
        server.url("/fixtures/feed.json"),
    ];
    let app = App::new(&urls);
    let mut child = start_daemon(&app);
    let db = app.db_path();
    let stored = wait_for(Duration::from_secs(30), || {
        count(&db, "SELECT COUNT(*) FROM articles").filter(|&n| n >= 7)
    });
    if stored.is_none() {
        kill_and_fail(
            &mut child,
            &app,
            "articles never appeared while `run` was running",
        );
    }
    sigterm(&child);
    let took = assert_clean_exit(&mut child, &app);
    eprintln!("daemon stopped {took:?} after SIGTERM");
    assert_eq!(integrity(&db), "ok");
    assert_eq!(app.count("articles"), 7);
    assert_eq!(
        app.count("fetch_log"),
        2,
        "each feed polled once: its interval has not passed"
    );
    assert!(
        app.feeds()
            .iter()
            .all(|f| f.last_outcome.as_deref() == Some("fetched"))
    );
}

#[test]
fn sigterm_during_a_slow_fetch_still_exits_in_time() {
    let server = TestServer::start();
    let urls = [server.url("/fixtures/atom.xml"), server.url(server::SLOW)];
    let settings = Settings {
        timeout_secs: 3,
        ..Settings::default()
    };
    let app = App::with_settings(&settings, &urls);
    let mut child = start_daemon(&app);
    let db = app.db_path();
    // The slow feed is in flight once the other one has been recorded and
    // the server has seen the slow request.
    let started = wait_for(Duration::from_secs(30), || {
        let atom_done = count(&db, "SELECT COUNT(*) FROM fetch_log").is_some_and(|n| n >= 1);
        (atom_done && server.stats(server::SLOW).requests == 1).then_some(())
    });
    if started.is_none() {
        kill_and_fail(&mut child, &app, "the slow fetch never started");
    }
    sigterm(&child);
    let took = assert_clean_exit(&mut child, &app);
    eprintln!("daemon with a fetch in flight stopped {took:?} after SIGTERM");
    assert_eq!(integrity(&db), "ok");
    assert_eq!(
        app.count("articles"),
        2,
        "the finished feed's articles are committed"
    );
    let slow = app.fetch_log(&urls[1]);
    let outcomes: Vec<&str> = slow.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        ["timeout"],
        "the in-flight poll finishes and is recorded, no new one starts"
    );
}

#[test]
fn a_feed_removed_during_its_poll_does_not_stop_the_daemon() {
    let server = TestServer::start();
    let urls = [server.url(server::SLOW), server.url("/fixtures/atom.xml")];
    let settings = Settings {
        timeout_secs: 3,
        ..Settings::default()
    };
    // Added by command, not listed in the config: config feeds are merged
    // back in by every command.
    let app = App::with_settings(&settings, &[]);
    app.run(&["feeds", "add", &urls[0]])
        .assert_success("feeds add");
    let mut child = start_daemon(&app);
    let started = wait_for(Duration::from_secs(30), || {
        (server.stats(server::SLOW).requests == 1).then_some(())
    });
    if started.is_none() {
        kill_and_fail(&mut child, &app, "the slow fetch never started");
    }
    // Removed by another process while its fetch is in flight: recording
    // that poll must fail for this feed only.
    app.run(&["feeds", "remove", &urls[0]])
        .assert_success("feeds remove");
    app.run(&["feeds", "add", &urls[1]])
        .assert_success("feeds add");
    let db = app.db_path();
    let ingested = wait_for(Duration::from_secs(60), || {
        count(&db, "SELECT COUNT(*) FROM articles").filter(|&n| n > 0)
    });
    let still_running = child.try_wait().expect("try_wait").is_none();
    if ingested.is_none() || !still_running {
        let what =
            format!("daemon stopped or never polled the new feed (running: {still_running})");
        kill_and_fail(&mut child, &app, &what);
    }
    sigterm(&child);
    assert_clean_exit(&mut child, &app);
    assert!(
        logs(&app).contains("feed poll not recorded"),
        "{}",
        logs(&app)
    );
    assert_eq!(integrity(&db), "ok");
}

#[test]
fn systemd_hears_ready_watchdog_and_stopping() {
    use std::os::unix::net::UnixDatagram;
    let server = TestServer::start();
    let app = App::with_settings(&Settings::default(), &[server.url("/fixtures/atom.xml")]);
    let socket_path = app.dir().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("bind notify socket");
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("socket timeout");
    let mut child = start_daemon_with(
        &app,
        &[
            ("NOTIFY_SOCKET", socket_path.as_os_str()),
            ("WATCHDOG_USEC", OsStr::new("400000")),
        ],
    );
    let mut heard: Vec<String> = Vec::new();
    let mut listen = |until: &dyn Fn(&[String]) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut buf = [0u8; 512];
        while Instant::now() < deadline && !until(&heard) {
            if let Ok(n) = socket.recv(&mut buf) {
                heard.push(String::from_utf8_lossy(&buf[..n]).trim().to_string());
            }
        }
    };
    let pings = |h: &[String]| h.iter().filter(|m| *m == "WATCHDOG=1").count();
    listen(&|h| pings(h) >= 2);
    sigterm(&child);
    listen(&|h| h.iter().any(|m| m == "STOPPING=1"));
    assert_clean_exit(&mut child, &app);
    assert_eq!(
        heard.first().map(String::as_str),
        Some("READY=1"),
        "{heard:?}"
    );
    assert!(pings(&heard) >= 2, "watchdog pings: {heard:?}");
    assert!(heard.iter().any(|m| m == "STOPPING=1"), "{heard:?}");
}

#[test]
fn the_shipped_unit_passes_systemd_analyze_verify() {
    let Ok(analyze) = which("systemd-analyze") else {
        eprintln!("systemd-analyze not installed; skipping");
        return;
    };
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/systemd/feedsieve.service"
    ))
    .expect("read unit");
    // verify checks that ExecStart exists; point it at the binary under test.
    let unit = unit.replace("/usr/local/bin/feedsieve", env!("CARGO_BIN_EXE_feedsieve"));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("feedsieve.service");
    std::fs::write(&path, unit).expect("write unit");
    let out = std::process::Command::new(analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .expect("run systemd-analyze");
    // verify exits 0 on unknown keys and bad values, only warning about
    // them, so any output at all is a failure.
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify objected:\n{said}"
    );
}

/// The path of `program` on PATH.
fn which(program: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or(())
}

/// Sends signal `name` (`TERM`, `HUP`, ...) to `child`.
pub fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} failed");
}

#[test]
fn sighup_reloads_the_feed_list_and_refuses_a_broken_config() {
    let server = TestServer::start();
    let app = App::new(&[server.url("/fixtures/atom.xml")]);
    let mut child = start_daemon(&app);
    let db = app.db_path();
    let feeds = |n: i64| {
        wait_for(Duration::from_secs(30), || {
            count(
                &db,
                "SELECT COUNT(*) FROM feeds WHERE last_checked_at IS NOT NULL",
            )
            .filter(|&c| c >= n)
        })
    };
    if feeds(1).is_none() {
        kill_and_fail(&mut child, &app, "the first feed was never polled");
    }
    let config = app.config_path().to_path_buf();
    let original = std::fs::read_to_string(&config).expect("read config");
    let added = format!(
        "{original}\n[[feeds]]\nurl = \"{}\"\n",
        server.url("/fixtures/rss2.xml")
    );
    std::fs::write(&config, added).expect("write config");
    signal(&child, "HUP");
    if feeds(2).is_none() {
        kill_and_fail(
            &mut child,
            &app,
            "the feed added by reload was never polled",
        );
    }
    std::fs::write(&config, "[http]\ntimeout_secs = 0\n").expect("write broken config");
    signal(&child, "HUP");
    let refused = wait_for(Duration::from_secs(10), || {
        logs(&app).contains("reload refused").then_some(())
    });
    if refused.is_none() || child.try_wait().expect("try_wait").is_some() {
        kill_and_fail(
            &mut child,
            &app,
            "a broken config was not refused while running on",
        );
    }
    sigterm(&child);
    assert_clean_exit(&mut child, &app);
    assert!(
        logs(&app).contains("configuration reloaded"),
        "{}",
        logs(&app)
    );
}

/// An RSS feed of `items` items with distinct guids and a paragraph each.
fn numbered_feed(feed: usize, items: usize) -> String {
    let now = chrono::Utc::now();
    let mut xml = format!(
        "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>Feed {feed}</title>\
         <link>https://site{feed}.example/</link>\n"
    );
    for i in 0..items {
        let at = now - chrono::Duration::minutes((i * 7 + feed) as i64);
        xml.push_str(&format!(
            "<item><title>Feed {feed} story {i}</title><guid>f{feed}-s{i}</guid>\
             <link>https://site{feed}.example/{i}</link><pubDate>{}</pubDate>\
             <description>&lt;p&gt;Story {i} of feed {feed}. {}&lt;/p&gt;</description></item>\n",
            at.to_rfc2822(),
            "Words that make the body long enough to take the store some work. ".repeat(12)
        ));
    }
    xml.push_str("</channel></rss>\n");
    xml
}

#[test]
fn sigkill_mid_ingest_then_restart_loses_and_duplicates_nothing() {
    const FEEDS: usize = 60;
    const ITEMS: usize = 200;
    let server = TestServer::start();
    let paths: Vec<String> = (0..FEEDS).map(|n| format!("/crash/{n}.xml")).collect();
    for (n, path) in paths.iter().enumerate() {
        server.serve(path, numbered_feed(n, ITEMS), "application/rss+xml");
    }
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let settings = Settings {
        max_concurrent_fetches: 2,
        ..Settings::default()
    };
    let app = App::with_settings(&settings, &urls);
    let db = app.db_path();
    // 60 due feeds over 2 fetch slots: a burst, spread over 6 s.
    let spread = [("FEEDSIEVE__SCHEDULER__BURST_SPREAD_SECS", OsStr::new("6"))];
    let mut child = start_daemon_with(&app, &spread);
    let polled = |db: &Path| count(db, "SELECT COUNT(*) FROM fetch_log").unwrap_or(0);
    let midway = wait_for(Duration::from_secs(30), || {
        (polled(&db) >= 10).then_some(())
    });
    // SIGKILL: no signal handler, no grace, transactions cut wherever they are.
    let _ = child.kill();
    let _ = child.wait();
    if midway.is_none() {
        panic!("the daemon did not poll 10 feeds in 30 s\n{}", logs(&app));
    }
    let conn = Connection::open(&db).expect("open database");
    let done_before: Vec<String> = conn
        .prepare("SELECT DISTINCT f.url FROM fetch_log l JOIN feeds f ON f.id = l.feed_id")
        .and_then(|mut st| {
            st.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()
        })
        .expect("feeds polled before the kill");
    let next_before: Vec<(String, String)> = conn
        .prepare("SELECT url, next_check_at FROM feeds ORDER BY url")
        .and_then(|mut st| {
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("schedule before the kill");
    drop(conn);
    eprintln!(
        "killed after {} of {FEEDS} feeds had committed",
        done_before.len()
    );
    assert!(
        done_before.len() < FEEDS,
        "every feed was done before the kill; the test needs a slower pass"
    );
    // The killed daemon had not written its near-duplicate index rows yet
    // (they wait in memory for 60 s or 50,000 rows): only the fingerprints.
    let unkeyed_before = count(&db, "SELECT COUNT(*) FROM near_docs WHERE keyed = 0").unwrap();
    assert!(
        unkeyed_before > 0,
        "nothing left for the restart to recompute"
    );

    let mut child = start_daemon_with(&app, &spread);
    let all = wait_for(Duration::from_secs(60), || {
        let feeds = count(&db, "SELECT COUNT(DISTINCT feed_id) FROM fetch_log")?;
        (feeds == FEEDS as i64).then_some(())
    });
    sigterm(&child);
    assert_clean_exit(&mut child, &app);
    if all.is_none() {
        panic!(
            "not every feed was polled after the restart\n{}",
            logs(&app)
        );
    }
    assert_eq!(integrity(&db), "ok");
    let articles = count(&db, "SELECT COUNT(*) FROM articles").unwrap();
    let distinct = count(
        &db,
        "SELECT COUNT(*) FROM (SELECT DISTINCT feed_id, guid FROM articles)",
    )
    .unwrap();
    assert_eq!(
        articles,
        (FEEDS * ITEMS) as i64,
        "articles lost or duplicated"
    );
    assert_eq!(distinct, articles, "an article stored twice");
    // The restart recomputed the rows the killed process had not written,
    // and the clean stop wrote everything.
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM near_docs WHERE keyed = 0"),
        Some(0)
    );
    assert_eq!(
        count(&db, "SELECT COUNT(DISTINCT article_id) FROM near_keys"),
        count(&db, "SELECT COUNT(*) FROM near_docs"),
        "every fingerprint has its index rows"
    );
    // The schedule resumed: a feed whose poll committed before the kill
    // was not fetched again (its next check is far ahead), and kept the
    // next check it had.
    for url in &done_before {
        let path = &url[url.find("/crash/").unwrap()..];
        assert_eq!(
            server.stats(path).requests,
            1,
            "{path} was polled before the kill and fetched again after the restart"
        );
    }
    let conn = Connection::open(&db).expect("open database");
    for (url, before) in next_before {
        if done_before.contains(&url) {
            let after: String = conn
                .query_row(
                    "SELECT next_check_at FROM feeds WHERE url = ?1",
                    [&url],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(after, before, "{url}: schedule not resumed");
        }
    }
}

#[test]
fn a_slow_feed_does_not_hold_back_the_others() {
    let server = TestServer::start();
    let app = App::new(&[server.url(server::SLOW)]);
    let fast = server.url("/fixtures/atom.xml");
    app.run(&["feeds", "add", &fast, "--interval", "1"])
        .assert_success("feeds add");
    let env = [("FEEDSIEVE__SCHEDULER__MIN_INTERVAL_SECS", OsStr::new("1"))];
    let mut child = start_daemon_with(&app, &env);
    let started = wait_for(Duration::from_secs(30), || {
        (server.stats(server::SLOW).requests == 1).then_some(())
    });
    if started.is_none() {
        kill_and_fail(&mut child, &app, "the slow fetch never started");
    }
    let before = server.stats("/fixtures/atom.xml").requests;
    // The slow body takes 12 s; a loop that waited for it would not poll
    // the 1 s feed again until it is done.
    std::thread::sleep(Duration::from_secs(6));
    let during = server.stats("/fixtures/atom.xml").requests - before;
    let slow_done = !app.fetch_log(&server.url(server::SLOW)).is_empty();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        !slow_done,
        "the slow fetch finished early; the test proves nothing"
    );
    assert!(
        during >= 3,
        "the 1 s feed was polled {during} times in 6 s while a slow fetch was in flight\n{}",
        logs(&app)
    );
}
