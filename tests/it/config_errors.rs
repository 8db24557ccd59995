//! Configuration errors: exit code 78 (sysexits `EX_CONFIG`) with a message
//! naming the file and the key, for the file and for `FEEDSIEVE__*`
//! environment overrides; and the shipped example config is valid.

use crate::app::{App, Settings, binary, isolate};
use crate::process;
use std::path::PathBuf;

const EX_CONFIG: i32 = 78;

/// `(what, config file, text stderr must contain besides the file path)`.
const BAD_FILES: &[(&str, &str, &str)] = &[
    ("unknown key", "[http]\ntimeout_sec = 7\n", "timeout_sec"),
    ("unknown section", "[htttp]\ntimeout_secs = 7\n", "htttp"),
    (
        "wrong type",
        "[http]\ntimeout_secs = \"soon\"\n",
        "http.timeout_secs",
    ),
    (
        "zero timeout",
        "[http]\ntimeout_secs = 0\n",
        "http.timeout_secs",
    ),
    (
        "zero interval",
        "[scheduler]\ndefault_interval_secs = 0\n",
        "scheduler.default_interval_secs",
    ),
    (
        "tiny body cap",
        "[http]\nmax_body_bytes = 10\n",
        "http.max_body_bytes",
    ),
    ("bad log format", "[log]\nformat = \"xml\"\n", "log.format"),
    (
        "bad feed url",
        "[[feeds]]\nurl = \"https://ok.example/rss\"\n\n[[feeds]]\nurl = \"ftp://files.example/feed.xml\"\n",
        "feeds[1].url",
    ),
    (
        "relative feed url",
        "[[feeds]]\nurl = \"/news/rss.xml\"\n",
        "feeds[0].url",
    ),
    ("not TOML", "[http\ntimeout_secs = 7\n", ""),
];

#[test]
fn invalid_config_files_exit_78_naming_file_and_key() {
    let mut failures = Vec::new();
    for (what, toml, key) in BAD_FILES {
        // The database is kept inside the temp dir in case a bad file were
        // accepted; the run must not get as far as creating it.
        let app = App::with_raw_config(toml);
        for command in [&["check-config"][..], &["poll", "--all"][..]] {
            let out = app.run(command);
            let file = app.config_path().display().to_string();
            if out.code() != Some(EX_CONFIG)
                || !out.stderr.contains(&file)
                || !out.stderr.contains(key)
            {
                failures.push(format!(
                    "{what} ({}): exit {:?}, stderr {:?}; want exit 78 naming {file} and {key:?}",
                    command.join(" "),
                    out.code(),
                    out.stderr.trim()
                ));
            }
        }
        let strays: Vec<_> = std::fs::read_dir(app.dir())
            .expect("temp dir")
            .map(|e| e.expect("entry").file_name())
            .filter(|n| n != "feedsieve.toml")
            .collect();
        if !strays.is_empty() {
            failures.push(format!(
                "{what}: files created despite the bad config: {strays:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_environment_override_exits_78() {
    let app = App::new(&[]);
    let out = app.run_env(&["check-config"], &[("FEEDSIEVE__HTTP__TIMEOUT_SECS", "0")]);
    assert_eq!(out.code(), Some(EX_CONFIG), "stderr: {}", out.stderr);
    assert!(out.stderr.contains("http.timeout_secs"), "{}", out.stderr);
    let out = app.run_env(
        &["check-config"],
        &[("FEEDSIEVE__HTTP__TIMEOUT_SECS", "soon")],
    );
    assert_eq!(out.code(), Some(EX_CONFIG), "stderr: {}", out.stderr);
    assert!(out.stderr.contains("timeout_secs"), "{}", out.stderr);
}

#[test]
fn environment_overrides_the_file() {
    let settings = Settings {
        timeout_secs: 15,
        ..Settings::default()
    };
    let app = App::with_settings(
        &settings,
        &["https://news.example.com/world/rss.xml".to_string()],
    );
    let out = app.run(&["check-config"]);
    out.assert_success("check-config");
    assert!(
        out.stdout.contains("http.timeout_secs = 15"),
        "{}",
        out.stdout
    );
    let out = app.run_env(&["check-config"], &[("FEEDSIEVE__HTTP__TIMEOUT_SECS", "7")]);
    out.assert_success("check-config with an override");
    assert!(
        out.stdout.contains("http.timeout_secs = 7"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("feeds = 1 configured"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("configuration ok"), "{}", out.stdout);
}

#[test]
fn missing_config_file_exits_78() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nope/feedsieve.toml");
    let args = vec![
        "--config".to_string(),
        missing.display().to_string(),
        "check-config".to_string(),
    ];
    let out = process::run(&binary(), &args, |c| isolate(c, dir.path()), false);
    assert_eq!(out.code(), Some(EX_CONFIG), "stderr: {}", out.stderr);
    assert!(
        out.stderr.contains(&missing.display().to_string()),
        "{}",
        out.stderr
    );
}

#[test]
fn shipped_config_is_valid() {
    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/feedsieve.toml");
    let dir = tempfile::tempdir().expect("temp dir");
    let args = vec![
        "--config".to_string(),
        shipped.display().to_string(),
        "check-config".to_string(),
    ];
    let out = process::run(&binary(), &args, |c| isolate(c, dir.path()), false);
    out.assert_success("check-config on config/feedsieve.toml");
    assert!(out.stdout.contains("configuration ok"), "{}", out.stdout);
    assert!(
        out.stdout.contains("allow_private_networks = false"),
        "safe default shipped: {}",
        out.stdout
    );
    assert!(
        !dir.path().join("feedsieve.db").exists(),
        "check-config opens no database"
    );
}
