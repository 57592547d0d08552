//! Web server access-log lines: Apache's and Nginx's `common` and `combined`
//! formats (and Apache's `vhost_combined`), as cPanel writes them to
//! `domlogs/`. They tell which client ran the PHP script that sent the spam.
//!
//! ```text
//! %h %l %u %t "%r" %>s %b                                  common
//! %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"   combined
//! %v:%p %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"   vhost_combined
//! ```
//!
//! Written here rather than taken from `access_log_parser` (the maintained crate
//! for these formats): that crate parses `&str` (a log line with a byte that is
//! not UTF-8 fails whole), builds `chrono` and `http` values for every line (an
//! attacker's request line that is no valid URI becomes an error variant), and
//! copies. This grammar is zero-copy over bytes like the rest of the crate,
//! keeps any request line as written, and gives the time as seconds for the
//! window search of web origins. One nom function per production.
//!
//! ```
//! use exim_log::weblog::parse_access_line;
//!
//! let l = parse_access_line(b"198.51.100.23 - - [05/Dec/2026:10:49:58 +0000] \
//!     \"POST /wp-content/uploads/mailer.php HTTP/1.1\" 200 12 \"-\" \"Mozilla/5.0\"")?;
//! assert_eq!(l.client, "198.51.100.23");
//! assert_eq!(l.method().unwrap(), "POST");
//! assert_eq!(l.path().unwrap(), "/wp-content/uploads/mailer.php");
//! assert_eq!(l.status, Some(200));
//! assert_eq!(l.unix_seconds(), 1796467798);
//! assert_eq!(l.user_agent.unwrap(), "Mozilla/5.0");
//! # Ok::<(), exim_log::weblog::WeblogError>(())
//! ```

use nom::bytes::complete::{take, take_till1, take_while_m_n};
use nom::character::complete::char;
use nom::combinator::{map_opt, opt};
use nom::sequence::preceded;
use nom::{IResult, Parser};
use thiserror::Error;

use crate::text::Text;
use crate::timestamp::{Timestamp, is_calendar_time};

/// Which part of an access-log line could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WeblogErrorKind {
    /// The client, ident and user fields before the time are missing.
    Fields,
    /// The `[dd/Mon/yyyy:HH:MM:SS +zzzz]` time is malformed.
    Time,
    /// The quoted request line is missing or unterminated.
    Request,
    /// The status or size is neither a number nor `-`.
    Status,
}

/// An access-log line that could not be read, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Error)]
#[error("{kind:?} field malformed at byte {offset}")]
pub struct WeblogError {
    /// What.
    pub kind: WeblogErrorKind,
    /// Byte offset into the line.
    pub offset: usize,
}

/// One access-log line. Every text borrows from the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AccessLine<'a> {
    /// `%v:%p` of `vhost_combined`: the virtual host (and port) served.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub vhost: Option<Text<'a>>,
    /// `%h`: the client address (or name, with `HostnameLookups`).
    pub client: Text<'a>,
    /// `%l`: RFC 1413 ident; `None` for `-`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub ident: Option<Text<'a>>,
    /// `%u`: HTTP-authenticated user; `None` for `-`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub user: Option<Text<'a>>,
    /// `%t`: when the request was received, with its UTC offset.
    pub time: Timestamp,
    /// `%r`: the request line as logged (escapes kept: `\"`, `\xhh`).
    pub request: Text<'a>,
    /// `%>s`: the final status; `None` for `-`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub status: Option<u16>,
    /// `%b`: response bytes; `None` for `-`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub bytes: Option<u64>,
    /// `"%{Referer}i"` (combined); `None` when absent or `-`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub referer: Option<Text<'a>>,
    /// `"%{User-agent}i"` (combined); `None` when absent or `-`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub user_agent: Option<Text<'a>>,
    /// Whatever follows the known fields (Nginx's `"$http_x_forwarded_for"`, ...).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub rest: Option<Text<'a>>,
}

impl<'a> AccessLine<'a> {
    fn request_part(&self, n: usize) -> Option<Text<'a>> {
        self.request
            .as_bytes()
            .split(|&c| c == b' ')
            .filter(|w| !w.is_empty())
            .nth(n)
            .map(Text::new)
    }

    /// The method of the request line (`GET`, `POST`).
    pub fn method(&self) -> Option<Text<'a>> {
        self.request_part(0)
    }

    /// The request target as sent (path and query).
    pub fn target(&self) -> Option<Text<'a>> {
        self.request_part(1)
    }

    /// The path of the target, without its query string.
    pub fn path(&self) -> Option<Text<'a>> {
        let t = self.target()?.as_bytes();
        let end = memchr::memchr(b'?', t).unwrap_or(t.len());
        t.get(..end).map(Text::new)
    }

    /// Seconds since the epoch (UTC) of [`AccessLine::time`].
    pub fn unix_seconds(&self) -> i64 {
        self.time.unix_seconds()
    }
}

type Res<'a, T> = IResult<&'a [u8], T>;

