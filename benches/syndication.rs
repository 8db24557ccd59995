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

use chrono::Utc;
use feedsieve::model::{Article, RawEntry};
use feedsieve::normalize::{self, NormalizeContext};
use feedsieve::syndication::{FeedContext, Flagger, Options, RuleSet};
use serde::Deserialize;
use std::hint::black_box;
use std::time::Instant;

#[derive(Deserialize)]
struct Set {
    item: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    publisher: String,
    title: String,
    link: String,
    author: Option<String>,
    description: Option<String>,
    content: Option<String>,
}

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> BenchResult<()> {
    let reps: usize = std::env::args()
        .skip_while(|a| a != "--reps")
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/syndication");
    let mut items = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            items.extend(toml::from_str::<Set>(&std::fs::read_to_string(&path)?)?.item);
        }
    }
    let entries: Vec<(RawEntry, &str)> = items
        .iter()
        .map(|i| {
            let entry = RawEntry {
                link: Some(i.link.clone()),
                title: Some(i.title.clone()),
                summary: i.description.clone(),
                content: i.content.clone(),
                authors: i.author.iter().cloned().collect(),
                ..RawEntry::default()
            };
            (entry, i.publisher.as_str())
        })
        .collect();
    let now = Utc::now();
    let normalize_all = || -> Vec<(Article, &str)> {
        entries
            .iter()
            .map(|(e, publisher)| {
                let ctx = NormalizeContext {
                    feed_url: publisher,
                    feed_language: None,
                    now,
                    max_future_skew: chrono::Duration::minutes(10),
                };
                (normalize::normalize_entry(e, &ctx), *publisher)
            })
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
