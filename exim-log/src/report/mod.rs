//! Reports: the counting behind `spam-sources`, `abuse-report` and `summary`,
//! as values every front end shares (the command line, Python, an HTML page,
//! a metrics exporter).
//!
//! Each report is an aggregator fed one item at a time and combined with
//! others of its kind by `merge`:
//!
//! * [`spam::SpamSources`] takes assembled messages
//!   ([`crate::assemble::Message`]): who sends the mail leaving the server;
//! * [`summary::Summary`] takes messages and lone lines
//!   ([`crate::assemble::Assembled`]): the eximstats totals and tables;
//! * [`abuse::AbuseReport`] takes parsed lines in log order: inbound abuse at
//!   SMTP time and the offending IPs;
//! * [`metrics::Metrics`] takes raw lines one at a time, as a follower reads
//!   them: the counters of the Prometheus exporter (`exim-log metrics`).
//!
//! `merge(other)` adds a partial result counted over *later* input (another
//! thread's share, the next file, a Dask partition) so that the merged value
//! reports what one pass over all the input would: the tests split a log into
//! parts every few items, merge, and compare the JSON with the single pass.
//! Messages must be whole in one part (assemble first, then share out the
//! messages); `abuse-report` joins SMTP connections that a split cut in two.
//!
//! `report(top, threshold)` returns a plain, `Serialize`-able result: the JSON
//! of SCHEMA.md ("Reports"). Rendering it as text is the front end's business.
//! Memory is bounded: every table keeps at most a fixed number of keys
//! ([`bounded::BoundedMap`]) and says when it had to drop light ones
//! (`approximate`).
//!
//! ```
//! use exim_log::assemble::{Assembled, Assembler};
//! use exim_log::reader::LogReader;
//! use exim_log::report::{TimeWindow, summary::Summary};
//!
//! let log = "\
//! 2024-05-25 10:00:00 1sAbCd-000Xyz-AB <= alice@example.org H=mx.example.net [192.0.2.1] P=esmtp S=1200
//! 2024-05-25 10:00:01 1sAbCd-000Xyz-AB => bob@example.com R=local T=local_delivery
//! 2024-05-25 10:00:01 1sAbCd-000Xyz-AB Completed
//! 2024-05-25 10:00:05 H=(x) [192.0.2.9] F=<a@example.net> rejected RCPT <c@example.com>: relay not permitted
//! ";
//! let records = LogReader::new(log.as_bytes()).into_records();
//! let items: Vec<Assembled> = Assembler::new().messages(records).collect::<Result<_, _>>()?;
//!
//! // One pass...
//! let mut whole = Summary::new(TimeWindow::default());
//! items.iter().for_each(|item| whole.add(item));
//! // ...or two partial summaries (two threads, say), merged.
//! let (head, tail) = items.split_at(1);
//! let mut first = Summary::new(TimeWindow::default());
//! head.iter().for_each(|item| first.add(item));
//! let mut second = Summary::new(TimeWindow::default());
//! tail.iter().for_each(|item| second.add(item));
//! first.merge(second);
//!
//! let report = first.report(10, 1);
//! assert_eq!(report.totals.received.messages, 1);
//! assert_eq!(report.totals.delivered.bytes, 1200);
//! assert_eq!(report.totals.rejects, 1);
//! # #[cfg(feature = "serde")]
//! assert_eq!(serde_json::to_value(&report)?, serde_json::to_value(whole.report(10, 1))?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::Timestamp;

pub mod abuse;
pub mod arrival;
pub mod bounded;
pub mod classify;
pub mod metrics;
pub mod queue;
pub mod spam;
pub mod summary;
pub mod timeline;
pub mod web_origins;

/// A half-open window of log time, `[since, until)`, in seconds of the log's
/// own clock (the timestamp as written, its UTC offset ignored, so that a
/// window typed by an administrator means what the log says).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TimeWindow {
    /// Inclusive start, in [`log_seconds`].
    pub since: Option<i64>,
    /// Exclusive end, in [`log_seconds`].
    pub until: Option<i64>,
}

