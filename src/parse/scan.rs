//! A second, light pass over an XML feed for what feed-rs reads but drops.
//!
//! feed-rs returns `None` for every date it cannot parse (no zone, a space
//! instead of `T`, German month names, `CEST`), invents an id when an item
//! has none, drops an item's `<enclosure>`s when it also has MediaRSS
//! content, and forgets item `xml:base` and `xml:lang`. This pass streams
//! the same text once with quick-xml (no DOM, no regex) and records, per item
//! in document order, the raw strings and attributes the mapping needs.
//! `xml` pairs the records with feed-rs's entries by index and trusts them
//! only when the counts agree.
//!
//! The same pass reads the channel's scheduling advice, which feed-rs does
//! not model: `sy:updatePeriod`/`sy:updateFrequency` and RSS
//! `<skipHours>`/`<skipDays>`.
//!
//! To read another per-item element (e.g. `<source url>` or
//! `feedburner:origLink`), add a [`Field`] and a line in [`field_of`].

use crate::model::{DocSchedule, Enclosure, FeedFormat};
use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};
use url::Url;

/// What the document said about one item, beyond what feed-rs keeps.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct ItemScan {
    /// `<guid>` / `<id>` / RSS 1.0 `rdf:about`, trimmed; `None` when absent or blank.
    pub guid: Option<String>,
    /// RSS `<guid isPermaLink>`, which defaults to true.
    pub guid_is_permalink: bool,
    pub published_raw: Option<String>,
    pub updated_raw: Option<String>,
    /// The `xml:base` in effect for the item's HTML (its content element's,
    /// else the item's, else an ancestor's), resolved; `None` when no
    /// `xml:base` applies.
    pub base: Option<Url>,
    /// `xml:lang` on the item element.
    pub language: Option<String>,
    /// RSS `<enclosure>` elements, all of them.
    pub enclosures: Vec<Enclosure>,
    /// Whether a `<link>` has text: feed-rs drops RSS 1.0 items without one.
    has_link: bool,
    published_rank: u8,
    updated_rank: u8,
}

impl ItemScan {
    /// Whether the item had an `<updated>` element, the one feed-rs parses.
    pub fn has_updated_element(&self) -> bool {
        self.updated_rank == 0
    }
}

/// What the scan found: one record per item, and the channel's advice.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Scan {
    pub items: Vec<ItemScan>,
    /// `<ttl>` is left to feed-rs; the rest is filled here.
    pub schedule: DocSchedule,
}

/// A channel element whose text is collected.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ChannelField {
    UpdatePeriod,
    UpdateFrequency,
    SkipHour,
    SkipDay,
}

/// A per-item child element whose text is collected.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    /// Not an item's: the channel's scheduling advice.
    Channel(ChannelField),
    Guid,
    /// A publication date; lower rank wins (`pubDate` over `dc:date`).
    Published(u8),
    /// An update date; lower rank wins (`updated` over `dcterms:modified`).
    Updated(u8),
    Link,
}

/// Maps an item child's local name to the field it fills, per format.
fn field_of(format: FeedFormat, local: &str) -> Option<Field> {
    let is_atom = format == FeedFormat::Atom;
    Some(match local {
        "guid" if !is_atom => Field::Guid,
        "id" if is_atom => Field::Guid,
        "pubDate" | "published" => Field::Published(0),
        // `dcterms:issued`; Atom 0.3's `issued` and `modified` arrive here
        // already renamed `published` and `updated` by `rewrite`.
        "issued" => Field::Published(1),
        "date" => Field::Published(2),
        // Atom 0.3's `created`, which has no Atom 1.0 name.
        "created" => Field::Published(3),
        "updated" => Field::Updated(0),
        "modified" => Field::Updated(1),
        "link" if format == FeedFormat::Rss1 => Field::Link,
        _ => return None,
    })
}

/// Text being collected for one field until its element closes.
struct Capture {
    field: Field,
    depth: usize,
    text: String,
}

