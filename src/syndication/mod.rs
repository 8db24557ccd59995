//! Syndication flags: is this article agency or partner copy put out
//! without editorial work, and why do we think so.
//!
//! The signals are data ([`rules`]: a built-in rule file plus the user's
//! rules); this module runs them and decides. Each region of an article
//! (title, the head and the tail of its body, authors, URL, the channel's
//! copyright) is scanned once by one compiled `RegexSet`; only the rules
//! that matched are run again for their position and captures.
//!
//! The decision follows `SYNDICATION.md`: any strong signal flags; one
//! medium signal flags when it names an agency; two medium signals of
//! different reasons flag; weak signals only add to the score. A signal
//! whose agency publishes on the publisher's own host is dropped (the
//! agency's copy on its own feed is the origin, not a republication)
//! unless `flag_agency_own_feed` is set. The publisher's host is the
//! channel's site link, else the item's link, else the feed URL: feeds are
//! often served from a CDN or a feed proxy.
//!
//! Traps the rules avoid by construction: footer rules (`tail`) must end
//! the body and must not sit inside quotation marks, so an opinion piece
//! quoting a disclaimer does not flag; datelines must open the body.

mod rules;

#[cfg(test)]
mod tests;

pub use rules::{
    AgencySpec, BUILTIN, Region, RuleFile, RuleSet, RuleSpec, RulesError, Strength, check_rule,
};

use crate::model::{Article, Reason, Syndication};
use rules::{HEAD_CHARS, TAIL_CHARS};

/// What the flagger reads of one article.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject<'a> {
    pub title: Option<&'a str>,
    /// The readable text (furniture removed).
    pub text: Option<&'a str>,
    /// The summary, when it differs from the text (RSS descriptions often
    /// hold the dateline the full text lacks). Only its head is scanned
    /// when there is a text.
    pub summary: Option<&'a str>,
    pub authors: &'a [String],
    pub url: Option<&'a str>,
    /// The channel's copyright line.
    pub feed_rights: Option<&'a str>,
    /// The publisher's host (see the module docs).
    pub publisher_host: Option<&'a str>,
    /// The publisher's name: the channel title. A footer naming it is the
    /// site's own ("appeared first on The Daily Hodl").
    pub publisher_name: Option<&'a str>,
    /// Furniture lines normalize removed from the text.
    pub furniture_lines: u32,
}

/// One signal found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub rule: String,
    pub reason: Reason,
    pub strength: Strength,
    pub region: Region,
    /// The text the rule matched.
    pub matched: String,
    pub agency: Option<String>,
    /// Dropped because the agency publishes on the publisher's host.
    pub own_copy: bool,
}

/// The verdict and every signal behind it (for `explain`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Classification {
    pub verdict: Syndication,
    pub hits: Vec<Hit>,
    /// Byte spans of the compared body (the text, else the summary) that
    /// head and tail rules matched, accepted as signals or not: what
    /// near-duplicate comparison leaves out.
    pub boilerplate: Vec<(usize, usize)>,
}

/// Options from `[syndication]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Flag an agency's copy on the agency's own feed too.
    pub flag_agency_own_feed: bool,
}

/// The rules and options the pipeline flags articles with.
#[derive(Debug)]
pub struct Flagger {
    pub rules: RuleSet,
    pub options: Options,
}

/// What the flagger needs to know of the feed an article came in.
#[derive(Debug, Clone, Copy)]
pub struct FeedContext<'a> {
    /// The channel's site link.
    pub site_url: Option<&'a str>,
    pub feed_url: &'a str,
    /// The channel's copyright line.
    pub rights: Option<&'a str>,
    /// The channel's title, as plain text.
    pub title: Option<&'a str>,
}

impl Flagger {
    /// Every signal in `article` and the verdict.
    pub fn classify(&self, article: &Article, feed: &FeedContext<'_>) -> Classification {
        let publisher = publisher_host(feed.site_url, article.url.as_deref(), feed.feed_url);
        let text = article.text.as_deref();
        // The summary adds something only when the text does not already
        // hold it (a teaser that is the text's first paragraph).
        let summary = article.summary.as_deref().filter(|s| {
            text.is_none_or(|t| !t.starts_with(s.get(..s.len().min(120)).unwrap_or(s)))
        });
        let subject = Subject {
            title: article.title.as_deref(),
            text,
            summary,
            authors: &article.authors,
            url: article.url.as_deref(),
            feed_rights: feed.rights,
            publisher_host: publisher.as_deref(),
            publisher_name: feed.title,
            furniture_lines: article.furniture_lines,
        };
        self.rules.classify(&subject, self.options)
    }

