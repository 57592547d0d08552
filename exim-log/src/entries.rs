//! Splitting a reject log or panic log buffer into entries: an entry is a line
//! that starts with a timestamp plus the lines after it that do not (spec
//! §10.1: "There is no end marker: the next line that starts with a timestamp
//! begins a new entry"; §10.2 for the indented configuration-error detail).

use crate::error::ParseError;
use crate::line::{LogLine, parse_line, trim_line_ending};

/// True when `line` starts with `YYYY-MM-DD HH:MM:SS` (spec §1.1): the shape
/// check only; [`crate::parse_line`] validates the values. This is how
/// [`crate::rejectlog::RejectLog`] and [`crate::paniclog::PanicLog`] find where an
/// entry begins (§10.1).
///
/// ```
/// use exim_log::starts_entry;
/// assert!(starts_entry(b"2024-05-25 11:10:28 H=(helo) [192.0.2.1] rejected RCPT"));
/// assert!(starts_entry(b"2024-13-99 99:99:99 the shape is enough"));
/// assert!(!starts_entry(b"Envelope-from: <a@example.com>"));
/// assert!(!starts_entry(b"  Subject: 2024-05-25 11:10:28"));
/// ```
pub fn starts_entry(line: &[u8]) -> bool {
    const SHAPE: &[u8; 19] = b"0000-00-00 00:00:00";
    line.len() >= SHAPE.len()
        && line.iter().zip(SHAPE).all(|(b, s)| {
            if *s == b'0' {
                b.is_ascii_digit()
            } else {
                b == s
            }
        })
}

/// One entry: its byte range in the buffer, the first line (no line ending) and
/// the continuation lines after it (no final line ending; may be empty).
pub(crate) struct RawEntry<'a> {
    pub offset: usize,
    pub first: &'a [u8],
    pub rest: &'a [u8],
    pub raw: &'a [u8],
}

impl<'a> RawEntry<'a> {
    /// The first line parsed as a main log line; an error's offset is counted
    /// from the start of the buffer.
    pub fn parse_first(&self) -> Result<LogLine<'a>, ParseError> {
        parse_line(self.first).map_err(|err| ParseError::new(err.kind, err.offset + self.offset))
    }
}

/// Iterator over the entries of a buffer.
#[derive(Clone, Debug)]
pub(crate) struct Entries<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Entries<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Entries { buf, pos: 0 }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = RawEntry<'a>;

    fn next(&mut self) -> Option<RawEntry<'a>> {
        let start = self.pos;
        let rest = self.buf.get(start..)?;
        if rest.is_empty() {
            return None;
        }
        let first_end = memchr::memchr(b'\n', rest).map_or(rest.len(), |p| p + 1);
        // The entry runs until the next line that starts an entry.
        let mut end = first_end;
        while let Some(line) = rest.get(end..).filter(|l| !l.is_empty()) {
            if starts_entry(line) {
                break;
            }
            end += memchr::memchr(b'\n', line).map_or(line.len(), |p| p + 1);
        }
        self.pos = start + end;
        let first = trim_line_ending(rest.get(..first_end).unwrap_or_default());
        let more = trim_line_ending(rest.get(first_end..end).unwrap_or_default());
        Some(RawEntry {
            offset: start,
            first,
            rest: more,
            raw: trim_line_ending(rest.get(..end).unwrap_or_default()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_timestamped_lines() {
        let buf = b"2024-05-25 10:00:00 a\n  more\n\tand more\n2024-05-25 10:00:01 b\n2024-05-25 10:00:02 c";
        let e: Vec<_> = Entries::new(buf)
            .map(|e| (e.offset, e.first, e.rest))
            .collect();
        assert_eq!(
            e,
            [
                (0, &b"2024-05-25 10:00:00 a"[..], &b"  more\n\tand more"[..]),
                (39, &b"2024-05-25 10:00:01 b"[..], &b""[..]),
                (61, &b"2024-05-25 10:00:02 c"[..], &b""[..]),
            ]
        );
        assert!(starts_entry(b"2024-05-25 10:00:00"));
        assert!(!starts_entry(b"2024-05-25 10:00"));
        assert!(!starts_entry(b"Envelope-from: <a@b>"));
        assert_eq!(Entries::new(b"").count(), 0);
    }
}
