//! Counts over log time: messages received and delivered, deferrals, failures
//! and rejections per minute, quarter hour, hour or day of the log's clock
//! (the finest that gives a readable number of points), for charts of
//! activity over time.
//!
//! The bucket width is the first of 1, 5, 15 minutes, 1 hour, 1 day, 2 days,
//! 4 days, ... (each a multiple of the one before, buckets aligned on the
//! epoch) that keeps at most [`MAX_BUCKETS`] buckets: memory is bounded
//! whatever the timestamps (about 0.5 MB at most: six days of minutes, or a
//! year of hours), and the width depends only on the
//! set of times seen, so [`Timeline::merge`] of parts gives what one pass
//! gives. [`Timeline::report`] then coarsens along the same ladder to at most
//! a given number of points, keeping the empty buckets in between so the
//! series can be drawn as is.

use std::collections::BTreeMap;

use super::log_seconds;
use crate::Timestamp;

/// Most buckets held: a leap year of hours.
pub const MAX_BUCKETS: usize = 8_784;

/// Points of a report series by default: a week of hours, 42 hours of
/// quarter hours, or 168 days.
pub const REPORT_POINTS: usize = 168;

/// What is counted in one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Counts {
    /// Arrivals (`<=` lines).
    pub received: u64,
    /// Messages delivered (first `=>` of a delivery run, as the summary's
    /// delivered messages).
    pub delivered: u64,
    /// Deferrals (`==` lines).
    pub deferrals: u64,
    /// Failures (`**` lines).
    pub failures: u64,
    /// Rejections (`rejected` lines, not the temporary ones).
    pub rejections: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.received += o.received;
        self.delivered += o.delivered;
        self.deferrals += o.deferrals;
        self.failures += o.failures;
        self.rejections += o.rejections;
    }
}

/// Which count an event adds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Series {
    /// [`Counts::received`].
    Received,
    /// [`Counts::delivered`].
    Delivered,
    /// [`Counts::deferrals`].
    Deferrals,
    /// [`Counts::failures`].
    Failures,
    /// [`Counts::rejections`].
    Rejections,
}

/// The next width of the ladder (minutes): 1, 5, 15, 60, 1440, 2880, ...
fn coarser(minutes: i64) -> i64 {
    match minutes {
        ..5 => 5,
        5..15 => 15,
        15..60 => 60,
        60..1440 => 1440,
        _ => minutes.saturating_mul(2),
    }
}

/// A bounded, mergeable series of [`Counts`] over log time.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Timeline {
    /// Bucket width in minutes, a step of the ladder.
    minutes: i64,
    /// Bucket index (log minute / `minutes`, floored) to its counts.
    buckets: BTreeMap<i64, Counts>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            minutes: 1,
            buckets: BTreeMap::new(),
        }
    }
}

impl Timeline {
    /// An empty timeline.
    pub fn new() -> Self {
        Timeline::default()
    }

    /// Counts one event of `series` at `t`.
    pub fn add(&mut self, t: &Timestamp, series: Series) {
        self.add_seconds(log_seconds(t), series);
    }

    /// [`Timeline::add`] of a time given in [`log_seconds`].
    pub(crate) fn add_seconds(&mut self, log_seconds: i64, series: Series) {
        let minute = log_seconds.div_euclid(60);
        let key = minute.div_euclid(self.minutes);
        // A log is in time order: the bucket is nearly always the last one,
        // found without a search of the tree (callgrind: a third of the cost).
        let mut last = self.buckets.last_entry().filter(|e| *e.key() == key);
        let c = match &mut last {
            Some(e) => e.get_mut(),
            None => self.buckets.entry(key).or_default(),
        };
        match series {
            Series::Received => c.received += 1,
            Series::Delivered => c.delivered += 1,
            Series::Deferrals => c.deferrals += 1,
            Series::Failures => c.failures += 1,
            Series::Rejections => c.rejections += 1,
        }
        self.fit();
    }

    /// Adds the counts of `other` (made over other input): the result is what
    /// one pass over both gives.
    pub fn merge(&mut self, other: Timeline) {
        let mut other = other;
        let minutes = self.minutes.max(other.minutes);
        self.coarsen_to(minutes);
        other.coarsen_to(minutes);
        for (k, c) in other.buckets {
            self.buckets.entry(k).or_default().add(&c);
        }
        self.fit();
    }

    /// Coarsens until at most [`MAX_BUCKETS`] buckets are held.
    fn fit(&mut self) {
        while self.buckets.len() > MAX_BUCKETS {
            self.coarsen_to(coarser(self.minutes));
        }
    }

