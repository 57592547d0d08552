//! The mainlog line grammar, one module per production, named like the event
//! module it fills (`notice`, `process`, `session`, ...). Nothing here does I/O.
//!
//! The flat `TAG=value` loop of message lines is scanned by hand with `memchr`
//! and word-at-a-time helpers ([`crate::scan`]), as httparse and jiter do for
//! their hot loops; see benches/README.md for the profile that decided it.

pub(crate) mod arrival;
pub(crate) mod auth;
mod daemon;
pub(crate) mod delivery;
pub(crate) mod fields;
pub(crate) mod host;
pub(crate) mod message;
mod notice;
pub(crate) mod other;
mod peer;
pub(crate) mod prefix;
mod process;
mod reject;
mod session;
pub(crate) mod tls;

use crate::event::{Event, Flag};

/// Parses the text after the prefix into an event. Never fails: what is not
/// understood becomes [`Event::Unknown`].
#[inline]
pub(crate) fn body<'a>(text: &'a [u8], has_id: bool) -> (Option<Flag>, Event<'a>) {
    let mut flag = None;
    let mut event = Event::Unknown;
    body_into(text, has_id, &mut flag, &mut event);
    (flag, event)
}

/// [`body`], writing into `flag` and `event` (which must be `None` and
/// [`Event::Unknown`]), so the event is built in its final place. Not inlined:
/// [`crate::parse_line`] is, into its callers, and must stay small.
#[inline(never)]
pub(crate) fn body_into<'a>(
    text: &'a [u8],
    has_id: bool,
    flag: &mut Option<Flag>,
    event: &mut Event<'a>,
) {
    if has_id && message::flagged_into(text, flag, event) {
        return;
    }
    other::event_into(text, event);
}