impl TimeWindow {
    /// True when `t` is inside the window.
    pub fn contains(&self, t: &Timestamp) -> bool {
        // No bound (the usual case): no conversion of the time.
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        self.contains_seconds(log_seconds(t))
    }

    /// [`TimeWindow::contains`] of a time given in [`log_seconds`].
    pub(crate) fn contains_seconds(&self, s: i64) -> bool {
        self.since.is_none_or(|a| s >= a) && self.until.is_none_or(|b| s < b)
    }
}

/// [`log_seconds`] with the day's part remembered: a log is in time order,
/// so nearly every line falls on the day of the line before, and the
/// calendar arithmetic is done once a day (callgrind: it was about a fifth
/// of what `summary` did per message line besides its tables).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LogClock {
    /// The day last converted and its first second.
    day: Option<(u16, u8, u8)>,
    midnight: i64,
}

impl LogClock {
    /// `log_seconds(t)`.
    pub(crate) fn seconds(&mut self, t: &Timestamp) -> i64 {
        let day = (t.year, t.month, t.day);
        if self.day != Some(day) {
            self.midnight = log_seconds(&Timestamp {
                hour: 0,
                minute: 0,
                second: 0,
                millisecond: None,
                utc_offset_minutes: None,
                ..*t
            });
            self.day = Some(day);
        }
        self.midnight + i64::from(t.hour) * 3600 + i64::from(t.minute) * 60 + i64::from(t.second)
    }
}

/// Seconds since 1970-01-01 00:00:00 of a timestamp's wall-clock fields (its
/// UTC offset, if logged, ignored).
pub fn log_seconds(t: &Timestamp) -> i64 {
    Timestamp {
        utc_offset_minutes: None,
        ..*t
    }
    .unix_seconds()
}

/// Widens the span `first..=last` to take in `t`; true when `t` is the new
/// `first` (so a caller can keep an example from the earliest time).
pub(crate) fn widen_span(
    first: &mut Option<Timestamp>,
    last: &mut Option<Timestamp>,
    t: Timestamp,
) -> bool {
    // The usual case: a log is written in time order, many lines a second,
    // so `t` is the latest time again. Equality is a few instructions; the
    // two comparisons below cost about 50 (callgrind).
    if *last == Some(t) {
        return false;
    }
    let earliest = first.is_none_or(|f| t < f);
    if earliest {
        *first = Some(t);
    }
    if last.is_none_or(|l| t > l) {
        *last = Some(t);
    }
    earliest
}

