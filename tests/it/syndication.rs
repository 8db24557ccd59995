//! Syndication flags end to end: the labelled sets under
//! `tests/fixtures/syndication/` served as RSS feeds (one per publisher)
//! from the local server, polled by the binary, and scored from
//! `articles --format jsonl`; the seed case; `explain`, `reclassify` and
//! the `--syndicated`/`--original` filters.

use crate::app::App;
use crate::records::Article;
use crate::server::TestServer;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Deserialize)]
struct Set {
    item: Vec<Item>,
}

#[derive(Debug, Clone, Deserialize)]
struct Item {
    id: String,
    publisher: String,
    feed_title: String,
    title: String,
    link: String,
    author: Option<String>,
    description: Option<String>,
    content: Option<String>,
    published: String,
    source_name: Option<String>,
    source_url: Option<String>,
    syndicated: bool,
    #[serde(default)]
    reasons: Vec<String>,
}

fn load(name: &str) -> Vec<Item> {
    let path = format!(
        "{}/tests/fixtures/syndication/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    toml::from_str::<Set>(&text)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .item
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One RSS 2.0 document for the items of one publisher.
fn rss(items: &[&Item]) -> String {
    let first = items[0];
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>\
         <title>{}</title><link>{}</link><description>test</description>\n",
        escape(&first.feed_title),
        escape(&first.publisher)
    );
    for item in items {
        let date = chrono::DateTime::parse_from_rfc3339(&item.published)
            .map(|d| d.to_rfc2822())
            .unwrap_or_default();
        xml.push_str(&format!(
            "<item><title>{}</title><link>{}</link><guid>{}</guid><pubDate>{date}</pubDate>",
            escape(&item.title),
            escape(&item.link),
            escape(&item.link)
        ));
        if let Some(author) = &item.author {
            xml.push_str(&format!("<dc:creator>{}</dc:creator>", escape(author)));
        }
        if let Some(d) = &item.description {
            xml.push_str(&format!("<description>{}</description>", escape(d)));
        }
        if let Some(c) = &item.content {
            xml.push_str(&format!(
                "<content:encoded><![CDATA[{}]]></content:encoded>",
                c.replace("]]>", "]]]]><![CDATA[>")
            ));
        }
        if let (Some(name), Some(url)) = (&item.source_name, &item.source_url) {
            xml.push_str(&format!(
                "<source url=\"{}\">{}</source>",
                escape(url),
                escape(name)
            ));
        }
        xml.push_str("</item>\n");
    }
    xml.push_str("</channel></rss>\n");
    xml
}

/// Serves `items` as one feed per publisher, polls them, and returns the
/// installation with the stored articles by item link.
fn ingest(items: &[Item]) -> (TestServer, App, HashMap<String, Article>) {
    let server = TestServer::start();
    let mut by_publisher: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for item in items {
        by_publisher.entry(&item.publisher).or_default().push(item);
    }
    let mut urls = Vec::new();
    for (i, group) in by_publisher.values().enumerate() {
        let path = format!("/syndication/{i}.xml");
        server.serve(&path, rss(group), "application/rss+xml");
        urls.push(server.url(&path));
    }
    let app = App::new(&urls);
    app.poll_all();
    let stored = app
        .articles(&[])
        .into_iter()
        .filter_map(|a| a.url.clone().map(|u| (u, a)))
        .collect();
    (server, app, stored)
}

/// The stored article of `item` (links are canonical already).
fn stored<'a>(stored: &'a HashMap<String, Article>, item: &Item) -> &'a Article {
    stored
        .get(&item.link)
        .or_else(|| stored.get(item.link.trim_end_matches('/')))
        .unwrap_or_else(|| panic!("{}: not stored under {}", item.id, item.link))
}

