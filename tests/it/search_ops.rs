//! `search` end to end: a real poll from the local server fills the
//! database, then the binary searches it: words in texts and titles,
//! ranking, snippets, the filters, an edited item, a removed feed and a
//! malformed query. Also `articles --format csv` against the JSON lines.

use crate::app::{App, Settings};
use crate::records::{ARTICLE_KEYS, Article};
use crate::server::TestServer;
use serde::Deserialize;
use serde_json::Value;

/// One line of `search --format jsonl`.
#[derive(Debug, Clone, Deserialize)]
struct Hit {
    id: i64,
    feed_id: i64,
    feed_url: String,
    url: Option<String>,
    title: Option<String>,
    published: Option<String>,
    syndicated: bool,
    cluster_id: Option<i64>,
    rank: usize,
    score: f64,
    snippet: String,
}

const DISCLAIMER: &str = "(This story has not been edited by Harbour Times staff and is \
    auto-generated from a syndicated feed.)";

/// An RSS 2.0 item; `text` is escaped HTML paragraphs in `<description>`.
fn item(guid: &str, title: &str, date: &str, paragraphs: &[&str]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let html: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<item><title>{}</title><link>https://harbour.example/{guid}</link>\
         <guid>https://harbour.example/{guid}</guid><pubDate>{date}</pubDate>\
         <description>{}</description></item>\n",
        esc(title),
        esc(&html)
    )
}

fn rss(title: &str, items: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>{title}</title><link>https://harbour.example/</link>\
         <description>News</description>\n{}</channel></rss>\n",
        items.concat()
    )
}

/// The main feed; `dockers` is the word the edit replaces.
fn news(dockers: &str) -> String {
    rss(
        "Harbour Times",
        &[
            item(
                "strike",
                "Harbour strike ends",
                "Fri, 20 Nov 2026 09:00:00 GMT",
                &[&format!(
                    "{dockers} return to work on Monday after a week-long dispute over pay."
                )],
            ),
            item(
                "budget",
                "City budget vote",
                "Sun, 22 Nov 2026 09:00:00 GMT",
                &[
                    "The council approved funds for new tram lines and street lighting.",
                    "Money for the harbour was left for next year, the mayor said.",
                ],
            ),
            item(
                "rates",
                "Rates, \"again\": the bank raises",
                "Mon, 23 Nov 2026 09:00:00 GMT",
                &["The central bank raised its main rate by a quarter point."],
            ),
            item(
                "ferry",
                "Ferry service resumes",
                "Tue, 24 Nov 2026 09:00:00 GMT",
                &[
                    "The island ferry sailed again on Tuesday from the harbour after repairs.",
                    DISCLAIMER,
                ],
            ),
        ],
    )
}

fn other() -> String {
    rss(
        "Coast Herald",
        &[item(
            "other",
            "Fishing quotas agreed",
            "Wed, 25 Nov 2026 09:00:00 GMT",
            &["Boats in the harbour stayed tied up during the talks."],
        )],
    )
}

/// Serves both feeds and polls them once.
fn polled() -> (TestServer, App, [String; 2]) {
    let server = TestServer::start();
    server.serve("/news.xml", news("Dockers"), "application/rss+xml");
    server.serve("/other.xml", other(), "application/rss+xml");
    let urls = [server.url("/news.xml"), server.url("/other.xml")];
    let settings = Settings {
        search: true,
        ..Settings::default()
    };
    let app = App::with_settings(&settings, &urls);
    app.poll_all();
    assert_eq!(app.articles(&[]).len(), 5);
    (server, app, urls)
}

/// `search QUERY --format jsonl` plus `extra`, parsed.
fn search(app: &App, query: &str, extra: &[&str]) -> Vec<Hit> {
    let mut args = vec!["search", query, "--format", "jsonl"];
    args.extend_from_slice(extra);
    let out = app.run(&args);
    out.assert_success(&format!("search {query:?}"));
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad hit ({e}): {l}")))
        .collect()
}

fn titles(hits: &[Hit]) -> Vec<&str> {
    hits.iter()
        .map(|h| h.title.as_deref().unwrap_or(""))
        .collect()
}