/// A field up to the next space.
fn token(i: &[u8]) -> Res<'_, &[u8]> {
    take_till1(|c| c == b' ').parse(i)
}

fn dash_or<'a>(t: &'a [u8]) -> Option<Text<'a>> {
    (t != b"-").then_some(Text::new(t))
}

fn number<T: std::str::FromStr>(i: &[u8], n: usize) -> Res<'_, T> {
    map_opt(
        take_while_m_n(n, n, |c: u8| c.is_ascii_digit()),
        |d: &[u8]| std::str::from_utf8(d).ok()?.parse().ok(),
    )
    .parse(i)
}

fn month(i: &[u8]) -> Res<'_, u8> {
    map_opt(take(3usize), |m: &[u8]| {
        const NAMES: [&[u8; 3]; 12] = [
            b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
            b"Dec",
        ];
        let i = NAMES.iter().position(|n| n.as_slice() == m)?;
        u8::try_from(i + 1).ok()
    })
    .parse(i)
}

/// `[05/Dec/2026:10:49:58 +0000]` (`%t`).
fn time(i: &[u8]) -> Res<'_, Timestamp> {
    let (i, _) = char('[').parse(i)?;
    let (i, day) = number::<u8>(i, 2)?;
    let (i, month) = preceded(char('/'), month).parse(i)?;
    let (i, year) = preceded(char('/'), |i| number::<u16>(i, 4)).parse(i)?;
    let (i, hour) = preceded(char(':'), |i| number::<u8>(i, 2)).parse(i)?;
    let (i, minute) = preceded(char(':'), |i| number::<u8>(i, 2)).parse(i)?;
    let (i, second) = preceded(char(':'), |i| number::<u8>(i, 2)).parse(i)?;
    let (i, sign) = preceded(char(' '), take(1usize)).parse(i)?;
    let (i, hh) = number::<i16>(i, 2)?;
    let (i, mm) = number::<i16>(i, 2)?;
    let (i, _) = char(']').parse(i)?;
    let offset = hh * 60 + mm;
    let offset = match sign {
        b"+" => offset,
        b"-" => -offset,
        _ => {
            return Err(nom::Err::Error(nom::error::Error::new(
                i,
                nom::error::ErrorKind::Char,
            )));
        }
    };
    // The calendar, as for log line dates: no 30 February, no 31 April.
    if !is_calendar_time(year, month, day, hour, minute, second) {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Verify,
        )));
    }
    Ok((
        i,
        Timestamp {
            year,
            month,
            day,
            hour,
            minute,
            second,
            millisecond: None,
            utc_offset_minutes: Some(offset),
        },
    ))
}

/// A double-quoted field; Apache escapes `"` and `\` inside it with a
/// backslash, so a backslash always takes the next byte with it.
fn quoted(i: &[u8]) -> Res<'_, &[u8]> {
    let (body, _) = char('"').parse(i)?;
    let mut k = 0;
    loop {
        match body.get(k) {
            None => {
                return Err(nom::Err::Error(nom::error::Error::new(
                    body,
                    nom::error::ErrorKind::Char,
                )));
            }
            Some(b'\\') => k += 2,
            Some(b'"') => break,
            Some(_) => k += 1,
        }
    }
    let inside = body.get(..k).unwrap_or_default();
    let rest = body.get(k + 1..).unwrap_or_default();
    Ok((rest, inside))
}

/// A number, or `-` (`None`).
fn number_or_dash<T: std::str::FromStr>(i: &[u8]) -> Res<'_, Option<T>> {
    map_opt(token, |t: &[u8]| {
        if t == b"-" {
            Some(None)
        } else {
            std::str::from_utf8(t).ok()?.parse().ok().map(Some)
        }
    })
    .parse(i)
}

