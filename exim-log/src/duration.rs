//! Durations as Exim prints them (`string_timediff`, `readconf_printtime`):
//! `[-][Nw][Nd][Nh][Nm][Ns]`, or `S.mmms` under `+millisec` for short times.

#[cfg(feature = "serde")]
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
    // One pass over the bytes, digits accumulated as they are read: this runs
    // for every `QT=`/`DT=`/`D=`, and the former digit-run scans cost more
    // than the rest of the parse (callgrind; the count is in benches/README.md).
    pub fn parse(s: &[u8]) -> Option<Self> {
        let (neg, rest) = match s.split_first() {
            Some((b'-', r)) => (true, r),
            _ => (false, s),
        };
        if rest.is_empty() {
            return None;
        }
        // Most values are `Ns` with one or two digits (`D=0s`, `QT=12s`): read
        // them without the general loop.
        match *rest {
            [d @ b'0'..=b'9', b's'] => {
                let n = i64::from(d - b'0') * 1000;
                return Some(LogDuration::from_millis(if neg { -n } else { n }));
            }
            [d1 @ b'0'..=b'9', d2 @ b'0'..=b'9', b's'] => {
                let n = (i64::from(d1 - b'0') * 10 + i64::from(d2 - b'0')) * 1000;
                return Some(LogDuration::from_millis(if neg { -n } else { n }));
            }
            _ => {}
        }
        let mut total: i64 = 0;
        let mut last_rank = 0u8; // enforce w > d > h > m > s order
        let (mut n, mut digits) = (0i64, 0u32);
        let mut bytes = rest.iter();
        while let Some(&b) = bytes.next() {
            let (rank, mult, frac) = match b {
                b'0'..=b'9' => {
                    digits += 1;
                    if digits > 12 {
                        return None;
                    }
                    n = n * 10 + i64::from(b - b'0');
                    continue;
                }
                // `S.mmms` (`+millisec`): 1 to 3 fraction digits, then `s`.
                b'.' => {
                    let (mut v, mut fd) = (0i64, 0);
                    loop {
                        match bytes.next() {
                            Some(&d @ b'0'..=b'9') if fd < 3 => {
                                v = v * 10 + i64::from(d - b'0');
                                fd += 1;
                            }
                            Some(b's') if fd > 0 => break,
                            _ => return None,
                        }
                    }
                    for _ in fd..3 {
                        v *= 10;
                    }
                    (5, 1000, v)
                }
                b'w' => (1, 604_800_000, 0),
                b'd' => (2, 86_400_000, 0),
                b'h' => (3, 3_600_000, 0),
                b'm' => (4, 60_000, 0),
                b's' => (5, 1000, 0),
                _ => return None,
            };
            if digits == 0 || rank <= last_rank {
                return None;
            }
            last_rank = rank;
            total = total.checked_add(n.checked_mul(mult)?)?.checked_add(frac)?;
            (n, digits) = (0, 0);
        }
        if digits != 0 {
            // A number without its unit.
            return None;
        }
        Some(LogDuration {
            millis: if neg { -total } else { total },
        })
    }
}

#[cfg(feature = "serde")]
impl Serialize for LogDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.json_number() {
            Ok(secs) => s.serialize_i64(secs),
            Err(secs) => s.serialize_f64(secs),
        }
    }
}

#[cfg(feature = "serde")]
impl LogDuration {
    /// The JSON number: whole seconds as an integer (`Ok`), else seconds
    /// as a float (`Err`).
    pub(crate) fn json_number(&self) -> Result<i64, f64> {
        if self.millis % 1000 == 0 {
            Ok(self.millis / 1000)
        } else {
            Err(self.as_secs_f64())
        }
    }
}

#[cfg(feature = "serde")]
impl crate::json::Value for LogDuration {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        match self.json_number() {
            Ok(secs) => secs.write_json(out),
            Err(secs) => secs.write_json(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The former two-scan implementation, as a reference.
    fn reference(s: &[u8]) -> Option<LogDuration> {
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

    #[test]
    fn agrees_with_the_reference_on_every_short_string() {
        let alphabet = b"0159.-wdhms x";
        let mut cases: Vec<Vec<u8>> = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<Vec<u8>> = cases
                .iter()
                .filter(|c| c.len() == cases.last().map_or(0, Vec::len))
                .flat_map(|c| {
                    alphabet.iter().map(move |b| {
                        let mut v = c.clone();
                        v.push(*b);
                        v
                    })
                })
                .collect();
            cases.extend(longer);
        }
        for extra in [
            "1w2d3h4m5s",
            "12.345s",
            "1.2345s",
            "999999999999w",
            "4m.5s",
            "1h2h",
        ] {
            cases.push(extra.as_bytes().to_vec());
        }
        for c in &cases {
            assert_eq!(
                LogDuration::parse(c),
                reference(c),
                "{:?}",
                String::from_utf8_lossy(c)
            );
        }
    }

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
