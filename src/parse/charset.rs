//! Turns a feed body's raw bytes into UTF-8 text before any XML parser sees it.
//!
//! feed-rs ignores the HTTP `charset=` and trusts the XML declaration: one
//! stray Latin-1 byte in an undeclared document fails the whole feed with a
//! misleading "no root element", and already-decoded text is garbled again
//! when the declaration names a legacy charset. So it is decided here, once:
//!
//! 1. a byte-order mark (always right when present);
//! 2. the HTTP `charset=`, then the declaration's `encoding=`, each skipped
//!    when the bytes contradict it: "UTF-8" on bytes that are not (a server
//!    default over pasted Windows-1252 text), "UTF-16" on a declaration that
//!    was readable as ASCII. A legacy label on valid UTF-8 with multi-byte
//!    sequences is a mislabel (the `ISO-8859-1` default of old Apache and PHP
//!    setups) and read as UTF-8: legacy text is almost never valid UTF-8;
//! 3. without a usable label: UTF-8 when valid, UTF-8 with the stray bytes
//!    read as Windows-1252 when the document is mostly UTF-8, else
//!    `chardetng`'s guess.
//!
//! The declaration is then rewritten to say UTF-8, so the parser does not
//! decode the text a second time.

use encoding_rs::{Encoding, ISO_2022_JP, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use std::borrow::Cow;

/// How far into the body the XML declaration may end. Declarations are short;
/// this only bounds the search on bodies that are not XML at all.
const DECL_SEARCH_LIMIT: usize = 512;

/// Decodes `body` to UTF-8 using its BOM, the `charset=` of `content_type`,
/// its XML declaration or detection, and rewrites the declaration to say
/// UTF-8. Returns the text (borrowed when the bytes were already usable
/// UTF-8) and the encoding the bytes were read as.
pub fn decode_to_utf8<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
) -> (Cow<'a, str>, &'static Encoding) {
    decode_with_tld_hint(body, content_type, None)
}

/// [`decode_to_utf8`] with the document's top-level domain (lower-case ASCII,
/// no dot) as a hint for detection: `ru` makes Windows-1251 likelier than
/// KOI8-R, `jp` Shift_JIS likelier than GBK.
pub(super) fn decode_with_tld_hint<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
    tld: Option<&str>,
) -> (Cow<'a, str>, &'static Encoding) {
    let (text, encoding) = decode(body, content_type, tld);
    (rewrite_declaration(text), encoding)
}

fn decode<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
    tld: Option<&str>,
) -> (Cow<'a, str>, &'static Encoding) {
    if let Some((encoding, bom_len)) = Encoding::for_bom(body) {
        let (text, _) = encoding.decode_without_bom_handling(&body[bom_len..]);
        return (text, encoding);
    }
    // Checked before UTF-8 validity: UTF-16 text of ASCII and Cyrillic is
    // also valid UTF-8, full of NULs.
    if let Some(encoding) = sniff_utf16(body) {
        return (encoding.decode_without_bom_handling(body).0, encoding);
    }
    let utf8 = std::str::from_utf8(body).ok();
    let labels = [content_type.and_then(http_charset), declared_encoding(body)];
    for encoding in labels.into_iter().flatten() {
        if let Some(decoded) = decode_as_labelled(body, utf8, encoding) {
            return decoded;
        }
    }
    if let Some(text) = utf8 {
        return (Cow::Borrowed(text), UTF_8);
    }
    if mostly_utf8(body) {
        return (Cow::Owned(repair_mixed_utf8(body)), UTF_8);
    }
    let encoding = detect(body, tld);
    (encoding.decode_without_bom_handling(body).0, encoding)
}

