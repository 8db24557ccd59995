//! Command-line interface: clap structures and help text, nothing else.

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

mod inspect;
pub use inspect::{LogArgs, Since, StatusArgs, parse_since};

/// feedsieve polls RSS, Atom and JSON feeds, normalizes and deduplicates
/// their items, and stores them as articles in SQLite.
#[derive(Debug, Parser)]
#[command(name = "feedsieve", version, about, long_about = None)]
#[command(after_help = "Examples:\n  \
    feedsieve --config config/feedsieve.toml run\n  \
    feedsieve --config config/feedsieve.toml feeds add https://example.com/rss --name Example\n  \
    feedsieve --config config/feedsieve.toml poll --all\n  \
    feedsieve --config config/feedsieve.toml articles --limit 20 --format jsonl\n\n\
    Exit codes: 0 success, 1 runtime error, 2 usage error, 78 invalid configuration.")]
pub struct Cli {
    /// Configuration file (TOML). Without it, built-in defaults and
    /// FEEDSIEVE__SECTION__KEY environment variables apply.
    #[arg(
        long,
        short = 'c',
        global = true,
        env = "FEEDSIEVE_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: poll due feeds until SIGINT or SIGTERM.
    ///
    /// Feeds from the config file are merged into the database at start.
    /// Each feed is polled again after its interval (its own
    /// `interval_secs`, else as often as it posts); failing
    /// feeds back off up to `scheduler.max_backoff_secs`; feeds that answer
    /// 410 Gone are not polled again. SIGHUP reloads the configuration's
    /// feed list and tunables; an invalid file is refused and the running
    /// configuration kept.
    #[command(after_help = "Example:\n  feedsieve --config /etc/feedsieve/feedsieve.toml run")]
    Run,

    /// One pass over due feeds (or all, or the given ones), then exit.
    ///
    /// Prints a one-line summary. Exits 0 when the pass ran, even if some
    /// feeds failed: failures are recorded on each feed and in the fetch log.
    #[command(
        after_help = "Examples:\n  feedsieve poll --all\n  feedsieve poll --feed 3 --feed https://example.com/rss"
    )]
    Poll(PollArgs),

    /// Manage the list of feeds.
    #[command(subcommand)]
    Feeds(FeedsCommand),

    /// Print stored articles, newest first.
    #[command(after_help = "Examples:\n  feedsieve articles --limit 10\n  \
        feedsieve articles --feed 3 --since 2026-01-01T00:00:00Z --format jsonl | jq .title")]
    Articles(ArticlesArgs),

    /// List near-duplicate clusters: the same text carried by several
    /// feeds, with their size, sites, first and last publication time and
    /// the first article's title.
    #[command(after_help = "Examples:\n  feedsieve clusters --min-size 3\n  \
        feedsieve clusters --since 2026-11-01T00:00:00Z --format json | jq '.[0]'")]
    Clusters(ClustersArgs),

    /// Show why an article is (or is not) flagged as syndicated: every rule
    /// that fires, with the text it matched.
    ///
    /// The rules run again on the stored article, so after a rule change this
    /// shows what `reclassify` would store.
    #[command(after_help = "Example:\n  feedsieve explain 1234")]
    Explain {
        /// Article id (the `id` of `articles --format jsonl`).
        #[arg(value_name = "ARTICLE_ID")]
        article: i64,
    },

    /// Run the syndication rules again over stored articles, after the
    /// rules or `[syndication]` settings changed.
    #[command(
        after_help = "Examples:\n  feedsieve reclassify\n  feedsieve reclassify --since 2026-11-01T00:00:00Z"
    )]
    Reclassify {
        /// Only articles first seen at or after this time.
        #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
        since: Option<DateTime<Utc>>,
    },

    /// One line per feed: its state, last fetch, errors, next check,
    /// articles and share of 304 answers; above them, totals for the
    /// whole database.
    #[command(after_help = inspect::STATUS_EXAMPLES)]
    Status(StatusArgs),

    /// Print the fetch log, newest first: what each poll asked, what the
    /// server answered and what it cost.
    #[command(after_help = inspect::LOG_EXAMPLES)]
    Log(LogArgs),

    /// Validate the configuration and print what was loaded.
    #[command(
        after_help = "Example:\n  feedsieve --config /etc/feedsieve/feedsieve.toml check-config"
    )]
    CheckConfig,
}

