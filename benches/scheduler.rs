//! The scheduler at scale: 100,000 feeds in the database.
//!
//! A plain `main`, like `pipeline`. It builds a database of `--feeds` feeds
//! on 20,000 hosts (one OPML-sized `add_feeds` commit), `--due` of them due
//! and the rest due in an hour, and measures:
//!
//! * **tick**: what the daemon does before a pass starts polling:
//!   `Store::due_feeds` (the indexed query on `next_check_at`), the
//!   interleaving by host group, and the start offsets of the burst
//!   stagger. Median and 90th percentile over `--reps` ticks. The same tick
//!   on a database of `--due` feeds only runs first as the baseline: the
//!   ratio shows what the other 99,000 rows cost.
//! * **idle RSS**: `feedsieve run` (the release binary next to this bench)
//!   on the big database with nothing due, sampled after `--settle` seconds
//!   (`VmRSS`, and the peak `VmHWM`).
//!
//! ```text
//! cargo bench --bench scheduler
//! cargo bench --bench scheduler -- --feeds 20000 --reps 10 --settle 3
//! ```
//!
//! The targets from the daemon issue: a tick of 1,000 due feeds in at most
//! 20 ms, the idle daemon in at most 150 MB.

use feedsieve::scheduler::{self, HostGates, HostLimits};
use feedsieve::store::{NewFeed, Store};
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Hosts the feeds are spread over.
const HOSTS: usize = 20_000;

struct Options {
    feeds: usize,
    due: usize,
    reps: usize,
    settle: u64,
}

impl Options {
    fn from_args() -> Options {
        let mut opts = Options {
            feeds: 100_000,
            due: 1_000,
            reps: 30,
            settle: 10,
        };
        let args: Vec<String> = std::env::args().skip(1).collect();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || -> usize {
                it.next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{arg} needs a number"))
            };
            match arg.as_str() {
                "--feeds" => opts.feeds = value(),
                "--due" => opts.due = value(),
                "--reps" => opts.reps = value().max(1),
                "--settle" => opts.settle = value() as u64,
                // `cargo bench` passes `--bench`; ignore what is not ours.
                _ => {}
            }
        }
        opts.due = opts.due.min(opts.feeds);
        opts
    }
}

fn main() -> BenchResult<()> {
    let opts = Options::from_args();
    let rt = tokio::runtime::Runtime::new()?;
    let dir = tempfile::tempdir()?;
    println!(
        "scheduler bench: {} feeds on {HOSTS} hosts, {} due; {} ticks each",
        opts.feeds, opts.due, opts.reps
    );

    let small = dir.path().join("baseline.db");
    let (_, base) = rt.block_on(measure(&small, opts.due, opts.due, opts.reps))?;
    let big = dir.path().join("big.db");
    let (import, tick) = rt.block_on(measure(&big, opts.feeds, opts.due, opts.reps))?;

    println!(
        "import: {} feeds in one add_feeds commit: {:.2} s ({:.0} feeds/s)",
        opts.feeds,
        import.as_secs_f64(),
        opts.feeds as f64 / import.as_secs_f64()
    );
    println!(
        "{:<38} {:>10} {:>10}",
        "tick (select + order + offsets)", "median", "p90"
    );
    for (name, t) in [
        (format!("baseline: {} feeds, all due", opts.due), &base),
        (format!("{} feeds, {} due", opts.feeds, opts.due), &tick),
    ] {
        println!("{name:<38} {:>8.2}ms {:>8.2}ms", ms(t.median), ms(t.p90));
    }
    println!(
        "ratio big/baseline (median): {:.2}",
        ms(tick.median) / ms(base.median)
    );

    // Nothing due for the idle run.
    rt.block_on(async {
        let store = Store::open(&big).await?;
        let later = chrono::Utc::now() + chrono::Duration::hours(1);
        for feed in store.due_feeds(chrono::Utc::now(), opts.feeds).await? {
            store.defer_feed(feed.id, later).await?;
        }
        store.close().await;
        BenchResult::Ok(())
    })?;
    match idle_rss(dir.path(), &big, opts.settle) {
        Ok((rss, hwm)) => println!(
            "idle daemon on {} feeds after {} s: VmRSS {:.1} MiB, VmHWM {:.1} MiB",
            opts.feeds,
            opts.settle,
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        ),
        Err(e) => println!("idle daemon: not measured ({e})"),
    }
    Ok(())
}

struct Ticks {
    median: Duration,
    p90: Duration,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Fills `db` with `feeds` feeds (`due` of them due) and times `reps` ticks.
async fn measure(
    db: &Path,
    feeds: usize,
    due: usize,
    reps: usize,
) -> BenchResult<(Duration, Ticks)> {
    let store = Store::open(db).await?;
    let now = chrono::Utc::now();
    let new = |i: usize| NewFeed {
        // One registrable domain per host: 20,000 host groups.
        url: format!("https://feeds.site{}.com/feed/{i}.xml", i % HOSTS),
        name: None,
        interval: None,
        origin: "opml",
    };
    let started = Instant::now();
    store
        .add_feeds(
            (0..due).map(new).collect(),
            now - chrono::Duration::minutes(1),
        )
        .await?;
    store
        .add_feeds(
            (due..feeds).map(new).collect(),
            now + chrono::Duration::hours(1),
        )
        .await?;
    let import = started.elapsed();

    let gates = HostGates::new(
        HostLimits {
            concurrency: 1,
            min_interval: Duration::from_secs(1),
        },
        Vec::new(),
    );
    let mut times = Vec::with_capacity(reps);
    // Three warm-up ticks (page cache, statement cache) are not counted.
    for rep in 0..reps + 3 {
        let t = Instant::now();
        let batch = store.due_feeds(chrono::Utc::now(), 1000).await?;
        assert_eq!(batch.len(), due.min(1000), "due feeds");
        let batch = scheduler::interleave(batch, |f| gates.group_key(&f.url));
        let n = batch.len();
        let offsets: Vec<Duration> = (0..n)
            .map(|i| scheduler::stagger(i, n, Duration::from_secs(60)))
            .collect();
        black_box((batch, offsets));
        if rep >= 3 {
            times.push(t.elapsed());
        }
    }
    store.close().await;
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Ok((
        import,
        Ticks {
            median: at(0.5),
            p90: at(0.9),
        },
    ))
}

/// Runs the release `feedsieve run` on `db` for `settle` seconds and reads
/// its `VmRSS` and `VmHWM` in KiB.
fn idle_rss(dir: &Path, db: &Path, settle: u64) -> BenchResult<(u64, u64)> {
    let config = dir.join("idle.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\npath = {:?}\n[log]\nlevel = \"warn\"\n",
            db.display().to_string()
        ),
    )?;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_feedsieve"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .spawn()?;
    std::thread::sleep(Duration::from_secs(settle));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()));
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let exited = child.wait()?;
    let status = status?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    if !exited.success() {
        return Err(format!("feedsieve run exited with {exited}").into());
    }
    Ok((
        field("VmRSS:").ok_or("no VmRSS")?,
        field("VmHWM:").ok_or("no VmHWM")?,
    ))
}
