//! Rewrites the few documents feed-rs 3 misreads into ones it reads.
//!
//! * Atom 0.3 (`<feed version="0.3" xmlns="http://purl.org/atom/ns#">`,
//!   still served by old Blogger, LiveJournal and Movable Type installs):
//!   feed-rs knows only the Atom 1.0 namespace, so the feed parses "fine"
//!   into no title and zero entries. The namespace becomes 1.0's and 0.3's
//!   element names their 1.0 names (`tag::renamed`).
//! * RSS under a default namespace: UserLand's Radio and Manila wrote
//!   `<rss version="2.0" xmlns="http://backend.userland.com/rss2">`, and
//!   RSS 0.90 is `<rdf:RDF xmlns="http://my.netscape.com/rdf/simple/0.9/">`.
//!   Every element is then in a namespace feed-rs ignores: zero entries
//!   again. The namespace becomes the RSS one feed-rs knows.
//! * Atom text constructs whose `type` is a MIME type (Atom 0.3 always
//!   wrote them so, and Atom 1.0 allows one on `<content>`) or that carry
//!   0.3's `mode`: feed-rs fails the whole feed on `<summary
//!   type="text/plain">`, on an empty `<content type="text/plain"/>` and on
//!   inline `application/xhtml+xml`. They become `text`, `html` or `xhtml`
//!   (`tag::text_kind`); `mode="base64"` bodies are decoded.
//! * An `xml:base` that is not a URL (`http://[bad`): feed-rs fails the
//!   whole feed ("no root element" when it sits on the root). It is dropped,
//!   as if it were absent; `scan` ignores such a base too.
//!
//! The first two are silent, so [`root_needs_rewrite`] looks for them on the
//! root start tag before feed-rs runs. The others make feed-rs fail and may
//! sit anywhere in the document, so `xml` calls [`rewrite`] only after a
//! failure. A document that needs nothing pays for reading its prolog and
//! root tag, nothing more.
//!
//! The rewrite splices: bytes are copied as they are and only the tags that
//! change are rebuilt, so entities, CDATA and the DOCTYPE pass through
//! untouched, and `scan` then reads the very text feed-rs parsed.

mod tag;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use tag::{Edit, decoded_element, edit_tag, is_text_construct, unescaped};

const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";
/// The one RSS namespace feed-rs recognises (RSS 1.0's).
const RSS_10: &str = "http://purl.org/rss/1.0/";

/// What the root element says about the whole document.
#[derive(Debug, Clone, PartialEq)]
enum Dialect {
    /// Atom 0.3; `unbound` when its elements carry no namespace at all
    /// (`<feed version="0.3">` without `xmlns`).
    Atom03 { unbound: bool },
    /// Atom 1.0, or a `<feed>` without namespace (feed-rs reads it as 1.0).
    Atom10,
    /// RSS whose default namespace feed-rs does not know.
    ForeignRss(String),
    /// Anything else: only `xml:base` values are checked.
    Other,
}

fn dialect_of(root: &BytesStart<'_>, ns: &ResolveResult<'_>) -> Dialect {
    match root.local_name().into_inner() {
        "feed" | "entry" => match ns {
            ResolveResult::Bound(ns) if ns.0 == ATOM_03 => Dialect::Atom03 { unbound: false },
            ResolveResult::Unbound if attribute(root, "version").as_deref() == Some("0.3") => {
                Dialect::Atom03 { unbound: true }
            }
            _ => Dialect::Atom10,
        },
        "rss" | "RDF" => match attribute(root, "xmlns") {
            Some(ns) if !ns.is_empty() && ns != RSS_10 => Dialect::ForeignRss(ns),
            _ => Dialect::Other,
        },
        _ => Dialect::Other,
    }
}

/// Whether the root start tag names a dialect feed-rs silently reads as
/// empty: Atom 0.3 or RSS under a foreign default namespace.
pub(super) fn root_needs_rewrite(text: &str) -> bool {
    let mut reader = NsReader::from_str(text);
    loop {
        match reader.read_resolved_event() {
            Ok((ns, Event::Start(root) | Event::Empty(root))) => {
                return matches!(
                    dialect_of(&root, &ns),
                    Dialect::Atom03 { .. } | Dialect::ForeignRss(_)
                );
            }
            Ok((_, Event::Eof)) | Err(_) => return false,
            Ok(_) => {}
        }
    }
}

