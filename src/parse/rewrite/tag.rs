//! What becomes of one start tag in the rewrite: an Atom 0.3 name renamed,
//! a text construct's `type` and `mode` mapped onto Atom 1.0's, a legacy
//! namespace rebound, a broken `xml:base` dropped.
//!
//! Edits are made on the attributes as written (values stay escaped), and
//! a tag nothing applies to is reported as [`Edit::Keep`], so the rewrite
//! copies it through byte for byte.

use quick_xml::events::BytesStart;
use std::borrow::Cow;
use std::fmt::Write as _;
use url::Url;

/// What becomes of one element.
pub(super) enum Edit<'t> {
    Keep,
    /// A new start tag, and the end tag when the element was renamed.
    Retag(OpenTag<'t>, Option<String>),
    /// The element and its body go (a body that is not text).
    Drop,
    /// A `mode="base64"` body is decoded under this start tag.
    Decode(OpenTag<'t>),
}

/// Decides what to do with a start tag: rename an Atom 0.3 element, map a
/// text construct's type, rebind the legacy namespace, drop a bad `xml:base`.
pub(super) fn edit_tag<'t>(
    tag: &'t BytesStart<'_>,
    empty: bool,
    atom: bool,
    legacy: bool,
    namespace: Option<(&str, &'static str)>,
) -> Edit<'t> {
    let Ok(attributes) = tag
        .attributes()
        .with_checks(false)
        .collect::<Result<Vec<_>, _>>()
    else {
        return Edit::Keep;
    };
    let mut open = OpenTag {
        name: Cow::Borrowed(tag.name().0),
        attributes: Vec::with_capacity(attributes.len() + 1),
        edited: false,
    };
    for attr in attributes {
        let key = attr.key.0;
        let value = unescaped(&attr.value);
        match namespace {
            Some((from, to)) if is_namespace_declaration(key) && value == from => {
                open.attributes.push((key, Cow::Borrowed(to)));
                open.edited = true;
            }
            _ if key == "xml:base" && is_bad_base(&value) => open.edited = true,
            _ => open.attributes.push((key, attr.value)),
        }
    }
    let local = tag.local_name().into_inner();
    let mut end = None;
    if let Some(new) = renamed(local).filter(|_| legacy) {
        open.name = match tag.name().prefix() {
            Some(prefix) => Cow::Owned(format!("{}:{new}", prefix.into_inner())),
            None => Cow::Borrowed(new),
        };
        end = Some(format!("</{}>", open.name));
        open.edited = true;
    }
    if atom && is_text_construct(local) {
        retype(open, local == "content", empty, end)
    } else {
        open.finish(end)
    }
}

/// Maps a text construct's `type` (and Atom 0.3 `mode`) onto Atom 1.0's.
fn retype<'t>(mut open: OpenTag<'t>, content: bool, empty: bool, end: Option<String>) -> Edit<'t> {
    let media_type = open.value("type");
    let mode = open.value("mode");
    if content && open.value("src").is_some() {
        // With `src`, feed-rs reads `type` as a MIME type and fails on
        // `html`; without one it assumes text/html.
        if media_type.is_some_and(|t| !t.contains('/')) {
            open.remove("type");
        }
        return open.finish(end);
    }
    let Some(kind) = text_kind(media_type.as_deref(), mode.as_deref()) else {
        return Edit::Drop;
    };
    if mode.is_none() && media_type.as_deref().is_none_or(|t| t == kind) {
        return open.finish(end);
    }
    let base64 = mode.is_some_and(|m| m.eq_ignore_ascii_case("base64"));
    open.remove("type");
    open.remove("mode");
    open.attributes.push(("type", Cow::Borrowed(kind)));
    if base64 && !empty {
        Edit::Decode(open)
    } else {
        open.finish(end)
    }
}

/// A start tag being rebuilt; attribute values stay as written (escaped).
pub(super) struct OpenTag<'t> {
    pub(super) name: Cow<'t, str>,
    attributes: Vec<(&'t str, Cow<'t, str>)>,
    edited: bool,
}

impl<'t> OpenTag<'t> {
    fn value(&self, key: &str) -> Option<String> {
        let (_, value) = self.attributes.iter().find(|(k, _)| *k == key)?;
        Some(unescaped(value).trim().to_owned())
    }

    fn remove(&mut self, key: &str) {
        self.attributes.retain(|(k, _)| *k != key);
        self.edited = true;
    }

    fn finish(self, end: Option<String>) -> Edit<'t> {
        if self.edited {
            Edit::Retag(self, end)
        } else {
            Edit::Keep
        }
    }

    pub(super) fn render(&self, empty: bool) -> String {
        let mut tag = format!("<{}", self.name);
        for (key, value) in &self.attributes {
            // A raw value holding `"` was single-quoted, so holds no `'`.
            let quote = if value.contains('"') { '\'' } else { '"' };
            let _ = write!(tag, " {key}={quote}{value}{quote}");
        }
        tag.push_str(if empty { "/>" } else { ">" });
        tag
    }
}

