//! Every supported syntax ingests, checked field by field on the values an
//! operator reads back: RSS 0.91 (in ISO-8859-1), RSS 1.0, RSS 2.0, Atom 1.0,
//! JSON Feed 1.1.

use crate::ingest::poll_paths;
use crate::records::{ARTICLE_KEYS, Enclosure, titled};
use std::collections::BTreeSet;

#[test]
fn rss2_item_markup_is_cleaned_and_url_canonical() {
    let p = poll_paths(&["/fixtures/rss2.xml"]);
    assert_eq!(p.articles.len(), 4, "four items in rss2.xml");
    let a = titled(&p.articles, "chair signals pause");
    assert_eq!(
        a.title(),
        "Fed’s chair signals pause & bonds slip again",
        "entities decoded, nbsp collapsed"
    );
    assert_eq!(
        a.url.as_deref(),
        Some("https://news.example.com/world/2024/03/06/fed-pause?id=7")
    );
    assert_eq!(a.guid.as_deref(), Some("nc-2024-03-06-fed-pause"));
    assert_eq!(a.authors, ["Hannah Whitfield"]);
    assert_eq!(a.categories, ["Economy", "United States"]);
    assert_eq!(a.language.as_deref(), Some("en"));
    assert_eq!(
        a.enclosures,
        [Enclosure {
            url: "https://media.example.com/audio/2024/03/06/markets-briefing.mp3".into(),
            mime_type: Some("audio/mpeg".into()),
            length: Some(8_421_376),
        }]
    );
    let html = a.html();
    assert!(
        html.contains("https://news.example.com/media/2024/03/yields-chart.png"),
        "img made absolute: {html}"
    );
    assert!(
        html.contains("https://news.example.com/world/2024/03/05/budget-vote"),
        "link made absolute: {html}"
    );
    assert!(!html.contains("trackReader"), "script body removed: {html}");
    let text = a.text();
    assert!(
        text.contains("the first rate cut was “not far off”"),
        "text: {text}"
    );
    assert!(
        text.contains("Ten-year notes gained as traders priced in a June move."),
        "text: {text}"
    );
    assert!(
        !text.contains("Advertisement"),
        "scrape furniture left in text: {text}"
    );
    assert!(
        !text.contains("trackReader") && !text.contains('<'),
        "markup or script in text: {text}"
    );
    assert!(
        a.summary().contains("rate cuts are not far off"),
        "summary: {}",
        a.summary()
    );
    assert!(
        !a.summary().contains('<'),
        "summary is plain text: {}",
        a.summary()
    );
}

#[test]
fn rss2_dates_become_utc_and_future_dates_are_clamped() {
    let p = poll_paths(&["/fixtures/rss2.xml"]);
    let cases = [
        ("chair signals pause", "2024-03-06T18:40:00Z"), // GMT
        ("Parliament passes", "2024-03-05T14:15:00Z"),   // EST = UTC-5
        ("Heatwave grips", "2024-07-04T06:00:00Z"),      // CEST = UTC+2
    ];
    for (title, want) in cases {
        let a = titled(&p.articles, title);
        assert_eq!(
            a.published.as_deref(),
            Some(want),
            "published of {title:?} (raw {:?})",
            a.published_raw
        );
    }
    let live = titled(&p.articles, "election night");
    let published = live.published_at().expect("a clamped date, not none");
    assert!(
        published >= p.from && published <= p.to,
        "2099 date must be clamped to the fetch time ({} ..= {}), got {published}",
        p.from,
        p.to
    );
    assert_eq!(
        live.published_raw.as_deref(),
        Some("Thu, 01 Jan 2099 00:00:00 GMT"),
        "raw date kept"
    );
}

#[test]
fn rss2_relative_link_resolves_against_the_document() {
    let p = poll_paths(&["/fixtures/rss2.xml"]);
    let a = titled(&p.articles, "Parliament passes");
    assert_eq!(
        a.url.as_deref(),
        Some(p.server.url("/world/2024/03/05/budget-vote").as_str())
    );
    assert_eq!(a.authors, ["Omar Haddad"]);
    assert_eq!(a.categories, ["Politics"]);
    let heat = titled(&p.articles, "Heatwave grips");
    assert_eq!(
        heat.guid.as_deref(),
        Some("https://news.example.com/world/2024/07/04/heatwave-europe")
    );
    let keys: BTreeSet<&str> = p.articles.iter().map(|a| a.item_key.as_str()).collect();
    assert_eq!(keys.len(), 4, "distinct item keys");
    let feed = p.app.feed(&p.urls[0]);
    assert_eq!(feed.title.as_deref(), Some("Northgate Courier — World"));
    assert_eq!(
        feed.site_url.as_deref(),
        Some("https://news.example.com/world")
    );
}

