//! The `feedsieve` binary: parse the command line, load the configuration,
//! set up logging, dispatch, and turn errors into exit codes.

use anyhow::{Context, Result};
use clap::Parser;
use feedsieve::cli::{Cli, Command, FeedsCommand};
use feedsieve::config::{Config, LogFormat};
use feedsieve::fetch::Fetcher;
use feedsieve::pipeline::{Clusterer, Pipeline};
use feedsieve::scheduler::HostGates;
use feedsieve::store::{NearHandle, SearchIndex, Store, StoreError};
use feedsieve::syndication::Flagger;
use feedsieve::{admin, daemon, ops};
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// sysexits.h `EX_CONFIG`: systemd and init scripts read it as "fix the config".
const EXIT_CONFIG: u8 = 78;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Completions describe the command line only: no config, no database.
    if let Command::Completions { shell } = cli.command {
        let mut command = <Cli as clap::CommandFactory>::command();
        // Into a buffer first: clap_complete panics on a failed write, and
        // `| head` closing the pipe is not a failure worth a backtrace.
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut command, "feedsieve", &mut script);
        return match std::io::stdout().write_all(&script) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("feedsieve: cannot write the completion script: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("feedsieve: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let Command::CheckConfig = cli.command {
        print!("{}", config.describe());
        println!("configuration ok");
        return ExitCode::SUCCESS;
    }
    if let Command::Healthcheck(args) = &cli.command {
        // One line either way, on stdout, for the container runtime's log.
        let (line, code) = match admin::healthcheck(args.url.as_deref(), config.admin_listen) {
            Ok(line) => (line, ExitCode::SUCCESS),
            Err(line) => (line, ExitCode::FAILURE),
        };
        println!("{line}");
        return code;
    }
    if let Err(e) = init_logging(&config) {
        eprintln!("feedsieve: {e}");
        return ExitCode::from(EXIT_CONFIG);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("feedsieve: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "command failed");
            eprintln!("feedsieve: {e:#}");
            // A search query SQLite cannot parse is a usage error, like
            // the arguments clap refuses.
            match e.downcast_ref::<StoreError>() {
                Some(StoreError::BadQuery { .. }) => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

fn init_logging(config: &Config) -> Result<(), String> {
    // RUST_LOG, when set, wins over `log.level` for ad-hoc debugging.
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    if config.log_format == LogFormat::Journald {
        return init_journald(filter);
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == LogFormat::Json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    Ok(())
}

/// `log.format = "journald"`: native journal records. A missing journal
/// is refused at start; otherwise every line would be lost silently.
fn init_journald(filter: EnvFilter) -> Result<(), String> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    // Fields go to the journal under their own names, upper-cased
    // (FEED_ID, FEED_URL, OUTCOME, ...), so `journalctl FEED_ID=3` works.
    let journald = tracing_journald::layer()
        .map_err(|e| {
            format!(
                "log.format = \"journald\" but the journal socket cannot be used ({e}); \
                 set log.format to \"text\" or \"json\" outside systemd"
            )
        })?
        .with_field_prefix(None);
    tracing_subscriber::registry()
        .with(filter)
        .with(journald)
        .init();
    Ok(())
}

async fn dispatch(command: Command, config: Config) -> Result<()> {
    let mut options = config.store;
    // The commands that store articles build the full-text index when
    // search is on (once: the first start after it was turned on), and the
    // daemon drops it when search is off, so that storing stops paying for
    // it. The rest leave it as it is: a build holds the write lock for as
    // long as it takes, and a read command run beside the daemon must not
    // (`poll` builds, for installations that poll from cron; beside a
    // daemon, restarting the daemon is the way, as the README says).
    options.search = match (&command, config.search_enabled) {
        (Command::Run | Command::Poll(_), true) => SearchIndex::Build,
        (Command::Run, false) => SearchIndex::Drop,
        _ => SearchIndex::Keep,
    };
    let store = Store::open_with(&config.database_path, options)
        .await
        .with_context(|| format!("opening database {}", config.database_path.display()))?;
    let added = store
        .merge_config_feeds(config.feeds.clone(), chrono::Utc::now())
        .await
        .context("merging feeds from the configuration")?;
    if added > 0 {
        tracing::info!(feeds_added = added, "feeds added from the configuration");
    }
    let result = run_command(command, &config, &store).await;
    store.close().await;
    result
}

async fn run_command(command: Command, config: &Config, store: &Store) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match command {
        Command::Run => {
            let settings = daemon_settings(config, store)?;
            let admin = match config.admin_listen {
                Some(addr) => Some(
                    admin::AdminServer::bind(addr, daemon::stale_tick_after(config.http.timeout))
                        .await?,
                ),
                None => None,
            };
            let (reloaded, settings) = tokio::sync::watch::channel(settings);
            let cancel = CancellationToken::new();
            tokio::spawn(stop_on_signal(cancel.clone()));
            let reloader = tokio::spawn(reload_on_hangup(config.clone(), store.clone(), reloaded));
            tracing::info!(database = %config.database_path.display(), "feedsieve running");
            let result = daemon::run(settings, cancel, admin).await;
            // The reloader holds a store handle; the store closes only
            // once every handle is gone.
            reloader.abort();
            let _ = reloader.await;
            result?;
            tracing::info!("feedsieve stopped");
        }
        Command::Poll(args) => {
            let pipeline = pipeline(config, store)?;
            let cancel = CancellationToken::new();
            tokio::spawn(stop_on_signal(cancel.clone()));
            ops::poll::poll(
                &pipeline,
                &mut out,
                &args,
                config.scheduler.max_concurrent_fetches,
                &cancel,
            )
            .await?;
        }
        Command::Feeds(cmd) => match cmd {
            FeedsCommand::Add {
                url,
                name,
                interval,
            } => {
                ops::feeds::add(store, &mut out, &url, name, interval).await?;
            }
            FeedsCommand::List { format } => ops::feeds::list(store, &mut out, format).await?,
            FeedsCommand::Remove { feed } => ops::feeds::remove(store, &mut out, &feed).await?,
            FeedsCommand::Enable { feed } => ops::feeds::enable(store, &mut out, &feed).await?,
            FeedsCommand::Disable { feed } => ops::feeds::disable(store, &mut out, &feed).await?,
            FeedsCommand::Reset { feed } => ops::feeds::reset(store, &mut out, &feed).await?,
            FeedsCommand::Import { file } => ops::feeds::import(store, &mut out, &file).await?,
            FeedsCommand::Export => ops::feeds::export(store, &mut out).await?,
        },
        Command::Articles(args) => ops::articles::articles(store, &mut out, &args).await?,
        Command::Search(args) => ops::search::search(store, &mut out, &args).await?,
        Command::Clusters(args) => ops::syndication::clusters(store, &mut out, &args).await?,
        Command::Explain { article } => {
            let flagger = flagger(config)?.context("syndication.enabled is false")?;
            ops::syndication::explain(store, &flagger, &mut out, article).await?;
        }
        Command::Reclassify { since } => {
            let flagger = flagger(config)?.context("syndication.enabled is false")?;
            ops::syndication::reclassify(store, &flagger, &mut out, since).await?;
        }
        Command::Status(args) => {
            ops::status::status(store, &mut out, &args, ops::paint::Paint::for_stdout()).await?;
        }
        Command::Log(args) => {
            let stop = CancellationToken::new();
            if args.follow {
                tokio::spawn(stop_on_signal(stop.clone()));
            }
            let paint = ops::paint::Paint::for_stdout();
            let db = &config.database_path;
            ops::log::log(store, db, &mut out, &args, paint, &stop).await?;
        }
        Command::Cleanup(args) => {
            let near = pipeline(config, store)?.near();
            let cancel = CancellationToken::new();
            tokio::spawn(stop_on_signal(cancel.clone()));
            ops::cleanup::cleanup(store, config.retention, near, &mut out, &args, &cancel).await?;
        }
        Command::CheckConfig | Command::Healthcheck(_) => {
            unreachable!("handled before the store opens")
        }
        Command::Completions { .. } => unreachable!("handled before the configuration loads"),
    }
    out.flush()?;
    Ok(())
}

/// The syndication rules, compiled; `None` when flagging is off.
fn flagger(config: &Config) -> Result<Option<Arc<Flagger>>> {
    let rules = config
        .syndication
        .rules()
        .context("compiling the syndication rules")?;
    Ok(rules.map(|rules| {
        Arc::new(Flagger {
            rules,
            options: config.syndication.options,
        })
    }))
}

fn pipeline(config: &Config, store: &Store) -> Result<Pipeline> {
    let fetcher = Fetcher::new(config.http.clone()).context("building the HTTP client")?;
    let pipeline = Pipeline::new(
        store.clone(),
        fetcher,
        config.scheduler.policy,
        config.max_future_skew,
        HostGates::new(
            config.scheduler.per_host.clone(),
            config.scheduler.host_groups.clone(),
        ),
    );
    let flagger = flagger(config)?;
    // Clusters compare texts as the syndication rules leave them, so they
    // need the rules.
    let near = match (&flagger, &config.near_duplicates) {
        (Some(flagger), Some(near)) => Some(NearHandle(Arc::new(Clusterer {
            flagger: flagger.clone(),
            config: near.config,
            window: chrono::Duration::from_std(near.window).unwrap_or(chrono::Duration::days(7)),
        }))),
        _ => None,
    };
    Ok(pipeline.with_flagger(flagger).with_near(near))
}

/// What `run` reads of `config`, at start and at every reload.
fn daemon_settings(config: &Config, store: &Store) -> Result<daemon::Settings> {
    Ok(daemon::Settings {
        pipeline: pipeline(config, store)?.with_max_host_wait(Some(daemon::MAX_HOST_WAIT)),
        concurrency: config.scheduler.max_concurrent_fetches,
        shutdown_grace: config.shutdown_grace,
        retention: config.retention,
    })
}

/// On SIGHUP, loads the configuration again: its feed list is merged into
/// the database and its tunables replace the running ones at the next tick.
/// An invalid file is refused with an error and the running configuration
/// kept. `database.path`, `log.*`, `admin.listen` and `search.enabled`
/// need a restart.
async fn reload_on_hangup(
    mut current: Config,
    store: Store,
    reloaded: tokio::sync::watch::Sender<daemon::Settings>,
) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hangup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; configuration reload is off");
            return;
        };
        while hangup.recv().await.is_some() {
            let new = match Config::load(current.source.as_deref()) {
                Ok(new) => new,
                Err(e) => {
                    tracing::error!(error = %e, "reload refused; keeping the running configuration");
                    continue;
                }
            };
            if new.database_path != current.database_path
                || new.log_format != current.log_format
                || new.log_level != current.log_level
                || new.admin_listen != current.admin_listen
                || new.search_enabled != current.search_enabled
            {
                tracing::warn!(
                    "database.path, log.*, admin.listen and search.enabled changes take effect at the next restart"
                );
            }
            let applied = async {
                let added = store
                    .merge_config_feeds(new.feeds.clone(), chrono::Utc::now())
                    .await?;
                let settings = daemon_settings(&new, &store)?;
                anyhow::Ok((added, settings))
            };
            match applied.await {
                Ok((added, settings)) => {
                    let _ = reloaded.send(settings);
                    tracing::info!(feeds_added = added, "configuration reloaded");
                    current = new;
                }
                Err(e) => tracing::error!(
                    error = format!("{e:#}"),
                    "reload failed; keeping the running configuration"
                ),
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (current, store, reloaded);
    }
}

/// Cancels `token` on SIGINT or SIGTERM.
async fn stop_on_signal(token: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                let _ = tokio::signal::ctrl_c().await;
                token.cancel();
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => tracing::info!(signal = "SIGTERM", "stop requested"),
            _ = tokio::signal::ctrl_c() => tracing::info!(signal = "SIGINT", "stop requested"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    token.cancel();
}
