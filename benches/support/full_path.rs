//! The CPU path of one poll (`pipeline::ingest`, exactly what the daemon
//! runs), and the bench stages that add the store:
//! (d) the full path on all cores, (d') the same with ingests capped, and
//! (e) `record_poll` alone.

use super::corpus::FeedDoc;
use chrono::Utc;
use feedsieve::dedup;
use feedsieve::dedup::KnownKeys;
use feedsieve::fetch::{Fetcher, HttpSettings};
use feedsieve::model::Validators;
use feedsieve::normalize::NormalizeContext;
use feedsieve::pipeline::{Pipeline, body_hash, flag_articles, parse_and_normalize};
use feedsieve::scheduler::{HostGates, HostLimits, Policy};
use feedsieve::store::{FeedRecord, NearHandle, NewFeed, PollRecord, Store, UpsertCounts};
use feedsieve::syndication::Flagger;
use futures_util::StreamExt;
use std::error::Error;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Feeds in flight in (d): the default `scheduler.max_concurrent_fetches`.
pub const IN_FLIGHT: usize = 16;
/// `normalize.max_future_skew_secs` default.
const MAX_FUTURE_SKEW: Duration = Duration::from_secs(600);
/// Feeds whose articles (e) holds in memory at once.
const STORE_CHUNK: usize = 50;

pub type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The context `pipeline::ingest` builds, with the default future skew.
pub fn context<'a>(feed_url: &'a str, feed_language: Option<&'a str>) -> NormalizeContext<'a> {
    NormalizeContext {
        feed_url,
        feed_language,
        now: Utc::now(),
        max_future_skew: chrono::Duration::from_std(MAX_FUTURE_SKEW)
            .unwrap_or(chrono::Duration::zero()),
    }
}

async fn open_with_feeds(dir: &Path, urls: &[String]) -> BenchResult<(Store, Vec<FeedRecord>)> {
    let store = Store::open(&dir.join("bench.db")).await?;
    let now = Utc::now();
    let mut feeds = Vec::with_capacity(urls.len());
    for url in urls {
        let new = NewFeed {
            url: url.clone(),
            name: None,
            interval: None,
            origin: "cli",
        };
        feeds.push(store.add_feed(new, now).await?.0);
    }
    Ok((store, feeds))
}

/// What (d) measured.
pub struct FullPath {
    pub secs: f64,
    /// CPU time of the process, all threads, during the pass.
    pub cpu: f64,
    /// The second pass over the same bodies, all items known.
    pub repoll_secs: f64,
    pub repoll_cpu: f64,
    /// Items the second pass stored as new (none are).
    pub repoll_new: usize,
    pub add_secs: f64,
    pub stored: usize,
    pub db_rows: usize,
    pub ingest_wall: f64,
    pub record_wait: f64,
}

/// What one feed's poll in (d) did.
struct FeedTimes {
    counts: UpsertCounts,
    ingest: Duration,
    record: Duration,
}

/// (d): every feed through `Pipeline::ingest` and `record_poll`, as the
/// daemon handles a fresh body, with `IN_FLIGHT` feeds at once; then (d'),
/// the same again with every item known. Each pass ends with the store
/// closed, so index rows still pending are written inside its time.
pub async fn full_path(
    docs: Arc<Vec<FeedDoc>>,
    urls: Arc<Vec<String>>,
    flagger: Option<Arc<Flagger>>,
    near: Option<NearHandle>,
) -> BenchResult<FullPath> {
    let dir = tempfile::tempdir()?;
    let t = Instant::now();
    let (store, feeds) = open_with_feeds(dir.path(), &urls).await?;
    let add_secs = t.elapsed().as_secs_f64();
    let (t, cpu) = (Instant::now(), cpu_secs());
    let first = pass(&store, &docs, feeds, flagger.clone(), &near).await?;
    store.close().await;
    let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_secs() - cpu);
    // The same bodies again, every item known: a feed whose document
    // changed (a new build date, a reordered list) but holds nothing new,
    // which is most 200 answers of a running daemon.
    let store = Store::open(&dir.path().join("bench.db")).await?;
    let feeds = store.list_feeds().await?;
    let (t, repoll_cpu) = (Instant::now(), cpu_secs());
    let second = pass(&store, &docs, feeds, flagger, &near).await?;
    store.close().await;
    let (repoll_secs, repoll_cpu) = (t.elapsed().as_secs_f64(), cpu_secs() - repoll_cpu);
    let conn = rusqlite::Connection::open(dir.path().join("bench.db"))?;
    let db_rows: i64 = conn.query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))?;
    Ok(FullPath {
        secs,
        cpu,
        repoll_secs,
        repoll_cpu,
        repoll_new: second.stored,
        add_secs,
        stored: first.stored,
        db_rows: db_rows as usize,
        ingest_wall: first.ingest_wall,
        record_wait: first.record_wait,
    })
}

/// What one pass over every feed did.
struct Pass {
    stored: usize,
    ingest_wall: f64,
    record_wait: f64,
}