/// Decodes with a label from HTTP or the declaration, or returns `None` when
/// the bytes show the label is wrong and the next clue should be tried.
fn decode_as_labelled<'a>(
    body: &'a [u8],
    utf8: Option<&'a str>,
    encoding: &'static Encoding,
) -> Option<(Cow<'a, str>, &'static Encoding)> {
    if encoding == UTF_16LE || encoding == UTF_16BE {
        // The bytes did not look like UTF-16 (see `sniff_utf16`), and a
        // declaration readable as ASCII cannot be UTF-16.
        return None;
    }
    if encoding == UTF_8 {
        return utf8.map(|text| (Cow::Borrowed(text), UTF_8));
    }
    if !encoding.is_ascii_compatible() && encoding != ISO_2022_JP {
        // `replacement` (what labels like "iso-2022-kr" map to) would turn the
        // whole document into one U+FFFD.
        return None;
    }
    match utf8 {
        // Pure ASCII reads the same in every ASCII-compatible encoding
        // (ISO-2022-JP is ASCII bytes with escape sequences, so it is decoded).
        Some(text) if body.is_ascii() && encoding != ISO_2022_JP => {
            Some((Cow::Borrowed(text), encoding))
        }
        // Valid UTF-8 with multi-byte sequences under a legacy label is a mislabel.
        Some(text) => Some((Cow::Borrowed(text), UTF_8)),
        None => Some((encoding.decode_without_bom_handling(body).0, encoding)),
    }
}

/// The encoding named by a `charset=` parameter of a Content-Type value.
fn http_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        Encoding::for_label(value.as_bytes())
    })
}

/// The encoding named by the `encoding=` of an XML declaration at the start
/// of `body`, read as ASCII.
fn declared_encoding(body: &[u8]) -> Option<&'static Encoding> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &body[start..];
    if !rest.starts_with(b"<?xml") {
        return None;
    }
    let head = &rest[..rest.len().min(DECL_SEARCH_LIMIT)];
    let end = find(head, b"?>")?;
    let label = encoding_attribute(&head[..end])?;
    Encoding::for_label(label)
}

/// The value of `encoding = "..."` inside an XML declaration, spaces allowed
/// around `=` (seen in the wild, e.g. US National Weather Service feeds).
fn encoding_attribute(decl: &[u8]) -> Option<&[u8]> {
    let at = find(decl, b"encoding")?;
    let rest = decl[at + b"encoding".len()..].trim_ascii_start();
    let rest = rest.strip_prefix(b"=")?.trim_ascii_start();
    let quote = *rest.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &rest[1..];
    let end = value.iter().position(|&b| b == quote)?;
    Some(value[..end].trim_ascii())
}

/// UTF-16 without a BOM, recognised by the zero byte of an ASCII `<` or
/// whitespace at the start.
fn sniff_utf16(body: &[u8]) -> Option<&'static Encoding> {
    match body {
        [0, b, ..] if *b != 0 => Some(UTF_16BE),
        [b, 0, ..] if *b != 0 => Some(UTF_16LE),
        _ => None,
    }
}

/// Whether invalid UTF-8 is the exception in `body`: at least as many valid
/// multi-byte characters as invalid sequences. That is a UTF-8 document with
/// some pasted Windows-1252 text, which detection would get wrong as a whole.
fn mostly_utf8(body: &[u8]) -> bool {
    let (mut multibyte, mut invalid) = (0usize, 0usize);
    for chunk in body.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    multibyte >= invalid && multibyte > 0
}

/// Keeps the valid UTF-8 of `body` and reads each invalid byte as Windows-1252.
fn repair_mixed_utf8(body: &[u8]) -> String {
    let mut text = String::with_capacity(body.len() + 16);
    for chunk in body.utf8_chunks() {
        text.push_str(chunk.valid());
        text.push_str(&WINDOWS_1252.decode_without_bom_handling(chunk.invalid()).0);
    }
    text
}

fn detect(body: &[u8], tld: Option<&str>) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(body, true);
    // chardetng panics on a TLD with dots, upper case or non-ASCII.
    let tld = tld.filter(|t| t.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9')));
    detector.guess(tld.map(str::as_bytes), chardetng::Utf8Detection::Deny)
}

