//! `articles`: stored articles as a table, a JSON array, JSON lines or CSV.
//!
//! The JSON field names are a stable interface that other tools read; the
//! CSV columns are the same keys in the same order.

use super::table::{truncate, write_table};
use crate::cli::{ArticleFormat, ArticlesArgs};
use crate::store::{ArticleFilter, Store, StoredArticle};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::io::Write;

pub async fn articles(store: &Store, out: &mut dyn Write, args: &ArticlesArgs) -> Result<()> {
    let filter = article_filter(
        store,
        args.feed.as_deref(),
        args.since,
        args.limit,
        (args.syndicated, args.original),
    )
    .await?;
    let rows = store.articles(filter).await?;
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
        ArticleFormat::Csv => write_csv(out, &rows)?,
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

/// The filter of `--feed`, `--since`, `--limit` and
/// `(--syndicated, --original)`, shared with `search`.
pub(super) async fn article_filter(
    store: &Store,
    feed: Option<&str>,
    since: Option<DateTime<Utc>>,
    limit: Option<usize>,
    (syndicated, original): (bool, bool),
) -> Result<ArticleFilter> {
    let feed = match feed {
        Some(sel) => Some(store.find_feed(sel).await?.id),
        None => None,
    };
    Ok(ArticleFilter {
        feed,
        since,
        limit,
        syndicated: match (syndicated, original) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
    })
}

/// The keys of an article's JSON object, in the order it writes them: the
/// CSV header. A test checks it against the serialized form.
const CSV_COLUMNS: &[&str] = &[
    "id",
    "feed_id",
    "feed_url",
    "guid",
    "item_key",
    "url",
    "title",
    "authors",
    "categories",
    "published",
    "published_raw",
    "updated",
    "updated_raw",
    "first_seen",
    "last_seen",
    "summary",
    "text",
    "content_html",
    "language",
    "enclosures",
    "content_hash",
    "syndicated",
    "syndication_score",
    "syndication_reasons",
    "syndication_source",
    "cluster_id",
    "duplicate_of",
];

/// One CSV row per article under a header of [`CSV_COLUMNS`]. Each field
/// is the JSON value's text: strings as they are, null as an empty field,
/// numbers and booleans as JSON writes them, and lists (authors, reasons,
/// enclosures) as JSON arrays. JSON rather than `;`-joined because an
/// author or category may hold a `;`, and enclosures are objects: a reader
/// gets back exactly what the JSON lines carry.
fn write_csv(out: &mut dyn Write, rows: &[StoredArticle]) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_COLUMNS)?;
    for a in rows {
        let Value::Object(fields) = serde_json::to_value(a)? else {
            anyhow::bail!("article {} did not serialize to a JSON object", a.id);
        };
        w.write_record(CSV_COLUMNS.iter().map(|k| match fields.get(*k) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        }))
        .with_context(|| format!("writing article {} as CSV", a.id))?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StoredArticle {
        StoredArticle {
            id: 7,
            feed_id: 2,
            feed_url: "https://a.example/rss".to_string(),
            guid: None,
            item_key: "k".to_string(),
            url: Some("https://a.example/1".to_string()),
            title: Some("Rates, \"again\"\nup".to_string()),
            authors: vec!["A; B".to_string(), "C".to_string()],
            categories: Vec::new(),
            published: Some("2026-01-01T00:00:00Z".to_string()),
            published_raw: None,
            updated: None,
            updated_raw: None,
            first_seen: "2026-01-01T00:00:00Z".to_string(),
            last_seen: "2026-01-01T00:00:00Z".to_string(),
            summary: None,
            text: Some("t".to_string()),
            content_html: None,
            language: None,
            enclosures: Vec::new(),
            content_hash: "h".to_string(),
            syndicated: true,
            syndication_score: 0.5,
            syndication_reasons: vec!["credit".to_string()],
            syndication_source: Some("AP".to_string()),
            cluster_id: None,
            duplicate_of: None,
            similarity: None,
            furniture_lines: 0,
        }
    }

    #[test]
    fn csv_columns_are_the_json_keys_in_order() {
        let json = serde_json::to_string(&sample()).unwrap();
        let Value::Object(fields) = serde_json::from_str(&json).unwrap() else {
            panic!("{json}");
        };
        let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
        let mut columns = CSV_COLUMNS.to_vec();
        keys.sort_unstable();
        columns.sort_unstable();
        assert_eq!(columns, keys);
        let at: Vec<usize> = CSV_COLUMNS
            .iter()
            .map(|k| json.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{json}");
    }

    #[test]
    fn csv_quotes_and_keeps_lists_as_json() {
        let mut out = Vec::new();
        write_csv(&mut out, &[sample()]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("\"Rates, \"\"again\"\"\nup\""),
            "quoted with doubled quotes: {text}"
        );
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, CSV_COLUMNS);
        let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().unwrap();
        assert_eq!(rows.len(), 1);
        let field = |k: &str| &rows[0][CSV_COLUMNS.iter().position(|c| *c == k).unwrap()];
        assert_eq!(field("title"), "Rates, \"again\"\nup");
        assert_eq!(field("authors"), r#"["A; B","C"]"#);
        assert_eq!(field("guid"), "");
        assert_eq!(field("syndicated"), "true");
        assert_eq!(field("syndication_score"), "0.5");
        assert_eq!(field("enclosures"), "[]");
    }
}
