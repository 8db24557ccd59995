//! Plain domain types shared by every stage.
//!
//! Nothing here does IO or knows about reqwest, rusqlite or feed-rs: stages
//! exchange these values, and `pipeline` moves them from one stage to the
//! next. Timestamps are always UTC.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;

/// Row id of a feed in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FeedId(pub i64);

impl fmt::Display for FeedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// HTTP cache validators remembered per feed and sent back on the next poll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A media attachment (`<enclosure>`, Atom `rel="enclosure"`, JSON Feed attachment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Enclosure {
    pub url: String,
    #[serde(rename = "type")]
    pub mime_type: Option<String>,
    pub length: Option<u64>,
}

/// Which syntax a document was written in, as detected by the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedFormat {
    Rss0,
    Rss1,
    Rss2,
    Atom,
    Json,
}

/// The publisher's own advice, in the document, on when to read it again;
/// `scheduler` turns it into times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocSchedule {
    /// RSS `<ttl>`, in minutes.
    pub ttl_mins: Option<u32>,
    /// `sy:updatePeriod` divided by `sy:updateFrequency`, in seconds.
    pub update_period_secs: Option<u64>,
    /// RSS `<skipHours>`: bit `h` set means "do not read during hour `h`
    /// (0–23, UTC)".
    pub skip_hours: u32,
    /// RSS `<skipDays>`: bit 0 is Monday, bit 6 Sunday.
    pub skip_days: u8,
}

/// How often a feed posts, as one document showed it: `posts` distinct
/// publication times since `since` (at most 30 days back). The mean gap is
/// worked out when the feed is scheduled (`scheduler::posting_gap`), so it
/// keeps growing while the feed stays silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    pub since: DateTime<Utc>,
    pub posts: u32,
}

/// A feed document after parsing, before normalization.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    pub format: FeedFormat,
    /// Channel title as given (may hold entities or markup).
    pub title: Option<String>,
    /// The channel's `<link>` / Atom `rel="alternate"` / JSON `home_page_url`,
    /// absolute. This names the publisher's site.
    pub site_url: Option<String>,
    /// Channel language (`<language>`, `xml:lang`, JSON `language`).
    pub language: Option<String>,
    /// Channel copyright (RSS `<copyright>`, Atom `<rights>`), as given.
    pub rights: Option<String>,
    /// What the document says about how often to read it.
    pub schedule: DocSchedule,
    pub entries: Vec<RawEntry>,
}

/// One item as the document gave it: raw strings, resolved only as far as
/// the parser must (links made absolute against `xml:base` or the document URL).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawEntry {
    /// The `<guid>` / `<id>` / JSON `id` exactly as written; `None` when the
    /// document had none (never a parser-generated placeholder).
    pub guid: Option<String>,
    /// The item's permalink, absolute; `None` when absent.
    pub link: Option<String>,
    /// Title as given; may contain markup or entities.
    pub title: Option<String>,
    /// Short description / summary as given (HTML or text).
    pub summary: Option<String>,
    /// Full content as given (`content:encoded`, Atom `<content>`, JSON
    /// `content_html`/`content_text`), HTML or text.
    pub content: Option<String>,
    /// Base URL in effect for this item's HTML (item `xml:base`, else the
    /// item link, else the document URL): relative links in `summary` and
    /// `content` resolve against it.
    pub base_url: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    /// Publication date as parsed by the parser, if it could.
    pub published: Option<DateTime<Utc>>,
    /// The publication date string exactly as written, when the document had one.
    pub published_raw: Option<String>,
    pub updated: Option<DateTime<Utc>>,
    pub updated_raw: Option<String>,
    /// Item-level language, falling back to nothing (normalize falls back to the channel).
    pub language: Option<String>,
    pub enclosures: Vec<Enclosure>,
}

