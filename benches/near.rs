//! Near-duplicate lookup with a large index.
//!
//! A plain `main`. It fills a fresh database with `--docs` fingerprinted
//! articles (default 1,000,000; 30% short texts, publication times spread
//! over 7 days) written straight into the store's tables with one
//! transaction (the store's own path would take an hour to ingest that many
//! bodies), then times `--lookups` calls of `Store::find_near`, the lookup
//! `record_poll` runs before each new article: half are copies of stored
//! articles (2 SimHash bits changed), half match nothing. One lookup at a
//! time, on the store's single writer thread: that is one core.
//!
//! ```text
//! cargo bench --bench near
//! cargo bench --bench near -- --docs 200000 --lookups 5000
//! cargo bench --bench near -- --mmap-mb 1024     # with database.mmap_mb
//! cargo bench --bench near -- --keep /tmp/near.db   # fill once, reuse
//! ```
//!
//! Target from the syndication issue: at least 20,000 lookups/s with
//! 1,000,000 indexed articles, and the index's size reported.

use chrono::{Duration, TimeZone, Utc};
use feedsieve::dedup::near::{self, NearConfig};
use feedsieve::model::{Article, Fingerprint};
use feedsieve::pipeline::Clusterer;
use feedsieve::store::{NearHandle, Store, StoreOptions};
use feedsieve::syndication::{Flagger, Options, RuleSet};
use rusqlite::params;
use std::sync::Arc;
use std::time::Instant;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// SplitMix64: reproducible fingerprints.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The `n`-th stored fingerprint.
fn stored(n: u64) -> Fingerprint {
    let mut rng = Rng(n);
    let short = n % 10 < 3;
    let mut shingles: Vec<u32> = (0..if short { 40 } else { 128 })
        .map(|_| rng.next() as u32)
        .collect();
    let lead = shingles[..2].to_vec();
    shingles.sort_unstable();
    Fingerprint {
        simhash: rng.next(),
        words: if short { 42 } else { 300 },
        shingles,
        lead,
    }
}

