//! Exim message ids (`local_scan.h` `MESSAGE_ID_*`; spec "Message identification").

use std::fmt;
use std::hash::{Hash, Hasher};

#[cfg(feature = "serde")]
use serde::{Serialize, Serializer};

use crate::scan;

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
// Kept as bytes: turning them into `&str` at parse time cost a `from_utf8` on
// every line (callgrind; the count is in benches/README.md); `as_str` does it on demand.
pub struct MessageId<'a>(&'a [u8]);

impl<'a> MessageId<'a> {
    /// Parses exactly one id (the whole input must be the id).
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Option<Self> {
        // Positions of the two dashes; checked first because they reject most
        // non-ids (this runs on every log line). Then the other bytes must be
        // base-62 digits, checked 8 bytes at a time (`scan::alnum`); a dash
        // position is excused by setting its bit.
        let ok = match bytes.len() {
            16 => {
                bytes.get(6) == Some(&b'-')
                    && bytes.get(13) == Some(&b'-')
                    && scan::alnum(word_at(bytes, 0)) | scan::byte_bit(6) == scan::HIGH
                    && scan::alnum(word_at(bytes, 8)) | scan::byte_bit(13 - 8) == scan::HIGH
            }
            23 => {
                bytes.get(6) == Some(&b'-')
                    && bytes.get(18) == Some(&b'-')
                    && scan::alnum(word_at(bytes, 0)) | scan::byte_bit(6) == scan::HIGH
                    && scan::alnum(word_at(bytes, 8)) == scan::HIGH
                    // Bytes 15..23 overlap the previous word; that is harmless.
                    && scan::alnum(word_at(bytes, 15)) | scan::byte_bit(18 - 15) == scan::HIGH
            }
            _ => false,
        };
        ok.then_some(MessageId(bytes))
    }

    /// Finds an id at the start of `input`: the id must be followed by the end of
    /// the input or by a byte that cannot be part of an id.
    #[inline]
    pub fn parse_prefix(input: &'a [u8]) -> Option<(Self, &'a [u8])> {
        // The dash after the pid part tells the layout; checking it first keeps
        // this cheap on the many lines that start with no id at all.
        if input.get(18) == Some(&b'-')
            && let Some(found) = Self::prefix_of_len(input, 23)
        {
            return Some(found);
        }
        if input.get(13) == Some(&b'-') {
            return Self::prefix_of_len(input, 16);
        }
        None
    }

    /// An id of exactly `len` bytes at the start of `input`, followed by a boundary.
    #[inline(always)]
    fn prefix_of_len(input: &'a [u8], len: usize) -> Option<(Self, &'a [u8])> {
        let (id, rest) = input.split_at_checked(len)?;
        let boundary = rest
            .first()
            .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'-'));
        if !boundary {
            return None;
        }
        MessageId::parse(id).map(|id| (id, rest))
    }

    /// The id as text.
    pub const fn as_str(&self) -> &'a str {
        match std::str::from_utf8(self.0) {
            Ok(s) => s,
            // Unreachable: `parse` accepts ASCII only.
            Err(_) => "",
        }
    }

    /// The id as bytes, as logged (no UTF-8 check: the cheapest way to compare ids).
    pub const fn as_bytes(&self) -> &'a [u8] {
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

    fn part(&self, i: usize) -> &'a [u8] {
        self.0.split(|b| *b == b'-').nth(i).unwrap_or_default()
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

/// The 8 bytes at `at`; 0, which has no alphanumeric byte, when fewer are left.
/// A message id held by value, without an allocation: the key of the
/// assembler's table of messages in flight, looked up several times a line.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct IdBuf {
    len: u8,
    bytes: [u8; 23],
}

impl IdBuf {
    /// The id's bytes (at most 23, the longer id format), or `None`.
    pub(crate) fn new(id: &[u8]) -> Option<Self> {
        let mut bytes = [0; 23];
        bytes.get_mut(..id.len())?.copy_from_slice(id);
        Some(IdBuf {
            len: u8::try_from(id.len()).ok()?,
            bytes,
        })
    }

