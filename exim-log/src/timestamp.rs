//! The timestamp that starts every log line (`tod.c tod_stamp(tod_log)`).

use std::fmt;

#[cfg(feature = "serde")]
use serde::{Serialize, Serializer};

/// A log timestamp: local wall-clock time as Exim wrote it, with optional
/// milliseconds (`+millisec`) and optional UTC offset (`log_timezone = true`).
///
/// Values are checked when parsed: a real calendar date (year 1-9999, month 1-12,
/// day within the month, leap years included), hour 0-23, minute 0-59, second
/// 0-60 (a leap second), and a UTC offset of at most 23:59 either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    /// Year, e.g. 2024.
    pub year: u16,
    /// Month, 1-12.
    pub month: u8,
    /// Day of the month, 1-31.
    pub day: u8,
    /// Hour, 0-23.
    pub hour: u8,
    /// Minute, 0-59.
    pub minute: u8,
    /// Second, 0-60 (a leap second is accepted).
    pub second: u8,
    /// Milliseconds, when the log has `+millisec`.
    pub millisecond: Option<u16>,
    /// Offset from UTC in minutes, when the log has `log_timezone = true`.
    pub utc_offset_minutes: Option<i16>,
}

impl Timestamp {
    /// Seconds since the Unix epoch. Without a logged offset the wall-clock time is
    /// taken as UTC (Exim logs local time; pass the server's offset yourself if needed).
    pub fn unix_seconds(&self) -> i64 {
        let days = days_from_civil(i64::from(self.year), self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        secs - i64::from(self.utc_offset_minutes.unwrap_or(0)) * 60
    }

    /// Milliseconds since the Unix epoch (see [`Timestamp::unix_seconds`]).
    pub fn unix_millis(&self) -> i64 {
        self.unix_seconds() * 1000 + i64::from(self.millisecond.unwrap_or(0))
    }

    /// The UTC time `secs` seconds after the Unix epoch, without milliseconds
    /// or offset: the inverse of [`Timestamp::unix_seconds`]. `None` outside
    /// the years 1-9999.
    ///
    /// ```
    /// use exim_log::Timestamp;
    /// let t = Timestamp::from_unix_seconds(951_782_400).unwrap();
    /// assert_eq!(t.to_string(), "2000-02-29T00:00:00");
    /// assert_eq!(t.unix_seconds(), 951_782_400);
    /// assert!(Timestamp::from_unix_seconds(i64::MAX).is_none());
    /// ```
    pub fn from_unix_seconds(secs: i64) -> Option<Timestamp> {
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400);
        Some(Timestamp {
            year: u16::try_from(y).ok().filter(|y| (1..=9999).contains(y))?,
            month: u8::try_from(m).ok()?,
            day: u8::try_from(d).ok()?,
            hour: u8::try_from(sod / 3600).ok()?,
            minute: u8::try_from(sod / 60 % 60).ok()?,
            second: u8::try_from(sod % 60).ok()?,
            millisecond: None,
            utc_offset_minutes: None,
        })
    }
}

/// Number of days in `month` (1-12) of `year`, proleptic Gregorian; 0 for
/// a month outside 1-12.
pub(crate) const fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// True when the fields name a real second of the calendar (no 30 February, a
/// leap second allowed); a month outside 1-12 has no days, so is refused too.
pub(crate) fn is_calendar_time(
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
) -> bool {
    day >= 1
        && u32::from(day) <= days_in_month(u32::from(year), u32::from(month))
        && hour <= 23
        && minute <= 59
        && second <= 60
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u8, d: u8) -> i64 {
    let m = i64::from(m);
    let d = i64::from(d);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

impl fmt::Display for Timestamp {
    /// ISO 8601: `2024-05-25T11:10:28`, with `.mmm` and `+01:00` when logged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if let Some(ms) = self.millisecond {
            write!(f, ".{ms:03}")?;
        }
        if let Some(off) = self.utc_offset_minutes {
            let sign = if off < 0 { '-' } else { '+' };
            let a = off.unsigned_abs();
            write!(f, "{sign}{:02}:{:02}", a / 60, a % 60)?;
        }
        Ok(())
    }
}