/// The Atom 1.0 `type` that a text construct's `type` and Atom 0.3 `mode`
/// amount to; `None` when the body is not text a reader can use.
///
/// Non-text types (an image, a PDF, another XML vocabulary, 0.3's
/// `multipart/alternative`) mean base64 or foreign markup: the element is
/// dropped rather than shown as HTML, and the entry keeps its title, summary
/// and link. Other `text/*` types are escaped text and read as `text`.
fn text_kind(media_type: Option<&str>, mode: Option<&str>) -> Option<&'static str> {
    // `mode="escaped"` is markup escaped into text: inline XHTML it is not.
    let escaped =
        mode.is_some_and(|m| m.eq_ignore_ascii_case("escaped") || m.eq_ignore_ascii_case("base64"));
    let essence = media_type.map(|t| {
        let essence = t.split(';').next().unwrap_or(t);
        essence.trim().to_ascii_lowercase()
    });
    Some(match essence.as_deref() {
        None | Some("" | "text" | "text/plain") => "text",
        Some("html" | "text/html") => "html",
        Some("xhtml" | "application/xhtml+xml") if escaped => "html",
        Some("xhtml" | "application/xhtml+xml") => "xhtml",
        Some(xml) if xml.ends_with("/xml") || xml.ends_with("+xml") => return None,
        Some(other) if other.starts_with("text/") => "text",
        Some(_) => return None,
    })
}

/// Atom 0.3 element names whose Atom 1.0 equivalents feed-rs reads.
/// `created` has none: `scan` keeps it as a raw publication date.
fn renamed(local: &str) -> Option<&'static str> {
    Some(match local {
        "issued" => "published",
        "modified" => "updated",
        "tagline" => "subtitle",
        "copyright" => "rights",
        _ => return None,
    })
}

pub(super) fn is_text_construct(local: &str) -> bool {
    matches!(
        local,
        "title" | "subtitle" | "tagline" | "rights" | "copyright" | "summary" | "content"
    )
}

/// The element with its base64 body decoded and escaped as text; `None`
/// (the element goes) when the body is not base64 of UTF-8 text.
pub(super) fn decoded_element(open: &OpenTag<'_>, body: &str) -> Option<String> {
    let decoded = String::from_utf8(decode_base64(&unescaped(body))?).ok()?;
    let escaped = quick_xml::escape::escape(decoded.as_str());
    Some(format!("{}{escaped}</{}>", open.render(false), open.name))
}

/// Standard base64, whitespace ignored, padding optional.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(text.len() / 4 * 3);
    let (mut bits, mut count) = (0u32, 0u32);
    for byte in text.bytes().filter(|b| !b.is_ascii_whitespace()) {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(bytes)
}

/// What makes feed-rs fail a whole feed: an `xml:base` that is neither a
/// URL nor relative (relative ones it resolves or ignores).
fn is_bad_base(value: &str) -> bool {
    matches!(Url::parse(value), Err(e) if e != url::ParseError::RelativeUrlWithoutBase)
}

fn is_namespace_declaration(key: &str) -> bool {
    key == "xmlns" || key.starts_with("xmlns:")
}

pub(super) fn unescaped(raw: &str) -> Cow<'_, str> {
    quick_xml::escape::unescape(raw).unwrap_or(Cow::Borrowed(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_types_and_modes() {
        assert_eq!(text_kind(Some("text/plain"), None), Some("text"));
        assert_eq!(
            text_kind(Some("TEXT/HTML; charset=utf-8"), None),
            Some("html")
        );
        assert_eq!(
            text_kind(Some("application/xhtml+xml"), None),
            Some("xhtml")
        );
        assert_eq!(
            text_kind(Some("application/xhtml+xml"), Some("escaped")),
            Some("html")
        );
        assert_eq!(text_kind(None, Some("escaped")), Some("text"));
        assert_eq!(text_kind(Some("text/markdown"), None), Some("text"));
        assert_eq!(text_kind(Some("image/png"), Some("base64")), None);
        assert_eq!(text_kind(Some("image/svg+xml"), None), None);
        assert_eq!(text_kind(Some("multipart/alternative"), None), None);
    }

    #[test]
    fn decodes_base64() {
        assert_eq!(
            decode_base64("PHA+aGk8L3A+").as_deref(),
            Some(&b"<p>hi</p>"[..])
        );
        assert_eq!(decode_base64("aGk=\n").as_deref(), Some(&b"hi"[..]));
        assert_eq!(decode_base64("a b\tc"), Some(vec![0x69, 0xb7]));
        assert_eq!(decode_base64("no!"), None);
    }
}