#[test]
fn search_finds_ranks_and_snips() {
    let (_server, app, urls) = polled();
    let articles = app.articles(&[]);

    assert_eq!(
        titles(&search(&app, "dockers", &[])),
        ["Harbour strike ends"],
        "a word of the text"
    );
    assert_eq!(
        titles(&search(&app, "strike", &[])),
        ["Harbour strike ends"],
        "a word of the title"
    );
    assert!(search(&app, "submarine", &[]).is_empty());

    let harbour = search(&app, "harbour", &[]);
    assert_eq!(harbour.len(), 4, "{harbour:#?}");
    assert_eq!(harbour[0].title.as_deref(), Some("Harbour strike ends"));
    assert_eq!(
        harbour.iter().map(|h| h.rank).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert!(
        harbour.windows(2).all(|w| w[0].score >= w[1].score),
        "best first: {harbour:#?}"
    );
    let budget = harbour
        .iter()
        .find(|h| h.title.as_deref() == Some("City budget vote"))
        .expect("the budget story matches by its text");
    assert!(
        budget.snippet.contains("for the **harbour** was left"),
        "{}",
        budget.snippet
    );

    // Each hit names its article as `articles` does.
    for h in &harbour {
        let a: &Article = articles.iter().find(|a| a.id == h.id).expect("stored");
        assert_eq!(
            (
                &h.feed_url,
                h.feed_id,
                &h.url,
                &h.title,
                &h.published,
                h.syndicated,
                h.cluster_id
            ),
            (
                &a.feed_url,
                a.feed_id,
                &a.url,
                &a.title,
                &a.published,
                a.syndicated,
                a.cluster_id
            )
        );
    }
    assert!(harbour[0].feed_url == urls[0]);

    let json = app.run(&["search", "harbour", "--format", "json"]);
    json.assert_success("search --format json");
    let array: Vec<Value> = serde_json::from_str(&json.stdout).expect("a JSON array");
    let json_ids: Vec<i64> = array.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    assert_eq!(json_ids, harbour.iter().map(|h| h.id).collect::<Vec<_>>());
    let table = app.run(&["search", "harbour"]);
    table.assert_success("search");
    assert_eq!(table.stdout.lines().count(), 5, "{}", table.stdout);
    assert!(table.stdout.contains("**harbour**"), "{}", table.stdout);
}

#[test]
fn search_filters() {
    let (_server, app, urls) = polled();
    let flagged = search(&app, "harbour", &["--syndicated"]);
    assert_eq!(titles(&flagged), ["Ferry service resumes"]);
    assert!(flagged[0].syndicated);
    let original = search(&app, "harbour", &["--original"]);
    assert_eq!(original.len(), 3);
    assert!(original.iter().all(|h| !h.syndicated));

    let since = search(&app, "harbour", &["--since", "2026-11-24T00:00:00Z"]);
    assert_eq!(
        {
            let mut t = titles(&since);
            t.sort_unstable();
            t
        },
        ["Ferry service resumes", "Fishing quotas agreed"]
    );

    let other_id = app.feed(&urls[1]).id.to_string();
    for sel in [urls[1].as_str(), other_id.as_str()] {
        let hits = search(&app, "harbour", &["--feed", sel]);
        assert_eq!(titles(&hits), ["Fishing quotas agreed"], "--feed {sel}");
    }
    let top = search(&app, "harbour", &["--limit", "1"]);
    assert_eq!(titles(&top), ["Harbour strike ends"]);
    assert_eq!(
        titles(&search(&app, "title:harbour", &[])),
        ["Harbour strike ends"],
        "a column filter"
    );
    assert_eq!(
        titles(&search(
            &app,
            "harbour NOT ferry NOT fishing NOT strike",
            &[]
        )),
        ["City budget vote"]
    );
}

#[test]
fn edits_and_removed_feeds_leave_the_index() {
    let (server, app, urls) = polled();
    server.set_body("/news.xml", news("Stevedores"));
    let second = app.run(&["poll", "--all"]);
    second.assert_success("second poll");
    let edited = app.articles(&["--feed", &urls[0]]);
    assert!(
        edited.iter().any(|a| a.text().contains("Stevedores")),
        "the poll stored the edit"
    );
    assert!(
        search(&app, "dockers", &[]).is_empty(),
        "the old word is gone"
    );
    assert_eq!(
        titles(&search(&app, "stevedores", &[])),
        ["Harbour strike ends"]
    );

    app.run(&["feeds", "remove", &urls[0]])
        .assert_success("feeds remove");
    assert!(search(&app, "stevedores", &[]).is_empty());
    assert_eq!(
        titles(&search(&app, "harbour", &[])),
        ["Fishing quotas agreed"],
        "only the other feed's article is left"
    );
    // The search joins `articles`, which would hide a stale index entry;
    // the index alone must have forgotten the removed feed's words.
    let stale: i64 = app
        .db()
        .query_row(
            "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'stevedores'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stale, 0);
    let check = app.db().execute(
        "INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)",
        [],
    );
    assert!(check.is_ok(), "{check:?}");
}

#[test]
fn a_malformed_query_is_a_usage_error() {
    let (_server, app, _urls) = polled();
    for query in ["\"unbalanced", "covid-19"] {
        let out = app.run(&["search", query]);
        assert_eq!(out.code(), Some(2), "{query}: {}", out.stderr);
        let quoted = serde_json::to_string(query).unwrap();
        assert!(
            out.stderr
                .contains(&format!("feedsieve: bad search query {quoted}: ")),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert!(out.stdout.is_empty());
    }
    assert_eq!(
        search(&app, "\"week-long\"", &[]).len(),
        1,
        "quoted, the word with a hyphen is a phrase"
    );
}

#[test]
fn articles_csv_matches_the_json_lines() {
    let (_server, app, _urls) = polled();
    let lines = app.run(&["articles", "--format", "jsonl"]);
    lines.assert_success("articles --format jsonl");
    let objects: Vec<serde_json::Map<String, Value>> = lines
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let out = app.run(&["articles", "--format", "csv"]);
    out.assert_success("articles --format csv");
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, ARTICLE_KEYS);
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), objects.len());
    for (row, object) in rows.iter().zip(&objects) {
        assert_eq!(row.len(), header.len());
        for (key, field) in header.iter().zip(row.iter()) {
            match &object[key] {
                Value::Null => assert_eq!(field, "", "{key}"),
                Value::String(s) => assert_eq!(field, s, "{key}"),
                v => assert_eq!(
                    &serde_json::from_str::<Value>(field)
                        .unwrap_or_else(|e| panic!("{key}: {field:?}: {e}")),
                    v,
                    "{key}"
                ),
            }
        }
    }
    let title = header.iter().position(|k| k == "title").unwrap();
    assert!(
        rows.iter()
            .any(|r| &r[title] == "Rates, \"again\": the bank raises"),
        "the title with a comma and quotes survives"
    );
    assert!(
        out.stdout
            .contains("\"Rates, \"\"again\"\": the bank raises\""),
        "quoted, inner quotes doubled: {}",
        out.stdout
    );
    let text = header.iter().position(|k| k == "text").unwrap();
    assert!(
        rows.iter().any(|r| r[text].contains('\n')),
        "a multi-paragraph text keeps its line break inside one field"
    );
}

