//! `explain`, `reclassify` and `clusters`: the syndication rules run again
//! over stored articles, to show why one is flagged or to refresh every
//! flag after the rules changed; and the near-duplicate clusters.

use super::table::{truncate, write_table};
use crate::cli::{ClustersArgs, ListFormat};
use crate::model::Article;
use crate::model::Syndication;
use crate::store::{ArticleInFeed, Store, StoredArticle};
use crate::syndication::{Classification, FeedContext, Flagger, publisher_host};
use anyhow::Result;
use chrono::{DateTime, Utc};
use std::io::Write;

/// Articles read and rewritten per transaction by `reclassify`.
const BATCH: usize = 500;

/// The flagger's view of a stored article.
fn classify(flagger: &Flagger, row: &ArticleInFeed) -> Classification {
    let (article, feed) = flagger_view(row);
    flagger.classify(&article, &feed)
}

/// The article and feed context the flagger reads, from a stored row.
fn flagger_view(row: &ArticleInFeed) -> (Article, FeedContext<'_>) {
    let a = &row.article;
    let article = Article {
        url: a.url.clone(),
        title: a.title.clone(),
        authors: a.authors.clone(),
        summary: a.summary.clone(),
        text: a.text.clone(),
        furniture_lines: a.furniture_lines,
        ..Article::default()
    };
    let feed = FeedContext {
        site_url: row.site_url.as_deref(),
        feed_url: &a.feed_url,
        rights: row.rights.as_deref(),
        title: row.title.as_deref(),
    };
    (article, feed)
}

/// The verdict `reclassify` stores: the rules again, plus
/// `cross_source_copy` when the article copies an earlier one from another
/// host (the link made at insert stands; only the rules changed).
async fn reverdict(store: &Store, flagger: &Flagger, row: &ArticleInFeed) -> Result<Syndication> {
    let a = &row.article;
    if let (Some(original), Some(similarity)) = (a.duplicate_of, a.similarity) {
        let theirs = store.article_in_feed(original).await.ok();
        let other_host = theirs.is_some_and(|t| {
            publisher_host(
                t.site_url.as_deref(),
                t.article.url.as_deref(),
                &t.article.feed_url,
            ) != publisher_host(row.site_url.as_deref(), a.url.as_deref(), &a.feed_url)
        });
        if other_host {
            let (article, feed) = flagger_view(row);
            return Ok(flagger.classify_copied(&article, &feed, similarity as f32));
        }
    }
    Ok(classify(flagger, row).verdict)
}

/// `explain ID`: the verdict, then every signal with the text it matched.
pub async fn explain(store: &Store, flagger: &Flagger, out: &mut dyn Write, id: i64) -> Result<()> {
    let row = store.article_in_feed(id).await?;
    let c = classify(flagger, &row);
    let a = &row.article;
    writeln!(
        out,
        "article {id}: {}",
        a.title.as_deref().unwrap_or("(untitled)")
    )?;
    writeln!(out, "  feed: {}", a.feed_url)?;
    if let Some(url) = &a.url {
        writeln!(out, "  url: {url}")?;
    }
    // With `cross_source_copy` when it copies another host's article.
    let verdict = reverdict(store, flagger, &row).await?;
    let v = &verdict;
    let reasons: Vec<&str> = v.reasons.iter().map(|r| r.as_str()).collect();
    writeln!(
        out,
        "verdict: {} (score {:.2}){}{}",
        if v.syndicated {
            "syndicated"
        } else {
            "not syndicated"
        },
        v.score,
        if reasons.is_empty() {
            String::new()
        } else {
            format!(", reasons {}", reasons.join(", "))
        },
        v.source
            .as_deref()
            .map(|s| format!(", source {s}"))
            .unwrap_or_default()
    )?;
    if a.syndicated != v.syndicated {
        writeln!(
            out,
            "  stored flag differs ({}): run `feedsieve reclassify` to update it",
            if a.syndicated {
                "syndicated"
            } else {
                "not syndicated"
            }
        )?;
    }
    if c.hits.is_empty() {
        writeln!(out, "no rule matched")?;
    }
    explain_cluster(store, out, a).await?;
    for hit in &c.hits {
        writeln!(
            out,
            "- {} [{}, {:?}, in {:?}]{}{}",
            hit.rule,
            hit.reason.as_str(),
            hit.strength,
            hit.region,
            hit.agency
                .as_deref()
                .map(|a| format!(" names {a}"))
                .unwrap_or_default(),
            if hit.own_copy {
                " (not counted: the agency's own site)"
            } else {
                ""
            }
        )?;
        writeln!(out, "    matched: {:?}", hit.matched)?;
    }
    Ok(())
}