#[derive(Debug, Args)]
pub struct PollArgs {
    /// Poll only this feed (URL or id); repeatable.
    #[arg(long, value_name = "URL|ID")]
    pub feed: Vec<String>,
    /// Poll every enabled feed, due or not (feeds that answered 410 Gone are
    /// skipped; `--feed` still polls one).
    #[arg(long, conflicts_with = "feed")]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ClustersArgs {
    /// Only clusters with an article published (else first seen) at or
    /// after this time.
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    pub since: Option<DateTime<Utc>>,
    /// Only clusters of at least this many articles.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub min_size: usize,
    /// At most this many clusters.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Output format: an aligned table or a JSON array.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Add a feed; it is due immediately.
    #[command(
        after_help = "Example:\n  feedsieve feeds add https://example.com/rss --name Example --interval 900"
    )]
    Add {
        /// Feed URL (http or https).
        url: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// Poll interval in seconds for this feed.
        #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
        interval: Option<u64>,
    },
    /// List feeds with their state.
    #[command(
        after_help = "Example:\n  feedsieve feeds list --format json | jq '.[] | select(.state != \"ok\")'"
    )]
    List {
        /// Output format: an aligned table, or a JSON array of feed objects.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Remove a feed together with its articles and fetch log.
    #[command(after_help = "Example:\n  feedsieve feeds remove https://example.com/rss")]
    Remove {
        /// Feed URL or id.
        #[arg(value_name = "URL|ID")]
        feed: String,
    },
    /// Poll a feed again: after `disable`, or after it answered 410 Gone
    /// (its errors are cleared and it is due at once).
    #[command(after_help = "Example:\n  feedsieve feeds enable https://example.com/rss")]
    Enable {
        /// Feed URL or id.
        #[arg(value_name = "URL|ID")]
        feed: String,
    },
    /// Stop polling a feed; its articles and history are kept.
    #[command(after_help = "Example:\n  feedsieve feeds disable 42")]
    Disable {
        /// Feed URL or id.
        #[arg(value_name = "URL|ID")]
        feed: String,
    },
    /// Clear a feed's errors, state and redirect streak, and make it due now.
    #[command(after_help = "Example:\n  feedsieve feeds reset 42 && feedsieve poll --feed 42")]
    Reset {
        /// Feed URL or id.
        #[arg(value_name = "URL|ID")]
        feed: String,
    },
    /// Import feeds from an OPML file (nested outlines included).
    #[command(after_help = "Example:\n  feedsieve feeds import subscriptions.opml")]
    Import {
        /// OPML file.
        file: PathBuf,
    },
    /// Write all feeds as OPML 2.0 to standard output.
    #[command(after_help = "Example:\n  feedsieve feeds export > feeds.opml")]
    Export,
}

#[derive(Debug, Args)]
pub struct ArticlesArgs {
    /// Only this feed (URL or id).
    #[arg(long, value_name = "URL|ID")]
    pub feed: Option<String>,
    /// Only articles published (else updated, else first seen) at or after
    /// this time, e.g. 2026-01-31T00:00:00Z.
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    pub since: Option<DateTime<Utc>>,
    /// At most this many articles.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only articles flagged as syndicated (agency or partner copy).
    #[arg(long, conflicts_with = "original")]
    pub syndicated: bool,
    /// Only articles not flagged as syndicated.
    #[arg(long)]
    pub original: bool,
    /// Output format: an aligned table, a JSON array, or one JSON object per
    /// line (the stable interface for other tools).
    #[arg(long, value_enum, default_value_t = ArticleFormat::Table)]
    pub format: ArticleFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ArticleFormat {
    Table,
    Json,
    Jsonl,
}

/// clap parser for RFC 3339 times, so a bad value is a usage error (exit 2).
fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("expected an RFC 3339 time like 2026-01-31T00:00:00Z ({e})"))
}
