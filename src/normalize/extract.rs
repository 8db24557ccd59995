//! Readable text from HTML that [`super::html::sanitize`] has already
//! cleaned.
//!
//! Parsing HTML is the expensive part of normalization, and the sanitizer
//! has already parsed and re-serialized the body into a small, regular
//! dialect: lowercase tag names from our allow-list, double-quoted
//! attributes, no comments or raw-text elements, text escaped only as
//! `&amp;` `&lt;` `&gt;` `&nbsp;`. A linear scan over that output is all a
//! text extractor needs, so each body is parsed once, not twice. Never feed
//! this module arbitrary HTML; `text::html_to_text` sanitizes first.

use super::entity::decode_entities;

/// What separates the next piece of text from what was written before.
/// Ordered so that the strongest pending separator wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Gap {
    None,
    Space,
    Line,
    Paragraph,
}

/// How an element affects the flow of text around it.
fn gap_for(tag: &str) -> Gap {
    match tag {
        "p" | "div" | "blockquote" | "ul" | "ol" | "dl" | "table" | "figure" | "pre" | "hr"
        | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => Gap::Paragraph,
        "li" | "tr" | "dt" | "dd" | "figcaption" | "caption" => Gap::Line,
        "td" | "th" => Gap::Space,
        _ => Gap::None,
    }
}

/// Accumulates text, collapsing whitespace and emitting at most one pending
/// separator before each word, so the result never has leading, trailing or
/// doubled whitespace.
struct TextWriter {
    out: String,
    pending: Gap,
}

impl TextWriter {
    fn gap(&mut self, gap: Gap) {
        self.pending = self.pending.max(gap);
    }

    /// `<br>` is a line break, but two in a row (`<br><br>`) is how many
    /// CMSes and hand-written feeds separate paragraphs.
    fn line_break(&mut self) {
        self.pending = if self.pending >= Gap::Line {
            Gap::Paragraph
        } else {
            Gap::Line
        };
    }

    fn flush(&mut self) {
        if !self.out.is_empty() {
            match self.pending {
                Gap::None => {}
                Gap::Space => self.out.push(' '),
                Gap::Line => self.end_lines(1),
                Gap::Paragraph => self.end_lines(2),
            }
        }
        self.pending = Gap::None;
    }

    /// Ends the current line so that exactly `n` newlines (n ≤ 2) follow
    /// the last text, counting ones preformatted text already wrote.
    fn end_lines(&mut self, n: usize) {
        let trimmed = self.out.trim_end_matches([' ', '\t']).len();
        self.out.truncate(trimmed);
        let have = self
            .out
            .bytes()
            .rev()
            .take(n)
            .take_while(|&b| b == b'\n')
            .count();
        for _ in have..n {
            self.out.push('\n');
        }
    }

    fn text(&mut self, text: &str) {
        // `str::split(char::is_whitespace)` decodes and tests every char and
        // yields word by word; article text is mostly ASCII, so test bytes,
        // decode only the non-ASCII ones (NBSP and the other Unicode spaces
        // count too) and copy runs of words already single-spaced at once.
        let bytes = text.as_bytes();
        let mut word_start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let (is_space, len) = if b.is_ascii() {
                (b.is_ascii_whitespace() || b == 0x0b, 1)
            } else {
                let c = text[i..].chars().next().unwrap_or(' ');
                (c.is_whitespace(), c.len_utf8())
            };
            // A lone space between two words needs no collapsing: keep it
            // inside the run.
            let lone_space = b == b' '
                && i > word_start
                && bytes.get(i + 1).is_some_and(|n| n.is_ascii_graphic());
            if is_space && !lone_space {
                self.word(&text[word_start..i]);
                self.gap(Gap::Space);
                word_start = i + len;
            }
            i += len;
        }
        self.word(&text[word_start..]);
    }

    fn word(&mut self, word: &str) {
        if !word.is_empty() {
            self.flush();
            self.out.push_str(word);
        }
    }

    /// Text inside `<pre>` keeps its line structure (at most one blank line
    /// in a row, like everywhere else); only trailing spaces on each line go,
    /// and NBSP becomes a plain space.
    fn preformatted(&mut self, text: &str) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 && !self.out.is_empty() {
                self.flush();
                let trimmed = self.out.trim_end_matches([' ', '\t']).len();
                self.out.truncate(trimmed);
                if !self.out.ends_with("\n\n") {
                    self.out.push('\n');
                }
            }
            let line = line.trim_end_matches(['\r', ' ', '\t']);
            if !line.is_empty() {
                self.flush();
                let plain = line.chars().map(|c| if c == '\u{a0}' { ' ' } else { c });
                self.out.extend(plain);
            }
        }
    }
}