/// Whether the database holds the full-text index.
fn has_index(app: &App) -> bool {
    let conn = rusqlite::Connection::open_with_flags(
        app.db_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open db");
    conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'articles_fts%'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .expect("count")
        > 0
}

/// `search.enabled`, off by default: no index, a search that says how to
/// turn it on; turned on later, the index covers what was stored before;
/// turned off again, `run` drops it.
#[test]
fn the_index_follows_search_enabled() {
    let server = TestServer::start();
    server.serve("/news.xml", news("Dockers"), "application/rss+xml");
    let app = App::new(&[server.url("/news.xml")]);
    app.poll_all();
    assert!(!has_index(&app), "off by default");
    let off = app.run(&["search", "dockers"]);
    assert_eq!(off.code(), Some(1), "{}", off.stderr);
    assert!(
        off.stderr.contains("no full-text index") && off.stderr.contains("[search]"),
        "{}",
        off.stderr
    );
    let config = std::fs::read_to_string(app.config_path()).expect("config");
    let on = config.replace("[search]\nenabled = false", "[search]\nenabled = true");
    assert_ne!(on, config);
    std::fs::write(app.config_path(), &on).expect("write config");
    // Only the commands that store articles build it.
    app.run(&["articles"]).assert_success("articles");
    assert!(!has_index(&app), "a read command does not build the index");
    app.poll_all();
    let hits = search(&app, "dockers", &[]);
    assert_eq!(
        hits.len(),
        1,
        "articles polled before the index existed are found"
    );
    assert!(has_index(&app));
    // Off again: a one-shot command keeps it, the daemon drops it.
    std::fs::write(app.config_path(), &config).expect("write config");
    app.run(&["articles"]).assert_success("articles");
    assert!(has_index(&app), "a one-shot command leaves the index alone");
    let mut daemon = crate::daemon::start_daemon_with(&app, &[]);
    let dropped = crate::process::wait_for(std::time::Duration::from_secs(30), || {
        (!has_index(&app)).then_some(())
    });
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert!(dropped.is_some(), "run with search off drops the index");
}
