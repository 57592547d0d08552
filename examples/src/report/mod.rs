//! The aggregations behind the example programs, one module per report.
//!
//! Each report has an aggregator fed one message ([`exim_log::assemble::Message`])
//! or one line at a time, and a `report()` method returning a plain,
//! `Serialize`-able result: the `--json` output is that result, and the human
//! text is printed from it.

use exim_log::Timestamp;

pub mod abuse;
pub mod bounded;
pub mod classify;
pub mod spam;
pub mod summary;
pub mod text;

/// Widens the span `first..=last` to take in `t`; true when `t` is the new
/// `first` (so a caller can keep an example from the earliest time).
pub fn widen_span(
    first: &mut Option<Timestamp>,
    last: &mut Option<Timestamp>,
    t: Timestamp,
) -> bool {
    let earliest = first.is_none_or(|f| t < f);
    if earliest {
        *first = Some(t);
    }
    if last.is_none_or(|l| t > l) {
        *last = Some(t);
    }
    earliest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_widens_both_ways_and_says_when_first() {
        let t = |s: &[u8]| {
            exim_log::parse_line(s)
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
    }
}