#[test]
fn jsonl_objects_carry_exactly_the_documented_keys() {
    let p = poll_paths(&["/fixtures/rss2.xml"]);
    let out = p.app.run(&["articles", "--format", "jsonl"]);
    out.assert_success("articles --format jsonl");
    let want: BTreeSet<&str> = ARTICLE_KEYS.iter().copied().collect();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4);
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        let keys: BTreeSet<&str> = v
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, want, "keys of {line}");
        assert!(
            v["authors"].is_array() && v["categories"].is_array() && v["enclosures"].is_array()
        );
    }
}

#[test]
fn rss091_latin1_feed_ingests() {
    let p = poll_paths(&["/fixtures/rss091.xml"]);
    assert_eq!(p.articles.len(), 2);
    let a = titled(&p.articles, "Hochwasser");
    assert_eq!(
        a.title(),
        "Hochwasser am Rhein: Pegel in Köln steigt über acht Meter"
    );
    assert_eq!(
        a.url.as_deref(),
        Some("https://bote.example.de/region/hochwasser-koeln-pegel.html")
    );
    assert_eq!(a.guid, None, "RSS 0.91 has no guid; none may be invented");
    assert_eq!(a.published, None);
    assert_eq!(a.language.as_deref(), Some("de"));
    let body = format!("{} {}", a.summary(), a.text());
    assert!(
        body.contains("Hochwasserschutzwände in der Altstadt"),
        "body: {body}"
    );
    let b = titled(&p.articles, "Linie 66");
    assert_eq!(
        b.title(),
        "Bonner Straßenbahn: Linie 66 fährt wieder durchgehend"
    );
    assert_ne!(a.item_key, b.item_key);
    assert_eq!(
        p.app.feed(&p.urls[0]).title.as_deref(),
        Some("Rheinland-Bote: Nachrichten")
    );
}

#[test]
fn rss1_rdf_with_dublin_core_ingests() {
    let p = poll_paths(&["/fixtures/rss1.rdf"]);
    assert_eq!(p.articles.len(), 2);
    let a = titled(&p.articles, "comète");
    assert_eq!(a.title(), "Une comète visible à l’œil nu dès ce week-end");
    assert_eq!(
        a.url.as_deref(),
        Some("https://actu.example.fr/sciences/2024/03/08/comete-visible")
    );
    assert_eq!(a.authors, ["Camille Martin"]);
    assert_eq!(
        a.published.as_deref(),
        Some("2024-03-08T10:30:00Z"),
        "dc:date +01:00 in UTC"
    );
    assert!(format!("{} {}", a.summary(), a.text()).contains("12P/Pons-Brooks"));
    let b = titled(&p.articles, "glaciers alpins");
    assert_eq!(b.authors, ["Julien Moreau"]);
    assert_eq!(
        b.published.as_deref(),
        Some("2024-03-08T10:00:00Z"),
        "zone-less ISO 8601 read as UTC"
    );
}

#[test]
fn atom_resolves_xml_base_in_links_and_content() {
    let p = poll_paths(&["/fixtures/atom.xml"]);
    assert_eq!(p.articles.len(), 2);
    let a = titled(&p.articles, "inflación");
    assert_eq!(
        a.title(),
        "La inflación baja al 2,8 % en febrero, su nivel más bajo desde 2021"
    );
    assert_eq!(
        a.url.as_deref(),
        Some("https://diario.example.es/economia/2024/03/09/inflacion-febrero")
    );
    assert_eq!(
        a.guid.as_deref(),
        Some("tag:diario.example.es,2024:inflacion-febrero")
    );
    assert_eq!(a.authors, ["Lucía Fernández"]);
    assert_eq!(a.categories, ["Economía", "IPC"]);
    assert_eq!(a.published.as_deref(), Some("2024-03-09T09:30:00Z"));
    assert_eq!(a.updated.as_deref(), Some("2024-03-09T10:00:00Z"));
    assert_eq!(
        a.language.as_deref(),
        Some("es"),
        "from the feed's xml:lang"
    );
    assert!(
        a.summary().starts_with("El IPC interanual se modera"),
        "summary: {}",
        a.summary()
    );
    assert!(
        a.text().contains("se situó en el 2,8 % en febrero"),
        "text: {}",
        a.text()
    );
    let html = a.html();
    assert!(
        html.contains("https://diario.example.es/economia/datos/ipc-febrero.csv"),
        "entry xml:base: {html}"
    );
    assert!(
        html.contains("https://diario.example.es/img/2024/ipc-febrero.png"),
        "../ against xml:base: {html}"
    );
}

