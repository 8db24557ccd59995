//! The HTML sanitization policy for article bodies.
//!
//! Feed HTML is untrusted: it is shown to readers later, so everything that
//! can run code, load a frame, submit a form or style the host page goes.
//! The policy lives in one `ammonia::Builder` built once per process, because
//! building one costs dozens of allocations and we sanitize tens of thousands
//! of bodies per second.
//!
//! Relative links must resolve against each item's own base URL, but an
//! `ammonia::Builder` fixes its `UrlRelative` at build time. The shared
//! builder therefore uses a `UrlRelative::Custom` evaluator that reads the
//! base from a thread-local which [`sanitize`] sets for the duration of one
//! call (`Builder::clean` runs entirely on the calling thread).

use ammonia::{Builder, UrlRelative};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use url::Url;

/// Markup a reader needs to follow an article; anything else is unwrapped
/// (its text kept) unless it is in [`DROPPED_WITH_CONTENT`].
const ALLOWED_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
    "var",
    "wbr",
];

/// Elements removed together with everything inside them: active content,
/// embeds and forms, and elements whose text is never article prose
/// (`<noscript>` holds markup the parser reads as raw text; `<video>` and
/// `<audio>` hold "your browser does not support" fallbacks; `<button>` and
/// `<select>` hold newsletter-widget labels).
const DROPPED_WITH_CONTENT: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "noframes", "object",
    "embed", "applet", "form", "input", "button", "select", "textarea", "svg", "math", "canvas",
    "video", "audio", "head", "title",
];

/// Only web links survive. `data:` is refused even for images: feeds use it
/// for lazy-load placeholder pixels (the real image sits in `data-src`, which
/// we do not keep) and for inline SVG, and a base64 blob would bloat every
/// stored copy of the article for no reader benefit.
const ALLOWED_SCHEMES: &[&str] = &["http", "https", "mailto"];

thread_local! {
    /// Base URL of the body [`sanitize`] is currently cleaning on this thread.
    static CURRENT_BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
}

static POLICY: LazyLock<Builder<'static>> = LazyLock::new(build_policy);

fn build_policy() -> Builder<'static> {
    let tag_attributes: HashMap<&str, HashSet<&str>> = [
        ("a", &["href", "title"][..]),
        ("img", &["src", "alt", "title", "width", "height"]),
        ("td", &["colspan", "rowspan"]),
        ("th", &["colspan", "rowspan", "scope"]),
        ("ol", &["start", "reversed"]),
        ("time", &["datetime"]),
        ("abbr", &["title"]),
    ]
    .into_iter()
    .map(|(tag, attrs)| (tag, attrs.iter().copied().collect()))
    .collect();
    let mut builder = Builder::default();
    builder
        .tags(ALLOWED_TAGS.iter().copied().collect())
        .clean_content_tags(DROPPED_WITH_CONTENT.iter().copied().collect())
        .tag_attributes(tag_attributes)
        .generic_attributes(["lang", "dir"].into_iter().collect())
        .url_schemes(ALLOWED_SCHEMES.iter().copied().collect())
        .url_relative(UrlRelative::Custom(Box::new(resolve_relative)))
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true);
    builder
}

/// Makes a relative `href`/`src` absolute against the current item's base.
/// Without a base the attribute is dropped: a relative link stored in our
/// database would resolve against whatever host later displays it.
fn resolve_relative(url: &str) -> Option<Cow<'_, str>> {
    CURRENT_BASE.with_borrow(|base| {
        let joined = base.as_ref()?.join(url).ok()?;
        Some(Cow::Owned(joined.into()))
    })
}

/// Clears the thread-local base even if the sanitizer panics, so a later
/// call on this thread can never resolve against a stale item's base.
struct BaseGuard;

impl BaseGuard {
    fn set(base: Option<&Url>) -> Self {
        CURRENT_BASE.with_borrow_mut(|slot| *slot = base.cloned());
        BaseGuard
    }
}

impl Drop for BaseGuard {
    fn drop(&mut self) {
        CURRENT_BASE.with_borrow_mut(|slot| *slot = None);
    }
}

