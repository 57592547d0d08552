//! Lines without a flag: connections, rejections, `cwd=` arguments, queue runs,
//! daemon lines, and message lines such as `Frozen` (spec §10).

use crate::event::Event;

/// Parses a line body that carries no flag. `None` when the shape is not known.
pub(crate) fn event(_text: &[u8], _has_id: bool) -> Option<Event<'_>> {
    None
}