/// Scans `text` (which feed-rs parsed as `format`) and returns one record per
/// item feed-rs will have produced, or `None` when the XML cannot be read.
pub(super) fn scan_items(text: &str, format: FeedFormat, doc_base: Option<&Url>) -> Option<Scan> {
    let mut scanner = Scanner::new(format, doc_base)?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(start) => scanner.start(&start),
            Event::Empty(empty) => scanner.empty(&empty),
            // Anything after the root element is none of feed-rs's business.
            Event::End(_) if scanner.end()? => break,
            Event::Text(text) => scanner.text(&text),
            Event::CData(data) => scanner.text(&data),
            Event::GeneralRef(reference) => scanner.reference(&reference),
            Event::Eof => break,
            _ => {}
        }
    }
    let mut items = scanner.items;
    if format == FeedFormat::Rss1 {
        items.retain(|item| item.has_link);
    }
    Some(Scan {
        items,
        schedule: scanner.channel.schedule(),
    })
}

/// The channel's scheduling advice as written.
#[derive(Debug, Default)]
struct ChannelScan {
    update_period: Option<String>,
    update_frequency: Option<String>,
    skip_hours: u32,
    skip_days: u8,
}

impl ChannelScan {
    fn finish(&mut self, field: ChannelField, text: &str) {
        let text = text.trim();
        match field {
            ChannelField::UpdatePeriod => self.update_period = Some(text.to_ascii_lowercase()),
            ChannelField::UpdateFrequency => self.update_frequency = Some(text.to_owned()),
            // RSS 2.0: hours 0–23 in GMT; some feeds write 24 for midnight.
            ChannelField::SkipHour => {
                if let Ok(hour) = text.parse::<u32>()
                    && hour <= 24
                {
                    self.skip_hours |= 1 << (hour % 24);
                }
            }
            ChannelField::SkipDay => {
                const DAYS: [&str; 7] = [
                    "monday",
                    "tuesday",
                    "wednesday",
                    "thursday",
                    "friday",
                    "saturday",
                    "sunday",
                ];
                if let Some(i) = DAYS.iter().position(|d| d.eq_ignore_ascii_case(text)) {
                    self.skip_days |= 1 << i;
                }
            }
        }
    }

    /// RSS 1.0 Syndication module: the period defaults to daily and the
    /// frequency (updates per period) to 1; unknown values are ignored.
    fn schedule(&self) -> DocSchedule {
        let period = match self.update_period.as_deref() {
            None if self.update_frequency.is_none() => None,
            None | Some("daily") => Some(86_400),
            Some("hourly") => Some(3_600),
            Some("weekly") => Some(7 * 86_400),
            Some("monthly") => Some(30 * 86_400),
            Some("yearly") => Some(365 * 86_400),
            Some(_) => None,
        };
        let frequency = match self.update_frequency.as_deref().map(str::parse::<u64>) {
            None => Some(1),
            Some(Ok(n)) if n > 0 => Some(n),
            Some(_) => None,
        };
        DocSchedule {
            ttl_mins: None,
            update_period_secs: period.zip(frequency).map(|(p, f)| (p / f).max(1)),
            skip_hours: self.skip_hours,
            skip_days: self.skip_days,
        }
    }
}

/// Where the reader is in the document, and what it has found so far.
struct Scanner<'u> {
    format: FeedFormat,
    doc_base: Option<&'u Url>,
    /// Depth of item elements: 3 for `rss/channel/item`, 2 for `feed/entry`.
    item_depth: usize,
    /// Number of open elements.
    depth: usize,
    in_item: bool,
    in_channel: bool,
    seen_channel: bool,
    /// Resolved `xml:base` values by the depth of the element that set them.
    bases: Vec<(usize, Url)>,
    capture: Option<Capture>,
    items: Vec<ItemScan>,
    channel: ChannelScan,
    /// An open `<skipHours>` or `<skipDays>` and its depth.
    skip: Option<(ChannelField, usize)>,
}

impl<'u> Scanner<'u> {
    fn new(format: FeedFormat, doc_base: Option<&'u Url>) -> Option<Self> {
        let item_depth = match format {
            FeedFormat::Rss0 | FeedFormat::Rss2 => 3,
            FeedFormat::Rss1 | FeedFormat::Atom => 2,
            FeedFormat::Json => return None,
        };
        Some(Scanner {
            format,
            doc_base,
            item_depth,
            depth: 0,
            in_item: false,
            in_channel: false,
            seen_channel: false,
            bases: Vec::new(),
            capture: None,
            items: Vec::new(),
            channel: ChannelScan::default(),
            skip: None,
        })
    }