/// Converts sanitized HTML (see the module docs) into plain text: block
/// elements become paragraphs separated by one blank line, `<li>`, `<tr>`
/// and `<br>` become line breaks, whitespace is collapsed and entities are
/// decoded. Images, link targets and other attributes contribute nothing.
pub(crate) fn sanitized_to_text(html: &str) -> String {
    let mut w = TextWriter {
        out: String::with_capacity(html.len() / 2),
        pending: Gap::None,
    };
    let bytes = html.as_bytes();
    let mut pre_depth = 0usize;
    let mut pos = 0;
    while pos < html.len() {
        let tag_start = html[pos..].find('<').map_or(html.len(), |i| pos + i);
        if tag_start > pos {
            let text = decode_entities(&html[pos..tag_start]);
            if pre_depth > 0 {
                w.preformatted(&text);
            } else {
                w.text(&text);
            }
        }
        if tag_start == html.len() {
            break;
        }
        let tag_end = find_tag_end(bytes, tag_start);
        let inner = &html[tag_start + 1..tag_end];
        pos = (tag_end + 1).min(html.len());
        if inner.starts_with('!') {
            continue;
        }
        let (closing, inner) = match inner.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, inner),
        };
        let name_len = inner
            .find(|c: char| c.is_ascii_whitespace() || c == '/')
            .unwrap_or(inner.len());
        let name = &inner[..name_len];
        match name {
            "br" => w.line_break(),
            "pre" if closing => pre_depth = pre_depth.saturating_sub(1),
            "pre" => pre_depth += 1,
            _ => {}
        }
        w.gap(gap_for(name));
    }
    w.out
}

/// Index of the `>` closing the tag that starts at `start`, skipping `>`
/// inside double-quoted attribute values (`title="a > b"`); the end of input
/// if the tag is unterminated.
fn find_tag_end(bytes: &[u8], start: usize) -> usize {
    let mut in_quotes = false;
    for (i, &b) in bytes.iter().enumerate().skip(start + 1) {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'>' if !in_quotes => return i,
            _ => {}
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_and_breaks() {
        let html = "<p>One\n  two</p><p>Three<br>four</p>five";
        assert_eq!(sanitized_to_text(html), "One two\n\nThree\nfour\n\nfive");
    }

    #[test]
    fn double_br_is_a_paragraph() {
        assert_eq!(
            sanitized_to_text("a<br>\n<br>b<br><br><br>c"),
            "a\n\nb\n\nc"
        );
    }

    #[test]
    fn lists_headings_and_tables() {
        let html = "<h2>Head</h2><ul><li>x</li><li>y <b>z</b></li></ul>\
                    <table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table>";
        assert_eq!(sanitized_to_text(html), "Head\n\nx\ny z\n\n1 2\n3");
    }

    #[test]
    fn inline_markup_does_not_split_words() {
        let html = r#"<p>un<em>believ</em>able <a href="https://x/?a=1&amp;b=2" title="a > b" rel="noopener noreferrer">link</a></p>"#;
        assert_eq!(sanitized_to_text(html), "unbelievable link");
    }

    #[test]
    fn escapes_and_nbsp_decoded() {
        assert_eq!(
            sanitized_to_text("<p>a&nbsp;&amp;&nbsp;b &lt;tag&gt;</p>"),
            "a & b <tag>"
        );
    }

    #[test]
    fn preformatted_text_keeps_lines() {
        let html =
            "<p>intro</p><pre><code>fn main() {\n    x();  \n\n\n\n}\n</code></pre><p>after</p>";
        assert_eq!(
            sanitized_to_text(html),
            "intro\n\nfn main() {\n    x();\n\n}\n\nafter"
        );
    }

    /// The byte scan in `TextWriter::text` against the plain
    /// `split(char::is_whitespace)` it replaced.
    #[test]
    fn word_splitting_matches_char_whitespace() {
        fn reference(text: &str) -> String {
            let mut w = TextWriter {
                out: String::new(),
                pending: Gap::None,
            };
            // Then a word, so a separator left pending shows.
            for text in [text, "z"] {
                let mut words = text.split(char::is_whitespace);
                if let Some(first) = words.next() {
                    w.word(first);
                }
                for word in words {
                    w.gap(Gap::Space);
                    w.word(word);
                }
            }
            w.out
        }
        let cases = [
            "",
            " ",
            "a",
            " a",
            "a ",
            "a b",
            "a  b",
            " a b c ",
            "a\tb\nc\rd\x0be\x0cf",
            "a\u{a0}b",
            "a \u{a0} b",
            "x\u{2003}y\u{3000}z",
            "caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e",
            "a \u{e9}",
            "\u{e9} a",
            "a .b",
            "a -",
            "a\u{85}b",
            "\u{200b} a",
        ];
        for case in cases {
            let mut w = TextWriter {
                out: String::new(),
                pending: Gap::None,
            };
            w.text(case);
            w.text("z");
            assert_eq!(w.out, reference(case), "{case:?}");
        }
    }

    #[test]
    fn no_leading_or_trailing_whitespace() {
        assert_eq!(sanitized_to_text("<p> </p><br><p>  x  </p><br> "), "x");
        assert_eq!(sanitized_to_text(""), "");
    }
}
