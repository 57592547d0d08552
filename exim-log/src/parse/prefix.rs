//! The line prefix (`log.c log_write`): `TIMESTAMP [[pid] ][MSGID ]`.
//!
//! Reference regex, from Exim's own exigrep:
//! `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? (?:[+-]\d{4} )?(?:\[\d+\] )?(msgid)?`

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{tag, take_while_m_n};
use nom::combinator::map_res;
use nom::sequence::delimited;

use crate::error::{ErrorKind, ParseError};
use crate::message_id::MessageId;
use crate::scan;
use crate::timestamp::{Timestamp, days_in_month};

/// The parsed prefix and the offset of the text after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Prefix<'a> {
    pub timestamp: Timestamp,
    pub pid: Option<u32>,
    pub message_id: Option<MessageId<'a>>,
    /// Byte offset of the first byte after the prefix (and its separating space).
    pub body: usize,
}

/// Exactly `N` ASCII digits as a number. Hand-rolled rather than `take_while_m_n`:
/// the prefix is parsed for every line, and this was its largest cost (callgrind).
fn digits<const N: usize>(i: &[u8]) -> IResult<&[u8], u32> {
    let mut v = 0u32;
    for k in 0..N {
        match i.get(k) {
            Some(b) if b.is_ascii_digit() => v = v * 10 + u32::from(b - b'0'),
            _ => {
                let at = i.get(k..).unwrap_or_default();
                return Err(nom::Err::Error(nom::error::Error::new(
                    at,
                    nom::error::ErrorKind::Digit,
                )));
            }
        }
    }
    Ok((i.get(N..).unwrap_or_default(), v))
}

/// The fixed layout of the timestamp: `d` is a digit, anything else literal.
const LAYOUT: &[u8; 19] = b"dddd-dd-dd dd:dd:dd";

/// `YYYY-MM-DD HH:MM:SS` with optional `.mmm`, without range checks. On a
/// mismatch, the error holds the offset of the offending byte.
///
/// A fixed-layout scan rather than a chain of nom combinators: this runs on every
/// line, and the combinator chain cost several times the scan (callgrind; the count is in benches/README.md).
#[inline(always)]
fn raw_timestamp(i: &[u8]) -> Result<(&[u8], [u32; 7]), usize> {
    let Some(v) = fixed_timestamp(i) else {
        return Err(first_mismatch(i));
    };
    let rest = i.get(LAYOUT.len()..).unwrap_or_default();
    let (rest, ms) = match rest {
        [b'.', r @ ..] => match digits::<3>(r) {
            Ok((r, ms)) => (r, ms),
            // The offending byte: the first of the three that is no digit.
            Err(_) => {
                let good = r.iter().take(3).take_while(|b| b.is_ascii_digit()).count();
                return Err(LAYOUT.len() + 1 + good);
            }
        },
        _ => (rest, u32::MAX),
    };
    Ok((rest, [v[0], v[1], v[2], v[3], v[4], v[5], ms]))
}

