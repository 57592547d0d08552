//! The syslog and journald wrappers around Exim text, as nom combinators, one
//! function per production (RFC 3164 §4.1, RFC 5424 §6, `journalctl -o
//! short-iso`, and the two hybrids rsyslog templates write).
//!
//! Every parser takes the line's bytes and returns slices of it.

use nom::branch::alt;
use nom::bytes::complete::{tag, take, take_till, take_till1, take_while_m_n, take_while1};
use nom::character::complete::{char, digit1};
use nom::combinator::{map_opt, opt, recognize, verify};
use nom::sequence::{delimited, preceded, terminated};
use nom::{IResult, Parser};

use crate::parse::fields::number;

type Res<'a, T> = IResult<&'a [u8], T>;

/// What a wrapper says before the Exim text.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Prefix<'a> {
    pub(crate) priority: Option<u16>,
    pub(crate) time: &'a [u8],
    pub(crate) host: Option<&'a [u8]>,
    pub(crate) program: &'a [u8],
    pub(crate) pid: Option<u32>,
    pub(crate) kind: Kind,
}

/// Which wrapper a line has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `[<PRI>]Mmm dd hh:mm:ss host tag: text` (RFC 3164, `journalctl -o short`).
    #[default]
    Rfc3164,
    /// `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD text`.
    Rfc5424,
    /// `2026-11-27T07:47:34+0000 host tag: text` (`journalctl -o short-iso`).
    Iso,
    /// `2019-10-22 03:39:17 host tag: text`: Exim's timestamp shape first.
    EximTimeFirst,
    /// `host tag: text`: no time of its own (Exim's follows in the text).
    HostFirst,
}

/// `<PRI>`: the facility * 8 + severity.
pub(crate) fn priority(i: &[u8]) -> Res<'_, u16> {
    map_opt(delimited(char('<'), digit1, char('>')), number).parse(i)
}

/// `hh:mm:ss` with an optional fraction (`journalctl -o short-precise`).
fn clock(i: &[u8]) -> Res<'_, &[u8]> {
    recognize((
        two_digits,
        char(':'),
        two_digits,
        char(':'),
        two_digits,
        opt(preceded(char('.'), digit1)),
    ))
    .parse(i)
}

fn two_digits(i: &[u8]) -> Res<'_, &[u8]> {
    take_while_m_n(2, 2, |b: u8| b.is_ascii_digit()).parse(i)
}

/// `YYYY-MM-DD`.
fn date(i: &[u8]) -> Res<'_, &[u8]> {
    recognize((
        take_while_m_n(4, 4, |b: u8| b.is_ascii_digit()),
        char('-'),
        two_digits,
        char('-'),
        two_digits,
    ))
    .parse(i)
}

/// RFC 3164 TIMESTAMP: `Mmm dd hh:mm:ss`, the day padded with a space (`Nov  7`).
pub(crate) fn bsd_timestamp(i: &[u8]) -> Res<'_, &[u8]> {
    recognize((
        verify(take(3usize), |m: &[u8]| {
            m.iter().all(u8::is_ascii_alphabetic)
        }),
        char(' '),
        opt(char(' ')),
        take_while_m_n(1, 2, |b: u8| b.is_ascii_digit()),
        char(' '),
        clock,
    ))
    .parse(i)
}

/// RFC 3339 / `journalctl -o short-iso`: `2026-11-27T07:47:34[.frac][zone]`.
pub(crate) fn iso_timestamp(i: &[u8]) -> Res<'_, &[u8]> {
    recognize((date, char('T'), clock, take_till(|b| b == b' '))).parse(i)
}

/// Exim's own shape (`tod_log`): `2019-10-22 03:39:17[.mmm][ +ZZZZ]`.
pub(crate) fn exim_timestamp(i: &[u8]) -> Res<'_, &[u8]> {
    recognize((
        date,
        char(' '),
        clock,
        opt((
            char(' '),
            alt((char('+'), char('-'))),
            take_while_m_n(4, 4, |b: u8| b.is_ascii_digit()),
        )),
    ))
    .parse(i)
}

/// HOSTNAME: one word.
pub(crate) fn hostname(i: &[u8]) -> Res<'_, &[u8]> {
    take_till1(|b| b == b' ').parse(i)
}

/// Bytes of a program name in a TAG (RFC 3164 says alphanumeric; real ones
/// also hold `-`, `_`, `.` and `/`).
fn is_program_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/')
}

