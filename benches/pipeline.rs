//! Throughput of the ingest path over a generated corpus (1,000 feeds × 30
//! items, about 70 MB of RSS 2.0 and Atom; see `support/corpus.rs`).
//!
//! A plain `main`, not criterion: it generates the corpus in memory, times
//! each stage and prints one table. The machine this runs on is shared and
//! noisy, so every stage is also given as a ratio to the bare feed-rs parse
//! measured in the same run; compare ratios across runs, not raw numbers.
//!
//! ```text
//! cargo bench --bench pipeline                      # the standard corpus
//! cargo bench --bench pipeline -- --feeds 200 --reps 1
//! cargo bench --bench pipeline -- --store-only     # (e) and (e+) alone
//! ```
//!
//! Stages:
//! (a) `feed_rs::parser::parse`, one thread: the floor any parse costs;
//! (b) `feedsieve::parse::parse_feed`, one thread;
//! (c) parse + `normalize_entry` + `dedup::assign_keys`, one thread: the CPU
//!     part of a poll;
//! (d) the full path as the daemon runs it for a fresh body:
//!     `Pipeline::ingest` (parse and normalize on the blocking pool, one per
//!     core, then `known_keys` and identity) and `record_poll` on the store
//!     thread, with `IN_FLIGHT` feeds at once; items/s end to end;
//! (d+) (d) with the built-in syndication rules flagging every article and
//!     near-duplicate clustering on: their cost on the ingest path
//!     (`NO_NEAR=1` in the environment leaves clustering out);
//! (d') and (d+') the same bodies again on the filled database, every item
//!     known: a changed document with nothing new, most of a running
//!     daemon's 200 answers (only new and changed items are flagged);
//! (e) `record_poll` alone, one feed at a time on a fresh database: the store's
//!     share of (d);
//! (e+) (e) with near-duplicate linking and indexing: the store's share of
//!     (d+).

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/full_path.rs"]
mod full_path;

use corpus::FeedDoc;
use feedsieve::dedup;
use feedsieve::dedup::KnownKeys;
use feedsieve::dedup::near;
use feedsieve::dedup::near::NearConfig;
use feedsieve::model::Article;
use feedsieve::normalize;
use feedsieve::parse;
use feedsieve::pipeline::Clusterer;
use feedsieve::store::NearHandle;
use feedsieve::syndication::{FeedContext, Flagger, Options as FlagOptions, RuleSet};
use full_path::{BenchResult, IN_FLIGHT, context};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

/// One measured stage.
struct Row {
    name: &'static str,
    items: usize,
    secs: f64,
}

fn main() -> BenchResult<()> {
    let opts = Options::from_args();
    let started = Instant::now();
    let docs = Arc::new(corpus::corpus(corpus::SEED, opts.feeds));
    let gen_secs = started.elapsed().as_secs_f64();
    let items: usize = docs.iter().map(|d| d.items).sum();
    let bytes: usize = docs.iter().map(|d| d.body.len()).sum();
    let atom = docs
        .iter()
        .filter(|d| d.content_type.contains("atom"))
        .count();
    let urls: Arc<Vec<String>> = Arc::new(
        (0..docs.len())
            .map(|n| format!("http://127.0.0.1:8080/feed/{n}"))
            .collect(),
    );
    println!(
        "corpus: {} feeds ({} RSS, {atom} Atom), {items} items, {:.1} MB, generated in {gen_secs:.2} s; \
         VmRSS {} MB; best of {} reps for (a)-(c), (e), (e+)",
        docs.len(),
        docs.len() - atom,
        mb(bytes),
        proc_status_mb("VmRSS:"),
        opts.reps,
    );
    if opts.store_only {
        let mut rows = Vec::new();
        record_poll_stages(&docs, &urls, opts.reps, &mut rows)?;
        print_table(&rows, bytes);
        return Ok(());
    }
    let (mut rows, split) = cpu_stages(&docs, &urls, opts.reps)?;
    let notes = store_stages(&docs, &urls, opts.reps, &mut rows)?;
    print_table(&rows, bytes);
    println!(
        "(c) split (last repetition): parse {:.2} s, normalize {:.2} s, dedup {:.2} s; \
         (c+) adds flag {:.2} s, fingerprint {:.2} s",
        split.parse, split.normalize, split.dedup, split.flag, split.fingerprint
    );
    println!("{notes}");
    println!(
        "peak RSS (VmHWM): {} MB through (d'), {} MB at exit \
         (the corpus itself holds {:.0} MB)",
        notes.peak_mb,
        proc_status_mb("VmHWM:"),
        mb(bytes)
    );
    Ok(())
}

