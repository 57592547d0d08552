//! The date after the last `;` of a `Received:` header: RFC 5322 §3.3
//! `[Www,] D Mmm YYYY HH:MM[:SS] ZONE`, plus the obsolete forms of §4.3 seen in
//! the wild (two-digit years, zone names such as `GMT` or `EST`, a `(PDT)`
//! comment after the zone). Exim writes `tod_full` with a zero-padded day;
//! Postfix before 3.9 pads it with a space; qmail omits the weekday (§11).
//! Folds may fall anywhere between the parts (Microsoft), so the date is read
//! token by token.

use nom::Parser;
use nom::bytes::complete::{tag, take_while_m_n};
use nom::combinator::{all_consuming, map_res, opt};
use nom::sequence::preceded;

use super::clauses::{Token, Tokens};
use crate::timestamp::{Timestamp, days_in_month};

const MONTHS: [&[u8; 3]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];

/// An unsigned number of `min..=max` ASCII digits.
fn number<'a>(min: usize, max: usize) -> impl Parser<&'a [u8], Output = u16, Error = ()> {
    map_res(
        take_while_m_n(min, max, |b: u8| b.is_ascii_digit()),
        |d: &[u8]| {
            d.iter()
                .try_fold(0u16, |acc, c| {
                    acc.checked_mul(10)?.checked_add(u16::from(c - b'0'))
                })
                .ok_or(())
        },
    )
}

/// `HH:MM[:SS]`.
fn time(w: &[u8]) -> Option<(u16, u16, u16)> {
    all_consuming((
        number(1, 2),
        preceded(tag(&b":"[..]), number(2, 2)),
        opt(preceded(tag(&b":"[..]), number(2, 2))),
    ))
    .parse(w)
    .ok()
    .map(|(_, (h, m, s))| (h, m, s.unwrap_or(0)))
}

/// `+HHMM` / `-HHMM`, or an RFC 5322 §4.3 zone name. `None` for an unknown name
/// (military letters mean "unknown" by RFC 5322 §4.3).
fn zone(w: &[u8]) -> Option<i16> {
    if let Some((sign, digits)) = w.split_first()
        && matches!(sign, b'+' | b'-')
    {
        let (_, (h, m)) = all_consuming((number(2, 2), number(2, 2)))
            .parse(digits)
            .ok()?;
        if m > 59 {
            return None;
        }
        let off = i16::try_from(h * 60 + m).ok()?;
        return Some(if *sign == b'-' { -off } else { off });
    }
    let h = match w.to_ascii_uppercase().as_slice() {
        b"UT" | b"UTC" | b"GMT" | b"Z" => 0,
        b"EDT" => -4,
        b"EST" | b"CDT" => -5,
        b"CST" | b"MDT" => -6,
        b"MST" | b"PDT" => -7,
        b"PST" => -8,
        _ => return None,
    };
    Some(h * 60)
}

/// Parses the date text. Returns the date (when it is one) and the part of
/// `text` that holds it: up to the zone and a zone-name comment such as `(PDT)`,
/// so that a later comment (Sendmail's `(envelope-from ...)`) is not included.
/// When the text is not a date, the part is the whole text, trimmed.
pub(crate) fn parse(text: &[u8]) -> (Option<Timestamp>, &[u8]) {
    match parse_at(text) {
        Some((t, start, end)) => (Some(t), text.get(start..end).unwrap_or_default()),
        None => (None, super::trim(text)),
    }
}

