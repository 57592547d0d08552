//! The nom grammar, one module per production. Nothing here does I/O.

mod args;
pub(crate) mod arrival;
mod daemon;
pub(crate) mod delivery;
pub(crate) mod fields;
pub(crate) mod host;
mod keywords;
pub(crate) mod message;
pub(crate) mod other;
mod peer;
pub(crate) mod prefix;
mod reject;
mod smtp;
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