/// (a), (b) and (c), each the best of `reps` runs.
fn cpu_stages(docs: &[FeedDoc], urls: &[String], reps: usize) -> BenchResult<(Vec<Row>, Split)> {
    let mut rows = Vec::new();
    rows.push(best_of(reps, "(a) feed-rs parse, 1 thread", || {
        bare_feed_rs(docs)
    })?);
    rows.push(best_of(reps, "(b) parse_feed, 1 thread", || {
        parse_only(docs, urls)
    })?);
    let mut split = Split::default();
    rows.push(best_of(
        reps,
        "(c) parse+normalize+dedup, 1 thread",
        || {
            let (n, s) = cpu_path(docs, urls, None)?;
            split = s;
            Ok(n)
        },
    )?);
    let flagger = flagger()?;
    let mut flag_split = Split::default();
    rows.push(best_of(reps, "(c+) (c) with flags, fingerprints", || {
        let (n, s) = cpu_path(docs, urls, Some(&flagger))?;
        flag_split = s;
        Ok(n)
    })?);
    split.flag = flag_split.flag;
    split.fingerprint = flag_split.fingerprint;
    Ok((rows, split))
}

/// What (d) saw besides its row.
struct StoreNotes {
    feeds: usize,
    full: full_path::FullPath,
    /// VmHWM after (d), before (e) prepares its own batches.
    peak_mb: u64,
}

impl std::fmt::Display for StoreNotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "(d) {} feeds added in {:.2} s (not timed); {} items stored ({} in the DB), \
             {IN_FLIGHT} feeds in flight; wall time summed over feeds: ingest {:.2} s, \
             record_poll {:.2} s",
            self.feeds,
            self.full.add_secs,
            self.full.stored,
            self.full.db_rows,
            self.full.ingest_wall,
            self.full.record_wait,
        )
    }
}

/// (d) and (e) on a multi-threaded runtime, rows appended to `rows`.
fn store_stages(
    docs: &Arc<Vec<FeedDoc>>,
    urls: &Arc<Vec<String>>,
    reps: usize,
    rows: &mut Vec<Row>,
) -> BenchResult<StoreNotes> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let full = runtime.block_on(full_path::full_path(docs.clone(), urls.clone(), None, None))?;
    let cpu_d = full.cpu;
    rows.push(Row {
        name: "(d) full path + store, all cores",
        items: full.stored,
        secs: full.secs,
    });
    let flagger = Arc::new(flagger()?);
    let near = clusterer(&flagger);
    let flagged = runtime.block_on(full_path::full_path(
        docs.clone(),
        urls.clone(),
        Some(flagger.clone()),
        std::env::var("NO_NEAR").is_err().then_some(near.clone()),
    ))?;
    let cpu_plus = flagged.cpu;
    println!(
        "(d+) wall time summed over feeds: ingest {:.2} s, record_poll {:.2} s",
        flagged.ingest_wall, flagged.record_wait
    );
    // Both include building the store and adding the feeds; on a machine
    // with few cores the ratio of CPU time is what the wall time follows.
    println!(
        "CPU time, all threads: (d) {cpu_d:.2} s, (d+) {cpu_plus:.2} s, ratio {:.2}",
        cpu_plus / cpu_d
    );
    rows.push(Row {
        name: "(d+) (d) with flags and clusters",
        items: flagged.stored,
        secs: flagged.secs,
    });
    for (name, pass) in [
        ("(d') (d) again, all items known", &full),
        ("(d+') (d+) again, all items known", &flagged),
    ] {
        rows.push(Row {
            name,
            items: pass.db_rows,
            secs: pass.repoll_secs,
        });
        if pass.repoll_new > 0 {
            println!(
                "{name}: {} items stored as new, none expected",
                pass.repoll_new
            );
        }
    }
    println!(
        "CPU time of the second passes: (d') {:.2} s, (d+') {:.2} s, ratio {:.2}",
        full.repoll_cpu,
        flagged.repoll_cpu,
        flagged.repoll_cpu / full.repoll_cpu
    );
    let peak_mb = proc_status_mb("VmHWM:");
    record_poll_stages(docs, urls, reps, rows)?;
    Ok(StoreNotes {
        feeds: docs.len(),
        full,
        peak_mb,
    })
}

/// (e) and (e+): `record_poll` alone, each the best of `reps` runs, rows
/// appended to `rows`.
fn record_poll_stages(
    docs: &Arc<Vec<FeedDoc>>,
    urls: &Arc<Vec<String>>,
    reps: usize,
    rows: &mut Vec<Row>,
) -> BenchResult<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let flagger = Arc::new(flagger()?);
    let near = clusterer(&flagger);
    // Best of `reps`, alternating: the two share the machine's mood.
    let mut best: [Option<Row>; 2] = [None, None];
    for _ in 0..reps {
        for (slot, name, linking) in [
            (0, "(e) record_poll alone", None),
            (
                1,
                "(e+) (e) linking clusters",
                Some((flagger.clone(), near.clone())),
            ),
        ] {
            let (items, secs) =
                runtime.block_on(full_path::store_only(docs.clone(), urls.clone(), linking))?;
            if best[slot].as_ref().is_none_or(|r| secs < r.secs) {
                best[slot] = Some(Row { name, items, secs });
            }
        }
    }
    rows.extend(best.into_iter().flatten());
    Ok(())
}

