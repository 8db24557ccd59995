//! The content fingerprint that tells an edited item from an unchanged one.
//!
//! The store compares `content_hash` with the stored value on every poll, so
//! it must change whenever anything a reader sees changes, and never
//! otherwise. Dates are deliberately left out: some feeds rewrite `pubDate`
//! (or `<updated>`) to the time of the request on every fetch, which would
//! make every item look edited on every poll.

use crate::model::Article;
use sha2::{Digest, Sha256};

/// Bumped whenever the set or encoding of hashed fields changes, so old and
/// new hashes can never collide by accident (every stored item will then
/// look edited once, which is the honest outcome).
const DOMAIN: &[u8] = b"feedsieve/content-hash/v1";

/// Digest bytes kept: 128 bits is far beyond what is needed to spot an edit
/// and halves the column.
const KEPT_BYTES: usize = 16;

/// Lowercase hex of the first 16 bytes of SHA-256 over title, url, summary,
/// content_html, text, authors, categories and enclosure URLs. Every field
/// is tagged and length-prefixed, so moving text from one field to the next
/// (or between list items) changes the hash.
pub(crate) fn content_hash(article: &Article) -> String {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    let fields = [
        &article.title,
        &article.url,
        &article.summary,
        &article.content_html,
        &article.text,
    ];
    for (tag, field) in (0u8..).zip(fields) {
        h.update([tag]);
        match field {
            Some(value) => {
                h.update([1]);
                put_str(&mut h, value);
            }
            None => h.update([0]),
        }
    }
    put_list(&mut h, 10, article.authors.iter().map(String::as_str));
    put_list(&mut h, 11, article.categories.iter().map(String::as_str));
    put_list(
        &mut h,
        12,
        article.enclosures.iter().map(|e| e.url.as_str()),
    );
    crate::model::hex(&h.finalize()[..KEPT_BYTES])
}

fn put_str(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

fn put_list<'a>(h: &mut Sha256, tag: u8, items: impl ExactSizeIterator<Item = &'a str>) {
    h.update([tag]);
    h.update((items.len() as u64).to_le_bytes());
    for item in items {
        put_str(h, item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Enclosure;
    use chrono::{TimeZone, Utc};

    fn article() -> Article {
        Article {
            title: Some("Title".into()),
            url: Some("https://x.test/a".into()),
            summary: Some("Sum".into()),
            text: Some("Body".into()),
            authors: vec!["A".into(), "B".into()],
            categories: vec!["c".into()],
            enclosures: vec![Enclosure {
                url: "https://x.test/a.mp3".into(),
                mime_type: Some("audio/mpeg".into()),
                length: Some(1),
            }],
            ..Article::default()
        }
    }

    #[test]
    fn hash_is_32_lowercase_hex_and_stable() {
        let h = content_hash(&article());
        assert_eq!(h.len(), 32);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(h, content_hash(&article()));
    }

    #[test]
    fn dates_guid_and_enclosure_metadata_do_not_change_hash() {
        let base = content_hash(&article());
        let mut a = article();
        a.published = Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap());
        a.updated_raw = Some("now".into());
        a.guid = Some("g".into());
        a.item_key = "k".into();
        a.enclosures[0].length = Some(99);
        assert_eq!(content_hash(&a), base);
    }

    #[test]
    fn moving_text_between_fields_changes_hash() {
        let mut a = article();
        a.title = Some("TitleSum".into());
        a.summary = Some(String::new());
        let mut b = article();
        b.title = Some("Title".into());
        b.summary = Some("Sum".into());
        assert_ne!(content_hash(&a), content_hash(&b));

        let mut c = article();
        c.authors = vec!["AB".into()];
        assert_ne!(content_hash(&c), content_hash(&article()));
        let mut d = article();
        d.summary = None;
        let mut e = article();
        e.summary = Some(String::new());
        assert_ne!(content_hash(&d), content_hash(&e));
    }

    #[test]
    fn any_visible_field_changes_hash() {
        let base = content_hash(&article());
        let edits: [fn(&mut Article); 6] = [
            |a| a.title = Some("Title!".into()),
            |a| a.url = None,
            |a| a.content_html = Some("<p>x</p>".into()),
            |a| a.text = Some("Body.".into()),
            |a| a.categories.push("d".into()),
            |a| a.enclosures[0].url.push('x'),
        ];
        for edit in edits {
            let mut a = article();
            edit(&mut a);
            assert_ne!(content_hash(&a), base);
        }
    }
}
