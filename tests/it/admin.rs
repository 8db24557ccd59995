//! The admin listener of `run` (`admin.listen`): `/metrics` counters move
//! with a real poll, `/healthz` and `/readyz` answer, `feedsieve
//! healthcheck` exits 0 against the daemon and 1 when nothing listens, and
//! a bad address or a port in use stops the start with the key named.

use crate::app::App;
use crate::bodies;
use crate::daemon::{kill_and_fail, signal, start_daemon_with};
use crate::process::wait_for;
use crate::server::TestServer;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Child;
use std::time::Duration;

const EX_CONFIG: i32 = 78;

/// Appends `text` (TOML tables) to the app's config file.
fn append_config(app: &App, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(app.config_path())
        .expect("open config");
    file.write_all(text.as_bytes()).expect("append to config");
}

/// The address the daemon logged as bound (`admin_listen` of its JSON log).
fn bound_address(app: &App) -> Option<SocketAddr> {
    let stderr = std::fs::read_to_string(app.dir().join("run.stderr")).ok()?;
    stderr.lines().find_map(|line| {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        v.get("admin_listen")?.as_str()?.parse().ok()
    })
}

/// A plain HTTP/1.1 GET: status and body.
fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

/// The value of the sample `series` (name and labels exactly as exposed),
/// 0 when the series is absent (a labelled counter appears on first use).
fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().expect("a number"))
        .unwrap_or(0.0)
}

const FETCHED_OK: &str = r#"feedsieve_fetches_total{outcome="fetched",status_class="2xx"}"#;
const ITEMS_NEW: &str = r#"feedsieve_items_total{kind="new"}"#;
const BYTES: &str = "feedsieve_fetched_bytes_total";
const DURATIONS: &str = "feedsieve_fetch_duration_seconds_count";

