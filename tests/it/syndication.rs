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
        items.len() - positives >= items.len() / 3,
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

#[test]
fn staff_copy_that_looks_syndicated_is_not_flagged() {
    assert_set("staff.toml");
}

#[test]
fn the_sets_are_big_enough() {
    let all: Vec<Item> = [
        "labelled.toml",
        "heldout.toml",
        "heldout2.toml",
        "staff.toml",
    ]
    .into_iter()
    .flat_map(load)
    .collect();
    let negatives = all.iter().filter(|i| !i.syndicated).count();
    assert!(all.len() >= 60 && negatives >= all.len() / 3);
    assert!(load("labelled.toml").len() >= 60);
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

/// Another outlet running the same agency story: its own headline, the
/// agency's dateline, a credit line.
const SEED_ELSEWHERE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Frontier Post</title><link>https://frontierpost.example/</link><description>News</description>
<item><title>Lavrov in Islamabad: rail links and wheat on the table</title>
<link>https://frontierpost.example/world/lavrov-islamabad</link>
<pubDate>Tue, 24 Nov 2026 11:00:00 GMT</pubDate>
<description>&lt;p&gt;Islamabad, Nov 24 (PTI) - Russian Foreign Minister Sergey Lavrov arrived in Islamabad on Tuesday for two days of talks on trade, energy and regional security, the foreign office said.&lt;/p&gt;
&lt;p&gt;Lavrov is due to meet his Pakistani counterpart and the prime minister, officials said, adding that agreements on rail links and wheat supplies could be signed.&lt;/p&gt;</description>
</item>
</channel></rss>"#;

#[test]
fn the_seed_case_end_to_end() {
    let server = TestServer::start();
    server.serve("/seed.xml", SEED, "application/rss+xml");
    server.serve("/elsewhere.xml", SEED_ELSEWHERE, "application/rss+xml");
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

    // Another outlet ran the same agency story: one cluster.
    app.run(&["feeds", "add", &server.url("/elsewhere.xml")])
        .assert_success("feeds add");
    app.poll_all();
    let copy = elsewhere(&app);
    assert_eq!(copy.cluster_id, Some(a.id), "{copy:#?}");
    assert_eq!(copy.duplicate_of, Some(a.id));
    assert!(copy.syndicated);
    assert!(
        copy.syndication_reasons
            .contains(&"wire_dateline".to_string())
            && copy
                .syndication_reasons
                .contains(&"cross_source_copy".to_string()),
        "{:?}",
        copy.syndication_reasons
    );
}

/// The article the other outlet (`SEED_ELSEWHERE`) carried.
fn elsewhere(app: &App) -> Article {
    app.articles(&[])
        .into_iter()
        .find(|x| x.feed_url.ends_with("elsewhere.xml"))
        .expect("the other outlet's article")
}

/// On a feed's first poll every item is flagged with the parse; later
/// polls flag only the new and changed items, once their keys are known.
/// An item that arrives later is flagged and fingerprinted all the same.
#[test]
fn an_item_arriving_in_a_later_poll_is_flagged_and_clustered() {
    let server = TestServer::start();
    let start = SEED.find("<item>").unwrap();
    let end = SEED.find("</item>").unwrap() + "</item>\n".len();
    let without = format!("{}{}", &SEED[..start], &SEED[end..]);
    server.serve("/seed.xml", without, "application/rss+xml");
    server.serve("/elsewhere.xml", SEED_ELSEWHERE, "application/rss+xml");
    let app = App::new(&[server.url("/seed.xml")]);
    app.poll_all().assert_success("first poll");
    assert_eq!(app.articles(&[]).len(), 1);
    assert!(app.articles(&["--syndicated"]).is_empty());

    server.serve("/seed.xml", SEED, "application/rss+xml");
    app.poll_all().assert_success("second poll");
    let flagged = app.articles(&["--syndicated"]);
    assert_eq!(flagged.len(), 1, "{flagged:#?}");
    let a = &flagged[0];
    assert!(a.title.as_deref().unwrap_or_default().contains("Lavrov"));
    assert_eq!(a.syndication_reasons[0], "disclaimer");
    assert_eq!(app.articles(&["--original"]).len(), 1);

    app.run(&["feeds", "add", &server.url("/elsewhere.xml")])
        .assert_success("feeds add");
    app.poll_all().assert_success("third poll");
    let copy = elsewhere(&app);
    assert_eq!(copy.duplicate_of, Some(a.id), "{copy:#?}");
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

/// One agency story, as four outlets ran it.
const AGENCY_STORY: &[&str] = &[
    "The government on Monday approved a plan to build 12 new cargo terminals along the eastern coast, \
     with an outlay of Rs 18,000 crore over five years, officials said.",
    "The terminals will be developed in partnership with state maritime boards and private operators, \
     and are expected to cut the time ships wait at anchor by half, the shipping ministry said in a statement.",
    "Work on the first four terminals, at Paradip, Kakinada, Ennore and Haldia, will begin in April, and the \
     rest will follow once environmental clearances are in place, the statement added.",
    "The ministry said the terminals would handle coal, containers and liquid cargo, and that rail links to \
     each of them would be built at the same time so that goods could move inland without delay.",
    "Port users welcomed the decision but said dredging and road access needed equal attention.",
];

fn item(title: &str, link: &str, date: &str, body: &str) -> String {
    format!(
        "<item><title>{title}</title><link>{link}</link><guid>{link}</guid><pubDate>{date}</pubDate>{body}</item>\n"
    )
}

fn channel(site: &str, items: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\
         <channel><title>{site}</title><link>https://{site}/</link><description>x</description>{items}</channel></rss>"
    )
}

fn paragraphs(ps: &[&str]) -> String {
    ps.iter().map(|p| format!("<p>{p}</p>")).collect()
}

#[test]
fn one_agency_story_from_four_outlets_is_one_cluster() {
    let server = TestServer::start();
    let date = "Mon, 23 Nov 2026 10:00:00 GMT";
    let dateline = "New Delhi, Nov 23 (PTI) - ";
    let full = |extra_first: &str, footer: &str| {
        let mut ps: Vec<String> = AGENCY_STORY.iter().map(|p| p.to_string()).collect();
        ps[0] = format!("{extra_first}{}", ps[0]);
        let mut html = paragraphs(&ps.iter().map(String::as_str).collect::<Vec<_>>());
        html.push_str(footer);
        format!("<content:encoded><![CDATA[{html}]]></content:encoded>")
    };
    let with_ad = {
        let mut ps: Vec<&str> = AGENCY_STORY.to_vec();
        ps.insert(2, "Advertisement");
        format!(
            "<content:encoded><![CDATA[{}<p>(This story has not been edited by Devdiscourse staff and is auto-generated from a syndicated feed.)</p>]]></content:encoded>",
            paragraphs(&ps)
        )
    };
    let feeds = [
        (
            "www.devdiscourse.com",
            item(
                "Centre clears 12 new cargo terminals on east coast",
                "https://www.devdiscourse.com/a/1",
                date,
                &with_ad,
            ),
        ),
        (
            "www.ptinews-mirror.example",
            item(
                "Govt approves Rs 18,000-cr plan for eastern ports",
                "https://www.ptinews-mirror.example/s/2",
                date,
                &full(dateline, "<p>PTI AB CD EF</p>"),
            ),
        ),
        (
            "www.coastaltimes.example",
            item(
                "12 cargo terminals for east coast: what changes for shippers",
                "https://www.coastaltimes.example/p/3",
                date,
                &full("", "<p>(With inputs from PTI)</p>"),
            ),
        ),
        (
            "www.portwatch.example",
            // Truncated to its lead paragraph in the description.
            item(
                "East coast to get 12 cargo terminals",
                "https://www.portwatch.example/n/4",
                date,
                &format!("<description>{dateline}{}</description>", AGENCY_STORY[0]),
            ),
        ),
    ];
    let mut urls = Vec::new();
    for (i, (site, it)) in feeds.iter().enumerate() {
        let path = format!("/outlet/{i}.xml");
        server.serve(&path, channel(site, it), "application/rss+xml");
        urls.push(server.url(&path));
    }
    // One unrelated story on one of the sites, so that not everything is
    // one cluster by accident.
    let other_path = "/outlet/other.xml";
    server.serve(
        other_path,
        channel(
            "www.othernews.example",
            &item(
                "City council passes parks budget",
                "https://www.othernews.example/x/9",
                date,
                &format!(
                    "<description>{}</description>",
                    "The city council approved a budget for parks and libraries on Thursday after a long \
                     debate over road repairs and school funding that lasted into the night."
                ),
            ),
        ),
        "application/rss+xml",
    );
    urls.push(server.url(other_path));
    let app = App::new(&urls);
    app.poll_all();
    let articles = app.articles(&[]);
    assert_eq!(articles.len(), 5, "{articles:#?}");
    let story: Vec<&Article> = articles
        .iter()
        .filter(|a| !a.feed_url.ends_with("other.xml"))
        .collect();
    let clusters: std::collections::BTreeSet<Option<i64>> =
        story.iter().map(|a| a.cluster_id).collect();
    assert_eq!(
        clusters.len(),
        1,
        "one cluster for the four outlets: {:#?}",
        story
            .iter()
            .map(|a| (&a.feed_url, a.id, a.cluster_id, a.duplicate_of))
            .collect::<Vec<_>>()
    );
    let root = clusters.into_iter().next().flatten().expect("clustered");
    assert_eq!(
        story.iter().filter(|a| a.duplicate_of.is_none()).count(),
        1,
        "one first article"
    );
    assert!(story.iter().any(|a| a.id == root));
    let other = articles
        .iter()
        .find(|a| a.feed_url.ends_with("other.xml"))
        .unwrap();
    assert_eq!(other.cluster_id, Some(other.id));
    assert_eq!(other.duplicate_of, None);
    // Copies from other hosts carry cross_source_copy.
    let copies = story.iter().filter(|a| a.duplicate_of.is_some());
    for copy in copies {
        assert!(
            copy.syndication_reasons
                .contains(&"cross_source_copy".to_string()),
            "{copy:#?}"
        );
    }
    let listed = app.run(&["clusters", "--format", "json"]);
    listed.assert_success("clusters");
    let clusters: serde_json::Value = serde_json::from_str(&listed.stdout).expect("json");
    assert_eq!(
        clusters.as_array().map(Vec::len),
        Some(1),
        "{}",
        listed.stdout
    );
    assert_eq!(clusters[0]["size"], 4);
    assert_eq!(clusters[0]["sites"].as_array().map(Vec::len), Some(4));
    let explained = app.run(&["explain", &root.to_string()]);
    assert!(
        explained.stdout.contains("4 articles"),
        "{}",
        explained.stdout
    );
    // Re-running the rules keeps what the clusters added.
    let again = app.run(&["reclassify"]);
    again.assert_success("reclassify");
    assert!(again.stdout.contains(" 0 changed"), "{}", again.stdout);
    let copy = story.iter().find(|a| a.duplicate_of.is_some()).unwrap();
    let explained = app.run(&["explain", &copy.id.to_string()]);
    assert!(
        explained.stdout.contains("cross_source_copy"),
        "{}",
        explained.stdout
    );
}

#[test]
fn template_stories_with_different_facts_are_ten_clusters() {
    let server = TestServer::start();
    let mut items = String::new();
    let stocks = [
        "Infosys",
        "Reliance",
        "TCS",
        "HDFC Bank",
        "ITC",
        "Titan",
        "Wipro",
        "Maruti",
        "Airtel",
        "L&amp;T",
    ];
    for i in 0..10u32 {
        let points = 100 + i * 37;
        let close = 80_000 + i * 211;
        let body = format!(
            "<description>Mumbai, Nov {day} (PTI) - The BSE Sensex rose {points} points, or 0.{pct} per cent, to close \
             at {close} on {weekday}, led by gains in {gainer}, while {loser} was the top loser among the 30 stocks. \
             The broader Nifty ended {nifty} points higher at {nclose}. Foreign funds bought shares worth Rs {fii} \
             crore on the previous day, according to exchange data.</description>",
            day = i + 1,
            pct = 10 + i * 3,
            weekday = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"][i as usize % 5],
            gainer = stocks[i as usize],
            loser = stocks[(i as usize + 3) % 10],
            nifty = 20 + i * 9,
            nclose = 24_000 + i * 57,
            fii = 1_000 + i * 333,
        );
        items.push_str(&item(
            &format!("Sensex rises {points} points"),
            &format!("https://markets.example/sensex-{i}"),
            &format!("Tue, {:02} Nov 2026 10:00:00 GMT", i + 1),
            &body,
        ));
    }
    server.serve(
        "/markets.xml",
        channel("markets.example", &items),
        "application/rss+xml",
    );
    let app = App::new(&[server.url("/markets.xml")]);
    app.poll_all();
    let articles = app.articles(&[]);
    assert_eq!(articles.len(), 10);
    let clusters: std::collections::BTreeSet<Option<i64>> =
        articles.iter().map(|a| a.cluster_id).collect();
    assert_eq!(clusters.len(), 10, "{articles:#?}");
    assert!(articles.iter().all(|a| a.duplicate_of.is_none()));
}

#[test]
fn an_item_whose_guid_and_url_changed_is_the_same_item_not_a_second_one() {
    let server = TestServer::start();
    let date = "Mon, 23 Nov 2026 10:00:00 GMT";
    let story = |edit: bool| {
        let mut ps: Vec<String> = AGENCY_STORY.iter().map(|p| p.to_string()).collect();
        if edit {
            // The kind of touch-up a republished item gets.
            ps[1] = ps[1].replace("said", "told reporters");
        }
        let ps: Vec<&str> = ps.iter().map(String::as_str).collect();
        format!(
            "<content:encoded><![CDATA[{}]]></content:encoded>",
            paragraphs(&ps)
        )
    };
    let other_story = "<description>The city council approved a budget for parks and libraries \
        on Thursday after a long debate over road repairs and school funding.</description>";
    let live = "<description>Live: the match between the two city clubs is under way at the \
        riverside ground, follow every goal and every card here as it happens.</description>";
    let old_link = "http://www.harbour.example/news/cargo-terminals";
    let first = [
        item(
            "East coast to get 12 cargo terminals",
            old_link,
            date,
            &story(false),
        ),
        item(
            "Parks budget passed",
            "http://www.harbour.example/news/parks",
            date,
            other_story,
        ),
    ];
    server.serve(
        "/harbour.xml",
        channel("www.harbour.example", &first.concat()),
        "application/rss+xml",
    );
    // Another outlet carries the same story: the moved item must still be
    // matched to its own earlier row, not to this copy.
    server.serve(
        "/wire.xml",
        channel(
            "www.wire-mirror.example",
            &item(
                "Govt clears 12 cargo terminals",
                "https://www.wire-mirror.example/s/1",
                date,
                &story(false),
            ),
        ),
        "application/rss+xml",
    );
    let harbour = server.url("/harbour.xml");
    let app = App::new(&[server.url("/wire.xml"), harbour.clone()]);
    app.poll_all().assert_success("first poll");
    let before = app.articles(&[]);
    let moved_before = before
        .iter()
        .find(|a| a.url.as_deref() == Some(old_link))
        .expect("stored under its first URL")
        .clone();

    // The site moves to https and edits the slug; the guid follows the
    // link. Two live-blog items with the same text and their own guids are
    // listed side by side: two items, even though near-duplicates.
    let new_link = "https://www.harbour.example/news/cargo-terminals-east-coast";
    let second = [
        item(
            "East coast to get 12 cargo terminals",
            new_link,
            date,
            &story(true),
        ),
        item(
            "Parks budget passed",
            "http://www.harbour.example/news/parks",
            date,
            other_story,
        ),
        item(
            "Live: city derby",
            "https://www.harbour.example/live/1",
            date,
            live,
        ),
        item(
            "Live: city derby (updated)",
            "https://www.harbour.example/live/2",
            date,
            live,
        ),
    ];
    server.set_body(
        "/harbour.xml",
        channel("www.harbour.example", &second.concat()),
    );
    app.poll_all().assert_success("second poll");
    let after = app.articles(&[]);
    let ours: Vec<&Article> = after.iter().filter(|a| a.feed_url == harbour).collect();
    assert_eq!(
        ours.len(),
        4,
        "moved item stored once, both live items kept: {:#?}",
        ours.iter()
            .map(|a| (a.id, &a.item_key, &a.url))
            .collect::<Vec<_>>()
    );
    let moved = ours
        .iter()
        .find(|a| a.id == moved_before.id)
        .expect("the first row is kept");
    assert_eq!(moved.url.as_deref(), Some(new_link));
    assert_ne!(
        moved.item_key, moved_before.item_key,
        "it takes the new key"
    );
    assert!(
        moved
            .text
            .as_deref()
            .unwrap_or("")
            .contains("told reporters"),
        "and the new text"
    );
    assert_eq!(
        moved.cluster_id, moved_before.cluster_id,
        "its cluster stays"
    );
    let log = app.fetch_log(&harbour);
    let latest = log.last().expect("logged");
    assert_eq!((latest.items_new, latest.items_updated), (2, 1), "{log:#?}");
    // A third poll of the same document changes nothing.
    server.set_body(
        "/harbour.xml",
        channel("www.harbour.example", &format!("{} ", second.concat())),
    );
    app.poll_all().assert_success("third poll");
    assert_eq!(app.articles(&[]).len(), after.len());
    let live_items: Vec<&&Article> = ours
        .iter()
        .filter(|a| a.title.as_deref().unwrap_or("").starts_with("Live"))
        .collect();
    assert_eq!(live_items.len(), 2);
}
