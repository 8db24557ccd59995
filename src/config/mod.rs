//! Configuration: built-in defaults, then the TOML file, then environment
//! variables `FEEDSIEVE__SECTION__KEY`, converted once into a validated,
//! typed [`Config`].
//!
//! Two layers on purpose: [`RawConfig`] mirrors the file (serde, unknown keys
//! refused), and [`Config::try_from_raw`] checks values and turns seconds into
//! `Duration`s. Every error names the key and the file, so an operator can
//! fix a typo without reading code. `check-config` runs exactly this code.

use crate::dedup::near::NearConfig;
use crate::fetch::HttpSettings;
use crate::scheduler::{HostGroup, HostLimits, Policy};
use crate::syndication::{self, Options as SyndicationOptions, RuleSet, RuleSpec, RulesError};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variable prefix; `FEEDSIEVE__HTTP__TIMEOUT_SECS=5` sets `http.timeout_secs`.
pub const ENV_PREFIX: &str = "FEEDSIEVE";

const DEFAULT_USER_AGENT: &str = concat!(
    "feedsieve/",
    env!("CARGO_PKG_VERSION"),
    " (feed poller; +https://github.com/feedsieve/feedsieve)"
);

/// An invalid configuration: where it came from and which key is wrong.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration in {source_name}: {message}")]
pub struct ConfigError {
    /// The file path, or "defaults/environment" when no file was given.
    pub source_name: String,
    pub message: String,
}

/// Largest `database.mmap_mb`.
const MAX_MMAP_MB: u64 = 1 << 20;

/// The file as written. Field names are the config keys.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub database: RawDatabase,
    pub http: RawHttp,
    pub scheduler: RawScheduler,
    pub normalize: RawNormalize,
    pub log: RawLog,
    pub daemon: RawDaemon,
    pub syndication: RawSyndication,
    pub near_duplicates: RawNearDuplicates,
    pub admin: RawAdmin,
    #[serde(default)]
    pub retention: RawRetention,
    #[serde(default)]
    pub search: RawSearch,
    #[serde(default)]
    pub feeds: Vec<RawFeed>,
    #[serde(default)]
    pub host_groups: Vec<RawHostGroup>,
}

