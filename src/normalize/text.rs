//! Plain text for people and for matching: one-line labels (titles, author
//! names, categories), readable multi-paragraph bodies, and the removal of
//! scrape furniture ("Advertisement") that would otherwise make two copies
//! of the same story look different.
//!
//! Everything here produces text with whitespace collapsed: words separated
//! by single spaces, paragraphs by one blank line, nothing trailing.

use super::entity::decode_entities;
use super::{extract, html};
use std::borrow::Cow;

/// Lines that consist only of one of these phrases are layout left behind by
/// scrapers and syndication pipelines, not prose. Compared word by word,
/// ignoring case and punctuation, so `— ADVERTISEMENT —` and
/// `Advertisement - Scroll to continue` match. A line that merely contains
/// one of them ("The advertisement drew complaints") is kept; so is "Also
/// Read", which often introduces a real link list.
pub const FURNITURE_LINES: &[&str] = &[
    "advertisement",
    "skip advertisement",
    "advertisement scroll to continue",
    "scroll to continue with content",
    "story continues below advertisement",
    "article continues below advertisement",
    "story continues below",
    "article continues below",
    "continue reading below",
    "continue reading the main story",
];

/// No furniture phrase is longer than this once punctuation is allowed for;
/// longer lines skip the word-by-word comparison.
const MAX_FURNITURE_LINE: usize = 80;

/// Inline tags that may appear inside a title or other one-line field.
/// Only these are stripped: `Vec<String>` in a title about Rust is text.
const INLINE_TAGS: &[&str] = &[
    "a", "abbr", "b", "big", "br", "cite", "code", "del", "em", "font", "i", "img", "ins", "kbd",
    "mark", "p", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u",
    "wbr",
];

/// Converts an HTML fragment into readable plain text: block elements become
/// paragraphs separated by a blank line, `<br>` and list items line breaks,
/// entities decoded, scripts and styles dropped. No markdown decoration.
pub fn html_to_text(html: &str) -> String {
    extract::sanitized_to_text(&html::sanitize(html, None))
}

/// One line of plain text from a field that may hold inline markup and
/// entities (a title): inline tags stripped, one level of entities decoded,
/// all whitespace (NBSP included) collapsed to single spaces, trimmed.
pub fn plain_line(s: &str) -> String {
    let stripped = strip_inline_tags(s);
    collapse_line(&decode_entities(&stripped))
}

/// A name or category: entities decoded and whitespace collapsed, but no
/// tag stripping, because `Jane Doe <jane@example.com>` is a common author
/// form.
pub(crate) fn label(s: &str) -> String {
    collapse_line(&decode_entities(s))
}

/// Removes lines that are only scrape furniture (see [`FURNITURE_LINES`]),
/// trims trailing whitespace from every line, collapses runs of blank lines
/// to one and trims blank lines at both ends. Returns the text and how many
/// furniture lines it dropped.
pub fn remove_furniture(text: &str) -> (String, u32) {
    let mut out = String::with_capacity(text.len());
    let mut removed = 0;
    let mut blank_run = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run = !out.is_empty();
            continue;
        }
        if is_furniture(line) {
            removed += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run { "\n\n" } else { "\n" });
        }
        blank_run = false;
        out.push_str(line);
    }
    (out, removed)
}

fn is_furniture(line: &str) -> bool {
    if line.len() > MAX_FURNITURE_LINE {
        return false;
    }
    let words = || {
        line.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
    };
    FURNITURE_LINES.iter().any(|phrase| {
        let mut expected = phrase.split(' ');
        let mut seen = words();
        loop {
            match (expected.next(), seen.next()) {
                (None, None) => return true,
                (Some(e), Some(s)) if e.eq_ignore_ascii_case(s) => {}
                _ => return false,
            }
        }
    })
}