/// Replaces an XML declaration that names an encoding other than UTF-8 with
/// one that says UTF-8, so feed-rs does not decode the text a second time.
pub(super) fn rewrite_declaration(text: Cow<'_, str>) -> Cow<'_, str> {
    let start = text.len() - text.trim_start().len();
    let rest = &text[start..];
    if !rest.starts_with("<?xml") {
        return text;
    }
    let head = &rest[..super::floor_char_boundary(rest, DECL_SEARCH_LIMIT)];
    let Some(end) = head.find("?>") else {
        return text;
    };
    let declares_other = encoding_attribute(&head.as_bytes()[..end])
        .is_some_and(|label| Encoding::for_label(label) != Some(UTF_8));
    if !declares_other {
        return text;
    }
    let body = &rest[end + 2..];
    let mut rewritten = String::with_capacity(body.len() + 40);
    rewritten.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    rewritten.push_str(body);
    Cow::Owned(rewritten)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{WINDOWS_1251, WINDOWS_1252};

    const RUSSIAN: &str = "Новости дня: правительство объявило о реформе";

    fn owned((text, encoding): (Cow<'_, str>, &'static Encoding)) -> (String, &'static Encoding) {
        (text.into_owned(), encoding)
    }

    fn cp1251(text: &str) -> Vec<u8> {
        WINDOWS_1251.encode(text).0.into_owned()
    }

    #[test]
    fn plain_utf8_is_borrowed_not_copied() {
        let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss>Café</rss>".as_bytes();
        let (text, encoding) = decode_to_utf8(body, Some("application/rss+xml"));
        assert!(matches!(text, Cow::Borrowed(_)));
        assert_eq!(encoding, UTF_8);
        assert!(text.contains("Café"));
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let mut body = vec![0xEF, 0xBB, 0xBF];
        body.extend_from_slice("<rss>Café</rss>".as_bytes());
        let (text, encoding) = decode_to_utf8(&body, None);
        assert_eq!(encoding, UTF_8);
        assert_eq!(text, "<rss>Café</rss>");
    }

    #[test]
    fn utf16le_bom_wins_and_declaration_is_rewritten() {
        let doc = format!("<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss>{RUSSIAN}</rss>");
        let mut body = vec![0xFF, 0xFE];
        body.extend(doc.encode_utf16().flat_map(u16::to_le_bytes));
        let (text, encoding) = decode_to_utf8(&body, Some("text/xml; charset=iso-8859-1"));
        assert_eq!(encoding, UTF_16LE);
        assert!(text.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
        assert!(text.contains(RUSSIAN));
    }

    #[test]
    fn utf16le_without_bom_is_sniffed() {
        let doc = format!("<rss>{RUSSIAN}</rss>");
        let body: Vec<u8> = doc.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let (text, encoding) = decode_to_utf8(&body, None);
        assert_eq!(encoding, UTF_16LE);
        assert_eq!(text, doc);
    }

    #[test]
    fn http_charset_windows_1251_gives_cyrillic() {
        let body = cp1251(&format!("<rss><title>{RUSSIAN}</title></rss>"));
        let (text, encoding) =
            decode_to_utf8(&body, Some("application/rss+xml; charset=\"Windows-1251\""));
        assert_eq!(encoding, WINDOWS_1251);
        assert!(text.contains(RUSSIAN), "{text}");
    }

    #[test]
    fn xml_declared_windows_1251_gives_cyrillic_and_says_utf8_afterwards() {
        let doc =
            format!("<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<rss>{RUSSIAN}</rss>");
        let (text, encoding) = owned(decode_to_utf8(&cp1251(&doc), Some("text/xml")));
        assert_eq!(encoding, WINDOWS_1251);
        assert!(text.contains(RUSSIAN));
        assert!(!text.contains("windows-1251"));
        assert!(text.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
    }

    #[test]
    fn http_charset_wins_over_xml_declaration() {
        let doc = format!("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss>{RUSSIAN}</rss>");
        let (text, encoding) = owned(decode_to_utf8(
            &cp1251(&doc),
            Some("text/xml; charset=windows-1251"),
        ));
        assert_eq!(encoding, WINDOWS_1251);
        assert!(text.contains(RUSSIAN));
    }

    #[test]
    fn http_utf8_on_non_utf8_bytes_falls_back_to_the_declaration() {
        // Servers often send a blanket "charset=utf-8" for every file.
        let doc = format!("<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss>{RUSSIAN}</rss>");
        let (text, encoding) = owned(decode_to_utf8(
            &cp1251(&doc),
            Some("text/xml; charset=utf-8"),
        ));
        assert_eq!(encoding, WINDOWS_1251);
        assert!(text.contains(RUSSIAN));
    }

    #[test]
    fn declared_utf8_with_a_stray_latin1_byte_keeps_the_text() {
        let mut body = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss><title>Caf".to_vec();
        body.push(0xE9);
        body.extend_from_slice(b" de Paris</title></rss>");
        let (text, _) = decode_to_utf8(&body, None);
        assert!(text.contains("<title>Café de Paris</title>"), "{text}");
    }

    #[test]
    fn mostly_utf8_with_a_pasted_cp1252_quote_keeps_both() {
        // A CMS template in UTF-8 around one paragraph pasted from Word.
        let mut body = "<rss><title>Ünïcödé — “ok”</title><p>it"
            .as_bytes()
            .to_vec();
        body.push(0x92); // Windows-1252 right single quote
        body.extend_from_slice(b"s</p></rss>");
        let (text, encoding) = decode_to_utf8(&body, None);
        assert_eq!(encoding, UTF_8);
        assert!(text.contains("Ünïcödé — “ok”"), "{text}");
        assert!(text.contains("it’s"), "{text}");
    }

    #[test]
    fn undeclared_latin1_is_detected() {
        let doc = "<rss><title>Jornal de Notícias - Últimas Notícias</title>\
                   <description>A seleção portuguesa venceu o jogo e os adeptos \
                   celebraram até de manhã na praça.</description></rss>";
        let body = WINDOWS_1252.encode(doc).0.into_owned();
        assert!(std::str::from_utf8(&body).is_err());
        let (text, encoding) = decode_to_utf8(&body, None);
        assert_eq!(encoding, WINDOWS_1252);
        assert_eq!(text, doc);
    }

    #[test]
    fn undeclared_windows_1251_is_detected_with_the_tld_hint() {
        let doc = format!("<rss><title>{RUSSIAN}</title><p>{RUSSIAN}</p></rss>");
        let (text, encoding) = owned(decode_with_tld_hint(&cp1251(&doc), None, Some("ru")));
        assert_eq!(encoding, WINDOWS_1251);
        assert_eq!(text, doc);
    }

    #[test]
    fn latin1_declared_but_utf8_bytes_is_read_as_utf8() {
        let doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss>Café São Paulo</rss>";
        let (text, encoding) = decode_to_utf8(doc.as_bytes(), Some("text/xml; charset=ISO-8859-1"));
        assert_eq!(encoding, UTF_8);
        assert!(text.contains("Café São Paulo"));
        assert!(
            !text.contains("ISO-8859-1"),
            "declaration must be rewritten: {text}"
        );
    }

    #[test]
    fn utf16_declaration_on_ascii_bytes_is_ignored() {
        let doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss>Café</rss>";
        let (text, encoding) = decode_to_utf8(doc.as_bytes(), None);
        assert_eq!(encoding, UTF_8);
        assert!(text.contains("Café"));
        assert!(!text.contains("UTF-16"));
    }

    #[test]
    fn declaration_with_spaces_around_equals_is_read() {
        let doc = format!("<?xml version = '1.0' encoding = 'windows-1251' ?><rss>{RUSSIAN}</rss>");
        let (text, encoding) = owned(decode_to_utf8(&cp1251(&doc), None));
        assert_eq!(encoding, WINDOWS_1251);
        assert!(text.contains(RUSSIAN));
    }

    #[test]
    fn replacement_labels_do_not_destroy_the_text() {
        let doc = "<?xml version=\"1.0\" encoding=\"iso-2022-kr\"?><rss>plain</rss>";
        let (text, _) = decode_to_utf8(doc.as_bytes(), None);
        assert!(text.contains("<rss>plain</rss>"));
    }
}
