//! Recording one poll of one feed: the articles, the feed's new state and the
//! fetch-log row, all in one transaction, so a crash never leaves articles
//! stored without the validators that describe them (or the reverse).

use super::articles::{UpsertCounts, upsert_articles};
use super::near::{Linking, NearFeed, NearHandle};
use super::{Store, StoreError, Writer, fetch_log, ts};
use crate::model::{Article, DocSchedule, FeedId, Posting, Validators};
use chrono::{DateTime, Utc};
use rusqlite::params;
use std::cell::RefCell;
use tracing::warn;

/// Everything one poll learned about a feed.
#[derive(Debug, Clone)]
pub struct PollRecord {
    pub feed_id: FeedId,
    pub started_at: DateTime<Utc>,
    /// When the poll finished: first/last-seen times of its articles.
    pub finished_at: DateTime<Utc>,
    /// The URL requested.
    pub url: String,
    pub status: Option<u16>,
    /// Stable snake_case label (`fetched`, `not_modified`, `timeout`, ...).
    pub outcome: String,
    pub bytes: u64,
    pub duration_ms: u64,
    /// Error text for the feed row and the log; None on success.
    pub error: Option<String>,
    /// `ok`, `failing`, `gone`, ...
    pub state: &'static str,
    pub next_check_at: DateTime<Utc>,
    /// Channel title and site link, when the body was parsed.
    pub title: Option<String>,
    pub site_url: Option<String>,
    /// The channel's copyright line, when the body was parsed.
    pub rights: Option<String>,
    /// New validators and body hash, when a body was received.
    pub validators: Option<Validators>,
    pub body_hash: Option<String>,
    /// The permanent-redirect streak to remember (see `scheduler::track_move`).
    pub moved_to: Option<String>,
    pub moved_count: u32,
    /// The feed's new URL, when a permanent redirect has been seen often enough.
    pub new_url: Option<String>,
    /// When a body was parsed: its scheduling advice and posting rate,
    /// which replace the stored ones.
    pub schedule: Option<(DocSchedule, Option<Posting>)>,
    pub articles: Vec<Article>,
    /// Links new articles into near-duplicate clusters; `None` leaves them
    /// unlinked.
    pub near: Option<NearHandle>,
}

impl PollRecord {
    /// A poll of `url` for `feed_id` started at `started_at` that has
    /// learned nothing yet: state `ok`, no status, no body, no articles.
    /// Callers fill in what the poll found.
    pub fn started(feed_id: FeedId, url: String, started_at: DateTime<Utc>) -> PollRecord {
        PollRecord {
            feed_id,
            started_at,
            finished_at: started_at,
            url,
            status: None,
            outcome: String::new(),
            bytes: 0,
            duration_ms: 0,
            error: None,
            state: "ok",
            next_check_at: started_at,
            title: None,
            site_url: None,
            rights: None,
            validators: None,
            body_hash: None,
            moved_to: None,
            moved_count: 0,
            new_url: None,
            schedule: None,
            near: None,
            articles: Vec::new(),
        }
    }
}

/// The feed row's new state after a poll.
const FEED_UPDATE: &str = "UPDATE feeds SET
        title = COALESCE(?2, title),
        site_url = COALESCE(?3, site_url),
        etag = CASE WHEN ?4 THEN ?5 ELSE etag END,
        last_modified = CASE WHEN ?4 THEN ?6 ELSE last_modified END,
        body_hash = COALESCE(?7, body_hash),
        state = ?8,
        next_check_at = ?9,
        last_checked_at = ?10,
        last_success_at = CASE WHEN ?11 THEN ?10 ELSE last_success_at END,
        last_status = ?12,
        last_outcome = ?13,
        last_error = ?14,
        consecutive_errors = CASE WHEN ?11 THEN 0 ELSE consecutive_errors + 1 END,
        failing_since = CASE WHEN ?11 THEN NULL ELSE COALESCE(failing_since, ?10) END,
        moved_to = ?15,
        moved_count = ?16,
        ttl_mins = CASE WHEN ?17 THEN ?18 ELSE ttl_mins END,
        update_period_secs = CASE WHEN ?17 THEN ?19 ELSE update_period_secs END,
        skip_hours = CASE WHEN ?17 THEN ?20 ELSE skip_hours END,
        skip_days = CASE WHEN ?17 THEN ?21 ELSE skip_days END,
        posting_since = CASE WHEN ?17 THEN ?22 ELSE posting_since END,
        posting_count = CASE WHEN ?17 THEN ?23 ELSE posting_count END,
        rights = CASE WHEN ?17 THEN ?24 ELSE rights END
     WHERE id = ?1";