    /// Regroups the buckets at width `minutes` (a step of the ladder at
    /// least the current one).
    fn coarsen_to(&mut self, minutes: i64) {
        if minutes <= self.minutes {
            return;
        }
        let old = std::mem::take(&mut self.buckets);
        for (k, c) in old {
            let start = k.saturating_mul(self.minutes);
            self.buckets
                .entry(start.div_euclid(minutes))
                .or_default()
                .add(&c);
        }
        self.minutes = minutes;
    }

    /// The series from the first to the last bucket with anything in it, empty
    /// buckets included, at the finest width of the ladder that gives at most
    /// `max_points` points (at least 1).
    pub fn report(&self, max_points: usize) -> TimelineReport {
        let max_points = i64::try_from(max_points.max(1)).unwrap_or(i64::MAX);
        let (Some(first), Some(last)) = (
            self.buckets.keys().next().copied(),
            self.buckets.keys().next_back().copied(),
        ) else {
            return TimelineReport {
                bucket_minutes: 1,
                points: Vec::new(),
            };
        };
        let (first_minute, last_minute) = (
            first.saturating_mul(self.minutes),
            last.saturating_mul(self.minutes),
        );
        let mut width = self.minutes;
        while last_minute.div_euclid(width) - first_minute.div_euclid(width) + 1 > max_points {
            width = coarser(width);
        }
        let start = first_minute.div_euclid(width);
        let n = last_minute.div_euclid(width) - start + 1;
        let mut points: Vec<TimelinePoint> = (0..n)
            .map(|i| TimelinePoint {
                start: minute_label(start.saturating_add(i).saturating_mul(width)),
                counts: Counts::default(),
            })
            .collect();
        for (k, c) in &self.buckets {
            let i = k.saturating_mul(self.minutes).div_euclid(width) - start;
            if let Some(p) = usize::try_from(i).ok().and_then(|i| points.get_mut(i)) {
                p.counts.add(c);
            }
        }
        TimelineReport {
            bucket_minutes: u64::try_from(width).unwrap_or(u64::MAX),
            points,
        }
    }
}

/// `2024-05-25T11:05:00` of a minute count since the epoch of the log's clock.
fn minute_label(minute: i64) -> String {
    let (y, m, d) = crate::timestamp::civil_from_days(minute.div_euclid(1440));
    let in_day = minute.rem_euclid(1440);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:00",
        in_day / 60,
        in_day % 60
    )
}

/// A timeline as reported: `summary --json`'s `timeline` (SCHEMA.md).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct TimelineReport {
    /// Width of each point in minutes: 1, 5, 15, 60, 1440, 2880, ...
    pub bucket_minutes: u64,
    /// The points, oldest first, without gaps.
    pub points: Vec<TimelinePoint>,
}