/// A normalized article, ready for identity assignment and storage.
///
/// `item_key` is empty until `dedup::assign_keys` fills it. `first_seen` and
/// `last_seen` belong to the store and are not part of this value.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Article {
    pub guid: Option<String>,
    pub item_key: String,
    /// Canonical absolute URL (see `normalize::url`).
    pub url: Option<String>,
    /// Plain text, entities decoded, whitespace collapsed.
    pub title: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    pub published: Option<DateTime<Utc>>,
    /// Raw date string kept when it could not be parsed or was clamped.
    pub published_raw: Option<String>,
    pub updated: Option<DateTime<Utc>>,
    pub updated_raw: Option<String>,
    /// Plain-text summary.
    pub summary: Option<String>,
    /// Sanitized HTML body with absolute links.
    pub content_html: Option<String>,
    /// Readable body as plain text, scrape furniture removed.
    pub text: Option<String>,
    pub language: Option<String>,
    pub enclosures: Vec<Enclosure>,
    /// Hex digest over the fields a reader sees (not the dates): a change
    /// here means the item was edited.
    pub content_hash: String,
    /// Lines of scrape furniture (a lone "Advertisement") removed from the
    /// text; a weak sign of copy pasted from elsewhere. Not stored.
    #[serde(skip)]
    pub furniture_lines: u32,
    /// Whether this is auto-published agency or partner copy, and why.
    #[serde(skip)]
    pub syndication: Syndication,
    /// The body's near-duplicate fingerprint; `None` for bodies too short
    /// to compare. Not serialized.
    #[serde(skip)]
    pub near: Option<Fingerprint>,
    /// Not flagged, because the store held it unchanged when the poll read
    /// the feed's keys: the store then only touches it, and writes nothing
    /// if it has changed (or gone) since, for the next poll to flag.
    #[serde(skip)]
    pub unflagged: bool,
}

/// What near-duplicate matching knows of a body (see `dedup::near`): its
/// comparison text reduced to word 3-shingles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    /// 64-bit SimHash over the shingles.
    pub simhash: u64,
    /// Words in the comparison text.
    pub words: u32,
    /// 32-bit hashes of the shingles, sorted, each once.
    pub shingles: Vec<u32>,
    /// Hashes of the first shingles, in order: the lead a truncated RSS
    /// description shares with the full text.
    pub lead: Vec<u32>,
}

/// Why an article was flagged as syndicated: the reason codes of
/// `SYNDICATION.md`, stable strings in the database and the JSON output.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Disclaimer,
    PressRelease,
    AgencyCopyright,
    PartnerFooter,
    RobotTemplate,
    Autopost,
    CrossSourceCopy,
    WireDateline,
    AgencyByline,
    AgencyCredit,
    WireArtifact,
    TemplateArtifact,
}

impl Reason {
    pub const ALL: [Reason; 12] = [
        Reason::Disclaimer,
        Reason::PressRelease,
        Reason::AgencyCopyright,
        Reason::PartnerFooter,
        Reason::RobotTemplate,
        Reason::Autopost,
        Reason::CrossSourceCopy,
        Reason::WireDateline,
        Reason::AgencyByline,
        Reason::AgencyCredit,
        Reason::WireArtifact,
        Reason::TemplateArtifact,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Disclaimer => "disclaimer",
            Reason::PressRelease => "press_release",
            Reason::AgencyCopyright => "agency_copyright",
            Reason::PartnerFooter => "partner_footer",
            Reason::RobotTemplate => "robot_template",
            Reason::Autopost => "autopost",
            Reason::CrossSourceCopy => "cross_source_copy",
            Reason::WireDateline => "wire_dateline",
            Reason::AgencyByline => "agency_byline",
            Reason::AgencyCredit => "agency_credit",
            Reason::WireArtifact => "wire_artifact",
            Reason::TemplateArtifact => "template_artifact",
        }
    }

    pub fn parse(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == code)
    }
}

/// The syndication verdict stored with an article.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Syndication {
    pub syndicated: bool,
    /// 0..1: how sure the signals make us, weak ones included.
    pub score: f32,
    /// Every counted signal's reason, strongest first, each once.
    pub reasons: Vec<Reason>,
    /// The agency or partner named by the strongest signal that names one.
    pub source: Option<String>,
}

/// Lowercase hex of `bytes`: digests are stored and compared as text.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}