/// Whether a field holds markup rather than plain text: some `<tag`,
/// `</tag` or `<!` later closed by `>`. Entities alone do not count.
pub(crate) fn looks_like_html(s: &str) -> bool {
    let Some(last_gt) = s.rfind('>') else {
        return false;
    };
    let bytes = s.as_bytes();
    bytes[..last_gt].iter().enumerate().any(|(i, &b)| {
        b == b'<'
            && match (bytes.get(i + 1), bytes.get(i + 2)) {
                (Some(c), _) if c.is_ascii_alphabetic() || *c == b'!' => true,
                (Some(b'/'), Some(c)) => c.is_ascii_alphabetic(),
                _ => false,
            }
    })
}

/// Readable text from a plain-text body (JSON Feed `content_text`, Atom
/// `type="text"`): entities decoded, spaces collapsed within each line, the
/// author's line breaks kept and blank-line runs reduced to one.
pub(crate) fn plain_text_body(s: &str) -> String {
    let decoded = decode_entities(s);
    let mut out = String::with_capacity(decoded.len());
    let mut blank_run = false;
    for line in decoded.lines() {
        let line = collapse_line(line);
        if line.is_empty() {
            blank_run = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run { "\n\n" } else { "\n" });
        }
        blank_run = false;
        out.push_str(&line);
    }
    out
}

/// HTML for a plain-text body (the output of [`plain_text_body`]): one `<p>`
/// per paragraph, `<br>` for line breaks inside it, text escaped.
pub(crate) fn text_to_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    for paragraph in text.split("\n\n") {
        out.push_str("<p>");
        for (i, line) in paragraph.split('\n').enumerate() {
            if i > 0 {
                out.push_str("<br>");
            }
            for c in line.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    _ => out.push(c),
                }
            }
        }
        out.push_str("</p>");
    }
    out
}

/// Collapses whitespace runs to one space and trims; drops control
/// characters and the invisible ZERO WIDTH SPACE / BOM that CMS title
/// fields pick up from copy-paste.
fn collapse_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else if c.is_control() || c == '\u{200b}' || c == '\u{feff}' {
            continue;
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Removes `<tag ...>` and `</tag>` for the tags in [`INLINE_TAGS`]; other
/// `<` stay literal. Linear: the search for the closing `>` only moves
/// forward, so a string of many stray `<` costs no more than one pass.
fn strip_inline_tags(s: &str) -> Cow<'_, str> {
    if !s.contains('<') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    let mut next_gt = s.find('>');
    while let Some(lt) = s[pos..].find('<').map(|i| pos + i) {
        out.push_str(&s[pos..lt]);
        if next_gt.is_some_and(|gt| gt < lt) {
            next_gt = s[lt..].find('>').map(|i| lt + i);
        }
        let Some(gt) = next_gt else {
            pos = lt;
            break;
        };
        match inline_tag_name(&s[lt + 1..gt]) {
            Some(name) => {
                // `a<br>b` is two words; `un<em>believ</em>able` is one.
                if ["br", "p", "img"]
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(name))
                {
                    out.push(' ');
                }
                pos = gt + 1;
            }
            None => {
                out.push('<');
                pos = lt + 1;
            }
        }
    }
    out.push_str(&s[pos..]);
    Cow::Owned(out)
}