/// Widens `first..=last` by another span (for `merge`); true when the other
/// span's first is strictly earlier, so its example replaces ours (on a tie
/// the earlier part's example stays, as in one pass).
pub(crate) fn merge_span(
    first: &mut Option<Timestamp>,
    last: &mut Option<Timestamp>,
    other_first: Option<Timestamp>,
    other_last: Option<Timestamp>,
) -> bool {
    let earlier = other_first.is_some_and(|o| widen_span(first, last, o));
    if let Some(o) = other_last {
        widen_span(first, last, o);
    }
    earlier
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_widens_both_ways_and_says_when_first() {
        let t = |s: &[u8]| {
            crate::parse_line(s)
                .map(|l| l.timestamp)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let (mut first, mut last) = (None, None);
        let noon = t(b"2024-05-25 12:00:00 x");
        let morning = t(b"2024-05-25 09:00:00 x");
        let evening = t(b"2024-05-25 20:00:00 x");
        // (time, new first?, first, last) after each call.
        let steps = [
            (noon, true, noon, noon),
            (evening, false, noon, evening),
            (morning, true, morning, evening),
            (noon, false, morning, evening),
            (morning, false, morning, evening),
        ];
        for (time, earliest, want_first, want_last) in steps {
            assert_eq!(widen_span(&mut first, &mut last, time), earliest);
            assert_eq!((first, last), (Some(want_first), Some(want_last)));
        }
        let (mut f2, mut l2) = (Some(noon), Some(noon));
        assert!(merge_span(&mut f2, &mut l2, Some(morning), Some(evening)));
        assert_eq!((f2, l2), (Some(morning), Some(evening)));
        assert!(!merge_span(&mut f2, &mut l2, Some(morning), Some(noon)));
    }

    /// The timestamp of a line logged at `s` (date and time, as Exim writes them).
    fn stamp(s: &str) -> Timestamp {
        crate::parse_line(format!("{s} x").as_bytes())
            .map(|l| l.timestamp)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    /// A window open at one end, or at both (everything), and its bounds:
    /// `since` inclusive, `until` exclusive.
    #[test]
    fn half_open_windows() {
        let t = |s: &str| stamp(&format!("2024-05-25 {s}"));
        let ten = log_seconds(&t("10:00:00"));
        // 2024-05-25 is day 19868 of the epoch.
        assert_eq!(ten, 19_868 * 86_400 + 10 * 3600);
        let since = TimeWindow {
            since: Some(ten),
            until: None,
        };
        let until = TimeWindow {
            since: None,
            until: Some(ten),
        };
        let all = TimeWindow::default();
        for (at, in_since, in_until) in [
            ("09:59:59", false, true),
            ("10:00:00", true, false),
            ("10:00:01", true, false),
        ] {
            let t = t(at);
            assert_eq!(since.contains(&t), in_since, "since 10:00, {at}");
            assert_eq!(until.contains(&t), in_until, "until 10:00, {at}");
            assert!(all.contains(&t));
            let s = log_seconds(&t);
            assert_eq!(since.contains_seconds(s), in_since);
            assert_eq!(until.contains_seconds(s), in_until);
        }
    }

    /// The clock's seconds, counted by hand from the calendar (2024-05-25 is
    /// day 19868 of the epoch), through days it has and has not converted
    /// before, back in time, with a logged offset (ignored) and milliseconds.
    #[test]
    fn log_clock_gives_the_seconds_of_each_day() {
        let t = stamp;
        let day = |d: i64| (19_868 + d) * 86_400;
        let mut clock = LogClock::default();
        for (at, want) in [
            ("2024-05-25 10:20:30", day(0) + 10 * 3600 + 20 * 60 + 30),
            ("2024-05-25 23:59:59", day(0) + 86_399),
            ("2024-05-26 00:00:01 +0200", day(1) + 1),
            (
                "2024-05-26 13:14:15.678 +0200",
                day(1) + 13 * 3600 + 14 * 60 + 15,
            ),
            ("2024-05-25 01:02:03", day(0) + 3600 + 2 * 60 + 3),
            ("2024-06-01 00:00:00", day(7)),
            ("2024-06-01 07:08:09 -0130", day(7) + 7 * 3600 + 8 * 60 + 9),
        ] {
            assert_eq!(clock.seconds(&t(at)), want, "{at}");
            assert_eq!(log_seconds(&t(at)), want, "{at}");
        }
    }

    #[test]
    fn window_ignores_the_offset() {
        let ts = |s: &[u8]| crate::parse_line(s).map(|l| l.timestamp);
        let at = |s: &[u8]| ts(s).map(|t| log_seconds(&t)).unwrap_or_default();
        let w = TimeWindow {
            since: Some(at(b"2024-05-25 10:00:00 x")),
            until: Some(at(b"2024-05-25 11:00:00 x")),
        };
        let inside = ts(b"2024-05-25 10:00:00 x").unwrap_or_else(|e| panic!("{e}"));
        let zoned = ts(b"2024-05-25 10:30:00 +0200 x").unwrap_or_else(|e| panic!("{e}"));
        let end = ts(b"2024-05-25 11:00:00 x").unwrap_or_else(|e| panic!("{e}"));
        assert!(w.contains(&inside) && w.contains(&zoned));
        assert!(!w.contains(&end));
    }
}
