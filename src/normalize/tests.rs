//! Tests of `normalize_entry` as a whole: each field's rule, and a timing
//! loop (ignored by default) for the per-item cost on a realistic body.

use super::*;
use chrono::{TimeDelta, TimeZone};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
}

fn ctx() -> NormalizeContext<'static> {
    NormalizeContext {
        feed_url: "https://news.example.com/feed.xml",
        feed_language: Some(" EN_us "),
        now: now(),
        max_future_skew: TimeDelta::minutes(5),
    }
}

fn entry() -> RawEntry {
    RawEntry {
        guid: Some("  urn:uuid:1234  ".into()),
        link: Some("/2024/05/story?utm_source=rss&id=9#comments".into()),
        title: Some("  Fish &amp; Chips&nbsp;<em>Today</em>\n".into()),
        summary: Some("<p>Short &#8217;teaser&#8217;</p>".into()),
        content: Some(
            concat!(
                "<p>First paragraph with <a href=\"/about\">a link</a>.</p>",
                "<p>ADVERTISEMENT</p>",
                "<script>track()</script>",
                "<p>Second<br>line.</p>"
            )
            .into(),
        ),
        base_url: Some("https://www.example.com/2024/05/".into()),
        authors: vec![
            " Jane  Doe ".into(),
            "Jane Doe".into(),
            "  ".into(),
            "Bob".into(),
        ],
        categories: vec!["World".into(), "Europe &amp; Asia".into(), "World".into()],
        published: None,
        published_raw: Some("Wed, 01 May 2024 10:00:00 CEST".into()),
        updated: Some(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap()),
        updated_raw: Some("2030-01-01T00:00:00Z".into()),
        language: None,
        enclosures: vec![
            Enclosure {
                url: "media/a.mp3?fbclid=x".into(),
                mime_type: Some(" audio/mpeg ".into()),
                length: Some(123),
            },
            Enclosure {
                url: "https://www.example.com/2024/05/media/a.mp3".into(),
                mime_type: None,
                length: None,
            },
            Enclosure {
                url: "javascript:void(0)".into(),
                mime_type: None,
                length: None,
            },
        ],
    }
}

#[test]
fn every_field_is_normalized() {
    let a = normalize_entry(&entry(), &ctx());
    assert_eq!(a.guid.as_deref(), Some("urn:uuid:1234"));
    assert_eq!(a.item_key, "");
    assert_eq!(
        a.url.as_deref(),
        Some("https://www.example.com/2024/05/story?id=9")
    );
    assert_eq!(a.title.as_deref(), Some("Fish & Chips Today"));
    assert_eq!(a.authors, ["Jane Doe", "Bob"]);
    assert_eq!(a.categories, ["World", "Europe & Asia"]);
    assert_eq!(
        a.published,
        Some(Utc.with_ymd_and_hms(2024, 5, 1, 8, 0, 0).unwrap())
    );
    assert_eq!(a.published_raw, None);
    assert_eq!(a.updated, Some(now()));
    assert_eq!(a.updated_raw.as_deref(), Some("2030-01-01T00:00:00Z"));
    assert_eq!(a.summary.as_deref(), Some("Short ’teaser’"));
    assert_eq!(
        a.content_html.as_deref(),
        Some(concat!(
            "<p>First paragraph with <a href=\"https://www.example.com/about\" ",
            "rel=\"noopener noreferrer\">a link</a>.</p><p>ADVERTISEMENT</p>",
            "<p>Second<br>line.</p>"
        ))
    );
    assert_eq!(
        a.text.as_deref(),
        Some("First paragraph with a link.\n\nSecond\nline.")
    );
    assert_eq!(a.language.as_deref(), Some("en-us"));
    assert_eq!(
        a.enclosures,
        [Enclosure {
            url: "https://www.example.com/2024/05/media/a.mp3".into(),
            mime_type: Some("audio/mpeg".into()),
            length: Some(123),
        }]
    );
    assert_eq!(a.content_hash.len(), 32);
}

#[test]
fn empty_entry_gives_empty_article() {
    let a = normalize_entry(&RawEntry::default(), &ctx());
    assert_eq!(
        a,
        Article {
            language: Some("en-us".into()),
            content_hash: a.content_hash.clone(),
            ..Article::default()
        }
    );
}

#[test]
fn blank_strings_become_none() {
    let raw = RawEntry {
        guid: Some(" ".into()),
        link: Some("  ".into()),
        title: Some(" <b> </b>&nbsp;".into()),
        summary: Some("\n".into()),
        language: Some("  ".into()),
        ..RawEntry::default()
    };
    let ctx = NormalizeContext {
        feed_language: None,
        ..ctx()
    };
    let a = normalize_entry(&raw, &ctx);
    assert_eq!(
        (a.guid, a.url, a.title, a.summary, a.language),
        (None, None, None, None, None)
    );
}

#[test]
fn link_resolves_against_feed_url_without_base() {
    let raw = RawEntry {
        link: Some("story.html".into()),
        language: Some("de-AT".into()),
        ..RawEntry::default()
    };
    let a = normalize_entry(&raw, &ctx());
    assert_eq!(
        a.url.as_deref(),
        Some("https://news.example.com/story.html")
    );
    assert_eq!(a.language.as_deref(), Some("de-at"));
}

#[test]
fn non_web_base_falls_back_to_feed_url() {
    let raw = RawEntry {
        link: Some("/a".into()),
        base_url: Some("tag:example.com,2024:feed".into()),
        ..RawEntry::default()
    };
    let a = normalize_entry(&raw, &ctx());
    assert_eq!(a.url.as_deref(), Some("https://news.example.com/a"));
}

