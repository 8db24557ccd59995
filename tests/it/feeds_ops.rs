//! Operator commands on the feed list: `feeds add|list|remove|import|export`
//! and which feeds `poll` picks.

use crate::app::App;
use crate::bodies::fixtures_dir;
use crate::server::TestServer;
use std::collections::BTreeSet;

#[test]
fn feeds_add_validates_and_lists() {
    let server = TestServer::start();
    let (url, other) = (
        server.url("/fixtures/rss2.xml"),
        server.url("/fixtures/atom.xml"),
    );
    let app = App::new(&[]);
    let out = app.run(&[
        "feeds",
        "add",
        &url,
        "--name",
        "Courier World",
        "--interval",
        "900",
    ]);
    out.assert_success("feeds add");
    assert_eq!(out.stdout.trim(), format!("added feed 1 {url}"));
    let again = app.run(&["feeds", "add", &url]);
    again.assert_success("feeds add of a known URL");
    assert_eq!(
        again.stdout.trim(),
        format!("feed already present: 1 {url}")
    );
    let bad = app.run(&["feeds", "add", "ftp://files.example/feed.xml"]);
    assert_eq!(bad.code(), Some(1), "stderr: {}", bad.stderr);
    assert!(bad.stderr.contains("scheme"), "{}", bad.stderr);
    let zero = app.run(&["feeds", "add", &other, "--interval", "0"]);
    assert_eq!(zero.code(), Some(2), "usage error: {}", zero.stderr);
    app.run(&["feeds", "add", &other])
        .assert_success("feeds add");

    let feeds = app.feeds();
    assert_eq!(feeds.len(), 2);
    let f = &feeds[0];
    assert_eq!(f.url, url);
    assert_eq!(
        (f.name.as_deref(), f.interval_secs),
        (Some("Courier World"), Some(900))
    );
    assert_eq!(
        (f.origin.as_str(), f.state.as_str(), f.articles),
        ("cli", "ok", 0)
    );
    assert_eq!(
        (f.last_outcome.as_deref(), f.last_status),
        (None, None),
        "never polled"
    );
    assert_eq!(
        (feeds[1].name.as_deref(), feeds[1].interval_secs),
        (None, None)
    );
    let table = app.run(&["feeds", "list"]);
    table.assert_success("feeds list");
    assert!(
        table.stdout.starts_with("id ") && table.stdout.contains(&url),
        "{}",
        table.stdout
    );
}

/// Feeds added with `feeds add` (feeds of the config file are merged back
/// in at every start, so they are not the ones to remove).
#[test]
fn feeds_remove_takes_articles_and_log_along() {
    let server = TestServer::start();
    let urls = [
        server.url("/fixtures/rss2.xml"),
        server.url("/fixtures/atom.xml"),
    ];
    let app = App::new(&[]);
    for url in &urls {
        app.run(&["feeds", "add", url]).assert_success("feeds add");
    }
    app.poll_all();
    assert_eq!((app.count("articles"), app.count("fetch_log")), (6, 2));
    let removed = app.run(&["feeds", "remove", &urls[0]]);
    removed.assert_success("feeds remove URL");
    let want = format!("removed feed 1 {} and its 4 articles", urls[0]);
    assert_eq!(removed.stdout.trim(), want);
    let left = (
        app.count("feeds"),
        app.count("articles"),
        app.count("fetch_log"),
    );
    assert_eq!(left, (1, 2, 1), "articles and log go with the feed");
    app.run(&["feeds", "remove", "2"])
        .assert_success("feeds remove ID");
    assert_eq!(
        (
            app.count("feeds"),
            app.count("articles"),
            app.count("fetch_log")
        ),
        (0, 0, 0)
    );
    let missing = app.run(&["feeds", "remove", "2"]);
    assert_eq!(missing.code(), Some(1));
    assert!(
        missing.stderr.contains("no feed matches"),
        "{}",
        missing.stderr
    );
}

