//! `feeds add|list|remove|enable|disable|reset|import|export`.

use super::opml::{self, OpmlFeed};
use super::table::{truncate, write_table};
use crate::cli::ListFormat;
use crate::config::validate_feed_url;
use crate::store::{FeedRecord, NewFeed, Store};
use anyhow::{Context, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// `feeds add`: prints the feed's id and whether it was new.
pub async fn add(
    store: &Store,
    out: &mut dyn Write,
    url: &str,
    name: Option<String>,
    interval_secs: Option<u64>,
) -> Result<FeedRecord> {
    let url = validate_feed_url(url).map_err(|e| anyhow::anyhow!("feed url: {e}"))?;
    let feed = NewFeed {
        url,
        name,
        interval: interval_secs.map(Duration::from_secs),
        origin: "cli",
    };
    let (rec, created) = store.add_feed(feed, Utc::now()).await?;
    if created {
        writeln!(out, "added feed {} {}", rec.id, rec.url)?;
    } else {
        writeln!(out, "feed already present: {} {}", rec.id, rec.url)?;
    }
    Ok(rec)
}

/// `feeds list`.
pub async fn list(store: &Store, out: &mut dyn Write, format: ListFormat) -> Result<()> {
    let feeds = store.list_feeds().await?;
    match format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &feeds)?;
            writeln!(out)?;
        }
        ListFormat::Table => {
            let rows: Vec<Vec<String>> = feeds
                .iter()
                .map(|f| {
                    vec![
                        f.id.to_string(),
                        super::status::state_of(f).to_string(),
                        f.consecutive_errors.to_string(),
                        f.last_outcome.clone().unwrap_or_else(|| "-".to_string()),
                        short_time(f.last_checked_at),
                        short_time(Some(f.next_check_at)),
                        f.articles.to_string(),
                        truncate(f.name.as_deref().or(f.title.as_deref()).unwrap_or("-"), 32),
                        f.url.clone(),
                        truncate(f.last_error.as_deref().unwrap_or("-"), 60),
                    ]
                })
                .collect();
            write_table(
                out,
                &[
                    "id",
                    "state",
                    "errors",
                    "last outcome",
                    "last check",
                    "next check",
                    "articles",
                    "name",
                    "url",
                    "last error",
                ],
                &rows,
            )?;
        }
    }
    Ok(())
}

fn short_time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| "-".to_string())
}

/// `feeds remove`.
pub async fn remove(store: &Store, out: &mut dyn Write, selector: &str) -> Result<()> {
    let feed = store.find_feed(selector).await?;
    store.remove_feed(feed.id).await?;
    writeln!(
        out,
        "removed feed {} {} and its {} articles",
        feed.id, feed.url, feed.articles
    )?;
    if feed.origin == "config" {
        // Config feeds are merged in at every start; without this note the
        // feed would silently reappear.
        writeln!(
            out,
            "note: this feed is listed in the configuration file and will be added again at the next start unless you remove it there"
        )?;
    }
    Ok(())
}

/// `feeds enable`: polls the feed again; a gone feed is also reset.
pub async fn enable(store: &Store, out: &mut dyn Write, selector: &str) -> Result<()> {
    let feed = store.find_feed(selector).await?;
    let after = store.enable_feed(feed.id, true, Utc::now()).await?;
    writeln!(
        out,
        "enabled feed {} {} (state {})",
        after.id, after.url, after.state
    )?;
    Ok(())
}

/// `feeds disable`.
pub async fn disable(store: &Store, out: &mut dyn Write, selector: &str) -> Result<()> {
    let feed = store.find_feed(selector).await?;
    store.enable_feed(feed.id, false, Utc::now()).await?;
    writeln!(out, "disabled feed {} {}", feed.id, feed.url)?;
    Ok(())
}

/// `feeds reset`.
pub async fn reset(store: &Store, out: &mut dyn Write, selector: &str) -> Result<()> {
    let feed = store.find_feed(selector).await?;
    store.reset_feed(feed.id, Utc::now()).await?;
    writeln!(
        out,
        "reset feed {} {}: errors cleared, due now",
        feed.id, feed.url
    )?;
    Ok(())
}

/// `feeds import`: adds every outline with a feed URL; bad URLs are
/// reported and skipped, the rest still imported.
pub async fn import(store: &Store, out: &mut dyn Write, path: &Path) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let entries =
        opml::parse_opml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut invalid = 0;
    let mut feeds = Vec::with_capacity(entries.len());
    for entry in entries {
        match validate_feed_url(&entry.url) {
            Ok(url) => feeds.push(NewFeed {
                url,
                name: entry.title,
                interval: None,
                origin: "opml",
            }),
            Err(e) => {
                invalid += 1;
                writeln!(out, "skipped {:?}: {e}", entry.url)?;
            }
        }
    }
    let valid = feeds.len();
    let added = store.add_feeds(feeds, Utc::now()).await?;
    let present = valid - added;
    writeln!(
        out,
        "imported {added} feeds ({present} already present, {invalid} invalid)"
    )?;
    Ok(())
}

/// `feeds export`: OPML 2.0 of every feed.
pub async fn export(store: &Store, out: &mut dyn Write) -> Result<()> {
    let feeds: Vec<OpmlFeed> = store
        .list_feeds()
        .await?
        .into_iter()
        .map(|f| OpmlFeed {
            title: f.name.or(f.title),
            url: f.url,
        })
        .collect();
    opml::write_opml(out, &feeds)?;
    Ok(())
}