/// `text` with everything the module doc lists fixed; `None` when nothing
/// needed fixing (feed-rs's own verdict stands).
pub(super) fn rewrite(text: &str) -> Option<String> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = false;
    let mut splice = Splice::new(text);
    let mut dialect = None;
    // The end tag to write for each open element, when it was renamed.
    let mut ends: Vec<Option<String>> = Vec::new();
    // Depth of the text construct being read: its body is content, not
    // feed structure, so nothing in it is renamed or retyped.
    let mut in_text: Option<usize> = None;
    loop {
        let at = position(&reader)?;
        // Past a syntax error the rest is copied as it is and the edits so
        // far stand: junk after the root element stops quick-xml, not
        // feed-rs, and feed-rs reports any error in the part it reads.
        let Ok((ns, event)) = reader.read_resolved_event() else {
            break;
        };
        let (tag, empty) = match &event {
            Event::Start(tag) => (tag, false),
            Event::Empty(tag) => (tag, true),
            Event::End(_) => {
                if in_text == Some(ends.len()) {
                    in_text = None;
                }
                if let Some(Some(end)) = ends.pop() {
                    splice.replace(at, position(&reader)?, &end)?;
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let dialect = dialect.get_or_insert_with(|| dialect_of(tag, &ns));
        let atom = in_text.is_none() && is_atom(dialect, &ns);
        let legacy = atom && matches!(dialect, Dialect::Atom03 { .. });
        let namespace = match dialect {
            Dialect::Atom03 { .. } => Some((ATOM_03, ATOM_10)),
            Dialect::ForeignRss(ns) => Some((ns.as_str(), RSS_10)),
            _ => None,
        };
        let mut end = None;
        match edit_tag(tag, empty, atom, legacy, namespace) {
            Edit::Keep => {}
            Edit::Retag(open, renamed_end) => {
                splice.replace(at, position(&reader)?, &open.render(empty))?;
                end = renamed_end;
            }
            Edit::Drop => {
                if !empty && reader.read_to_end(tag.name()).is_err() {
                    break;
                }
                splice.replace(at, position(&reader)?, "")?;
                continue;
            }
            Edit::Decode(open) => {
                let Ok(span) = reader.read_to_end(tag.name()) else {
                    break;
                };
                let body = text.get(index(span.start)?..index(span.end)?)?;
                let element = decoded_element(&open, body).unwrap_or_default();
                splice.replace(at, position(&reader)?, &element)?;
                continue;
            }
        }
        if !empty {
            ends.push(end);
            if atom && is_text_construct(tag.local_name().into_inner()) {
                in_text = Some(ends.len());
            }
        }
    }
    splice.finish()
}

/// Whether an element is an Atom element, whose name and `type` matter.
fn is_atom(dialect: &Dialect, ns: &ResolveResult<'_>) -> bool {
    match (dialect, ns) {
        (Dialect::Atom03 { unbound }, ResolveResult::Unbound) => *unbound,
        (Dialect::Atom10, ResolveResult::Unbound) => true,
        (Dialect::Atom03 { .. } | Dialect::Atom10, ResolveResult::Bound(ns)) => {
            ns.0 == ATOM_03 || ns.0 == ATOM_10
        }
        _ => false,
    }
}

/// An attribute's unescaped value, as feed-rs reads it.
fn attribute(tag: &BytesStart<'_>, key: &str) -> Option<String> {
    let attr = tag.attributes().flatten().find(|a| a.key.0 == key)?;
    Some(unescaped(&attr.value).trim().to_owned())
}

/// The output: the input copied through, with some byte ranges replaced.
struct Splice<'a> {
    text: &'a str,
    out: String,
    copied: usize,
    changed: bool,
}

impl<'a> Splice<'a> {
    fn new(text: &'a str) -> Self {
        Splice {
            text,
            out: String::new(),
            copied: 0,
            changed: false,
        }
    }

    fn replace(&mut self, from: usize, to: usize, with: &str) -> Option<()> {
        if !self.changed {
            self.out.reserve(self.text.len() + 64);
            self.changed = true;
        }
        self.out.push_str(self.text.get(self.copied..from)?);
        self.out.push_str(with);
        self.copied = to;
        Some(())
    }

    /// The rewritten text, or `None` when nothing was replaced.
    fn finish(mut self) -> Option<String> {
        if !self.changed {
            return None;
        }
        self.out.push_str(self.text.get(self.copied..)?);
        Some(self.out)
    }
}

fn position(reader: &NsReader<&[u8]>) -> Option<usize> {
    index(reader.buffer_position())
}

fn index(offset: u64) -> Option<usize> {
    usize::try_from(offset).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_only_what_changes() {
        let text = "<?xml version=\"1.0\"?>\n<!-- c --><feed version=\"0.3\" \
                    xmlns=\"http://purl.org/atom/ns#\"><a:modified xmlns:a=\"http://purl.org/atom/ns#\">\
                    x &amp; y</a:modified><entry><issued/><content type=\"text/html\" \
                    mode=\"escaped\" xml:lang='en'>&lt;p&gt;</content></entry></feed>";
        let expected = "<?xml version=\"1.0\"?>\n<!-- c --><feed version=\"0.3\" \
                    xmlns=\"http://www.w3.org/2005/Atom\"><a:updated xmlns:a=\"http://www.w3.org/2005/Atom\">\
                    x &amp; y</a:updated><entry><published/><content xml:lang=\"en\" \
                    type=\"html\">&lt;p&gt;</content></entry></feed>";
        assert_eq!(rewrite(text).as_deref(), Some(expected));
        assert!(root_needs_rewrite(text));
    }

    #[test]
    fn leaves_sound_documents_alone() {
        let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"/x/\">\
                    <entry><content type=\"html\">&lt;b&gt;</content></entry></feed>";
        assert!(!root_needs_rewrite(atom));
        assert_eq!(rewrite(atom), None);
        assert!(!root_needs_rewrite("<rss version=\"2.0\"><channel/></rss>"));
    }
}
