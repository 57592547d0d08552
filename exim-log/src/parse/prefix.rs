//! The line prefix (`log.c log_write`): `TIMESTAMP [[pid] ][MSGID ]`.
//!
//! Reference regex, from Exim's own exigrep:
//! `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? (?:[+-]\d{4} )?(?:\[\d+\] )?(msgid)?`

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{tag, take_while_m_n};
use nom::combinator::{map_res, opt};
use nom::sequence::{delimited, preceded};

use crate::error::{ErrorKind, ParseError};
use crate::message_id::MessageId;
use crate::timestamp::Timestamp;

/// The parsed prefix and the offset of the text after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Prefix<'a> {
    pub timestamp: Timestamp,
    pub pid: Option<u32>,
    pub message_id: Option<MessageId<'a>>,
    /// Byte offset of the first byte after the prefix (and its separating space).
    pub body: usize,
}

fn digits<const N: usize>(i: &[u8]) -> IResult<&[u8], u32> {
    map_res(
        take_while_m_n(N, N, |b: u8| b.is_ascii_digit()),
        |d: &[u8]| {
            // At most 4 ASCII digits: always fits.
            Ok::<u32, ()>(d.iter().fold(0u32, |a, b| a * 10 + u32::from(b - b'0')))
        },
    )
    .parse(i)
}

/// `YYYY-MM-DD HH:MM:SS` with optional `.mmm`, without range checks.
fn raw_timestamp(i: &[u8]) -> IResult<&[u8], [u32; 7]> {
    let (i, (y, _, mo, _, d, _, h, _, mi, _, s)) = (
        digits::<4>,
        tag(&b"-"[..]),
        digits::<2>,
        tag(&b"-"[..]),
        digits::<2>,
        tag(&b" "[..]),
        digits::<2>,
        tag(&b":"[..]),
        digits::<2>,
        tag(&b":"[..]),
        digits::<2>,
    )
        .parse(i)?;
    let (i, ms) = opt(preceded(tag(&b"."[..]), digits::<3>)).parse(i)?;
    Ok((i, [y, mo, d, h, mi, s, ms.map_or(u32::MAX, |m| m)]))
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
    if !(rest.is_empty() || rest.first() == Some(&b' ')) || mm > 59 {
        return Err(nom::Err::Error(nom::error::Error::new(
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
pub(crate) fn prefix(line: &[u8]) -> Result<Prefix<'_>, ParseError> {
    if line.is_empty() {
        return Err(ParseError::new(ErrorKind::Empty, 0));
    }
    let offset = |rest: &[u8]| line.len() - rest.len();
    let (rest, t) = raw_timestamp(line).map_err(|e| {
        let at = match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => offset(e.input),
            nom::Err::Incomplete(_) => line.len(),
        };
        ParseError::new(ErrorKind::Timestamp, at)
    })?;
    let [year, month, day, hour, minute, second, ms] = t;
    let in_range = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour <= 23
        && minute <= 59
        && second <= 60;
    if !in_range {
        return Err(ParseError::new(ErrorKind::TimestampRange, 0));
    }
    let (rest, off) = match utc_offset(rest) {
        Ok((r, o)) => (r, Some(o)),
        Err(_) => (rest, None),
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
    let (rest, message_id) = match MessageId::parse_prefix(rest) {
        Some((id, r)) => (r.strip_prefix(b" ").unwrap_or(r), Some(id)),
        None => (rest, None),
    };
    Ok(Prefix {
        timestamp,
        pid,
        message_id,
        body: offset(rest),
    })
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
                "2017-07-30 18:51:05.712 10HmaX-000000005vi-0000 Completed",
                None,
                Some("10HmaX-000000005vi-0000"),
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
                "2025-01-06 12:00:00 [12345] 10HmaX-0005vi-00 => a",
                Some(12345),
                Some("10HmaX-0005vi-00"),
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
                "2025-01-06 12:00:00 10HmaX-0005vi-00",
                None,
                Some("10HmaX-0005vi-00"),
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
    fn bracket_that_is_not_a_pid_is_text() {
        let line = b"2025-01-06 12:00:00 [192.0.2.1] SSL verify error: depth=0";
        let p = prefix(line).unwrap();
        assert_eq!((p.pid, p.body), (None, 20));
    }

    #[test]
    fn prefix_errors_have_offsets() {
        let cases: &[(&str, ErrorKind, usize)] = &[
            ("", ErrorKind::Empty, 0),
            ("Envelope-from: <a@b>", ErrorKind::Timestamp, 0),
            ("2025-01-0x 12:00:00 x", ErrorKind::Timestamp, 8),
            ("2025-13-06 12:00:00 x", ErrorKind::TimestampRange, 0),
            ("2025-01-06 24:00:00 x", ErrorKind::TimestampRange, 0),
            ("2025-01-06 12:00:00", ErrorKind::MissingText, 19),
            ("2025-01-06 12:00:00x", ErrorKind::Timestamp, 19),
        ];
        for (line, kind, at) in cases {
            let e = prefix(line.as_bytes()).expect_err(line);
            assert_eq!((e.kind, e.offset), (*kind, *at), "{line}");
        }
    }
}
