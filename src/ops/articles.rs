//! `articles`: stored articles as a table, a JSON array or JSON lines.
//!
//! The JSON field names are a stable interface that other tools read.

use super::table::{truncate, write_table};
use crate::cli::{ArticleFormat, ArticlesArgs};
use crate::store::{ArticleFilter, Store};
use anyhow::Result;
use std::io::Write;

pub async fn articles(store: &Store, out: &mut dyn Write, args: &ArticlesArgs) -> Result<()> {
    let feed = match &args.feed {
        Some(sel) => Some(store.find_feed(sel).await?.id),
        None => None,
    };
    let rows = store
        .articles(ArticleFilter {
            feed,
            since: args.since,
            limit: args.limit,
            syndicated: match (args.syndicated, args.original) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
        })
        .await?;
    match args.format {
        ArticleFormat::Jsonl => {
            for a in &rows {
                serde_json::to_writer(&mut *out, a)?;
                writeln!(out)?;
            }
        }
        ArticleFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
        ArticleFormat::Table => {
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|a| {
                    vec![
                        a.id.to_string(),
                        a.feed_id.to_string(),
                        a.published.clone().unwrap_or_else(|| "-".to_string()),
                        if a.syndicated {
                            a.syndication_source.as_deref().unwrap_or("yes").to_string()
                        } else {
                            "-".to_string()
                        },
                        truncate(a.title.as_deref().unwrap_or("(untitled)"), 80),
                    ]
                })
                .collect();
            write_table(
                out,
                &["id", "feed", "published", "syndicated", "title"],
                &table,
            )?;
        }
    }
    Ok(())
}
