//! One feedsieve installation per test: a temp dir holding a generated
//! config file and the database, the binary run against it, and readers for
//! what it stored (`articles --format jsonl`, `feeds list --format json`,
//! and the SQLite file itself).

use crate::process::{self, Finished};
use crate::records::{Article, FeedRow, LogRow};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// The config values tests vary; everything else is fixed in [`App::with_settings`].
#[derive(Debug, Clone)]
pub struct Settings {
    pub timeout_secs: u64,
    pub max_body_bytes: u64,
    pub max_redirects: u32,
    pub allow_private_networks: bool,
    pub default_interval_secs: u64,
    pub max_concurrent_fetches: usize,
    /// Every test feed is on 127.0.0.1, one host: unless a test is about
    /// per-host spacing, a `[[host_groups]]` entry lifts the limits for it.
    pub per_host_limits: bool,
    /// `search.enabled` (the full-text index).
    pub search: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timeout_secs: 15,
            max_body_bytes: 4 << 20,
            max_redirects: 5,
            // The test server is on 127.0.0.1.
            allow_private_networks: true,
            default_interval_secs: 1800,
            max_concurrent_fetches: 8,
            per_host_limits: false,
            search: false,
        }
    }
}

pub struct App {
    dir: TempDir,
    config: PathBuf,
}

impl App {
    /// Default settings with `feeds` as `[[feeds]]` entries.
    pub fn new(feeds: &[String]) -> App {
        App::with_settings(&Settings::default(), feeds)
    }

    pub fn with_settings(s: &Settings, feeds: &[String]) -> App {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("feedsieve.db");
        let mut toml = format!(
            "[database]\npath = {db}\n\n\
             [http]\n\
             user_agent = \"feedsieve-integration-tests/0.1 (+https://github.com/feedsieve/feedsieve)\"\n\
             timeout_secs = {timeout}\nconnect_timeout_secs = 5\nmax_body_bytes = {max_body}\n\
             max_redirects = {redirects}\nallow_private_networks = {private}\n\n\
             [scheduler]\ndefault_interval_secs = {interval}\nmax_concurrent_fetches = {conc}\n\n\
             [normalize]\nmax_future_skew_secs = 600\n\n\
             [log]\nformat = \"json\"\nlevel = \"info\"\n\n\
             [search]\nenabled = {search}\n",
            db = toml_string(&db.display().to_string()),
            timeout = s.timeout_secs,
            max_body = s.max_body_bytes,
            redirects = s.max_redirects,
            private = s.allow_private_networks,
            interval = s.default_interval_secs,
            conc = s.max_concurrent_fetches,
            search = s.search,
        );
        for url in feeds {
            toml.push_str(&format!("\n[[feeds]]\nurl = {}\n", toml_string(url)));
        }
        if !s.per_host_limits {
            toml.push_str(&format!(
                "\n[[host_groups]]\nhosts = [\"127.0.0.1\"]\nconcurrency = {}\nmin_interval_ms = 0\n",
                s.max_concurrent_fetches
            ));
        }
        App::with_config_text(dir, &toml)
    }

    /// An installation whose config file is exactly `toml` (for config errors).
    pub fn with_raw_config(toml: &str) -> App {
        App::with_config_text(tempfile::tempdir().expect("temp dir"), toml)
    }

    fn with_config_text(dir: TempDir, toml: &str) -> App {
        let config = dir.path().join("feedsieve.toml");
        std::fs::write(&config, toml).expect("write config");
        App { dir, config }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> &Path {
        &self.config
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("feedsieve.db")
    }

    /// A command for the binary with this config, in the temp dir, with no
    /// `FEEDSIEVE*` or `RUST_LOG` inherited from the test environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(binary());
        cmd.arg("--config").arg(&self.config).args(args);
        isolate(&mut cmd, self.dir.path());
        cmd
    }

    /// Runs the binary to completion (bounded) with extra environment.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Finished {
        self.run_inner(args, env, false)
    }

    pub fn run(&self, args: &[&str]) -> Finished {
        self.run_inner(args, &[], false)
    }

    /// Like [`App::run`], measuring the child's peak RSS.
    pub fn run_measured(&self, args: &[&str]) -> Finished {
        self.run_inner(args, &[], true)
    }

    fn run_inner(&self, args: &[&str], env: &[(&str, &str)], measure: bool) -> Finished {
        let mut all = vec!["--config".to_string(), self.config.display().to_string()];
        all.extend(args.iter().map(|a| a.to_string()));
        process::run(
            &binary(),
            &all,
            |cmd| {
                isolate(cmd, self.dir.path());
                cmd.envs(env.iter().copied());
            },
            measure,
        )
    }

    /// `poll --all`, which must exit 0.
    pub fn poll_all(&self) -> Finished {
        let out = self.run(&["poll", "--all"]);
        out.assert_success("poll --all");
        out
    }

    /// `articles --format jsonl` plus `extra` filters, parsed.
    pub fn articles(&self, extra: &[&str]) -> Vec<Article> {
        let mut args = vec!["articles", "--format", "jsonl"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        out.assert_success("articles --format jsonl");
        out.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("bad jsonl line ({e}): {l}"))
            })
            .collect()
    }

    /// `feeds list --format json`, parsed.
    pub fn feeds(&self) -> Vec<FeedRow> {
        let out = self.run(&["feeds", "list", "--format", "json"]);
        out.assert_success("feeds list --format json");
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("feeds list is not JSON ({e}): {}", out.stdout))
    }

    /// The `feeds list` row for `url`.
    pub fn feed(&self, url: &str) -> FeedRow {
        let feeds = self.feeds();
        let urls: Vec<&str> = feeds.iter().map(|f| f.url.as_str()).collect();
        let msg = format!("no feed {url} among {urls:?}");
        feeds.into_iter().find(|f| f.url == url).expect(&msg)
    }

    /// A connection to the database file (the binary must not be writing).
    pub fn db(&self) -> Connection {
        Connection::open(self.db_path()).expect("open the database")
    }

    /// Fetch-log rows of the feed with `url`, oldest first.
    pub fn fetch_log(&self, url: &str) -> Vec<LogRow> {
        let db = self.db();
        let mut st = db
            .prepare(
                "SELECT l.status, l.outcome, l.bytes, l.items_seen, l.items_new, l.items_updated, l.error
                 FROM fetch_log l JOIN feeds f ON f.id = l.feed_id WHERE f.url = ?1 ORDER BY l.id",
            )
            .expect("fetch_log query");
        st.query_map([url], LogRow::from_row)
            .expect("fetch_log rows")
            .collect::<Result<_, _>>()
            .expect("fetch_log row")
    }

    /// `SELECT COUNT(*)` of a table.
    pub fn count(&self, table: &str) -> i64 {
        self.db()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .expect("count rows")
    }
}

/// Runs `cmd` in `dir` without the `FEEDSIEVE*` and `RUST_LOG` variables
/// of the test environment, so only what a test sets applies.
pub fn isolate(cmd: &mut Command, dir: &Path) {
    cmd.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("FEEDSIEVE") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
}

pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_feedsieve"))
}

/// A TOML basic string; JSON string escapes are valid TOML.
fn toml_string(s: &str) -> String {
    serde_json::to_string(s).expect("string to JSON")
}
