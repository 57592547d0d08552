//! Folded header text (RFC 5322 §2.2.3): a header continues on lines that start
//! with a space or a TAB. The parser never unfolds: it treats CR, LF, SP and TAB
//! alike as separators and keeps slices of the original bytes. Values that span
//! several words (a date, a TLS comment) are [`Folded`], unfolded only on demand.

use std::borrow::Cow;
use std::fmt;

#[cfg(feature = "serde")]
use serde::{Serialize, Serializer};

/// Header text borrowed from the input that may contain folds (a line end
/// followed by a space or TAB), unfolded on demand.
///
/// ```
/// use exim_log::Folded;
/// let t = Folded::new(b"Tue, 12 Apr 2022\r\n 14:30:34 +0200");
/// assert_eq!(t.unfold().as_ref(), b"Tue, 12 Apr 2022 14:30:34 +0200");
/// assert_eq!(Folded::new(b"esmtps").to_string_lossy(), "esmtps");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Folded<'a>(&'a [u8]);

impl<'a> Folded<'a> {
    /// Wraps raw header bytes.
    pub const fn new(bytes: &'a [u8]) -> Self {
        Folded(bytes)
    }

    /// The bytes exactly as in the input, folds included.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// True when the text spans more than one line.
    pub fn is_folded(&self) -> bool {
        memchr::memchr2(b'\n', b'\r', self.0).is_some()
    }

    /// The text with its folds removed (borrowed when it has none).
    pub fn unfold(&self) -> Cow<'a, [u8]> {
        unfold(self.0)
    }

    /// The unfolded text as a string, replacing invalid UTF-8 with U+FFFD.
    pub fn to_string_lossy(&self) -> Cow<'a, str> {
        match self.unfold() {
            Cow::Borrowed(b) => String::from_utf8_lossy(b),
            Cow::Owned(v) => Cow::Owned(String::from_utf8_lossy(&v).into_owned()),
        }
    }
}

impl PartialEq<str> for Folded<'_> {
    fn eq(&self, other: &str) -> bool {
        self.unfold().as_ref() == other.as_bytes()
    }
}

impl PartialEq<&str> for Folded<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.unfold().as_ref() == other.as_bytes()
    }
}

impl fmt::Debug for Folded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.to_string_lossy(), f)
    }
}

impl fmt::Display for Folded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

#[cfg(feature = "serde")]
impl Serialize for Folded<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string_lossy())
    }
}

/// Removes every line end (CRLF, LF or a lone CR) that is followed by a space or a
/// TAB, keeping the whitespace (RFC 5322 §2.2.3), and a line end at the very end.
/// A line end followed by anything else is kept, so no byte is lost.
pub fn unfold(b: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr2(b'\n', b'\r', b).is_none() {
        return Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'\r' || c == b'\n' {
            let len = if c == b'\r' && b.get(i + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            match b.get(i + len) {
                None | Some(b' ' | b'\t') => {
                    i += len;
                    continue;
                }
                Some(_) => {}
            }
        }
        out.push(c);
        i += 1;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfold_table() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"a b", b"a b"),
            (
                b"id 1sAoM5-00000009r3p-06vq;\n\tSat, 25 May",
                b"id 1sAoM5-00000009r3p-06vq;\tSat, 25 May",
            ),
            (b"a\r\n b\r\n", b"a b"),
            (b"a\r\n\tb", b"a\tb"),
            (b"a\rb", b"a\rb"),
            (b"a\nb", b"a\nb"),
            (b"a\n", b"a"),
        ];
        for (input, want) in cases {
            assert_eq!(
                unfold(input).as_ref(),
                *want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        assert!(matches!(unfold(b"no folds"), Cow::Borrowed(_)));
        // One line, no fold; a lone CR or LF is a line end too.
        assert!(!Folded::new(b"esmtps  (TLS1.3)").is_folded());
        assert!(Folded::new(b"a\rb").is_folded());
        assert!(Folded::new(b"a\n b").is_folded());
    }

    /// Comparing and printing see the unfolded text (RFC 5322 §2.2.3).
    #[test]
    fn folded_prints_and_compares_unfolded() {
        let f = Folded::new(b"Microsoft SMTP\r\n Server");
        assert!(f == *"Microsoft SMTP Server");
        assert!(f != *"Microsoft SMTP\r\n Server");
        assert!(f != *"Microsoft");
        assert!(f != "Microsoft");
        assert_eq!(f.to_string(), "Microsoft SMTP Server");
        assert_eq!(format!("{f:?}"), "\"Microsoft SMTP Server\"");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn folded_compares_unfolded() {
        let f = Folded::new(b"Microsoft SMTP\r\n Server");
        assert!(f.is_folded());
        assert_eq!(f, "Microsoft SMTP Server");
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            "\"Microsoft SMTP Server\""
        );
    }
}