#[test]
fn atom_xhtml_content_and_feed_fields() {
    let p = poll_paths(&["/fixtures/atom.xml"]);
    let b = titled(&p.articles, "Prado");
    assert_eq!(
        b.url.as_deref(),
        Some("https://diario.example.es/cultura/2024/03/08/prado-sala-goya")
    );
    assert_eq!(b.published.as_deref(), Some("2024-03-08T17:00:00Z"));
    assert_eq!(b.authors, ["Marta Ruiz"]);
    assert_eq!(b.categories, ["Cultura"]);
    assert!(
        b.html()
            .contains("https://diario.example.es/cultura/goya/pinturas-negras"),
        "xhtml: {}",
        b.html()
    );
    assert!(
        b.html()
            .contains("https://diario.example.es/img/2024/prado-goya.jpg"),
        "xhtml: {}",
        b.html()
    );
    assert!(
        b.text().contains("Pinturas negras vuelven a exponerse"),
        "text: {}",
        b.text()
    );
    let feed = p.app.feed(&p.urls[0]);
    assert_eq!(feed.title.as_deref(), Some("Diario Ejemplo — Portada"));
    assert_eq!(feed.site_url.as_deref(), Some("https://diario.example.es/"));
}

#[test]
fn json_feed_ingests() {
    let p = poll_paths(&["/fixtures/feed.json"]);
    assert_eq!(p.articles.len(), 3);
    let a = titled(&p.articles, "熊本");
    assert_eq!(
        a.title(),
        "熊本の半導体工場が本格稼働、地元雇用は1700人規模に"
    );
    let url = "https://tech.toto-shimbun.example.jp/2024/03/10/kumamoto-chip-plant";
    assert_eq!(a.url.as_deref(), Some(url));
    assert_eq!(a.guid.as_deref(), Some(url));
    assert_eq!(a.authors, ["佐藤 健"]);
    assert_eq!(a.categories, ["半導体", "経済"]);
    assert_eq!(
        a.published.as_deref(),
        Some("2024-03-10T00:00:00Z"),
        "+09:00 in UTC"
    );
    assert_eq!(a.updated.as_deref(), Some("2024-03-10T03:30:00Z"));
    assert_eq!(a.language.as_deref(), Some("ja"));
    assert_eq!(
        a.enclosures,
        [Enclosure {
            url: "https://tech.toto-shimbun.example.jp/audio/2024/03/10/chip-plant.mp3".into(),
            mime_type: Some("audio/mpeg".into()),
            length: Some(4_718_592),
        }]
    );
    assert!(
        a.text().contains("地元雇用は1700人規模"),
        "text: {}",
        a.text()
    );
    assert!(
        !a.text().contains("ga('send'") && !a.html().contains("ga('send'"),
        "script kept: {}",
        a.html()
    );
    assert!(
        a.summary().contains("量産が始まった"),
        "summary: {}",
        a.summary()
    );
    let b = titled(&p.articles, "H3ロケット");
    assert!(
        b.text().contains("H3ロケット3号機の打ち上げを今夏に予定"),
        "content_text: {}",
        b.text()
    );
    assert_eq!(b.published.as_deref(), Some("2024-03-09T06:00:00Z"));
    let c = titled(&p.articles, "生成AI");
    assert_eq!(c.published, None, "an unreadable date is no date");
    assert_eq!(
        c.published_raw.as_deref(),
        Some("sometime last week"),
        "but it is kept raw"
    );
}