/// TAG: `program[pid]: ` or `program: ` (a lone `:` at the end of an empty message).
pub(crate) fn syslog_tag(i: &[u8]) -> Res<'_, (&[u8], Option<u32>)> {
    terminated(
        (
            take_while1(is_program_byte),
            opt(map_opt(delimited(char('['), digit1, char(']')), number)),
        ),
        alt((
            tag(&b": "[..]),
            terminated(tag(&b":"[..]), nom::combinator::eof),
        )),
    )
    .parse(i)
}

/// One RFC 5424 SD-ELEMENT: `[id param="v\]"...]`, `\]` escaped.
fn sd_element(i: &[u8]) -> Res<'_, &[u8]> {
    let err = || nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::Char));
    let r = i.strip_prefix(b"[").ok_or_else(err)?;
    let mut k = 0;
    loop {
        match r.get(k) {
            Some(b'\\') => k += 2,
            Some(b']') => break,
            Some(_) => k += 1,
            None => return Err(err()),
        }
    }
    let used = k + 2;
    Ok((
        i.get(used..).unwrap_or_default(),
        i.get(..used).unwrap_or_default(),
    ))
}

/// STRUCTURED-DATA: `-` or one or more SD-ELEMENTs.
fn structured_data(i: &[u8]) -> Res<'_, &[u8]> {
    alt((tag(&b"-"[..]), recognize(nom::multi::many1(sd_element)))).parse(i)
}

/// A header field of RFC 5424 and the space after it.
fn field(i: &[u8]) -> Res<'_, &[u8]> {
    terminated(hostname, char(' ')).parse(i)
}

/// After `<PRI>`: `1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [BOM]`.
fn rfc5424(i: &[u8]) -> Res<'_, Prefix<'_>> {
    let (r, (_, time, host, program, procid, _msgid, _sd)) = (
        tag(&b"1 "[..]),
        field,
        field,
        field,
        field,
        field,
        structured_data,
    )
        .parse(i)?;
    let r = r.strip_prefix(b" ").unwrap_or(r);
    let r = r.strip_prefix("\u{feff}".as_bytes()).unwrap_or(r);
    Ok((
        r,
        Prefix {
            time,
            host: (host != b"-").then_some(host),
            program,
            pid: number(procid),
            kind: Kind::Rfc5424,
            ..Prefix::default()
        },
    ))
}

/// `TIME HOSTNAME TAG`, for each of the time shapes.
fn time_host_tag(i: &[u8]) -> Res<'_, Prefix<'_>> {
    let (r, (time, kind)) = alt((
        bsd_timestamp.map(|t| (t, Kind::Rfc3164)),
        iso_timestamp.map(|t| (t, Kind::Iso)),
        exim_timestamp.map(|t| (t, Kind::EximTimeFirst)),
    ))
    .parse(i)?;
    let (r, (host, (program, pid))) = preceded(char(' '), (field, syslog_tag)).parse(r)?;
    Ok((
        r,
        Prefix {
            time,
            host: Some(host),
            program,
            pid,
            kind,
            ..Prefix::default()
        },
    ))
}

/// `HOSTNAME TAG` with no time (the Exim timestamp follows in the text).
fn host_tag(i: &[u8]) -> Res<'_, Prefix<'_>> {
    let (r, (host, (program, pid))) = (field, syslog_tag).parse(i)?;
    Ok((
        r,
        Prefix {
            time: &[],
            host: Some(host),
            program,
            pid,
            kind: Kind::HostFirst,
            ..Prefix::default()
        },
    ))
}

/// The whole wrapper: `[<PRI>]` then one of the shapes. Returns the Exim text.
pub(crate) fn prefix(i: &[u8]) -> Res<'_, Prefix<'_>> {
    let (r, pri) = opt(priority).parse(i)?;
    let (r, mut p) = alt((rfc5424, time_host_tag, host_tag)).parse(r)?;
    p.priority = pri;
    Ok((r, p))
}

/// `[n/m] ` or `[n\m] ` (log.c write_syslog): index, count, split at a newline.
pub(crate) fn chunk(i: &[u8]) -> Res<'_, (u32, u32, bool)> {
    let (r, (n, sep, m)) = delimited(
        char('['),
        (
            map_opt(digit1, number::<u32>),
            alt((char('/'), char('\\'))),
            map_opt(digit1, number::<u32>),
        ),
        char(']'),
    )
    .parse(i)?;
    let r = r.strip_prefix(b" ").unwrap_or(r);
    Ok((r, (n, m, sep == '\\')))
}

