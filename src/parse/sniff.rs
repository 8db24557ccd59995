//! Decides what a decoded body is before a parser runs: JSON, an XML feed,
//! an HTML page or something else.
//!
//! Operators see this module's answers as errors, so it names what it found
//! ("body is an html page, not a feed") instead of letting feed-rs report
//! "no root element" for everything. It also finds a feed that starts after
//! junk: PHP sites print warnings (`<br /><b>Warning</b>: ...`) before the
//! XML declaration, which browsers and feed readers tolerate.

use super::NotAFeedReason;

/// How far into the body a feed that follows junk is looked for.
const JUNK_SEARCH_LIMIT: usize = 4096;

/// The shape of a decoded body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape<'a> {
    Json,
    /// XML whose feed starts at byte `start` with root element `root`
    /// (local name, prefix removed: `rdf:RDF` gives `RDF`).
    Xml {
        start: usize,
        root: &'a str,
    },
}

pub(super) fn classify(text: &str) -> Result<Shape<'_>, NotAFeedReason> {
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.is_empty() {
        return Err(NotAFeedReason::EmptyBody);
    }
    if trimmed.starts_with('{') {
        return Ok(Shape::Json);
    }
    let first = root_element(text);
    if let Some(Root::Element(root)) = first
        && is_feed_root(root)
    {
        return Ok(Shape::Xml { start: 0, root });
    }
    if let Some(shape) = feed_after_junk(text) {
        return Ok(shape);
    }
    match first {
        Some(Root::HtmlDoctype) => Err(NotAFeedReason::HtmlPage),
        Some(Root::Element(root)) if is_html_root(root) => Err(NotAFeedReason::HtmlPage),
        Some(Root::Element(root)) => Err(NotAFeedReason::UnknownXmlRoot(printable(root))),
        // Markup we could not follow (a truncated prolog, say): let the XML
        // parser say what is wrong with it.
        None if trimmed.starts_with('<') => Ok(Shape::Xml { start: 0, root: "" }),
        None => Err(NotAFeedReason::NotMarkup),
    }
}

/// The root element names feed-rs dispatches on (local names).
pub(super) fn is_feed_root(local: &str) -> bool {
    matches!(local, "rss" | "feed" | "RDF" | "entry")
}

/// Tags an HTML page starts with when it has no `<html>` (error pages,
/// fragments served by misconfigured CMSs).
fn is_html_root(local: &str) -> bool {
    [
        "html", "head", "body", "div", "p", "br", "script", "meta", "title", "table",
    ]
    .iter()
    .any(|tag| local.eq_ignore_ascii_case(tag))
}

/// Looks for `<?xml`, `<rss`, `<feed` or `<rdf:RDF` a little way into the
/// body and returns the feed found there.
fn feed_after_junk(text: &str) -> Option<Shape<'_>> {
    let head = &text[..super::floor_char_boundary(text, JUNK_SEARCH_LIMIT)];
    let start = ["<?xml", "<rss", "<feed", "<rdf:RDF"]
        .iter()
        .filter_map(|needle| head.find(needle))
        .min()?;
    match root_element(&text[start..]) {
        Some(Root::Element(root)) if is_feed_root(root) => Some(Shape::Xml { start, root }),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root<'a> {
    HtmlDoctype,
    Element(&'a str),
}

/// The first element of `text` after the prolog (declaration, processing
/// instructions, comments, DOCTYPE), or `None` when `text` does not start
/// with markup.
fn root_element(text: &str) -> Option<Root<'_>> {
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if rest.starts_with("<?") {
            rest = after(rest, "?>")?;
        } else if rest.starts_with("<!--") {
            rest = after(rest, "-->")?;
        } else if let Some(doctype) = strip_prefix_ignore_case(rest, "<!DOCTYPE") {
            if doctype
                .trim_start()
                .get(..4)
                .is_some_and(|n| n.eq_ignore_ascii_case("html"))
            {
                return Some(Root::HtmlDoctype);
            }
            rest = skip_doctype(doctype)?;
        } else if let Some(tag) = rest.strip_prefix('<') {
            let end = tag
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(tag.len());
            let name = &tag[..end];
            return Some(Root::Element(name.rsplit(':').next().unwrap_or(name)));
        } else {
            return None;
        }
    }
}