    fn start(&mut self, start: &BytesStart<'_>) {
        self.depth += 1;
        let local = local_name(start);
        if self.depth == 1 && self.format == FeedFormat::Atom && local == "entry" {
            // A lone Atom entry document.
            self.item_depth = 1;
        }
        if self.depth == 2 && local == "channel" && !self.seen_channel {
            // feed-rs reads the first <channel> only.
            (self.in_channel, self.seen_channel) = (true, true);
        }
        if !self.in_item {
            self.channel_child(local);
        }
        if self.depth < self.item_depth {
            self.push_base(start);
        } else if self.depth == self.item_depth && is_item(self.format, local, self.in_channel) {
            self.in_item = true;
            self.push_base(start);
            let base = self.bases.last().map(|(_, url)| url.clone());
            self.items.push(begin_item(start, self.format, base));
        } else if self.in_item && self.depth == self.item_depth + 1 {
            self.item_child(start, local);
        }
    }

    /// Starts capturing the channel's scheduling elements, wherever they
    /// sit outside items (RSS 1.0 puts them in `<channel>`, a few Atom
    /// feeds in `<feed>`).
    fn channel_child(&mut self, local: &str) {
        // The kind of skip list this element is a direct child of.
        let in_skip = match self.skip {
            Some((kind, depth)) if depth + 1 == self.depth => Some(kind),
            _ => None,
        };
        let field = match local {
            "updatePeriod" => ChannelField::UpdatePeriod,
            "updateFrequency" => ChannelField::UpdateFrequency,
            "skipHours" => {
                self.skip = Some((ChannelField::SkipHour, self.depth));
                return;
            }
            "skipDays" => {
                self.skip = Some((ChannelField::SkipDay, self.depth));
                return;
            }
            "hour" if in_skip == Some(ChannelField::SkipHour) => ChannelField::SkipHour,
            "day" if in_skip == Some(ChannelField::SkipDay) => ChannelField::SkipDay,
            _ => return,
        };
        self.capture = Some(Capture {
            field: Field::Channel(field),
            depth: self.depth,
            text: String::new(),
        });
    }

    fn item_child(&mut self, start: &BytesStart<'_>, local: &str) {
        // Atom <content> and RSS <content:encoded>: relative links in their
        // HTML resolve against their own base.
        let content_base = matches!(local, "content" | "encoded") && self.push_base(start);
        let base = self.bases.last().map(|(_, url)| url.clone());
        let Some(item) = self.items.last_mut() else {
            return;
        };
        if content_base {
            item.base = base;
        }
        child_attributes(item, start, local, self.doc_base);
        self.capture = field_of(self.format, local).map(|field| Capture {
            field,
            depth: self.depth,
            text: String::new(),
        });
    }

    fn empty(&mut self, empty: &BytesStart<'_>) {
        if self.in_item
            && self.depth == self.item_depth
            && let Some(item) = self.items.last_mut()
        {
            child_attributes(item, empty, local_name(empty), self.doc_base);
        }
    }

    /// Closes an element; `Some(true)` once the root element is closed,
    /// `None` on an end tag without a start.
    fn end(&mut self) -> Option<bool> {
        let depth = self.depth;
        if let Some(done) = self.capture.take_if(|c| c.depth == depth) {
            match done.field {
                Field::Channel(field) => self.channel.finish(field, &done.text),
                _ => {
                    if let Some(item) = self.items.last_mut() {
                        finish_field(item, done);
                    }
                }
            }
        }
        if self.skip.is_some_and(|(_, d)| d == depth) {
            self.skip = None;
        }
        while self.bases.last().is_some_and(|(d, _)| *d == depth) {
            self.bases.pop();
        }
        if depth == self.item_depth {
            self.in_item = false;
        }
        if depth == 2 {
            self.in_channel = false;
        }
        self.depth = depth.checked_sub(1)?;
        Some(self.depth == 0)
    }

    fn text(&mut self, text: &str) {
        if let Some(capture) = self.capture.as_mut() {
            capture.text.push_str(text);
        }
    }

    fn reference(&mut self, reference: &BytesRef<'_>) {
        if let Some(capture) = self.capture.as_mut() {
            push_reference(&mut capture.text, reference);
        }
    }

