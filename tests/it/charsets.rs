//! Legacy and unusual encodings: windows-1251 told by the XML declaration,
//! by HTTP, or by both; a UTF-8 byte-order mark.

use crate::bodies;
use crate::ingest::{poll_on, poll_paths};
use crate::records::titled;
use crate::server::{self, TestServer};

/// The same windows-1251 bytes told three ways: by the XML declaration
/// only, by both declaration and Content-Type, and by Content-Type only
/// (RFC 7303: the HTTP charset wins for XML media types).
#[test]
fn windows_1251_feed_decodes_to_exact_cyrillic() {
    let paths = [
        "/fixtures/ru_cp1251.xml",
        server::CP1251,
        server::CP1251_HEADER_ONLY,
    ];
    let p = poll_paths(&paths);
    let mut failures = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let articles = p.of(i);
        let titles: Vec<&str> = articles.iter().map(|a| a.title()).collect();
        let feed = p.app.feed(&p.urls[i]);
        let want_titles = [
            "В Казани открылся новый мост через Волгу",
            "Самарский театр оперы и балета представил премьеру «Евгения Онегина»",
        ];
        for want in want_titles {
            if !titles.contains(&want) {
                failures.push(format!(
                    "{path}: no title {want:?} among {titles:?} (outcome {:?}, error {:?})",
                    feed.last_outcome, feed.last_error
                ));
            }
        }
        if let Some(a) = articles.iter().find(|a| a.title() == want_titles[0]) {
            let body = format!("{} {}", a.summary(), a.text());
            if !body.contains("Движение по мосту длиной 1,2 километра")
            {
                failures.push(format!("{path}: body not decoded: {body:?}"));
            }
            if a.published.as_deref() != Some("2024-03-11T04:30:00Z") {
                failures.push(format!("{path}: published {:?}", a.published));
            }
        }
        if feed.title.as_deref() != Some("Новости Приволжья") {
            failures.push(format!("{path}: feed title {:?}", feed.title));
        }
    }
    assert!(
        failures.is_empty(),
        "windows-1251 decoding failed:\n{}",
        failures.join("\n")
    );
}

/// Windows tools write a UTF-8 BOM before the XML declaration.
#[test]
fn utf8_bom_before_the_declaration_is_accepted() {
    let server = TestServer::start();
    let mut body = vec![0xef, 0xbb, 0xbf];
    body.extend_from_slice(&bodies::fixture("rss2.xml"));
    server.serve("/bom.xml", body, "application/rss+xml; charset=utf-8");
    let p = poll_on(server, &["/bom.xml"]);
    assert_eq!(
        p.articles.len(),
        4,
        "{:?}",
        p.app.feed(&p.urls[0]).last_error
    );
    let a = titled(&p.articles, "chair signals pause");
    assert_eq!(a.title(), "Fed’s chair signals pause & bonds slip again");
    let feed = p.app.feed(&p.urls[0]);
    assert_eq!(
        feed.title.as_deref(),
        Some("Northgate Courier — World"),
        "no BOM in the title"
    );
}