/// Whether the prolog's DOCTYPE declares entities in the shapes attacks
/// use: parameter entities, external entities (`SYSTEM`/`PUBLIC`, which
/// read files or URLs), or entities that refer to other entities (the
/// exponential "billion laughs"). The parsers here never expand entities,
/// but such a document is an attack, not a feed, and its `&lol9;`
/// references would otherwise be stored as text. A plain declaration such
/// as `<!ENTITY nbsp "&#160;">` is not hostile.
pub(super) fn declares_hostile_entities(text: &str) -> bool {
    let Some(subset) = internal_subset(text) else {
        return false;
    };
    subset.contains('%')
        || subset.split("<!ENTITY").skip(1).any(|decl| {
            let decl = decl.split('>').next().unwrap_or(decl);
            let value = decl.split(['"', '\'']).nth(1).unwrap_or("");
            decl.contains("SYSTEM")
                || decl.contains("PUBLIC")
                || value.replace("&#", "").contains('&')
        })
}

/// The internal subset (`[...]`) of the prolog's DOCTYPE, if any.
fn internal_subset(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if rest.starts_with("<?") {
            rest = after(rest, "?>")?;
        } else if rest.starts_with("<!--") {
            rest = after(rest, "-->")?;
        } else {
            let doctype = strip_prefix_ignore_case(rest, "<!DOCTYPE")?;
            let close = doctype.find('>').unwrap_or(doctype.len());
            let open = doctype.find('[').filter(|&open| open < close)?;
            let subset = &doctype[open..];
            return Some(&subset[..subset.find(']').unwrap_or(subset.len())]);
        }
    }
}

/// Skips a DOCTYPE after its keyword, including an internal subset
/// (`[<!ENTITY ...>]`) whose declarations contain `>`.
fn skip_doctype(doctype: &str) -> Option<&str> {
    let close = doctype.find('>')?;
    match doctype.find('[') {
        Some(open) if open < close => after(after(&doctype[open..], "]")?, ">"),
        _ => Some(&doctype[close + 1..]),
    }
}

fn after<'a>(text: &'a str, needle: &str) -> Option<&'a str> {
    text.find(needle).map(|at| &text[at + needle.len()..])
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// A root name fit for an error message: bounded, no control characters.
fn printable(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_root_after_a_prolog() {
        let text = "\n<?xml version=\"1.0\"?>\n<?xml-stylesheet href=\"a.xsl\"?>\
                    <!-- generator --><!DOCTYPE rss [<!ENTITY a \"<b>\">]><rss version=\"2.0\">";
        assert_eq!(
            classify(text),
            Ok(Shape::Xml {
                start: 0,
                root: "rss"
            })
        );
        let rdf = "<rdf:RDF xmlns:rdf=\"x\"><channel/></rdf:RDF>";
        assert_eq!(
            classify(rdf),
            Ok(Shape::Xml {
                start: 0,
                root: "RDF"
            })
        );
    }

    #[test]
    fn recognises_html_pages() {
        let page = "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\"><html><body/></html>";
        assert_eq!(classify(page), Err(NotAFeedReason::HtmlPage));
        assert_eq!(classify("<HTML><p>hi"), Err(NotAFeedReason::HtmlPage));
        assert_eq!(
            classify("<?xml version=\"1.0\"?><html/>"),
            Err(NotAFeedReason::HtmlPage)
        );
    }

    #[test]
    fn finds_a_feed_after_php_warnings() {
        let text = "<br />\n<b>Warning</b>: Cannot modify header information in \
                    <b>/var/www/wp-includes/feed.php</b><br />\n<?xml version=\"1.0\"?><rss>";
        let start = text.find("<?xml").unwrap_or_default();
        assert_eq!(classify(text), Ok(Shape::Xml { start, root: "rss" }));
    }

    #[test]
    fn names_other_xml_and_non_markup() {
        assert_eq!(
            classify("<opml version=\"2.0\"><body/></opml>"),
            Err(NotAFeedReason::UnknownXmlRoot("opml".into()))
        );
        assert_eq!(classify("hello world"), Err(NotAFeedReason::NotMarkup));
        assert_eq!(classify(" \n\t"), Err(NotAFeedReason::EmptyBody));
        assert_eq!(classify("  {\"version\": 1}"), Ok(Shape::Json));
    }
}
