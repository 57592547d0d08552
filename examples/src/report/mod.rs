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