/// A `[[host_groups]]` entry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawHostGroup {
    pub hosts: Vec<String>,
    #[serde(default)]
    pub concurrency: Option<usize>,
    #[serde(default)]
    pub min_interval_ms: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDatabase {
    pub path: PathBuf,
    #[serde(default)]
    pub mmap_mb: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    pub user_agent: String,
    pub timeout_secs: u64,
    pub connect_timeout_secs: u64,
    pub max_body_bytes: u64,
    pub max_redirects: u32,
    pub allow_private_networks: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawScheduler {
    pub default_interval_secs: u64,
    pub min_interval_secs: u64,
    pub max_interval_secs: u64,
    pub max_backoff_secs: u64,
    pub redirects_to_persist: u32,
    pub dead_after_secs: u64,
    pub burst_spread_secs: u64,
    pub adaptive: bool,
    pub per_host_concurrency: usize,
    pub per_host_min_interval_ms: u64,
    pub max_concurrent_fetches: usize,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawNormalize {
    pub max_future_skew_secs: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    pub format: String,
    pub level: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSyndication {
    pub enabled: bool,
    pub flag_agency_own_feed: bool,
    #[serde(default)]
    pub disable_rules: Vec<String>,
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawNearDuplicates {
    pub enabled: bool,
    pub max_distance: u32,
    pub short_text_words: u32,
    pub min_containment: f32,
    pub window_days: u32,
}

/// `[retention]`: both limits off unless set. Signed, so that a negative
/// value is refused by name rather than as a type error.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetention {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_articles_per_feed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch_log_days: Option<i64>,
}

/// `[search]`: the full-text index, off unless enabled.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawSearch {
    #[serde(default)]
    pub enabled: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDaemon {
    pub shutdown_grace_secs: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    pub url: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub interval_secs: Option<u64>,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
    /// Native journald records (structured fields), over its socket.
    Journald,
}

/// The validated configuration every other module receives.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_path: PathBuf,
    /// `database.mmap_mb`, for the store.
    pub store: crate::store::StoreOptions,
    /// `search.enabled`: keep the full-text index.
    pub search_enabled: bool,
    /// The fetch stage takes this as it is.
    pub http: HttpSettings,
    pub scheduler: SchedulerConfig,
    pub max_future_skew: Duration,
    pub log_format: LogFormat,
    pub log_level: String,
    /// How long `run` lets polls in flight finish after SIGTERM/SIGINT.
    pub shutdown_grace: Duration,
    pub syndication: SyndicationConfig,
    /// `None` when `near_duplicates.enabled` is off.
    pub near_duplicates: Option<NearDuplicates>,
    /// `admin.listen`: where `run` serves /metrics, /healthz and /readyz;
    /// `None` (the default) serves nothing.
    pub admin_listen: Option<SocketAddr>,
    /// `[retention]`; both limits off by default.
    pub retention: crate::store::RetentionPolicy,
    pub feeds: Vec<FeedConfig>,
    /// Where the file came from, for messages; None when only defaults and environment were used.
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// The scheduler takes this as it is.
    pub policy: Policy,
    pub max_concurrent_fetches: usize,
    /// Limits for a host group without its own entry.
    pub per_host: HostLimits,
    pub host_groups: Vec<HostGroup>,
}

/// `[syndication]`: the user's rules are checked here (each pattern
/// compiles, every disabled id exists); the full rule set is compiled by
/// [`SyndicationConfig::rules`] only where articles are classified.
#[derive(Debug, Clone)]
pub struct SyndicationConfig {
    pub enabled: bool,
    pub options: SyndicationOptions,
    pub disable_rules: Vec<String>,
    pub rules: Vec<RuleSpec>,
}

impl SyndicationConfig {
    /// The built-in rules with the user's changes, compiled; `None` when
    /// flagging is off.
    pub fn rules(&self) -> Result<Option<RuleSet>, RulesError> {
        if !self.enabled {
            return Ok(None);
        }
        RuleSet::build(&self.rules, &self.disable_rules).map(Some)
    }
}

/// `[near_duplicates]`, checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NearDuplicates {
    pub config: NearConfig,
    pub window: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedConfig {
    /// Absolute http(s) URL as written (whitespace trimmed).
    pub url: String,
    pub name: Option<String>,
    pub interval: Option<Duration>,
}

impl Default for RawConfig {
    fn default() -> Self {
        RawConfig {
            database: RawDatabase {
                path: PathBuf::from("feedsieve.db"),
                mmap_mb: 0,
            },
            http: RawHttp {
                user_agent: DEFAULT_USER_AGENT.to_string(),
                timeout_secs: 30,
                connect_timeout_secs: 10,
                max_body_bytes: 16 * 1024 * 1024,
                max_redirects: 5,
                allow_private_networks: false,
            },
            scheduler: RawScheduler {
                default_interval_secs: 1800,
                min_interval_secs: 300,
                max_interval_secs: 86400,
                max_backoff_secs: 86400,
                redirects_to_persist: 3,
                dead_after_secs: 7 * 86400,
                burst_spread_secs: 60,
                adaptive: true,
                per_host_concurrency: 1,
                per_host_min_interval_ms: 1000,
                max_concurrent_fetches: 16,
            },
            normalize: RawNormalize {
                max_future_skew_secs: 600,
            },
            log: RawLog {
                format: "text".to_string(),
                level: "info".to_string(),
            },
            daemon: RawDaemon {
                shutdown_grace_secs: 30,
            },
            near_duplicates: RawNearDuplicates {
                enabled: true,
                max_distance: 3,
                short_text_words: 100,
                min_containment: 0.8,
                window_days: 7,
            },
            syndication: RawSyndication {
                enabled: true,
                flag_agency_own_feed: false,
                disable_rules: Vec::new(),
                rules: Vec::new(),
            },
            admin: RawAdmin {
                listen: String::new(),
            },
            retention: RawRetention::default(),
            search: RawSearch::default(),
            feeds: Vec::new(),
            host_groups: Vec::new(),
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (if given), then `FEEDSIEVE__*` variables
    /// from the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_with_env(file, std::env::vars())
    }

    /// Like [`Config::load`] with an explicit environment, so tests need not
    /// touch the process environment.
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let source_name = match file {
            Some(p) => p.display().to_string(),
            None => "defaults/environment".to_string(),
        };
        let err = |message: String| ConfigError {
            source_name: source_name.clone(),
            message,
        };
        let defaults = config::Config::try_from(&RawConfig::default())
            .map_err(|e| err(format!("built-in defaults: {e}")))?;
        let mut builder = config::Config::builder().add_source(defaults);
        if let Some(path) = file {
            if !path.is_file() {
                return Err(err("file not found or not a regular file".to_string()));
            }
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        let env_map: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with(&format!("{ENV_PREFIX}__")))
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix(ENV_PREFIX)
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .source(Some(env_map)),
        );
        let raw: RawConfig = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| err(describe_config_error(e)))?;
        Config::try_from_raw(raw, file).map_err(err)
    }

    /// Checks values and converts units. The error is the message only; the
    /// caller adds the file name.
    pub fn try_from_raw(raw: RawConfig, file: Option<&Path>) -> Result<Config, String> {
        if raw.http.user_agent.trim().is_empty() {
            return Err("key `http.user_agent` must not be empty".to_string());
        }
        if raw.http.max_body_bytes < 1024 {
            return Err("key `http.max_body_bytes` must be at least 1024".to_string());
        }
        if raw.scheduler.max_concurrent_fetches == 0 {
            return Err(
                "key `scheduler.max_concurrent_fetches` must be greater than 0".to_string(),
            );
        }
        if raw.database.path.as_os_str().is_empty() {
            return Err("key `database.path` must not be empty".to_string());
        }
        if raw.database.mmap_mb > MAX_MMAP_MB {
            return Err(format!(
                "key `database.mmap_mb` must be at most {MAX_MMAP_MB} (1 TiB)"
            ));
        }
        if raw.scheduler.per_host_concurrency == 0 {
            return Err("key `scheduler.per_host_concurrency` must be greater than 0".to_string());
        }
        let per_host_default = HostLimits {
            concurrency: raw.scheduler.per_host_concurrency,
            min_interval: Duration::from_millis(raw.scheduler.per_host_min_interval_ms),
        };
        let log_format = match raw.log.format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            "journald" => LogFormat::Journald,
            other => {
                return Err(format!(
                    "key `log.format`: expected \"text\", \"json\" or \"journald\", found {other:?}"
                ));
            }
        };
        tracing_subscriber::EnvFilter::try_new(&raw.log.level)
            .map_err(|e| format!("key `log.level`: {e}"))?;
        let mut feeds = Vec::with_capacity(raw.feeds.len());
        for (i, f) in raw.feeds.into_iter().enumerate() {
            let url =
                validate_feed_url(&f.url).map_err(|e| format!("key `feeds[{i}].url`: {e}"))?;
            let interval = match f.interval_secs {
                Some(s) => Some(positive_secs(&format!("feeds[{i}].interval_secs"), s)?),
                None => None,
            };
            feeds.push(FeedConfig {
                url,
                name: f.name.filter(|n| !n.trim().is_empty()),
                interval,
            });
        }
        Ok(Config {
            store: crate::store::StoreOptions {
                mmap_bytes: raw.database.mmap_mb * 1024 * 1024,
                // Which command builds or drops the index is `main`'s call.
                search: crate::store::SearchIndex::Keep,
            },
            search_enabled: raw.search.enabled,
            database_path: raw.database.path,
            http: HttpSettings {
                user_agent: raw.http.user_agent,
                timeout: positive_secs("http.timeout_secs", raw.http.timeout_secs)?,
                connect_timeout: positive_secs(
                    "http.connect_timeout_secs",
                    raw.http.connect_timeout_secs,
                )?,
                max_body_bytes: raw.http.max_body_bytes,
                max_redirects: raw.http.max_redirects,
                allow_private_networks: raw.http.allow_private_networks,
            },
            scheduler: SchedulerConfig {
                policy: scheduler_policy(&raw.scheduler)?,
                max_concurrent_fetches: raw.scheduler.max_concurrent_fetches,
                host_groups: host_groups(&raw.host_groups, &per_host_default)?,
                per_host: per_host_default,
            },
            max_future_skew: Duration::from_secs(raw.normalize.max_future_skew_secs),
            log_format,
            log_level: raw.log.level,
            shutdown_grace: positive_secs(
                "daemon.shutdown_grace_secs",
                raw.daemon.shutdown_grace_secs,
            )?,
            syndication: syndication(raw.syndication)?,
            near_duplicates: near_duplicates(&raw.near_duplicates)?,
            admin_listen: admin::listen(&raw.admin)?,
            retention: retention(&raw.retention)?,
            feeds,
            source: file.map(Path::to_path_buf),
        })
    }
}

