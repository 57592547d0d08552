//! Borrowed text from a log line, and Exim's quoted strings with lazy unescaping.
//!
//! Exim writes most values raw, but a few are quoted and escaped (spec chapter
//! "Log files", and `string.c string_printing`). Decoding allocates, so it is done
//! only when a caller asks for it; the raw bytes always stay available.

use std::borrow::Cow;
use std::fmt;

#[cfg(feature = "serde")]
use serde::{Serialize, Serializer};

/// A run of bytes borrowed from the input, usually (but not always) UTF-8.
///
/// Log text is attacker-controlled and may hold any byte, so it is kept as bytes;
/// [`Text::to_str`] decodes it strictly and [`Text::to_string_lossy`] replaces
/// invalid sequences. Serialized as a (lossy) string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Text<'a>(&'a [u8]);

impl<'a> Text<'a> {
    /// Wraps a byte slice.
    pub const fn new(bytes: &'a [u8]) -> Self {
        Text(bytes)
    }

    /// The raw bytes, with the input's lifetime.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The text as `&str` when it is valid UTF-8.
    pub fn to_str(&self) -> Result<&'a str, std::str::Utf8Error> {
        std::str::from_utf8(self.0)
    }

    /// The text as a string, replacing invalid UTF-8 with U+FFFD (borrowed when valid).
    pub fn to_string_lossy(&self) -> Cow<'a, str> {
        lossy(self.0)
    }

    /// Length in bytes.
    pub const fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no bytes.
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> From<&'a [u8]> for Text<'a> {
    fn from(b: &'a [u8]) -> Self {
        Text(b)
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Self {
        Text(s.as_bytes())
    }
}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == other.as_bytes()
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.to_string_lossy(), f)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

#[cfg(feature = "serde")]
impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string_lossy())
    }
}

/// `String::from_utf8_lossy`, with `from_utf8` tried first: its check runs a
/// word at a time over ASCII, while the lossy decoder goes byte by byte (it
/// was a fifth of `ndjson`'s instructions: callgrind).
pub(crate) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// How a quoted value was escaped by Exim, which decides how it is decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Escaping {
    /// `string_printing` only (`DN=`, `id=`, `cwd=` arguments): `\n`, `\t`, `\ooo`...;
    /// a backslash is not doubled and `"` is not escaped.
    Printing,
    /// `T="subject"`: `"` and `\` got a backslash, then `string_printing` ran.
    /// Decoded left to right in one pass.
    Subject,
    /// `C="..."`: `string_printing` ran first, then `"` and `\` got a backslash,
    /// so a newline in the response reads `\\n`. Decoded in two layers.
    Confirmation,
}

/// The inside of a quoted value (without the surrounding `"`), decoded on demand.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quoted<'a> {
    raw: &'a [u8],
    escaping: Escaping,
}

impl<'a> Quoted<'a> {
    /// Wraps the raw bytes between the quotes.
    pub const fn new(raw: &'a [u8], escaping: Escaping) -> Self {
        Quoted { raw, escaping }
    }

    /// The bytes exactly as logged, between the quotes.
    pub const fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// How this value was escaped.
    pub const fn escaping(&self) -> Escaping {
        self.escaping
    }

    /// The original bytes with Exim's escaping undone (borrowed when nothing was escaped).
    pub fn decode(&self) -> Cow<'a, [u8]> {
        if memchr::memchr(b'\\', self.raw).is_none() {
            return Cow::Borrowed(self.raw);
        }
        match self.escaping {
            Escaping::Printing => Cow::Owned(unescape(self.raw, false)),
            Escaping::Subject => Cow::Owned(unescape(self.raw, true)),
            Escaping::Confirmation => {
                let outer = unquote_layer(self.raw);
                Cow::Owned(unescape(&outer, false))
            }
        }
    }

    /// The decoded value as a string, replacing invalid UTF-8 with U+FFFD.
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.decode()).into_owned()
    }

    /// A header value (a subject) as a mail client shows it: Exim's escaping
    /// undone, then RFC 2047 encoded words decoded and raw 8-bit text read
    /// as UTF-8 or else windows-1252 ([`crate::mime::decode_header`]).
    pub fn header_text(&self) -> String {
        crate::mime::decode_header(&self.decode()).into_owned()
    }
}