/// Precision, recall and the share of true positives carrying every
/// expected reason; prints the misses.
fn score(name: &str, items: &[Item], stored: &HashMap<String, Article>) -> (f64, f64, f64) {
    let (mut tp, mut fp, mut fneg, mut reasons_ok) = (0, 0, 0, 0);
    for item in items {
        let a = self::stored(stored, item);
        match (item.syndicated, a.syndicated) {
            (true, true) => {
                tp += 1;
                if item
                    .reasons
                    .iter()
                    .all(|r| a.syndication_reasons.contains(r))
                {
                    reasons_ok += 1;
                } else {
                    eprintln!(
                        "{name}: {} flagged with {:?}, expected {:?}",
                        item.id, a.syndication_reasons, item.reasons
                    );
                }
            }
            (false, true) => {
                fp += 1;
                eprintln!(
                    "{name}: false positive {} ({:?})",
                    item.id, a.syndication_reasons
                );
            }
            (true, false) => {
                fneg += 1;
                eprintln!("{name}: missed {} (want {:?})", item.id, item.reasons);
            }
            (false, false) => {}
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fneg).max(1) as f64;
    let reasons = reasons_ok as f64 / tp.max(1) as f64;
    println!(
        "{name}: {} items, tp {tp} fp {fp} fn {fneg}: precision {precision:.3}, recall {recall:.3}, \
         expected reasons on {reasons:.3} of true positives",
        items.len()
    );
    (precision, recall, reasons)
}

/// One labelled set through the whole pipeline; see the README next to
/// the sets for how each was written.
fn assert_set(name: &str) {
    let items = load(name);
    let positives = items.iter().filter(|i| i.syndicated).count();
    assert!(
        items.len() >= 60 && items.len() - positives >= items.len() / 3,
        "{name}: {} items, {positives} positive",
        items.len()
    );
    let (_server, _app, stored) = ingest(&items);
    let (precision, recall, reasons) = score(name, &items, &stored);
    assert!(precision >= 0.95, "{name}: precision {precision:.3}");
    assert!(recall >= 0.90, "{name}: recall {recall:.3}");
    assert!(reasons >= 0.90, "{name}: expected reasons on {reasons:.3}");
}

#[test]
fn the_labelled_set_is_flagged_with_high_precision_and_recall() {
    assert_set("labelled.toml");
}

#[test]
fn the_first_blind_set_is_flagged_with_high_precision_and_recall() {
    assert_set("heldout.toml");
}

#[test]
fn the_second_blind_set_is_flagged_with_high_precision_and_recall() {
    assert_set("heldout2.toml");
}

const SEED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Devdiscourse</title><link>https://www.devdiscourse.com/</link><description>News</description>
<item><title>Russian FM Lavrov arrives in Pakistan for talks on trade, security</title>
<link>https://www.devdiscourse.com/article/international/lavrov-pakistan-visit</link>
<pubDate>Tue, 24 Nov 2026 09:30:00 GMT</pubDate>
<content:encoded><![CDATA[<p>Russian Foreign Minister Sergey Lavrov arrived in Islamabad on Tuesday for two days of talks on trade, energy and regional security, the foreign office said.</p>
<p>Advertisement</p>
<p>Lavrov is due to meet his Pakistani counterpart and the prime minister, officials said, adding that agreements on rail links and wheat supplies could be signed.</p>
<p>(This story has not been edited by Devdiscourse staff and is auto-generated from a syndicated feed.)</p>]]></content:encoded>
</item>
<item><title>Devdiscourse launches a newsletter on climate finance</title>
<link>https://www.devdiscourse.com/article/newsletter-climate-finance</link>
<pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate>
<description>Our editors will send a weekly digest of climate finance news, written by our own staff.</description>
</item>
</channel></rss>"#;

#[test]
fn the_seed_case_end_to_end() {
    let server = TestServer::start();
    server.serve("/seed.xml", SEED, "application/rss+xml");
    let app = App::new(&[server.url("/seed.xml")]);
    app.poll_all();
    let flagged = app.articles(&["--syndicated"]);
    assert_eq!(flagged.len(), 1, "{flagged:#?}");
    let a = &flagged[0];
    let text = a.text.as_deref().unwrap_or_default();
    assert!(!text.contains("Advertisement"), "{text}");
    assert!(
        text.contains("auto-generated from a syndicated feed"),
        "{text}"
    );
    assert!(a.syndicated);
    assert_eq!(a.syndication_reasons[0], "disclaimer");
    assert!(
        a.syndication_reasons
            .contains(&"template_artifact".to_string())
    );
    assert!(a.syndication_score >= 0.9);
    let original = app.articles(&["--original"]);
    assert_eq!(original.len(), 1);
    assert!(!original[0].syndicated);
    assert!(original[0].syndication_reasons.is_empty());

    let explained = app.run(&["explain", &a.id.to_string()]);
    explained.assert_success("explain");
    assert!(
        explained.stdout.contains("verdict: syndicated")
            && explained.stdout.contains("disclaimer.not-edited-from-feed")
            && explained
                .stdout
                .contains("auto-generated from a syndicated feed"),
        "{}",
        explained.stdout
    );
    let missing = app.run(&["explain", "99999"]);
    assert_eq!(missing.status.code(), Some(1), "{}", missing.stderr);
    assert!(missing.stderr.contains("no article"), "{}", missing.stderr);
}

#[test]
fn reclassify_applies_changed_settings_to_stored_articles() {
    // An agency's copy on its own site is not flagged by default...
    let own = r#"<rss version="2.0"><channel><title>Reuters</title><link>https://www.reuters.com/</link>
<item><title>Senate passes budget</title><link>https://www.reuters.com/world/senate-budget</link>
<description>WASHINGTON (Reuters) - The Senate passed the budget on Tuesday after a long night of votes.</description></item>
</channel></rss>"#;
    let server = TestServer::start();
    server.serve("/reuters.xml", own, "application/rss+xml");
    let app = App::new(&[server.url("/reuters.xml")]);
    app.poll_all();
    assert!(!app.articles(&[])[0].syndicated);
    // ...until the operator asks for it and reclassifies.
    let env = [("FEEDSIEVE__SYNDICATION__FLAG_AGENCY_OWN_FEED", "true")];
    let out = app.run_env(&["reclassify"], &env);
    out.assert_success("reclassify");
    assert!(
        out.stdout
            .contains("reclassified 1 articles: 1 syndicated, 1 changed"),
        "{}",
        out.stdout
    );
    let a = &app.articles(&[])[0];
    assert!(a.syndicated);
    assert_eq!(a.syndication_reasons, ["wire_dateline"]);
    assert_eq!(a.syndication_source.as_deref(), Some("Reuters"));
    // Running it again changes nothing.
    let again = app.run_env(&["reclassify"], &env);
    assert!(again.stdout.contains("0 changed"), "{}", again.stdout);
}