/// The six numbers of a well-formed timestamp at the start of `i`, checked
/// and converted eight bytes at a time (SWAR, see [`scan`]): half the
/// instructions of byte-by-byte checks (callgrind; the count is in benches/README.md).
///
/// The 19 bytes are read as three little-endian words: bytes 0..8
/// `YYYY-MM-`, 8..16 `DD HH:MM` and 11..19 `HH:MM:SS` (overlapping).
#[inline(always)]
fn fixed_timestamp(i: &[u8]) -> Option<[u32; 6]> {
    use scan::{digits, word_at};
    // Which bytes of each word must be digits, and which are literal (the
    // digit mask, the literal bytes' mask, their values).
    // The third word checks only its bytes 5..8 (`:SS`): its bytes 0..5 are
    // bytes 3..8 of the second word, checked there.
    const S0: (u64, u64, u64) = layout_masks(0, 0);
    const S1: (u64, u64, u64) = layout_masks(8, 0);
    const S2: (u64, u64, u64) = layout_masks(11, 5);
    let (w0, w1, w2) = (word_at(i, 0)?, word_at(i, 8)?, word_at(i, 11)?);
    let ok = digits(w0) & S0.0 == S0.0
        && digits(w1) & S1.0 == S1.0
        && digits(w2) & S2.0 == S2.0
        && w0 & S0.1 == S0.2
        && w1 & S1.1 == S1.2
        && w2 & S2.1 == S2.2;
    if !ok {
        return None;
    }
    // Digit values are the low nibbles. Byte k of `pairs` is then
    // `10 * digit[k] + digit[k + 1]`: every byte stays below 256 (at most
    // 15 * 10 + 15), so no byte carries into the next.
    let pairs = |w: u64| {
        let v = w & (scan::ONES * 0x0f);
        v * 10 + (v >> 8)
    };
    let byte = |w: u64, k: u32| ((w >> (8 * k)) & 0xff) as u32;
    let (p0, p1, p2) = (pairs(w0), pairs(w1), pairs(w2));
    Some([
        byte(p0, 0) * 100 + byte(p0, 2),
        byte(p0, 5),
        byte(p1, 0),
        byte(p1, 3),
        byte(p1, 6),
        byte(p2, 6),
    ])
}

/// The masks [`fixed_timestamp`] checks bytes `from..8` of the word of
/// [`LAYOUT`]'s bytes `at..at + 8` with, read from the layout itself
/// (evaluated at compile time):
/// the high bit of each digit byte (as [`scan::digits`] marks them), `0xff`
/// in each literal byte, and the literal bytes' values. Written once here
/// rather than as `bit(0) | bit(1) | ...` beside the layout: sums of disjoint
/// bits, where an `|` turned `^` gave the same masks (15 mutants no test can see).
// Only called in const items: an index out of range is a compile error, and
// `get` is not callable in a const fn.
#[allow(clippy::indexing_slicing)]
const fn layout_masks(at: usize, from: usize) -> (u64, u64, u64) {
    let (mut digit, mut literal, mut value) = (0u64, 0u64, 0u64);
    let mut k = from;
    while k < 8 {
        let b = LAYOUT[at + k];
        if b == b'd' {
            digit += scan::byte_bit(k);
        } else {
            literal += 0xff << (8 * k);
            value += (b as u64) << (8 * k);
        }
        k += 1;
    }
    (digit, literal, value)
}

/// Offset of the first byte that does not fit [`LAYOUT`] (slow path, for errors).
fn first_mismatch(i: &[u8]) -> usize {
    LAYOUT
        .iter()
        .enumerate()
        .find(|&(k, &want)| match i.get(k) {
            None => true,
            Some(b) if want == b'd' => !b.is_ascii_digit(),
            Some(&b) => b != want,
        })
        .map_or(LAYOUT.len(), |(k, _)| k)
}

/// ` +HHMM` / ` -HHMM` (`log_timezone = true`), only when followed by a space or the end.
fn utc_offset(i: &[u8]) -> IResult<&[u8], i16> {
    let (rest, (_, sign, hh, mm)) = (
        tag(&b" "[..]),
        nom::character::complete::one_of("+-"),
        digits::<2>,
        digits::<2>,
    )
        .parse(i)?;
    if !(rest.is_empty() || rest.first() == Some(&b' ')) {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Verify,
        )));
    }
    // Well-formed but out of range (`+9959`): a hard failure, reported by
    // the caller, so that a line with a broken offset is not accepted.
    if hh > 23 || mm > 59 {
        return Err(nom::Err::Failure(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Verify,
        )));
    }
    // hh, mm are at most 99: the product fits i16.
    let mins = (hh * 60 + mm) as i16;
    Ok((rest, if sign == '-' { -mins } else { mins }))
}

