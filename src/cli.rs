//! Command-line interface: clap structures and help text, nothing else.

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// `--version`: the package version and the git revision it was built from
/// (`unknown` outside a git checkout; see `build.rs`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (git ",
    env!("FEEDSIEVE_GIT_REV"),
    ")"
);

mod inspect;
pub use inspect::{LogArgs, Since, StatusArgs, parse_since};

/// feedsieve polls RSS, Atom and JSON feeds, normalizes and deduplicates
/// their items, and stores them as articles in SQLite.
#[derive(Debug, Parser)]
#[command(name = "feedsieve", version = VERSION, about, long_about = None)]
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
    /// configuration kept. With `admin.listen` set, it also serves
    /// /metrics, /healthz and /readyz there.
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

    /// Full-text search over article titles and texts, best match first.
    ///
    /// QUERY is an SQLite FTS5 query. Words must all appear (AND is
    /// implied); OR, NOT and parentheses combine them; "double quotes" make
    /// a phrase and hold punctuation ("covid-19" — a bare - is a syntax
    /// error); a trailing * matches a prefix (elect*); title: or text:
    /// limits a word to one column. Case and the diacritics of Latin
    /// letters are ignored (cafe finds café). Title matches rank above text
    /// matches; each hit carries a snippet of its text with the matched
    /// words between **. A query FTS5 cannot parse exits 2.
    #[command(after_help = "Examples:\n  feedsieve search 'harbour strike'\n  \
        feedsieve search '\"covid-19\" OR title:pandemic NOT vaccin*' --since 2026-11-01T00:00:00Z\n  \
        feedsieve search lavrov --syndicated --format jsonl | jq .snippet")]
    Search(SearchArgs),

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
        /// Only articles first seen at or after this time: RFC 3339 or an
        /// age (2h, 7d).
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        since: Option<DateTime<Utc>>,
    },

    /// Delete the articles beyond `[retention]`'s limits (`max_age_days`,
    /// `max_articles_per_feed`), as the daemon does daily, and print what
    /// went, per feed.
    ///
    /// Each deleted item leaves a tombstone so that a feed still listing it
    /// does not bring it back; tombstones of items no longer listed for 30
    /// days are dropped. Free pages are then given back to the file system
    /// when the database allows it (databases created before retention
    /// need `--vacuum` once, with the daemon stopped).
    #[command(after_help = "Examples:\n  feedsieve cleanup --dry-run\n  \
        FEEDSIEVE__RETENTION__MAX_AGE_DAYS=90 feedsieve cleanup\n  \
        systemctl stop feedsieve && feedsieve cleanup --vacuum")]
    Cleanup(CleanupArgs),

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

    /// Ask a running daemon whether it is ready: GET `/readyz` on
    /// `admin.listen` (or `--url`), print one line, exit 0 on 200 and 1
    /// otherwise. For container HEALTHCHECKs and monitoring scripts.
    #[command(after_help = "Examples:\n  \
        feedsieve --config /etc/feedsieve/feedsieve.toml healthcheck\n  \
        feedsieve healthcheck --url http://127.0.0.1:9464/readyz\n\n\
        In a Dockerfile:\n  \
        HEALTHCHECK --interval=30s CMD [\"feedsieve\", \"--config\", \"/etc/feedsieve/feedsieve.toml\", \"healthcheck\"]")]
    Healthcheck(HealthcheckArgs),

    /// Print a shell completion script to standard output.
    ///
    /// Needs no configuration file or database.
    #[command(after_help = "Examples:\n  \
        feedsieve completions bash > ~/.local/share/bash-completion/completions/feedsieve\n  \
        feedsieve completions zsh > \"${fpath[1]}/_feedsieve\"\n  \
        feedsieve completions fish > ~/.config/fish/completions/feedsieve.fish")]
    Completions {
        /// The shell to write completions for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct HealthcheckArgs {
    /// URL to probe instead of `http://<admin.listen>/readyz`.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
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
pub struct CleanupArgs {
    /// Delete nothing; print what would be deleted.
    #[arg(long)]
    pub dry_run: bool,
    /// First switch a database created before retention to incremental
    /// auto-vacuum with a full VACUUM (rewrites the file: needs its size
    /// in free disk, and the daemon stopped).
    #[arg(long, conflicts_with = "dry_run")]
    pub vacuum: bool,
}

#[derive(Debug, Args)]
pub struct ClustersArgs {
    /// Only clusters with an article published (else first seen) at or
    /// after this time: RFC 3339 or an age (2h, 7d).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
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
    /// this time: RFC 3339 (2026-01-31T00:00:00Z) or an age (2h, 7d).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
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
    /// Output format: an aligned table, a JSON array, one JSON object per
    /// line (the stable interface for other tools), or CSV with the same
    /// columns as the JSON lines.
    #[arg(long, value_enum, default_value_t = ArticleFormat::Table)]
    pub format: ArticleFormat,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The FTS5 query (see above); quote it for the shell.
    #[arg(value_name = "QUERY", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub query: String,
    /// Only this feed (URL or id).
    #[arg(long, value_name = "URL|ID")]
    pub feed: Option<String>,
    /// Only articles published (else updated, else first seen) at or after
    /// this time: RFC 3339 (2026-01-31T00:00:00Z) or an age (2h, 7d).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<DateTime<Utc>>,
    /// At most this many hits, the best ones; 0 for all.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Only articles flagged as syndicated (agency or partner copy).
    #[arg(long, conflicts_with = "original")]
    pub syndicated: bool,
    /// Only articles not flagged as syndicated.
    #[arg(long)]
    pub original: bool,
    /// Output format: an aligned table, a JSON array, or one JSON object per
    /// line (id, feed_id, feed_url, url, title, published, syndicated,
    /// syndication_source, cluster_id, rank, score, snippet).
    #[arg(long, value_enum, default_value_t = SearchFormat::Table)]
    pub format: SearchFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SearchFormat {
    Table,
    Json,
    Jsonl,
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
    /// The JSON-lines keys as a header row; lists and enclosures as JSON
    /// text, null as an empty field.
    Csv,
}

/// clap parser for `--since` of the commands that take a point in time:
/// an RFC 3339 time, or an age (`2h`, `7d`) taken back from when the
/// command started, as `log --since` reads it. A bad value is a usage
/// error (exit 2).
fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    parse_since(s).map(|since| since.resolve(Utc::now()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every command and subcommand, with its path ("feeds add").
    fn all_commands(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Command)>) {
        for sub in cmd.get_subcommands() {
            let name = format!("{path} {}", sub.get_name()).trim().to_string();
            if sub.has_subcommands() {
                all_commands(sub, &name, out);
            } else {
                out.push((name, sub.clone()));
            }
        }
    }

    #[test]
    fn every_command_has_help_with_an_example() {
        let mut commands = Vec::new();
        all_commands(&Cli::command(), "", &mut commands);
        assert!(commands.len() >= 15, "found only {}", commands.len());
        for (name, cmd) in commands {
            let help = cmd
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(
                help.contains("Example") && help.contains("feedsieve "),
                "`feedsieve {name} --help` shows no example"
            );
            assert!(
                cmd.get_about().is_some(),
                "`feedsieve {name}` has no description"
            );
        }
    }

    #[test]
    fn the_version_names_the_git_revision() {
        let rev = VERSION
            .strip_prefix(concat!(env!("CARGO_PKG_VERSION"), " (git "))
            .and_then(|r| r.strip_suffix(')'))
            .expect("version as `X.Y.Z (git REV)`");
        assert!(
            rev == "unknown" || (rev.len() == 12 && rev.bytes().all(|b| b.is_ascii_hexdigit())),
            "{rev}"
        );
    }
}

#[cfg(test)]
mod since_tests {
    use super::*;

    #[test]
    fn since_takes_a_time_or_an_age_before_now() {
        let at = parse_time("2026-01-31T00:00:00Z").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-01-31T00:00:00+00:00");
        let before = Utc::now();
        let ago = parse_time("2h").unwrap();
        let after = Utc::now();
        assert!(ago >= before - chrono::Duration::hours(2));
        assert!(ago <= after - chrono::Duration::hours(2));
        assert!(parse_time("yesterday").is_err());
    }
}
