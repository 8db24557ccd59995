//! Response bodies for the test server: fixture files from `tests/fixtures/`
//! and the hostile bodies that are generated rather than stored (a gzip bomb,
//! random bytes, an oversize feed), so the repository holds no 100 MB file.

use flate2::write::GzEncoder;
use flate2::{Compress, Compression, Crc, FlushCompress};
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Decompressed size of the gzip bomb: far above any sane body cap.
pub const BOMB_BYTES: usize = 100 * 1024 * 1024;

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The bytes of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// A UTF-8 fixture as text.
pub fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap_or_else(|e| panic!("fixture {name} is not UTF-8: {e}"))
}

/// Every fixture file name, sorted (files only: subdirectories such as
/// `syndication/` hold data for particular tests).
pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures exists")
        .map(|e| e.expect("readable fixtures dir"))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The Content-Type a publisher would send for a file, by its name. No
/// charset parameter: the documents declare their own encoding.
pub fn content_type_for(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("");
    match ext {
        "json" => "application/feed+json",
        "atom" => "application/atom+xml",
        "rdf" => "application/rdf+xml",
        "rss" => "application/rss+xml",
        "html" => "text/html; charset=utf-8",
        "opml" => "text/x-opml",
        _ if name.contains("atom") => "application/atom+xml",
        _ => "application/xml",
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).expect("gzip into memory");
    enc.finish().expect("gzip into memory")
}

/// [`BOMB_BYTES`] of zeros, gzipped (about 100 KB), built once per process.
pub fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| zeros_gzip(BOMB_BYTES))
}

/// Gzip of `total` zero bytes without compressing `total` bytes: after a
/// full flush the deflate stream is byte-aligned and has forgotten its
/// history, so every further 1 MiB chunk compresses to the same bytes and
/// can be repeated. Only the CRC has to see every byte.
fn zeros_gzip(total: usize) -> Vec<u8> {
    const CHUNK: usize = 1 << 20;
    assert_eq!(total % CHUNK, 0, "bomb size must be whole MiB");
    let zeros = vec![0u8; CHUNK];
    let mut c = Compress::new(Compression::best(), false);
    let first = deflate(&mut c, &zeros, FlushCompress::Full);
    let repeat = deflate(&mut c, &zeros, FlushCompress::Full);
    assert_eq!(
        repeat,
        deflate(&mut c, &zeros, FlushCompress::Full),
        "full-flush chunks repeat"
    );
    let finish = deflate(&mut c, &[], FlushCompress::Finish);
    let mut crc = Crc::new();
    for _ in 0..total / CHUNK {
        crc.update(&zeros);
    }
    // Fixed gzip header: magic, deflate, no flags, no mtime, unknown OS.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    out.extend_from_slice(&first);
    for _ in 1..total / CHUNK {
        out.extend_from_slice(&repeat);
    }
    out.extend_from_slice(&finish);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out
}

fn deflate(c: &mut Compress, input: &[u8], flush: FlushCompress) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 100 + 1024);
    let mut consumed = 0;
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(64 * 1024);
        }
        let before = c.total_in();
        c.compress_vec(&input[consumed..], &mut out, flush)
            .expect("deflate into memory");
        consumed += (c.total_in() - before) as usize;
        // Done when all input is in and the flush left spare room behind.
        if consumed == input.len() && out.capacity() - out.len() >= 1024 {
            return out;
        }
    }
}

/// Deterministic noise (xorshift64*), not a valid document in any format.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// A well-formed RSS 2.0 document of at least `len` bytes: a product without
/// a size cap would ingest thousands of items from it.
pub fn oversize_feed(len: usize) -> Vec<u8> {
    let mut s = String::with_capacity(len + 4096);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>");
    s.push_str("<title>Endless wire</title><link>https://wire.example.com/</link>");
    let filler = "Markets opened higher on Monday as investors weighed new data. ".repeat(12);
    let mut i = 0;
    while s.len() < len {
        s.push_str(&format!(
            "<item><title>Wire item {i}</title><link>https://wire.example.com/{i}</link>\
             <guid>wire-{i}</guid><description>{filler}</description></item>\n"
        ));
        i += 1;
    }
    s.push_str("</channel></rss>\n");
    s.into_bytes()
}

/// The document with its XML declaration's `encoding="..."` removed, so
/// only the HTTP Content-Type can tell the charset.
pub fn without_encoding_declaration(doc: &[u8]) -> Vec<u8> {
    let end = doc
        .windows(2)
        .position(|w| w == b"?>")
        .expect("document starts with an XML declaration");
    let decl = String::from_utf8(doc[..end].to_vec()).expect("ASCII declaration");
    let start = decl
        .find(" encoding=")
        .expect("declaration names an encoding");
    let mut out = decl.as_bytes()[..start].to_vec();
    out.extend_from_slice(&doc[end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn zeros_gzip_decodes_to_exactly_the_zeros() {
        let gz = zeros_gzip(3 << 20);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .expect("valid gzip");
        assert_eq!(out.len(), 3 << 20);
        assert!(out.iter().all(|&b| b == 0));
        assert!(gzip_bomb().len() < 1 << 20, "bomb is small on the wire");
    }

    #[test]
    fn encoding_declaration_is_removed() {
        let doc = b"<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<rss/>";
        assert_eq!(
            without_encoding_declaration(doc),
            b"<?xml version=\"1.0\"?>\n<rss/>".to_vec()
        );
    }
}