/// `[pid] ` at the start of Exim text without its timestamp (`+pid`).
pub(crate) fn pid(i: &[u8]) -> Res<'_, u32> {
    terminated(
        map_opt(delimited(char('['), digit1, char(']')), number::<u32>),
        opt(char(' ')),
    )
    .parse(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok<'a, T>(r: Res<'a, T>) -> (T, &'a [u8]) {
        let (rest, v) = r.unwrap();
        (v, rest)
    }

    #[test]
    fn productions() {
        assert_eq!(ok(priority(b"<22>x")), (22, &b"x"[..]));
        assert!(priority(b"<x>").is_err());
        assert_eq!(
            ok(bsd_timestamp(b"Nov  7 07:47:34 h")).0,
            b"Nov  7 07:47:34"
        );
        assert_eq!(
            ok(bsd_timestamp(b"Nov 27 07:47:34.123456 h")).0,
            b"Nov 27 07:47:34.123456"
        );
        assert!(bsd_timestamp(b"2026-11-27 07:47:34").is_err());
        assert_eq!(
            ok(iso_timestamp(b"2026-11-27T07:47:34.123+00:00 h")).0,
            b"2026-11-27T07:47:34.123+00:00"
        );
        assert_eq!(
            ok(exim_timestamp(b"2019-10-22 03:39:17 mx1")).0,
            b"2019-10-22 03:39:17"
        );
        assert_eq!(
            ok(exim_timestamp(b"2019-10-22 03:39:17.250 +0200 mx1")).0,
            b"2019-10-22 03:39:17.250 +0200"
        );
        assert_eq!(ok(syslog_tag(b"exim[123]: x")).0, (&b"exim"[..], Some(123)));
        assert_eq!(ok(syslog_tag(b"exim4: x")).0, (&b"exim4"[..], None));
        assert!(syslog_tag(b"Start queue run: pid=1").is_err());
        assert!(syslog_tag(b"<= a@b").is_err());
        assert_eq!(ok(chunk(b"[2\\3] x")), ((2, 3, true), &b"x"[..]));
        assert_eq!(ok(pid(b"[29786] x")), (29786, &b"x"[..]));
        assert_eq!(
            ok(structured_data(b"[a x=\"1\\]\"][b] m")),
            (&b"[a x=\"1\\]\"][b]"[..], &b" m"[..])
        );
        assert!(structured_data(b"[a").is_err());
    }

    #[test]
    fn wrappers() {
        // line, kind, time, host, program, pid, text
        type Case<'s> = (
            &'s str,
            Kind,
            &'s str,
            Option<&'s str>,
            &'s str,
            Option<u32>,
            &'s str,
        );
        let cases: &[Case] = &[
            (
                "Nov 27 07:47:34 mx1 exim[4321]: text",
                Kind::Rfc3164,
                "Nov 27 07:47:34",
                Some("mx1"),
                "exim",
                Some(4321),
                "text",
            ),
            (
                "<22>1 2026-11-27T07:47:34Z mx1 exim 12 - - text",
                Kind::Rfc5424,
                "2026-11-27T07:47:34Z",
                Some("mx1"),
                "exim",
                Some(12),
                "text",
            ),
            (
                "2026-11-27T07:47:34+0000 mx1 exim[12]: text",
                Kind::Iso,
                "2026-11-27T07:47:34+0000",
                Some("mx1"),
                "exim",
                Some(12),
                "text",
            ),
            (
                "2019-10-22 03:39:17 mx1 exim[29786]: [29786] text",
                Kind::EximTimeFirst,
                "2019-10-22 03:39:17",
                Some("mx1"),
                "exim",
                Some(29786),
                "[29786] text",
            ),
            (
                "mx1 exim[812]: 2021-07-17 23:20:49 text",
                Kind::HostFirst,
                "",
                Some("mx1"),
                "exim",
                Some(812),
                "2021-07-17 23:20:49 text",
            ),
        ];
        for (line, kind, time, host, program, pid, text) in cases {
            let (p, rest) = ok(prefix(line.as_bytes()));
            assert_eq!(p.kind, *kind, "{line}");
            assert_eq!(p.time, time.as_bytes(), "{line}");
            assert_eq!(p.host, host.map(str::as_bytes), "{line}");
            assert_eq!(p.program, program.as_bytes(), "{line}");
            assert_eq!(p.pid, *pid, "{line}");
            assert_eq!(rest, text.as_bytes(), "{line}");
        }
        // Plain main-log lines are not wrappers.
        for line in [
            "2019-10-22 03:39:17 Start queue run: pid=1",
            "2019-10-22 03:39:17 1sAoM5-00000009r3p-06vq <= a@b H=x [1.2.3.4]",
            "2019-10-22 03:39:17 exim 4.96 daemon started: pid=1",
        ] {
            assert!(prefix(line.as_bytes()).is_err(), "{line}");
        }
    }
}
