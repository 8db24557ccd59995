//! A deterministic corpus of realistic feeds for the benchmarks and the
//! local feed server (`examples/serve_corpus.rs`), so both measure the same
//! bytes.
//!
//! Every feed is generated from `(seed, n)` alone: the server and the bench
//! agree on feed `n` without sharing state. About two thirds are RSS 2.0 with
//! `content:encoded` bodies, one third Atom 1.0. Bodies hold what real
//! publishers send and normalization has to deal with: entities, relative
//! image paths, tracking parameters, inline `<script>`, items without a guid,
//! RFC 822 dates in several zones and RFC 3339 dates.
//!
//! Lives under `benches/support/` (not `benches/*.rs`) so cargo does not
//! discover it as a bench target of its own; includers use `#[path]`.

use chrono::{DateTime, FixedOffset, Utc};
use std::fmt::Write as _;
use std::sync::OnceLock;

/// Feeds in the standard corpus.
pub const FEEDS: usize = 1_000;
/// Items in every feed.
pub const ITEMS_PER_FEED: usize = 30;
/// The seed every published figure was measured with.
pub const SEED: u64 = 0x5eed_f00d_feed_0001;

/// One generated feed document.
pub struct FeedDoc {
    pub body: Vec<u8>,
    /// The `Content-Type` a server would send with it.
    pub content_type: &'static str,
    /// Entries in the document.
    pub items: usize,
}

/// The first `count` feeds of the corpus for `seed`.
pub fn corpus(seed: u64, count: usize) -> Vec<FeedDoc> {
    (0..count).map(|n| feed(seed, n)).collect()
}

/// Feed number `n`: RSS 2.0 unless `n % 3 == 2`, which is Atom.
pub fn feed(seed: u64, n: usize) -> FeedDoc {
    let mut rng = Rng::new(seed ^ (n as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let site = Site::new(&mut rng, n);
    if n % 3 == 2 {
        FeedDoc {
            body: atom(&mut rng, &site).into_bytes(),
            content_type: "application/atom+xml; charset=utf-8",
            items: ITEMS_PER_FEED,
        }
    } else {
        FeedDoc {
            body: rss(&mut rng, &site).into_bytes(),
            content_type: "application/rss+xml; charset=utf-8",
            items: ITEMS_PER_FEED,
        }
    }
}

/// xorshift64*: tiny, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut r = Rng(seed | 1);
        for _ in 0..4 {
            r.next();
        }
        r
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `lo..hi` (hi exclusive).
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo) as u64) as usize
    }

    /// True with probability `pct` percent.
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.range(0, items.len())]
    }

    fn word(&mut self) -> &'static str {
        self.pick(words())
    }
}

/// Per-feed constants: the publisher's host, language and clock.
struct Site {
    n: usize,
    host: String,
    name: String,
    language: &'static str,
    /// Unix time of the newest item.
    newest: i64,
}

impl Site {
    fn new(rng: &mut Rng, n: usize) -> Site {
        let host = format!("www.{}{}.example", rng.word(), n);
        let name = format!(
            "The {} {} {}",
            capitalize(rng.word()),
            capitalize(rng.word()),
            rng.pick(&["Times", "Post", "Herald", "Review", "Daily", "Wire"])
        );
        let language = rng.pick(&["en-us", "en-gb", "en", "de", "fr", "es"]);
        // 2026-01-01T00:00:00Z minus up to 30 days: always in the past.
        let newest = 1_767_225_600 - rng.range(0, 30 * 86_400) as i64;
        Site {
            n,
            host,
            name,
            language,
            newest,
        }
    }
}

/// What an item says, independent of the syntax it is written in.
struct Item {
    title: String,
    link: String,
    guid: Option<String>,
    guid_is_permalink: bool,
    author: String,
    categories: Vec<&'static str>,
    summary: String,
    content: String,
    published: i64,
    enclosure: Option<(String, usize)>,
}