fn parse_at(text: &[u8]) -> Option<(Timestamp, usize, usize)> {
    let mut toks = Tokens::new(text).filter(|(_, t)| *t != Token::Semi);
    let mut words = toks.by_ref().filter_map(|(o, t)| match t {
        Token::Word(w) => Some((o, w)),
        Token::Comment(_) | Token::Semi => None,
    });
    let (start, mut w) = words.next()?;
    // Optional weekday: `Tue,` (or `Tue ,`).
    if w.first().is_some_and(u8::is_ascii_alphabetic) {
        w = words.next()?.1;
        if w == b"," {
            w = words.next()?.1;
        }
    }
    let (_, day) = all_consuming(number(1, 2)).parse(w).ok()?;
    let mon = words.next()?.1;
    let month = MONTHS
        .iter()
        .position(|m| mon.eq_ignore_ascii_case(&m[..]))?;
    let (_, year) = all_consuming(number(2, 4)).parse(words.next()?.1).ok()?;
    // RFC 5322 §4.3: two-digit years below 50 are 20xx, others 19xx.
    let year = match year {
        0..=49 => year + 2000,
        50..=999 => year + 1900,
        _ => year,
    };
    let (to, tw) = words.next()?;
    let (hour, minute, second) = time(tw)?;
    let mut end = to + tw.len();
    let mut utc_offset_minutes = None;
    if let Some((zo, zw)) = words.next()
        && let Some(z) = zone(zw)
    {
        utc_offset_minutes = Some(z);
        end = zo + zw.len();
    }
    // A zone-name comment right after the zone: `(PDT)`, `(UTC)`.
    if let Some((co, Token::Comment(c))) = toks.next()
        && !c.is_empty()
        && c.iter().all(u8::is_ascii_alphanumeric)
    {
        end = (co + c.len() + 2).min(text.len());
    }
    // The calendar, as for log line dates: no 30 February, no 31 April.
    let month_days = days_in_month(u32::from(year), month as u32 + 1);
    if day == 0 || u32::from(day) > month_days || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let t = Timestamp {
        year,
        month: u8::try_from(month + 1).ok()?,
        day: u8::try_from(day).ok()?,
        hour: u8::try_from(hour).ok()?,
        minute: u8::try_from(minute).ok()?,
        second: u8::try_from(second).ok()?,
        millisecond: None,
        utc_offset_minutes,
    };
    Some((t, start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_text_stops_after_the_zone_comment() {
        let cases: &[(&str, &str)] = &[
            (
                "\n\tTue, 2 Mar 1999 09:44:33 +0000 (PST)\n\t(envelope-from a@b.example)",
                "Tue, 2 Mar 1999 09:44:33 +0000 (PST)",
            ),
            (
                " Sat, 25 May 2024 11:10:28 +0100",
                "Sat, 25 May 2024 11:10:28 +0100",
            ),
            (
                " Fri, 9 Apr 2021 10:11:12 (x y)",
                "Fri, 9 Apr 2021 10:11:12",
            ),
            ("  not a date  ", "not a date"),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input.as_bytes()).1, want.as_bytes(), "{input}");
        }
    }

    /// RFC 5322 §3.3 `zone` is `(+/-)HHMM` (minutes 00-59); §4.3 names the
    /// obsolete zones: UT GMT Z = 0, EDT -4, EST/CDT -5, CST/MDT -6, MST/PDT -7,
    /// PST -8 hours.
    #[test]
    fn zone_table() {
        let cases: &[(&str, Option<i16>)] = &[
            ("+0000", Some(0)),
            ("+0130", Some(90)),
            ("+0545", Some(345)),
            ("-0930", Some(-570)),
            ("+0059", Some(59)),
            ("+0060", None),
            ("+01", None),
            ("UT", Some(0)),
            ("gmt", Some(0)),
            ("Z", Some(0)),
            ("EDT", Some(-240)),
            ("EST", Some(-300)),
            ("CDT", Some(-300)),
            ("CST", Some(-360)),
            ("MDT", Some(-360)),
            ("MST", Some(-420)),
            ("PDT", Some(-420)),
            ("PST", Some(-480)),
            ("J", None),
            ("CET", None),
        ];
        for (w, want) in cases {
            assert_eq!(zone(w.as_bytes()), *want, "{w}");
        }
    }

    #[test]
    fn date_table() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "Sat, 25 May 2024 11:10:28 +0100",
                Some("2024-05-25T11:10:28+01:00"),
            ),
            (
                "\n\tTue, 12 Apr 2022 14:30:34 +0200",
                Some("2022-04-12T14:30:34+02:00"),
            ),
            // Postfix < 3.9: space-padded day and a zone comment.
            (
                "Mon,  6 Jan 2025 09:01:02 -0500 (EST)",
                Some("2025-01-06T09:01:02-05:00"),
            ),
            // qmail: no weekday.
            (
                "6 Jan 2025 12:34:56 -0000",
                Some("2025-01-06T12:34:56+00:00"),
            ),
            // Microsoft: folded mid-value.
            (
                "Mon, 14 Apr 2025\r\n 12:06:04 +0000",
                Some("2025-04-14T12:06:04+00:00"),
            ),
            // Gmail appends the zone name as a comment.
            (
                "Wed, 03 Jul 2024 08:15:00 -0700 (PDT)",
                Some("2024-07-03T08:15:00-07:00"),
            ),
            // Obsolete: two-digit year, zone name, no seconds.
            ("Fri, 9 Apr 99 10:11 GMT", Some("1999-04-09T10:11:00+00:00")),
            // RFC 5322 §4.3: a two-digit year below 50 is 20xx, from 50 19xx; a
            // three-digit year adds 1900.
            ("9 Apr 21 10:11 +0000", Some("2021-04-09T10:11:00+00:00")),
            ("1 Jan 00 10:11 +0000", Some("2000-01-01T10:11:00+00:00")),
            ("1 Jan 49 10:11 +0000", Some("2049-01-01T10:11:00+00:00")),
            ("1 Jan 50 10:11 +0000", Some("1950-01-01T10:11:00+00:00")),
            ("9 Apr 121 10:11 +0000", Some("2021-04-09T10:11:00+00:00")),
            (
                "Fri, 9 Apr 2021 10:11:12 EDT",
                Some("2021-04-09T10:11:12-04:00"),
            ),
            // Unknown zone: the local time is kept without an offset.
            ("Fri, 9 Apr 2021 10:11:12 J", Some("2021-04-09T10:11:12")),
            ("Fri, 9 Apr 2021 10:11:12", Some("2021-04-09T10:11:12")),
            ("Fri, 32 Apr 2021 10:11:12 +0000", None),
            // The calendar: no 31 April, 29 February only in leap years.
            ("Sat, 31 Apr 2021 10:11:12 +0000", None),
            ("Mon, 29 Feb 2021 10:11:12 +0000", None),
            (
                "Thu, 29 Feb 2024 10:11:12 +0000",
                Some("2024-02-29T10:11:12+00:00"),
            ),
            ("Fri, 9 Foo 2021 10:11:12 +0000", None),
            ("Fri, 9 Apr 2021 25:11:12 +0000", None),
            // RFC 5322 §3.3: minutes 00-59, seconds 00-60 (a leap second).
            ("Fri, 9 Apr 2021 10:60:12 +0000", None),
            ("Fri, 9 Apr 2021 10:11:61 +0000", None),
            (
                "Thu, 31 Dec 2016 23:59:60 +0000",
                Some("2016-12-31T23:59:60+00:00"),
            ),
            ("Fri, 9 Apr 2021 10:11:12:13 +0000", None),
            ("", None),
            ("Tue, 2 Mar 1999", None),
            ("garbage", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse(input.as_bytes()).0.map(|t| t.to_string()).as_deref(),
                *want,
                "{input}"
            );
        }
    }
}
