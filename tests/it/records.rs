//! What the binary reports, as typed values: an article from
//! `articles --format jsonl`, a feed from `feeds list --format json`, a
//! fetch-log row from the database; plus the checks every stored article
//! must pass whatever its feed.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The documented keys of `articles --format json/jsonl`, a stable interface.
pub const ARTICLE_KEYS: &[&str] = &[
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

#[derive(Debug, Clone, Deserialize)]
pub struct Article {
    pub id: i64,
    pub feed_id: i64,
    pub feed_url: String,
    pub guid: Option<String>,
    pub item_key: String,
    pub url: Option<String>,
    pub title: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    pub published: Option<String>,
    pub published_raw: Option<String>,
    pub updated: Option<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub summary: Option<String>,
    pub text: Option<String>,
    pub content_html: Option<String>,
    pub language: Option<String>,
    pub enclosures: Vec<Enclosure>,
    pub content_hash: String,
    pub syndicated: bool,
    pub syndication_score: f64,
    pub syndication_reasons: Vec<String>,
    pub syndication_source: Option<String>,
    pub cluster_id: Option<i64>,
    pub duplicate_of: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Enclosure {
    pub url: String,
    #[serde(rename = "type")]
    pub mime_type: Option<String>,
    pub length: Option<u64>,
}

impl Article {
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or("")
    }

    pub fn text(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }

    pub fn summary(&self) -> &str {
        self.summary.as_deref().unwrap_or("")
    }

    pub fn html(&self) -> &str {
        self.content_html.as_deref().unwrap_or("")
    }

    pub fn published_at(&self) -> Option<DateTime<Utc>> {
        self.published.as_deref().map(utc)
    }

    /// The time articles are sorted and filtered by: published, else first seen.
    pub fn sort_time(&self) -> DateTime<Utc> {
        self.published_at().unwrap_or_else(|| utc(&self.first_seen))
    }
}

/// The article whose title contains `needle`; panics listing all titles.
pub fn titled<'a>(articles: &'a [Article], needle: &str) -> &'a Article {
    articles
        .iter()
        .find(|a| a.title().contains(needle))
        .unwrap_or_else(|| {
            let titles: Vec<&str> = articles.iter().map(Article::title).collect();
            panic!("no article titled {needle:?} among {titles:#?}")
        })
}

/// Checks every stored article must pass: a key, a content hash, sane
/// bookkeeping times, and no relative links or active content in its HTML.
pub fn assert_article_invariants(
    a: &Article,
    polled_from: DateTime<Utc>,
    polled_to: DateTime<Utc>,
) {
    let who = format!("article {} {:?}", a.id, a.title);
    assert!(!a.item_key.trim().is_empty(), "{who}: empty item_key");
    assert!(a.id > 0 && a.feed_id > 0, "{who}: ids");
    assert!(
        a.content_hash.len() >= 32 && a.content_hash.chars().all(|c| c.is_ascii_hexdigit()),
        "{who}: content_hash {:?} is not 32+ hex digits",
        a.content_hash
    );
    let first_seen = utc(&a.first_seen);
    let floor = polled_from - chrono::Duration::seconds(1);
    assert!(
        first_seen >= floor && first_seen <= polled_to,
        "{who}: first_seen {first_seen} outside the poll"
    );
    assert!(
        utc(&a.last_seen) >= first_seen,
        "{who}: last_seen before first_seen"
    );
    for t in [&a.published, &a.updated].into_iter().flatten() {
        assert!(t.ends_with('Z'), "{who}: date {t:?} is not written in UTC");
        utc(t);
    }
    assert_safe_html(a.html(), &who);
}

/// Sanitized HTML: no script, no event handler, no `javascript:` URL, and
/// every `href`/`src` absolute.
pub fn assert_safe_html(html: &str, who: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in ["<script", "onerror", "onload", "javascript:"] {
        assert!(
            !lower.contains(bad),
            "{who}: content_html contains {bad:?}: {html}"
        );
    }
    for attr in ["href", "src"] {
        for value in attr_values(html, attr) {
            assert!(
                value.starts_with("http://")
                    || value.starts_with("https://")
                    || value.starts_with("mailto:"),
                "{who}: relative or odd {attr}={value:?} in {html}"
            );
        }
    }
}

/// Values of `name="..."` attributes in `html`, double- or single-quoted.
pub fn attr_values(html: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for quote in ['"', '\''] {
        let pat = format!(" {name}={quote}");
        for (i, _) in html.match_indices(&pat) {
            let rest = &html[i + pat.len()..];
            out.push(rest.split(quote).next().unwrap_or("").to_string());
        }
    }
    out
}

/// A feed as `feeds list --format json` prints it.
#[derive(Debug, Clone, Deserialize)]
pub struct FeedRow {
    pub id: i64,
    pub url: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub interval_secs: Option<u64>,
    pub origin: String,
    pub state: String,
    pub last_status: Option<u16>,
    pub last_outcome: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_errors: u32,
    pub next_check_at: chrono::DateTime<chrono::Utc>,
    pub articles: i64,
}

/// One `fetch_log` row.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub status: Option<i64>,
    pub outcome: String,
    pub bytes: i64,
    pub items_seen: i64,
    pub items_new: i64,
    pub items_updated: i64,
    pub error: Option<String>,
}

impl LogRow {
    pub fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LogRow> {
        Ok(LogRow {
            status: r.get(0)?,
            outcome: r.get(1)?,
            bytes: r.get(2)?,
            items_seen: r.get(3)?,
            items_new: r.get(4)?,
            items_updated: r.get(5)?,
            error: r.get(6)?,
        })
    }
}

/// Parses an RFC 3339 time the binary printed.
pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("not RFC 3339 ({e}): {s:?}"))
        .with_timezone(&Utc)
}

/// Now, truncated to whole seconds as the store writes times.
pub fn now_secs() -> DateTime<Utc> {
    let now = Utc::now();
    now - chrono::Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos()))
}