impl fmt::Debug for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string_lossy(), f)
    }
}

#[cfg(feature = "serde")]
impl Serialize for Quoted<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Borrowed all the way when nothing was escaped and the bytes are
        // UTF-8 (almost always): no allocation a field.
        let decoded = self.decode();
        s.serialize_str(&lossy(&decoded))
    }
}

/// Removes one `\"` / `\\` layer (the one `delivery_log` adds around `C=`).
fn unquote_layer(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut it = raw.iter().copied();
    while let Some(b) = it.next() {
        if b == b'\\' {
            match it.next() {
                Some(n @ (b'"' | b'\\')) => out.push(n),
                Some(n) => {
                    out.push(b'\\');
                    out.push(n);
                }
                None => out.push(b'\\'),
            }
        } else {
            out.push(b);
        }
    }
    out
}

/// Undoes `string_printing` escapes (`\n \r \b \v \f \t \ooo`), and with
/// `quotes` also `\"` and `\\`. Unknown escapes are kept as written, so no byte is lost.
fn unescape(raw: &[u8], quotes: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let next = raw.get(i + 1).copied();
        let simple = match next {
            Some(b'n') => Some(b'\n'),
            Some(b'r') => Some(b'\r'),
            Some(b'b') => Some(0x08),
            Some(b'v') => Some(0x0b),
            Some(b'f') => Some(0x0c),
            Some(b't') => Some(b'\t'),
            Some(c @ (b'"' | b'\\')) if quotes => Some(c),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            i += 2;
            continue;
        }
        if let Some(v) = octal3(raw.get(i + 1..i + 4)) {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(b'\\');
        i += 1;
    }
    out
}

/// Three octal digits with a value that fits a byte.
fn octal3(d: Option<&[u8]>) -> Option<u8> {
    let d = d?;
    let mut v: u32 = 0;
    for &c in d {
        if !(b'0'..=b'7').contains(&c) {
            return None;
        }
        v = v * 8 + u32::from(c - b'0');
    }
    u8::try_from(v).ok()
}

/// Test helper: an optional text as an owned string (lossy), to compare
/// parsed fields with tables of `Option<&str>` through [`opt_string`].
#[cfg(test)]
pub(crate) fn text_string(t: Option<Text<'_>>) -> Option<String> {
    t.map(|t| t.to_string_lossy().into_owned())
}

/// Test helper: the expected side of [`text_string`].
#[cfg(test)]
pub(crate) fn opt_string(s: Option<&str>) -> Option<String> {
    s.map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_escapes_decode_in_one_pass() {
        let q = Quoted::new(
            br#"two-line subject,\n that is, \"quoted\" \\ \303\251"#,
            Escaping::Subject,
        );
        assert_eq!(
            q.decode().as_ref(),
            "two-line subject,\n that is, \"quoted\" \\ \u{e9}".as_bytes()
        );
    }

    #[test]
    fn confirmation_is_decoded_in_two_layers() {
        let q = Quoted::new(br"250- 3nn byte chunk\\n250 OK", Escaping::Confirmation);
        assert_eq!(q.decode().as_ref(), b"250- 3nn byte chunk\n250 OK");
        let q = Quoted::new(br#"550 \"no\""#, Escaping::Confirmation);
        assert_eq!(q.decode().as_ref(), b"550 \"no\"");
    }

    #[test]
    fn printing_keeps_lone_backslashes() {
        let q = Quoted::new(br"a\b\qc\7", Escaping::Printing);
        assert_eq!(q.decode().as_ref(), b"a\x08\\qc\\7");
    }

    #[test]
    fn unescaped_values_are_borrowed() {
        let q = Quoted::new(b"plain", Escaping::Subject);
        assert!(matches!(q.decode(), Cow::Borrowed(_)));
    }

    #[test]
    fn octal_out_of_byte_range_is_kept() {
        let q = Quoted::new(br"\777", Escaping::Printing);
        assert_eq!(q.decode().as_ref(), br"\777");
    }
}