    /// The id, typed (made only from ids that parsed as one).
    pub(crate) fn id(&self) -> MessageId<'_> {
        MessageId(self.bytes.get(..usize::from(self.len)).unwrap_or_default())
    }

    /// The id's length in bytes (what it costs to hold, counted per line).
    pub(crate) fn byte_len(&self) -> usize {
        usize::from(self.len)
    }

    /// The id as text (ids are ASCII; `""` otherwise).
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(self.bytes.get(..usize::from(self.len)).unwrap_or_default())
            .unwrap_or_default()
    }
}

/// Three words, not a 23-byte slice: the derived hash fed the bytes to the
/// hasher's long-input path, and the assembler hashes an id several times a
/// line. Equal ids give equal words (the unused bytes are zero), as `Eq` wants.
impl Hash for IdBuf {
    // Inlined: the assembler and the reports hash ids several times a line,
    // and a call cost about as much as the three words it hashes
    // (callgrind).
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut all = [0u8; 24];
        if let Some((len, bytes)) = all.split_first_mut() {
            *len = self.len;
            bytes.copy_from_slice(&self.bytes);
        }
        for word in all.chunks_exact(8) {
            state.write_u64(u64::from_ne_bytes(word.try_into().unwrap_or_default()));
        }
    }
}

impl fmt::Debug for IdBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[inline(always)]
fn word_at(b: &[u8], at: usize) -> u64 {
    scan::word_at(b, at).unwrap_or(0)
}

/// Decodes base 62 digits `0-9A-Za-z` (saturating, so hostile input cannot overflow).
fn base62(s: &[u8]) -> u64 {
    s.iter().fold(0u64, |acc, b| {
        let d = match *b {
            b'0'..=b'9' => b - b'0',
            b'A'..=b'Z' => b - b'A' + 10,
            b'a'..=b'z' => b - b'a' + 36,
            _ => 0,
        };
        acc.saturating_mul(62).saturating_add(u64::from(d))
    })
}

impl PartialEq<str> for MessageId<'_> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for MessageId<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl fmt::Debug for MessageId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({})", self.as_str())
    }
}

impl fmt::Display for MessageId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl Serialize for MessageId<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_both_formats_and_rejects_near_misses() {
        let cases: &[(&str, Option<IdFormat>)] = &[
            ("1sAoM5-00000009r3p-06vq", Some(IdFormat::New)),
            ("1sAoM6-00000009r3q-0001", Some(IdFormat::New)),
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
    fn every_byte_at_every_position() {
        // The word-at-a-time check must agree with the per-byte definition:
        // base-62 digits everywhere except the two dashes.
        for id in ["1FZ8zt-0005lz-E7", "1sAoM5-00000009r3p-06vq"] {
            let dashes: Vec<usize> = id.match_indices('-').map(|(k, _)| k).collect();
            for k in 0..id.len() {
                for b in 0..=255u8 {
                    let mut v = id.as_bytes().to_vec();
                    v[k] = b;
                    let want = if dashes.contains(&k) {
                        b == b'-'
                    } else {
                        b.is_ascii_alphanumeric()
                    };
                    assert_eq!(MessageId::parse(&v).is_some(), want, "{id} [{k}] = {b:#x}");
                }
            }
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
        let (id, rest) = MessageId::parse_prefix(b"1sAoM6-00000009r3q-0001 Completed").unwrap();
        assert_eq!(id.format(), IdFormat::New);
        assert_eq!(rest, b" Completed");
        assert_eq!(id.as_bytes(), b"1sAoM6-00000009r3q-0001");
        // An old id followed by text with a dash at byte 18 is still found.
        let (id, rest) = MessageId::parse_prefix(b"1FZ8zt-0005lz-E7 a-b-c").unwrap();
        assert_eq!((id.format(), rest), (IdFormat::Old, &b" a-b-c"[..]));
        assert!(MessageId::parse_prefix(b"1FZ8zt-0005lz").is_none());
    }
}
