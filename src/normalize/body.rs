//! Which raw field becomes which part of the article body.
//!
//! Feeds put the body in `content` (full text), `summary` (teaser, or the
//! full text in feeds without `content:encoded`), or both, and either may be
//! HTML or plain text. This module renders each field once (one HTML parse
//! each, via the sanitizer) and then picks: content first, summary as the
//! fallback, so an item that only has a summary still gets a body.

use super::extract::sanitized_to_text;
use super::html::sanitize;
use super::text::{looks_like_html, plain_text_body, remove_furniture, text_to_html};
use url::Url;

/// The body parts of an article.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Body {
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub text: Option<String>,
    /// Furniture lines removed from `text`.
    pub furniture_lines: u32,
}

/// One raw field rendered both ways.
struct Rendered {
    /// Sanitized HTML when the field was HTML; `None` for plain text.
    html: Option<String>,
    /// Plain text, whitespace collapsed, possibly empty.
    text: String,
}

impl Rendered {
    fn new(raw: &str, base: Option<&Url>) -> Self {
        if looks_like_html(raw) {
            let html = sanitize(raw, base);
            let text = sanitized_to_text(&html);
            // An image-only post has no text but is still a body worth
            // keeping; markup that sanitized down to empty paragraphs is not.
            let keep = !text.is_empty() || html.contains("<img ");
            Rendered {
                html: keep.then_some(html),
                text,
            }
        } else {
            Rendered {
                html: None,
                text: plain_text_body(raw),
            }
        }
    }
}

/// Builds the body from the raw `summary` and `content` fields, resolving
/// relative links in them against `base`.
///
/// * `summary`: the summary as plain text, even when it also serves as the
///   body below.
/// * `content_html`: sanitized content; plain-text content is wrapped into
///   `<p>` paragraphs so every stored body renders the same way; without
///   content, the summary if it is HTML.
/// * `text`: readable text of the content, else of the summary, with scrape
///   furniture removed.
pub(crate) fn build_body(summary: Option<&str>, content: Option<&str>, base: Option<&Url>) -> Body {
    let (content_raw, summary_raw) = (non_blank(content), non_blank(summary));
    let content = content_raw.map(|c| Rendered::new(c, base));
    // Many feeds put the same full HTML in `description` and
    // `content:encoded`; parsing it twice would double the cost of the item.
    let summary = match &content {
        Some(c) if summary_raw == content_raw => Some(Rendered {
            html: c.html.clone(),
            text: c.text.clone(),
        }),
        _ => summary_raw.map(|s| Rendered::new(s, base)),
    };

    let content_html = match &content {
        Some(Rendered {
            html: Some(html), ..
        }) => Some(html.clone()),
        Some(Rendered { html: None, text }) if !text.is_empty() => Some(text_to_html(text)),
        _ => summary.as_ref().and_then(|s| s.html.clone()),
    };
    let body_text = content
        .as_ref()
        .map(|c| c.text.as_str())
        .filter(|t| !t.is_empty())
        .or_else(|| summary.as_ref().map(|s| s.text.as_str()));
    let (text, furniture_lines) = match body_text.map(remove_furniture) {
        Some((text, removed)) => ((!text.is_empty()).then_some(text), removed),
        None => (None, 0),
    };
    Body {
        summary: summary.map(|s| s.text).filter(|t| !t.is_empty()),
        content_html,
        text,
        furniture_lines,
    }
}

fn non_blank(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://example.com/post/").unwrap()
    }

    #[test]
    fn content_wins_and_summary_stays_summary() {
        let body = build_body(
            Some("<p>Teaser &amp; more</p>"),
            Some(r#"<p>Full <a href="x">text</a></p><p>Advertisement</p><p>End.</p>"#),
            Some(&base()),
        );
        assert_eq!(body.summary.as_deref(), Some("Teaser & more"));
        assert_eq!(
            body.content_html.as_deref(),
            Some(concat!(
                r#"<p>Full <a href="https://example.com/post/x" rel="noopener noreferrer">text</a></p>"#,
                "<p>Advertisement</p><p>End.</p>"
            ))
        );
        assert_eq!(body.text.as_deref(), Some("Full text\n\nEnd."));
    }

    #[test]
    fn summary_only_html_becomes_body() {
        let body = build_body(Some("<p>Only <b>summary</b></p>"), None, None);
        assert_eq!(body.summary.as_deref(), Some("Only summary"));
        assert_eq!(
            body.content_html.as_deref(),
            Some("<p>Only <b>summary</b></p>")
        );
        assert_eq!(body.text.as_deref(), Some("Only summary"));
    }

    #[test]
    fn plain_text_summary_gives_no_html() {
        let body = build_body(Some("Just   text &amp; more\n\n\nSecond"), Some("  "), None);
        assert_eq!(body.summary.as_deref(), Some("Just text & more\n\nSecond"));
        assert_eq!(body.content_html, None);
        assert_eq!(body.text.as_deref(), Some("Just text & more\n\nSecond"));
    }

    #[test]
    fn plain_text_content_is_wrapped_in_paragraphs() {
        let body = build_body(None, Some("One <3\nline\n\nTwo"), None);
        assert_eq!(
            body.content_html.as_deref(),
            Some("<p>One &lt;3<br>line</p><p>Two</p>")
        );
        assert_eq!(body.text.as_deref(), Some("One <3\nline\n\nTwo"));
        assert_eq!(body.summary, None);
    }

    #[test]
    fn content_without_text_falls_back_to_summary_text() {
        let body = build_body(
            Some("A photo of the harbour."),
            Some(r#"<p><img src="/h.jpg"></p>"#),
            Some(&base()),
        );
        assert_eq!(
            body.content_html.as_deref(),
            Some(r#"<p><img src="https://example.com/h.jpg"></p>"#)
        );
        assert_eq!(body.text.as_deref(), Some("A photo of the harbour."));
    }

    #[test]
    fn identical_summary_and_content_render_alike() {
        let html = "<p>Same <i>body</i></p>";
        let body = build_body(Some(html), Some(html), None);
        assert_eq!(body.summary.as_deref(), Some("Same body"));
        assert_eq!(body.text.as_deref(), Some("Same body"));
        assert_eq!(body.content_html.as_deref(), Some(html));
    }

    #[test]
    fn markup_that_sanitizes_to_nothing_is_absent() {
        let body = build_body(None, Some("<script>x()</script><p> </p>"), None);
        assert_eq!(body, Body::default());
    }
}