/// Members of the article's cluster shown by `explain`, at most.
const CLUSTER_SHOWN: usize = 20;

/// The article's near-duplicate links: what it copies, what copies it.
async fn explain_cluster(store: &Store, out: &mut dyn Write, a: &StoredArticle) -> Result<()> {
    let Some(cluster) = a.cluster_id else {
        writeln!(
            out,
            "near-duplicates: not indexed (stored before clustering was on)"
        )?;
        return Ok(());
    };
    let members = store.cluster_members(cluster, CLUSTER_SHOWN + 1).await?;
    if members.len() <= 1 {
        writeln!(out, "near-duplicates: none")?;
        return Ok(());
    }
    writeln!(
        out,
        "near-duplicates: cluster {cluster}, {}{} articles",
        members.len().min(CLUSTER_SHOWN),
        if members.len() > CLUSTER_SHOWN {
            "+"
        } else {
            ""
        }
    )?;
    for m in members.iter().take(CLUSTER_SHOWN) {
        let link = match (m.duplicate_of, m.similarity) {
            (Some(of), Some(s)) => format!("copies {of} (similarity {s:.2})"),
            _ => "first".to_string(),
        };
        writeln!(
            out,
            "- {}{} {link}: {} [{}]",
            m.id,
            if m.id == a.id { " (this)" } else { "" },
            m.title.as_deref().unwrap_or("(untitled)"),
            m.feed_url
        )?;
    }
    Ok(())
}

/// `clusters`: clusters of near-duplicates, most recently active first.
pub async fn clusters(store: &Store, out: &mut dyn Write, args: &ClustersArgs) -> Result<()> {
    let clusters = store
        .clusters(args.since, args.min_size.max(1), args.limit)
        .await?;
    match args.format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &clusters)?;
            writeln!(out)?;
        }
        ListFormat::Table => {
            let rows: Vec<Vec<String>> = clusters
                .iter()
                .map(|c| {
                    let hosts: Vec<String> = c
                        .sites
                        .iter()
                        .filter_map(|s| publisher_host(Some(s), None, s))
                        .collect();
                    vec![
                        c.cluster_id.to_string(),
                        c.size.to_string(),
                        c.first_published.clone(),
                        c.last_published.clone(),
                        truncate(&hosts.join(","), 40),
                        truncate(c.title.as_deref().unwrap_or("(untitled)"), 60),
                    ]
                })
                .collect();
            write_table(
                out,
                &["cluster", "size", "first", "last", "sites", "title"],
                &rows,
            )?;
        }
    }
    Ok(())
}

/// `reclassify [--since]`: recomputes and stores every verdict, in batches.
pub async fn reclassify(
    store: &Store,
    flagger: &Flagger,
    out: &mut dyn Write,
    since: Option<DateTime<Utc>>,
) -> Result<()> {
    let (mut seen, mut changed, mut flagged) = (0usize, 0usize, 0usize);
    let mut after = 0;
    loop {
        let rows = store.articles_in_feed_after(after, since, BATCH).await?;
        let Some(last) = rows.last() else { break };
        after = last.article.id;
        let mut verdicts = Vec::with_capacity(rows.len());
        for row in &rows {
            let verdict = reverdict(store, flagger, row).await?;
            verdicts.push((row.article.id, row.article.content_hash.clone(), verdict));
        }
        seen += verdicts.len();
        flagged += verdicts.iter().filter(|(_, _, v)| v.syndicated).count();
        changed += store.set_syndication(verdicts).await?;
    }
    writeln!(
        out,
        "reclassified {seen} articles: {flagged} syndicated, {changed} changed"
    )?;
    Ok(())
}