/// ` [pid]`.
fn pid(i: &[u8]) -> IResult<&[u8], u32> {
    map_res(
        delimited(
            tag(&b" ["[..]),
            take_while_m_n(1, 10, |b: u8| b.is_ascii_digit()),
            tag(&b"]"[..]),
        ),
        |d: &[u8]| {
            std::str::from_utf8(d)
                .map_err(|_| ())
                .and_then(|s| s.parse::<u32>().map_err(|_| ()))
        },
    )
    .parse(i)
}

/// Parses the prefix of `line` (which has no line ending).
// Inlined into `parse_line` (itself inlined into its callers): the prefix
// fields then go straight into the `LogLine` instead of through a returned
// `Result<Prefix>` (callgrind; the count is in benches/README.md).
#[inline(always)]
pub(crate) fn prefix(line: &[u8]) -> Result<Prefix<'_>, ParseError> {
    if line.is_empty() {
        return Err(ParseError::new(ErrorKind::Empty, 0));
    }
    let offset = |rest: &[u8]| line.len() - rest.len();
    let (rest, t) = raw_timestamp(line).map_err(|at| ParseError::new(ErrorKind::Timestamp, at))?;
    let [year, month, day, hour, minute, second, ms] = t;
    // Once per line on numbers already parsed: a few compares, no allocation.
    // The error points at the first field out of range.
    let bad_field = if year == 0 {
        Some(0)
    } else if !(1..=12).contains(&month) {
        Some(5)
    } else if day == 0 || day > days_in_month(year, month) {
        Some(8)
    } else if hour > 23 {
        Some(11)
    } else if minute > 59 {
        Some(14)
    } else if second > 60 {
        Some(17)
    } else {
        None
    };
    if let Some(at) = bad_field {
        return Err(ParseError::new(ErrorKind::TimestampRange, at));
    }
    let (rest, off) = match rest {
        [b' ', b'+' | b'-', ..] => match utc_offset(rest) {
            Ok((r, o)) => (r, Some(o)),
            // The offset's shape with hours > 23 or minutes > 59: a broken
            // offset, not text (the sign is the offending byte).
            Err(nom::Err::Failure(_)) => {
                return Err(ParseError::new(ErrorKind::TimestampRange, offset(rest) + 1));
            }
            Err(_) => (rest, None),
        },
        _ => (rest, None),
    };
    let timestamp = Timestamp {
        // Each value has at most 4 digits, so the casts are lossless.
        year: year as u16,
        month: month as u8,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second as u8,
        millisecond: (ms != u32::MAX).then_some(ms as u16),
        utc_offset_minutes: off,
    };
    let (rest, pid) = match rest {
        [b' ', b'[', ..] => match pid(rest) {
            Ok((r, p)) => (r, Some(p)),
            // Not a pid: Exim also writes lines that start with `[ip]`
            // (`tls-openssl.c`: `[1.2.3.4] SSL verify error: ...`), so the
            // bracket is the start of the text.
            Err(_) => (rest, None),
        },
        _ => (rest, None),
    };
    let rest = match rest.split_first() {
        Some((b' ', r)) => r,
        None => return Err(ParseError::new(ErrorKind::MissingText, line.len())),
        Some(_) => return Err(ParseError::new(ErrorKind::Timestamp, offset(rest))),
    };
    let (message_id, rest) = message_id(rest);
    Ok(Prefix {
        timestamp,
        pid,
        message_id,
        body: offset(rest),
    })
}