fn main() -> BenchResult<()> {
    let docs = arg("--docs", 1_000_000);
    let lookups = arg("--lookups", 20_000);
    let config = NearConfig::default();
    let dir = tempfile::tempdir()?;
    // `--keep FILE`: fill FILE once and reuse it on later runs with the same
    // `--docs` (for A/B runs of the lookup; the fill takes a minute).
    let keep = std::env::args()
        .skip_while(|a| a != "--keep")
        .nth(1)
        .map(std::path::PathBuf::from);
    let reuse = keep.as_ref().is_some_and(|k| k.exists());
    let db = keep.unwrap_or_else(|| dir.path().join("near.db"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Opening creates the schema.
    rt.block_on(async {
        Store::open(&db).await?.close().await;
        BenchResult::Ok(())
    })?;

    let base = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let t = Instant::now();
    if !reuse {
        let mut conn = rusqlite::Connection::open(&db)?;
        conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF;")?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO feeds (id, url, added_url, next_check_at, created_at)
             VALUES (1, 'https://wire.example/rss', 'https://wire.example/rss', ?1, ?1)",
            [base.to_rfc3339()],
        )?;
        {
            let mut article = tx.prepare(
                "INSERT INTO articles (id, feed_id, item_key, content_hash, first_seen, last_seen, clustered)
                 VALUES (?1, 1, ?2, 'h', ?3, ?3, 1)",
            )?;
            let mut doc = tx.prepare(
                "INSERT INTO near_docs (article_id, feed_id, cluster, published, simhash, words, shingles)
                 VALUES (?1, 1, ?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut index = tx.prepare(
                "INSERT OR IGNORE INTO near_keys (key, published, article_id, feed_id, simhash, words)
                 VALUES (?1, ?2, ?3, 1, ?4, ?5)",
            )?;
            for n in 0..docs as u64 {
                let id = n as i64 + 1;
                let fp = stored(n);
                let at = base + Duration::seconds((n * 604_800 / docs as u64) as i64);
                let published = at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
                article.execute(params![id, format!("k{n}"), published])?;
                doc.execute(params![
                    id,
                    published,
                    fp.simhash as i64,
                    fp.words,
                    near::shingles_to_bytes(&fp.shingles)
                ])?;
                for key in near::index_keys(&fp, &config) {
                    index.execute(params![
                        key,
                        at.timestamp(),
                        id,
                        fp.simhash as i64,
                        fp.words
                    ])?;
                }
            }
        }
        tx.commit()?;
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    }
    let fill = t.elapsed().as_secs_f64();
    let size = |path: &std::path::Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let table_bytes = |names: &str| -> i64 {
        rusqlite::Connection::open(&db)
            .and_then(|c| {
                c.query_row(
                    &format!("SELECT SUM(pgsize) FROM dbstat WHERE name IN ({names})"),
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap_or(-1)
    };
    let index_bytes =
        table_bytes("'near_keys', 'near_docs', 'near_docs_cluster', 'near_docs_unkeyed'");
    let keys_bytes = table_bytes("'near_keys'");

    let flagger = Arc::new(Flagger {
        rules: RuleSet::build(&[], &[])?,
        options: Options {
            flag_agency_own_feed: false,
        },
    });
    let matcher = NearHandle(Arc::new(Clusterer {
        flagger,
        config,
        window: Duration::days(7),
    }));
    // The same lookups twice: one call to the writer thread per lookup
    // (the hand-off dominates), and in batches of `--batch` as
    // `record_poll` runs them for a poll's new items.
    let batch = arg("--batch", 100).max(1);
    // `--mmap-mb N`: `database.mmap_mb` (default 0, as shipped).
    let options = StoreOptions {
        mmap_bytes: arg("--mmap-mb", 0) as u64 * 1024 * 1024,
        ..StoreOptions::default()
    };
    let run = |per_call: usize| {
        rt.block_on(async {
            let store = Store::open_with(&db, options).await?;
            let mut rng = Rng(42);
            // The lookups, made before the clock starts.
            let mut batches: Vec<Vec<Article>> = Vec::new();
            let mut done = 0;
            while done < lookups {
                let n = per_call.min(lookups - done);
                batches.push(
                    (done..done + n)
                        .map(|i| {
                            let fp = if i % 2 == 0 {
                                // A copy of a stored long article, 2 bits off.
                                let mut n = rng.next() % docs as u64;
                                n += u64::from(n % 10 < 3) * 3 % docs as u64;
                                let mut fp = stored(n);
                                fp.simhash ^= 0b101;
                                fp
                            } else {
                                stored(docs as u64 + 1 + rng.next() % 1_000_000_000)
                            };
                            Article {
                                published: Some(base + Duration::days(3)),
                                near: Some(fp),
                                ..Article::default()
                            }
                        })
                        .collect(),
                );
                done += n;
            }
            // The first lookup of a process builds the key filter from the
            // whole index: timed on its own.
            let t = Instant::now();
            store
                .find_near(
                    Vec::new(),
                    "https://other.example/rss".into(),
                    matcher.clone(),
                )
                .await?;
            let first = t.elapsed().as_secs_f64();
            let mut found = 0usize;
            let t = Instant::now();
            for articles in batches {
                let hits = store
                    .find_near(
                        articles,
                        "https://other.example/rss".into(),
                        matcher.clone(),
                    )
                    .await?;
                found += hits.iter().filter(|h| h.is_some()).count();
            }
            let secs = t.elapsed().as_secs_f64();
            store.close().await;
            BenchResult::Ok((found, secs, first))
        })
    };
    let (found_one, secs_one, _) = run(1)?;
    let (found, secs, first) = run(batch)?;
    println!(
        "near bench: {docs} indexed articles filled in {fill:.1} s; database {:.0} MB, \
         of which the near-duplicate tables {}",
        size(&db) as f64 / 1e6,
        if index_bytes >= 0 {
            format!(
                "{:.0} MB ({:.0} MB the key index near_keys, the rest fingerprints)",
                index_bytes as f64 / 1e6,
                keys_bytes as f64 / 1e6
            )
        } else {
            "not measured (no dbstat)".to_string()
        }
    );
    println!(
        "lookups in batches of {batch}: {lookups} in {secs:.2} s = {:.0}/s, {:.1} µs each; \
         {found} found (half are copies)",
        lookups as f64 / secs,
        secs * 1e6 / lookups as f64
    );
    println!(
        "lookups one call each: {:.0}/s, {:.1} µs each ({found_one} found); \
         batched/one-by-one {:.2}x",
        lookups as f64 / secs_one,
        secs_one * 1e6 / lookups as f64,
        secs_one / secs
    );
    println!("a process's first lookup, which builds the key filter from the index: {first:.2} s");
    Ok(())
}