fn item(rng: &mut Rng, site: &Site, i: usize, published: i64) -> Item {
    let title = sentence(rng, 5, 12, false);
    let slug: String = title
        .to_ascii_lowercase()
        .split_whitespace()
        .take(6)
        .collect::<Vec<_>>()
        .join("-");
    let id = site.n * 1_000 + i;
    let mut link = format!("https://{}/2025/{:02}/{slug}-{id}", site.host, 1 + i % 12);
    if rng.chance(20) {
        // Feed links that carry campaign tracking: canonicalization drops it.
        link.push_str("?utm_source=rss&utm_medium=feed&utm_campaign=daily");
    }
    // Most items have a guid; some feeds omit it and rely on the link.
    let (guid, guid_is_permalink) = match rng.range(0, 100) {
        0..=44 => (Some(link.clone()), true),
        45..=87 => (Some(format!("tag:{},2025:article-{id}", site.host)), false),
        _ => (None, false),
    };
    let categories = (0..rng.range(1, 4)).map(|_| rng.word()).collect();
    let enclosure = rng.chance(25).then(|| {
        (
            format!("https://cdn.{}/media/{id}.jpg", site.host),
            rng.range(20_000, 400_000),
        )
    });
    Item {
        title,
        link,
        guid,
        guid_is_permalink,
        author: format!("{} {}", capitalize(rng.word()), capitalize(rng.word())),
        categories,
        summary: sentence(rng, 20, 35, true),
        content: body_html(rng, site, id),
        published,
        enclosure,
    }
}

/// An article body as a CMS exports it: a few KB of HTML.
fn body_html(rng: &mut Rng, site: &Site, id: usize) -> String {
    let mut html = String::with_capacity(2_400);
    let paragraphs = rng.range(3, 5);
    for p in 0..paragraphs {
        html.push_str("<p>");
        let sentences = rng.range(2, 5);
        for s in 0..sentences {
            if s > 0 {
                html.push(' ');
            }
            html.push_str(&sentence(rng, 8, 15, true));
        }
        match rng.range(0, 4) {
            0 => {
                let _ = write!(
                    html,
                    " Read <a href=\"https://{}/topics/{}?utm_source=rss&amp;utm_medium=referral\">more on {}</a>.",
                    site.host,
                    rng.word(),
                    rng.word()
                );
            }
            1 => {
                let _ = write!(
                    html,
                    " See <a href=\"/{}/{}-{id}\">the background</a> &mdash; it&#8217;s worth it.",
                    rng.word(),
                    rng.word()
                );
            }
            2 => html.push_str(" Prices rose 3&nbsp;% &amp; costs &lt;fell&gt; &hellip;"),
            _ => {}
        }
        html.push_str("</p>\n");
        if p == 0 {
            let _ = writeln!(
                html,
                "<figure><img src=\"/images/2025/{id}-{}.jpg\" alt=\"{} {}\" width=\"640\" height=\"360\" loading=\"lazy\"><figcaption>{}</figcaption></figure>",
                rng.word(),
                rng.word(),
                rng.word(),
                sentence(rng, 4, 9, true)
            );
        }
        if p == 1 && rng.chance(50) {
            let _ = writeln!(
                html,
                "<blockquote>{}</blockquote>",
                sentence(rng, 10, 20, true)
            );
        }
    }
    let _ = writeln!(
        html,
        "<script type=\"text/javascript\">window.dataLayer=window.dataLayer||[];dataLayer.push({{\"article\":{id},\"section\":\"{}\"}});</script>",
        rng.word()
    );
    if rng.chance(40) {
        let _ = writeln!(
            html,
            "<p>The post <a href=\"https://{}/p/{id}?utm_source=rss&amp;utm_campaign=footer\">{}</a> appeared first on {}.</p>",
            site.host,
            sentence(rng, 3, 7, false),
            site.name
        );
    }
    html
}