/// The tag name if `inner` (what lies between `<` and `>`) is an opening or
/// closing tag from [`INLINE_TAGS`].
fn inline_tag_name(inner: &str) -> Option<&str> {
    let inner = inner.strip_prefix('/').unwrap_or(inner);
    let name_end = inner
        .find(|c: char| c.is_ascii_whitespace() || c == '/')
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    INLINE_TAGS
        .iter()
        .any(|t| t.eq_ignore_ascii_case(name))
        .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devdiscourse_advertisement_line_removed_disclaimer_kept() {
        let html = "<p>The minister said on Monday that talks would resume.</p>\
                    <p>Advertisement</p>\
                    <p>Officials declined to comment further.</p>\
                    <p>(This story has not been edited by Devdiscourse staff and is \
                    auto-generated from a syndicated feed.)</p>";
        let (text, removed) = remove_furniture(&html_to_text(html));
        assert_eq!(removed, 1);
        assert_eq!(
            text,
            "The minister said on Monday that talks would resume.\n\n\
             Officials declined to comment further.\n\n\
             (This story has not been edited by Devdiscourse staff and is \
             auto-generated from a syndicated feed.)"
        );
    }

    #[test]
    fn furniture_variants_removed() {
        let text = "a\n— ADVERTISEMENT —\nb\n\n[Story continues below advertisement]\n\n\n\nc\n  \
                    Scroll to continue with content  \nd\nSkip Advertisement\nAdvertisement - \
                    Scroll to Continue\ne";
        assert_eq!(remove_furniture(text), ("a\nb\n\nc\nd\ne".to_string(), 5));
    }

    #[test]
    fn sentence_mentioning_advertisement_is_kept() {
        let text =
            "The advertisement drew complaints.\n\nAlso Read\n\nAdvertisement standards apply";
        assert_eq!(remove_furniture(text), (text.to_string(), 0));
    }

    #[test]
    fn furniture_at_edges_leaves_no_blank_lines() {
        assert_eq!(
            remove_furniture("Advertisement\n\nbody  \n\nadvertisement."),
            ("body".to_string(), 2)
        );
        assert_eq!(remove_furniture("Advertisement"), (String::new(), 1));
    }

    #[test]
    fn html_to_text_decodes_entities_and_breaks() {
        let html = "<p>Fish &amp; chips&nbsp;&#8217;n&rsquo; more</p><p>line one<br/>line two</p>";
        assert_eq!(
            html_to_text(html),
            "Fish & chips ’n’ more\n\nline one\nline two"
        );
    }

    #[test]
    fn html_to_text_has_no_markdown_decorations() {
        let html = r#"<h1>Title</h1><p><strong>bold</strong> <a href="https://x.test/">link</a></p><ul><li>one</li><li>two</li></ul>"#;
        assert_eq!(html_to_text(html), "Title\n\nbold link\n\none\ntwo");
    }

    #[test]
    fn html_to_text_drops_scripts() {
        assert_eq!(html_to_text("a<script>var x = 1;</script> b"), "a b");
    }

    #[test]
    fn plain_line_cleans_titles() {
        assert_eq!(
            plain_line("  <b>Breaking</b>:&nbsp;Fish &amp;amp; Chips&#8217;\n  news  "),
            "Breaking: Fish &amp; Chips’ news"
        );
        assert_eq!(plain_line("Vec<String> in Rust"), "Vec<String> in Rust");
        assert_eq!(plain_line("a&lt;b&gt; \u{200b}"), "a<b>");
        assert_eq!(plain_line("one<br>two <I>three</I>"), "one two three");
        assert_eq!(
            plain_line("a < b <i>c</i> <<x> 1 < 2"),
            "a < b c <<x> 1 < 2"
        );
        assert_eq!(plain_line(" \u{a0} "), "");
    }

    #[test]
    fn label_keeps_angle_bracket_emails() {
        assert_eq!(label(" Jane  Doe <jane@x.test> "), "Jane Doe <jane@x.test>");
    }

    #[test]
    fn looks_like_html_heuristic() {
        assert!(looks_like_html("<p>x</p>"));
        assert!(looks_like_html("x<br/>y"));
        assert!(!looks_like_html("Tom &amp; Jerry"));
        assert!(!looks_like_html("1 < 2 and 3 > 2"));
        assert!(!looks_like_html("a <b"));
    }

    #[test]
    fn plain_text_body_round_trips_to_html() {
        let text = plain_text_body("First  line\nsecond &amp; <x>\n\n\n\nNext para\n");
        assert_eq!(text, "First line\nsecond & <x>\n\nNext para");
        assert_eq!(
            text_to_html(&text),
            "<p>First line<br>second &amp; &lt;x&gt;</p><p>Next para</p>"
        );
    }
}
