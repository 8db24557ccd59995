//! Versioned schema migrations, applied at open.
//!
//! `PRAGMA user_version` records how many entries of [`MIGRATIONS`] ran.
//! Each migration runs in its own transaction, so a crash mid-upgrade leaves
//! the previous version intact. Append new migrations; never edit old ones.
//! Timestamps are stored as RFC 3339 UTC text (`2026-01-02T03:04:05Z`): they
//! sort correctly as text and stay readable to an operator with `sqlite3`.

use rusqlite::Connection;

/// Each entry moves the schema up one version.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: feeds, articles, fetch log.
    "
    -- AUTOINCREMENT: a removed feed's id is never handed to a new feed, so a
    -- poll in flight for the old one cannot land on the new one, and ids in
    -- operators' notes and scripts stay unambiguous.
    CREATE TABLE feeds (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        url                TEXT NOT NULL UNIQUE,
        -- The URL the feed was added under; differs from `url` once a
        -- permanent redirect has moved the feed.
        added_url          TEXT NOT NULL,
        name               TEXT,
        title              TEXT,
        site_url           TEXT,
        interval_secs      INTEGER,
        origin             TEXT NOT NULL DEFAULT 'cli',
        enabled            INTEGER NOT NULL DEFAULT 1,
        etag               TEXT,
        last_modified      TEXT,
        body_hash          TEXT,
        state              TEXT NOT NULL DEFAULT 'ok',
        next_check_at      TEXT NOT NULL,
        last_checked_at    TEXT,
        last_success_at    TEXT,
        last_status        INTEGER,
        last_outcome       TEXT,
        last_error         TEXT,
        consecutive_errors INTEGER NOT NULL DEFAULT 0,
        failing_since      TEXT,
        moved_to           TEXT,
        moved_count        INTEGER NOT NULL DEFAULT 0,
        created_at         TEXT NOT NULL
    );
    CREATE INDEX feeds_due ON feeds(next_check_at) WHERE enabled = 1;
    CREATE INDEX feeds_added_url ON feeds(added_url);

    CREATE TABLE articles (
        id             INTEGER PRIMARY KEY,
        feed_id        INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        item_key       TEXT NOT NULL,
        guid           TEXT,
        url            TEXT,
        title          TEXT,
        authors        TEXT NOT NULL DEFAULT '[]',
        categories     TEXT NOT NULL DEFAULT '[]',
        published      TEXT,
        published_raw  TEXT,
        updated        TEXT,
        updated_raw    TEXT,
        summary        TEXT,
        content_html   TEXT,
        text           TEXT,
        language       TEXT,
        enclosures     TEXT NOT NULL DEFAULT '[]',
        content_hash   TEXT NOT NULL,
        first_seen     TEXT NOT NULL,
        last_seen      TEXT NOT NULL,
        UNIQUE (feed_id, item_key)
    );
    -- No index on `published`: items arrive in random date order, and
    -- keeping such an index cost a third of the insert time in the
    -- benchmark. `first_seen` only grows, so its index is cheap.
    CREATE INDEX articles_first_seen ON articles(first_seen);

    CREATE TABLE fetch_log (
        id            INTEGER PRIMARY KEY,
        feed_id       INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        started_at    TEXT NOT NULL,
        url           TEXT NOT NULL,
        status        INTEGER,
        outcome       TEXT NOT NULL,
        bytes         INTEGER NOT NULL DEFAULT 0,
        items_seen    INTEGER NOT NULL DEFAULT 0,
        items_new     INTEGER NOT NULL DEFAULT 0,
        items_updated INTEGER NOT NULL DEFAULT 0,
        duration_ms   INTEGER NOT NULL,
        error         TEXT
    );
    CREATE INDEX fetch_log_feed ON fetch_log(feed_id, id);
    ",
    // 2: what the last parsed document said about its own schedule, and the
    // posting rate seen in it, so a 304 or a failure still honours them.
    "
    ALTER TABLE feeds ADD COLUMN ttl_mins INTEGER;
    ALTER TABLE feeds ADD COLUMN update_period_secs INTEGER;
    ALTER TABLE feeds ADD COLUMN skip_hours INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE feeds ADD COLUMN skip_days INTEGER NOT NULL DEFAULT 0;
    -- Distinct publication times since `posting_since` in the last document.
    ALTER TABLE feeds ADD COLUMN posting_since TEXT;
    ALTER TABLE feeds ADD COLUMN posting_count INTEGER;
    ",
    // 3: syndication flags on articles, and what they are computed from
    // that was not stored yet (the channel's copyright, removed furniture).
    "
    ALTER TABLE feeds ADD COLUMN rights TEXT;
    ALTER TABLE articles ADD COLUMN furniture_lines INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE articles ADD COLUMN syndicated INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE articles ADD COLUMN syndication_score REAL NOT NULL DEFAULT 0;
    -- JSON array of reason codes, strongest first.
    ALTER TABLE articles ADD COLUMN syndication_reasons TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE articles ADD COLUMN syndication_source TEXT;
    ",
    // 4: near-duplicate clusters across feeds (see `store::near`). What
    // matching reads lives in small rows of its own: read from `articles`,
    // whose rows carry the whole text, every candidate cost overflow pages.
    "
    -- Set when the article went through near-duplicate linking.
    ALTER TABLE articles ADD COLUMN clustered INTEGER NOT NULL DEFAULT 0;
    -- The id of the cluster's first article; NULL when it is the first.
    ALTER TABLE articles ADD COLUMN cluster_id INTEGER;
    -- The earlier article this one is a near-duplicate of, and how similar.
    ALTER TABLE articles ADD COLUMN duplicate_of INTEGER;
    ALTER TABLE articles ADD COLUMN similarity REAL;
    -- The fingerprint of each article long enough to compare.
    CREATE TABLE near_docs (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        feed_id    INTEGER NOT NULL,
        -- The id of its cluster's first article (its own when first).
        cluster    INTEGER NOT NULL,
        -- Publication time, else first seen.
        published  TEXT NOT NULL,
        simhash    INTEGER NOT NULL,
        words      INTEGER NOT NULL,
        -- The first shingles of the comparison text, sorted, as
        -- little-endian u32s.
        shingles   BLOB NOT NULL
    );
    CREATE INDEX near_docs_cluster ON near_docs(cluster);
    -- SimHash bands and lead shingles, for candidate lookup in a window.
    -- One B-tree and no foreign key: its keys are hashes, so every insert
    -- lands on a random page, and each extra index doubled that cost.
    -- Rows of deleted articles are removed with their feed
    -- (`Store::remove_feed`); a stale row only costs a failed join.
    CREATE TABLE near_index (
        key        INTEGER NOT NULL,
        published  TEXT NOT NULL,
        article_id INTEGER NOT NULL,
        PRIMARY KEY (key, published, article_id)
    ) WITHOUT ROWID;
    ",
    // 5: the index rows carry what the SimHash test reads (feed, SimHash,
    // words) and an integer time. Candidates of `near_index` were each
    // joined to `near_docs`, one random page per chance band collision:
    // with a million articles that was most of a lookup.
    "
    CREATE TABLE near_keys (
        -- A SimHash band or lead shingle (`dedup::near::index_keys`).
        key        INTEGER NOT NULL,
        -- Publication time, else first seen, in Unix seconds.
        published  INTEGER NOT NULL,
        article_id INTEGER NOT NULL,
        feed_id    INTEGER NOT NULL,
        simhash    INTEGER NOT NULL,
        words      INTEGER NOT NULL,
        PRIMARY KEY (key, published, article_id)
    ) WITHOUT ROWID;
    INSERT INTO near_keys (key, published, article_id, feed_id, simhash, words)
        SELECT n.key, unixepoch(n.published), n.article_id, d.feed_id, d.simhash, d.words
        FROM near_index n JOIN near_docs d ON d.article_id = n.article_id;
    DROP TABLE near_index;
    -- A new fingerprint's index rows are kept in memory and written to
    -- `near_keys` in batches, sorted (`store::near::PendingKeys`): one row
    -- at a time, each landed on a random page and every commit rewrote a
    -- page per row. `keyed` = 0 until its rows are written; a process
    -- that stopped before writing them leaves them to the next one, which
    -- recomputes them from `simhash`, `words` and the lead shingles.
    ALTER TABLE near_docs ADD COLUMN lead BLOB;
    ALTER TABLE near_docs ADD COLUMN keyed INTEGER NOT NULL DEFAULT 1;
    CREATE INDEX near_docs_unkeyed ON near_docs(article_id) WHERE keyed = 0;
    ",
    // 6: a counter each write of `near_keys` rows bumps. A process keeps
    // an in-memory filter of the index's keys (`store::near::KeyFilter`)
    // and builds it again only when another process has written rows:
    // other commits (fetch logs, `feeds add`) leave the index as it was.
    "
    CREATE TABLE near_generation (n INTEGER NOT NULL);
    INSERT INTO near_generation (n) VALUES (0);
    ",
    // 7: full-text search over titles and texts (`feedsieve search`).
    // External content: the index holds only the terms, and reads titles
    // and texts from `articles`, so the text is not stored twice.
    // `unicode61 remove_diacritics 2` because the feeds are multilingual:
    // it folds case beyond ASCII (Cyrillic, Greek), splits on Unicode
    // punctuation, and lets `cafe` find `café` and `gesprach` find
    // `Gespräch` (2 also strips them from letters that carry several).
    // Only Latin letters lose diacritics: `ё` and Greek accents stay. No
    // stemmer: `porter` only knows English and would mangle the rest.
    // Scripts written without spaces (Chinese, Japanese, Thai) index
    // whole runs as one token; the `trigram` tokenizer would find words
    // inside them, at about three times the index size.
    "
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, text,
        content = 'articles', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
    END;
    -- An external-content index forgets a row only when told the terms it
    -- indexed, so the old values go with the 'delete'. Deleting a feed
    -- removes its articles by cascade, which fires this trigger too.
    CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
    END;
    -- Only edits of the indexed columns: a poll touches `last_seen` on
    -- every unchanged item, and an edit may change only the summary or
    -- enclosures; neither should rewrite the index.
    CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles
    WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
    END;
    INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');
    ",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Brings the database up to [`SCHEMA_VERSION`].
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<usize> {
    let current: usize =
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if current > MIGRATIONS.len() {
        // A newer feedsieve wrote this file; writing to it could corrupt data
        // that build relies on.
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "database schema version {current} is newer than this build supports ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(current)
}
