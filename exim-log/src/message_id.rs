//! Exim message ids (`local_scan.h` `MESSAGE_ID_*`; spec "Message identification").

use std::fmt;

use serde::{Serialize, Serializer};

/// Which of Exim's two message-id layouts an id uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdFormat {
    /// 16 characters `TTTTTT-PPPPPP-SS`, Exim 4.96 and earlier.
    Old,
    /// 23 characters `TTTTTT-PPPPPPPPPPP-SSSS`, Exim 4.97 and later.
    New,
}

/// A validated Exim message id, borrowed from the input.
///
/// Both layouts are accepted, because a 4.97+ Exim still delivers old-format
/// spool files and one log can hold both. The id encodes when reception started
/// and the receiving process, in base 62 (`[0-9A-Za-z]`).
///
/// ```
/// use exim_log::MessageId;
/// let id = MessageId::parse(b"1sAoM5-00000009r3p-06vq").unwrap();
/// assert_eq!(id.as_str(), "1sAoM5-00000009r3p-06vq");
/// assert_eq!(id.time(), 1_716_631_825); // 2024-05-25 10:10:25 UTC
/// assert!(MessageId::parse(b"1neFfG-000Bu6-U9").is_some());
/// assert!(MessageId::parse(b"1neFfG-000Bu6-U").is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId<'a>(&'a str);

impl<'a> MessageId<'a> {
    /// Parses exactly one id (the whole input must be the id).
    pub fn parse(bytes: &'a [u8]) -> Option<Self> {
        // Positions of the two dashes; checked first because they reject most
        // non-ids (this runs on every log line).
        let (d1, d2) = match bytes.len() {
            16 => (6, 13),
            23 => (6, 18),
            _ => return None,
        };
        if bytes.get(d1) != Some(&b'-') || bytes.get(d2) != Some(&b'-') {
            return None;
        }
        let (t, rest) = bytes.split_at(d1);
        let (p, rest) = rest.split_at(d2 - d1);
        let alnum = |s: &[u8]| s.iter().all(u8::is_ascii_alphanumeric);
        if !(alnum(t)
            && alnum(p.get(1..).unwrap_or_default())
            && alnum(rest.get(1..).unwrap_or_default()))
        {
            return None;
        }
        // All bytes are ASCII, so this cannot fail.
        std::str::from_utf8(bytes).ok().map(MessageId)
    }

    /// Finds an id at the start of `input`: the id must be followed by the end of
    /// the input or by a byte that cannot be part of an id.
    pub fn parse_prefix(input: &'a [u8]) -> Option<(Self, &'a [u8])> {
        // The dash after the pid part tells the layout; checking it first keeps
        // this cheap on the many lines that start with no id at all.
        for (len, dash) in [(23, 18), (16, 13)] {
            if input.get(dash) != Some(&b'-') {
                continue;
            }
            let rest = input.get(len..).unwrap_or_default();
            let boundary = rest
                .first()
                .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'-'));
            if boundary && let Some(id) = input.get(..len).and_then(MessageId::parse) {
                return Some((id, rest));
            }
        }
        None
    }

    /// The id as text.
    pub const fn as_str(&self) -> &'a str {
        self.0
    }

    /// Old (16-char) or new (23-char) layout.
    pub fn format(&self) -> IdFormat {
        if self.0.len() == 16 {
            IdFormat::Old
        } else {
            IdFormat::New
        }
    }

    fn part(&self, i: usize) -> &'a str {
        self.0.split('-').nth(i).unwrap_or_default()
    }

    /// Reception start time encoded in the id, in seconds since the Unix epoch.
    pub fn time(&self) -> u64 {
        base62(self.part(0))
    }

    /// Process id of the receiving Exim process, as encoded in the id.
    pub fn pid(&self) -> u64 {
        base62(self.part(1))
    }

    /// The last part: the sub-second fraction, which also carries `localhost_number`.
    pub fn fraction(&self) -> u64 {
        base62(self.part(2))
    }
}

/// Decodes base 62 digits `0-9A-Za-z` (saturating, so hostile input cannot overflow).
fn base62(s: &str) -> u64 {
    s.bytes().fold(0u64, |acc, b| {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'A'..=b'Z' => b - b'A' + 10,
            b'a'..=b'z' => b - b'a' + 36,
            _ => 0,
        };
        acc.saturating_mul(62).saturating_add(u64::from(d))
    })
}

impl fmt::Debug for MessageId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({})", self.0)
    }
}

impl fmt::Display for MessageId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for MessageId<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_both_formats_and_rejects_near_misses() {
        let cases: &[(&str, Option<IdFormat>)] = &[
            ("1sAoM5-00000009r3p-06vq", Some(IdFormat::New)),
            ("10HmaX-000000005vi-0000", Some(IdFormat::New)),
            ("1FZ8zt-0005lz-E7", Some(IdFormat::Old)),
            ("1FZ8zt-0005lz-E", None),
            ("1FZ8zt_0005lz-E7", None),
            ("1FZ8zt-0005l!-E7", None),
            ("1sAoM5-00000009r3p-06v\u{e9}", None),
            ("", None),
        ];
        for (s, want) in cases {
            assert_eq!(
                MessageId::parse(s.as_bytes()).map(|i| i.format()),
                *want,
                "{s}"
            );
        }
    }

    #[test]
    fn decodes_time_and_pid() {
        // 1FZ8zt = 1146153941 = 2006-04-27T16:05:41Z; 0005lz = 5*62^2 + 47*62 + 61.
        let id = MessageId::parse(b"1FZ8zt-0005lz-E7").unwrap();
        assert_eq!(id.time(), 1_146_153_941);
        assert_eq!(id.pid(), 5 * 62 * 62 + 47 * 62 + 61);
        assert_eq!(id.fraction(), 14 * 62 + 7);
    }

    #[test]
    fn prefix_needs_a_boundary() {
        assert!(MessageId::parse_prefix(b"1FZ8zt-0005lz-E7 <= x").is_some());
        assert!(MessageId::parse_prefix(b"1FZ8zt-0005lz-E7x <= x").is_none());
        let (id, rest) = MessageId::parse_prefix(b"10HmaX-000000005vi-0000 Completed").unwrap();
        assert_eq!(id.format(), IdFormat::New);
        assert_eq!(rest, b" Completed");
    }
}