fn near_duplicates(raw: &RawNearDuplicates) -> Result<Option<NearDuplicates>, String> {
    // Four 16-bit bands find every pair within 3 bits, no more.
    if raw.max_distance > 3 {
        return Err(format!(
            "key `near_duplicates.max_distance` must be at most 3 (the index finds pairs up to 3 differing bits), found {}",
            raw.max_distance
        ));
    }
    if !(raw.min_containment > 0.0 && raw.min_containment <= 1.0) {
        return Err(format!(
            "key `near_duplicates.min_containment` must be in (0, 1], found {}",
            raw.min_containment
        ));
    }
    let window = positive_secs(
        "near_duplicates.window_days",
        u64::from(raw.window_days) * 86_400,
    )?;
    Ok(raw.enabled.then_some(NearDuplicates {
        config: NearConfig {
            max_distance: raw.max_distance,
            short_words: raw.short_text_words,
            min_containment: raw.min_containment,
        },
        window,
    }))
}

/// Longest `retention.max_age_days` (a century): longer is surely a typo.
const MAX_AGE_DAYS: i64 = 36_500;

/// `[retention]`: each limit, when set, positive.
/// `retention.fetch_log_days` when not set: a quarter of history for
/// `feedsieve log` and `status`, without a table that grows for ever (a
/// thousand feeds polled every 15 minutes log 96,000 rows a day).
const DEFAULT_FETCH_LOG_DAYS: i64 = 90;

