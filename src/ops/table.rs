//! Plain aligned text tables for terminal output.

use std::io::Write;

/// Writes rows under a header, each column padded to its widest cell.
/// The last column is never padded, so long URLs or titles do not push
/// trailing spaces.
pub fn write_table(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
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
                    write!(out, "{cell:<width$}  ", width = widths[i])?;
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
    fn truncates_on_char_boundary() {
        assert_eq!(truncate("Привет мир", 7), "Привет…");
        assert_eq!(truncate("short", 10), "short");
    }
}
