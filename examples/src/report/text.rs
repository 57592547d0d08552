//! Plain-text output: aligned tables and human sizes. Hand-written, so the
//! programs need no table crate.

use std::io::{self, Write};

/// How a column is aligned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Numbers.
    Right,
    /// Names.
    Left,
}

/// A table printed with its columns padded to their widest cell. The last
/// column is never padded, so long names do not push trailing blanks.
#[derive(Clone, Debug)]
pub struct Table {
    columns: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Table {
            columns: columns.iter().map(|(h, a)| (h.to_string(), *a)).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are blank, extra cells ignored).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// True when no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Writes the header and the rows, each line indented by two spaces.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let n = self.columns.len();
        let mut widths: Vec<usize> = self
            .columns
            .iter()
            .map(|(h, _)| h.chars().count())
            .collect();
        for r in &self.rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let header: Vec<String> = self.columns.iter().map(|(h, _)| h.clone()).collect();
        for cells in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::from(" ");
            for (i, ((_, align), w)) in self.columns.iter().zip(&widths).enumerate() {
                let cell = cells.get(i).map_or("", String::as_str);
                let pad = w.saturating_sub(cell.chars().count());
                line.push(' ');
                match align {
                    Align::Right => {
                        line.extend(std::iter::repeat_n(' ', pad));
                        line.push_str(cell);
                    }
                    Align::Left => {
                        line.push_str(cell);
                        if i + 1 < n {
                            line.extend(std::iter::repeat_n(' ', pad));
                        }
                    }
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// A byte count for people: `812`, `4.5K`, `2.3M`, `1.1G` (powers of 1024).
pub fn bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")];
    for (size, unit) in UNITS {
        if n >= size {
            return format!("{:.1}{unit}", n as f64 / size as f64);
        }
    }
    n.to_string()
}

/// A section title followed by a rule of its length.
pub fn heading(out: &mut dyn Write, title: &str) -> io::Result<()> {
    writeln!(out, "\n{title}\n{}", "-".repeat(title.chars().count()))
}

/// The closing note of a report whose tables dropped light entries to bound
/// memory (`approximate`); nothing otherwise.
pub fn trimmed_note(out: &mut dyn Write, approximate: bool) -> io::Result<()> {
    if approximate {
        writeln!(
            out,
            "\n(tables were trimmed to bound memory: counts are lower bounds)"
        )?;
    }
    Ok(())
}

/// The closing notes of a report that kept to its memory budget
/// ([`trimmed_note`], [`truncated_note`]).
pub fn bounds_notes(
    out: &mut dyn Write,
    bounds: &exim_log::report::bounded::Bounds,
) -> io::Result<()> {
    trimmed_note(out, bounds.approximate)?;
    truncated_note(out, bounds.truncated_keys)
}

/// The closing note of a report whose keys were cut to bound memory (each
/// long key counted under its first bytes, marked `...[truncated]`);
/// nothing otherwise.
pub fn truncated_note(out: &mut dyn Write, truncated_keys: u64) -> io::Result<()> {
    if truncated_keys > 0 {
        writeln!(
            out,
            "({truncated_keys} updates were counted under keys cut to 256 bytes, marked ...[truncated])"
        )?;
    }
    Ok(())
}

/// A text cut to `max` characters, with `...` when cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(3)).collect();
    out.push_str("...");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let mut t = Table::new(&[
            ("count", Align::Right),
            ("name", Align::Left),
            ("last", Align::Left),
        ]);
        t.row(vec!["7".into(), "a".into(), "x".into()]);
        t.row(vec!["1234".into(), "longer".into()]);
        let mut out = Vec::new();
        t.write(&mut out).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8(out).unwrap_or_default();
        assert_eq!(
            text,
            "  count name   last\n      7 a      x\n   1234 longer\n"
        );
    }

    #[test]
    fn sizes_and_clipping() {
        assert_eq!(bytes(812), "812");
        assert_eq!(bytes(4608), "4.5K");
        assert_eq!(bytes(3 << 20), "3.0M");
        assert_eq!(clip("abcdef", 5), "ab...");
        assert_eq!(clip("abc", 5), "abc");
    }
}