/// Every feed of `feeds` once through a pipeline on `store`.
async fn pass(
    store: &Store,
    docs: &Arc<Vec<FeedDoc>>,
    feeds: Vec<FeedRecord>,
    flagger: Option<Arc<Flagger>>,
    near: &Option<NearHandle>,
) -> BenchResult<Pass> {
    let fetcher = Fetcher::new(HttpSettings {
        user_agent: "feedsieve-bench".to_string(),
        timeout: Duration::from_secs(30),
        connect_timeout: Duration::from_secs(10),
        max_body_bytes: 16 << 20,
        max_redirects: 5,
        allow_private_networks: false,
    })?;
    let policy = Policy::with_default_interval(Duration::from_secs(1800));
    // No HTTP here, so no host gates are consulted; any limits do.
    let hosts = HostGates::new(
        HostLimits {
            concurrency: IN_FLIGHT,
            min_interval: Duration::ZERO,
        },
        Vec::new(),
    );
    let pipeline =
        Pipeline::new(store.clone(), fetcher, policy, MAX_FUTURE_SKEW, hosts).with_flagger(flagger);
    let mut polls = futures_util::stream::iter(feeds.into_iter().enumerate())
        .map(|(n, feed)| poll_one(&pipeline, docs.clone(), n, feed, near.clone()))
        .buffer_unordered(IN_FLIGHT);
    let mut done = Pass {
        stored: 0,
        ingest_wall: 0.0,
        record_wait: 0.0,
    };
    while let Some(feed) = polls.next().await {
        let feed = feed?;
        done.stored += feed.counts.new as usize;
        done.ingest_wall += feed.ingest.as_secs_f64();
        done.record_wait += feed.record.as_secs_f64();
    }
    Ok(done)
}

/// One feed as `Pipeline::poll_feed` handles a fresh body, minus the HTTP.
async fn poll_one(
    pipeline: &Pipeline,
    docs: Arc<Vec<FeedDoc>>,
    n: usize,
    feed: FeedRecord,
    near: Option<NearHandle>,
) -> BenchResult<FeedTimes> {
    let started_at = Utc::now();
    let doc = &docs[n];
    let hash = body_hash(&doc.body);
    let t = Instant::now();
    let ing = pipeline
        .ingest(
            feed.id,
            doc.body.clone(),
            Some(doc.content_type.to_string()),
            feed.url.clone(),
            feed.body_hash.is_none(),
        )
        .await??;
    let ingest = t.elapsed();
    let mut record = poll_record(&feed, started_at, doc.body.len());
    record.title = ing.title;
    record.site_url = ing.site_url;
    record.articles = ing.articles;
    record.body_hash = Some(hash);
    record.near = near;
    let t = Instant::now();
    let counts = pipeline.store.record_poll(record).await?;
    Ok(FeedTimes {
        counts,
        ingest,
        record: t.elapsed(),
    })
}

/// A successful 200 poll's record with no articles yet, as `pipeline.rs` fills it.
fn poll_record(feed: &FeedRecord, started_at: chrono::DateTime<Utc>, bytes: usize) -> PollRecord {
    let finished_at = Utc::now();
    PollRecord {
        finished_at,
        status: Some(200),
        outcome: "fetched".to_string(),
        bytes: bytes as u64,
        duration_ms: (finished_at - started_at).num_milliseconds().max(0) as u64,
        next_check_at: finished_at + chrono::Duration::minutes(30),
        validators: Some(Validators {
            etag: Some(format!("\"{}\"", feed.id)),
            last_modified: Some("Thu, 01 Jan 2026 00:00:00 GMT".to_string()),
        }),
        ..PollRecord::started(feed.id, feed.url.clone(), started_at)
    }
}

/// (e): items stored and seconds spent in `record_poll` for every feed,
/// articles prepared untimed `STORE_CHUNK` feeds at a time so memory stays
/// bounded.
/// With `near`, articles are flagged and fingerprinted (untimed) and
/// `record_poll` links them into clusters: the store's share of (d+).
pub async fn store_only(
    docs: Arc<Vec<FeedDoc>>,
    urls: Arc<Vec<String>>,
    near: Option<(Arc<Flagger>, NearHandle)>,
) -> BenchResult<(usize, f64)> {
    let dir = tempfile::tempdir()?;
    let (store, feeds) = open_with_feeds(dir.path(), &urls).await?;
    let known = KnownKeys::new();
    let (mut stored, mut secs) = (0, 0.0);
    for (chunk_no, chunk) in feeds.chunks(STORE_CHUNK).enumerate() {
        let mut records = Vec::with_capacity(chunk.len());
        for (i, feed) in chunk.iter().enumerate() {
            let doc = &docs[chunk_no * STORE_CHUNK + i];
            let mut ing = parse_and_normalize(
                &doc.body,
                Some(doc.content_type),
                &feed.url,
                Utc::now(),
                MAX_FUTURE_SKEW,
            )?;
            dedup::assign_keys(&mut ing.articles, &known);
            if let Some((flagger, _)) = &near {
                flag_articles(&mut ing, &feed.url, flagger, &known);
            }
            let mut record = poll_record(feed, Utc::now(), doc.body.len());
            record.near = near.as_ref().map(|(_, handle)| handle.clone());
            record.title = ing.title;
            record.site_url = ing.site_url;
            record.articles = ing.articles;
            record.body_hash = Some(body_hash(&doc.body));
            records.push(record);
        }
        let t = Instant::now();
        for record in records {
            stored += store.record_poll(record).await?.new as usize;
        }
        secs += t.elapsed().as_secs_f64();
    }
    // Index rows still pending are written on close: part of the work.
    let t = Instant::now();
    store.close().await;
    secs += t.elapsed().as_secs_f64();
    Ok((stored, secs))
}

/// User plus system CPU time of the whole process so far, in seconds
/// (`/proc/self/stat`, at the kernel's 100 ticks per second).
pub fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name, which is in parentheses.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
            Some(ticks as f64 / 100.0)
        })
        .unwrap_or(0.0)
}
