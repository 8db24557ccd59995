//! `search`: full-text search over stored articles, best match first, as
//! a table, a JSON array or JSON lines.
//!
//! A hit is an article's identifying fields (named as in `articles
//! --format jsonl`) with its rank, score and snippet; the whole article is
//! one `articles`/`explain` away, and a search should not print every
//! matching text in full.

use super::articles::article_filter;
use super::table::{truncate, write_table};
use crate::cli::{SearchArgs, SearchFormat};
use crate::store::{SearchHit, Store};
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// One line of `search --format jsonl`.
#[derive(Debug, Serialize)]
struct HitRecord<'a> {
    id: i64,
    feed_id: i64,
    feed_url: &'a str,
    url: Option<&'a str>,
    title: Option<&'a str>,
    published: Option<&'a str>,
    syndicated: bool,
    syndication_source: Option<&'a str>,
    cluster_id: Option<i64>,
    /// 1 for the best hit.
    rank: usize,
    /// BM25 relevance, higher is better; comparable within one search only.
    score: f64,
    snippet: String,
}

impl<'a> HitRecord<'a> {
    fn new(rank: usize, hit: &'a SearchHit) -> HitRecord<'a> {
        let a = &hit.article;
        HitRecord {
            id: a.id,
            feed_id: a.feed_id,
            feed_url: &a.feed_url,
            url: a.url.as_deref(),
            title: a.title.as_deref(),
            published: a.published.as_deref(),
            syndicated: a.syndicated,
            syndication_source: a.syndication_source.as_deref(),
            cluster_id: a.cluster_id,
            rank,
            score: hit.score,
            // Texts keep their paragraph breaks; a snippet reads as one line.
            snippet: hit.snippet.split_whitespace().collect::<Vec<_>>().join(" "),
        }
    }
}

pub async fn search(store: &Store, out: &mut dyn Write, args: &SearchArgs) -> Result<()> {
    let limit = (args.limit > 0).then_some(args.limit);
    let filter = article_filter(
        store,
        args.feed.as_deref(),
        args.since,
        limit,
        (args.syndicated, args.original),
    )
    .await?;
    let hits = store.search(args.query.clone(), filter).await?;
    let records: Vec<HitRecord<'_>> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| HitRecord::new(i + 1, h))
        .collect();
    match args.format {
        SearchFormat::Jsonl => {
            for r in &records {
                serde_json::to_writer(&mut *out, r)?;
                writeln!(out)?;
            }
        }
        SearchFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &records)?;
            writeln!(out)?;
        }
        SearchFormat::Table => {
            let table: Vec<Vec<String>> = records
                .iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        r.feed_id.to_string(),
                        r.published.unwrap_or("-").to_string(),
                        format!("{:.2}", r.score),
                        truncate(r.title.unwrap_or("(untitled)"), 60),
                        truncate(&r.snippet, 120),
                    ]
                })
                .collect();
            write_table(
                out,
                &["id", "feed", "published", "score", "title", "snippet"],
                &table,
            )?;
        }
    }
    Ok(())
}
