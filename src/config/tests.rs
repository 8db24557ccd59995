//! Configuration loading tests: layers, and errors that name key and file.

use super::*;
use std::io::Write;

fn write(contents: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    f.write_all(contents.as_bytes()).unwrap();
    f
}

fn load(contents: &str) -> Result<Config, ConfigError> {
    let f = write(contents);
    Config::load_with_env(Some(f.path()), Vec::new())
}

#[test]
fn defaults_are_valid() {
    let c = Config::load_with_env(None, Vec::new()).unwrap();
    assert_eq!(c.http.max_body_bytes, 16 * 1024 * 1024);
    assert!(!c.http.allow_private_networks);
    assert_eq!(c.log_format, LogFormat::Text);
    assert_eq!(c.database_path, PathBuf::from("feedsieve.db"));
}

#[test]
fn file_overrides_defaults_and_env_overrides_file() {
    let f = write("[http]\ntimeout_secs = 7\n[scheduler]\nmax_concurrent_fetches = 3\n");
    let env = vec![(
        "FEEDSIEVE__SCHEDULER__MAX_CONCURRENT_FETCHES".to_string(),
        "9".to_string(),
    )];
    let c = Config::load_with_env(Some(f.path()), env).unwrap();
    assert_eq!(c.http.timeout, Duration::from_secs(7));
    assert_eq!(c.scheduler.max_concurrent_fetches, 9);
    assert_eq!(c.http.connect_timeout, Duration::from_secs(10));
}

#[test]
fn unknown_key_names_key_and_file() {
    let f = write("[http]\ntimeout_sec = 7\n");
    let e = Config::load_with_env(Some(f.path()), Vec::new()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("timeout_sec"), "{msg}");
    assert!(msg.contains(&f.path().display().to_string()), "{msg}");
}

#[test]
fn wrong_type_names_key() {
    let e = load("[http]\ntimeout_secs = \"soon\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("timeout_secs"), "{e}");
}

#[test]
fn zero_timeout_rejected() {
    let e = load("[http]\ntimeout_secs = 0\n").unwrap_err().to_string();
    assert!(e.contains("http.timeout_secs"), "{e}");
}

#[test]
fn bad_feed_url_names_index() {
    let e = load("[[feeds]]\nurl = \"https://ok.example/feed\"\n[[feeds]]\nurl = \"ftp://x/y\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("feeds[1].url"), "{e}");
}

#[test]
fn feeds_parsed_with_optional_fields() {
    let c =
        load("[[feeds]]\nurl = \" https://a.example/rss \"\nname = \"A\"\ninterval_secs = 60\n")
            .unwrap();
    assert_eq!(
        c.feeds,
        vec![FeedConfig {
            url: "https://a.example/rss".to_string(),
            name: Some("A".to_string()),
            interval: Some(Duration::from_secs(60)),
        }]
    );
}

#[test]
fn bad_log_format_rejected() {
    let e = load("[log]\nformat = \"xml\"\n").unwrap_err().to_string();
    assert!(e.contains("log.format"), "{e}");
}

#[test]
fn missing_file_is_an_error() {
    let e = Config::load_with_env(Some(Path::new("/nonexistent/x.toml")), Vec::new()).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/x.toml"));
}

#[test]
fn absurd_durations_rejected() {
    let err = load("[scheduler]\nmax_backoff_secs = 9223372036854775807\n").unwrap_err();
    assert!(err.message.contains("scheduler.max_backoff_secs"), "{err}");
    assert!(err.message.contains("at most"), "{err}");
    let err = load("[daemon]\nshutdown_grace_secs = 0\n").unwrap_err();
    assert!(err.message.contains("daemon.shutdown_grace_secs"), "{err}");
    let ok = load("[scheduler]\nadaptive = false\n[daemon]\nshutdown_grace_secs = 5\n").unwrap();
    assert!(!ok.scheduler.policy.adaptive);
    assert_eq!(ok.shutdown_grace, std::time::Duration::from_secs(5));
}

#[test]
fn user_syndication_rules_are_checked_as_compiled() {
    let ok = load(
        "[[syndication.rules]]\nid = \"house\"\nreason = \"agency_credit\"\nstrength = \"medium\"\n\
         region = \"tail\"\npattern = '\\(via (?P<agency>{agency})\\)\\z'\nunless = '(?i)opinion'\n",
    )
    .unwrap();
    assert_eq!(ok.syndication.rules.len(), 1);
    let err = load(
        "[[syndication.rules]]\nid = \"bad\"\nreason = \"disclaimer\"\nstrength = \"strong\"\n\
         region = \"tail\"\npattern = 'ok'\nunless = '('\n",
    )
    .unwrap_err();
    assert!(
        err.message.contains("syndication.rules[0]") && err.message.contains("unless"),
        "{err}"
    );
    let err = load("[syndication]\ndisable_rules = [\"no.such\"]\n").unwrap_err();
    assert!(err.message.contains("syndication.disable_rules"), "{err}");
}

#[test]
fn mmap_is_given_in_mib_and_bounded() {
    let c = load("[database]\nmmap_mb = 256\n").unwrap();
    assert_eq!(c.store.mmap_bytes, 256 << 20);
    let err = load("[database]\nmmap_mb = 2000000\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("database.mmap_mb"), "{err}");
}

#[test]
fn retention_is_off_by_default_and_takes_positive_limits() {
    let c = Config::load_with_env(None, Vec::new()).unwrap();
    assert!(!c.retention.is_set());
    // The fetch log alone has a limit by default.
    assert_eq!(
        c.retention.fetch_log_max_age,
        Some(chrono::Duration::days(90))
    );
    let c =
        load("[retention]\nmax_age_days = 90\nmax_articles_per_feed = 500\nfetch_log_days = 7\n")
            .unwrap();
    assert_eq!(
        c.retention.fetch_log_max_age,
        Some(chrono::Duration::days(7))
    );
    assert_eq!(c.retention.max_age, Some(chrono::Duration::days(90)));
    assert_eq!(c.retention.max_per_feed, Some(500));
}

#[test]
fn retention_limits_of_zero_or_less_name_the_key() {
    for (toml, key) in [
        ("max_age_days = 0", "retention.max_age_days"),
        ("max_age_days = -3", "retention.max_age_days"),
        (
            "max_articles_per_feed = 0",
            "retention.max_articles_per_feed",
        ),
        (
            "max_articles_per_feed = -1",
            "retention.max_articles_per_feed",
        ),
        ("fetch_log_days = 0", "retention.fetch_log_days"),
    ] {
        let e = load(&format!("[retention]\n{toml}\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains(key), "{toml}: {e}");
    }
    let env = vec![(
        "FEEDSIEVE__RETENTION__MAX_AGE_DAYS".to_string(),
        "0".to_string(),
    )];
    let e = Config::load_with_env(None, env).unwrap_err().to_string();
    assert!(e.contains("retention.max_age_days"), "{e}");
}