fn retention(raw: &RawRetention) -> Result<crate::store::RetentionPolicy, String> {
    let max_age = match raw.max_age_days {
        None => None,
        Some(d) if (1..=MAX_AGE_DAYS).contains(&d) => Some(chrono::Duration::days(d)),
        Some(d) => {
            return Err(format!(
                "key `retention.max_age_days` must be between 1 and {MAX_AGE_DAYS} (leave it out for no age limit), found {d}"
            ));
        }
    };
    let max_per_feed = match raw.max_articles_per_feed {
        None => None,
        Some(n) => match u32::try_from(n) {
            Ok(n) if n > 0 => Some(n),
            _ => {
                return Err(format!(
                    "key `retention.max_articles_per_feed` must be between 1 and {} (leave it out for no limit), found {n}",
                    u32::MAX
                ));
            }
        },
    };
    let fetch_log_days = raw.fetch_log_days.unwrap_or(DEFAULT_FETCH_LOG_DAYS);
    if !(1..=MAX_AGE_DAYS).contains(&fetch_log_days) {
        return Err(format!(
            "key `retention.fetch_log_days` must be between 1 and {MAX_AGE_DAYS}, found {fetch_log_days}"
        ));
    }
    Ok(crate::store::RetentionPolicy {
        max_age,
        max_per_feed,
        fetch_log_max_age: Some(chrono::Duration::days(fetch_log_days)),
    })
}

/// Checks the user's rules one by one, so the error names the entry.
fn syndication(raw: RawSyndication) -> Result<SyndicationConfig, String> {
    for (i, rule) in raw.rules.iter().enumerate() {
        syndication::check_rule(rule)
            .map_err(|e| format!("key `syndication.rules[{i}]` (rule {:?}): {e}", rule.id))?;
        if rule.id.trim().is_empty() {
            return Err(format!("key `syndication.rules[{i}].id` must not be empty"));
        }
    }
    let builtin = syndication::builtin_rule_ids();
    if let Some(unknown) = raw
        .disable_rules
        .iter()
        .find(|id| !builtin.iter().any(|b| b == *id))
    {
        return Err(format!(
            "key `syndication.disable_rules`: {unknown:?} is not a built-in rule id"
        ));
    }
    Ok(SyndicationConfig {
        enabled: raw.enabled,
        options: SyndicationOptions {
            flag_agency_own_feed: raw.flag_agency_own_feed,
        },
        disable_rules: raw.disable_rules,
        rules: raw.rules,
    })
}