/// `00` to `99`.
#[cfg(feature = "serde")]
// Built at compile time: `i < 100` is the loop's bound.
#[allow(clippy::indexing_slicing)]
const DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

#[cfg(feature = "serde")]
impl Timestamp {
    /// The [`fmt::Display`] form written into `buf`, without the
    /// formatting machinery (NDJSON writes one a line); `None` when a
    /// field has more digits than its place (only a hand-made value can).
    fn iso<'b>(&self, buf: &'b mut [u8; 32]) -> Option<&'b str> {
        let len = self.iso_bytes(buf)?;
        std::str::from_utf8(buf.get(..len)?).ok()
    }

    /// [`Timestamp::iso`] as bytes (ASCII), its length returned: built in
    /// fixed-size pieces, two digits at a time.
    #[inline]
    fn iso_bytes(&self, buf: &mut [u8; 32]) -> Option<usize> {
        let fits = self.year < 10_000
            && self.month < 100
            && self.day < 100
            && self.hour < 100
            && self.minute < 100
            && self.second < 100
            && self.millisecond.is_none_or(|ms| ms < 1000)
            && self
                .utc_offset_minutes
                .is_none_or(|o| o.unsigned_abs() < 100 * 60);
        if !fits {
            return None;
        }
        // Two digits of a value below 100, from a table (a load, where
        // dividing by 10 took a dozen instructions a pair).
        let two = |v: u16| {
            DIGIT_PAIRS
                .get(usize::from(v))
                .copied()
                .unwrap_or([b'0', b'0'])
        };
        let [y0, y1] = two(self.year / 100);
        let [y2, y3] = two(self.year % 100);
        let [mo0, mo1] = two(self.month.into());
        let [d0, d1] = two(self.day.into());
        let [h0, h1] = two(self.hour.into());
        let [mi0, mi1] = two(self.minute.into());
        let [s0, s1] = two(self.second.into());
        buf.get_mut(..19)?.copy_from_slice(&[
            y0, y1, y2, y3, b'-', mo0, mo1, b'-', d0, d1, b'T', h0, h1, b':', mi0, mi1, b':', s0,
            s1,
        ]);
        let mut len = 19;
        if let Some(ms) = self.millisecond {
            let [c1, c2] = two(ms % 100);
            buf.get_mut(len..len + 4)?
                .copy_from_slice(&[b'.', b'0' + (ms / 100) as u8, c1, c2]);
            len += 4;
        }
        if let Some(off) = self.utc_offset_minutes {
            let a = off.unsigned_abs();
            let [h0, h1] = two(a / 60);
            let [m0, m1] = two(a % 60);
            let sign = if off < 0 { b'-' } else { b'+' };
            buf.get_mut(len..len + 6)?
                .copy_from_slice(&[sign, h0, h1, b':', m0, m1]);
            len += 6;
        }
        Some(len)
    }
}

#[cfg(feature = "serde")]
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            // Binary report state (the Python `Report`'s pickle): the fields
            // as numbers, read back without parsing text.
            return self.compact().serialize(s);
        }
        let mut buf = [0; 32];
        match self.iso(&mut buf) {
            Some(text) => s.serialize_str(text),
            None => s.collect_str(self),
        }
    }
}

#[cfg(feature = "serde")]
impl crate::json::Value for Timestamp {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut buf = [0; 32];
        match self.iso_bytes(&mut buf) {
            Some(len) => {
                // Digits, `-`, `:`, `T`, `.` and `+`: nothing to escape. The
                // whole buffer is appended and cut back (a fixed-size copy,
                // no `memcpy` call).
                out.push(b'"');
                let start = out.len();
                out.extend_from_slice(&buf);
                out.truncate(start + len);
                out.push(b'"');
            }
            None => crate::json::write_str(out, &self.to_string()),
        }
    }
}

