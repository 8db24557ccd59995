//! OPML 2.0 import and export of the feed list.
//!
//! Subscription exports from other readers nest outlines in folders and
//! spell the attribute `xmlUrl` or `xmlurl`; every outline with one counts.

use quick_xml::Reader;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::io::Write;

/// One feed found in an OPML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    pub url: String,
    pub title: Option<String>,
}

/// Reads every outline with an `xmlUrl` attribute.
pub fn parse_opml(text: &str) -> Result<Vec<OpmlFeed>, String> {
    let mut reader = Reader::from_str(text);
    let mut feeds = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) if e.local_name().as_ref() == "outline" => {
                let mut url = None;
                let mut title = None;
                let mut text_attr = None;
                for attr in e.attributes().flatten() {
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|err| {
                            format!("bad attribute at byte {}: {err}", reader.buffer_position())
                        })?
                        .trim()
                        .to_string();
                    match attr.key.as_ref().to_ascii_lowercase().as_str() {
                        "xmlurl" => url = Some(value),
                        "title" => title = Some(value),
                        "text" => text_attr = Some(value),
                        _ => {}
                    }
                }
                if let Some(url) = url.filter(|u| !u.is_empty()) {
                    feeds.push(OpmlFeed {
                        url,
                        title: title.or(text_attr).filter(|t| !t.is_empty()),
                    });
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(format!(
                    "not valid OPML at byte {}: {e}",
                    reader.buffer_position()
                ));
            }
        }
    }
    Ok(feeds)
}

/// Writes an OPML 2.0 document with one outline per feed.
pub fn write_opml(out: &mut dyn Write, feeds: &[OpmlFeed]) -> std::io::Result<()> {
    let mut w = Writer::new_with_indent(out, b' ', 2);
    let io = |e: quick_xml::Error| std::io::Error::other(e.to_string());
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::Start(
        BytesStart::new("opml").with_attributes([("version", "2.0")]),
    ))?;
    w.write_event(Event::Start(BytesStart::new("head")))?;
    w.create_element("title")
        .write_text_content(BytesText::new("feedsieve subscriptions"))
        .map_err(std::io::Error::other)?;
    w.write_event(Event::End(BytesEnd::new("head")))?;
    w.write_event(Event::Start(BytesStart::new("body")))?;
    for f in feeds {
        let title = f.title.as_deref().unwrap_or(&f.url);
        w.write_event(Event::Empty(BytesStart::new("outline").with_attributes([
            ("type", "rss"),
            ("text", title),
            ("title", title),
            ("xmlUrl", f.url.as_str()),
        ])))?;
    }
    w.write_event(Event::End(BytesEnd::new("body")))?;
    w.write_event(Event::End(BytesEnd::new("opml")))?;
    let _ = io;
    writeln!(w.get_mut())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_outlines_and_attribute_case() {
        let doc = r#"<?xml version="1.0"?><opml version="1.0"><body>
            <outline text="News"><outline text="A &amp; B" xmlUrl="https://a.example/rss"/>
            <outline title="C" xmlurl=" https://c.example/feed "/></outline>
            <outline text="folder only"/></body></opml>"#;
        let feeds = parse_opml(doc).unwrap();
        assert_eq!(
            feeds,
            vec![
                OpmlFeed {
                    url: "https://a.example/rss".into(),
                    title: Some("A & B".into())
                },
                OpmlFeed {
                    url: "https://c.example/feed".into(),
                    title: Some("C".into())
                },
            ]
        );
    }

    #[test]
    fn export_round_trips() {
        let feeds = vec![OpmlFeed {
            url: "https://a.example/rss?x=1&y=2".into(),
            title: Some("A <b>".into()),
        }];
        let mut out = Vec::new();
        write_opml(&mut out, &feeds).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("version=\"2.0\""), "{text}");
        assert_eq!(parse_opml(&text).unwrap(), feeds);
    }

    #[test]
    fn broken_opml_is_an_error() {
        assert!(parse_opml("<opml><body><outline xmlUrl=\"x\"></body>").is_err());
    }
}
