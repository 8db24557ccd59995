//! Syndication flagging throughput on one core.
//!
//! The labelled sets under `tests/fixtures/syndication/` (about 170 real-
//! shaped articles, two fifths of them agency or partner copy) are
//! normalized once; then every article is classified `--reps` times on one
//! thread with the built-in rules. The baseline, timed in the same run, is
//! `normalize_entry` over the same items: the stage the flagger follows, so
//! the ratio says what flagging adds to the CPU part of a poll.
//!
//! ```text
//! cargo bench --bench syndication
//! cargo bench --bench syndication -- --reps 200
//! ```
//!
//! Target from the syndication issue: at least 50,000 decisions/s.

#[path = "support/labelled.rs"]
mod labelled;

use chrono::Utc;
use feedsieve::model::{Article, RawEntry};
use feedsieve::syndication::{FeedContext, Flagger, Options, RuleSet};
use std::hint::black_box;
use std::time::Instant;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BenchResult<()> {
    let reps: usize = std::env::args()
        .skip_while(|a| a != "--reps")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let mut items = Vec::new();
    for entry in std::fs::read_dir(labelled::DIR)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            items.extend(labelled::load(&path)?);
        }
    }
    let entries: Vec<RawEntry> = items.iter().map(labelled::Item::entry).collect();
    let now = Utc::now();
    let normalize_all = || -> Vec<(Article, &str)> {
        items
            .iter()
            .zip(&entries)
            .map(|(item, entry)| (item.article(entry, now), item.publisher.as_str()))
            .collect()
    };
    let articles = normalize_all();
    let t = Instant::now();
    let built = RuleSet::build(&[], &[])?;
    let build_secs = t.elapsed().as_secs_f64();
    let flagger = Flagger {
        rules: built,
        options: Options {
            flag_agency_own_feed: false,
        },
    };

    let t = Instant::now();
    for _ in 0..reps.div_ceil(10) {
        black_box(normalize_all());
    }
    let normalize_rate = (articles.len() * reps.div_ceil(10)) as f64 / t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut flagged = 0;
    for _ in 0..reps {
        for (article, publisher) in &articles {
            let feed = FeedContext {
                site_url: Some(publisher),
                feed_url: publisher,
                rights: None,
                title: None,
            };
            flagged += usize::from(flagger.classify(article, &feed).verdict.syndicated);
        }
    }
    let decisions = articles.len() * reps;
    let rate = decisions as f64 / t.elapsed().as_secs_f64();
    let bytes: usize = articles
        .iter()
        .map(|(a, _)| {
            a.text.as_deref().map_or(0, str::len) + a.summary.as_deref().map_or(0, str::len)
        })
        .sum();
    println!(
        "syndication bench: {} articles ({} KB of text), {reps} reps, {} rules compiled in {:.0} ms",
        articles.len(),
        bytes / 1024,
        flagger.rules.len(),
        build_secs * 1000.0
    );
    println!(
        "flag decisions: {rate:.0}/s on one thread ({:.1} µs each; {} flagged per pass)",
        1e6 / rate,
        flagged / reps
    );
    println!(
        "baseline normalize_entry on the same items: {normalize_rate:.0}/s; flagging costs {:.2}x of normalizing",
        normalize_rate / rate
    );
    Ok(())
}
