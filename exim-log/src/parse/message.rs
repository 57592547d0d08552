//! Message lines with a flag (`<=`, `=>`, `==`, `**`, ...) and `Completed`
//! (spec §2-§4).

use crate::duration::LogDuration;
use crate::event::{Completed, Event, Flag};

/// Parses a flagged message line body, or `Completed`. `None` when it is neither.
pub(crate) fn flagged(text: &[u8]) -> Option<(Option<Flag>, Event<'_>)> {
    if let Some(rest) = text.strip_prefix(b"Completed") {
        let queue_time = rest.strip_prefix(b" QT=").and_then(LogDuration::parse);
        if rest.is_empty() || queue_time.is_some() {
            return Some((None, Event::Completed(Completed { queue_time })));
        }
        return None;
    }
    let flag = Flag::from_bytes(text.get(..2)?)?;
    // TODO(issue 2): fields of arrivals and deliveries.
    let _ = flag;
    None
}