#[test]
fn hash_ignores_dates_but_tracks_edits() {
    let a = normalize_entry(&entry(), &ctx());
    let mut redated = entry();
    redated.published_raw = Some("Thu, 02 May 2024 10:00:00 GMT".into());
    redated.updated = None;
    assert_eq!(
        normalize_entry(&redated, &ctx()).content_hash,
        a.content_hash
    );
    let mut edited = entry();
    edited.title = Some("Fish & Chips Tomorrow".into());
    assert_ne!(
        normalize_entry(&edited, &ctx()).content_hash,
        a.content_hash
    );
}

/// A ~5 KB body shaped like a news article: paragraphs with links and
/// inline markup, a figure, a list, an ad slot and a tracking script.
fn five_kb_entry() -> RawEntry {
    let mut html = String::from(
        "<div class=\"article\"><figure><img src=\"/img/lead.jpg\" alt=\"Lead\" \
         onerror=\"x()\"><figcaption>The harbour at dawn.</figcaption></figure>",
    );
    while html.len() < 4_600 {
        html.push_str(
            "<p>The council said on <strong>Monday</strong> that the new harbour \
             plan would go ahead, despite objections from <a href=\"/people/residents\" \
             class=\"x\">residents&rsquo; groups</a> and local businesses.&nbsp;Officials \
             expect work to begin in the spring.</p>\n",
        );
        if html.len() % 3 == 0 {
            html.push_str("<div class=\"ad\"><p>Advertisement</p></div>");
        }
    }
    html.push_str("<ul><li>One</li><li>Two</li></ul><script>track();</script></div>");
    RawEntry {
        summary: Some("<p>The council approved the harbour plan.</p>".into()),
        content: Some(html),
        ..entry()
    }
}

/// Run with `cargo test --release --lib normalize::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore = "timing loop; run explicitly in release mode"]
fn timing_normalize_5kb_body() {
    let raw = five_kb_entry();
    let ctx = ctx();
    let body_len = raw.content.as_ref().map_or(0, String::len);
    for _ in 0..200 {
        std::hint::black_box(normalize_entry(&raw, &ctx));
    }
    let runs = 5_000u32;
    let start = std::time::Instant::now();
    for _ in 0..runs {
        std::hint::black_box(normalize_entry(std::hint::black_box(&raw), &ctx));
    }
    let per_item = start.elapsed() / runs;
    println!("normalize_entry, {body_len}-byte body: {per_item:?} per item");
}

/// A ~2 KB news body, the size the cold-ingest profile was taken on:
/// paragraphs with tracked links, an image, entities, a tracking script
/// and a lone ad-slot paragraph.
fn two_kb_entry() -> RawEntry {
    let html = concat!(
        "<div class=\"story-body\"><p class=\"lede\">The city council on <strong>Tuesday</strong> ",
        "approved a &pound;12m plan to rebuild the harbour wall, ending a two-year dispute ",
        "with <a href=\"https://news.example.com/people/residents?utm_source=rss&amp;utm_medium=feed\">",
        "residents&rsquo; groups</a> over the project&#8217;s cost.</p>\n",
        "<figure><img src=\"/img/2024/05/harbour.jpg?w=800\" alt=\"The harbour at dawn\" ",
        "width=\"800\" height=\"450\" loading=\"lazy\" class=\"wp-image\"></figure>\n",
        "<p>&ldquo;We have listened,&rdquo; said the council leader, Maria Santos. ",
        "&ldquo;This is the plan people asked for &mdash; and it&nbsp;comes in under budget.&rdquo;</p>\n",
        "<p>Work is due to begin in <em>September</em> and last eighteen months. Traffic on ",
        "the coast road will be reduced to one lane between the marina and the lifeboat ",
        "station, <a href=\"/2024/04/coast-road-closures?utm_campaign=rss&amp;id=4\" ",
        "target=\"_blank\">the council said last month</a>.</p>\n",
        "<p>Advertisement</p>\n",
        "<script type=\"text/javascript\">window.dataLayer = window.dataLayer || []; ",
        "dataLayer.push({'event': 'article_view', 'id': 4412});</script>\n",
        "<p>Opponents, including the Harbour Traders&#39; Association, had argued that ",
        "the earlier &pound;19m scheme would close the fish market for a whole season. ",
        "Its chair, Tom O&rsquo;Neill, said the revised plan was &ldquo;a fair compromise&rdquo; ",
        "but warned that members would <a href=\"https://news.example.com/tags/harbour?utm_source=rss\">",
        "watch the timetable closely</a>.</p>\n",
        "<p>The Environment Agency must still approve the design of the new sea defences, ",
        "a decision expected before the summer recess. A public exhibition of the plans ",
        "opens at the town hall on 3 June &amp; runs for two weeks.</p>\n",
        "<p><em>Reporting by Jane Doe; editing by Bob Smith.</em></p></div>"
    );
    RawEntry {
        summary: Some(
            "<p>Council approves &pound;12m harbour wall plan after two-year dispute.</p>".into(),
        ),
        content: Some(html.into()),
        ..entry()
    }
}

/// Run with `cargo test --release --lib normalize::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore = "timing loop; run explicitly in release mode"]
fn timing_normalize_2kb_body() {
    let raw = two_kb_entry();
    let ctx = ctx();
    let body_len = raw.content.as_ref().map_or(0, String::len);
    for _ in 0..500 {
        std::hint::black_box(normalize_entry(&raw, &ctx));
    }
    let runs = 20_000u32;
    let mut best = std::time::Duration::MAX;
    for _ in 0..3 {
        let start = std::time::Instant::now();
        for _ in 0..runs {
            std::hint::black_box(normalize_entry(std::hint::black_box(&raw), &ctx));
        }
        best = best.min(start.elapsed() / runs);
    }
    println!("normalize_entry, {body_len}-byte body: {best:?} per item (best of 3)");
}