/// The `[[host_groups]]`, each with at least one host; unset limits are the
/// per-host defaults.
fn host_groups(raw: &[RawHostGroup], default: &HostLimits) -> Result<Vec<HostGroup>, String> {
    raw.iter()
        .enumerate()
        .map(|(i, g)| {
            let hosts: Vec<String> = g
                .hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect();
            if hosts.is_empty() {
                return Err(format!(
                    "key `host_groups[{i}].hosts` must name at least one host"
                ));
            }
            if g.concurrency == Some(0) {
                return Err(format!(
                    "key `host_groups[{i}].concurrency` must be greater than 0"
                ));
            }
            Ok(HostGroup {
                hosts,
                limits: HostLimits {
                    concurrency: g.concurrency.unwrap_or(default.concurrency),
                    min_interval: g
                        .min_interval_ms
                        .map(Duration::from_millis)
                        .unwrap_or(default.min_interval),
                },
            })
        })
        .collect()
}

/// `v` seconds, refused when zero: every duration key must be positive.
fn positive_secs(key: &str, v: u64) -> Result<Duration, String> {
    if v == 0 {
        Err(format!("key `{key}` must be greater than 0"))
    } else if v > MAX_SECS {
        Err(format!(
            "key `{key}` must be at most {MAX_SECS} (ten years), found {v}"
        ))
    } else {
        Ok(Duration::from_secs(v))
    }
}

/// The longest duration any key may hold: longer is surely a typo, and
/// times that far out overflow clock arithmetic.
const MAX_SECS: u64 = 10 * 365 * 86_400;

/// The `[scheduler]` times, each positive, the bounds in order.
fn scheduler_policy(raw: &RawScheduler) -> Result<Policy, String> {
    let secs = |key: &str, v: u64| positive_secs(&format!("scheduler.{key}"), v);
    let policy = Policy {
        default_interval: secs("default_interval_secs", raw.default_interval_secs)?,
        min_interval: secs("min_interval_secs", raw.min_interval_secs)?,
        max_interval: secs("max_interval_secs", raw.max_interval_secs)?,
        max_backoff: secs("max_backoff_secs", raw.max_backoff_secs)?,
        redirects_to_persist: raw.redirects_to_persist,
        dead_after: secs("dead_after_secs", raw.dead_after_secs)?,
        burst_spread: Duration::from_secs(raw.burst_spread_secs),
        adaptive: raw.adaptive,
    };
    if raw.redirects_to_persist == 0 {
        return Err("key `scheduler.redirects_to_persist` must be at least 1".to_string());
    }
    if policy.min_interval > policy.max_interval {
        return Err(
            "key `scheduler.min_interval_secs` must not exceed `scheduler.max_interval_secs`"
                .to_string(),
        );
    }
    Ok(policy)
}

/// Checks that a feed URL is absolute http(s) and returns it trimmed.
pub fn validate_feed_url(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    let parsed =
        url::Url::parse(trimmed).map_err(|e| format!("not a valid URL ({e}): {trimmed:?}"))?;
    match parsed.scheme() {
        "http" | "https" => {}
        s => return Err(format!("scheme must be http or https, found {s:?}")),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!("URL has no host: {trimmed:?}"));
    }
    Ok(parsed.to_string())
}

/// The config crate reports "unknown field `x`, expected one of ..." and
/// "invalid type ... for key `http.timeout_secs`"; both already carry the
/// key. Unknown fields at the top of a section lack the section, which the
/// serde path supplies when present.
fn describe_config_error(e: config::ConfigError) -> String {
    e.to_string()
}

mod admin;
mod describe;

pub use admin::RawAdmin;
#[cfg(test)]
mod tests;