/// Near-duplicate matching as the daemon builds it from the defaults.
fn clusterer(flagger: &Arc<Flagger>) -> NearHandle {
    NearHandle(Arc::new(Clusterer {
        flagger: flagger.clone(),
        config: NearConfig::default(),
        window: chrono::Duration::days(7),
    }))
}

struct Options {
    feeds: usize,
    reps: usize,
    store_only: bool,
}

impl Options {
    /// `--feeds N`, `--reps N`, `--store-only`; anything else (cargo passes `--bench`) is ignored.
    fn from_args() -> Options {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let value = |flag: &str, default: usize| {
            args.iter()
                .position(|a| a == flag)
                .and_then(|i| args.get(i + 1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Options {
            feeds: value("--feeds", corpus::FEEDS).max(1),
            reps: value("--reps", 3).max(1),
            store_only: args.iter().any(|a| a == "--store-only"),
        }
    }
}

/// Runs `f` `reps` times and keeps the fastest run; `f` returns items done.
fn best_of(
    reps: usize,
    name: &'static str,
    mut f: impl FnMut() -> BenchResult<usize>,
) -> BenchResult<Row> {
    let mut best: Option<Row> = None;
    for _ in 0..reps {
        let t = Instant::now();
        let items = f()?;
        let secs = t.elapsed().as_secs_f64();
        if best.as_ref().is_none_or(|b| secs < b.secs) {
            best = Some(Row { name, items, secs });
        }
    }
    best.ok_or_else(|| "no repetition ran".into())
}

fn bare_feed_rs(docs: &[FeedDoc]) -> BenchResult<usize> {
    let mut items = 0;
    for d in docs {
        let feed = feed_rs::parser::parse(&d.body[..])?;
        items += black_box(feed).entries.len();
    }
    Ok(items)
}

fn parse_only(docs: &[FeedDoc], urls: &[String]) -> BenchResult<usize> {
    let mut items = 0;
    for (d, url) in docs.iter().zip(urls) {
        let parsed = parse::parse_feed(&d.body, Some(d.content_type), url)?;
        items += black_box(parsed).entries.len();
    }
    Ok(items)
}

/// Seconds spent in each part of (c), from its fastest repetition.
#[derive(Default, Clone, Copy)]
struct Split {
    parse: f64,
    normalize: f64,
    dedup: f64,
    /// (c+) only: `flag_and_compare`, and the fingerprints of its words.
    flag: f64,
    fingerprint: f64,
}

fn cpu_path(
    docs: &[FeedDoc],
    urls: &[String],
    flagger: Option<&Flagger>,
) -> BenchResult<(usize, Split)> {
    let mut items = 0;
    let mut split = Split::default();
    let known = KnownKeys::new();
    for (d, url) in docs.iter().zip(urls) {
        let t0 = Instant::now();
        let parsed = parse::parse_feed(&d.body, Some(d.content_type), url)?;
        let t1 = Instant::now();
        let ctx = context(url, parsed.language.as_deref());
        let mut articles: Vec<Article> = parsed
            .entries
            .iter()
            .map(|e| normalize::normalize_entry(e, &ctx))
            .collect();
        let t2 = Instant::now();
        if let Some(flagger) = flagger {
            let feed = FeedContext {
                site_url: parsed.site_url.as_deref(),
                feed_url: url,
                rights: parsed.rights.as_deref(),
                title: parsed.title.as_deref(),
            };
            for article in &mut articles {
                let f0 = Instant::now();
                let compared = flagger.flag_and_compare(article, &feed);
                let f1 = Instant::now();
                article.near = near::fingerprint(&compared);
                split.flag += (f1 - f0).as_secs_f64();
                split.fingerprint += f1.elapsed().as_secs_f64();
            }
        }
        let t3 = Instant::now();
        dedup::assign_keys(&mut articles, &known);
        let t4 = Instant::now();
        split.parse += (t1 - t0).as_secs_f64();
        split.normalize += (t2 - t1).as_secs_f64();
        split.dedup += (t4 - t3).as_secs_f64();
        items += black_box(articles).len();
    }
    Ok((items, split))
}

fn print_table(rows: &[Row], bytes: usize) {
    let base = rows.first().map(|r| r.items as f64 / r.secs).unwrap_or(1.0);
    println!();
    println!(
        "{:<37} {:>7} {:>8} {:>10} {:>8} {:>7}",
        "stage", "items", "secs", "items/s", "MB/s", "vs (a)"
    );
    for r in rows {
        let rate = r.items as f64 / r.secs;
        println!(
            "{:<37} {:>7} {:>8.3} {:>10.0} {:>8.1} {:>7.2}",
            r.name,
            r.items,
            r.secs,
            rate,
            mb(bytes) / r.secs,
            rate / base
        );
    }
    println!();
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// A `kB` line of /proc/self/status in MB (0 where there is no procfs).
/// The built-in rules, as the daemon's defaults build them.
fn flagger() -> BenchResult<Flagger> {
    Ok(Flagger {
        rules: RuleSet::build(&[], &[])?,
        options: FlagOptions {
            flag_agency_own_feed: false,
        },
    })
}

fn proc_status_mb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
