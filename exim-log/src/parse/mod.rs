//! The nom grammar, one module per production. Nothing here does I/O.

pub(crate) mod arrival;
pub(crate) mod delivery;
pub(crate) mod fields;
pub(crate) mod host;
pub(crate) mod message;
pub(crate) mod other;
pub(crate) mod prefix;
pub(crate) mod tls;

use crate::event::{Event, Flag};

/// Parses the text after the prefix into an event. Never fails: what is not
/// understood becomes [`Event::Unknown`].
#[inline]
pub(crate) fn body<'a>(text: &'a [u8], has_id: bool) -> (Option<Flag>, Event<'a>) {
    if has_id {
        if let Some(parsed) = message::flagged(text) {
            return parsed;
        }
    }
    (None, other::event(text, has_id).unwrap_or(Event::Unknown))
}
