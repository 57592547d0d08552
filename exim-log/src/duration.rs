//! Durations as Exim prints them (`string_timediff`, `readconf_printtime`):
//! `[-][Nw][Nd][Nh][Nm][Ns]`, or `S.mmms` under `+millisec` for short times.

use serde::{Serialize, Serializer};

/// A duration from `QT=`, `DT=`, `RT=`, `D=` or `Completed QT=`, in milliseconds.
/// It can be negative (Exim prints a leading `-` when the clock went backwards).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct LogDuration {
    millis: i64,
}

impl LogDuration {
    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: i64) -> Self {
        LogDuration { millis }
    }

    /// Total milliseconds.
    pub const fn as_millis(&self) -> i64 {
        self.millis
    }

    /// Seconds as a float (serialized this way: `225`, `0.304`).
    pub fn as_secs_f64(&self) -> f64 {
        self.millis as f64 / 1000.0
    }

    /// Parses `3m45s`, `1d2h`, `0s`, `0.304s`, `-5s`. `None` when it is not a duration.
    pub fn parse(s: &[u8]) -> Option<Self> {
        let (neg, mut rest) = match s.split_first() {
            Some((b'-', r)) => (true, r),
            _ => (false, s),
        };
        if rest.is_empty() {
            return None;
        }
        let mut total: i64 = 0;
        let mut last_unit = 0u8; // enforce w > d > h > m > s order
        while !rest.is_empty() {
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 || digits > 12 {
                return None;
            }
            let (num, tail) = rest.split_at(digits);
            let n: i64 = crate::parse::fields::number(num)?;
            let (frac_ms, tail) = match tail.split_first() {
                Some((b'.', t)) => {
                    let fd = t.iter().take_while(|b| b.is_ascii_digit()).count();
                    if fd == 0 || fd > 3 || t.get(fd) != Some(&b's') {
                        return None;
                    }
                    let (f, t2) = t.split_at(fd);
                    let mut v: i64 = crate::parse::fields::number(f)?;
                    for _ in fd..3 {
                        v *= 10;
                    }
                    (v, t2)
                }
                _ => (0, tail),
            };
            let (&unit, tail) = tail.split_first()?;
            let (rank, mult) = match unit {
                b'w' => (1, 604_800_000),
                b'd' => (2, 86_400_000),
                b'h' => (3, 3_600_000),
                b'm' => (4, 60_000),
                b's' => (5, 1000),
                _ => return None,
            };
            if rank <= last_unit || (frac_ms != 0 && unit != b's') {
                return None;
            }
            last_unit = rank;
            total = total
                .checked_add(n.checked_mul(mult)?)?
                .checked_add(frac_ms)?;
            rest = tail;
        }
        Some(LogDuration {
            millis: if neg { -total } else { total },
        })
    }
}

impl Serialize for LogDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.millis % 1000 == 0 {
            s.serialize_i64(self.millis / 1000)
        } else {
            s.serialize_f64(self.as_secs_f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exim_durations() {
        let cases: &[(&str, Option<i64>)] = &[
            ("0s", Some(0)),
            ("3m45s", Some(225_000)),
            ("1d2h", Some(93_600_000)),
            ("1w", Some(604_800_000)),
            ("0.304s", Some(304)),
            ("1.5s", Some(1500)),
            ("-5s", Some(-5000)),
            ("qqs", None),
            ("", None),
            ("5", None),
            ("2s3m", None),
            ("1.5m", None),
            ("99999999999999999s", None),
        ];
        for (s, want) in cases {
            assert_eq!(
                LogDuration::parse(s.as_bytes()).map(|d| d.as_millis()),
                *want,
                "{s}"
            );
        }
    }
}