    /// Sets `article.syndication` and returns the comparison text
    /// near-duplicate matching reads (see `dedup::near`), from one scan of
    /// the body's head and tail: the body (text, else summary) without what
    /// the rules recognise there (datelines, disclaimers, credit and
    /// copyright lines, partner footers, wire slugs), case-folded, with
    /// apostrophes dropped and every other non-alphanumeric character a
    /// word break; its words are joined by single spaces.
    /// Two outlets' different footers then do not hide a shared text, and
    /// shared footers do not fake one. Furniture is already out of `text`.
    pub fn flag_and_compare(&self, article: &mut Article, feed: &FeedContext<'_>) -> String {
        let c = self.classify(article, feed);
        article.syndication = c.verdict;
        match article.text.as_deref().or(article.summary.as_deref()) {
            Some(body) => words_outside(body, c.boilerplate),
            None => String::new(),
        }
    }

    /// The verdict of `article` when it is a near-duplicate, at
    /// `similarity`, of an earlier article from another host: its own
    /// signals plus `cross_source_copy`, strong from 0.95 up, else medium.
    pub fn classify_copied(
        &self,
        article: &Article,
        feed: &FeedContext<'_>,
        similarity: f32,
    ) -> Syndication {
        let mut hits = self.classify(article, feed).hits;
        hits.push(Hit {
            rule: CROSS_SOURCE_RULE.to_string(),
            reason: Reason::CrossSourceCopy,
            strength: if similarity >= 0.95 {
                Strength::Strong
            } else {
                Strength::Medium
            },
            region: Region::Tail,
            matched: format!("near-duplicate of an earlier article, similarity {similarity:.2}"),
            agency: None,
            own_copy: false,
        });
        decide(&hits)
    }
}

/// The ids of the built-in rules (for checking `disable_rules`).
pub fn builtin_rule_ids() -> Vec<String> {
    rules::builtin_file()
        .map(|f| f.rules.iter().map(|r| r.id.clone()).collect())
        .unwrap_or_default()
}

/// The id of the signal a near-duplicate from another host gives.
pub const CROSS_SOURCE_RULE: &str = "cross_source_copy.near-duplicate";

/// The publisher's host (see the module docs), lower case, without `www.`.
pub fn publisher_host(
    site_url: Option<&str>,
    article_url: Option<&str>,
    feed_url: &str,
) -> Option<String> {
    let host = |u: &str| {
        let url = url::Url::parse(u).ok()?;
        let host = url.host_str()?.to_ascii_lowercase();
        Some(
            host.strip_prefix("www.")
                .map(str::to_string)
                .unwrap_or(host),
        )
    };
    site_url
        .and_then(host)
        .or_else(|| article_url.and_then(host))
        .or_else(|| host(feed_url))
}

/// The id of the signal derived from removed furniture lines.
pub const FURNITURE_RULE: &str = "template_artifact.furniture-line";