/// Moves a feed to the URL it permanently redirects to. `OR IGNORE`: when
/// another feed already has that URL, the feed keeps its own.
const FEED_MOVE: &str =
    "UPDATE OR IGNORE feeds SET url = ?2, moved_to = NULL, moved_count = 0 WHERE id = ?1";

impl Store {
    /// Stores a poll's result atomically and returns the article counts.
    /// A feed removed while it was being polled (`feeds remove` from another
    /// process) gives `NotFound`, and nothing is written.
    pub async fn record_poll(&self, poll: PollRecord) -> Result<UpsertCounts, StoreError> {
        self.call_writer(move |c, writer| {
            if let Some(NearHandle(m)) = &poll.near {
                writer.near.adopt(m.as_ref());
            }
            // Index rows this poll adds are dropped again when it fails.
            let mark = writer.near.mark();
            let recorded = record(c, writer, &poll);
            if recorded.is_err() {
                writer.near.truncate(mark);
            }
            recorded
        })
        .await
    }
}

/// The body of [`Store::record_poll`].
fn record(
    c: &mut rusqlite::Connection,
    writer: &mut Writer,
    poll: &PollRecord,
) -> Result<UpsertCounts, StoreError> {
    let tx = c.savepoint()?;
    let validators = poll.validators.as_ref();
    let (doc, posting) = poll.schedule.unzip();
    let doc = doc.unwrap_or_default();
    let updated = tx.prepare_cached(FEED_UPDATE)?.execute(params![
        poll.feed_id.0,
        poll.title,
        poll.site_url,
        validators.is_some(),
        validators.and_then(|v| v.etag.clone()),
        validators.and_then(|v| v.last_modified.clone()),
        poll.body_hash,
        poll.state,
        ts(poll.next_check_at),
        ts(poll.finished_at),
        poll.error.is_none(),
        poll.status,
        poll.outcome,
        poll.error,
        poll.moved_to,
        poll.moved_count,
        poll.schedule.is_some(),
        doc.ttl_mins,
        doc.update_period_secs
            .map(|s| s.min(i64::MAX as u64) as i64),
        doc.skip_hours,
        doc.skip_days,
        posting.flatten().map(|p| ts(p.since)),
        posting.flatten().map(|p| p.posts),
        poll.rights,
    ])?;
    if updated == 0 {
        return Err(StoreError::NotFound(format!(
            "feed {} was removed while it was being polled",
            poll.feed_id
        )));
    }
    if let Some(url) = &poll.new_url
        && tx
            .prepare_cached(FEED_MOVE)?
            .execute(params![poll.feed_id.0, url])?
            == 0
    {
        warn!(feed_id = poll.feed_id.0, feed_url = %poll.url, redirect_to = %url, "feed not moved: another feed already has its new url");
    }
    if poll.near.is_some() {
        // The feed's row is written: this transaction holds the lock.
        writer.near.refresh_filter(&tx);
    }
    let linking = poll.near.as_ref().map(|NearHandle(m)| Linking {
        pending: RefCell::new(&mut writer.near),
        matcher: m.as_ref(),
        feed: NearFeed {
            feed_url: &poll.url,
            site_url: poll.site_url.as_deref(),
            rights: poll.rights.as_deref(),
            title: poll.title.as_deref(),
        },
        feed_id: poll.feed_id.0,
        doc_keys: poll.articles.iter().map(|a| a.item_key.as_str()).collect(),
        now: poll.finished_at,
    });
    let counts = upsert_articles(
        &tx,
        poll.feed_id,
        &poll.articles,
        poll.finished_at,
        linking.as_ref(),
    )?;
    drop(linking);
    fetch_log::insert(&tx, poll, counts)?;
    tx.commit()?;
    Ok(counts)
}