/// Returns `html` reduced to the article policy above, with relative links
/// resolved against `base` and `rel="noopener noreferrer"` on every link.
///
/// The output is html5ever-serialized: lowercase tag names, double-quoted
/// attributes, text escaped as `&amp;` `&lt;` `&gt;` `&nbsp;`. The text
/// extractor in `text.rs` relies on exactly that shape.
pub fn sanitize(html: &str, base: Option<&Url>) -> String {
    let _guard = BaseGuard::set(base);
    let document = POLICY.clean(html);
    // `Document::to_string` serializes into a growing `Vec`, validates it
    // and copies it once more through `fmt`; writing into a buffer sized for
    // the input (sanitized output is rarely larger) skips the regrowth and
    // the copy.
    let mut out = Vec::with_capacity(html.len() + html.len() / 8);
    if document.write_to(&mut out).is_err() {
        // Writing to a `Vec` cannot fail short of OOM, which aborts anyway.
        return String::new();
    }
    // html5ever serializes UTF-8 text and ASCII markup only.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://example.com/blog/post/").unwrap()
    }

    fn clean(html: &str) -> String {
        sanitize(html, Some(&base()))
    }

    #[test]
    fn script_and_style_removed_with_content() {
        let out = clean("<p>a<script>alert(1)</script>b</p><style>p{}</style>");
        assert_eq!(out, "<p>ab</p>");
    }

    #[test]
    fn event_handlers_removed() {
        let out = clean(r#"<img src="/x.png" onerror="alert(1)" onload="y()">"#);
        assert_eq!(out, r#"<img src="https://example.com/x.png">"#);
    }

    #[test]
    fn javascript_and_data_urls_removed() {
        let out =
            clean(r#"<a href="javascript:alert(1)">x</a><img src="data:image/png;base64,AAAA">"#);
        assert_eq!(out, r#"<a rel="noopener noreferrer">x</a><img>"#);
        let out = clean(r#"<a href=" JaVaScRiPt:alert(1)">x</a>"#);
        assert!(!out.to_ascii_lowercase().contains("javascript"), "{out}");
    }

    #[test]
    fn iframe_form_object_removed() {
        let out = clean(
            r#"<p>k</p><iframe src="https://evil.test/"><p>f</p></iframe><form action="/s"><input name="q"><button>Go</button></form><object data="x.swf"></object><embed src="y">"#,
        );
        assert_eq!(out, "<p>k</p>");
    }

    #[test]
    fn relative_link_and_image_made_absolute() {
        let out = clean(
            r#"<a href="../other">o</a><img src="img/a.jpg" alt="A"><a href="//cdn.example.net/f">f</a>"#,
        );
        assert_eq!(
            out,
            concat!(
                r#"<a href="https://example.com/blog/other" rel="noopener noreferrer">o</a>"#,
                r#"<img src="https://example.com/blog/post/img/a.jpg" alt="A">"#,
                r#"<a href="https://cdn.example.net/f" rel="noopener noreferrer">f</a>"#
            )
        );
    }

    #[test]
    fn relative_link_dropped_without_base() {
        assert_eq!(
            sanitize(r#"<a href="/x">x</a>"#, None),
            r#"<a rel="noopener noreferrer">x</a>"#
        );
        // the base of an earlier call must not leak into a later one
        assert_eq!(sanitize(r#"<img src="a.png">"#, None), "<img>");
    }

    #[test]
    fn entities_preserved_and_text_escaped() {
        let out = clean("<p>Fish &amp; Chips&nbsp;&lt;3 &rsquo; &#8217;</p>");
        assert_eq!(out, "<p>Fish &amp; Chips&nbsp;&lt;3 ’ ’</p>");
    }

    #[test]
    fn class_style_and_id_attributes_removed() {
        let out = clean(r#"<p class="x" style="color:red" id="a">t</p>"#);
        assert_eq!(out, "<p>t</p>");
    }

    #[test]
    fn unknown_wrappers_unwrapped_keeping_text() {
        let out = clean("<article><section><p>keep</p></section></article><font>me</font>");
        assert_eq!(out, "<p>keep</p>me");
    }
}