fn rss(rng: &mut Rng, site: &Site) -> String {
    let mut x = String::with_capacity(ITEMS_PER_FEED * 3_000);
    let _ = writeln!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n\
         <channel>\n<title>{} &amp; Friends</title>\n<link>https://{}/</link>\n\
         <description>{}</description>\n<language>{}</language>\n\
         <atom:link href=\"https://{}/feed/\" rel=\"self\" type=\"application/rss+xml\"/>\n\
         <lastBuildDate>{}</lastBuildDate>\n<generator>bench-cms 4.2</generator>",
        site.name,
        site.host,
        escape(&sentence(rng, 6, 12, true)),
        site.language,
        site.host,
        rfc822(site.newest, 0, false)
    );
    if rng.chance(30) {
        x.push_str("<ttl>60</ttl>\n");
    }
    let mut t = site.newest;
    for i in 0..ITEMS_PER_FEED {
        let it = item(rng, site, i, t);
        t -= rng.range(600, 12 * 3_600) as i64;
        x.push_str("<item>\n");
        let _ = writeln!(x, "<title>{}</title>", escape(&it.title));
        let _ = writeln!(x, "<link>{}</link>", escape(&it.link));
        if let Some(g) = &it.guid {
            let _ = writeln!(
                x,
                "<guid isPermaLink=\"{}\">{}</guid>",
                it.guid_is_permalink,
                escape(g)
            );
        }
        if rng.chance(97) {
            let offset = rng.pick(&["0", "0", "60", "-300", "330", "-480"]);
            let gmt = offset == "0" && rng.chance(50);
            let mins: i32 = offset.parse().unwrap_or(0);
            let _ = writeln!(x, "<pubDate>{}</pubDate>", rfc822(it.published, mins, gmt));
        }
        let _ = writeln!(x, "<dc:creator><![CDATA[{}]]></dc:creator>", it.author);
        for c in &it.categories {
            let _ = writeln!(x, "<category>{c}</category>");
        }
        let _ = writeln!(x, "<description>{}</description>", escape(&it.summary));
        let _ = writeln!(
            x,
            "<content:encoded><![CDATA[{}]]></content:encoded>",
            it.content
        );
        if let Some((url, len)) = &it.enclosure {
            let _ = writeln!(
                x,
                "<enclosure url=\"{url}\" length=\"{len}\" type=\"image/jpeg\"/>"
            );
        }
        x.push_str("</item>\n");
    }
    x.push_str("</channel>\n</rss>\n");
    x
}

fn atom(rng: &mut Rng, site: &Site) -> String {
    let mut x = String::with_capacity(ITEMS_PER_FEED * 3_300);
    let _ = writeln!(
        x,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n\
         <title type=\"html\">{} &amp;amp; Friends</title>\n<subtitle>{}</subtitle>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"https://{}/\"/>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"https://{}/feed.atom\"/>\n\
         <id>tag:{},2025:feed</id>\n<updated>{}</updated>\n<generator>bench-cms</generator>",
        site.language,
        site.name,
        escape(&sentence(rng, 6, 12, true)),
        site.host,
        site.host,
        site.host,
        rfc3339(site.newest, 0)
    );
    let mut t = site.newest;
    for i in 0..ITEMS_PER_FEED {
        let it = item(rng, site, i, t);
        t -= rng.range(600, 12 * 3_600) as i64;
        x.push_str("<entry>\n");
        let _ = writeln!(x, "<title type=\"html\">{}</title>", escape(&it.title));
        let _ = writeln!(
            x,
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            escape(&it.link)
        );
        if let Some(g) = &it.guid {
            let _ = writeln!(x, "<id>{}</id>", escape(g));
        }
        let offset = rng.pick(&["0", "0", "60", "-300"]).parse().unwrap_or(0);
        let _ = writeln!(
            x,
            "<published>{}</published>",
            rfc3339(it.published, offset)
        );
        let edited = it.published + rng.range(0, 3) as i64 * 1_800;
        let _ = writeln!(x, "<updated>{}</updated>", rfc3339(edited, offset));
        let _ = writeln!(x, "<author><name>{}</name></author>", it.author);
        for c in &it.categories {
            let _ = writeln!(x, "<category term=\"{c}\"/>");
        }
        let _ = writeln!(
            x,
            "<summary type=\"text\">{}</summary>",
            escape(&it.summary)
        );
        let _ = writeln!(
            x,
            "<content type=\"html\">{}</content>",
            escape(&it.content)
        );
        if let Some((url, len)) = &it.enclosure {
            let _ = writeln!(
                x,
                "<link rel=\"enclosure\" type=\"image/jpeg\" length=\"{len}\" href=\"{url}\"/>"
            );
        }
        x.push_str("</entry>\n");
    }
    x.push_str("</feed>\n");
    x
}