/// One bucket of a [`TimelineReport`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct TimelinePoint {
    /// Its start on the log's clock, `YYYY-MM-DDTHH:MM:00`.
    pub start: String,
    /// Its counts.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub counts: Counts,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        crate::parse_line(format!("{s} x").as_bytes())
            .map(|l| l.timestamp)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn sums(r: &TimelineReport) -> Counts {
        let mut c = Counts::default();
        r.points.iter().for_each(|p| c.add(&p.counts));
        c
    }

    #[test]
    fn hourly_with_gaps_kept() {
        let mut t = Timeline::new();
        t.add(&at("2024-05-25 10:59:59"), Series::Received);
        t.add(&at("2024-05-25 10:00:00"), Series::Delivered);
        t.add(&at("2024-05-25 13:30:00"), Series::Rejections);
        // 211 minutes: 43 five-minute points, 15 quarter hours, 4 hours.
        let r = t.report(REPORT_POINTS);
        assert_eq!(r.bucket_minutes, 5);
        assert_eq!(r.points.len(), 43);
        assert_eq!(t.report(16).bucket_minutes, 15);
        let r = t.report(14);
        assert_eq!(r.bucket_minutes, 60);
        let starts: Vec<&str> = r.points.iter().map(|p| p.start.as_str()).collect();
        assert_eq!(
            starts,
            [
                "2024-05-25T10:00:00",
                "2024-05-25T11:00:00",
                "2024-05-25T12:00:00",
                "2024-05-25T13:00:00"
            ]
        );
        let first = r.points.first().map(|p| p.counts);
        assert_eq!(
            first,
            Some(Counts {
                received: 1,
                delivered: 1,
                ..Counts::default()
            })
        );
        assert_eq!(r.points.get(1).map(|p| p.counts), Some(Counts::default()));
        assert_eq!(r.points.get(3).map(|p| p.counts.rejections), Some(1));
    }

    #[test]
    fn long_ranges_report_days_then_wider() {
        let mut t = Timeline::new();
        t.add(&at("2024-01-01 23:00:00"), Series::Received);
        t.add(&at("2024-01-10 01:00:00"), Series::Failures);
        // 9 days of hours is 219 points > 168: days.
        let r = t.report(REPORT_POINTS);
        assert_eq!(r.bucket_minutes, 1440);
        assert_eq!(r.points.len(), 10);
        assert_eq!(
            r.points.first().map(|p| p.start.as_str()),
            Some("2024-01-01T00:00:00")
        );
        // At most 4 points: 2-day buckets give 5 or 6, 4-day ones 3 or 4.
        let r = t.report(4);
        assert_eq!(r.bucket_minutes, 4 * 1440);
        assert!(r.points.len() <= 4);
        assert_eq!(sums(&r).received + sums(&r).failures, 2);
        assert_eq!(Timeline::new().report(10).points, Vec::new());
    }

    #[test]
    fn minutes_for_short_logs() {
        let mut t = Timeline::new();
        t.add(&at("2024-05-25 10:00:59"), Series::Received);
        t.add(&at("2024-05-25 10:02:00"), Series::Deferrals);
        let r = t.report(REPORT_POINTS);
        assert_eq!(r.bucket_minutes, 1);
        let starts: Vec<&str> = r.points.iter().map(|p| p.start.as_str()).collect();
        assert_eq!(
            starts,
            [
                "2024-05-25T10:00:00",
                "2024-05-25T10:01:00",
                "2024-05-25T10:02:00"
            ]
        );
        assert_eq!(r.points.get(2).map(|p| p.counts.deferrals), Some(1));
    }

    #[test]
    fn memory_is_bounded_and_merge_equals_one_pass() {
        // Three years of one event every 2 hours: more hours than MAX_BUCKETS.
        let times: Vec<Timestamp> = (0..3 * 365 * 24 / 2)
            .map(|i| {
                let h = i64::from(i) * 2;
                let (y, m, d) = crate::timestamp::civil_from_days(19_000 + h / 24);
                at(&format!("{y:04}-{m:02}-{d:02} {:02}:00:00", h % 24))
            })
            .collect();
        let mut whole = Timeline::new();
        times.iter().for_each(|t| whole.add(t, Series::Received));
        assert!(whole.buckets.len() <= MAX_BUCKETS);
        assert_eq!(whole.minutes, 1440);
        for parts in [2, 3, 7] {
            let mut merged = Timeline::new();
            for chunk in times.chunks(times.len() / parts + 1) {
                let mut p = Timeline::new();
                chunk.iter().for_each(|t| p.add(t, Series::Received));
                merged.merge(p);
            }
            assert_eq!(merged.minutes, whole.minutes);
            assert_eq!(merged.buckets, whole.buckets);
        }
        let r = whole.report(REPORT_POINTS);
        assert_eq!(sums(&r).received, times.len() as u64);
        assert!(r.points.len() <= REPORT_POINTS);
    }

    /// The bounds are inclusive: [`MAX_BUCKETS`] buckets are held as they
    /// are, one more coarsens (minutes to 5 minutes); a report of exactly
    /// `max_points` points keeps its width.
    #[test]
    fn limits_reached_exactly_are_kept() {
        let mut t = Timeline::new();
        let start = 19_000 * 86_400;
        for m in 0..MAX_BUCKETS as i64 {
            t.add_seconds(start + 60 * m, Series::Received);
        }
        assert_eq!((t.minutes, t.buckets.len()), (1, MAX_BUCKETS));
        t.add_seconds(start + 60 * MAX_BUCKETS as i64, Series::Received);
        assert_eq!(t.minutes, 5);
        assert_eq!(t.buckets.len(), (MAX_BUCKETS + 1).div_ceil(5));

        // 10:00 to 13:30 is 43 five-minute points, 15 quarter hours.
        let mut t = Timeline::new();
        t.add(&at("2024-05-25 10:00:00"), Series::Delivered);
        t.add(&at("2024-05-25 13:30:00"), Series::Rejections);
        assert_eq!(t.report(43).bucket_minutes, 5);
        assert_eq!(t.report(42).bucket_minutes, 15);
        assert_eq!(t.report(15).bucket_minutes, 15);
        assert_eq!(t.report(14).bucket_minutes, 60);
        let r = t.report(15);
        assert_eq!(r.points.len(), 15);
        assert_eq!(
            r.points
                .last()
                .map(|p| (p.start.as_str(), p.counts.rejections)),
            Some(("2024-05-25T13:30:00", 1))
        );
    }
}