/// The [`fmt::Display`] (ISO 8601) form back: so that report state holding
/// timestamps travels between processes (`SpamSources`, `AbuseReport`).
/// Checked as a logged timestamp is.
#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if !d.is_human_readable() {
            let c = <Compact as serde::Deserialize>::deserialize(d)?;
            return Timestamp::from_compact(c)
                .ok_or_else(|| serde::de::Error::custom(format!("not a timestamp: {c:?}")));
        }
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::from_iso(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a timestamp: {text:?}")))
    }
}

/// A timestamp in binary report state: year, month, day, hour, minute,
/// second, milliseconds, UTC offset in minutes.
#[cfg(feature = "serde")]
type Compact = (u16, u8, u8, u8, u8, u8, Option<u16>, Option<i16>);

#[cfg(feature = "serde")]
impl Timestamp {
    fn compact(&self) -> Compact {
        (
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.millisecond,
            self.utc_offset_minutes,
        )
    }

    /// The fields of [`Timestamp::compact`] back, checked against the ranges
    /// a logged timestamp is parsed with (`parse::prefix`).
    fn from_compact(c: Compact) -> Option<Timestamp> {
        let (year, month, day, hour, minute, second, millisecond, off) = c;
        let ok = (1..=9999).contains(&year)
            && is_calendar_time(year, month, day, hour, minute, second)
            && millisecond.is_none_or(|ms| ms <= 999)
            && off.is_none_or(|o| o.unsigned_abs() <= 23 * 60 + 59);
        ok.then_some(Timestamp {
            year,
            month,
            day,
            hour,
            minute,
            second,
            millisecond,
            utc_offset_minutes: off,
        })
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.mmm][+HH:MM]` by rewriting it into the log's
    /// own form and parsing that (one parser, one set of range checks).
    fn from_iso(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        let (date, rest) = (b.get(..10)?, b.get(10..)?);
        let (sep, time, mut rest) = (rest.first()?, rest.get(1..9)?, rest.get(9..)?);
        if *sep != b'T' {
            return None;
        }
        let mut line = Vec::with_capacity(32);
        line.extend_from_slice(date);
        line.push(b' ');
        line.extend_from_slice(time);
        if rest.first() == Some(&b'.') {
            line.extend_from_slice(rest.get(..4)?);
            rest = rest.get(4..)?;
        }
        if let [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] = rest {
            line.extend_from_slice(&[b' ', *sign, *h1, *h2, *m1, *m2]);
        } else if !rest.is_empty() {
            return None;
        }
        line.extend_from_slice(b" x");
        let t = crate::parse_line(&line).ok()?.timestamp;
        // A value the log parser reads differently (e.g. a shorter field) is refused.
        (t.to_string() == text).then_some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> Timestamp {
        Timestamp {
            year: y,
            month: mo,
            day: d,
            hour: h,
            minute: mi,
            second: s,
            millisecond: None,
            utc_offset_minutes: None,
        }
    }

    #[test]
    fn unix_seconds_matches_known_dates() {
        assert_eq!(ts(1970, 1, 1, 0, 0, 0).unix_seconds(), 0);
        // 2024-05-25T10:10:28Z, the Received example of the format reference.
        assert_eq!(ts(2024, 5, 25, 10, 10, 28).unix_seconds(), 1_716_631_828);
        let mut t = ts(2024, 5, 25, 11, 10, 28);
        t.utc_offset_minutes = Some(60);
        assert_eq!(t.unix_seconds(), 1_716_631_828);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn deserialize_reads_the_serialized_form_back() {
        let mut t = ts(2024, 2, 29, 23, 59, 60);
        for (ms, off) in [
            (None, None),
            (Some(7), None),
            (None, Some(-330)),
            (Some(999), Some(60)),
        ] {
            t.millisecond = ms;
            t.utc_offset_minutes = off;
            let json = serde_json::to_string(&t).unwrap_or_default();
            let back: Result<Timestamp, _> = serde_json::from_str(&json);
            assert_eq!(back.ok(), Some(t), "{json}");
        }
        for bad in [
            "2023-02-29T00:00:00",
            "2024-05-25 10:00:00",
            "2024-05-25T10:00:00+0100",
            "2024-05-25T10:00:00.12",
            "2024-05-25T10:00:00 junk",
            "2024-5-25T10:00:00",
            "",
        ] {
            let r: Result<Timestamp, _> = serde_json::from_str(&format!("{bad:?}"));
            assert!(r.is_err(), "{bad}");
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn compact_form_round_trips_and_is_checked() {
        let mut t = ts(2024, 2, 29, 23, 59, 60);
        for (ms, off) in [(None, None), (Some(999), Some(-(23 * 60 + 59)))] {
            t.millisecond = ms;
            t.utc_offset_minutes = off;
            assert_eq!(Timestamp::from_compact(t.compact()), Some(t));
        }
        // Each field one past its range, as `parse::prefix` refuses it in a log.
        for bad in [
            (0, 1, 1, 0, 0, 0, None, None),
            (10000, 1, 1, 0, 0, 0, None, None),
            (2024, 13, 1, 0, 0, 0, None, None),
            (2024, 0, 1, 0, 0, 0, None, None),
            (2023, 2, 29, 0, 0, 0, None, None),
            (2024, 4, 0, 0, 0, 0, None, None),
            (2024, 4, 1, 24, 0, 0, None, None),
            (2024, 4, 1, 0, 60, 0, None, None),
            (2024, 4, 1, 0, 0, 61, None, None),
            (2024, 4, 1, 0, 0, 0, Some(1000), None),
            (2024, 4, 1, 0, 0, 0, None, Some(24 * 60)),
            (2024, 4, 1, 0, 0, 0, None, Some(-24 * 60)),
        ] {
            assert_eq!(Timestamp::from_compact(bad), None, "{bad:?}");
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn iso_digits_equal_the_display() {
        let mut cases = vec![
            ts(2024, 5, 25, 9, 3, 7),
            ts(1, 1, 1, 0, 0, 60),
            ts(9999, 12, 31, 23, 59, 59),
        ];
        let mut t = ts(2024, 5, 25, 11, 10, 28);
        for (ms, off) in [
            (Some(7), None),
            (None, Some(-330)),
            (Some(999), Some(60)),
            (Some(0), Some(0)),
        ] {
            t.millisecond = ms;
            t.utc_offset_minutes = off;
            cases.push(t);
        }
        for t in cases {
            let mut buf = [0; 32];
            assert_eq!(t.iso(&mut buf), Some(t.to_string().as_str()));
        }
        // Too wide for its place: the Display fallback.
        for t in [ts(10_000, 1, 1, 0, 0, 0), ts(2024, 1, 1, 100, 0, 0)] {
            assert_eq!(t.iso(&mut [0; 32]), None, "{t}");
        }
        let mut t = ts(2024, 1, 1, 0, 0, 0);
        t.millisecond = Some(1000);
        assert_eq!(t.iso(&mut [0; 32]), None);
    }

    #[test]
    fn days_in_month_knows_leap_years() {
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2024, 4), 30);
        assert_eq!(days_in_month(2024, 12), 31);
        assert_eq!(days_in_month(2024, 0), 0);
        assert_eq!(days_in_month(2024, 13), 0);
    }

    #[test]
    fn display_is_iso8601() {
        let mut t = ts(2003, 4, 25, 11, 17, 7);
        assert_eq!(t.to_string(), "2003-04-25T11:17:07");
        t.millisecond = Some(12);
        t.utc_offset_minutes = Some(-330);
        assert_eq!(t.to_string(), "2003-04-25T11:17:07.012-05:30");
    }
}