#[test]
fn metrics_move_with_a_poll_and_the_probes_answer() {
    let server = TestServer::start();
    let app = App::new(&[]);
    append_config(&app, "\n[admin]\nlisten = \"127.0.0.1:0\"\n");
    let mut child = start_daemon_with(&app, &[]);
    let Some(addr) = wait_for(Duration::from_secs(30), || bound_address(&app)) else {
        kill_and_fail(&mut child, &app, "the bound admin address was never logged");
    };
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0, "the log names the port actually bound");

    let scrape = |child: &mut Child| match get(addr, "/metrics") {
        Ok((200, body)) => body,
        other => kill_and_fail(child, &app, &format!("/metrics answered {other:?}")),
    };
    let before = scrape(&mut child);
    // `feedsieve_fetches` appears with its first fetch, checked below.
    for name in [
        "feedsieve_fetched_bytes",
        "feedsieve_items",
        "feedsieve_items_syndicated",
        "feedsieve_items_near_duplicate",
        "feedsieve_fetch_duration_seconds",
        "feedsieve_feeds",
        "feedsieve_scheduler_lag_seconds",
        "feedsieve_scheduler_tick_age_seconds",
        "feedsieve_database_size_bytes",
    ] {
        assert!(
            before.contains(&format!("# HELP {name} ")),
            "no HELP for {name}:\n{before}"
        );
    }
    assert_eq!(sample(&before, FETCHED_OK), 0.0, "{before}");
    assert_eq!(sample(&before, DURATIONS), 0.0, "{before}");
    assert!(sample(&before, "feedsieve_database_size_bytes") > 0.0);

    // Add a feed and make the daemon read it now (SIGHUP), not after its
    // 30 s idle sleep.
    let feed = server.url("/fixtures/rss2.xml");
    append_config(&app, &format!("\n[[feeds]]\nurl = \"{feed}\"\n"));
    signal(&child, "HUP");
    let after = wait_for(Duration::from_secs(30), || {
        let m = get(addr, "/metrics").ok()?.1;
        (sample(&m, FETCHED_OK) >= 1.0).then_some(m)
    });
    let Some(after) = after else {
        kill_and_fail(&mut child, &app, "the poll never showed in /metrics");
    };
    assert_eq!(sample(&after, FETCHED_OK), 1.0, "{after}");
    assert!(after.contains("# HELP feedsieve_fetches "), "{after}");
    assert_eq!(sample(&after, DURATIONS), 1.0, "{after}");
    assert_eq!(
        sample(&after, BYTES),
        bodies::fixture("rss2.xml").len() as f64,
        "bytes fetched are the body's"
    );
    let stored = {
        let db = rusqlite::Connection::open_with_flags(
            app.db_path(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open the database read-only");
        db.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get::<_, i64>(0))
            .expect("count articles")
    };
    assert!(stored > 0);
    assert_eq!(sample(&after, ITEMS_NEW), stored as f64, "{after}");
    assert_eq!(sample(&after, r#"feedsieve_feeds{state="ok"}"#), 1.0);

    assert_eq!(get(addr, "/healthz").expect("healthz").0, 200);
    let (status, body) = get(addr, "/readyz").expect("readyz");
    assert_eq!((status, body.trim()), (200, "ready"));
    assert_eq!(get(addr, "/nothing").expect("404").0, 404);

    let probe = app.run(&["healthcheck", "--url", &format!("http://{addr}/readyz")]);
    assert_eq!(probe.code(), Some(0), "{probe:?}");
    assert!(probe.stdout.starts_with("ready: "), "{probe:?}");
    assert_eq!(probe.stdout.lines().count(), 1, "{probe:?}");

    signal(&child, "TERM");
    let exited = wait_for(Duration::from_secs(10), || child.try_wait().expect("wait"));
    match exited {
        Some(status) if status.success() => {}
        _ => kill_and_fail(&mut child, &app, "the daemon did not stop cleanly"),
    }
    assert!(
        get(addr, "/healthz").is_err(),
        "the listener stops with the daemon"
    );
}

/// A port nobody listens on: bound, then released.
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr")
}

#[test]
fn healthcheck_fails_when_nothing_listens() {
    let addr = free_port();
    let app = App::new(&[]);
    append_config(&app, &format!("\n[admin]\nlisten = \"{addr}\"\n"));
    let probe = app.run(&["healthcheck"]);
    assert_eq!(probe.code(), Some(1), "{probe:?}");
    assert!(
        probe.stdout.starts_with("not ready: ") && probe.stdout.contains(&addr.to_string()),
        "{probe:?}"
    );
    assert_eq!(probe.stdout.lines().count(), 1, "{probe:?}");

    let unset = App::new(&[]).run(&["healthcheck"]);
    assert_eq!(unset.code(), Some(1), "{unset:?}");
    assert!(unset.stdout.contains("admin.listen"), "{unset:?}");
}

#[test]
fn a_port_in_use_stops_the_start_naming_the_key() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = taken.local_addr().expect("local addr");
    let app = App::new(&[]);
    append_config(&app, &format!("\n[admin]\nlisten = \"{addr}\"\n"));
    let out = app.run(&["run"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr.contains("admin.listen") && out.stderr.contains(&addr.to_string()),
        "{out:?}"
    );
    assert!(out.stderr.to_lowercase().contains("in use"), "{out:?}");
}

#[test]
fn a_bad_admin_listen_is_a_config_error() {
    for bad in ["localhost:9464", "127.0.0.1", "127.0.0.1:70000"] {
        let app = App::new(&[]);
        append_config(&app, &format!("\n[admin]\nlisten = \"{bad}\"\n"));
        for command in [&["check-config"][..], &["run"][..]] {
            let out = app.run(command);
            assert_eq!(out.code(), Some(EX_CONFIG), "{bad} {command:?}: {out:?}");
            assert!(
                out.stderr.contains("admin.listen") && out.stderr.contains(bad),
                "{bad} {command:?}: {out:?}"
            );
        }
    }
}

/// Without a journal (containers, CI), `log.format = "journald"` is a
/// start-up error naming the key, not a silent loss of every log line.
#[test]
fn journald_without_a_journal_names_log_format() {
    if std::path::Path::new("/run/systemd/journal/socket").exists() {
        eprintln!("skipped: this machine has a journal");
        return;
    }
    let app = App::with_raw_config("[log]\nformat = \"journald\"\n");
    let out = app.run(&["feeds", "list"]);
    assert_eq!(out.code(), Some(EX_CONFIG), "{out:?}");
    assert!(out.stderr.contains("log.format"), "{out:?}");
    let checked = app.run(&["check-config"]);
    checked.assert_success("check-config with log.format = journald");
    assert!(checked.stdout.contains("log.format = \"journald\""));
}
