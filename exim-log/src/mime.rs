//! Header text as mail clients show it: RFC 2047 encoded words
//! (`=?UTF-8?B?...?=`, `=?windows-1251?Q?...?=`) decoded, and raw 8-bit text
//! in a legacy charset made readable. Exim logs `T=` (the subject) exactly as
//! the header was sent, so most spam subjects come out as encoded words; the
//! logged value stays available unchanged, this is the form to show and to
//! group by.
//!
//! ```
//! use exim_log::mime::decode_header;
//! assert_eq!(decode_header(b"=?UTF-8?B?w4dhIHZh?= =?ISO-8859-1?Q?_bien_=E0_vous?="), "Ça va bien à vous");
//! assert_eq!(decode_header(b"R\xe9sum\xe9 attached"), "Résumé attached");
//! assert_eq!(decode_header(b"plain"), "plain");
//! ```

use std::borrow::Cow;

use base64::Engine as _;
use encoding_rs::{Encoding, WINDOWS_1252};

/// One `=?charset?enc?text?=` at the start of `i`: the charset label
/// (an RFC 2231 `*language` suffix removed), the decoded bytes, and the
/// length of the word. `None` when `i` does not start with a well-formed
/// encoded word, or its text does not decode.
fn encoded_word(i: &[u8]) -> Option<(&[u8], Vec<u8>, usize)> {
    let r = i.strip_prefix(b"=?")?;
    let q1 = memchr::memchr(b'?', r)?;
    let charset = r.get(..q1)?;
    let charset = charset
        .iter()
        .position(|b| *b == b'*')
        .and_then(|k| charset.get(..k))
        .unwrap_or(charset);
    let enc = *r.get(q1 + 1)?;
    if r.get(q1 + 2) != Some(&b'?') || charset.is_empty() {
        return None;
    }
    let text_start = q1 + 3;
    let rest = r.get(text_start..)?;
    let end = memchr::memmem::find(rest, b"?=")?;
    let text = rest.get(..end)?;
    if text.iter().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let bytes = match enc {
        b'B' | b'b' => base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
            .ok()?,
        b'Q' | b'q' => q_decode(text)?,
        _ => return None,
    };
    Some((charset, bytes, 2 + text_start + end + 2))
}