impl RuleSet {
    /// Runs every rule over `subject` and decides.
    pub fn classify(&self, subject: &Subject<'_>, options: Options) -> Classification {
        let mut hits = Vec::new();
        let mut boilerplate = Vec::new();
        if let Some(title) = subject.title {
            self.scan(Region::Title, title, title, &mut hits, None);
        }
        if let Some(text) = subject.text {
            self.scan(
                Region::Head,
                head(text),
                text,
                &mut hits,
                Some(&mut boilerplate),
            );
            self.scan(
                Region::Tail,
                tail(text),
                text,
                &mut hits,
                Some(&mut boilerplate),
            );
        }
        if let Some(summary) = subject.summary {
            // A teaser's opening often keeps the dateline the full text
            // lost; its end is a cut, not a footer, unless it is the body.
            if subject.text.is_none() {
                let spans = Some(&mut boilerplate);
                self.scan(Region::Head, head(summary), summary, &mut hits, spans);
                let spans = Some(&mut boilerplate);
                self.scan(Region::Tail, tail(summary), summary, &mut hits, spans);
            } else {
                self.scan(Region::Head, head(summary), summary, &mut hits, None);
            }
        }
        for author in subject.authors {
            let author = author.trim();
            self.scan(Region::Author, author, author, &mut hits, None);
        }
        if let Some(url) = subject.url {
            self.scan(Region::Url, url, url, &mut hits, None);
        }
        if let Some(rights) = subject.feed_rights {
            self.scan(Region::Feed, rights, rights, &mut hits, None);
        }
        if subject.furniture_lines > 0 {
            hits.push(Hit {
                rule: FURNITURE_RULE.to_string(),
                reason: Reason::TemplateArtifact,
                strength: Strength::Weak,
                region: Region::Tail,
                matched: format!("{} furniture line(s) removed", subject.furniture_lines),
                agency: None,
                own_copy: false,
            });
        }
        // The same rule firing on the text and on the summary is one signal.
        let mut seen = std::collections::HashSet::new();
        hits.retain(|h| seen.insert(h.rule.clone()));
        if !options.flag_agency_own_feed && hits.iter().any(|h| h.agency.is_some()) {
            let own_name = subject.publisher_name.map(rules::squash);
            for hit in &mut hits {
                if let Some(agency) = &hit.agency {
                    hit.own_copy = subject
                        .publisher_host
                        .is_some_and(|host| self.publishes_on(agency, host))
                        || own_name
                            .as_deref()
                            .is_some_and(|own| own.len() >= 3 && own == rules::squash(agency));
                }
            }
        }
        Classification {
            verdict: decide(&hits),
            hits,
            boilerplate,
        }
    }

    /// Scans one region's text (a slice of `full`): one pass of the region's
    /// set, then the matching rules alone for where they matched. With
    /// `spans`, every match of a matching rule is recorded there (as byte
    /// spans of `full`), signal or not.
    fn scan(
        &self,
        region: Region,
        text: &str,
        full: &str,
        hits: &mut Vec<Hit>,
        mut spans: Option<&mut Vec<(usize, usize)>>,
    ) {
        let Some((set, members)) = self.region(region) else {
            return;
        };
        if text.is_empty() {
            return;
        }
        for i in set.matches(text).iter() {
            let rule = &self.rules[members[i]];
            // A footer is the last occurrence; elsewhere the first will do.
            // Finding it needs only the DFA; capture groups (the slow part)
            // are resolved once, for the one match kept.
            let found = match spans.as_deref_mut() {
                Some(spans) => {
                    let offset = text.as_ptr() as usize - full.as_ptr() as usize;
                    let all: Vec<_> = rule.regex.find_iter(text).collect();
                    spans.extend(all.iter().map(|m| (offset + m.start(), offset + m.end())));
                    if region == Region::Tail {
                        all.last().copied()
                    } else {
                        all.first().copied()
                    }
                }
                None if region == Region::Tail => rule.regex.find_iter(text).last(),
                None => rule.regex.find(text),
            };
            let Some(whole) = found else { continue };
            if region == Region::Tail {
                let after = &text[whole.end()..];
                // Where the match starts in `full`, for the line it is on.
                let at = text.as_ptr() as usize - full.as_ptr() as usize + whole.start();
                let line_start = full[..at].rfind('\n').map_or(0, |i| i + 1);
                if after.trim().chars().count() > RuleSet::max_trailing(&rule.spec)
                    || prose(after)
                    || quoted(&full[line_start..at])
                {
                    continue;
                }
            }
            if rule.unless.as_ref().is_some_and(|u| u.is_match(text)) {
                continue;
            }
            // The first named group that took part names the agency.
            let captured = || {
                let caps = rule.regex.captures_at(text, whole.start())?;
                let name = rule
                    .regex
                    .capture_names()
                    .flatten()
                    .find_map(|n| caps.name(n))?;
                self.canonical_agency(name.as_str())
            };
            let agency = match &rule.spec.agency {
                Some(fixed) => Some(fixed.clone()),
                None if rule.has_agency_group => captured(),
                None => None,
            }
            .or_else(|| {
                rule.spec
                    .find_agency
                    .then(|| self.agency_in(whole.as_str()))
                    .flatten()
            });
            hits.push(Hit {
                rule: rule.spec.id.clone(),
                reason: rule.spec.reason,
                strength: rule.spec.strength,
                region,
                matched: whole.as_str().trim().to_string(),
                agency,
                own_copy: false,
            });
        }
    }
}