/// The message id that may start a line body and the text after it (one
/// space skipped), or no id and the text unchanged. Shared by mainlog and
/// syslog lines (spec §1: `<id> <flag> ...`).
#[inline]
pub(crate) fn message_id(text: &[u8]) -> (Option<MessageId<'_>>, &[u8]) {
    match MessageId::parse_prefix(text) {
        Some((id, r)) => (Some(id), r.strip_prefix(b" ").unwrap_or(r)),
        None => (None, text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::type_complexity)]
    fn prefix_table() {
        // (line, pid, msgid, ms, offset, body)
        let cases: &[(
            &str,
            Option<u32>,
            Option<&str>,
            Option<u16>,
            Option<i16>,
            &str,
        )] = &[
            (
                "2002-10-31 08:57:53 16ZCW1-0005MB-00 <= x",
                None,
                Some("16ZCW1-0005MB-00"),
                None,
                None,
                "<= x",
            ),
            (
                "2017-07-30 18:51:05.712 1sAoM6-00000009r3q-0001 Completed",
                None,
                Some("1sAoM6-00000009r3q-0001"),
                Some(712),
                None,
                "Completed",
            ),
            (
                "2003-04-25 11:17:07 +0100 Start queue run: pid=1",
                None,
                None,
                None,
                Some(60),
                "Start queue run: pid=1",
            ),
            (
                "2003-04-25 11:17:07.001 -0230 [77] x",
                Some(77),
                None,
                Some(1),
                Some(-150),
                "x",
            ),
            (
                "2025-01-06 12:00:00 [12345] 1neFfG-000Bu6-U9 => a",
                Some(12345),
                Some("1neFfG-000Bu6-U9"),
                None,
                None,
                "=> a",
            ),
            (
                "2025-01-06 12:00:00 cwd=/tmp 1 args: exim",
                None,
                None,
                None,
                None,
                "cwd=/tmp 1 args: exim",
            ),
            (
                "2025-01-06 12:00:00 1neFfG-000Bu6-U9",
                None,
                Some("1neFfG-000Bu6-U9"),
                None,
                None,
                "",
            ),
            (
                "2025-01-06 12:00:00 +1234abc",
                None,
                None,
                None,
                None,
                "+1234abc",
            ),
        ];
        for (line, pid, id, ms, off, body) in cases {
            let p = prefix(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(p.pid, *pid, "{line}");
            assert_eq!(p.message_id.map(|m| m.as_str()), *id, "{line}");
            assert_eq!(p.timestamp.millisecond, *ms, "{line}");
            assert_eq!(p.timestamp.utc_offset_minutes, *off, "{line}");
            assert_eq!(&line.as_bytes()[p.body..], body.as_bytes(), "{line}");
        }
    }

    #[test]
    fn timestamp_layout_byte_by_byte() {
        // The word-at-a-time check must accept exactly the layout: any byte
        // changed to a non-digit where a digit belongs, or to anything else
        // where a separator belongs, is rejected; digits anywhere parse.
        let good = b"2024-05-25 11:10:28";
        assert_eq!(fixed_timestamp(good), Some([2024, 5, 25, 11, 10, 28]));
        assert_eq!(
            fixed_timestamp(b"1999-12-31 23:59:60 x"),
            Some([1999, 12, 31, 23, 59, 60])
        );
        assert_eq!(
            fixed_timestamp(b"0000-00-00 00:00:00"),
            Some([0, 0, 0, 0, 0, 0])
        );
        assert_eq!(
            fixed_timestamp(b"9999-99-99 99:99:99"),
            Some([9999, 99, 99, 99, 99, 99])
        );
        for k in 0..good.len() {
            for b in 0..=255u8 {
                let mut v = good.to_vec();
                v[k] = b;
                let want = if LAYOUT[k] == b'd' {
                    b.is_ascii_digit()
                } else {
                    b == LAYOUT[k]
                };
                assert_eq!(fixed_timestamp(&v).is_some(), want, "[{k}] = {b:#x}");
            }
        }
        assert_eq!(fixed_timestamp(&good[..18]), None);
    }

    #[test]
    fn bracket_that_is_not_a_pid_is_text() {
        let line = b"2025-01-06 12:00:00 [192.0.2.1] SSL verify error: depth=0";
        let p = prefix(line).unwrap();
        assert_eq!((p.pid, p.body), (None, 20));
    }

    #[test]
    fn calendar_edges_are_accepted() {
        // line, (year, month, day, second), UTC offset in minutes
        type Case = (&'static str, (u16, u8, u8, u8), Option<i16>);
        let cases: &[Case] = &[
            ("2024-02-29 12:00:00 x", (2024, 2, 29, 0), None),
            ("2000-02-29 12:00:00 x", (2000, 2, 29, 0), None),
            ("2023-02-28 12:00:00 x", (2023, 2, 28, 0), None),
            ("2016-12-31 23:59:60 x", (2016, 12, 31, 60), None),
            ("0001-01-01 00:00:00 x", (1, 1, 1, 0), None),
            ("9999-12-31 00:00:00 x", (9999, 12, 31, 0), None),
            ("2025-01-06 12:00:00 +1400 x", (2025, 1, 6, 0), Some(840)),
            ("2025-01-06 12:00:00 -1200 x", (2025, 1, 6, 0), Some(-720)),
            ("2025-01-06 12:00:00 +2359 x", (2025, 1, 6, 0), Some(1439)),
        ];
        for (line, (y, mo, d, s), off) in cases {
            let t = prefix(line.as_bytes()).expect(line).timestamp;
            assert_eq!(
                (t.year, t.month, t.day, t.second),
                (*y, *mo, *d, *s),
                "{line}"
            );
            assert_eq!(t.utc_offset_minutes, *off, "{line}");
        }
    }

    #[test]
    fn prefix_errors_have_offsets() {
        let cases: &[(&str, ErrorKind, usize)] = &[
            ("", ErrorKind::Empty, 0),
            ("Envelope-from: <a@b>", ErrorKind::Timestamp, 0),
            ("2025-01-0x 12:00:00 x", ErrorKind::Timestamp, 9), // the offending byte
            ("2025-13-06 12:00:00 x", ErrorKind::TimestampRange, 5),
            ("2025-00-06 12:00:00 x", ErrorKind::TimestampRange, 5),
            ("0000-01-06 12:00:00 x", ErrorKind::TimestampRange, 0),
            ("2025-01-00 12:00:00 x", ErrorKind::TimestampRange, 8),
            ("2025-01-32 12:00:00 x", ErrorKind::TimestampRange, 8),
            ("2024-02-30 12:00:00 x", ErrorKind::TimestampRange, 8),
            ("2023-02-29 12:00:00 x", ErrorKind::TimestampRange, 8),
            ("1900-02-29 12:00:00 x", ErrorKind::TimestampRange, 8),
            ("2025-04-31 12:00:00 x", ErrorKind::TimestampRange, 8),
            ("2025-01-06 24:00:00 x", ErrorKind::TimestampRange, 11),
            ("2025-01-06 12:60:00 x", ErrorKind::TimestampRange, 14),
            ("2025-01-06 12:00:61 x", ErrorKind::TimestampRange, 17),
            ("2025-01-06 12:00:00 +9959 x", ErrorKind::TimestampRange, 20),
            ("2025-01-06 12:00:00 +2400 x", ErrorKind::TimestampRange, 20),
            ("2025-01-06 12:00:00 -0060 x", ErrorKind::TimestampRange, 20),
            (
                "2025-01-06 12:00:00.123 +0099",
                ErrorKind::TimestampRange,
                24,
            ),
            ("2025-01-06 12:00:00", ErrorKind::MissingText, 19),
            ("2025-01-06 12:00:00x", ErrorKind::Timestamp, 19),
            // Milliseconds are three digits (tod.c `.%03u`).
            ("2025-01-06 12:00:00.x12 a", ErrorKind::Timestamp, 20),
            ("2025-01-06 12:00:00.1 a", ErrorKind::Timestamp, 21),
            ("2025-01-06 12:00:00.12 a", ErrorKind::Timestamp, 22),
            ("2025-01-06 12:00:00.12", ErrorKind::Timestamp, 22),
            ("2025-01-06 12:00:00.1234 a", ErrorKind::Timestamp, 23),
        ];
        for (line, kind, at) in cases {
            let e = prefix(line.as_bytes()).expect_err(line);
            assert_eq!((e.kind, e.offset), (*kind, *at), "{line}");
        }
    }
}
