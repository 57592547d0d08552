//! The time window of `--since` / `--until`, in the log's own clock.

use exim_log::Timestamp;

/// `--since` and `--until`, for every subcommand that counts or prints lines
/// by time.
#[derive(Clone, Copy, Debug, Default, clap::Args)]
pub struct WindowArgs {
    /// Only what happened at or after TIME, in the log's own clock (the help
    /// text names the forms; brackets there are optional parts, not links).
    #[arg(
        long,
        value_name = "TIME",
        value_parser = parse_time,
        help = "Only what happened at or after TIME (YYYY-MM-DD[ HH:MM[:SS]] or \
                YYYY-MM-DDTHH:MM[:SS], in the log's own clock)"
    )]
    pub since: Option<i64>,
    /// Only what happened before TIME (same forms as `--since`).
    #[arg(
        long,
        value_name = "TIME",
        value_parser = parse_time,
        help = "Only what happened before TIME (same forms as --since)"
    )]
    pub until: Option<i64>,
}

impl WindowArgs {
    /// The window these options describe.
    pub fn window(&self) -> TimeWindow {
        TimeWindow {
            since: self.since,
            until: self.until,
        }
    }
}

pub use exim_log::report::{TimeWindow, log_seconds};

/// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DDTHH:MM[:SS]`
/// into [`log_seconds`] units.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let bad = || format!("{s}: expected YYYY-MM-DD[ HH:MM[:SS]]");
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    fn num<T: std::str::FromStr + PartialOrd>(p: Option<&str>, lo: T, hi: T) -> Option<T> {
        p.and_then(|p| p.parse::<T>().ok())
            .filter(|n| (lo..=hi).contains(n))
    }
    let mut d = date.split('-');
    let mut t = Timestamp {
        year: num(d.next(), 1970, 9999).ok_or_else(bad)?,
        month: num(d.next(), 1, 12).ok_or_else(bad)?,
        day: num(d.next(), 1, 31).ok_or_else(bad)?,
        hour: 0,
        minute: 0,
        second: 0,
        millisecond: None,
        utc_offset_minutes: None,
    };
    if d.next().is_some() {
        return Err(bad());
    }
    if let Some(time) = time {
        let mut p = time.split(':');
        t.hour = num(p.next(), 0, 23).ok_or_else(bad)?;
        t.minute = num(p.next(), 0, 59).ok_or_else(bad)?;
        if let Some(x) = p.next() {
            t.second = num(Some(x), 0, 60).ok_or_else(bad)?;
        }
        if p.next().is_some() {
            return Err(bad());
        }
    }
    Ok(t.unix_seconds())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_forms() {
        // 2024-05-25 00:00:00 UTC is 1716595200 (the benches generator's start).
        let cases = [
            ("2024-05-25", Ok(1_716_595_200)),
            ("2024-05-25 00:00", Ok(1_716_595_200)),
            ("2024-05-25T01:02:03", Ok(1_716_595_200 + 3723)),
            ("1970-01-01", Ok(0)),
            ("2000-03-01", Ok(951_868_800)),
        ];
        for (s, want) in cases {
            assert_eq!(parse_time(s), want, "{s}");
        }
        for bad in [
            "2024-13-01",
            "2024-05",
            "yesterday",
            "2024-05-25 25:00",
            "2024-05-25-1",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn window_is_half_open() {
        let w = TimeWindow {
            since: Some(parse_time("2024-05-25 10:00").unwrap_or_default()),
            until: Some(parse_time("2024-05-25 11:00").unwrap_or_default()),
        };
        let ts = |s: &[u8]| exim_log::parse_line(s).map(|l| l.timestamp);
        let inside = ts(b"2024-05-25 10:00:00 x").unwrap_or_else(|e| panic!("{e}"));
        let end = ts(b"2024-05-25 11:00:00 x").unwrap_or_else(|e| panic!("{e}"));
        let before = ts(b"2024-05-25 09:59:59 x").unwrap_or_else(|e| panic!("{e}"));
        // The offset is ignored: the window is in the log's clock.
        let zoned = ts(b"2024-05-25 10:30:00 +0200 x").unwrap_or_else(|e| panic!("{e}"));
        assert!(w.contains(&inside) && w.contains(&zoned));
        assert!(!w.contains(&end) && !w.contains(&before));
    }
}