    /// Pushes the element's `xml:base`, resolved against the base in effect;
    /// returns whether it had one that resolved.
    fn push_base(&mut self, start: &BytesStart<'_>) -> bool {
        let Some(value) = attribute(start, "xml:base") else {
            return false;
        };
        let current = self.bases.last().map(|(_, url)| url).or(self.doc_base);
        let resolved = match current {
            Some(base) => base.join(value.trim()).ok(),
            None => Url::parse(value.trim()).ok(),
        };
        let Some(url) = resolved else {
            return false;
        };
        self.bases.push((self.depth, url));
        true
    }
}

fn is_item(format: FeedFormat, local: &str, in_channel: bool) -> bool {
    match format {
        FeedFormat::Rss0 | FeedFormat::Rss2 => in_channel && local == "item",
        FeedFormat::Rss1 => local == "item",
        FeedFormat::Atom => local == "entry",
        FeedFormat::Json => false,
    }
}

fn begin_item(start: &BytesStart<'_>, format: FeedFormat, base: Option<Url>) -> ItemScan {
    let mut item = ItemScan {
        guid_is_permalink: true,
        base,
        published_rank: u8::MAX,
        updated_rank: u8::MAX,
        ..ItemScan::default()
    };
    for attr in start.attributes().flatten() {
        match attr.key.as_ref() {
            "xml:lang" => item.language = non_blank(&attr.value),
            // RSS 1.0 names each item by URI; it is that format's guid.
            "rdf:about" if format == FeedFormat::Rss1 => item.guid = non_blank(&attr.value),
            _ => {}
        }
    }
    item
}

/// Reads the attributes of an item's child element that matter here.
fn child_attributes(
    item: &mut ItemScan,
    start: &BytesStart<'_>,
    local: &str,
    doc_base: Option<&Url>,
) {
    match local {
        "guid" => {
            let permalink = attribute(start, "isPermaLink");
            item.guid_is_permalink = permalink.is_none_or(|v| v.trim() != "false");
        }
        "enclosure" => {
            let base = item.base.as_ref().or(doc_base);
            let url = attribute(start, "url").and_then(|u| super::absolute_url(&u, base));
            if let Some(url) = url {
                item.enclosures.push(Enclosure {
                    url,
                    mime_type: attribute(start, "type").and_then(|t| non_blank(&t)),
                    length: attribute(start, "length").and_then(|l| l.trim().parse().ok()),
                });
            }
        }
        _ => {}
    }
}

fn finish_field(item: &mut ItemScan, capture: Capture) {
    if capture.field == Field::Link {
        // feed-rs keeps a <link> whose text is only whitespace, so do we.
        item.has_link |= !capture.text.is_empty();
        return;
    }
    let Some(value) = non_blank(&capture.text) else {
        return;
    };
    match capture.field {
        Field::Guid if item.guid.is_none() => item.guid = Some(value),
        Field::Published(rank) if rank < item.published_rank => {
            (item.published_raw, item.published_rank) = (Some(value), rank);
        }
        Field::Updated(rank) if rank < item.updated_rank => {
            (item.updated_raw, item.updated_rank) = (Some(value), rank);
        }
        _ => {}
    }
}

/// Resolves `&amp;` and `&#233;` as feed-rs does; other entities (`&nbsp;`,
/// or anything a DTD declares) stay literal and are never expanded.
fn push_reference(text: &mut String, reference: &BytesRef<'_>) {
    if let Ok(Some(ch)) = reference.resolve_char_ref() {
        text.push(ch);
        return;
    }
    match quick_xml::escape::resolve_predefined_entity(reference) {
        Some(resolved) => text.push_str(resolved),
        None => {
            text.push('&');
            text.push_str(reference);
            text.push(';');
        }
    }
}

fn local_name<'a>(start: &'a BytesStart<'_>) -> &'a str {
    let name: &str = start.name().0;
    name.rsplit(':').next().unwrap_or(name)
}

/// An attribute's unescaped value; the raw value if it holds an unknown entity.
fn attribute(start: &BytesStart<'_>, key: &str) -> Option<String> {
    let attr = start
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)?;
    let value = quick_xml::escape::unescape(&attr.value).map(|v| v.into_owned());
    Some(value.unwrap_or_else(|_| attr.value.to_string()))
}

fn non_blank(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}
