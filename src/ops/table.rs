//! Plain aligned text tables for terminal output.

use std::io::Write;

/// Writes rows under a header, each column padded to its widest cell.
/// The last column is never padded, so long URLs or titles do not push
/// trailing spaces. Colour codes in a cell take no width.
pub fn write_table(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| visible_width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(visible_width(cell));
        }
    }
    let line =
        |out: &mut dyn Write, cells: &mut dyn Iterator<Item = &str>| -> std::io::Result<()> {
            let cells: Vec<&str> = cells.collect();
            let last = cells.len().saturating_sub(1);
            for (i, cell) in cells.iter().enumerate() {
                if i == last {
                    write!(out, "{cell}")?;
                } else {
                    let pad = widths[i].saturating_sub(visible_width(cell));
                    write!(out, "{cell}{:pad$}  ", "")?;
                }
            }
            writeln!(out)
        };
    line(out, &mut header.iter().copied())?;
    for row in rows {
        line(out, &mut row.iter().map(String::as_str))?;
    }
    Ok(())
}

/// Characters of `s` a terminal shows: ANSI SGR sequences (`ESC [ .. m`)
/// are skipped.
pub fn visible_width(s: &str) -> usize {
    let mut width = 0;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // Parameters up to the final letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            width += 1;
        }
    }
    width
}

/// Shortens `s` to at most `max` characters, marking the cut with `…`.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align() {
        let mut out = Vec::new();
        write_table(
            &mut out,
            &["id", "url"],
            &[
                vec!["1".into(), "https://a".into()],
                vec!["22".into(), "b".into()],
            ],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id  url\n1   https://a\n22  b\n"
        );
    }

    #[test]
    fn colour_codes_take_no_width() {
        assert_eq!(visible_width("\x1b[33mfailing\x1b[0m"), 7);
        let mut out = Vec::new();
        write_table(
            &mut out,
            &["state", "id"],
            &[
                vec!["\x1b[31mgone\x1b[0m".into(), "1".into()],
                vec!["failing".into(), "2".into()],
            ],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "state    id\n\x1b[31mgone\x1b[0m     1\nfailing  2\n"
        );
    }

    #[test]
    fn truncates_on_char_boundary() {
        assert_eq!(truncate("Привет мир", 7), "Привет…");
        assert_eq!(truncate("short", 10), "short");
    }
}
