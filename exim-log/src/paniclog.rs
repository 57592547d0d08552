//! The panic log (spec §10.2): main-log lines, some of which continue on the
//! following lines (`Exim configuration error in line 12 of /etc/exim.conf:`
//! then the detail indented by two spaces; any text with an embedded newline).
//!
//! ```
//! use exim_log::paniclog::PanicLog;
//! let log = b"2024-05-25 10:00:00 Exim configuration error in line 12 of /etc/exim/exim.conf:\n  missing quote at end of string value for hold_domains\n2024-05-25 10:00:05 appendfile transport process returned non-zero status 0x0100: exit code 1\n";
//! let e: Vec<_> = PanicLog::new(log).map(Result::unwrap).collect();
//! assert_eq!(e.len(), 2);
//! assert_eq!(e[0].detail.unwrap(), "missing quote at end of string value for hold_domains");
//! assert!(e[1].detail.is_none());
//! ```

use crate::entries::Entries;
use crate::error::ParseError;
use crate::line::LogLine;
use crate::text::Text;

/// One panic log entry: a log line and its continuation lines.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct PanicEntry<'a> {
    /// Byte offset of the entry in the buffer.
    pub offset: usize,
    /// The first line, parsed as a main log line.
    pub line: LogLine<'a>,
    /// The continuation lines, without the two-space indent of the first one
    /// (later lines keep theirs) and without the final line ending.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub detail: Option<Text<'a>>,
    /// The whole entry, without its final line ending.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub raw: Text<'a>,
}

/// Iterator over the entries of a panic log held in memory. An entry whose
/// first line is not a valid log line (text before the first timestamp) is an
/// `Err` with its byte offset, and iteration goes on.
#[derive(Clone, Debug)]
pub struct PanicLog<'a> {
    entries: Entries<'a>,
}

impl<'a> PanicLog<'a> {
    /// Iterates over the entries of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        PanicLog {
            entries: Entries::new(buf),
        }
    }
}

impl<'a> Iterator for PanicLog<'a> {
    type Item = Result<PanicEntry<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let e = self.entries.next()?;
        Some(e.parse_first().map(|line| {
            PanicEntry {
                offset: e.offset,
                line,
                detail: Some(e.rest.trim_ascii_start())
                    .filter(|d| !d.is_empty())
                    .map(Text::new),
                raw: Text::new(e.raw),
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_join_their_entry() {
        let log = b"2024-05-25 10:00:00 Exim configuration error in transport t1:\n  line one\n  line two\n2024-05-25 10:00:01 1sAoM5-00000009r3p-06vq Failed to expand return path\n";
        let e: Vec<_> = PanicLog::new(log).map(Result::unwrap).collect();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].detail.unwrap(), "line one\n  line two");
        assert_eq!(e[1].offset, 84);
        assert_eq!(
            e[1].line.message_id.unwrap().as_str(),
            "1sAoM5-00000009r3p-06vq"
        );
        let e = PanicLog::new(b"2024-05-25 10:00:00 x\n\n")
            .next()
            .unwrap()
            .unwrap();
        assert!(e.detail.is_none());
        let mut it = PanicLog::new(b"2024-05-25 10:00:00\n");
        assert_eq!(it.next().unwrap().unwrap_err().offset, 19);
    }
}