/// The comparison text of `body`: its words outside the byte spans `cut`,
/// case-folded, joined by single spaces; see
/// [`Flagger::flag_and_compare`]. ASCII, nearly all of most bodies, takes a
/// byte path; anything else goes by `char`.
fn words_outside(body: &str, mut cut: Vec<(usize, usize)>) -> String {
    cut.sort_unstable();
    let mut out = String::with_capacity(body.len());
    // A word ends: one space after it, unless nothing or a space came last.
    fn boundary(out: &mut String) {
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    }
    let mut kept_from = 0;
    let mut segments = Vec::with_capacity(cut.len() + 1);
    for (start, end) in cut {
        if start > kept_from {
            segments.push(&body[kept_from..start]);
        }
        kept_from = kept_from.max(end);
    }
    segments.push(&body[kept_from.min(body.len())..]);
    for segment in segments {
        // A removed span breaks a word.
        boundary(&mut out);
        let mut rest = segment;
        while !rest.is_empty() {
            let ascii = rest
                .bytes()
                .position(|b| !b.is_ascii())
                .unwrap_or(rest.len());
            for b in rest[..ascii].bytes() {
                if b.is_ascii_alphanumeric() {
                    out.push(char::from(b.to_ascii_lowercase()));
                } else if b != b'\'' {
                    // "don't" is one word; anything else is a break.
                    boundary(&mut out);
                }
            }
            rest = &rest[ascii..];
            let Some(c) = rest.chars().next() else { break };
            if c.is_alphanumeric() {
                out.extend(c.to_lowercase());
            } else if !matches!(c, '’' | '‘') {
                boundary(&mut out);
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The decision and the score over the hits that count.
fn decide(hits: &[Hit]) -> Syndication {
    let counted: Vec<&Hit> = hits.iter().filter(|h| !h.own_copy).collect();
    let strong = counted.iter().any(|h| h.strength == Strength::Strong);
    let medium: Vec<&&Hit> = counted
        .iter()
        .filter(|h| h.strength == Strength::Medium)
        .collect();
    let medium_with_agency = medium.iter().any(|h| h.agency.is_some());
    let mut medium_reasons: Vec<Reason> = medium.iter().map(|h| h.reason).collect();
    medium_reasons.sort();
    medium_reasons.dedup();
    let syndicated = strong || medium_with_agency || medium_reasons.len() >= 2;
    // Independent-evidence score: 1 - Π(1 - w).
    let doubt: f32 = counted
        .iter()
        .map(|h| match h.strength {
            Strength::Strong => 0.1,
            Strength::Medium => 0.5,
            Strength::Weak => 0.85,
        })
        .product();
    let mut ranked: Vec<&&Hit> = counted.iter().collect();
    ranked.sort_by_key(|h| h.strength);
    let mut reasons: Vec<Reason> = Vec::new();
    for h in &ranked {
        if !reasons.contains(&h.reason) {
            reasons.push(h.reason);
        }
    }
    Syndication {
        syndicated,
        score: ((1.0 - doubt) * 1000.0).round() / 1000.0,
        reasons,
        source: ranked.iter().find_map(|h| h.agency.clone()),
    }
}

/// The first [`HEAD_CHARS`] characters of `text`.
fn head(text: &str) -> &str {
    match text.char_indices().nth(HEAD_CHARS) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// The last [`TAIL_CHARS`] characters of `text`.
fn tail(text: &str) -> &str {
    let text = text.trim_end();
    match text.char_indices().rev().nth(TAIL_CHARS - 1) {
        Some((i, _)) => &text[i..],
        None => text,
    }
}

/// Whether the text before a match, from the start of its line, leaves a
/// quotation open: more opening than closing curly quotes (German „…“
/// closes with what English opens with), or, on a line without curly
/// quotes, an odd number of straight ones. Guillemets point either way
/// and are not counted.
fn quoted(line: &str) -> bool {
    let count = |c: char| line.matches(c).count();
    let (low, high, right) = (count('„'), count('“'), count('”'));
    let (open, close) = if low > 0 {
        (low, high + right)
    } else {
        (high, right)
    };
    if open + close > 0 {
        return open > close;
    }
    count('"') % 2 == 1
}

/// Whether the text after a footer match is prose: a line that is a
/// sentence of four words or more (a column quoting a disclaimer goes on
/// after it; a real footer is followed by credits, codes or nothing).
fn prose(after: &str) -> bool {
    after.lines().any(|line| {
        let line = line.trim();
        line.split_whitespace().count() >= 4
            && line.ends_with(['.', '!', '?'])
            && line.chars().next().is_some_and(char::is_uppercase)
            && !line.contains('(')
    })
}