/// `poll --feed` takes ids and URLs; a bare `poll` takes only due feeds.
#[test]
fn poll_selects_feeds_by_id_url_or_due_time() {
    let server = TestServer::start();
    let paths = [
        "/fixtures/rss2.xml",
        "/fixtures/atom.xml",
        "/fixtures/rss1.rdf",
    ];
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let app = App::new(&urls);
    let requests = || paths.map(|p| server.stats(p).requests);
    let out = app.run(&["poll", "--feed", "1"]);
    out.assert_success("poll --feed 1");
    assert!(
        out.stdout.contains("poll: 1 feeds, 1 fetched"),
        "{}",
        out.stdout
    );
    assert_eq!(requests(), [1, 0, 0]);
    app.run(&["poll", "--feed", &urls[1]])
        .assert_success("poll --feed URL");
    assert_eq!(requests(), [1, 1, 0]);
    let due = app.run(&["poll"]);
    due.assert_success("poll");
    assert!(
        due.stdout.contains("poll: 1 feeds, 1 fetched"),
        "only the never-polled feed is due: {}",
        due.stdout
    );
    assert_eq!(requests(), [1, 1, 1]);
    let none = app.run(&["poll"]);
    assert!(
        none.stdout.contains("poll: 0 feeds"),
        "nothing is due: {}",
        none.stdout
    );
    assert_eq!(requests(), [1, 1, 1]);
    assert_eq!(
        app.run(&["poll", "--all", "--feed", "1"]).code(),
        Some(2),
        "usage error"
    );
    let unknown = app.run(&["poll", "--feed", "https://unknown.example/rss"]);
    assert_eq!(
        unknown.code(),
        Some(1),
        "an unknown feed is an error: {}",
        unknown.stdout
    );
    assert_eq!(app.count("articles"), 8);
}

fn names(app: &App) -> BTreeSet<(String, Option<String>)> {
    app.feeds().into_iter().map(|f| (f.url, f.name)).collect()
}

/// `feeds import FILE`, which must exit 0; returns what it printed.
fn import(app: &App, file: &std::path::Path) -> String {
    let out = app.run(&["feeds", "import", &file.display().to_string()]);
    out.assert_success("feeds import");
    out.stdout
}

/// What `subscriptions.opml` holds, after `Courier` was added by hand.
fn subscriptions() -> BTreeSet<(String, Option<String>)> {
    [
        ("https://news.example.com/world/rss.xml", "Courier"),
        (
            "https://diario.example.es/feeds/portada.atom",
            "Diario Ejemplo",
        ),
        (
            "https://actu.example.fr/sciences/rss",
            "Actu Exemple & Sciences",
        ),
        (
            "https://tech.toto-shimbun.example.jp/feed.json",
            "東都新聞 テクノロジー",
        ),
    ]
    .into_iter()
    .map(|(u, n)| (u.to_string(), Some(n.to_string())))
    .collect()
}

#[test]
fn opml_import_export_round_trip() {
    let app = App::new(&[]);
    app.run(&[
        "feeds",
        "add",
        "https://news.example.com/world/rss.xml",
        "--name",
        "Courier",
    ])
    .assert_success("feeds add");
    let out = import(&app, &fixtures_dir().join("subscriptions.opml"));
    assert!(
        out.contains("imported 3 feeds (1 already present, 1 invalid)"),
        "{out}"
    );
    assert!(
        out.contains("gopher://gopher.example.org/1/news"),
        "the skipped URL is named: {out}"
    );
    assert_eq!(
        names(&app),
        subscriptions(),
        "nested outlines imported, existing name kept"
    );
    assert_eq!(app.feeds().iter().filter(|f| f.origin == "opml").count(), 3);

    let export = app.run(&["feeds", "export"]);
    export.assert_success("feeds export");
    assert!(
        export.stdout.contains("<opml version=\"2.0\">"),
        "{}",
        export.stdout
    );
    let file = app.dir().join("export.opml");
    std::fs::write(&file, &export.stdout).expect("write export");
    let fresh = App::new(&[]);
    let out = import(&fresh, &file);
    assert!(
        out.contains("imported 4 feeds (0 already present, 0 invalid)"),
        "{out}"
    );
    assert_eq!(
        names(&fresh),
        subscriptions(),
        "export → import keeps URLs and names"
    );
}

#[test]
fn broken_opml_is_an_error_naming_the_file() {
    let app = App::new(&[]);
    let broken = app.dir().join("broken.opml");
    std::fs::write(
        &broken,
        "<opml><body><outline xmlUrl=\"https://x.example/rss\"></body>",
    )
    .expect("write");
    let out = app.run(&["feeds", "import", &broken.display().to_string()]);
    assert_eq!(out.code(), Some(1));
    assert!(out.stderr.contains("broken.opml"), "{}", out.stderr);
    assert_eq!(app.count("feeds"), 0, "nothing imported from a broken file");
}
