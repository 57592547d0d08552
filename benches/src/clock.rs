//! Time as Exim writes it: the line timestamp (spec §1.1), durations (§8) and the
//! base-62 message id (§0).

use std::io::Write;

use exim_log::{IdFormat, Timestamp};

/// `YYYY-MM-DD HH:MM:SS[.mmm][ ±HHMM]` for `ms` milliseconds since the epoch (UTC),
/// shown in the zone `offset` minutes east of UTC (§1.1: Exim logs local time).
pub fn write_timestamp(out: &mut Vec<u8>, ms: i64, millisec: bool, offset: Option<i16>) {
    let local = ms + i64::from(offset.unwrap_or(0)) * 60_000;
    // Generated times are near now: within the years a `Timestamp` holds.
    let t = Timestamp::from_unix_seconds(local.div_euclid(1000));
    if let Some(t) = t {
        let _ = write!(
            out,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            t.year, t.month, t.day, t.hour, t.minute, t.second
        );
    }
    if millisec {
        let _ = write!(out, ".{:03}", local.rem_euclid(1000));
    }
    if let Some(off) = offset {
        let sign = if off < 0 { '-' } else { '+' };
        let a = off.unsigned_abs();
        let _ = write!(out, " {sign}{:02}{:02}", a / 60, a % 60);
    }
}

/// A duration as `string_timediff` writes it (§8): `1h2m3s`, `0s`, or with
/// `+millisec` and under 5 s, `0.304s`.
pub fn write_duration(out: &mut Vec<u8>, ms: u64, millisec: bool) {
    if millisec && ms < 5000 {
        let _ = write!(out, "{}.{:03}s", ms / 1000, ms % 1000);
        return;
    }
    let mut s = ms / 1000;
    if s == 0 {
        out.extend_from_slice(b"0s");
        return;
    }
    for (unit, len) in [
        ('w', 604_800),
        ('d', 86_400),
        ('h', 3600),
        ('m', 60),
        ('s', 1),
    ] {
        if s >= len {
            let _ = write!(out, "{}{unit}", s / len);
            s %= len;
        }
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `value` in `width` base-62 digits (`globals.c base62_chars`), most significant first.
fn push_base62(out: &mut String, mut value: u64, width: usize) {
    let mut digits = vec![b'0'; width];
    for d in digits.iter_mut().rev() {
        *d = BASE62.get((value % 62) as usize).copied().unwrap_or(b'0');
        value /= 62;
    }
    out.extend(digits.into_iter().map(char::from));
}

/// A message id for a reception that started at `ms` (UTC) in process `pid` (§0):
/// `TTTTTT-PPPPPP-SS` (old: fraction in 500 µs units) or `TTTTTT-PPPPPPPPPPP-SSSS`
/// (new: fraction in µs). `extra_us` (< 1000) spreads ids within one millisecond.
pub fn message_id(format: IdFormat, ms: i64, pid: u32, extra_us: u32) -> String {
    let secs = ms.div_euclid(1000) as u64;
    let us = (ms.rem_euclid(1000) as u64) * 1000 + u64::from(extra_us % 1000);
    let mut id = String::with_capacity(23);
    push_base62(&mut id, secs, 6);
    id.push('-');
    match format {
        IdFormat::Old => {
            push_base62(&mut id, u64::from(pid), 6);
            id.push('-');
            push_base62(&mut id, us / 500, 2);
        }
        _ => {
            push_base62(&mut id, u64::from(pid), 11);
            id.push('-');
            push_base62(&mut id, us, 4);
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;
    use exim_log::MessageId;

    #[test]
    fn timestamps_in_every_layout() {
        // 2024-05-25 10:10:25.712 UTC
        let ms = 1_716_631_825_712;
        let cases: &[(bool, Option<i16>, &str)] = &[
            (false, None, "2024-05-25 10:10:25"),
            (true, None, "2024-05-25 10:10:25.712"),
            (false, Some(60), "2024-05-25 11:10:25 +0100"),
            (true, Some(-330), "2024-05-25 04:40:25.712 -0530"),
        ];
        for (milli, off, want) in cases {
            let mut out = Vec::new();
            write_timestamp(&mut out, ms, *milli, *off);
            assert_eq!(String::from_utf8(out).unwrap(), *want);
        }
    }

    #[test]
    fn durations_follow_string_timediff() {
        let cases: &[(u64, bool, &str)] = &[
            (0, false, "0s"),
            (304, true, "0.304s"),
            (4999, true, "4.999s"),
            (5000, true, "5s"),
            (225_000, false, "3m45s"),
            (93_600_000, false, "1d2h"),
        ];
        for (ms, milli, want) in cases {
            let mut out = Vec::new();
            write_duration(&mut out, *ms, *milli);
            assert_eq!(String::from_utf8(out).unwrap(), *want);
        }
    }

    #[test]
    fn ids_decode_to_what_was_encoded() {
        let ms = 1_716_631_825_712;
        let new = message_id(IdFormat::New, ms, 613_305, 4);
        let id = MessageId::parse(new.as_bytes()).unwrap();
        assert_eq!(id.format(), IdFormat::New);
        assert_eq!(id.time(), 1_716_631_825);
        assert_eq!(id.pid(), 613_305);
        assert_eq!(id.fraction(), 712_004);
        let old = message_id(IdFormat::Old, ms, 22_013, 999);
        let id = MessageId::parse(old.as_bytes()).unwrap();
        assert_eq!(id.format(), IdFormat::Old);
        assert_eq!(id.time(), 1_716_631_825);
        assert_eq!(id.pid(), 22_013);
        assert_eq!(id.fraction(), 712_999 / 500);
    }
}