/// Parses one access-log line (a trailing line end is ignored).
pub fn parse_access_line(line: &[u8]) -> Result<AccessLine<'_>, WeblogError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let at = |rest: &[u8]| line.len() - rest.len();
    let err = |kind, rest: &[u8]| WeblogError {
        kind,
        offset: at(rest),
    };
    // The fields before ` [`: three (common) or four (vhost_combined).
    let bracket = memchr::memmem::find(line, b" [").ok_or(err(WeblogErrorKind::Fields, b""))?;
    let head = line.get(..bracket).unwrap_or_default();
    let mut words = head.split(|&c| c == b' ');
    let w: [Option<&[u8]>; 5] = std::array::from_fn(|_| words.next());
    let (vhost, client, ident, user) = match w {
        [Some(h), Some(l), Some(u), None, None] => (None, h, l, u),
        [Some(v), Some(h), Some(l), Some(u), None] => (Some(Text::new(v)), h, l, u),
        _ => return Err(err(WeblogErrorKind::Fields, line)),
    };
    if client.is_empty() {
        return Err(err(WeblogErrorKind::Fields, line));
    }
    let i = line.get(bracket + 1..).unwrap_or_default();
    let (i, time) = time(i).map_err(|_| err(WeblogErrorKind::Time, i))?;
    let (i, request) = preceded(char(' '), quoted)
        .parse(i)
        .map_err(|_| err(WeblogErrorKind::Request, i))?;
    let (i, status) = preceded(char(' '), number_or_dash::<u16>)
        .parse(i)
        .map_err(|_| err(WeblogErrorKind::Status, i))?;
    let (i, bytes) = preceded(char(' '), number_or_dash::<u64>)
        .parse(i)
        .map_err(|_| err(WeblogErrorKind::Status, i))?;
    // combined: two more quoted fields.
    let (i, agent_pair) = opt((preceded(char(' '), quoted), preceded(char(' '), quoted)))
        .parse(i)
        .unwrap_or((i, None));
    let rest = i.trim_ascii();
    let (referer, user_agent) = match agent_pair {
        Some((r, a)) => (dash_or(r), dash_or(a)),
        None => (None, None),
    };
    Ok(AccessLine {
        vhost,
        client: Text::new(client),
        ident: dash_or(ident),
        user: dash_or(user),
        time,
        request: Text::new(request),
        status,
        bytes,
        referer,
        user_agent,
        rest: (!rest.is_empty()).then_some(Text::new(rest)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let l = parse_access_line(
            b"192.0.2.9 - bob [01/Jan/2026:00:00:00 -0130] \"GET /a?b=1 HTTP/1.0\" 404 -\n",
        )
        .unwrap();
        assert_eq!(
            (l.client.as_bytes(), l.user.unwrap().as_bytes()),
            (&b"192.0.2.9"[..], &b"bob"[..])
        );
        assert_eq!((l.status, l.bytes, l.referer), (Some(404), None, None));
        assert_eq!(l.path().unwrap(), "/a");
        assert_eq!(l.target().unwrap(), "/a?b=1");
        assert_eq!(l.unix_seconds(), 1_767_225_600 + 90 * 60);
        // 29 February of a leap year is a date.
        let l = parse_access_line(
            b"192.0.2.9 - - [29/Feb/2024:00:00:00 +0000] \"GET / HTTP/1.0\" 200 1",
        )
        .unwrap();
        assert_eq!(l.unix_seconds(), 1_709_164_800);

        let l = parse_access_line(
            b"www.shop.example:443 2001:db8::5 - - [05/Dec/2026:10:49:58 +0100] \"POST /x.php HTTP/2.0\" 200 5 \"https://r.example/\" \"curl/8 \\\"q\\\"\" \"10.0.0.1\"",
        )
        .unwrap();
        assert_eq!(l.vhost.unwrap(), "www.shop.example:443");
        assert_eq!(l.client, "2001:db8::5");
        assert_eq!(l.referer.unwrap(), "https://r.example/");
        assert_eq!(l.user_agent.unwrap(), "curl/8 \\\"q\\\"");
        assert_eq!(l.rest.unwrap(), "\"10.0.0.1\"");

        // A binary request line (a TLS handshake on the HTTP port) is kept.
        let l = parse_access_line(
            b"203.0.113.1 - - [05/Dec/2026:10:49:58 +0000] \"\\x16\\x03\\x01\" 400 226 \"-\" \"-\"",
        )
        .unwrap();
        assert_eq!(l.request, "\\x16\\x03\\x01");
        assert_eq!(
            (l.method().unwrap().as_bytes(), l.path()),
            (&b"\\x16\\x03\\x01"[..], None)
        );
    }

    #[test]
    fn errors() {
        let table: &[(&[u8], WeblogErrorKind)] = &[
            (b"", WeblogErrorKind::Fields),
            (
                b"a b [05/Dec/2026:10:49:58 +0000] \"GET /\" 200 1",
                WeblogErrorKind::Fields,
            ),
            (
                b"a - - [05/Dcc/2026:10:49:58 +0000] \"GET /\" 200 1",
                WeblogErrorKind::Time,
            ),
            (
                b"a - - [05/Dec/2026:25:49:58 +0000] \"GET /\" 200 1",
                WeblogErrorKind::Time,
            ),
            // The calendar: no 30 February, no 31 April, 29 February only in leap years.
            (
                b"a - - [30/Feb/2024:10:49:58 +0000] \"GET /\" 200 1",
                WeblogErrorKind::Time,
            ),
            (
                b"a - - [31/Apr/2026:10:49:58 +0000] \"GET /\" 200 1",
                WeblogErrorKind::Time,
            ),
            (
                b"a - - [29/Feb/2026:10:49:58 +0000] \"GET /\" 200 1",
                WeblogErrorKind::Time,
            ),
            (
                b"a - - [05/Dec/2026:10:49:58 +0000] \"GET / 200 1",
                WeblogErrorKind::Request,
            ),
            (
                b"a - - [05/Dec/2026:10:49:58 +0000] \"GET /\" OK 1",
                WeblogErrorKind::Status,
            ),
        ];
        for (line, kind) in table {
            let e = parse_access_line(line).unwrap_err();
            assert_eq!(e.kind, *kind, "{}", String::from_utf8_lossy(line));
            assert!(e.offset <= line.len());
        }
    }
}