/// Words separated by spaces, first one capitalized, a period at the end
/// when `period`.
fn sentence(rng: &mut Rng, min: usize, max: usize, period: bool) -> String {
    let words = rng.range(min, max + 1);
    let mut s = String::with_capacity(words * 8);
    for w in 0..words {
        let word = rng.word();
        if w == 0 {
            s.push_str(&capitalize(word));
        } else {
            s.push(' ');
            s.push_str(word);
        }
    }
    if period {
        s.push('.');
    }
    s
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// XML text escaping (attribute-safe).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// RFC 822 date at a zone offset in minutes, or with the literal `GMT`.
fn rfc822(unix: i64, offset_mins: i32, gmt: bool) -> String {
    let utc = DateTime::<Utc>::from_timestamp(unix, 0).unwrap_or_default();
    if gmt {
        return utc.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    }
    match FixedOffset::east_opt(offset_mins * 60) {
        Some(zone) => utc
            .with_timezone(&zone)
            .format("%a, %d %b %Y %H:%M:%S %z")
            .to_string(),
        None => utc.format("%a, %d %b %Y %H:%M:%S +0000").to_string(),
    }
}

fn rfc3339(unix: i64, offset_mins: i32) -> String {
    let utc = DateTime::<Utc>::from_timestamp(unix, 0).unwrap_or_default();
    match FixedOffset::east_opt(offset_mins * 60) {
        Some(zone) if offset_mins != 0 => utc
            .with_timezone(&zone)
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        _ => utc.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    }
}

/// Vocabulary for titles and bodies: a few hundred common news words,
/// a few with non-ASCII letters.
const WORDS: &str = "government minister election council budget policy market economy inflation growth \
     company shares investor profit report survey study research university school \
     student teacher hospital doctor patient health vaccine climate weather storm flood \
     drought energy power solar wind nuclear oil gas price cost tax wage worker union \
     strike court judge trial police crime security border migration refugee war peace \
     talks treaty summit leader president senator party vote campaign poll debate law \
     bill reform plan project city village region country nation state province capital \
     river coast mountain island forest farm farmer harvest food water housing rent bank \
     loan credit debt trade export import tariff deal agreement contract technology \
     software internet network data privacy platform startup founder engineer scientist \
     space rocket satellite planet telescope discovery museum artist music film festival \
     theatre novel author book library sport football match season coach player team \
     league final record medal olympic train rail airport flight airline road traffic \
     bridge tunnel port ship cargo factory industry steel car electric battery charging \
     emissions carbon pollution recycling waste ocean fishing wildlife species park \
     tourism hotel restaurant chef holiday family children parents elderly pension \
     welfare benefit insurance claim lawsuit regulator agency official spokesman \
     spokeswoman statement announcement interview analysis opinion editorial critics \
     supporters protest rally crowd march demand response crisis emergency rescue fire \
     earthquake volunteer charity donation fund grant program initiative strategy target \
     goal progress delay setback failure success victory defeat challenge risk warning \
     threat attack defence army navy soldier veteran history anniversary ceremony \
     tradition culture language religion church community neighbourhood resident local \
     national global international european african asian american pacific northern \
     southern eastern western rural urban annual monthly weekly daily early late new old \
     major minor key rare sharp steady slow rapid strong weak higher lower rising falling \
     expected surprise unexpected first second third last next says said warns plans \
     faces wins loses rejects approves announces launches opens closes cuts raises boosts \
     blocks backs joins leaves returns seeks calls urges denies confirms reveals shows \
     finds the a of in on for with after before over under amid despite against as and \
     but while its their this that more less than about into from by at to will could \
     would may has have had is are was were been café naïve façade über résumé Zürich São \
     Kraków";

fn words() -> &'static [&'static str] {
    static LIST: OnceLock<Vec<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| WORDS.split_whitespace().collect())
}