/// The `Q` encoding (RFC 2047 §4.2): `_` is a space, `=XX` a byte.
fn q_decode(t: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(t.len());
    let mut it = t.iter().copied();
    while let Some(b) = it.next() {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hi = hex(it.next()?)?;
                let lo = hex(it.next()?)?;
                out.push(hi << 4 | lo);
            }
            _ => out.push(b),
        }
    }
    Some(out)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Text that is not an encoded word: UTF-8 as it is; other bytes (raw 8-bit
/// in some legacy charset, which the header does not name) are read as
/// windows-1252, the WHATWG reading of `iso-8859-1` and the most common such
/// charset, so the result never fails and plain ASCII never changes.
fn push_raw(out: &mut String, raw: &[u8]) {
    match std::str::from_utf8(raw) {
        Ok(s) => out.push_str(s),
        Err(_) => out.push_str(&WINDOWS_1252.decode_without_bom_handling(raw).0),
    }
}

/// The bytes of adjacent encoded words in one charset, decoded together:
/// senders split a UTF-8 character across two words more often than the RFC
/// allows.
fn flush(out: &mut String, charset: &[u8], bytes: &[u8]) {
    match Encoding::for_label(charset) {
        Some(enc) => out.push_str(&enc.decode_without_bom_handling(bytes).0),
        None => push_raw(out, bytes),
    }
}

/// `raw` (a header value as sent: the subject after Exim's escaping is
/// undone, see [`crate::text::Quoted::decode`]) as a reader sees it: RFC 2047
/// encoded words decoded through their charset (whitespace between two
/// adjacent words dropped, as §6.2 says), an encoded word with an unknown
/// charset or a broken text kept as it is, and bytes outside encoded words
/// read as UTF-8, or as windows-1252 when they are not UTF-8. Borrowed when
/// nothing needed decoding.
pub fn decode_header(raw: &[u8]) -> Cow<'_, str> {
    if memchr::memmem::find(raw, b"=?").is_none() {
        return match std::str::from_utf8(raw) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => WINDOWS_1252.decode_without_bom_handling(raw).0,
        };
    }
    let mut out = String::with_capacity(raw.len());
    // Encoded words decoded but not yet turned into text: their charset and bytes.
    let mut pending: Option<(&[u8], Vec<u8>)> = None;
    let mut pos = 0;
    let mut plain_from = 0;
    while let Some(off) = raw.get(pos..).and_then(|r| memchr::memmem::find(r, b"=?")) {
        let at = pos + off;
        let Some((charset, bytes, len)) = raw.get(at..).and_then(encoded_word) else {
            pos = at + 2;
            continue;
        };
        let between = raw.get(plain_from..at).unwrap_or_default();
        let only_space = between
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        pending = Some(match pending.take() {
            // Whitespace between two encoded words is not part of the text.
            Some((cs, mut acc)) if only_space && cs.eq_ignore_ascii_case(charset) => {
                acc.extend_from_slice(&bytes);
                (cs, acc)
            }
            Some((cs, acc)) => {
                flush(&mut out, cs, &acc);
                if !only_space {
                    push_raw(&mut out, between);
                }
                (charset, bytes)
            }
            None => {
                push_raw(&mut out, between);
                (charset, bytes)
            }
        });
        pos = at + len;
        plain_from = pos;
    }
    if let Some((cs, acc)) = pending.take() {
        flush(&mut out, cs, &acc);
    }
    push_raw(&mut out, raw.get(plain_from..).unwrap_or_default());
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_table() {
        // Written from RFC 2047 §8's examples and the charsets spam uses.
        let cases: &[(&[u8], &str)] = &[
            (b"=?ISO-8859-1?Q?a?=", "a"),
            (b"=?ISO-8859-1?Q?a?= b", "a b"),
            (b"=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab"),
            (b"=?ISO-8859-1?Q?a?=  \t =?ISO-8859-1?Q?b?=", "ab"),
            (b"=?ISO-8859-1?Q?a_b?=", "a b"),
            (b"=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=", "a b"),
            (
                b"x =?UTF-8?B?0J/RgNC40LLQtdGC?= y",
                "x \u{41f}\u{440}\u{438}\u{432}\u{435}\u{442} y",
            ),
            (
                b"=?windows-1251?Q?=CF=F0=E8=E2=E5=F2?=",
                "\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442}",
            ),
            (
                b"=?koi8-r?B?8NLJ18XU?=",
                "\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442}",
            ),
            (b"=?utf-8?q?caf=C3=A9?=", "caf\u{e9}"),
            (b"=?UTF-8*en?Q?hi?=", "hi"),
            // A UTF-8 character split across two words.
            (b"=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?=", "caf\u{e9}"),
            (b"=?GB2312?B?xOO6ww==?=", "\u{4f60}\u{597d}"),
            // Not encoded words: kept as they are.
            (b"=?unknown-charset?Q?x?=", "x"),
            (b"=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="),
            (b"=?UTF-8?B?***?=", "=?UTF-8?B?***?="),
            (b"a =? b ?= c", "a =? b ?= c"),
            (b"=?UTF-8?Q?a b?=", "=?UTF-8?Q?a b?="),
            (b"2+2=?", "2+2=?"),
            // Raw 8-bit outside encoded words: UTF-8, else windows-1252.
            ("Caf\u{e9} =?UTF-8?Q?ok?=".as_bytes(), "Caf\u{e9} ok"),
            (b"R\xe9sum\xe9 =?UTF-8?Q?ok?=", "R\u{e9}sum\u{e9} ok"),
            (b"\x93quoted\x94", "\u{201c}quoted\u{201d}"),
        ];
        for (raw, want) in cases {
            assert_eq!(
                decode_header(raw),
                *want,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn borrowed_when_nothing_to_decode() {
        assert!(matches!(decode_header(b"hello"), Cow::Borrowed("hello")));
        assert!(matches!(
            decode_header("caf\u{e9}".as_bytes()),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn any_bytes_decode() {
        // No input panics; ASCII without encoded words is unchanged.
        for raw in [
            &b"=?"[..],
            b"=?a",
            b"=?a?",
            b"=?a?Q",
            b"=?a?Q?",
            b"=?a?Q?=",
            b"=?a?Q?=?=",
            b"=?a?B?=?=",
            b"\xff=?x?q?\xff?=",
        ] {
            let _ = decode_header(raw);
        }
    }
}
